"""One workbook from file to parsed records: district, sheets, table, period, rows."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from flows.extract import SheetGrid, WorkbookError, read_workbook
from flows.guard import SheetFacts, UnsafeWorkbook, inspect_workbook
from flows.labels import label_key
from flows.legacy_text import detect, to_unicode
from flows.findings import ERROR, WARNING, Finding
from flows.locate import HeaderError, TableLocation, locate_table
from flows.paths import ReportingPath, reporting_path
from flows.period import Period, read_period
from flows.rows import TableContext, parse_table
from schemas.catalogues import districts, layout

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass
class WorkbookResult:
    """Everything one workbook yields. `loaded` is False when the whole file was rejected."""

    source_district: str | None
    source_file: str  # path relative to the raw folder, with forward slashes
    sha256: str
    size_bytes: int
    modified_at: dt.datetime | None = None
    records: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    loaded: bool = True

    def reject(self, check_name: str, message: str, sheet: str | None = None) -> "WorkbookResult":
        self.findings.append(Finding(check_name, ERROR, message, sheet))
        self.records = []
        self.loaded = False
        return self


# Files the operating system leaves in shared folders; never data.
SYSTEM_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db"}


def discover_files(raw_dir: Path) -> list[Path]:
    """Every file under raw/ except hidden ones, Excel's "~$" lock files and OS thumbnails."""
    return sorted(
        p for p in raw_dir.rglob("*")
        if p.is_file() and p.name.lower() not in SYSTEM_FILES
        and not any(part.startswith((".", "~$")) for part in p.relative_to(raw_dir).parts)
    )


def district_of(relative: Path) -> str | None:
    return relative.parts[0] if len(relative.parts) > 1 and relative.parts[0] in districts() else None


def process_workbook(path: Path, raw_dir: Path, expected_sha256: str | None = None) -> WorkbookResult:
    """Read, locate and parse one workbook; every problem becomes a finding, never an exception.

    expected_sha256 is the fingerprint taken when the run started: a file whose content differs
    now is still being written, and is left for the next run.
    """
    relative = path.relative_to(raw_dir)
    content = path.read_bytes()
    modified_at = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    result = WorkbookResult(district_of(relative), relative.as_posix(), hashlib.sha256(content).hexdigest(),
                            len(content), modified_at)
    if expected_sha256 is not None and result.sha256 != expected_sha256:
        return result.reject("file_changed_during_load", "the file changed while the load was reading it (still "
                             "being copied?); it is not loaded now and will be read by the next run")
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
            result.findings.append(Finding("header_not_recognised", ERROR, f"sheet not loaded: {exc}", sheet.name))
            tables_found += 1  # a table was there; it is the header that failed
            continue
        if location is None:  # a cover or notes sheet: nothing to load, nothing wrong
            continue
        tables_found += 1
        period = _with_path_period(table_period(location), place)
        _flag_period(result, sheet.name, period)
        if sheet.hidden:
            result.findings.append(Finding("hidden_sheet", WARNING, "the sheet is hidden in Excel; it was loaded",
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
                "duplicate_indicator_row", ERROR, f"{record['row_label']!r} appears more than once ({rows}); none "
                "of them is loaded. Keep one row per indicator", record["source_sheet"], record["source_row"],
                record["label_column"], record["row_label"]))
    dropped = {id(r) for group in duplicates for r in group}
    result.records = [r for r in result.records if id(r) not in dropped]


def _decode_legacy_text(result: WorkbookResult, sheet: SheetGrid) -> None:
    """Convert a sheet typed in TCVN3 or VNI to Unicode; flag one that mixes encodings."""
    texts = [cell for row in sheet.rows for cell in row if isinstance(cell, str)]
    verdict = detect(texts)
    if verdict.encoding == "mixed":
        result.findings.append(Finding("mixed_encoding", WARNING, "the sheet mixes Unicode with legacy (TCVN3/VNI) "
                                       f"text ({verdict.evidence}); it is read as it is. Retype the legacy cells in "
                                       "Unicode", sheet.name))
    elif verdict.encoding != "unicode":
        sheet.rows = [[to_unicode(c, verdict.encoding) if isinstance(c, str) else c for c in row] for row in sheet.rows]
        result.findings.append(Finding("legacy_encoding_converted", WARNING, f"the sheet was typed in "
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
            "period_missing", WARNING,
            "neither the title nor the header says which year the figures refer to "
            "(e.g. 'số liệu tính đến hết năm 2019'); period_end is empty", sheet))
    elif period.assumed:
        result.findings.append(Finding(
            "period_assumed", WARNING,
            f"the year is taken from the plan period {period.evidence!r}; say 'đến hết năm YYYY' in the title",
            sheet))
