"""Turn a located table into one record per source row, raw text kept beside parsed values."""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cache
from dataclasses import dataclass, field

from flows.parse.evidence import resolve, target_bounds, within_evidence_window
from flows.parse.label_terms import bound_in_label, unit_in_label
from flows.ingest.extract import SheetGrid
from flows.core.findings import Finding
from flows.core.messages import LANGUAGES, say
from flows.core import reader_format
from flows.core.reader_format import Percent
from flows.ingest.guard import SheetFacts
from flows.core.labels import label_key
from flows.parse.locate import TableLocation
from flows.parse.numbers import NumberToken, format_number
from flows.parse.period import Period
from flows.core.text import clean_text, column_letter
from flows.parse.values import (
    EXCEL_ERRORS, Reading, describe, format_cell_number, is_verdict, looks_like_figure, read_cell, why_unreadable,
)
from flows.core.attainment import close_to, pct_or_none
from schemas.catalogues import broken_rule, table, unit_code, units

SUB_ROW_MARK = re.compile(r"^[-+•*–]\s*")
DECORATION = re.compile(r"^[\s\-–—=_.*|]+$")  # table borders typed as text
FIGURE_ROLES = ("target", "actual", "reported_pct")
# How near the second number of "a/b" must be to the target over the plan to be that target
# (a clerk multiplies exactly; this only absorbs a rounded target range bound).
PLAN_TARGET_TOLERANCE = 0.005
_ROLE_NAMES = {"target": "target (Mục tiêu)", "actual": "result (Thực hiện)",
               "reported_pct": "percentage (Tỷ lệ %)"}


# The fields of a record (_record), in order: the columns of the parsed rows' frame.
RECORD_FIELDS = (
    "source_district", "source_file", "source_sheet", "source_row", "reporting_unit", "label_key", "row_number",
    "row_label", "parent_label", "row_kind", "unit", "unit_raw", "target_unit", "actual_unit", "target_raw",
    "target_kind", "target_strict", "target_low", "target_high", "target_note", "actual_raw", "actual_value",
    "actual_text", "reported_pct_raw", "reported_pct", "note", "period_end", "is_estimate", "plan_years",
    "label_column", "unit_column", "target_column", "actual_column", "reported_pct_column",
)


@dataclass(frozen=True)
class TableContext:
    """What every row of one table shares."""

    source_district: str
    source_file: str
    sheet: SheetGrid
    location: TableLocation
    period: Period
    facts: SheetFacts = field(default_factory=SheetFacts)
    reporting_unit: str | None = None  # who the figures are about; the district when None


def parse_table(ctx: TableContext) -> tuple[list[dict], list[Finding]]:
    """Records for every non-blank row below the header, and what was doubtful about them.

    Every row gets the full reading (read_row). The loader reads a batch's tables column-wise
    (flows/parse/table_columns.py), giving this reading to the rows that need judgement only;
    this one is the reference its tests hold it to.
    """
    records: list[dict] = []
    findings: list[Finding] = []
    has_numbering = "row_number" in ctx.location.columns
    parent: str | None = None
    for row in range(ctx.location.data_start, ctx.location.body_end(ctx.sheet)):
        if row in ctx.location.repeated_header_rows:
            continue
        cells = {role: ctx.sheet.cell(row, col) for role, col in ctx.location.columns.items()}
        texts = {role: cell_text(value) for role, value in cells.items()}
        errors = _error_cells(ctx, row)
        cells.update(dict.fromkeys(errors))  # an error is no figure; its text stays as the cell's raw text
        texts.update(errors)
        if not any(texts.values()) or all(DECORATION.match(t) for t in texts.values() if t):
            continue
        label = texts.get("label", "")
        if not label:
            findings.append(unlabelled_row(ctx, row, texts))
            continue
        numbered = bool(texts.get("row_number"))
        is_sub_row = (has_numbering and not numbered) or bool(SUB_ROW_MARK.match(label))
        record, row_findings = read_row(ctx, row, cells, texts, parent if is_sub_row else None, errors)
        findings.extend(row_findings)
        records.append(record)
        if not is_sub_row:
            parent = label
    return records, findings


def _error_cells(ctx: TableContext, row: int) -> dict[str, str]:
    """The row's figure cells saved as an Excel error ("#DIV/0!"), by role. The reader reads them
    as empty; the guard's scan of the XML (SheetFacts.error_cells) knows better."""
    errors = {}
    for role in FIGURE_ROLES:
        column = ctx.location.columns.get(role)
        if column is not None and (row, column) in ctx.facts.error_cells:
            errors[role] = ctx.facts.error_cells[(row, column)] or "#?"
    return errors


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format_cell_number(float(value))
    return clean_text(str(value))


