"""Every workbook is guarded and read in a bounded sandbox (flows/ingest/sandbox.py): a reader that aborts, is
killed, passes its memory limit or hangs costs that one workbook, which is left pending with a finding the first
night and rejected when the same content does it again; the load goes on with a new sandbox.

The process deaths here are real (SIGABRT, SIGKILL, an allocation refused by the address-space limit the
reading process set, a hang stopped at the time limit); only their trigger is a test reader
(tests/fixtures/dying_readers.py). The load-level tests use the real guard and reader on a workbook that
takes longer than a time limit set low.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.ingest.guard import UnsafeWorkbook
from flows.ingest.sandbox import ReaderFault, ReaderLimits, Sandbox
from tests.conftest import RAW, REPO, sql
from tests.fixtures.write_malformed_workbooks import table, write_grid
from tests.fixtures.reader_attacks import (a_cell_with_two_values, a_cell_written_twice, many_sheet_entries,
                                           two_sheet_ids)
from tests.unit.ingest.test_guard_extent import _dense_distinct_texts, _workbook

GOOD = (RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx").read_bytes()


@pytest.fixture
def dying():
    sandbox = Sandbox(ReaderLimits(512 * 2**20, 3.0), "tests.fixtures.dying_readers:abort_on_request")
    yield sandbox
    sandbox.close()


@pytest.mark.parametrize("request_, check_name, words", [
    (b"abort", "reader_crashed", "(signal SIGABRT; thread '<unnamed>' panicked at src/xlsx.rs"),
    (b"abort-alloc", "reader_limit_exceeded", "more than 512 MB of memory (the limit); the reader was stopped "
                                              "(memory allocation of 549755813888 bytes failed)"),
    (b"kill", "reader_crashed", "(signal SIGKILL)"),
    (b"allocate", "reader_limit_exceeded", "more than 512 MB of memory (the limit); it was stopped"),
    (b"hang", "reader_limit_exceeded", "took more than 3 s (the time limit); it was stopped"),
])
def test_a_death_in_the_sandbox_costs_one_workbook(dying, request_, check_name, words):
    with pytest.raises(ReaderFault) as fault:
        dying.read(request_)
    assert fault.value.check_name == check_name and words in str(fault.value)
    facts, sheets = dying.read(b"ok" + GOOD)  # a new child reads the next workbook
    assert [sheet.name for sheet in sheets] == ["Biểu Hà Quảng"] and list(facts) == [0]


def test_the_reading_process_sets_the_limits_and_one_child_reads_many_workbooks(dying):
    dying.read(b"ok" + GOOD)
    child = dying._child.pid
    limits = Path(f"/proc/{child}/limits").read_text()
    assert any(line.startswith("Max address space") and f"{512 * 2**20}" in line for line in limits.splitlines())
    assert any(line.startswith("Max core file size") and " 0 " in f" {line.split()[4]} " for line in limits.splitlines())
    for _ in range(3):
        dying.read(b"ok" + GOOD)
    assert dying._child.pid == child  # long-lived: started once, not per file


def test_the_guard_refuses_what_two_parsers_read_differently():
    """Two id attributes on a sheet (the reader followed r:id to a cell at XFD1048576 and aborted on 512 GB),
    OpenDocument parts beside the workbook's, a tab in a sheet name, thousands of empty sheets, a cell written
    twice (the reader loaded the second figure)."""
    from flows.ingest.guard import inspect_workbook
    from tests.fixtures.reader_attacks import _rewritten

    ods = _rewritten(lambda _name, data: data, {"content.xml": b"<office:document-content/>", "mimetype": b"x"})
    tab = _rewritten(lambda name, data: data.replace(b'name="Bi', b'name="&#9;Bi') if name == "xl/workbook.xml"
                     else data)
    for content, check_name, words in ((two_sheet_ids(), "damaged_workbook", "names 2 parts (id attributes)"),
                                       (ods, "damaged_workbook", "OpenDocument spreadsheet (content.xml, mimetype)"),
                                       (tab, "damaged_workbook", "holds control characters"),
                                       (many_sheet_entries(300), "sheet_too_large", "more than 250 sheets"),
                                       (a_cell_written_twice(), "damaged_workbook", "the cell E8 is written twice"),
                                       (a_cell_with_two_values(), "damaged_workbook", "the cell F8 holds two values")):
        with pytest.raises(UnsafeWorkbook) as refused:
            inspect_workbook(content)
        assert refused.value.check_name == check_name and words in str(refused.value)


@pytest.fixture(scope="module")
def slow_workbook() -> bytes:
    """A workbook the guard accepts that takes the reader over a second (half the allowed area, distinct
    texts) against a limit of half a second; the committed ones read in a hundredth of that."""
    return _workbook(_dense_distinct_texts(7_500, 20))


def _raw_with(tmp_path: Path, content: bytes) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    (raw / "ha_quang" / "chi_tieu_nang.xlsx").write_bytes(content)
    return raw


def _events(warehouse: Path) -> list[tuple]:
    return sql(warehouse, """select f.load_id, f.action, d.check_name from landing_load_files f
                             left join landing_dq_findings d using (load_id, source_file)
                             where f.source_file = 'ha_quang/chi_tieu_nang.xlsx' order by all""")


def test_a_workbook_past_the_time_limit_is_pending_then_rejected(prefect_harness, slow_workbook, tmp_path,
                                                                  monkeypatch):
    from flows.orchestration.load_flow import run_load as load_warehouse

    monkeypatch.setenv("HAQUANG_READER_SECONDS", "0.5")
    raw, warehouse = _raw_with(tmp_path, slow_workbook), tmp_path / "w.duckdb"
    for _night in range(3):
        load_warehouse(raw_dir=raw, warehouse=warehouse)
    assert _events(warehouse) == [(1, "pending", "reader_limit_exceeded"), (2, "rejected", "reader_limit_exceeded")]
    message = sql(warehouse, "select message from dq_issues where source_file = 'ha_quang/chi_tieu_nang.xlsx'")[0][0]
    assert "took more than 0.5 s (the time limit)" in message and "not read again until the file changes" in message
    # the other files loaded every night, and the third night read nothing again
    assert sql(warehouse, "select count(distinct source_file) from indicator_results") == [(2,)]
    assert sql(warehouse, "select action from landing_load_files where load_id = 3") == []


@pytest.mark.load
def test_worker_processes_read_in_the_sandbox_too(slow_workbook, tmp_path):
    """`haquang load --task-runner processes` in a process of its own: the same finding, the night goes on."""
    raw, warehouse = _raw_with(tmp_path, slow_workbook), tmp_path / "w.duckdb"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "HAQUANG_READER_SECONDS": "0.5"}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([str(Path(sys.executable).with_name("haquang")), "load", "--raw", str(raw),
                           "--warehouse", str(warehouse), "--task-runner", "processes", "--workers", "2"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-3000:]  # an error is open: the pending workbook
    assert _events(warehouse) == [(1, "pending", "reader_limit_exceeded")]
    assert sql(warehouse, "select count(distinct source_file) from indicator_results") == [(2,)]


def _kill_the_worker_reading_slowly(load: subprocess.Popen) -> list[int]:
    """SIGKILL the worker process whose sandbox is busy on the slow workbook (as the kernel's OOM killer
    would pick it), once; the pids killed. A sandbox child starts in 0.04 s of CPU; the slow reading takes 0.8 s."""
    import psutil

    root = psutil.Process(load.pid)
    while load.poll() is None:
        try:
            for child in root.children(recursive=True):
                if "-I" in child.cmdline() and sum(child.cpu_times()[:2]) > 0.3:
                    worker = child.parent()
                    if worker is not None and worker.pid != load.pid:
                        worker.kill()
                        return [worker.pid]
        except psutil.Error:  # a process ended while it was looked at
            pass
        time.sleep(0.02)
    return []


@pytest.mark.load
def test_a_worker_process_killed_mid_batch_costs_no_workbook(slow_workbook, tmp_path):
    """A worker process dies for real while it reads (SIGKILL). Its pool is replaced, every workbook of
    the tasks that were running is read again alone, and the night ends with nothing pending."""
    raw, warehouse = _raw_with(tmp_path, slow_workbook), tmp_path / "w.duckdb"
    for year in range(2001, 2007):
        write_grid(raw / "thong_nong" / f"bang_{year}.xlsx", table(year))
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    load = subprocess.Popen([str(Path(sys.executable).with_name("haquang")), "load", "--raw", str(raw),
                             "--warehouse", str(warehouse), "--task-runner", "processes", "--workers", "2",
                             "--batch-size", "2"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    killed = _kill_the_worker_reading_slowly(load)
    output = load.communicate(timeout=600)[0]
    assert killed, "the slow workbook was read without a worker to kill: " + output[-2000:]
    files = dict(sql(warehouse, "select source_file, action from landing_load_files"))
    assert len(files) == 9 and "pending" not in files.values(), files
    assert files["ha_quang/chi_tieu_nang.xlsx"] == "rejected"  # read to the end: it holds no indicator table
    assert sql(warehouse, "select count(*) from dq_issues where check_name = 'processing_failed'") == [(0,)]


def test_an_answer_holding_anything_but_a_readings_classes_is_refused():
    """A child whose reader a hostile file subverted could send any pickle: only grids, facts and cell types load."""
    import pickle

    from flows.ingest.sandbox import _restricted_loads

    assert _restricted_loads(pickle.dumps(("ok", {}, []))) == ("ok", {}, [])
    with pytest.raises(pickle.UnpicklingError, match="posix.system"):
        _restricted_loads(pickle.dumps(("ok", os.system)))


def test_the_guards_facts_find_their_sheet_whatever_its_name(tmp_path):
    """A literal tab in the sheet name: the guard's XML parser reads a space, the reader keeps the tab. The
    facts (a hidden row here) are keyed by the sheet's place, so they still reach its rows."""
    from flows.parse.workbook import process_workbook
    from tests.fixtures.reader_attacks import _rewritten

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return data.replace(b'name="Bi', b'name="\tBi')
        if name == "xl/worksheets/sheet1.xml":
            return data.replace(b'<row r="19">', b'<row r="19" hidden="1">')
        return data
    (tmp_path / "ha_quang").mkdir()
    (tmp_path / "ha_quang" / "tab.xlsx").write_bytes(_rewritten(change))
    result = process_workbook(tmp_path / "ha_quang" / "tab.xlsx", tmp_path)
    hidden = [(f.source_sheet, f.source_row) for f in result.findings if f.check_name == "hidden_row"]
    assert hidden == [("\tBiểu Hà Quảng", 19)]
