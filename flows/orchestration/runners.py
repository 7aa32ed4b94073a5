"""How a load runs: the Prefect task runner (threads, worker processes, or a Dask cluster) and
the Prefect API the flow reports to (a configured one, the server `haquang serve` runs, or a
temporary server that ends with the load)."""

from __future__ import annotations

import atexit
import importlib.util
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flows.ingest.raw_files import holds_at_least
from flows.orchestration.prefect_server import (TEMPORARY_SERVER_LOG, describe_server_output, free_loopback_port,
                                               server_log_path, start_logged_server, stop_server, use_api_url,
                                               wait_until_healthy)
from flows.orchestration.serve_record import SERVE_RECORD_NAME, running_serve_api_url, serve_record_path

# Prefect's own setting for how long a temporary API server may take to start. Its default of
# 20 s is not enough here: on this 2-core machine a start takes 5-10 s when it is idle and took
# 26-37 s at a load average of 5-7, when Prefect's own start failed two loads in three. Set for
# every Prefect process a load starts (see cli.py).
TEMPORARY_SERVER_START_SECONDS = 180
PATIENT_PREFECT = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(TEMPORARY_SERVER_START_SECONDS)}


class PrefectApiUnavailable(RuntimeError):
    """No Prefect API for the load: the message says what happened and what to do, in one line."""


# Worker processes parse on every core and keep the parsing's memory out of the load process,
# but each starts by importing the loader, about 2.5 s before the first batch. Measured here (2
# cores, shared, so roughly): raw/'s two workbooks took 7.4 s on threads and 9.9 s on processes;
# 1,000 workbooks about the same when timed side by side (12.5 to 13.2 s) and 1 to 2 s more on
# processes across `make bench` runs, at a lower peak (460 against 545 MB); 10,000 workbooks 44
# against 51 s side by side, 40 s of work against 56 s across bench runs. The time breaks even
# between 1,000 and 10,000 workbooks: processes from ten batches of files on.
PROCESSES_FROM_FILES = 2500


def chosen_task_runner(kind: str, raw_dir: Path, workers: int, dask_address: str | None = None) -> str:
    """The runner `auto` stands for in `haquang load`: processes when raw/ holds PROCESSES_FROM_FILES
    files or more and there is more than one worker, else threads. Files present, not files
    changed: a load with nothing new submits no batch, and worker processes start with the first.
    A folder that cannot be walked here gets threads; the load itself then reports what it finds.
    """
    if kind != "auto" or dask_address:
        return "dask" if dask_address else kind
    if workers < 2:
        return "threads"
    try:
        return "processes" if holds_at_least(raw_dir, PROCESSES_FROM_FILES) else "threads"
    except OSError:
        return "threads"


def served_task_runner():
    """The nightly runs' runner: worker processes on a machine of more than one core.

    Chosen once, when `haquang serve` starts, and not from the raw folder as `auto` does: the
    folder grows from night to night, and nobody waits for a run at 02:00, so the workers' start
    (about 2.5 s) costs nothing that matters while their speed and memory do on a large night.
    """
    cores = os.cpu_count() or 1
    return task_runner("processes" if cores > 1 else "threads", cores)


def task_runner(kind: str, workers: int, dask_address: str | None = None):
    """Parsing is CPU-bound Python: processes use every core, threads start faster, and Dask
    spreads batches over several machines once one is not enough.

    With an address the flow joins that running Dask scheduler; without one it starts a local
    cluster of `workers` single-threaded worker processes for the length of the load.
    """
    if kind == "dask" or dask_address:
        from prefect_dask import DaskTaskRunner  # imported only when asked for: distributed is heavy

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    # Imported here, not at the top: the CLI imports this module to start the API server before
    # the rest of Prefect, so that the two overlap.
    from prefect.task_runners import ThreadPoolTaskRunner

    if kind == "processes":
        from flows.orchestration.renewing_pool import RenewingProcessPoolTaskRunner

        return RenewingProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=workers)


@dataclass
class PrefectApi:
    """The Prefect API a load reports to, and the temporary server behind it when there is one."""

    url: str
    source: str  # "configured", "haquang serve" or "temporary server"
    server: subprocess.Popen | None = None
    started: float = field(default_factory=time.monotonic)

    def wait_until_ready(self) -> None:
        """Block until a temporary server answers; anything else answers already.

        The start-up timeout counts from the server's start, as Prefect's does, so the
        imports done meanwhile use it up rather than extend it.
        """
        if self.server is None:
            return
        timeout = temporary_server_start_seconds()
        try:
            wait_until_healthy(self.url, self.server, timeout_seconds=self.started + timeout - time.monotonic())
        except RuntimeError as exc:
            exited = self.server.poll() is not None
            # Nothing worth a graceful stop in a server that never answered; a starting uvicorn
            # would make SIGTERM wait for the end of its start-up.
            stop_server(self.server, grace_seconds=2)
            what = str(exc) if exited else f"it did not answer within {timeout:g} s"
            raise PrefectApiUnavailable(
                f"Prefect's temporary API server did not start ({what}; is the machine busy? "
                f"{describe_server_output(self.server)}). "
                "Start `haquang serve` in another terminal (loads then use its server) or set "
                "PREFECT_API_URL to a running Prefect server, then run the load again; "
                f"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (now {timeout:g}) allows a slower start"
            ) from None


