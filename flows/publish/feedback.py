"""The clerk's feedback workbook: their own workbook back, with each cell that has a finding marked.

For every workbook with an open finding (an error or a warning in dq_issues) the outputs hold
feedback/<its path under raw/>: a copy of the workbook exactly as it was read (never raw/ itself),
each cell a finding points at filled by severity and commented in Vietnamese (what is wrong, what to
do), and a first sheet "Kiểm tra" listing the findings by indicator, cell and severity (its info last,
"Thông tin": how an ambiguous number was read, nothing to correct, no mark on the cell), with the load
and its date. A clerk who corrects the marked cells and sends the file back closes the findings on
the next load: the loader skips the "Kiểm tra" sheet (flows/parse/workbook.py), and the marks and
comments are formatting, which it does not read.

Only a workbook the loader read whole is opened to be copied: a file rejected before or while it was
read (too large, damaged, hostile) may be unsafe to open with openpyxl, so its feedback is a new
workbook with the "Kiểm tra" sheet alone, as is that of a file whose bytes changed since they were
read (the marks would point at cells of another version) or that is not an .xlsx/.xlsm.

Every sentence comes from the message catalogue (schemas/messages.csv, ids feedback.*), and numbers
and dates are in the reader's format (flows/core/reader_format.py).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import json
import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from flows.core import reader_format
from flows.core.checks import ERROR, INFO, WARNING
from flows.core.feedback_sheet import is_feedback_sheet, sheet_name, title
from flows.core.messages import LANGUAGES, message, say
from flows.ingest.raw_files import open_regular
# connect puts the layers' schemas on the search path: int_file_status, stg_indicator_rows
from flows.warehouse.connection import connect

OPENABLE = (".xlsx", ".xlsm")
# Fills a clerk tells apart at a glance, the colours of Excel's own "Bad" and "Neutral" cell styles.
FILLS = {ERROR: PatternFill("solid", fgColor="FFC7CE"), WARNING: PatternFill("solid", fgColor="FFEB9C")}
# Info (a reading the loader resolved with evidence) is listed last on the Kiểm tra sheet, for the clerk to
# see how a number was read; it asks nothing of them, so its cell is neither filled nor commented.
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
SEVERITY_WORDS = {ERROR: "feedback.severity.error", WARNING: "feedback.severity.warning",
                  INFO: "feedback.severity.info"}
COLUMN_HEADINGS = ("feedback.column.number", "feedback.column.severity", "feedback.column.indicator",
                   "feedback.column.sheet", "feedback.column.cell", "feedback.column.cell_text",
                   "feedback.column.problem", "feedback.column.action")
COLUMN_WIDTHS = (5, 10, 34, 16, 8, 16, 60, 45)  # characters: STT ... Cách xử lý
# A comment's box, in pixels: some 45 characters a line at this width
COMMENT_WIDTH, COMMENT_MIN_HEIGHT, COMMENT_LINE_HEIGHT, COMMENT_CHARS_PER_LINE = 340, 80, 17, 45
# Written into the feedback folder: which findings and which file version each workbook was made
# from, so that a night rewrites only the workbooks whose findings or file changed.
LOG = logging.getLogger(__name__)
MANIFEST = "feedback.json"
NAME_BYTES = 255  # the longest file name ext4, XFS and Btrfs take
CLOSE_NAMES = 5  # names of known files `haquang feedback` offers for a name it does not know
FORMAT_VERSION = "2"  # bump when the workbook's content changes for the same findings


@dataclass(frozen=True)
class Finding:
    """One open finding as the clerk reads it."""

    source_sheet: str | None
    source_row: int | None
    source_column: str | None
    severity: str
    check_name: str
    problem_vi: str
    action_vi: str
    raw_value: str | None
    indicator: str | None  # the row's label, as the clerk wrote it

    @property
    def cell(self) -> str | None:
        return f"{self.source_column}{self.source_row}" if self.source_column and self.source_row else None


@dataclass(frozen=True)
class FileFeedback:
    """The open findings of one workbook, and which version of it they are about."""

    source_file: str
    sha256: str | None  # of the version last read; None when it was never read whole
    read_whole: bool  # its rows were loaded: the loader's guard and reader accepted it
    load_id: int  # the load that last read the file
    loaded_at: dt.datetime  # when that load finished
    findings: tuple[Finding, ...]

    def digest(self) -> str:
        return hashlib.sha256(json.dumps([FORMAT_VERSION, self.sha256, self.read_whole, self.load_id,
                                          [list(vars(f).values()) for f in self.findings]],
                                         default=str).encode()).hexdigest()


def open_feedback(con: duckdb.DuckDBPyConnection, only: str | None = None) -> list[FileFeedback]:
    """Every file with an open error or warning (or only the file `only`), with its findings."""
    # The load named on the Kiểm tra sheet is the one that last read the file: what the clerk's
    # findings come from, and the same from night to night until the file changes, so that a night
    # rewrites only the workbooks whose findings or file changed.
    rows = con.execute("""
        select issues.source_file, events.sha256, coalesce(events.rows_loaded, 0) > 0 as read_whole,
               runs.load_id, runs.finished_at,
               issues.source_sheet, issues.source_row, issues.source_column, issues.severity, issues.check_name,
               issues.problem_vi, issues.action_vi, issues.raw_value,
               -- a sub-row ("trong đó có việc làm") is named with the row it belongs to
               case when labels.parent_label is not null then labels.parent_label || ' › ' || labels.row_label
                    else labels.row_label end
        from dq_issues as issues
        left join int_file_status as status using (source_file)
        left join file_events as events
            on events.source_file = issues.source_file and events.load_id = status.last_read_load_id
        inner join load_runs as runs on runs.load_id = coalesce(status.last_read_load_id, issues.load_id)
        left join stg_indicator_rows as labels
            on labels.load_id = issues.load_id and labels.source_file = issues.source_file
            and labels.source_sheet = issues.source_sheet and labels.source_row = issues.source_row
        where (? is null or issues.source_file = ?)
        -- a file with only info has nothing to correct: no workbook; a file with an error or warning
        -- lists its info too
        and exists (select 1 from dq_issues as asking where asking.source_file = issues.source_file
                    and asking.severity in ('error', 'warning'))
        order by issues.source_file
    """, [only, only]).fetchall()
    files: dict[str, list] = {}
    for row in rows:
        files.setdefault(row[0], []).append(row)
    return [FileFeedback(source_file, found[0][1], bool(found[0][2]), found[0][3], found[0][4],
                         tuple(dict.fromkeys(Finding(*row[5:]) for row in found)))
            for source_file, found in files.items()]


def write_all_feedback(warehouse: Path, folder: Path) -> dict[str, int]:
    """Write the feedback workbook of every file with an open finding into `folder`, and remove those
    of files that have none any more. A workbook whose file and findings are those it was made from
    is kept as it is. A workbook the file system refuses (a name too long, a full disk) is logged and
    left out, and the others are written. Returns counts: written, kept, removed, failed."""
    with connect(warehouse, read_only=True) as con:
        files = open_feedback(con)
        raw_dir = published_raw_dir(con)
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / MANIFEST
    try:
        made = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        made = {}
    now: dict[str, str] = {}
    written = kept = failed = 0
    for feedback in files:
        target = feedback_target(folder, feedback.source_file, feedback.read_whole)
        if target is None:
            continue  # a name no feedback file can safely take: the findings are in dq_issues
        relative = target.relative_to(folder).as_posix()
        now[relative] = feedback.digest()
        if made.get(relative) == now[relative] and target.is_file():
            kept += 1
            continue
        try:
            write_feedback(feedback, raw_dir, target)
        except OSError as exc:  # a file system's refusal costs this file's feedback only; its findings stay in dq_issues
            LOG.warning("No feedback workbook for %s: %s", feedback.source_file, exc)
            del now[relative]
            failed += 1
            continue
        written += 1
    removed = 0
    for relative in set(made) - set(now):  # files clean now, withdrawn, or gone: their feedback goes too
        stale = folder / relative
        inside = os.path.realpath(stale).startswith(os.path.realpath(folder) + os.sep)  # a record edited by hand
        if inside and stale.is_file() and not stale.is_symlink():
            stale.unlink()
            removed += 1
    _prune_empty_folders(folder)
    _write_atomically(manifest_path, json.dumps(now, ensure_ascii=False, indent=1, sort_keys=True).encode())
    return {"written": written, "kept": kept, "removed": removed, "failed": failed}


def write_one_feedback(warehouse: Path, source_file: str, target: Path,
                       raw_dir: Path | None = None) -> tuple[str, Path | None, list[str]]:
    """The feedback workbook of one file, on demand (`haquang feedback FILE`): ("written", its path, []),
    ("clean", None, []) for a file without an open finding, ("unknown", None, close names) for a file
    never seen, with the names of files the warehouse has seen that are close to it."""
    with connect(warehouse, read_only=True) as con:
        found = open_feedback(con, only=source_file)
        known = [r[0] for r in con.execute("select distinct source_file from file_events order by 1").fetchall()]
        raw_dir = raw_dir or published_raw_dir(con)
    if not found:
        if source_file in known:
            return "clean", None, []
        return "unknown", None, difflib.get_close_matches(source_file, known, n=CLOSE_NAMES, cutoff=0.6)
    return "written", write_feedback(found[0], raw_dir, target), []


def published_raw_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The raw folder the latest load read (None: nothing loaded yet). A withdrawal reads no folder
    and records none: the folder of the load before it still holds the files."""
    found = con.execute("select raw_dir from load_runs where raw_dir <> '' order by load_id desc limit 1").fetchone()
    return Path(found[0]) if found else None


