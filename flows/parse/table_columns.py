"""Read the rows of a batch's tables as columns, not one row at a time.

flows/parse/rows.py parse_table reads a table row by row, every row with the full judgement of
its numbers, and stays the reference. Here the cells of every table of a batch are gathered into
one column per role and each rule runs once per batch: a cell's text and reading once per distinct
cell (a province's workbooks repeat their targets, units and labels; a number cell needs no
grammar at all), what the label adds once per distinct label, and the row rules (blank and border
rows, sub-rows and their parent, which rows need judgement, the record's fields) as array
operations over the batch.

Most rows need no judgement: figures that read one way only (no ambiguous number, no second
convention the reported percentage could prefer, no bound or range as a result, no compound
figure, no words where a figure belongs), a result wherever there is a target, on a visible row
without Excel errors or formula leftovers. Those are read here and make no finding by
construction. Every other row goes to rows.read_row, one at a time, as parse_table reads it.
tests/unit/parse/test_table_columns.py holds this reading's records and findings to parse_table's, over
generated tables and whole corpora.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from flows.core.attainment import pct_or_none
from flows.core.findings import Finding
from flows.core.labels import label_key
from flows.parse.evidence import BOUND_NUMBERS, within_evidence_window
from flows.parse.label_terms import bound_beside_number, unit_in_label
from flows.parse.rows import (
    DECORATION, FIGURE_ROLES, RECORD_FIELDS, SUB_ROW_MARK, TableContext, cell_text, cell_unit, label_and_parent,
    figure_unit_foreign, read_row, role_letter, unit_words_known, unlabelled_row,
)
from flows.parse.values import Reading, read_text_shared
from schemas.catalogues import unit_code

_PLAIN_KINDS = frozenset({"empty", "exact", "at_least", "at_most", "range"})


class FigureCell(NamedTuple):
    """What a figure cell says, when it reads one way only (`plain`)."""

    plain: bool
    kind: str = "text"
    first: float | None = None  # the first number's reading
    second: float | None = None  # a range's upper number
    unit_text: str = ""
    note: str = ""
    strict: bool | None = None
    foreign: bool = False  # a number the English convention reads otherwise
    reading: Reading | None = None  # kept for the unit written in the cell (texts only)


_EMPTY_CELL = FigureCell(True, "empty")
_JUDGED_CELL = FigureCell(False)


@dataclass
class TablesRead:
    """The records of a batch's tables and what was found in their rows."""

    rows: pd.DataFrame  # rows.RECORD_FIELDS, one row per record, in table then row order
    tables: np.ndarray  # for each record, the index of its table in the list read
    findings: list[list[Finding]]  # for each table, in row order


def read_tables(contexts: Sequence[TableContext]) -> TablesRead:
    """Every table's records and findings, as parse_table gives them, read column-wise."""
    if not contexts:
        return TablesRead(pd.DataFrame(columns=list(RECORD_FIELDS)), np.zeros(0, dtype=np.int64), [])
    grid = _Grid(contexts)
    findings: list[list[tuple[int, Finding]]] = [[] for _ in contexts]
    skipped = grid.blank_or_border()
    label = grid.texts["label"]
    labelled = label != ""
    for i in np.flatnonzero(~skipped & ~labelled):
        t, row = int(grid.table[i]), int(grid.row[i])
        findings[t].append((row, unlabelled_row(contexts[t], row, grid.row_texts(i))))
    records = np.flatnonzero(~skipped & labelled)
    parents = grid.parents(records)
    plain = _PlainRows(grid, records, parents)
    judged = np.flatnonzero(~plain.mask)
    judged_records = []
    for j in judged:
        i = records[j]
        t, row = int(grid.table[i]), int(grid.row[i])
        record, row_findings = read_row(contexts[t], row, grid.row_cells(i), grid.row_texts(i), parents[j],
                                        grid.row_errors(i))
        judged_records.append(record)
        findings[t].extend((row, finding) for finding in row_findings)
    columns = plain.columns()
    for field in RECORD_FIELDS:
        column = columns[field]
        if len(judged):
            column[judged] = _objects([record[field] for record in judged_records])
        columns[field] = column.tolist()
    return TablesRead(pd.DataFrame(columns, columns=list(RECORD_FIELDS)), grid.table[records],
                      [[finding for _, finding in sorted(found, key=lambda pair: pair[0])] for found in findings])


