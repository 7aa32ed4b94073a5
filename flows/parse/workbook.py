"""One workbook from file to parsed records: district, sheets, table, period, rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from flows.ingest.extract import SheetGrid, WorkbookError, show_percent_formats
from flows.ingest.guard import MAX_FILE_BYTES, SheetFacts, UnsafeWorkbook, format_kind
from flows.ingest.sandbox import ReaderFault, read_in_sandbox
from flows.core.labels import label_key
from flows.core.text import column_letter
from flows.ingest.legacy_text import detect, to_unicode
from flows.core.feedback_sheet import is_feedback_sheet
from flows.core.findings import ERROR, Finding, exception_reason
from flows.core.messages import say
from flows.parse.locate import HeaderError, TableLocation, locate_tables
from flows.ingest.paths import ReportingPath, district_of, reporting_path, source_name
from flows.ingest.raw_files import LinkOutsideFolder, NotARegularFile, open_regular
from flows.parse.period import Period, read_period
from flows.parse.placement import folder_month_contradicted, other_district_in_title, unknown_commune
from flows.parse.rows import FIGURE_ROLES, RECORD_FIELDS, TableContext
from flows.parse.table_columns import read_tables
from schemas.catalogues import districts, layout

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


def no_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=list(RECORD_FIELDS))


@dataclass
class WorkbookResult:
    """Everything one workbook yields.

    `loaded` is False when the whole file was rejected. `pending` marks a file that could not be
    read this time for a reason outside its content (it vanished, was still being copied, the
    disk or the loader failed): it is not recorded as read, so the next run reads it again.
    """

    source_district: str | None
    source_file: str  # path relative to the raw folder, with forward slashes
    sha256: str | None
    size_bytes: int
    modified_at: dt.datetime | None = None
    # The records read (flows/parse/rows.py RECORD_FIELDS), for a workbook read alone (None: no
    # rows); a batch keeps the records of all its workbooks in one frame (WorkbooksRead).
    rows: pd.DataFrame | None = None
    findings: list[Finding] = field(default_factory=list)
    loaded: bool = True
    pending: bool = False
    ignored: bool = False  # an entry of raw/ that is not read (hidden, a lock file, a system file): named only

    @property
    def records(self) -> list[dict]:
        """The rows as records, a missing value as None."""
        return [] if self.rows is None else [
            {name: None if isinstance(value, float) and math.isnan(value) else value for name, value in record.items()}
            for record in self.rows.to_dict("records")]

    def reject(self, check_name: str, message: str, sheet: str | None = None,
               detail_vi: str | None = None) -> "WorkbookResult":
        self.findings.append(Finding(check_name, message, sheet, detail_vi=detail_vi))
        self.rows = None
        self.loaded = False
        return self

    def fail(self, doing: str, exc: BaseException) -> "WorkbookResult":
        """The loader itself failed on this file: left for the next run, with the reason."""
        return self.defer("processing_failed", f"the loader failed {doing} ({exception_reason(exc)}); the other "
                          "files were loaded. If it happens again, send this file to the warehouse's maintainers")

    def defer(self, check_name: str, message: str) -> "WorkbookResult":
        """Leave the file for the next run; what a half-finished reading found is dropped with it."""
        self.findings = [Finding(check_name, message + "; the next run reads it again")]
        self.rows = None
        self.loaded = False
        self.pending = True
        return self


def process_workbook(path: Path, raw_dir: Path, expected_sha256: str | None = None) -> WorkbookResult:
    """Read, locate and parse one workbook; every problem becomes a finding on this file alone.

    expected_sha256 is the fingerprint taken when the run started: a file whose content differs
    now is still being written, and is left for the next run. No exception leaves this function:
    one file's fault, whatever it is, must not take its batch or the night's load with it.
    """
    read = read_workbooks([(path, expected_sha256)], raw_dir)
    read.results[0].rows = read.rows
    return read.results[0]


@dataclass
class WorkbooksRead:
    """The workbooks of a batch: each one's result, and the records of all of them in one frame."""

    results: list[WorkbookResult]
    rows: pd.DataFrame  # RECORD_FIELDS; the rows of loaded workbooks only
    workbook: np.ndarray  # for each row, the index of its workbook in results

    @classmethod
    def of(cls, results: Sequence[WorkbookResult]) -> WorkbooksRead:
        """Workbooks read one by one, each with its own rows."""
        parts = [(i, result.rows) for i, result in enumerate(results) if result.loaded and result.rows is not None]
        return cls(list(results), pd.concat([rows for _, rows in parts] or [no_rows()], ignore_index=True),
                   np.repeat(np.array([i for i, _ in parts], dtype=np.int64), [len(rows) for _, rows in parts]))

    def rows_of(self, index: int) -> pd.DataFrame:
        return self.rows[self.workbook == index].reset_index(drop=True)