def feedback_target(folder: Path, source_file: str, read_whole: bool = True) -> Path | None:
    """feedback/<path under raw/>; `<name>.xlsx` added for a file that is not an openable workbook.
    None for a path that is not a plain relative path of printable names (it could leave the folder)."""
    relative = PurePosixPath(source_file)
    if (relative.is_absolute() or not relative.parts or any(part in ("", ".", "..") for part in relative.parts)
            or re.search(r"[\x00-\x1f\x7f]", source_file)):
        return None
    target = folder.joinpath(*relative.parts)
    if relative.suffix.lower() not in OPENABLE:
        target = target.with_name(target.name + ".xlsx")
    return target.with_name(_fitting_name(target.name))


def _fitting_name(name: str) -> str:
    """The name, or, where it is longer than a file name may be (255 bytes on Linux file systems; a
    raw name near that limit grows by ".xlsx"), its start, a short digest of the whole and its suffix:
    one file's feedback then has a name of its own that no other file's takes."""
    if len(name.encode()) <= NAME_BYTES:
        return name
    suffix = PurePosixPath(name).suffix
    tail = "~" + hashlib.sha256(name.encode()).hexdigest()[:12] + suffix
    head = name[:len(name) - len(suffix)]
    while len((head + tail).encode()) > NAME_BYTES:
        head = head[:-1]
    return head + tail


