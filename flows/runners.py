"""The Prefect task runner a load uses: threads (default), worker processes, or a Dask cluster."""

from __future__ import annotations

import os
from contextlib import contextmanager

from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner


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
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=workers)


@contextmanager
def api_for_worker_processes(kind: str, dask_address: str | None = None):
    """One Prefect API for the flow and every worker process it starts.

    Without a configured API, Prefect runs a temporary server for the process that asks for it,
    so each worker process of a process pool or local Dask cluster started a server of its
    own (about 10 s apiece, measured). Started here once, its address reaches the workers
    through the environment they inherit. Threads share the flow's process and need nothing;
    the workers of a remote Dask cluster need PREFECT_API_URL set to a server they can reach.
    """
    if (kind == "threads" and not dask_address) or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
