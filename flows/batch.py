"""The work on one batch of workbooks, done where the batch runs (a thread or a worker process).

Parse, validate and map every workbook of the batch, and hand back three data frames. Frames,
not lists of records: Prefect walks through every Python object passed between tasks, which
for a batch of parsed rows cost more than the parsing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flows.indicators import map_indicators
from flows.state import SeenFile
from flows.validate import rows_frame, validate_rows
from flows.workbook import WorkbookResult, process_workbook

# Workbooks per extraction task. Larger batches spread pandera's fixed cost per validation
# (1,000 synthetic workbooks: 3.5 ms each in batches of 100, 3.3 ms in batches of 250).
DEFAULT_BATCH_SIZE = 250
FINDING_COLUMNS = ["source_district", "source_file", "source_sheet", "source_row", "source_column", "check_name",
                   "severity", "message", "raw_value"]
EVENT_COLUMNS = ["source_district", "source_file", "sha256", "size_bytes", "modified_at", "action", "loaded",
                 "rows_loaded"]


@dataclass
class ParsedBatch:
    rows: pd.DataFrame  # accepted indicator rows, ready for landing_indicator_rows
    findings: pd.DataFrame  # every finding of the batch
    events: pd.DataFrame  # one loaded/rejected event per file


def parse_batch(files: list[SeenFile], raw_dir: Path) -> ParsedBatch:
    return summarise_batch([process_workbook(f.path, raw_dir, expected_sha256=f.sha256) for f in files])


def summarise_batch(results: list[WorkbookResult]) -> ParsedBatch:
    """Validate and map the parsed workbooks; a file with no accepted row counts as rejected."""
    records = [record for result in results if result.loaded for record in result.records]
    accepted, findings = validate_rows(rows_frame(records))
    accepted, unmapped = map_indicators(accepted)
    findings += unmapped
    for result in results:
        findings.extend(f.as_record(result.source_district, result.source_file) for f in result.findings)
    rows_per_file = accepted.groupby("source_file").size().to_dict() if not accepted.empty else {}
    events = pd.DataFrame([
        {"source_district": r.source_district, "source_file": r.source_file, "sha256": r.sha256,
         "size_bytes": r.size_bytes, "modified_at": r.modified_at,
         "action": "loaded" if r.loaded and rows_per_file.get(r.source_file) else "rejected",
         "loaded": bool(r.loaded and rows_per_file.get(r.source_file)),
         "rows_loaded": int(rows_per_file.get(r.source_file, 0))}
        for r in results
    ], columns=EVENT_COLUMNS)
    return ParsedBatch(accepted, pd.DataFrame(findings, columns=FINDING_COLUMNS, dtype=object), events)