def write_feedback(feedback: FileFeedback, raw_dir: Path | None, target: Path) -> Path:
    """The feedback workbook of one file, written atomically to `target`."""
    book, copied = _copy_as_read(feedback, raw_dir)
    if copied:
        _mark_cells(book, feedback.findings)
    _add_summary_sheet(book, feedback, copied)
    buffer = io.BytesIO()
    book.save(buffer)
    _write_atomically(target, buffer.getvalue())
    return target


def _copy_as_read(feedback: FileFeedback, raw_dir: Path | None) -> tuple[Workbook, bool]:
    """The clerk's workbook as the loader read it, or a new empty workbook when it cannot be copied."""
    source = (raw_dir or Path()) / feedback.source_file
    if raw_dir is not None and feedback.read_whole and source.suffix.lower() in OPENABLE:
        try:
            with open_regular(source, confined_to=source.parent) as handle:
                content = handle.read()
            if hashlib.sha256(content).hexdigest() == feedback.sha256:
                book = load_workbook(io.BytesIO(content), keep_vba=source.suffix.lower() == ".xlsm",
                                     keep_links=False)
                _drop_earlier_summary(book)
                _remove_earlier_marks(book)
                return book, True
        except Exception:  # noqa: BLE001 - any failure to copy leaves the list of findings, which is what counts
            pass
    book = Workbook()
    book.remove(book.active)
    return book, False


