"""The same load on a Dask cluster gives the same warehouse as the default thread runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import distributed
import pytest

from flows.load_flow import load_warehouse
from flows.synth import write_corpus
from tests.conftest import RAW, REPO, sql

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


def test_a_load_on_a_dask_cluster_publishes_the_same_warehouse(prefect_harness, corpus, tmp_path):
    on_threads = tmp_path / "threads.duckdb"
    load_warehouse(raw_dir=corpus, warehouse=on_threads, batch_size=7)

    on_dask = tmp_path / "dask.duckdb"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
        env.pop("PREFECT_API_URL", None)  # the CLI's own Prefect server, as on a cluster's head node
        done = subprocess.run([str(Path(sys.executable).with_name("haquang")), "load", "--raw", str(corpus),
                               "--warehouse", str(on_dask), "--batch-size", "7",
                               "--dask-address", cluster.scheduler_address],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        ran_on_dask = {str(entry[0]) for entry in cluster.scheduler.transition_log}
    assert done.returncode == 1, done.stderr[-3000:]  # 1: the corpus's malformed files are rejected
    batches = -(-len(list(corpus.rglob("*.xlsx"))) // 7)
    assert sum("extract_workbooks" in key for key in ran_on_dask) == batches  # every batch ran on the cluster
    for name, query in PUBLISHED.items():
        assert sql(on_dask, query) == sql(on_threads, query), name
    assert sql(on_dask, "select count(distinct reporting_unit) from indicator_results")[0][0] > 30
