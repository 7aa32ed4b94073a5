"""One writer at a time: an exclusive lock file beside the warehouse.

The lock is an flock on `<warehouse>.lock`, so the kernel releases it when the holder dies,
even by SIGKILL: a crashed load never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

POLL_SECONDS = 0.2


class WarehouseBusy(Exception):
    """Another load (or withdraw) held the warehouse for longer than we were willing to wait."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def writer_lock(warehouse: Path, timeout_seconds: float):
    """Hold the warehouse's writer lock; wait up to timeout_seconds for another writer to finish."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(path)
                    raise WarehouseBusy(
                        f"another load is writing {warehouse} ({holder}); waited {timeout_seconds:g} s. "
                        "Run again when it has finished, or pass a longer --wait") from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(handle, 0)
        os.write(handle, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        yield
    finally:
        os.close(handle)  # closing releases the flock


def _read_holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "holder unknown"
    except OSError:
        return "holder unknown"
