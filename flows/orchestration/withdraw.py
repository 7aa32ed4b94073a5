"""`haquang withdraw FILE`: take a workbook's figures out of the current warehouse, keeping history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flows.orchestration.publishing import outputs_of_published
from flows.publish.outputs import write_outputs
from flows.warehouse.build import WarehouseBuild
from flows.warehouse.lock import writer_lock


class UnknownFile(Exception):
    """The warehouse has no current figures from that file."""


def withdraw_file(warehouse: Path, source_file: str, lock_wait_seconds: float, outputs: Path | None = None) -> int:
    """Record the withdrawal as a load of its own and publish it as a load is; returns that load's id.

    Raises ExportsNotWritten (flows/orchestration/publishing.py) when the withdrawal was published
    but its exports (in `outputs`, default beside the warehouse) could not be written.
    """
    started_at = dt.datetime.now(dt.timezone.utc)
    with writer_lock(warehouse, lock_wait_seconds):
        with WarehouseBuild(warehouse) as build:  # published when the block ends, discarded if it raises
            current = build.current_files()
            if source_file not in current:
                raise UnknownFile(f"{source_file!r} has no current figures in {warehouse}; files that do: "
                                  + (", ".join(current) or "none"))
            build.withdraw(source_file)
            build.finish(started_at, "withdraw")
            build.build_models()
        with outputs_of_published(build.load_id, warehouse=warehouse, outputs=outputs):
            write_outputs(warehouse, outputs=outputs)
    return build.load_id