def _drop_earlier_summary(book: Workbook) -> None:
    """A workbook sent back from an earlier feedback still holds that feedback's sheet: replaced."""
    for sheet in list(book.worksheets):
        if is_feedback_sheet(sheet.title, sheet.cell(1, 1).value):
            book.remove(sheet)


def _remove_earlier_marks(book: Workbook) -> None:
    """A workbook sent back from an earlier feedback still holds that feedback's marks: each cell our
    comment is on loses the comment (the clerk's own note before it stays) and our fill, so that only
    what is still open is marked."""
    ours = {message("feedback.author", language) for language in LANGUAGES}
    separators = [message("feedback.notes_follow", language) for language in LANGUAGES]
    colours = {fill.fgColor.rgb[-6:] for fill in FILLS.values()}
    for sheet in book.worksheets:
        for cell in [c for row in sheet.iter_rows() for c in row if c.comment is not None]:
            if cell.comment.author not in ours:
                continue
            text = cell.comment.text
            at = min((text.find(separator) for separator in separators if separator in text), default=-1)
            cell.comment = Comment(text[:at].rstrip(), "") if at > 0 else None
            if cell.fill.fill_type == "solid" and str(cell.fill.fgColor.rgb)[-6:] in colours:
                cell.fill = PatternFill()


def _mark_cells(book: Workbook, findings: tuple[Finding, ...]) -> None:
    """Fill and comment each cell a finding points at; a row's first cell for a finding about a row,
    the sheet's first cell for a finding about a sheet. Several findings on one cell share its
    comment, errors first, the most severe deciding the fill."""
    notes: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.source_sheet not in book.sheetnames or finding.severity not in FILLS:
            continue
        sheet = book[finding.source_sheet]
        notes.setdefault((finding.source_sheet, _anchor(sheet, finding)), []).append(finding)
    for (sheet_name, coordinate), on_cell in notes.items():
        cell = book[sheet_name][coordinate]
        on_cell = sorted(on_cell, key=lambda f: SEVERITY_ORDER[f.severity])  # stable: same severity keeps its order
        cell.fill = FILLS[on_cell[0].severity]
        text = "\n\n".join(_comment_text(f) for f in on_cell)
        if cell.comment is not None:  # the clerk's own note stays, above ours, which a workbook sent back loses
            text = f"{cell.comment.text}\n\n{message('feedback.notes_follow')}\n{text}"
        # tall enough for the whole text without scrolling: Excel and LibreOffice keep the size written
        lines = sum(math.ceil(len(part) / COMMENT_CHARS_PER_LINE) for part in text.split("\n"))
        cell.comment = Comment(text, message("feedback.author"), width=COMMENT_WIDTH,
                               height=max(COMMENT_MIN_HEIGHT, COMMENT_LINE_HEIGHT * lines))


def _anchor(sheet: Worksheet, finding: Finding) -> str:
    """The cell that carries a finding's mark: its own, else its row's first, else A1; the top-left
    cell of a merged area it falls in (only that one can hold a comment)."""
    row = finding.source_row or 1
    column = column_index_from_string(finding.source_column) if finding.source_column else 1
    for merged in sheet.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= column <= merged.max_col:
            row, column = merged.min_row, merged.min_col
            break
    return sheet.cell(row, column).coordinate