def unlabelled_row(ctx: TableContext, row: int, texts: dict[str, str]) -> Finding:
    has_figures = any(texts.get(r) for r in ("target", "actual", "reported_pct"))
    shown = "; ".join(f"{role}={text!r}" for role, text in texts.items() if text)
    if has_figures:
        return Finding("missing_label", f"row has figures but no indicator name in column "
                       f"{role_letter(ctx, 'label')}; add the name or delete the row ({shown})",
                       ctx.sheet.name, row + 1, role_letter(ctx, "label"), shown)
    return Finding("row_without_label", f"row has no indicator name and no figures; not loaded ({shown})",
                   ctx.sheet.name, row + 1, role_letter(ctx, "label"), shown)


def role_letter(ctx: TableContext, role: str) -> str | None:
    """The spreadsheet letter of the table's column for a role, None when the table has none."""
    col = ctx.location.columns.get(role)
    return None if col is None else column_letter(col)


def unit_column(ctx: TableContext, unit_written: str | None, unit_raw: str | None) -> str | None:
    """Where the row's unit was read: the unit cell when it is written or no unit is written anywhere
    (a finding on a missing unit points at the blank cell), the target cell when the unit came from a
    figure cell ("90%"); the target cell in a table with no unit column."""
    unit_letter = role_letter(ctx, "unit")
    if unit_letter is not None and (unit_written or not unit_raw):
        return unit_letter
    return role_letter(ctx, "target")


def label_and_parent(label: str, parent: str | None) -> tuple[str, ...]:
    """The labels whose words may complete a row's unit: its own, then its parent's."""
    return (label, parent) if parent else (label,)


