"""What one batch of workbooks hands the warehouse to stage: three data frames.

Frames, not lists of records: Prefect walks through every Python object passed between tasks,
which for a batch of parsed rows cost more than the parsing itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

EVENT_COLUMNS = ["source_district", "source_file", "sha256", "size_bytes", "modified_at", "action", "loaded",
                 "rows_loaded"]


@dataclass
class ParsedBatch:
    rows: pd.DataFrame  # accepted indicator rows, ready for landing_indicator_rows
    findings: pd.DataFrame  # every finding of the batch (columns FINDING_COLUMNS)
    events: pd.DataFrame  # one loaded, rejected or pending event per file (columns EVENT_COLUMNS)