def _comment_text(finding: Finding) -> str:
    return say("feedback.comment", severity=message(SEVERITY_WORDS[finding.severity]),
               problem=finding.problem_vi.rstrip(". "), action=finding.action_vi.rstrip(". "))


def _add_summary_sheet(book: Workbook, feedback: FileFeedback, copied: bool) -> None:
    """The first sheet: which file, which load and when, what to do, and every finding in a table."""
    sheet = book.create_sheet(sheet_name(), 0)
    book.active = 0
    for other in book.worksheets[1:]:
        other.sheet_view.tabSelected = False
    errors = sum(f.severity == ERROR for f in feedback.findings)
    warnings = sum(f.severity == WARNING for f in feedback.findings)
    lines = [
        title(),
        say("feedback.file", file=PurePosixPath(feedback.source_file).name),
        say("feedback.load", load=str(feedback.load_id), when=reader_format.moment(feedback.loaded_at)),
        say("feedback.counts", errors=errors, warnings=warnings),
        message("feedback.what_to_do") if copied else message("feedback.what_to_do_unopened"),
    ]
    last_column = len(COLUMN_WIDTHS)
    for number, line in enumerate(lines, start=1):
        sheet.cell(number, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=last_column)
        sheet.row_dimensions[number].height = _height([(line, sum(COLUMN_WIDTHS))])
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.row_dimensions[1].height = 22
    header_row = len(lines) + 2
    headings = [message(heading) for heading in COLUMN_HEADINGS]
    for column, heading in enumerate(headings, start=1):
        sheet.cell(header_row, column, heading).font = Font(bold=True)
    for number, finding in enumerate(sorted(feedback.findings, key=_reading_order), start=1):
        row = header_row + number
        values = [number, message(SEVERITY_WORDS[finding.severity]), finding.indicator,
                  finding.source_sheet, finding.cell or (str(finding.source_row) if finding.source_row else None),
                  finding.raw_value, finding.problem_vi, finding.action_vi]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column, value)
            if isinstance(value, str):
                cell.data_type = "s"  # a clerk's "=1+1" is shown as written, never run as a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if finding.severity in FILLS:  # info asks nothing of the clerk: no colour
            sheet.cell(row, 2).fill = FILLS[finding.severity]
        sheet.row_dimensions[row].height = _height(list(zip(values, COLUMN_WIDTHS)))
        if copied and finding.source_sheet in book.sheetnames and finding.source_sheet != sheet.title:
            link = sheet.cell(row, 5)
            quoted = finding.source_sheet.replace("'", "''")  # a quote in a sheet name is doubled in a reference
            # a link within the workbook (location), not a file address: it opens the marked cell
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{_anchor(book[finding.source_sheet], finding)}")
            link.font = Font(color="0563C1", underline="single")
    for column, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    # printed as a clerk would: landscape, all columns on the page's width
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0


def _height(texts_and_widths: list[tuple[object, float]]) -> float:
    """A row's height in points for wrapped text: Excel and LibreOffice keep the height a file
    states, and openpyxl states none, so long sentences would be cut to one line."""
    lines = max((math.ceil(len(str(text)) / max(width * 0.95, 1)) for text, width in texts_and_widths
                 if text is not None), default=1)
    return 15 * max(lines, 1)


def _reading_order(finding: Finding) -> tuple:
    """Errors first, then warnings, then information; within each, by sheet, row and column as the clerk meets them."""
    return (SEVERITY_ORDER[finding.severity], finding.source_sheet or "", finding.source_row or 0,
            len(finding.source_column or ""), finding.source_column or "", finding.check_name)


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # short, whatever the target's length: the target's own name may already be at the limit
    temporary = target.with_name(f".feedback-{os.getpid()}-{hashlib.sha256(target.name.encode()).hexdigest()[:12]}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, target)


def _prune_empty_folders(folder: Path) -> None:
    for path in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            path.rmdir()
        except OSError:
            pass  # not empty