@dataclass
class _Opened:
    """A workbook read up to its located tables; `slots` says where in its findings each table's go."""

    result: WorkbookResult
    tables: list[TableContext] = field(default_factory=list)
    slots: list[int] = field(default_factory=list)


def read_workbooks(files: Sequence[tuple[Path, str | None] | tuple[Path, str | None, bool]],
                   raw_dir: Path) -> WorkbooksRead:
    """Read, locate and parse workbooks, the rows of all their tables read at once, column-wise
    (flows/parse/table_columns.py). Like process_workbook, no exception leaves it: should the
    reading of the batch fail, each workbook is read alone, and one that fails alone is left for
    the next run with a finding."""
    # (path, the content hash expected, whether the reader's sandbox failed on that content last run)
    opened = [_open_safely(path, raw_dir, *rest) for path, *rest in files]
    try:
        return _read_opened(opened)
    except Exception as exc:
        if len(opened) == 1:
            return _failed(opened[0], exc)
    alone = [_read_workbook_alone(one) for one in opened]
    for read in alone:
        read.results[0].rows = read.rows
    return WorkbooksRead.of([read.results[0] for read in alone])


def _read_workbook_alone(one: _Opened) -> WorkbooksRead:
    try:
        return _read_opened([one])
    except Exception as exc:
        return _failed(one, exc)


def _failed(one: _Opened, exc: Exception) -> WorkbooksRead:
    one.result.fail("reading this file's rows", exc)
    return _read_opened([_Opened(one.result)])


def _open_safely(path: Path, raw_dir: Path, expected_sha256: str | None, reader_failed_before: bool = False) -> _Opened:
    relative = path.relative_to(raw_dir)
    name, name_is_text = source_name(relative)
    opened = _Opened(WorkbookResult(district_of(relative), name, expected_sha256, 0))
    try:
        return _open(path, opened, expected_sha256, name_is_text, reader_failed_before)
    except Exception as exc:  # a fault of the loader or the machine, not a verdict on the file
        opened.result.fail("reading this file", exc)
        return _Opened(opened.result)


def _read_opened(opened: list[_Opened]) -> WorkbooksRead:
    """Read the rows of the opened workbooks' tables, then finish each workbook. No result changes
    until all is read, so that a reading that fails can be done again workbook by workbook."""
    owners = np.array([w for w, one in enumerate(opened) for _ in one.tables], dtype=np.int64)
    read = read_tables([ctx for one in opened for ctx in one.tables])
    workbook = owners[read.tables]
    duplicated, duplicate_findings = _duplicate_rows(read.rows, workbook)
    findings, first_table = [], 0
    for one in opened:
        found = list(one.result.findings)
        for k, slot in reversed(list(enumerate(one.slots))):  # from the last, so earlier slots keep their place
            found[slot:slot] = read.findings[first_table + k]
        findings.append(found)
        first_table += len(one.tables)
    kept = ~duplicated
    rows, workbook = read.rows[kept].reset_index(drop=True), workbook[kept]
    counts = np.bincount(workbook, minlength=len(opened))
    for w, one in enumerate(opened):
        result = one.result
        if not result.loaded:  # rejected or left for the next run while it was opened
            continue
        result.findings = findings[w] + duplicate_findings.get(w, [])
        if not counts[w] and not any(f.severity == ERROR for f in result.findings):
            result.reject("empty_table", "the table header was found but no indicator rows below it")
        result.loaded = bool(counts[w])
    return WorkbooksRead([one.result for one in opened], rows, workbook)


