"""The Prefect task runner a load uses: threads by default, or worker processes."""

from __future__ import annotations

from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner


def task_runner(kind: str, workers: int):
    """Parsing is CPU-bound Python, so processes use every core; threads start faster."""
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=workers)
