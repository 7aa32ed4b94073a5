"""One workbook from file to parsed records: district, sheets, table, period, rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from flows.ingest.extract import SheetGrid, WorkbookError, read_workbook
from flows.ingest.guard import MAX_FILE_BYTES, SheetFacts, UnsafeWorkbook, inspect_workbook
from flows.core.labels import label_key
from flows.ingest.legacy_text import detect, to_unicode
from flows.core.findings import ERROR, Finding, exception_reason
from flows.parse.locate import HeaderError, TableLocation, locate_table
from flows.ingest.paths import ReportingPath, district_of, reporting_path, source_name
from flows.ingest.raw_files import NotARegularFile, open_regular
from flows.parse.period import Period, read_period
from flows.parse.rows import TableContext, parse_table
from schemas.catalogues import districts, layout

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


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
    records: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    loaded: bool = True
    pending: bool = False

    def reject(self, check_name: str, message: str, sheet: str | None = None) -> "WorkbookResult":
        self.findings.append(Finding(check_name, message, sheet))
        self.records = []
        self.loaded = False
        return self

    def fail(self, doing: str, exc: BaseException) -> "WorkbookResult":
        """The loader itself failed on this file: left for the next run, with the reason."""
        return self.defer("processing_failed", f"the loader failed {doing} ({exception_reason(exc)}); the other "
                          "files were loaded. If it happens again, send this file to the warehouse's maintainers")

    def defer(self, check_name: str, message: str) -> "WorkbookResult":
        """Leave the file for the next run; what a half-finished reading found is dropped with it."""
        self.findings = [Finding(check_name, message + "; the next run reads it again")]
        self.records = []
        self.loaded = False
        self.pending = True
        return self


def process_workbook(path: Path, raw_dir: Path, expected_sha256: str | None = None) -> WorkbookResult:
    """Read, locate and parse one workbook; every problem becomes a finding on this file alone.

    expected_sha256 is the fingerprint taken when the run started: a file whose content differs
    now is still being written, and is left for the next run. No exception leaves this function:
    one file's fault, whatever it is, must not take its batch or the night's load with it.
    """
    relative = path.relative_to(raw_dir)
    name, name_is_text = source_name(relative)
    result = WorkbookResult(district_of(relative), name, expected_sha256, 0)
    try:
        return _process(path, result, expected_sha256, name_is_text)
    except Exception as exc:  # a fault of the loader or the machine, not a verdict on the file
        return result.fail("reading this file", exc)


def read_bounded(path: Path, result: WorkbookResult) -> bytes | None:
    """The file's bytes, read once; None (with the finding made) when it must not or cannot be read.

    The size is judged from the open file before a byte is read, and at most one byte more than
    the limit is ever read: a 1 GB file costs no memory to reject.
    """
    try:
        with open_regular(path) as handle:
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


def _process(path: Path, result: WorkbookResult, expected_sha256: str | None, name_is_text: bool) -> WorkbookResult:
    content = read_bounded(path, result)
    if content is None:
        return result
    result.sha256 = hashlib.sha256(content).hexdigest()
    if expected_sha256 is not None and result.sha256 != expected_sha256:
        return result.defer("file_changed_during_load", "the file changed while the load was reading it (still "
                            "being copied?); it is not loaded now")
    if not name_is_text:
        return result.reject("invalid_file_name", "the file name is not valid Unicode (UTF-8) text (undecodable "
                             "bytes are shown as \\xNN); rename the file, typing its name again, and it will load")
    if result.source_district is None:
        known = ", ".join(sorted(districts()))
        return result.reject("unknown_district", f"the file is not inside a former district's folder ({known}); "
                             "move it to raw/<district>/")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return result.reject("unsupported_file", f"{path.suffix or 'no'} file type: only .xlsx workbooks are "
                             "loaded; save it from Excel as .xlsx (Excel Workbook)")
    try:
        sheet_facts = inspect_workbook(content)
    except UnsafeWorkbook as exc:
        return result.reject(exc.check_name, str(exc))
    try:
        sheets = read_workbook(content)
    except WorkbookError as exc:
        return result.reject("unreadable_workbook", str(exc))

    place = reporting_path(result.source_file)
    tables_found = 0
    for sheet in sheets:
        _decode_legacy_text(result, sheet)
        try:
            location = locate_table(sheet, layout())
        except HeaderError as exc:
            result.findings.append(Finding("header_not_recognised", f"sheet not loaded: {exc}", sheet.name))
            tables_found += 1  # a table was there; it is the header that failed
            continue
        if location is None:  # a cover or notes sheet: nothing to load, nothing wrong
            continue
        tables_found += 1
        period = _with_path_period(table_period(location), place)
        _flag_period(result, sheet.name, period)
        if sheet.hidden:
            result.findings.append(Finding("hidden_sheet", "the sheet is hidden in Excel; it was loaded",
                                           sheet.name))
        facts = sheet_facts.get(sheet.name, SheetFacts())
        ctx = TableContext(result.source_district, result.source_file, sheet, location, period, facts,
                           place.reporting_unit or result.source_district)
        records, findings = parse_table(ctx)
        result.records.extend(records)
        result.findings.extend(findings)

    _reject_duplicate_rows(result)
    if tables_found == 0:
        names = ", ".join(repr(s.name) for s in sheets) or "none"
        return result.reject("header_not_found", f"no sheet has an indicator table header (sheets: {names}); "
                             "the header row must name the columns Chỉ tiêu, Mục tiêu and Thực hiện")
    if not result.records and not any(f.severity == ERROR for f in result.findings):
        return result.reject("empty_table", "the table header was found but no indicator rows below it")
    result.loaded = bool(result.records)
    return result


def _reject_duplicate_rows(result: WorkbookResult) -> None:
    """Two rows of one workbook for the same indicator: neither is loaded, both are reported."""
    seen: dict[tuple, list[dict]] = {}
    for record in result.records:
        if record["row_kind"] != "group":
            key = (record["label_key"], label_key(record["parent_label"] or ""), record["period_end"])
            seen.setdefault(key, []).append(record)
    duplicates = [group for group in seen.values() if len(group) > 1]
    for group in duplicates:
        rows = ", ".join(f"{r['source_sheet']} row {r['source_row']}" for r in group)
        for record in group:
            result.findings.append(Finding(
                "duplicate_indicator_row", f"{record['row_label']!r} appears more than once ({rows}); none "
                "of them is loaded. Keep one row per indicator", record["source_sheet"], record["source_row"],
                record["label_column"], record["row_label"]))
    dropped = {id(r) for group in duplicates for r in group}
    result.records = [r for r in result.records if id(r) not in dropped]


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