def _duplicate_rows(rows: pd.DataFrame, workbook: np.ndarray) -> tuple[np.ndarray, dict[int, list[Finding]]]:
    """Two rows of one workbook for the same indicator: neither is loaded, both are reported.

    (which rows are duplicated, the findings of each workbook)."""
    if rows.empty:
        return np.zeros(len(rows), dtype=bool), {}
    parent_keys = rows["parent_label"].fillna("").map(label_key)
    keys = pd.DataFrame({"workbook": workbook, "label": rows["label_key"], "parent": parent_keys,
                         "period": rows["period_end"]})
    duplicated = (rows["row_kind"] != "group").to_numpy() & \
        keys.where(rows["row_kind"] != "group").duplicated(keep=False).to_numpy()
    groups: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(duplicated):
        groups.setdefault(tuple(keys.iloc[i]), []).append(i)
    findings: dict[int, list[Finding]] = {}
    for group in groups.values():
        records = rows.iloc[group]
        where = ", ".join(f"{sheet} row {row}" for sheet, row in zip(records["source_sheet"], records["source_row"]))
        for record in records.itertuples(index=False):
            findings.setdefault(int(workbook[group[0]]), []).append(Finding(
                "duplicate_indicator_row", f"{record.row_label!r} appears more than once ({where}); none "
                "of them is loaded. Keep one row per indicator", record.source_sheet, int(record.source_row),
                record.label_column, record.row_label))
    return duplicated, findings


def read_bounded(path: Path, result: WorkbookResult) -> bytes | None:
    """The file's bytes, read once; None (with the finding made) when it must not or cannot be read.

    The size is judged from the open file before a byte is read, and at most one byte more than
    the limit is ever read: a 1 GB file costs no memory to reject.
    """
    try:
        with open_regular(path, confined_to=path.parent) as handle:
            info = os.fstat(handle.fileno())
            result.size_bytes = info.st_size
            result.modified_at = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc)
            if info.st_size > MAX_FILE_BYTES:
                result.reject("file_too_large", f"the file is {info.st_size // 2**20} MB; a district workbook "
                              f"is far below the {MAX_FILE_BYTES // 2**20} MB limit. Send the indicator table alone")
                return None
            content = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        result.defer("file_vanished", "the file was in the raw folder when the load started and was gone when "
                     "it was read (moved or renamed meanwhile?)")
        return None
    except LinkOutsideFolder:
        result.reject("link_outside_folder", "the entry is a link to a file outside the folder that holds it (the "
                      "folder says which district or commune the figures are about); it was not read. Put a copy of "
                      "the workbook itself in the folder of the unit it reports on")
        return None
    except NotARegularFile as exc:
        result.defer("not_a_file", f"the entry is {exc}; only workbook files are loaded: put the .xlsx file "
                     "itself in the raw folder")
        return None
    except OSError as exc:
        result.defer("file_unreadable", f"the file could not be read ({exception_reason(exc)}); check that it "
                     "is complete and that the loader may read it")
        return None
    if len(content) > MAX_FILE_BYTES:  # it grew past the limit after the size was taken
        result.defer("file_changed_during_load", "the file grew while the load was reading it (still being "
                     "copied?)")
        return None
    return content


