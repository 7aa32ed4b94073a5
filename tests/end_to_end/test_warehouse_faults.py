"""Faults around the published warehouse and the raw folder that an attacker found: another
process writing the warehouse, a write-ahead log nobody owns, names that read alike once
escaped, and a huge sparse file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import sql
from tests.fixtures.write_malformed_workbooks import table, write_grid

# Holds the warehouse open for writing, as a DuckDB shell or a notebook would, until killed.
HOLD_OPEN = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(300)"
# Writes a change and dies without a checkpoint: the change stays in a write-ahead log beside the file.
DIE_WITH_A_WAL = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
                  "con.execute(\"set checkpoint_threshold = '10GB'\"); con.execute('pragma disable_checkpoint_on_shutdown'); "
                  "con.execute('create table scratch as select 1 as x'); os._exit(0)")


@pytest.fixture
def published(prefect_harness, raw_copy, tmp_path) -> Path:
    from flows.orchestration.load_flow import run_load as load_warehouse

    warehouse = tmp_path / "w" / "h.duckdb"
    assert load_warehouse(raw_dir=raw_copy, warehouse=warehouse).exit_code == 0
    return warehouse


def test_a_warehouse_another_process_writes_is_in_use_not_damaged(published, raw_copy):
    from flows.orchestration.load_flow import run_load as load_warehouse
    from flows.orchestration.recover import recover_warehouse
    from flows.warehouse.lock import WarehouseBusy

    before = published.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(published)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(WarehouseBusy, match="open for writing by another process"):
            load_warehouse(raw_dir=raw_copy, warehouse=published, full_reload=True)
        with pytest.raises(WarehouseBusy, match="open for writing by another process"):
            recover_warehouse(published, lock_wait_seconds=1)
    finally:
        holder.kill()
        holder.wait()
    assert published.read_bytes() == before
    assert sorted(p.name for p in published.parent.iterdir() if p.is_file()) == ["h.duckdb", "h.duckdb.lock"]


def test_a_write_ahead_log_nobody_owns_is_set_aside_before_a_new_version_is_published(published, raw_copy):
    from flows.orchestration.load_flow import run_load as load_warehouse

    subprocess.run([sys.executable, "-c", DIE_WITH_A_WAL, str(published)], check=True)
    wal = published.with_name("h.duckdb.wal")
    assert wal.exists()
    (raw_copy / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx").rename(raw_copy / "thong_nong" / "bang.xlsx")
    summary = load_warehouse(raw_dir=raw_copy, warehouse=published)
    assert summary.files_loaded == 1 and not wal.exists()
    assert len(list(published.parent.glob("h.duckdb.wal.stale-*"))) == 1
    # the new version reads cleanly, with every figure
    assert sql(published, "select count(*) from indicator_results") == [(66,)]


def test_two_names_that_read_alike_once_escaped_stay_two_files(prefect_harness, raw_copy, tmp_path):
    from flows.orchestration.load_flow import run_load as load_warehouse

    folder = os.fsencode(raw_copy / "thong_nong")
    for year, name in ((2001, b"/a\\xff.xlsx"), (2002, b"/a\xff.xlsx")):  # backslash, x, f, f; a legacy byte
        write_grid(Path(os.fsdecode(folder + name)), table(year))
    warehouse = tmp_path / "w.duckdb"
    summary = load_warehouse(raw_dir=raw_copy, warehouse=warehouse)  # once stored as one name, this failed
    assert summary.files_loaded == 3
    events = dict(sql(warehouse, "select source_file, change from file_events"))
    assert events["thong_nong/a\\xff.xlsx"] == "new"  # the name that is text keeps it
    clashing = [name for name in events if name.startswith("thong_nong/a\\xff.xlsx (another entry")]
    assert [events[name] for name in clashing] == ["pending"]
    assert sql(warehouse, "select check_name from dq_issues where source_file = ?", clashing) == [("file_unreadable",)]


def test_a_huge_sparse_file_is_not_hashed(tmp_path, monkeypatch):
    import hashlib

    from flows.ingest.fingerprint import fingerprint_files

    (tmp_path / "ha_quang").mkdir()
    with open(tmp_path / "ha_quang" / "lon.xlsx", "wb") as handle:  # 1 TB that takes no disk
        handle.truncate(2**40)
    (tmp_path / "ha_quang" / "nho.xlsx").write_bytes(b"small")
    hashed = []
    file_digest = hashlib.file_digest
    monkeypatch.setattr(hashlib, "file_digest", lambda handle, name: hashed.append(os.fstat(handle.fileno()).st_size)
                        or file_digest(handle, name))
    seen = {f.source_file: f for f in fingerprint_files(tmp_path)}
    assert hashed == [len(b"small")]
    assert seen["ha_quang/lon.xlsx"].size_bytes == 2**40 and seen["ha_quang/lon.xlsx"].sha256