def read_row(ctx: TableContext, row: int, cells: dict, texts: dict[str, str], parent: str | None,
             errors: dict[str, str] | None = None) -> tuple[dict, list[Finding]]:
    """One row's record and findings, every number weighed against the row's other figures."""
    findings: list[Finding] = []
    errors = errors or {}

    def flag(check_name: str, role: str, message: str, resolved_by: str | None = None,
             detail_vi: str | None = None) -> None:
        findings.append(Finding(check_name, message, ctx.sheet.name, row + 1, role_letter(ctx, role), texts.get(role),
                                resolved_by, detail_vi=detail_vi))

    if row in ctx.facts.hidden_rows:
        flag("hidden_row", "label", "the row is hidden in Excel; it was loaded. Unhide it or delete it")
    for role, error in errors.items():
        flag("unreadable_figure", role, f"the {_ROLE_NAMES[role]} cell holds the Excel error {_shown(error)!r} "
             f"({EXCEL_ERRORS} are what Excel shows for a formula it could not compute), so it has no figure; "
             "it is left empty and the rest of the row is loaded. Fix the formula in Excel, or type the figure")
    unevaluated = set()  # roles whose cell holds a formula never calculated: its error says the cell has no figure
    for role in ("target", "actual", "reported_pct"):
        column = ctx.location.columns.get(role)
        if column is not None and (row, column) in ctx.facts.formulas_without_value:
            unevaluated.add(role)
            flag("formula_without_value", role, "the cell holds a formula that was never calculated (no saved "
                 "value), so it has no figure; open the workbook in Excel, let it recalculate, save")
        if isinstance(cells.get(role), (bool, dt.date, dt.time, dt.timedelta)):
            flag("unexpected_cell_type", role, f"a {type(cells[role]).__name__} ({texts[role]!r}) where a figure "
                 "is expected; it is not read as one. Type the figure as a number or text")
            cells = {**cells, role: None}
    # An error cell reads as text from a number cell: meant as a figure (never words), and its
    # error text stays the raw text beside the empty figure.
    target, actual, pct = (Reading(errors[r], "text", from_numeric_cell=True) if r in errors
                           else read_cell(cells.get(r)) for r in FIGURE_ROLES)
    unit_raw = texts.get("unit") or target.unit_text or actual.unit_text
    if pct.unit_text not in ("", "%"):
        flag("unexpected_unit", "reported_pct", f"the percentage column holds {pct.raw!r}; expected a percentage")
    # Words after a figure's number that are no unit at all may change the figure ("12,1 nghìn tấn" is
    # 12.100 tấn): not read, rather than read in the row's unit.
    strange = {role: reading for role, reading in (("target", target), ("actual", actual))
               if unknown_unit_words(reading, unit_raw)}
    for role, reading in strange.items():
        flag("unreadable_figure", role, _unknown_unit_message(role, reading, unit_raw))
    target, actual = (Reading(r.raw, "text") if role in strange else r for role, r in (("target", target),
                                                                                      ("actual", actual)))
    kind = _row_kind(target, actual, pct)
    for role, reading in zip(FIGURE_ROLES, (target, actual, pct)):
        if role not in errors and role not in strange and (problem := _unread_figure(role, reading, target, kind)):
            flag("unreadable_figure", role, problem)

    # The label may finish what the cells say: a bound word before the target's number, a per-unit
    # suffix the unit column lacks. What the row says as a whole is what gets loaded, and what an
    # ambiguous number is resolved against.
    unit = unit_code(unit_raw)
    target_kind, target_strict, target_note = _target_with_label(texts["label"], target, unit)
    if label_unit := unit_in_label(label_and_parent(texts["label"], parent), unit):
        unit = label_unit.unit
        if label_unit.missing:
            flag("unit_dimension_unknown", "unit", f"the label says per {label_unit.missing} "
                 f"({label_unit.words!r}) but schemas/units.csv has no unit {unit} per {label_unit.missing}; "
                 f"the row keeps the unit {unit} as reported")
    # A unit written in a figure cell ("90%", "02 xã") is that figure's unit and wins over the row's:
    # kept apart only where it differs from the unit the row's was read from (the label completes it
    # the same way), so int_harmonised_rows brings the two figures to one unit or refuses to mix them.
    target_unit, actual_unit = (cell_unit(reading, unit_raw, labels=label_and_parent(texts["label"], parent))
                                for reading in (target, actual))
    for role, code in (("target", target_unit), ("actual", actual_unit)):
        if figure_unit_foreign(code, unit):
            flag("figure_unit_differs", role, f"the {_ROLE_NAMES[role]} writes its figure in {units()[code].name_vi} "
                 f"(the cell reads {texts[role]!r}), a unit that does not convert to the row's unit "
                 f"({units()[unit].name_vi}); the figure is kept in its own unit and is not judged against the "
                 "target. Write it in the row's unit")

    target_tokens = _target_tokens(target)
    actual_token = actual.numbers[0] if actual.is_numeric and kind == "measured" else None
    pct_token = pct.numbers[0] if pct.is_numeric else None
    choice = resolve(target_tokens, target_kind, actual_token, pct_token, _rules_out(unit, texts["label"]))
    reported_value = choice.values.get(id(pct_token)) if pct_token is not None else None
    for role, reading in (("target", target), ("actual", actual), ("reported_pct", pct)):
        for token in reading.numbers:
            # said only for a number that gets a finding: most numbers are plain, and this is the per-row path
            def said_vi(token=token) -> str:
                return _ambiguity_detail_vi(token, choice, reported_value, unit, texts["label"])
            if id(token) in choice.reinterpreted:
                flag("ambiguous_number", role, _reinterpreted_message(token, choice.values[id(token)], choice.evidence),
                     detail_vi=said_vi())
            elif id(token) in choice.settled:
                flag("ambiguous_number", role, f"{token.text!r} can be read as {describe(token)} ({token.ambiguity}); "
                     f"read as {format_number(choice.values[id(token)])}", resolved_by=choice.settled[id(token)],
                     detail_vi=said_vi())
            elif token.ambiguity and id(token) in choice.values:
                flag("ambiguous_number", role, _ambiguity_message(token, choice.values[id(token)], choice.evidence),
                     detail_vi=said_vi())

    target_low, target_high = target_bounds(target_tokens, target_kind, choice.values)
    actual_value = choice.values.get(id(actual_token)) if actual_token is not None else None
    reported = choice.values.get(id(pct_token)) if pct_token is not None else None
    if actual_token is not None:
        reference = target_high if target_high is not None else target_low
        _flag_unusual_actual(actual, flag, _plan_total_pair(actual, actual_value, reference, reported,
                                                            ctx.period.plan_years))
    elif kind == "measured" and actual.kind == "empty" and "actual" not in unevaluated:
        # an unevaluated formula's error already says the result cell has no figure: no second remark
        flag("missing_value", "actual", "the result cell is empty; fill it in or mark the row as not reported")
    if target.kind == "ratio":
        flag("compound_value", "target", f"target {target.raw!r} holds two numbers; the first is used")

    record = _record(ctx, row, texts, parent, kind, unit, unit_raw, (target_unit, actual_unit), target, target_kind,
                     target_strict, (target_low, target_high), target_note, actual, actual_value, pct, reported)
    return record, findings


