"""The record `haquang serve` leaves in PREFECT_HOME (`haquang-serve.json`), so that a load by hand
reports to the same server instead of starting a temporary one."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from flows.orchestration.prefect_server import answers_health

SERVE_RECORD_NAME = "haquang-serve.json"
# How long a load waits for a recorded server's health before starting its own: a server that
# does not answer this fast is not one to send a night's load to.
SERVE_PROBE_SECONDS = 0.5


def serve_record_path() -> Path:
    """Beside Prefect's own database, in PREFECT_HOME: a load with the same home (the same
    Prefect world) finds the server; a test or a second user with another home does not."""
    from prefect.settings import get_current_settings

    return Path(get_current_settings().home) / SERVE_RECORD_NAME


def record_served_server(path: Path, api_url: str, server_pid: int) -> Path:
    """Written under a temporary name and renamed, so that a load never reads half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps({"api_url": api_url, "serve_pid": os.getpid(), "server_pid": server_pid,
                                   "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}), encoding="utf-8")
    partial.replace(path)
    return path


def remove_serve_record(path: Path) -> None:
    """Only our own record: a second `haquang serve` with the same home may have replaced it."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("serve_pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_serve_api_url(path: Path, probe_seconds: float = SERVE_PROBE_SECONDS) -> str | None:
    """The API of the `haquang serve` recorded at `path`, or None when there is none to use.

    A record outlives a SIGKILLed serve, so it is believed only when both recorded processes
    are alive and the server answers its health check within `probe_seconds`; the URL must be
    the loopback address serve writes, so that an edited record cannot send loads elsewhere.
    """
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        api_url, pids = record["api_url"], (record["serve_pid"], record["server_pid"])
    except (OSError, ValueError, TypeError, KeyError):  # no record, or not one serve wrote
        return None
    if not isinstance(api_url, str) or not _is_loopback_api(api_url):
        return None
    if not all(isinstance(pid, int) and _process_alive(pid) for pid in pids):
        return None
    return api_url if answers_health(api_url, probe_seconds) else None


def _is_loopback_api(api_url: str) -> bool:
    try:
        parts = urlsplit(api_url)
        return (parts.scheme, parts.hostname, parts.path) == ("http", "127.0.0.1", "/api") and bool(parts.port)
    except ValueError:
        return False


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's (a service account's serve)
        return True
    return True