def _open(path: Path, opened: _Opened, expected_sha256: str | None, name_is_text: bool,
          reader_failed_before: bool = False) -> _Opened:
    """The workbook checked, read and its tables located; a file rejected on the way has none."""
    result = opened.result
    content = read_bounded(path, result)
    if content is None:
        return opened
    result.sha256 = hashlib.sha256(content).hexdigest()
    if expected_sha256 is not None and result.sha256 != expected_sha256:
        result.defer("file_changed_during_load", "the file changed while the load was reading it (still "
                     "being copied?); it is not loaded now")
        return opened
    if not name_is_text:
        result.reject("invalid_file_name", "the file name is not valid Unicode (UTF-8) text (undecodable "
                      "bytes are shown as \\xNN); rename the file, typing its name again, and it will load")
        return opened
    if result.source_district is None:
        known = ", ".join(sorted(districts()))
        result.reject("unknown_district", f"the file is not inside a former district's folder ({known}); "
                      "move it to raw/<district>/")
        return opened
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        if path.suffix.strip().lower() in WORKBOOK_SUFFIXES:  # "bao_cao.xlsx ": the space is invisible in a list
            why = f"the name ends in {path.suffix!r}, with a space after the extension; rename it without the space"
        else:
            why = (f"{path.suffix!r} is not a workbook's file type" if path.suffix else "the name has no file "
                   "type") + "; only .xlsx workbooks are loaded: save it from Excel as .xlsx (Excel Workbook)"
        result.reject("unsupported_file", why)
        return opened
    try:
        # guarded and read in a bounded process of its own: a reader that aborts, runs out of memory
        # or hangs on this file costs this file, not the night
        sheet_facts, sheets = read_in_sandbox(content)
    except UnsafeWorkbook as exc:
        result.reject(exc.check_name, str(exc))
        return opened
    except WorkbookError as exc:
        result.reject("unreadable_workbook", str(exc))
        return opened
    except ReaderFault as exc:
        if reader_failed_before:
            result.reject(exc.check_name, f"{exc}; it did so on the previous run too, so it is not read again "
                          "until the file changes")
        else:
            result.defer(exc.check_name, str(exc))
        return opened

    place = reporting_path(result.source_file)
    if problem := place.ambiguous or unknown_commune(place.reporting_unit):
        result.reject("unknown_reporting_unit", problem)
        return opened
    tables_found = 0
    cover: list[str] = []  # the words of sheets without a table before it: a cover may name the district
    for sheet in sheets:
        if sheet.rows and is_feedback_sheet(sheet.name, sheet.text(0, 0)):
            continue  # the findings our feedback workbook listed, sent back with the corrected file
        facts = sheet_facts.get(sheet.position, SheetFacts())
        _show_percent_formats(result, sheet, facts)
        _decode_legacy_text(result, sheet)
        try:
            located = locate_tables(sheet, layout())
        except HeaderError as exc:
            result.findings.append(Finding("header_not_recognised", f"sheet not loaded: {exc}", sheet.name))
            tables_found += 1  # a table was there; it is the header that failed
            continue
        if not located.tables:  # a cover or notes sheet: nothing to load, nothing wrong
            cover += [" ".join(sheet.text(r, c) for c in range(sheet.width)) for r in range(min(len(sheet.rows), 40))]
            continue
        tables_found += 1
        stated = None  # the period the table above states: a header repeated without a title continues it
        for location in located.tables:
            if other := other_district_in_title(result.source_district, cover + location.title_lines):
                return _misplaced(opened, sheet, other)
            stated = table_period(location) if location.title_lines or stated is None else stated
            if contradiction := folder_month_contradicted(stated, place.period_end):
                result.findings.append(Finding("period_conflict", contradiction, sheet.name, location.header_row + 1,
                                               detail_vi=_period_conflict_vi(stated, place.period_end)))
                continue
            _flag_formats_shown_otherwise(result, sheet, location, facts)
            period = _with_path_period(stated, place)
            _flag_period(result, sheet.name, period)
            if sheet.hidden and location is located.tables[0]:
                result.findings.append(Finding("hidden_sheet", "the sheet is hidden in Excel; it was loaded",
                                               sheet.name))
            opened.tables.append(TableContext(result.source_district, result.source_file, sheet, location, period,
                                              facts, place.reporting_unit or result.source_district))
            opened.slots.append(len(result.findings))
        for row, problem in located.unrecognised:
            result.findings.append(Finding(
                "header_not_recognised", f"the rows from row {row + 1} down were not loaded: {problem}",
                sheet.name, row + 1))

    if tables_found == 0:
        names = ", ".join(repr(s.name) for s in sheets) or "none"
        result.reject("header_not_found", f"no sheet has an indicator table header (sheets: {names}); "
                      "the header row must name the columns Chỉ tiêu, Mục tiêu and Thực hiện")
    return opened


def _period_conflict_vi(stated, month: dt.date) -> str:
    """The folder's month and the table's own date, in the clerk's words (the message says the same in English)."""
    return say("finding.period_conflict.detail", month=f"{month:%m/%Y}", stated=stated.end,
               evidence=stated.evidence or "")


def _misplaced(opened: _Opened, sheet: SheetGrid, other: str) -> _Opened:
    """Reject a workbook whose title says it holds another former district's figures than its folder's."""
    names = districts()
    opened.result.reject("district_mismatch", f"the title says the figures are those of {names[other]['name_vi']}, "
                         f"but the file is in the folder of {names[opened.result.source_district]['name_vi']}; "
                         f"it was not loaded. Move it to raw/{other}/, or correct its title", sheet.name,
                         detail_vi=say("finding.district_mismatch.detail", title=names[other]["name_vi"],
                                       folder=names[opened.result.source_district]["name_vi"]))
    opened.tables.clear()
    opened.slots.clear()
    return opened


