"""The record of the last night that built no version (flows/orchestration/quiet_night.py), kept beside
the warehouse in `<warehouse>.last-night.json`: when it looked, and which published load it found current.

Outside the warehouse file on purpose: writing into the published file would change it under its
readers, and a version of its own would cost the copy a quiet night exists to spare.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path


def last_night_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".last-night.json")


def record_quiet_night(warehouse: Path, started_at: dt.datetime, load_id: int, files_seen: int) -> str | None:
    """Write the night's record (replaced whole, never half-written); why not, when the disk refused it.

    A quiet night on a full disk still succeeds: the record says the load looked, nothing depends on it.
    """
    record = {"started_at": started_at.isoformat(), "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(),
              "nothing_new": True, "load_id": load_id, "files_seen": files_seen}
    path = last_night_path(warehouse)
    writing = path.with_name(path.name + ".tmp")
    try:
        writing.write_text(json.dumps(record), encoding="utf-8")
        os.replace(writing, path)
    except OSError as exc:
        writing.unlink(missing_ok=True)
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return None


def read_last_night(warehouse: Path, load_id: int) -> dict | None:
    """The last quiet night's record, when it followed the published load `load_id` (a version built
    since makes it history)."""
    try:
        record = json.loads(last_night_path(warehouse).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("load_id") == load_id else None
