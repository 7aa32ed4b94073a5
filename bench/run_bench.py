"""`make bench`: the pipeline against the bare read floor and a plain-pandas peer, per corpus size.

First the fixed costs, once: (i) importing the libraries a load uses and nothing else
(`python -c "import prefect, pandas, pandera, duckdb"`), (e) `haquang load` of an empty raw
folder with no Prefect server running (the load starts its temporary one), (s) the same while a
`haquang serve` runs (the load reports to its server). Then for each size it builds a synthetic
corpus (`python -m bench.synth`, fixed seed) and measures, each in its own process on the same
files: (a) the floor, reading every workbook's cells with python-calamine; (b) the pandas peer
(bench/pandas_peer.py); (c) `haquang load` full; (d) the same again with nothing changed. Then
the analyst views' query speed on the loaded warehouse. Prints a table and writes a CSV
(bench/results.csv). Ratios come from one run on one machine: compare them, not the seconds.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))
from flows.orchestration.runners import chosen_task_runner  # noqa: E402  (the runner `auto` picks, for the table)
from bench.synth import CORPUS_VERSION  # noqa: E402


def timed(command: list[str], env: dict | None = None, *published: str) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one command in its own process.

    A load exits 1 both when the corpus's malformed files are rejected (as intended) and when
    the load failed; only a finished load prints its summary ("# Load N: ..."), so that is
    what `published` asks for (every one of those strings).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        printed, complaint = out.read().decode(), err.read().decode()
    finished = os.waitstatus_to_exitcode(status) in (0, 1) and all(p in printed for p in published)
    if not finished:
        raise RuntimeError(f"{command} failed: {complaint[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


_QUERY_SPEED = """
import sys, time, duckdb
from flows.publish.exports import analyst_views
with duckdb.connect(sys.argv[1], read_only=True) as con:
    con.execute("set enable_progress_bar = false")
    scans = []
    for view in analyst_views():
        started = time.perf_counter()
        con.sql(f"select * from {view}").to_arrow_table()
        scans.append(time.perf_counter() - started)
    started = time.perf_counter()
    con.sql("select * from indicator_results where source_district = 'ha_quang' "
            "and indicator_code = 'grain_output'").to_arrow_table()
    print(max(scans), time.perf_counter() - started)