def prefect_api_for_load() -> PrefectApi:
    """Choose the Prefect API before the flow starts, and make Prefect use it.

    A configured API wins (PREFECT_API_URL in the environment, a Prefect profile or a test
    harness). Next the server of a running `haquang serve` with the same PREFECT_HOME, so that
    a load by hand shows in its UI beside the nightly runs. Otherwise a temporary server,
    started here rather than by Prefect so that it dies with the load even when the load is
    killed (Prefect's own outlived a SIGKILLed load at about 230 MB), and started before the
    rest of Prefect is imported so that its start-up overlaps the import. Call
    `wait_until_ready` before the flow runs.
    """
    early = _early_temporary_server()
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if early is not None and (settings.api.url or _home_of(early) != Path(settings.home).expanduser().resolve()):
        stop_server(early.server, grace_seconds=2)  # a profile or prefect.toml says otherwise: Prefect decides
        early = None
    if settings.api.url:
        # Into the environment too: worker processes read their settings afresh, and without it a
        # profile's API reached this process only (the workers' runs went to a server of their own).
        use_api_url(settings.api.url)
        return PrefectApi(settings.api.url, "configured")
    served = None if early is not None else running_serve_api_url(serve_record_path())
    if early is not None:
        api = early
    elif served is not None:
        api = PrefectApi(served, "haquang serve")
    else:
        server, url = start_temporary_server()
        api = PrefectApi(url, "temporary server", server)
    use_api_url(api.url)
    return api


def _early_temporary_server() -> PrefectApi | None:
    """The temporary server, started before Prefect is imported, when no API is to be had otherwise.

    Importing Prefect takes over a second, and the server's start-up (about 3 s of one core) is
    the longest part of a small load's wait: started first, it runs beside the whole import. The
    decision is the common case of Prefect's own, read without Prefect: no PREFECT_API_URL in
    the environment, no setting outside it that could name an API or another home, and no
    running `haquang serve` under PREFECT_HOME (the environment's, or ~/.prefect).
    prefect_api_for_load still checks it against Prefect's settings and stops the server if they
    disagree. Only in a process that has not imported Prefect yet (the CLI); in one that has,
    there is no gain.
    """
    if "prefect" in sys.modules or os.environ.get("PREFECT_API_URL"):
        return None
    home = Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser().resolve()
    if _settings_beyond_the_environment(home) or running_serve_api_url(home / SERVE_RECORD_NAME) is not None:
        return None
    server, url = start_temporary_server(home)
    return PrefectApi(url, "temporary server", server)


def _settings_beyond_the_environment(home: Path) -> bool:
    """Whether Prefect may find an API or another home outside the environment: the active
    profile names PREFECT_API_URL, or the working folder has a prefect.toml, a .env or a
    pyproject.toml with a [tool.prefect] table. Then Prefect decides, after its import, rather
    than a server being started for nothing (a profile with an API would pay one every load)."""
    if any(Path(name).is_file() for name in ("prefect.toml", ".env")) or _toml("pyproject.toml").get(
            "tool", {}).get("prefect"):
        return True
    profiles = _toml(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active")
    named = profiles.get("profiles", {}).get(active, {}) if isinstance(active, str) else {}
    return not isinstance(named, dict) or "PREFECT_API_URL" in named or "PREFECT_HOME" in named


def _toml(path: Path | str) -> dict:
    import tomllib

    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, ValueError):  # no such file, or one Prefect will judge itself
        return {}
    return document if isinstance(document, dict) else {}


def _home_of(api: PrefectApi) -> Path:
    return api.server.log_path.parent.parent  # $PREFECT_HOME/logs/<server log>


def start_temporary_server(home: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start the API server Prefect would start for this process, on a free loopback port.

    The command and environment are those of Prefect's SubprocessASGIServer (no UI, the
    services of an ephemeral server); only the start differs: the child asks the kernel to
    SIGTERM it when this process dies, and the server module is not imported here (saving
    about 4 s and 70 MB in the load process). It is stopped at exit, or with its parent.

    With `home` given (PREFECT_HOME, read without Prefect) Prefect is not imported at all: the
    server reads the same environment and profile as this process would.
    """
    environment = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                   "PREFECT__SERVER_FINAL": "1"}
    if home is None:
        from prefect.settings import get_current_settings

        environment.update(get_current_settings().to_environment_variables(exclude_unset=True))
        log_path = server_log_path(TEMPORARY_SERVER_LOG)
    else:
        log_path = home / "logs" / TEMPORARY_SERVER_LOG
    port = free_loopback_port()
    packages = Path(importlib.util.find_spec("prefect").origin).parent.parent  # found, not imported
    server = start_logged_server(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(packages), "--factory",
         "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "error", "--lifespan", "on"],
        log_path, env=environment)
    atexit.register(stop_server, server)
    return server, f"http://127.0.0.1:{port}/api"


def temporary_server_start_seconds() -> float:
    from prefect.settings import get_current_settings

    return float(get_current_settings().server.ephemeral.startup_timeout_seconds)


@contextmanager
def api_for_worker_processes(kind: str, dask_address: str | None = None):
    """One Prefect API for the flow and every worker process it starts.

    Without a configured API, Prefect runs a temporary server for the process that asks for it,
    so each worker process of a process pool or local Dask cluster started a server of its
    own (about 10 s apiece, measured). `haquang load` sets PREFECT_API_URL beforehand
    (prefect_api_for_load); a caller that has not (a test harness, a script) gets one
    server here, started once, whose address reaches the workers through the environment
    they inherit. Threads share the flow's process and need nothing; the workers of a remote
    Dask cluster need PREFECT_API_URL set to a server they can reach.
    """
    if (kind == "threads" and not dask_address) or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server, url = start_temporary_server()
    api = PrefectApi(url, "temporary server", server)
    try:
        api.wait_until_ready()
        os.environ["PREFECT_API_URL"] = url
        with temporary_settings({PREFECT_API_URL: url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        stop_server(server)
