"""The work on one batch of workbooks, done where the batch runs (a thread or a worker process).

Parse, validate and map every workbook of the batch, and hand back three data frames. Frames,
not lists of records: Prefect walks through every Python object passed between tasks, which
for a batch of parsed rows cost more than the parsing itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from flows.core.findings import FINDING_COLUMNS, Finding
from flows.ingest.fingerprint import SeenFile
from flows.ingest.paths import district_of, source_name
from flows.ingest.raw_files import open_regular
from flows.mapping.indicators import map_indicators
from flows.parse.workbook import WorkbookResult, WorkbooksRead, no_rows, read_workbooks
from flows.quality.validate import rows_frame, validate_rows
from flows.warehouse.staging import EVENT_COLUMNS, ParsedBatch


def parse_batch(files: list[SeenFile], raw_dir: Path) -> ParsedBatch:
    return summarise_batch(read_workbooks([(f.path, f.sha256, f.reader_failed_before) for f in files], raw_dir))


def summarise_batch(read: WorkbooksRead | list[WorkbookResult]) -> ParsedBatch:
    """Validate and map the parsed workbooks; a file with no accepted row counts as rejected.

    Validation and mapping run on the whole batch at once (their cost is per call). Should they
    fail on it, each workbook is tried alone, and one that still fails is left for the next run
    with a finding: one workbook that trips the loader must not cost the other files their night.
    Workbook results read one by one (process_workbook) are summarised with the rows each holds.
    """
    if not isinstance(read, WorkbooksRead):
        read = WorkbooksRead.of(read)
    try:
        return _summarise(read.results, read.rows)
    except Exception:
        return concat_batches([_summarise_alone(result, read.rows_of(i)) for i, result in enumerate(read.results)])


def _summarise_alone(result: WorkbookResult, rows: pd.DataFrame) -> ParsedBatch:
    try:
        return _summarise([result], rows)
    except Exception as exc:
        failed = WorkbookResult(result.source_district, result.source_file, result.sha256, result.size_bytes,
                                result.modified_at)
        return _summarise([failed.fail("validating or mapping this file's rows", exc)], no_rows())


def unreadable_batch(files: list[SeenFile]) -> ParsedBatch:
    """Files that could not even be fingerprinted: a pending event and a finding each."""
    return _summarise([
        WorkbookResult(f.source_district, f.source_file, None, 0).defer(
            "file_unreadable", f"the entry could not be read ({f.problem}); check that it is a complete workbook "
            "file (not a folder, link or device) that the loader may read")
        for f in files])


# A workbook's first bytes (a zip): a file so named that holds one was meant to be loaded.
_WORKBOOK_MAGIC = b"PK\x03\x04"
_LOCK_FILE_MOST_BYTES = 1024  # Excel's lock file holds the user's name: 165 bytes


def ignored_batch(entries: list[tuple[Path, str]], raw_dir: Path) -> ParsedBatch:
    """An `ignored` event and a finding for each entry of raw/ that is not read, so that nothing is left
    out without a word. What it is decides the finding: Excel's lock file, a system or hidden file that is no
    workbook, is information; a workbook hidden by its name, or named like a lock file, is a warning."""
    results = []
    for path, kind in entries:
        relative = path.relative_to(raw_dir)
        name, _ = source_name(relative)
        result = WorkbookResult(district_of(relative), name, None, 0, loaded=False, ignored=True)
        result.findings.append(_ignored_finding(path, kind))
        results.append(result)
    return _summarise(results)


def _ignored_finding(path: Path, kind: str) -> Finding:
    if kind == "hidden_folder":
        return Finding("file_ignored", "a hidden folder (its name begins with '.' or '~$'): nothing in it is read; "
                       "move workbooks out of it to load them")
    try:
        size = path.stat().st_size
        with open_regular(path) as handle:
            is_workbook = handle.read(len(_WORKBOOK_MAGIC)) == _WORKBOOK_MAGIC
    except OSError:
        size, is_workbook = 0, False
    if is_workbook:
        why, prefix = (("begins with ~$, as Excel names its lock files", "~$") if kind == "lock"
                       else ("hides it (it begins with .)", "."))
        return Finding("file_ignored", f"a workbook whose name {why}, so it is not read; rename it without the "
                       f"leading {prefix} for it to load")
    if kind == "lock" and size <= _LOCK_FILE_MOST_BYTES:
        return Finding("file_ignored", "Excel's lock file: someone had the workbook of that name open in Excel "
                       "when the load ran; it is not a workbook", resolved_by="its name and size (Excel's own lock file)")
    what = "an operating system's file" if kind == "system" else "a hidden file"
    return Finding("file_ignored", f"{what}, not a workbook; it is not read", resolved_by="its name and content")


def gone_batch(names: list[str]) -> ParsedBatch:
    """A `gone` event for each entry named as not read that has left the raw folder (a lock file once its
    workbook was closed, a hidden workbook renamed): its finding closes."""
    events = pd.DataFrame([{"source_district": district_of(Path(name)), "source_file": name, "sha256": None,
                            "size_bytes": 0, "modified_at": None, "action": "gone", "loaded": False, "rows_loaded": 0}
                           for name in names], columns=EVENT_COLUMNS)
    return ParsedBatch(no_rows(), pd.DataFrame(columns=FINDING_COLUMNS, dtype=object), events)


def concat_batches(batches: list[ParsedBatch]) -> ParsedBatch:
    return ParsedBatch(*(pd.concat([getattr(b, part) for b in batches], ignore_index=True)
                         for part in ("rows", "findings", "events")))


def _summarise(results: list[WorkbookResult], rows: pd.DataFrame | None = None) -> ParsedBatch:
    """rows: the records of the loaded workbooks among results (none when not given)."""
    accepted, findings = validate_rows(rows_frame(no_rows() if rows is None else rows))
    accepted, unmapped = map_indicators(accepted)
    findings += unmapped
    for result in results:
        findings.extend(f.as_record(result.source_district, result.source_file) for f in result.findings)
    rows_per_file = accepted.groupby("source_file").size().to_dict() if not accepted.empty else {}
    events = pd.DataFrame([_event(result, int(rows_per_file.get(result.source_file, 0))) for result in results],
                          columns=EVENT_COLUMNS)
    return ParsedBatch(accepted, pd.DataFrame(findings, columns=FINDING_COLUMNS, dtype=object), events)


def _event(result: WorkbookResult, rows_loaded: int) -> dict:
    loaded = bool(result.loaded and rows_loaded)
    action = "loaded" if loaded else "ignored" if result.ignored else "pending" if result.pending else "rejected"
    return {"source_district": result.source_district, "source_file": result.source_file, "sha256": result.sha256,
            "size_bytes": result.size_bytes, "modified_at": result.modified_at, "action": action, "loaded": loaded,
            "rows_loaded": rows_loaded}