def _target_with_label(label: str, target: Reading, unit: str | None) -> tuple[str, bool | None, str]:
    """The target's kind, strictness and note, with a bound the label states ("… mỗi năm trên" | 10)."""
    if label_bound := bound_in_label(label, target, unit):
        return label_bound.kind, label_bound.strict, "; ".join(
            filter(None, (target.note, f"bound stated in the label: {label_bound.words!r}")))
    return target.kind, target.strict, target.note


def _record(ctx: TableContext, row: int, texts: dict[str, str], parent: str | None, kind: str, unit: str | None,
            unit_raw: str, cell_units: tuple[str | None, str | None], target: Reading, target_kind: str,
            target_strict: bool | None, bounds: tuple[float | None, float | None], target_note: str,
            actual: Reading, actual_value: float | None, pct: Reading, reported: float | None) -> dict:
    """The row as the warehouse lands it: raw text beside every value read from it."""
    (target_low, target_high), (target_unit, actual_unit) = bounds, cell_units
    return {
        "source_district": ctx.source_district,
        "source_file": ctx.source_file,
        "source_sheet": ctx.sheet.name,
        "source_row": row + 1,
        "reporting_unit": ctx.reporting_unit or ctx.source_district,
        "label_key": label_key(texts["label"]),
        "row_number": texts.get("row_number") or None,
        "row_label": texts["label"],
        "parent_label": parent,
        "row_kind": kind,
        "unit": unit,
        "unit_raw": unit_raw or None,
        "target_unit": target_unit,
        "actual_unit": actual_unit,
        "target_raw": target.raw or None,
        "target_kind": target_kind if target_kind != "empty" else None,
        "target_strict": target_strict,
        "target_low": target_low,
        "target_high": target_high,
        "target_note": target_note or None,
        "actual_raw": actual.raw or None,
        "actual_value": actual_value,
        "actual_text": actual.raw if kind == "qualitative" and actual.raw else None,
        "reported_pct_raw": pct.raw or None,
        "reported_pct": reported,
        "note": texts.get("note") or None,
        "period_end": ctx.period.end,
        "is_estimate": ctx.period.is_estimate,
        "plan_years": ctx.period.plan_years,
        "label_column": role_letter(ctx, "label"),
        "unit_column": unit_column(ctx, texts.get("unit"), unit_raw),
        "target_column": role_letter(ctx, "target"),
        "actual_column": role_letter(ctx, "actual"),
        "reported_pct_column": role_letter(ctx, "reported_pct"),
    }


def cell_unit(reading: Reading, unit_raw: str, labels: tuple[str, ...]) -> str | None:
    """The catalogue unit a figure cell writes beside its number, when it is not the row's own unit."""
    if not reading.is_numeric or not reading.unit_text:
        return None
    code = unit_code(reading.unit_text)
    if code is None or code == unit_code(unit_raw or ""):
        return None
    completed = unit_in_label(labels, code)
    return completed.unit if completed else code


@cache
def _conversions() -> frozenset[tuple[str, str]]:
    return frozenset((row["from_unit"], row["to_unit"]) for row in table("unit_conversions.csv"))


def figure_unit_foreign(cell_code: str | None, row_unit: str | None) -> bool:
    """Whether a figure cell's own catalogue unit ("0,021 tỷ đồng" in a row of triệu đồng/người/năm, "47,5 ha"
    in a row of %) is another than its row's, with no conversion between the two (schemas/unit_conversions.csv)."""
    if not cell_code or row_unit is None or cell_code == row_unit:
        return False
    return (cell_code, row_unit) not in _conversions() and (row_unit, cell_code) not in _conversions()


def unknown_unit_words(reading: Reading, unit_raw: str) -> bool:
    """Whether a figure cell writes words after its number that are neither a unit of the catalogue nor
    the row's own unit words: a scale ("nghìn tấn"), a mark ("½", "²"), an unknown measure."""
    return reading.is_numeric and not unit_words_known(reading.unit_text, unit_raw)


def unit_words_known(words: str, unit_raw: str) -> bool:
    """Whether the words after a figure's number are no words, a catalogue unit or the row's own unit words."""
    return not words or unit_code(words) is not None or \
        clean_text(words).casefold() == clean_text(unit_raw or "").casefold()


