"""`haquang serve`: the nightly schedule, on a local Prefect server or an existing one.

Prefect's embedded (ephemeral) server has no scheduler, so a schedule needs a real server:
by default this starts one bound to 127.0.0.1 with its UI, then serves the deployment until
stopped (Ctrl-C or SIGTERM stop both; a SIGKILL stops the server too). While it runs, a record
in PREFECT_HOME (`haquang-serve.json`) tells `haquang load` by hand to report to the same
server instead of starting a temporary one.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from flows.orchestration.defaults import DEFAULT_RAW_DIR, DEFAULT_SERVE_PORT, DEFAULT_WAREHOUSE
from flows.orchestration.prefect_server import (SERVE_SERVER_LOG, describe_server_output, server_log_path,
                                               start_logged_server, use_api_url, wait_until_healthy)
from flows.orchestration.serve_record import record_served_server, remove_serve_record, serve_record_path

from flows.core.reader_format import LOCAL_ZONE_NAME

DEPLOYMENT_NAME = "nightly"
FLOW_NAME = "load-warehouse"
NIGHTLY_CRON = "0 2 * * *"
TIME_ZONE = LOCAL_ZONE_NAME  # the district's clock (flows/core/reader_format.py), named once


class ServerDidNotStart(RuntimeError):
    """The local Prefect server did not start: its port was taken, or it did not answer its health check."""


def trigger_command(api_url: str) -> str:
    """The command that starts a run of the served deployment now, pasted as printed in any folder and
    shell: this venv's `prefect` by its absolute path (a bare `prefect` is on nobody's PATH), and
    PREFECT_API_URL naming this serve's server (without it, Prefect's CLI would start a temporary server
    of its own on the same SQLite database: "database is locked", and a run nobody serves)."""
    import shlex

    prefect = Path(sys.executable).absolute().with_name("prefect")
    return (f"PREFECT_API_URL={shlex.quote(api_url)} {shlex.quote(str(prefect))} deployment run "
            f"{shlex.quote(f'{FLOW_NAME}/{DEPLOYMENT_NAME}')}")


def refuse_a_taken_port(port: int) -> None:
    """Raise ServerDidNotStart when something listens on the port already: its health check would answer
    for a server we did not start, and the deployment (with this machine's raw and warehouse paths) would
    be registered there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise ServerDidNotStart(
                f"port {port} on 127.0.0.1 is in use by another program (another Prefect server?); stop it, choose "
                "another port with --port, or pass --api-url to use a Prefect server you started") from None


def serve_nightly(raw_dir: Path = DEFAULT_RAW_DIR, warehouse: Path = DEFAULT_WAREHOUSE, port: int = DEFAULT_SERVE_PORT,
                  api_url: str | None = None, outputs: Path | None = None) -> int:
    """Serve the load flow at 02:00 Hà Nội time, one run at a time; returns when stopped.

    Its runs write the exports, dashboard and dictionary to `outputs` (default: beside the warehouse).
    """
    server = record = None
    if api_url is None:
        api_url = f"http://127.0.0.1:{port}/api"
        refuse_a_taken_port(port)
        server = start_local_server(port)
        try:
            wait_until_healthy(api_url, server)
            # a server that took the port in the meantime answers for ours, which then exits: not ours
            time.sleep(1)
            if server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with status {server.returncode} after another "
                                   f"program answered on port {port}")
        except RuntimeError as exc:
            server.kill()  # it never served anything
            server.wait()
            raise ServerDidNotStart(f"{exc} ({describe_server_output(server)})") from None
        print(f"Prefect server and UI: http://127.0.0.1:{port} (its output: {server.log_path})", flush=True)
    # Prefect's settings were read already (the server's log is in PREFECT_HOME): set the API and
    # refresh them, so that the runner and the runs it starts use this server, not an ephemeral one.
    use_api_url(api_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a service manager's stop ends both cleanly
    try:
        if server is not None:
            record = record_served_server(serve_record_path(), api_url, server.pid)
        from prefect.schedules import Cron

        from flows.orchestration.load_flow import load_warehouse
        from flows.orchestration.runners import served_task_runner

        from flows.core.messages import in_both

        # Prefect's own starting message suggests a bare `prefect deployment run`, which is not on PATH and,
        # from the venv, would start a second server on this one's database: ours names both.
        print("\n".join(in_both("oncall.serve.trigger", command=trigger_command(api_url))), flush=True)
        load_warehouse.with_options(task_runner=served_task_runner()).serve(
            print_starting_message=False,
            name=DEPLOYMENT_NAME,
            schedules=[Cron(NIGHTLY_CRON, timezone=TIME_ZONE)],
            parameters={"raw_dir": str(raw_dir.resolve()), "warehouse": str(warehouse.resolve()),
                        "outputs_dir": None if outputs is None else str(outputs.resolve())},
            global_limit=1,  # never two nightly runs at once
            limit=1,
            description="Nightly load of raw/ into the Hà Quảng warehouse",
        )
    finally:
        if record is not None:
            remove_serve_record(record)  # first, so that no load picks a server that is stopping
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return 0


def start_local_server(port: int) -> subprocess.Popen:
    """`prefect server start` on loopback, ended by the kernel if this process dies unannounced; its
    output goes to $PREFECT_HOME/logs/prefect-server.log (rotated: flows/orchestration/prefect_server.py)."""
    prefect = Path(sys.executable).with_name("prefect")
    return start_logged_server([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                               server_log_path(SERVE_SERVER_LOG))