def _show_percent_formats(result: WorkbookResult, sheet: SheetGrid, facts: SheetFacts) -> None:
    """Read percent-formatted number cells as the percentages Excel shows (0.49 as 49 %), and say so once
    per sheet, with the cells and what they store: the rows then judge the unit as for a typed "49%"."""
    changed = show_percent_formats(sheet, facts.percent_cells)
    if not changed:
        return
    shown = ", ".join(f"{column_letter(col)}{row + 1} {sheet.rows[row][col].stored:g} ({sheet.rows[row][col].format_code})"
                      for row, col in changed[:10])
    more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
    result.findings.append(Finding(
        "excel_percent_format", f"{len(changed)} number cells formatted as Excel percentages were read as the "
        f"percentages Excel shows: {shown}{more}", sheet.name, raw_value=shown,
        resolved_by="each cell's own number format, which Excel shows as a percentage"))


_SHOWN = {"scaled": "the number scaled", "literal": "text around the number", "hidden": "nothing"}


def _flag_formats_shown_otherwise(result: WorkbookResult, sheet: SheetGrid, location: TableLocation,
                                  facts: SheetFacts) -> None:
    """A figure cell whose number format makes Excel show another figure than the one stored ("#,##0,"
    shows 934000 as 934, '"> "0' shows 95 as "> 95", ";;;" shows nothing): a warning on its row, and the
    stored number is what loads; what Excel shows is not guessed."""
    figure_columns = {location.columns[role] for role in FIGURE_ROLES if role in location.columns}
    for (row, col), code in sorted(facts.shown_otherwise.items()):
        if not location.data_start <= row < location.body_end(sheet) or col not in figure_columns:
            continue
        stored = sheet.cell(row, col)
        result.findings.append(Finding(
            "excel_number_format", f"the cell stores {stored!r} but its number format {code!r} makes Excel show "
            f"another figure ({_SHOWN[format_kind(code)]}); the stored number was loaded. Type the figure as it is "
            "meant, without the format", sheet.name, row + 1,
            column_letter(col), f"{stored} ({code})"))


def _decode_legacy_text(result: WorkbookResult, sheet: SheetGrid) -> None:
    """Convert a sheet typed in TCVN3 or VNI to Unicode; flag one that mixes encodings."""
    texts = [cell for row in sheet.rows for cell in row if isinstance(cell, str)]
    verdict = detect(texts)
    if verdict.encoding == "mixed":
        result.findings.append(Finding("mixed_encoding", "the sheet mixes Unicode with legacy (TCVN3/VNI) "
                                       f"text ({verdict.evidence}); it is read as it is. Retype the legacy cells in "
                                       "Unicode", sheet.name))
    elif verdict.encoding != "unicode":
        sheet.rows = [[to_unicode(c, verdict.encoding) if isinstance(c, str) else c for c in row] for row in sheet.rows]
        result.findings.append(Finding("legacy_encoding_converted", f"the sheet was typed in "
                                       f"{verdict.encoding.upper()} ({verdict.evidence}) and was converted to "
                                       "Unicode; save future workbooks with a Unicode font", sheet.name))


def _with_path_period(period: Period, place: ReportingPath) -> Period:
    """A month folder (raw/<district>/<commune>/2024-03/) dates the figures; the title says if estimated."""
    if place.period_end is None:
        return period
    return replace(period, end=place.period_end, evidence=f"folder {place.period_end:%Y-%m}", assumed=False)


def table_period(location: TableLocation) -> Period:
    """The period, from the result column's header first, then the title block as one text
    (titles wrap: "... giai đoạn" / "2015- 2020 (... đến hết năm 2019)")."""
    return read_period([location.headers["actual"], " ".join(location.title_lines)])


def _flag_period(result: WorkbookResult, sheet: str, period: Period) -> None:
    if period.end is None:
        result.findings.append(Finding(
            "period_missing",
            "neither the title nor the header says which year the figures refer to "
            "(e.g. 'số liệu tính đến hết năm 2019'); period_end is empty", sheet))
    elif period.assumed:
        result.findings.append(Finding(
            "period_assumed",
            f"the year is taken from the plan period {period.evidence!r}; say 'đến hết năm YYYY' in the title",
            sheet))
