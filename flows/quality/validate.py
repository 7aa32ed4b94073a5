"""Validate parsed rows with the pandera models; turn every failure into a clerk-readable finding."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from flows.core.attainment import computed_pct, pct_basis
from flows.core.checks import CHECKS, ERROR, Check, check
from flows.core.findings import Finding
from flows.core.messages import say
from flows.core.reader_format import Percent
from flows.parse.numbers import format_number
from schemas.indicator_rows import (
    DOUBT_INPUTS,
    IMPLAUSIBLE_ATTAINMENT_PCT,
    IndicatorRow,
    IndicatorRowDoubts,
    rule_violations,
    scale_fixes,
)

# The record's fields for the cell a check points at (its `cell` in the registry): letter, text.
_CELL_FIELDS = {
    "label": ("label_column", "row_label"),
    "unit": ("unit_column", "unit_raw"),
    "target": ("target_column", "target_raw"),
    "actual": ("actual_column", "actual_raw"),
    "reported_pct": ("reported_pct_column", "reported_pct_raw"),
}


class _Row(dict):
    """A row as a dict with attribute access, for the message builders."""

    __getattr__ = dict.get


def _rows_at(frame: pd.DataFrame, indexes) -> dict[int, _Row]:
    """The rows a finding needs, taken from the frame in one go (a row at a time costs ~0.3 ms),
    column by column (to_dict walks text columns a cell at a time: six times slower)."""
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    picked = frame.loc[wanted]
    columns = {name: picked[name].tolist() for name in picked.columns}
    return {i: _Row(zip(columns, values)) for i, values in zip(wanted, zip(*columns.values()))}


def rows_frame(records: pd.DataFrame | list[dict]) -> pd.DataFrame:
    """Records (or a frame of them) with the numeric columns typed and the attainment columns computed.

    Attainment is computed here, once per batch on whole columns, rather than row by row.
    """
    frame = records.copy() if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(records)
    if frame.empty:
        return frame
    for column in ("target_low", "target_high", "actual_value", "reported_pct"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    figures = frame["actual_value"], frame["target_low"], frame["target_high"]
    frame["computed_pct"] = np.round(computed_pct(*figures), 4)
    frame["pct_basis"] = pct_basis(*figures, frame["reported_pct"], frame["plan_years"])
    return frame.reset_index(drop=True)


def validate_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """(rows accepted for loading, findings): structure failures reject, doubts warn."""
    if frame.empty:
        return frame, []
    findings: list[dict] = []
    structure = [(frame.index if i is None else [i], name, column, value)  # None: the whole column failed
                 for i, name, column, value in _failures(IndicatorRow, frame)]
    rows = _rows_at(frame, (i for indexes, *_ in structure for i in indexes))
    for indexes, name, column, value in structure:
        registered = structure_check(name, column)
        for i in indexes:
            findings.append(_finding(rows[i], registered, _structure_message(name, column, value)))
    accepted = frame.drop(index=sorted(rows))
    doubts = [(i, name) for i, name, _, _ in _doubt_failures(accepted) if i is not None]
    rows = _rows_at(accepted, (i for i, _ in doubts))
    broken = _broken_rules(accepted) if any(name == "implausible_value" for _, name in doubts) else {}
    for i, name in doubts:
        row = _Row(rows[i], broken_rules=broken.get(i, []))
        doubt = check(name)
        resolved_by = _RESOLUTIONS[name](row) if name in _RESOLUTIONS else None
        if resolved_by:
            message = _RESOLVED_MESSAGES[name](row)
        else:
            message = _DOUBT_MESSAGES[name](row) if name in _DOUBT_MESSAGES else doubt.default_message
        detail_vi = _DOUBT_DETAILS_VI[name](row) if name in _DOUBT_DETAILS_VI and not resolved_by else None
        findings.append(_finding(row, doubt, message, resolved_by, detail_vi))
    accepted = pd.concat([accepted, scale_fixes(accepted)], axis=1)
    return accepted.reset_index(drop=True), findings


def _doubt_failures(frame: pd.DataFrame) -> list:
    """_failures of IndicatorRowDoubts, checked on the columns its checks read (DOUBT_INPUTS); a
    check that could not run on them (one that reads another column) runs on the whole record."""
    failures = list(_failures(IndicatorRowDoubts, frame[DOUBT_INPUTS]))
    if any(i is None for i, *_ in failures):
        failures = list(_failures(IndicatorRowDoubts, frame))
    return failures


def _broken_rules(frame: pd.DataFrame) -> dict[int, list]:
    """Row index -> the plausibility rules its result breaks, for the whole frame at once."""
    broken: dict[int, list] = {}
    for rule, rows in rule_violations(frame):
        for i in rows.index[rows.to_numpy()]:
            broken.setdefault(i, []).append(rule)
    return broken


def _failures(model: type[pa.DataFrameModel], frame: pd.DataFrame):
    """(row index or None, check name, column or None, failing value), once per row and check.

    A dataframe-wide check reports each failing row once per column; one finding is enough.
    """
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.drop_duplicates(["index", "check"])
        for case in cases.itertuples(index=False):
            index = None if case.index is None or (isinstance(case.index, float) and math.isnan(case.index)) \
                else int(case.index)
            column = case.column if isinstance(case.column, str) and case.column in frame else None
            yield index, str(case.check), column, case.failure_case


def structure_check(name: str, column: str | None) -> Check:
    """The registered check a failure of the IndicatorRow model is reported as.

    A named dataframe check is registered under its own name; a failure of a column's own
    constraints (pandera's isin, str_length, ...) is invalid_<column> when that is registered as
    an error, else invalid_row, so a rejected row is never reported as a mere warning.
    """
    if name in CHECKS:
        return CHECKS[name]
    own = CHECKS.get(f"invalid_{column}")
    return own if own is not None and own.severity == ERROR else CHECKS["invalid_row"]


def _finding(row: _Row, registered: Check, message: str, resolved_by: str | None = None,
             detail_vi: str | None = None) -> dict:
    """A finding on the cell of the row that the registry says the check points at."""
    letter_field, raw_field = _CELL_FIELDS.get(registered.cell or "", (None, None))
    return Finding(
        registered.name, message, row.get("source_sheet"),
        int(row["source_row"]) if pd.notna(row.get("source_row")) else None,
        row.get(letter_field) if letter_field else None,
        _text(row.get(raw_field)) if raw_field else None,
        resolved_by,
        detail_vi,
    ).as_record(row.get("source_district"), row.get("source_file"))


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _structure_message(check: str, column: str | None, value) -> str:
    if check == "target_bounds_reversed":
        return "the target range is written high-to-low; write it low-high (e.g. 650-700). Row not loaded"
    if check == "qualitative_with_value":
        return "a qualitative row cannot carry a numeric result. Row not loaded"
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    return f"{column or 'row'} value {shown} fails the check {check}. Row not loaded; correct the cell"


def _pct(value: float) -> str:
    return f"{format_number(round(float(value), 1))}%"


def _mismatch_message(row: pd.Series) -> str:
    message = (f"reported {_pct(row.reported_pct)} does not match result {format_number(row.actual_value)} "
               f"against target {row.target_raw!r} ({_pct(row.computed_pct)} computed)")
    if row.get("pct_basis") == "plan_total":
        reference = row.target_high if pd.notna(row.target_high) else row.target_low
        years = int(row.plan_years)
        message += (f"; it matches if the result is a {years}-year total against a yearly target "
                    f"({format_number(row.actual_value)} / ({format_number(reference)} × {years}))")
    return message + ". Check which figures the percentage was computed from"


def _plan_total_evidence(row: _Row) -> str | None:
    """Why the reported percentage is explained: the result is a plan-period total against a
    yearly target (pct_basis 'plan_total', flows/core/attainment.py), or None when it is not."""
    if row.get("pct_basis") != "plan_total":
        return None
    reference = row.target_high if pd.notna(row.target_high) else row.target_low
    years = int(row.plan_years)
    return (f"the result is a {years}-year total against a yearly target: {format_number(row.actual_value)} / "
            f"({format_number(reference)} × {years}) = {_pct(row.actual_value / (reference * years) * 100.0)}, "
            f"as reported ({_pct(row.reported_pct)}); the attainment compares the yearly average with the target")


def _implausible_resolution(row: _Row) -> str | None:
    """A result implausible only by its ratio to a yearly target, which the plan-period total explains.

    A result outside what its measure allows (a broken plausibility rule) is never explained so.
    """
    if row.broken_rules or (explained := _plan_total_evidence(row)) is None:
        return None
    if row.reported_pct > IMPLAUSIBLE_ATTAINMENT_PCT:  # beyond five times the target even over the plan
        return None
    return explained


def _implausible_message(row: _Row) -> str:
    reasons = [
        f"{format_number(row.actual_value)} is outside {format_number(rule.min)} to {format_number(rule.max)} "
        f"{row.unit_raw}: {rule.hint}"
        for rule in row.broken_rules
    ]
    if pd.notna(row.computed_pct) and row.computed_pct > IMPLAUSIBLE_ATTAINMENT_PCT:
        reasons.append(f"the result is {_pct(row.computed_pct)} of its target: check the unit and the period")
    return "; ".join(reasons)


# Messages that say more than the registry's meaning and action, for the doubts that need the
# row's figures; any other doubt gets its registered default_message.
_DOUBT_MESSAGES: dict[str, Callable[[pd.Series], str]] = {
    "invalid_unit": lambda row: (f"unit {row.unit_raw!r} is not a unit in the catalogue (schemas/units.csv); "
                                 "the row is loaded without a unit. Write the unit, e.g. %, tấn, ha, triệu đồng"),
    "attainment_mismatch": _mismatch_message,
    "implausible_value": _implausible_message,
}

def _mismatch_detail_vi(row: _Row) -> str:
    return say("finding.attainment_mismatch.detail", reported=Percent(round(float(row.reported_pct), 1)),
               actual=float(row.actual_value), target=str(row.target_raw),
               computed=Percent(round(float(row.computed_pct), 1)))


def _implausible_detail_vi(row: _Row) -> str:
    # Clauses joined by "; " make one sentence: only the first begins with a capital (`_after`: a later one).
    reasons = [say("finding.implausible_value.outside_after" if reasons_before else "finding.implausible_value.outside",
                   actual=float(row.actual_value), low=rule.min, high=rule.max, unit=row.unit_raw or "")
               for reasons_before, rule in enumerate(row.broken_rules)]
    if pd.notna(row.computed_pct) and row.computed_pct > IMPLAUSIBLE_ATTAINMENT_PCT:
        reasons.append(say("finding.implausible_value.ratio_after" if reasons else "finding.implausible_value.ratio",
                           computed=Percent(round(float(row.computed_pct), 1))))
    return "; ".join(reasons)


# The same doubts in the clerk's language, from the message catalogue (dq_issues.message_vi, the
# feedback workbook); a doubt not listed is said by its check's meaning.
_DOUBT_DETAILS_VI: dict[str, Callable[[_Row], str]] = {
    "attainment_mismatch": _mismatch_detail_vi,
    "implausible_value": _implausible_detail_vi,
}

# The doubts a row's own figures may resolve (checks registered as resolvable): the evidence, or None.
_RESOLUTIONS: dict[str, Callable[[_Row], str | None]] = {
    "attainment_mismatch": _plan_total_evidence,
    "implausible_value": _implausible_resolution,
}
# What a resolved doubt says; Finding adds the evidence and that nothing is to be done.
_RESOLVED_MESSAGES: dict[str, Callable[[_Row], str]] = {
    "attainment_mismatch": lambda row: (f"reported {_pct(row.reported_pct)} is not result "
                                        f"{format_number(row.actual_value)} against the yearly target "
                                        f"{row.target_raw!r} ({_pct(row.computed_pct)} computed)"),
    "implausible_value": lambda row: (f"the result is {_pct(row.computed_pct)} of its yearly target, which is not "
                                      "implausible for a total over the plan period"),
}