def _unknown_unit_message(role: str, reading: Reading, unit_raw: str) -> str:
    row_unit = f"nor the row's unit {unit_raw!r}" if unit_raw else "and the row states no unit"
    return (f"the {_ROLE_NAMES[role]} {_shown(reading.raw)!r} writes {reading.unit_text!r} after its number, which is "
            f"no unit the catalogue knows {row_unit}; words such as 'nghìn' (thousand) or a mark such as '½' would "
            "change the figure, so it is left empty and the rest of the row is loaded. Write the figure in the row's "
            "unit, with no other words after it")


def _row_kind(target: Reading, actual: Reading, pct: Reading) -> str:
    """group, qualitative or measured, from the target and the result.

    The result decides: words are a qualitative answer, unless the target is a figure and the
    words are not a verdict (then a figure is missing, and _unread_figure reports it). With no
    result, a target in words makes the row qualitative. The percentage never turns a row with
    figures qualitative: "Đạt" there says the target was met, the figures still load.
    """
    if target.kind == actual.kind == pct.kind == "empty":
        return "group"
    if _is_words(actual):
        return "measured" if _is_figure(target) and not is_verdict(actual.raw) else "qualitative"
    if actual.kind == "empty" and (_is_words(target) or (target.kind == "empty" and _is_words(pct))):
        return "qualitative"
    return "measured"


def _is_figure(reading: Reading) -> bool:
    """A number, or something meant as one that could not be read ("1O2", a NaN number cell)."""
    return reading.is_numeric or (reading.kind == "text" and (reading.from_numeric_cell
                                                              or looks_like_figure(reading.raw)))


def _is_words(reading: Reading) -> bool:
    return reading.kind == "text" and not reading.from_numeric_cell and not looks_like_figure(reading.raw)


def _unread_figure(role: str, reading: Reading, target: Reading, kind: str) -> str | None:
    """Why a figure cell's text was not loaded as a figure, or None when it was read (or is a
    legitimate qualitative answer). Never a guess at what the clerk meant."""
    if reading.kind != "text":
        return None
    name, text = _ROLE_NAMES[role], _shown(reading.raw)
    example = "e.g. 95 or 87,5" if role == "reported_pct" else "e.g. 1.250 or 7,4"
    if reading.from_numeric_cell:  # a number cell that holds NaN or infinity: never a figure, nor words
        return (f"the {name} cell holds the number {text!r}, which is not a finite number (Excel never stores one; "
                "another program wrote the file); it is left empty and the rest of the row is loaded. Type the "
                f"figure ({example}) in Excel, save and send it again")
    if looks_like_figure(reading.raw):
        return (f"the {name} {text!r} cannot be read as a figure ({why_unreadable(reading.raw)}); it is left empty "
                f"and the rest of the row is loaded. Retype the figure as a plain number ({example}: a comma "
                "for decimals, dots between thousands) with only a unit after it, and put any remark in the notes")
    if kind == "measured" and role != "target" and not is_verdict(reading.raw):
        because = (f"the target {target.raw!r} is a figure" if _is_figure(target)
                   else "the row's other cells hold figures")
        return (f"the {name} holds the words {text!r} where a figure is expected ({because}); it is left empty "
                f"and the rest of the row is loaded. Type the figure ({example}), or a verdict such as "
                "Đạt, Không đạt, Giữ vững, Đảm bảo, Hoàn thành, or leave the cell empty if there is no figure")
    return None


def _shown(text: str) -> str:
    """A cell's text for a message: a paragraph is cut (the finding's raw_value keeps it whole)."""
    return text if len(text) <= 80 else text[:77] + "..."


def _target_tokens(target: Reading) -> tuple[NumberToken, ...]:
    if target.kind == "range":
        return target.numbers[:2]
    return target.numbers[:1] if target.is_numeric else ()


def _rules_out(unit: str | None, label: str):
    """Why a reading of a target or result is impossible for this row (schemas/plausibility.csv)."""
    def why(value: float) -> str | None:
        rule = broken_rule(unit, label, value)
        return None if rule is None else (f"outside {format_number(rule.min)} to {format_number(rule.max)} "
                                          f"{units()[unit].name_vi}: {rule.hint}")
    return why