class _Grid:
    """The value cells of every table below its header, one column per role, one entry per sheet row."""

    def __init__(self, contexts: Sequence[TableContext]):
        self.contexts = contexts
        self.roles = sorted({role for ctx in contexts for role in ctx.location.columns})
        cells: dict[str, list] = {role: [] for role in self.roles}
        tables, rows = [], []
        for t, ctx in enumerate(contexts):
            start = ctx.location.data_start
            body = ctx.sheet.rows[start:ctx.location.body_end(ctx.sheet)]
            if ctx.location.repeated_header_rows:  # read as blank rows, which no record comes from
                body = [[] if start + i in ctx.location.repeated_header_rows else r for i, r in enumerate(body)]
            tables.append(np.full(len(body), t, dtype=np.int64))
            rows.append(np.arange(start, start + len(body), dtype=np.int64))
            for role in self.roles:
                col = ctx.location.columns.get(role)
                cells[role].extend([None] * len(body) if col is None else
                                   [r[col] if col < len(r) else None for r in body])
        self.table = np.concatenate(tables) if tables else np.zeros(0, dtype=np.int64)
        self.row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        self.errors = self._error_texts()
        # An Excel error is no figure; its text stays the cell's raw text (as in parse_table).
        self.cells = {role: _objects(values) for role, values in cells.items()}
        self.texts = {role: _per_distinct_cell(values, cell_text) for role, values in cells.items()}
        for role, errors in self.errors.items():
            where = np.flatnonzero(errors != None)  # noqa: E711 (element-wise on an object array)
            self.cells[role][where] = None
            self.texts[role][where] = errors[where]

    def _error_texts(self) -> dict[str, np.ndarray]:
        """For each figure role, the Excel error saved in the row's cell (the guard's SheetFacts), or None."""
        errors = {role: np.full(len(self.table), None, dtype=object) for role in FIGURE_ROLES if role in self.roles}
        offset = 0
        for ctx in self.contexts:
            start, height = ctx.location.data_start, max(ctx.location.body_end(ctx.sheet) - ctx.location.data_start, 0)
            columns = {col: role for role, col in ctx.location.columns.items() if role in FIGURE_ROLES}
            for (row, col), text in ctx.facts.error_cells.items():
                if col in columns and start <= row < start + height:
                    errors[columns[col]][offset + row - start] = text or "#?"
            offset += height
        return errors

    def blank_or_border(self) -> np.ndarray:
        """Rows with no text at all, or only table borders typed as text ("-----", "===")."""
        border_only = np.ones(len(self.table), dtype=bool)
        for texts in self.texts.values():
            border_only &= (texts == "") | _per_distinct(texts, lambda text: bool(DECORATION.match(text)))
        return border_only

    def parents(self, records: np.ndarray) -> np.ndarray:
        """For each record row, the label of the last main row above it in its table when it is a
        sub-row (unnumbered in a numbered table, or marked "-", "+", ...), else None."""
        label = self.texts["label"][records]
        numbered_table = np.array(["row_number" in ctx.location.columns for ctx in self.contexts], dtype=bool)
        numbered = (self.texts["row_number"][records] != "") if "row_number" in self.texts \
            else np.zeros(len(records), dtype=bool)
        sub_row = (numbered_table[self.table[records]] & ~numbered) | \
            _per_distinct(label, lambda text: bool(SUB_ROW_MARK.match(text)))
        main_labels = pd.Series(np.where(sub_row, None, label), dtype=object)
        above = main_labels.groupby(self.table[records]).ffill().to_numpy(dtype=object)
        return np.where(sub_row & pd.notna(above), above, None)  # a sub-row with no main row above: no parent

    def row_texts(self, i: int) -> dict[str, str]:
        """A row's texts by role, in its table's column order (as parse_table builds them)."""
        return {role: self.texts[role][i] for role in self.contexts[self.table[i]].location.columns}

    def row_cells(self, i: int) -> dict[str, object]:
        return {role: self.cells[role][i] for role in self.contexts[self.table[i]].location.columns}

    def row_errors(self, i: int) -> dict[str, str]:
        return {role: errors[i] for role, errors in self.errors.items() if errors[i] is not None}

    def per_table(self, value: Callable[[TableContext], object], at: np.ndarray) -> np.ndarray:
        """A value of each record's table."""
        return _objects([value(ctx) for ctx in self.contexts])[self.table[at]]


