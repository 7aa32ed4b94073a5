"""`haquang withdraw FILE`: take a workbook's figures out of the current warehouse, keeping history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from flows.warehouse import models as wh
from flows.warehouse.lock import writer_lock
from flows.publish.outputs import write_outputs
from flows.warehouse.state import parser_version


class UnknownFile(Exception):
    """The warehouse has no current figures from that file."""


def withdraw_file(warehouse: Path, source_file: str, lock_wait_seconds: float) -> int:
    """Record the withdrawal as a load of its own and publish; returns that load's id."""
    started_at = dt.datetime.now(dt.timezone.utc)
    with writer_lock(warehouse, lock_wait_seconds):
        con = wh.open_next_version(warehouse)
        try:
            status = con.execute("select last_action from int_file_status where source_file = ?",
                                 [source_file]).fetchone() if _has_views(con) else None
            if status is None or status[0] == "withdrawn":
                known = [r[0] for r in con.execute(
                    "select source_file from int_file_status where last_action <> 'withdrawn' order by 1"
                ).fetchall()] if _has_views(con) else []
                raise UnknownFile(f"{source_file!r} has no current figures in {warehouse}; files that do: "
                                  + (", ".join(known) or "none"))
            load_id = wh.next_load_id(con)
            event = dict(wh.last_parsed_event(con, source_file), action="withdrawn", loaded=False, rows_loaded=0)
            wh.append_frame(con, "landing_load_files", pd.DataFrame([event]).assign(load_id=load_id))
            wh.append_frame(con, "landing_load_runs", pd.DataFrame([{
                "load_id": load_id, "started_at": started_at, "finished_at": dt.datetime.now(dt.timezone.utc),
                "status": "succeeded", "raw_dir": "", "mode": "withdraw", "parser_version": parser_version(),
                "files_seen": 0, "files_skipped": 0, "files_missing": 0, "files_restored": 0, "files_loaded": 0,
                "files_rejected": 0, "rows_loaded": 0, "rows_rejected": 0, "warnings": 0, "errors": 0,
            }]))
            wh.build_views(con)
            wh.publish(con, warehouse)
        except BaseException:
            wh.discard(con, warehouse)
            raise
        write_outputs(warehouse)
    return load_id


def _has_views(con) -> bool:
    return bool(con.execute("select 1 from duckdb_views() where view_name = 'int_file_status'").fetchone())