def _plan_total_pair(actual: Reading, value: float | None, reference: float | None, reported: float | None,
                     plan_years: int) -> str | None:
    """The evidence that a result written "a/b" is a plan-period total against its plan-period target.

    "1.020/750" against 150 a year over 5 years, reported 136 %: 750 is 150 × 5 and 1.020 / 750 is
    136 %, so the cell states its own basis and the reported percentage confirms it.
    """
    if actual.kind != "ratio" or None in (value, reference, reported, actual.numbers[1].value) or not plan_years:
        return None
    second, plan_target = actual.numbers[1].value, reference * plan_years
    if not second or not math.isclose(second, plan_target, rel_tol=PLAN_TARGET_TOLERANCE) \
            or not close_to(value / second * 100.0, reported):
        return None
    return (f"{format_number(second)} is the yearly target over the {plan_years}-year plan "
            f"({format_number(reference)} × {plan_years}), and {format_number(value)} / {format_number(second)} = "
            f"{format_number(round(value / second * 100.0, 1))}% as reported")


def _flag_unusual_actual(actual: Reading, flag, plan_total: str | None = None) -> None:
    if actual.kind == "ratio":
        a, b = (describe(t) for t in actual.numbers)
        if plan_total:
            flag("compound_value", "actual", f"result {actual.raw!r} holds two numbers ({a} against {b}); "
                 f"{a} is loaded as the result, a total over the plan period", resolved_by=plan_total)
            return
        flag("compound_value", "actual",
             f"result {actual.raw!r} holds two numbers ({a} against {b}); {a} is loaded as the result. "
             "Report the result alone and put the comparison in the notes")
    elif actual.kind in ("at_least", "at_most"):
        flag("bound_as_result", "actual", f"result {actual.raw!r} is a bound, not a figure; its number is loaded")
    elif actual.kind == "range":
        flag("range_as_result", "actual", f"result {actual.raw!r} is a range, not a figure")


def _reinterpreted_message(token: NumberToken, chosen: float, evidence: str) -> str:
    return (f"{token.text!r} reads {format_number(token.candidates[0])} the local way, but "
            f"{format_number(chosen)} in the English convention, and only that reading fits: {evidence}. "
            "Check the cell and retype it with dots grouping thousands and a comma for decimals")


def _ambiguity_detail_vi(token: NumberToken, choice, reported: float | None, unit: str | None, label: str) -> str:
    """The ambiguous number in the clerk's words: its readings, the one taken and why (or why none was)."""
    chosen = choice.values.get(id(token))
    text, shown = token.text, float(chosen) if chosen is not None else None
    readings = {language: _either(token.candidates, language) for language in LANGUAGES}
    pct = Percent(reported) if reported is not None else None
    if id(token) in choice.reinterpreted:
        return say("finding.ambiguous_number.english_way", text=text, local=token.candidates[0], chosen=shown,
                   reported=pct)
    if chosen is None:
        return say("finding.ambiguous_number.left_empty", text=text, readings=readings)
    if not token.is_ambiguous:
        return say("finding.ambiguous_number.english_grouping", text=text, chosen=shown)
    for other in token.candidates:  # a reading the plausibility catalogue rules out for this indicator
        if other != chosen and (rule := broken_rule(unit, label, other)) is not None:
            return say("finding.ambiguous_number.implausible_other", text=text, readings=readings, chosen=shown,
                       other=other, low=rule.min, high=rule.max, unit=units()[unit].name_vi)
    if choice.basis == "pct" and pct is not None:
        return say("finding.ambiguous_number.by_percentage", text=text, readings=readings, chosen=shown, reported=pct)
    return say("finding.ambiguous_number.by_magnitude", text=text, readings=readings, chosen=shown)


def _either(values: tuple[float, ...], language: str) -> str:
    """ "1,95 hoặc 1.950": a number's readings in a language's words."""
    said = reader_format.number(values[0], language)
    for value in values[1:]:
        said = say("finding.ambiguous_number.or", language, first=said, second=value)
    return said


def _ambiguity_message(token: NumberToken, chosen: float | None, evidence: str) -> str:
    readings = describe(token)
    if chosen is None:
        return (f"{token.text!r} can be read as {readings} ({token.ambiguity}); left empty because there is "
                f"{evidence}. Retype the number with dots grouping thousands and a comma for decimals")
    if not token.is_ambiguous:
        return f"{token.text!r} is written with {token.ambiguity}; read as {format_number(chosen)}. Check the cell"
    return (f"{token.text!r} can be read as {readings} ({token.ambiguity}); read as {format_number(chosen)} "
            f"because {evidence}. Check the cell and retype it")
