"""The Prefect task runner a load uses: threads (default), worker processes, or a Dask cluster."""

from __future__ import annotations

from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

RUNNER_KINDS = ("threads", "processes", "dask")


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