class _PlainRows:
    """The records of the rows that need no judgement, as columns over all record rows; `mask`
    says which rows they are (the other entries are to be filled from rows.read_row)."""

    def __init__(self, grid: _Grid, records: np.ndarray, parents: np.ndarray):
        self.grid, self.records, self.parents = grid, records, parents
        self.label = grid.texts["label"][records]
        figures = {role: self._figure_cells(role) for role in FIGURE_ROLES}
        target, actual, pct = (figures[role] for role in FIGURE_ROLES)
        self.target, self.actual, self.pct = target, actual, pct
        mask = target["plain"] & actual["plain"] & pct["plain"]
        mask &= _facts_free(grid, records)
        for role in FIGURE_ROLES:
            if role in grid.errors:
                mask &= grid.errors[role][records] == None  # noqa: E711
        mask &= np.isin(actual["kind"], ("empty", "exact")) & np.isin(pct["kind"], ("empty", "exact"))
        mask &= np.isin(pct["unit_text"], ("", "%"))
        self.group = (target["kind"] == "empty") & (actual["kind"] == "empty") & (pct["kind"] == "empty")
        mask &= self.group | (actual["kind"] != "empty")  # a missing result: a finding
        self.unit_written = self._texts("unit")
        self.unit_raw = np.where(self.unit_written != "", self.unit_written,
                                 np.where(target["unit_text"] != "", target["unit_text"], actual["unit_text"]))
        for figure in (target, actual):  # words after a number that are no unit: rows.read_row flags them
            mask &= np.array(_per_distinct_key(unit_words_known, figure["unit_text"], self.unit_raw), dtype=bool)
        unit = _per_distinct(self.unit_raw, unit_code, dtype=object)
        self.target_kind, self.target_strict, self.target_note = self._target_with_label(unit)
        label_units = _per_distinct_key(
            lambda label, parent, code: unit_in_label(label_and_parent(label, parent), code), self.label, parents, unit)
        mask &= ~np.array([found is not None and found.missing is not None for found in label_units], dtype=bool)
        self.unit = np.array([found.unit if found is not None else code for found, code in zip(label_units, unit)],
                             dtype=object)
        self.low, self.high = self._bounds()
        self.actual_value = np.where(actual["kind"] == "exact", actual["first"], None)
        self.reported = np.where(pct["kind"] == "exact", pct["first"], None)
        mask &= ~self._percentage_may_prefer_another_convention(mask)
        for figures in (target, actual):  # a figure in a unit that does not convert to its row's: rows.read_row flags it
            for i in np.flatnonzero(mask & (figures["unit_text"] != "")):
                code = cell_unit(figures["reading"][i], self.unit_raw[i], label_and_parent(self.label[i], parents[i]))
                mask[i] = not figure_unit_foreign(code, self.unit[i])
        self.mask = mask

    def _texts(self, role: str) -> np.ndarray:
        texts = self.grid.texts.get(role)
        return texts[self.records] if texts is not None else np.full(len(self.records), "", dtype=object)

    def _figure_cells(self, role: str) -> dict[str, np.ndarray]:
        cells = self.grid.cells.get(role)
        read = [_EMPTY_CELL] * len(self.records) if cells is None else \
            _per_distinct_cell(cells[self.records].tolist(), _figure_cell).tolist()
        columns = dict(zip(FigureCell._fields, (_objects(values) for values in zip(*read)))) if read else \
            {name: _objects([]) for name in FigureCell._fields}
        columns["plain"] = columns["plain"].astype(bool)
        return columns

    def _target_with_label(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """rows._target_with_label: a bound the label states before or around a plain-number target."""
        kind, strict, note = (self.target[name].copy() for name in ("kind", "strict", "note"))
        exact = np.flatnonzero(self.target["kind"] == "exact")
        bounds = _per_distinct_key(lambda label, number, code: bound_beside_number(label, (number,), code),
                                   self.label[exact], self.target["first"][exact], unit[exact])
        for i, bound in zip(exact, bounds):
            if bound is not None:
                kind[i], strict[i] = bound.kind, bound.strict
                note[i] = "; ".join(filter(None, (note[i], f"bound stated in the label: {bound.words!r}")))
        return kind, strict, note

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """evidence.target_bounds of the target's numbers under its kind (after the label's bound), from
        the same BOUND_NUMBERS; a plain row's target has no other kind but empty (no bound)."""
        numbers = (self.target["first"], self.target["second"])
        low, high = np.full(len(self.records), None, dtype=object), np.full(len(self.records), None, dtype=object)
        for kind, (low_at, high_at) in BOUND_NUMBERS.items():
            here = self.target_kind == kind
            if low_at is not None:
                low = np.where(here, numbers[low_at], low)
            if high_at is not None:
                high = np.where(here, numbers[high_at], high)
        return low, high

    def _percentage_may_prefer_another_convention(self, candidates: np.ndarray) -> np.ndarray:
        """Rows where a number also reads the English way and the percentage does not confirm the
        local reading: resolve() decides between them (read_row)."""
        doubtful = np.zeros(len(self.records), dtype=bool)
        foreign = self.target["foreign"].astype(bool) | self.actual["foreign"].astype(bool) | \
            self.pct["foreign"].astype(bool)
        has_target = self.target["kind"] != "empty"
        for i in np.flatnonzero(candidates & foreign & has_target & (self.actual_value != None)  # noqa: E711
                                & (self.reported != None)):  # noqa: E711
            doubtful[i] = not within_evidence_window(pct_or_none(self.actual_value[i], self.low[i], self.high[i]),
                                                   self.reported[i])
        return doubtful

    def columns(self) -> dict[str, np.ndarray]:
        """The record's fields (rows._record) for every record row; right where `mask` holds."""
        grid, records, n = self.grid, self.records, len(self.records)
        table = grid.table[records]

        def nothing_if_blank(texts: np.ndarray) -> np.ndarray:
            return np.where(texts != "", texts, None)

        def letter(role: str) -> np.ndarray:
            return grid.per_table(lambda ctx: role_letter(ctx, role), records)

        number = self._texts("row_number")
        cell_units = [self._cell_units(role) for role in ("target", "actual")]
        return {
            "source_district": grid.per_table(lambda ctx: ctx.source_district, records),
            "source_file": grid.per_table(lambda ctx: ctx.source_file, records),
            "source_sheet": grid.per_table(lambda ctx: ctx.sheet.name, records),
            "source_row": _objects((grid.row[records] + 1).tolist()),
            "reporting_unit": grid.per_table(lambda ctx: ctx.reporting_unit or ctx.source_district, records),
            "label_key": _per_distinct(self.label, label_key, dtype=object),
            "row_number": nothing_if_blank(number),
            "row_label": self.label.copy(),
            "parent_label": self.parents.copy(),
            "row_kind": np.where(self.group, "group", "measured").astype(object),
            "unit": self.unit,
            "unit_raw": nothing_if_blank(self.unit_raw),
            "target_unit": cell_units[0],
            "actual_unit": cell_units[1],
            "target_raw": nothing_if_blank(self._texts("target")),
            "target_kind": np.where(self.target_kind != "empty", self.target_kind, None),
            "target_strict": self.target_strict,
            "target_low": self.low,
            "target_high": self.high,
            "target_note": np.where(self.target_note != "", self.target_note, None),
            "actual_raw": nothing_if_blank(self._texts("actual")),
            "actual_value": self.actual_value,
            "actual_text": np.full(n, None, dtype=object),  # a plain row is never qualitative
            "reported_pct_raw": nothing_if_blank(self._texts("reported_pct")),
            "reported_pct": self.reported,
            "note": nothing_if_blank(self._texts("note")),
            "period_end": grid.per_table(lambda ctx: ctx.period.end, records),
            "is_estimate": grid.per_table(lambda ctx: ctx.period.is_estimate, records),
            "plan_years": grid.per_table(lambda ctx: ctx.period.plan_years, records),
            "label_column": letter("label"),
            "unit_column": self._unit_column(letter("unit"), letter("target")),
            "target_column": letter("target"),
            "actual_column": letter("actual"),
            "reported_pct_column": letter("reported_pct"),
        } if len(table) else {field: _objects([]) for field in RECORD_FIELDS}

    def _unit_column(self, unit_letters: np.ndarray, target_letters: np.ndarray) -> np.ndarray:
        """Where the row's unit was read (rows.py unit_column, its scalar twin): the unit cell when it is
        written or no unit is written anywhere (a finding on a missing unit points at the blank cell),
        the target cell when the unit came from a figure cell ("90%"); the target cell in a table
        with no unit column."""
        at_unit_cell = ((self.unit_written != "") | (self.unit_raw == "")) & np.array(
            [letter is not None for letter in unit_letters], dtype=bool)
        return np.where(at_unit_cell, unit_letters, target_letters)

    def _cell_units(self, role: str) -> np.ndarray:
        """rows.cell_unit for the figure cells that write a unit beside their number (few do)."""
        figures = self.target if role == "target" else self.actual
        found = np.full(len(self.records), None, dtype=object)
        for i in np.flatnonzero(self.mask & (figures["unit_text"] != "")):
            labels = label_and_parent(self.label[i], self.parents[i])
            found[i] = cell_unit(figures["reading"][i], self.unit_raw[i], labels)
        return found


def _facts_free(grid: _Grid, records: np.ndarray) -> np.ndarray:
    """Rows that the guard's facts leave alone: not hidden, no figure formula without a saved value."""
    free = np.ones(len(records), dtype=bool)
    flagged = set()
    for t, ctx in enumerate(grid.contexts):
        figure_columns = {ctx.location.columns[role] for role in FIGURE_ROLES if role in ctx.location.columns}
        flagged.update((t, row) for row in ctx.facts.hidden_rows)
        flagged.update((t, row) for row, col in ctx.facts.formulas_without_value if col in figure_columns)
    if flagged:
        free &= np.array([(t, row) not in flagged for t, row in zip(grid.table[records].tolist(),
                                                                     grid.row[records].tolist())], dtype=bool)
    return free


def _figure_cell(value: object) -> FigureCell:
    """A figure cell's reading when it reads one way only; _JUDGED_CELL for anything else."""
    if value is None:
        return _EMPTY_CELL
    if isinstance(value, str):
        reading = read_text_shared(value)  # None for a text too long to remember: read_row reads it
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return FigureCell(True, "exact", number) if math.isfinite(number) else _JUDGED_CELL
    else:
        return _JUDGED_CELL  # a date, time or boolean: a finding
    if reading is None or reading.kind not in _PLAIN_KINDS or \
            any(len(t.candidates) != 1 or t.ambiguity for t in reading.numbers):
        return _JUDGED_CELL
    numbers = reading.numbers
    return FigureCell(True, reading.kind, numbers[0].candidates[0] if numbers else None,
                      numbers[1].candidates[0] if len(numbers) > 1 else None, reading.unit_text, reading.note,
                      reading.strict, any(t.foreign for t in numbers), reading)


def _objects(values) -> np.ndarray:
    """A one-dimensional object array of the values as they are (np.array would unpack sequences)."""
    values = list(values)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _per_distinct(texts: np.ndarray, read: Callable[[str], object], dtype=bool) -> np.ndarray:
    """read() of each distinct text, spread back over the rows."""
    codes, distinct = pd.factorize(texts)
    if not len(distinct):
        return np.zeros(0, dtype=dtype)
    values = np.empty(len(distinct), dtype=dtype)
    values[:] = [read(text) for text in distinct]
    return values[codes]


def _per_distinct_cell(cells: list, read: Callable[[object], object]) -> np.ndarray:
    """read() of each distinct cell, spread back over the rows.

    Cells are told apart by value, hashed in bulk: an int and the float of the same value read
    the same. A boolean is not (True == 1 to Python), so a column holding one is told apart by
    type and value one cell at a time.
    """
    array = _objects(cells)
    if bool in set(map(type, cells)):
        known: dict[Hashable, object] = {}
        return _objects([known[key] if (key := (cell.__class__, cell)) in known else
                         known.setdefault(key, read(cell)) for cell in cells])
    codes, distinct = pd.factorize(array)  # None and NaN are coded -1
    found = _objects([read(cell) for cell in distinct] + [read(None)])[codes]
    for code, cell in enumerate(distinct):  # 0.0 and -0.0 are one key too: each zero keeps its sign
        if cell.__class__ is float and cell == 0.0:
            for i in np.flatnonzero(codes == code):
                if math.copysign(1.0, array[i]) != math.copysign(1.0, cell):
                    found[i] = read(array[i])
    not_a_number = (codes == -1) & (array != None)  # noqa: E711 (element-wise: the -1 that are not None)
    where = np.flatnonzero(not_a_number)
    if len(where):
        found[where] = _objects([read(array[where[0]])] * len(where))
    return found


def _per_distinct_key(read: Callable[..., object], *columns: np.ndarray) -> list:
    """read(*values) once per distinct combination of the columns' values, in row order."""
    known: dict[tuple, object] = {}
    found = []
    for key in zip(*(column.tolist() for column in columns)):
        value = known.get(key, known)
        if value is known:
            value = known[key] = read(*key)
        found.append(value)
    return found
