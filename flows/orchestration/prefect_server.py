"""The local Prefect servers haquang starts (`haquang serve`'s, a load's temporary one): started with
their output in a rotated log, asked for their health, stopped; and pointing a process at an API.

Shared by flows/orchestration/runners.py (a load's API) and flows/orchestration/serve.py (the
nightly schedule), which import it and not each other. Prefect itself is imported only inside the
functions that need its settings.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from flows.core.own_process import end_with_this_process

# What a Prefect server we start prints (its banner, warnings, the traceback of a start that
# failed) goes to a file under $PREFECT_HOME/logs/, one per kind of server (`haquang serve`'s, a
# load's temporary one), rotated when a server starts once it is over 5 MB, 3 older files kept (.1 to .3).
SERVE_SERVER_LOG = "prefect-server.log"
TEMPORARY_SERVER_LOG = "prefect-temporary-server.log"
SERVER_LOG_MAX_BYTES = 5 * 1024 * 1024
SERVER_LOG_BACKUPS = 3
SERVER_START_SECONDS = 120  # how long `haquang serve` waits for its server's health
# Health checks go to loopback: a proxy configured for the internet must not carry them.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def use_api_url(url: str) -> None:
    """Point this process, and every process it starts, at this API.

    The environment reaches worker processes; the refreshed global settings reach threads
    that do not copy the caller's context (Prefect's event and log workers), which would
    otherwise start a temporary server of their own.
    """
    from prefect.context import refresh_global_settings_context

    os.environ["PREFECT_API_URL"] = url
    refresh_global_settings_context()


def server_log_path(name: str) -> Path:
    """$PREFECT_HOME/logs/NAME: beside the Prefect database the server keeps (the home's)."""
    from prefect.settings import get_current_settings

    return Path(get_current_settings().home) / "logs" / name


def start_logged_server(command: list[str], log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a server whose output goes to log_path, ended by the kernel if this process dies.

    The server writes to the file itself, so that nothing in this process can hold it up. The
    file is rotated when a server starts, once it is over SERVER_LOG_MAX_BYTES; Prefect's server
    prints a banner and its warnings, far less than that between two restarts.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    _rotate(log_path)
    with log_path.open("ab") as log:
        log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(command)}\n".encode())
        log.flush()
        server = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  preexec_fn=end_with_this_process())
    server.log_path, server.log_start = log_path, log_path.stat().st_size  # for describe_server_output
    return server


def _rotate(log_path: Path) -> None:
    """log -> log.1 -> ... -> log.N (the oldest dropped), when the log is over the cap."""
    try:
        if log_path.stat().st_size < SERVER_LOG_MAX_BYTES:
            return
    except FileNotFoundError:
        return
    for number in range(SERVER_LOG_BACKUPS - 1, 0, -1):
        older = log_path.with_name(f"{log_path.name}.{number}")
        if older.exists():
            older.replace(log_path.with_name(f"{log_path.name}.{number + 1}"))
    log_path.replace(log_path.with_name(f"{log_path.name}.1"))


def describe_server_output(server: subprocess.Popen) -> str:
    """Where a stopped server's output is, and the last line it printed, for the one-line error of a failed
    start (the last line of a traceback is its reason)."""
    log_path: Path | None = getattr(server, "log_path", None)
    if log_path is None:
        return "its output was not kept"
    from flows.core.names import show_name  # the output may quote anything: keep it on one line

    try:
        with log_path.open("rb") as log:
            log.seek(getattr(server, "log_start", 0))
            lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    return f"its output is in {log_path}" + (f", ending: {show_name(lines[-1])}" if lines else "")


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_server(server: subprocess.Popen, grace_seconds: float = 10) -> None:
    """SIGTERM lets the server finish its database writes; a server that hangs is killed."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_until_healthy(api_url: str, server: subprocess.Popen | None = None,
                       timeout_seconds: float = SERVER_START_SECONDS) -> None:
    """Poll the server's health endpoint (at least once); raise if it does not answer in time."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with status {server.returncode} while starting")
        if answers_health(api_url, timeout_seconds=2):
            return
        if time.monotonic() >= deadline:
            raise RuntimeError(f"the Prefect server at {api_url} did not answer within {timeout_seconds:g} s")
        time.sleep(0.2)


def answers_health(api_url: str, timeout_seconds: float) -> bool:
    try:
        with _direct.open(f"{api_url}/health", timeout=timeout_seconds) as response:
            return response.status == 200
    except (OSError, ValueError):  # refused, timed out, reset, not HTTP at all
        return False
