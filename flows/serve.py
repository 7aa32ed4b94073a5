"""`haquang serve`: the nightly schedule, on a local Prefect server or an existing one.

Prefect's embedded (ephemeral) server has no scheduler, so a schedule needs a real server:
by default this starts one bound to 127.0.0.1 with its UI, then serves the deployment until
stopped (Ctrl-C or SIGTERM stop both).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEPLOYMENT_NAME = "nightly"
NIGHTLY_CRON = "0 2 * * *"
TIME_ZONE = "Asia/Ho_Chi_Minh"
SERVER_START_SECONDS = 120


def serve_nightly(raw_dir: Path, warehouse: Path, port: int, api_url: str | None) -> int:
    """Serve the load flow at 02:00 Hà Nội time, one run at a time; returns when stopped."""
    server = None
    if api_url is None:
        api_url = f"http://127.0.0.1:{port}/api"
        server = start_local_server(port)
        wait_until_healthy(api_url, server)
        print(f"Prefect server and UI: http://127.0.0.1:{port}", flush=True)
    os.environ["PREFECT_API_URL"] = api_url  # before Prefect is imported, so the runner uses this server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a service manager's stop ends both cleanly
    try:
        from prefect.schedules import Cron

        from flows.load_flow import load_warehouse

        load_warehouse.serve(
            name=DEPLOYMENT_NAME,
            schedules=[Cron(NIGHTLY_CRON, timezone=TIME_ZONE)],
            parameters={"raw_dir": str(raw_dir.resolve()), "warehouse": str(warehouse.resolve())},
            global_limit=1,  # never two nightly runs at once
            limit=1,
            description="Nightly load of raw/ into the Hà Quảng warehouse",
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return 0


def start_local_server(port: int) -> subprocess.Popen:
    prefect = Path(sys.executable).with_name("prefect")
    return subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_healthy(api_url: str, server: subprocess.Popen | None = None,
                       timeout_seconds: float = SERVER_START_SECONDS) -> None:
    """Poll the server's health endpoint; raise if it does not answer in time."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with status {server.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Prefect server at {api_url} did not answer within {timeout_seconds:g} s")
