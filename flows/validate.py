"""Validate parsed rows with the pandera models; turn every failure into a clerk-readable finding."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa

from flows.findings import ERROR, WARNING
from flows.numbers import format_number
from schemas.indicator_rows import (
    IMPLAUSIBLE_ATTAINMENT_PCT,
    IndicatorRow,
    IndicatorRowDoubts,
    rule_violations,
    scale_fixes,
)

# Which cell a finding about a model column points at (the record holds each field's letter).
_CELL_OF = {
    "unit": ("unit_column", "unit_raw"),
    "target_low": ("target_column", "target_raw"),
    "target_high": ("target_column", "target_raw"),
    "actual_value": ("actual_column", "actual_raw"),
    "reported_pct": ("reported_pct_column", "reported_pct_raw"),
    "computed_pct": ("reported_pct_column", "reported_pct_raw"),
    "row_label": ("label_column", "row_label"),
}
_CHECK_CELL = {
    "invalid_unit": "unit",
    "attainment_mismatch": "reported_pct",
    "implausible_value": "actual_value",
    "target_bounds_reversed": "target_low",
    "qualitative_with_value": "actual_value",
}


class _Row(dict):
    """A row as a dict with attribute access, for the message builders."""

    __getattr__ = dict.get


class _RowsByIndex(dict):
    """Rows of a frame made into _Row only when a finding needs them."""

    def __init__(self, frame: pd.DataFrame):
        super().__init__()
        self._frame = frame

    def __missing__(self, index: int) -> _Row:
        row = self[index] = _Row(self._frame.loc[index].to_dict())
        return row


def rows_frame(records: list[dict]) -> pd.DataFrame:
    """Records as a frame with the numeric columns typed, ready for the models and the warehouse."""
    frame = pd.DataFrame.from_records(records)
    for column in ("target_low", "target_high", "actual_value", "reported_pct", "computed_pct"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame.reset_index(drop=True)


def validate_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """(rows accepted for loading, findings): structure failures reject, doubts warn."""
    if frame.empty:
        return frame, []
    findings: list[dict] = []
    rejected: set[int] = set()
    rows = _RowsByIndex(frame)
    for index, check, column, value in _failures(IndicatorRow, frame):
        for i in frame.index if index is None else [index]:  # None: the whole column failed
            rejected.add(i)
            cell = _CHECK_CELL.get(check, column)
            findings.append(_finding(rows[i], check, cell, ERROR, _structure_message(check, column, value)))
    accepted = frame.drop(index=sorted(rejected))
    for index, check, _, _ in _failures(IndicatorRowDoubts, accepted):
        if index is None:
            continue
        row = rows[index]
        findings.append(_finding(row, check, _CHECK_CELL.get(check), WARNING, _DOUBT_MESSAGES[check](row)))
    accepted = pd.concat([accepted, scale_fixes(accepted)], axis=1)
    return accepted.reset_index(drop=True), findings


def _failures(model: type[pa.DataFrameModel], frame: pd.DataFrame):
    """(row index or None, check name, column or None, failing value), once per row and check.

    A dataframe-wide check reports each failing row once per column; one finding is enough.
    """
    try:
        model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        seen: set[tuple[int | None, str]] = set()
        for case in errors.failure_cases.itertuples(index=False):
            index = None if case.index is None or (isinstance(case.index, float) and math.isnan(case.index)) \
                else int(case.index)
            check = str(case.check)
            if (index, check) in seen:
                continue
            seen.add((index, check))
            column = case.column if isinstance(case.column, str) and case.column in frame else None
            yield index, check, column, case.failure_case


def _finding(row: _Row, check: str, column: str | None, severity: str, message: str) -> dict:
    letter_field, raw_field = _CELL_OF.get(column or "", (None, None))
    name = check if check in _CHECK_CELL else f"invalid_{column or 'row'}"
    return {
        "source_district": row.get("source_district"),
        "source_file": row.get("source_file"),
        "source_sheet": row.get("source_sheet"),
        "source_row": int(row["source_row"]) if pd.notna(row.get("source_row")) else None,
        "source_column": row.get(letter_field) if letter_field else None,
        "check_name": name,
        "severity": severity,
        "message": message,
        "raw_value": _text(row.get(raw_field)) if raw_field else None,
    }


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


def _implausible_message(row: _Row) -> str:
    reasons = [
        f"{format_number(row.actual_value)} is outside {format_number(rule.min)} to {format_number(rule.max)} "
        f"{row.unit_raw}: {rule.hint}"
        for rule, broken in rule_violations(pd.DataFrame([dict(row)])) if broken.iloc[0]
    ]
    if pd.notna(row.computed_pct) and row.computed_pct > IMPLAUSIBLE_ATTAINMENT_PCT:
        reasons.append(f"the result is {_pct(row.computed_pct)} of its target: check the unit and the period")
    return "; ".join(reasons)


_DOUBT_MESSAGES: dict[str, Callable[[pd.Series], str]] = {
    "invalid_unit": lambda row: (f"unit {row.unit_raw!r} is not a unit in the catalogue (schemas/units.csv); "
                                 "the row is loaded without a unit. Write the unit, e.g. %, tấn, ha, triệu đồng"),
    "attainment_mismatch": _mismatch_message,
    "implausible_value": _implausible_message,
}