"""


def query_speed(warehouse: Path) -> tuple[float, float]:
    """Slowest full scan over the analyst views, and a one-district one-indicator filter (seconds).

    Each result is delivered whole, as the Arrow table a dashboard or pandas reads; turning
    hundreds of thousands of rows into Python tuples would measure the client, not the warehouse.

    In a process of its own, like every measurement: a child forked from a big parent would
    report the parent's memory as its own peak.
    """
    out = subprocess.run([sys.executable, "-c", _QUERY_SPEED, str(warehouse)], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout.splitlines()[-1].split()
    return float(out[0]), float(out[1])


IMPORTS = "import prefect, pandas, pandera, duckdb"  # what a load imports before its first workbook


def fixed_costs(work: Path, env: dict, runner: str) -> dict:
    """(i), (e) and (s): seconds, and the peak memory of the empty load."""
    empty = work / "empty-raw"
    empty.mkdir(exist_ok=True)
    for path in work.glob("idle*.duckdb*"):
        path.unlink()
    load = [str(BIN / "haquang"), "load", "--task-runner", runner, "--raw", str(empty), "--warehouse"]
    imports = timed([sys.executable, "-c", IMPORTS], env)
    timed(load + [str(work / "idle.duckdb")], env, "# Load 1:")  # warm-up: Prefect creates its database
    alone = timed(load + [str(work / "idle.duckdb")], env, "# Load 2:")
    served_env = {**env, "PREFECT_HOME": str(work / "prefect_home_served")}
    with served(empty, work / "idle-served.duckdb", served_env):
        timed(load + [str(work / "idle-served.duckdb")], served_env, "# Load 1:")
        with_server = timed(load + [str(work / "idle-served.duckdb")], served_env, "# Load 2:")
    return {"import_s": imports[0], "load_empty_s": alone[0], "load_empty_served_s": with_server[0],
            "empty_over_import": alone[0] / imports[0], "empty_served_minus_import_s": with_server[0] - imports[0],
            "peak_rss_empty_mb": alone[1]}


@contextmanager
def served(raw: Path, warehouse: Path, env: dict):
    """`haquang serve` running (its Prefect server recorded in PREFECT_HOME), stopped afterwards."""
    record = Path(env["PREFECT_HOME"]) / "haquang-serve.json"
    record.unlink(missing_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = subprocess.Popen([str(BIN / "haquang"), "serve", "--port", str(port), "--raw", str(raw),
                              "--warehouse", str(warehouse)], cwd=REPO, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while not record.exists():
            if serve.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("haquang serve did not start")
            time.sleep(0.5)
        time.sleep(5)  # the served flow registers its deployment; then the server is idle
        yield
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)


def bench(size: int, work: Path, env: dict, runner: str, fixed: dict) -> dict:
    corpus = work / f"corpus-v{CORPUS_VERSION}-{size}" / "raw"
    if not corpus.exists():
        subprocess.run([str(BIN / "python"), "-m", "bench.synth", "--workbooks", str(size), "--out", str(corpus)],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    warehouse, peer = work / f"w-{size}.duckdb", work / f"peer-{size}.duckdb"
    for path in (*work.glob(f"w-{size}.duckdb*"), peer):
        path.unlink(missing_ok=True)
    shutil.rmtree(work / "exports", ignore_errors=True)
    load = [str(BIN / "haquang"), "load", "--task-runner", runner, "--warehouse"]
    floor = timed([sys.executable, "bench/read_floor.py", str(corpus)], env)
    pandas_peer = timed([sys.executable, "bench/pandas_peer.py", str(corpus), str(peer)], env)
    full = timed(load + [str(warehouse), "--raw", str(corpus)], env, "# Load 1:")
    again = timed(load + [str(warehouse), "--raw", str(corpus)], env, "# Load 2: ", "(nothing new)")
    scan, lookup = query_speed(warehouse)
    work_seconds = full[0] - fixed["load_empty_s"]
    return {
        "workbooks": size, "task_runner": chosen_task_runner(runner, corpus, os.cpu_count() or 2),
        "floor_s": floor[0], "pandas_s": pandas_peer[0],
        "load_full_s": full[0], "load_nochange_s": again[0], **fixed, "pipeline_work_s": work_seconds,
        "workbooks_per_s": size / work_seconds if work_seconds > 0 else None,
        "work_ms_per_workbook": work_seconds / size * 1000,
        "work_over_floor": work_seconds / floor[0], "pandas_over_work": pandas_peer[0] / work_seconds,
        "nochange_share": (again[0] - fixed["load_empty_s"]) / work_seconds,
        "peak_rss_load_mb": full[1], "peak_rss_nochange_mb": again[1], "peak_rss_pandas_mb": pandas_peer[1],
        "peak_rss_floor_mb": floor[1], "slowest_view_scan_s": scan, "filtered_lookup_s": lookup,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--work", type=Path, default=REPO / "warehouse" / "bench")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results.csv")
    parser.add_argument("--task-runner", default="auto", choices=["auto", "threads", "processes", "dask"],
                        help="the task runner of the measured loads (c), (d) and (e); auto, as `haquang load`")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_HOME": str(args.work / "prefect_home"), "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    fixed = fixed_costs(args.work, env, args.task_runner)
    rows = [bench(size, args.work, env, args.task_runner, fixed) for size in args.sizes]
    for row in rows[1:]:  # linear: the work per workbook stays what it was at the smallest size
        row["per_workbook_vs_first"] = row["work_ms_per_workbook"] / rows[0]["work_ms_per_workbook"]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    width = max(len(c) for c in columns)
    for column in columns:
        print(column.ljust(width), " ".join(_show(row.get(column)).rjust(10) for row in rows))
    print(f"\nwritten to {args.out}")
    return 0


def _show(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    sys.exit(main())
