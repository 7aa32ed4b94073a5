"""The same load in worker processes or on a Dask cluster gives the warehouse the thread runner gives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import distributed
import pytest

from flows.orchestration.load_flow import run_load as load_warehouse
from bench.synth import write_corpus
from tests.conftest import RAW, REPO, sql

BATCH = 7
PUBLISHED = {
    "facts": """select * exclude (load_id) from indicator_results
                order by source_district, reporting_unit, period_end, source_file, source_row""",
    "findings": """select source_file, source_sheet, source_row, source_column, check_name, severity, message
                   from dq_issues order by all""",
    "files": "select source_file, sha256, change, rows_loaded from file_events order by all",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """raw/ plus commune workbooks, enough for several batches."""
    raw = tmp_path_factory.mktemp("corpus") / "raw"
    shutil.copytree(RAW, raw)
    write_corpus(40, raw, RAW, seed=11)
    return raw


@pytest.fixture(scope="module")
def on_threads(prefect_harness, corpus, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("threads") / "w.duckdb"
    load_warehouse(raw_dir=corpus, warehouse=warehouse, batch_size=BATCH)
    return warehouse


def cli_load(corpus: Path, warehouse: Path, *runner: str) -> subprocess.CompletedProcess:
    """`haquang load` in a process of its own, with its own Prefect (as on a head node)."""
    env = {**os.environ, "PREFECT_HOME": str(warehouse.parent / "prefect")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([str(Path(sys.executable).with_name("haquang")), "load", "--raw", str(corpus),
                           "--warehouse", str(warehouse), "--batch-size", str(BATCH), *runner],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-3000:]  # 1: the corpus's malformed files are rejected
    return done


def assert_same_warehouse(warehouse: Path, expected: Path) -> None:
    for name, query in PUBLISHED.items():
        assert sql(warehouse, query) == sql(expected, query), name
    assert sql(warehouse, "select count(distinct reporting_unit) from indicator_results")[0][0] > 30


def test_a_load_on_a_dask_cluster_publishes_the_same_warehouse(corpus, on_threads, tmp_path):
    on_dask = tmp_path / "dask.duckdb"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        cli_load(corpus, on_dask, "--dask-address", cluster.scheduler_address)
        ran_on_dask = {str(entry[0]) for entry in cluster.scheduler.transition_log}
    batches = -(-len(list(corpus.rglob("*.xlsx"))) // BATCH)
    assert sum("extract_workbooks" in key for key in ran_on_dask) == batches  # every batch ran on the cluster
    assert_same_warehouse(on_dask, on_threads)


def test_a_load_in_worker_processes_publishes_the_same_warehouse(corpus, on_threads, tmp_path):
    on_processes = tmp_path / "processes.duckdb"
    cli_load(corpus, on_processes, "--task-runner", "processes", "--workers", "2")
    assert_same_warehouse(on_processes, on_threads)


def test_auto_parses_a_large_raw_folder_in_worker_processes_and_a_small_one_on_threads(tmp_path):
    from flows.orchestration.runners import PROCESSES_FROM_FILES, chosen_task_runner

    large = tmp_path / "large"
    (large / "ha_quang").mkdir(parents=True)
    for i in range(PROCESSES_FROM_FILES - 1):
        (large / "ha_quang" / f"{i}.xlsx").touch()
    (large / "ha_quang" / ".hidden.xlsx").touch()  # what the load never reads is not counted
    (large / "ha_quang" / "~$lock.xlsx").touch()
    assert chosen_task_runner("auto", large, workers=2) == "threads"
    (large / "thong_nong").mkdir()
    (large / "thong_nong" / "last.xlsx").touch()
    assert chosen_task_runner("auto", large, workers=2) == "processes"
    assert chosen_task_runner("auto", large, workers=1) == "threads"  # one core: processes only cost their start
    assert chosen_task_runner("auto", RAW, workers=2) == "threads"
    for kind in ("threads", "processes", "dask"):
        assert chosen_task_runner(kind, large, workers=2) == kind
    assert chosen_task_runner("auto", large, workers=2, dask_address="tcp://head:8786") == "dask"
    assert chosen_task_runner("auto", tmp_path / "missing", workers=2) == "threads"  # the load says it is missing


def test_auto_takes_threads_when_the_raw_folder_cannot_be_walked(tmp_path, monkeypatch):
    from flows.orchestration import runners

    def unreadable(raw_dir, count):
        raise PermissionError(13, "Permission denied", str(raw_dir / "locked"))

    monkeypatch.setattr(runners, "holds_at_least", unreadable)
    assert runners.chosen_task_runner("auto", tmp_path, workers=2) == "threads"


@pytest.mark.parametrize(("cores", "runner"), [(2, "ProcessPoolTaskRunner"), (1, "ThreadPoolTaskRunner")])
def test_the_nightly_runs_parse_in_worker_processes_on_more_than_one_core(monkeypatch, cores, runner):
    from flows.orchestration import runners

    monkeypatch.setattr(runners.os, "cpu_count", lambda: cores)
    chosen = runners.served_task_runner()
    assert runner in [kind.__name__ for kind in type(chosen).__mro__]  # Prefect's, or ours built on it
    assert getattr(chosen, "_max_workers", cores) == cores
