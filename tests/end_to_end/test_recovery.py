"""Exports that match the published warehouse, and recovery from a damaged warehouse file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import frictionless
import pytest

from flows.warehouse import damage_checks, versions
from flows.cli import main
from flows.publish.exports import analyst_views, export_views
from flows.warehouse.lock import writer_lock
from flows.publish.outputs import exports_dir, write_outputs
from tests.conftest import RAW, in_this_process, sql
from tests.layout_variants import Grid

HQ_FILE = "ha_quang/chi_tieu_ktxh_2015_2020.xlsx"
GRAIN = "Tổng sản lượng lương thực có hạt"
CURRENT_FACTS = """select * exclude (load_id) from indicator_results
                   order by source_district, source_file, source_sheet, source_row"""
GRAIN_FIGURE = f"select actual_value from indicator_results where source_file = '{HQ_FILE}' and row_label = '{GRAIN}'"


def load(raw: Path, warehouse: Path) -> int:
    return main(["load", "--raw", str(raw), "--warehouse", str(warehouse)])


def set_grain_figure(raw: Path, text: str) -> None:
    """A clerk's resubmission: the grain figure of old Hà Quảng changes."""
    path = raw / HQ_FILE
    grid = Grid.read(path)
    row = next(r for r in grid.cells if len(r) > 1 and r[1] == GRAIN)
    row[4] = text
    grid.write(path)


def leftovers(folder: Path) -> list[str]:
    """Half-built copies and temporary files a load or a recovery must never leave behind."""
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith((".next", ".next.wal", ".tmp")))


def assert_exports_match(warehouse: Path) -> dict:
    """Every export file is the published warehouse's view, row for row, and the manifest says so."""
    exports = exports_dir(warehouse)
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["load_id"], dt.datetime.fromisoformat(manifest["load_finished_at"])) == tuple(
        sql(warehouse, "select load_id, finished_at from load_runs order by load_id desc limit 1")[0])
    assert {e["view"] for e in manifest["files"]} == set(analyst_views())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for entry in manifest["files"]:
            path = exports / entry["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], entry["file"]
            assert entry["rows"] == con.execute(f"select count(*) from {entry['view']}").fetchone()[0], entry["file"]
            if entry["format"] == "parquet":
                differences = con.execute(
                    f"select count(*) from ((select * from {entry['view']} except all select * from read_parquet(?)) "
                    f"union all (select * from read_parquet(?) except all select * from {entry['view']}))",
                    [str(path), str(path)]).fetchone()[0]
                assert differences == 0, entry["file"]
    # the data package describes the same files of the same load (frictionless checks each CSV's hash)
    package = json.loads((exports / "datapackage.json").read_text(encoding="utf-8"))
    assert (package["haquang:load_id"], package["haquang:load_finished_at"]) == (
        manifest["load_id"], manifest["load_finished_at"])
    hashes = {entry["file"]: f"sha256:{entry['sha256']}" for entry in manifest["files"]}
    assert {r["path"]: r["hash"] for r in package["resources"]} | {
        r["haquang:parquet"]["path"]: r["haquang:parquet"]["hash"] for r in package["resources"]} == hashes
    report = frictionless.validate(exports / "datapackage.json")  # after revisions too: keys, types, hashes
    assert report.valid, [f"{t.name}: {e.message}" for t in report.tasks for e in t.errors][:10]
    return manifest


# --- a damaged published warehouse -------------------------------------------------------------

@pytest.fixture(scope="module")
def two_loads(prefect_harness, tmp_path_factory) -> Path:
    """Load 1 read old Hà Quảng only, load 2 brought old Thông Nông: `.previous` holds load 1."""
    folder = tmp_path_factory.mktemp("two_loads")
    raw = folder / "raw"
    shutil.copytree(RAW / "ha_quang", raw / "ha_quang")
    warehouse = folder / "warehouse" / "w.duckdb"
    assert load(raw, warehouse) == 0
    first_inode = warehouse.stat().st_ino
    shutil.copytree(RAW / "thong_nong", raw / "thong_nong")
    assert load(raw, warehouse) == 0
    # publishing kept the replaced version by linking it, not copying it
    assert versions.previous_version_path(warehouse).stat().st_ino == first_inode
    return folder


@pytest.fixture
def site(two_loads, tmp_path) -> Path:
    """A private copy of the two loads' raw folder, warehouse, previous version and exports."""
    shutil.copytree(two_loads, tmp_path / "site")
    return tmp_path / "site"


def truncated_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def truncated_last_block(path: Path) -> None:
    os.truncate(path, path.stat().st_size - 262_144)


def truncated_few_bytes(path: Path) -> None:
    """Cut off so little that DuckDB still opens the file and reads its tables."""
    os.truncate(path, path.stat().st_size - 100)


def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def zeroed_header(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.write(bytes(4096))


def empty(path: Path) -> None:
    path.write_bytes(b"")


def another_database(path: Path) -> None:
    """A DuckDB file that opens cleanly but is not this warehouse (someone copied the wrong file)."""
    path.unlink()
    with duckdb.connect(str(path)) as con:
        con.execute("create table notes as select 'not a warehouse' as text")


DAMAGE = [truncated_half, truncated_last_block, truncated_few_bytes, garbage, zeroed_header, empty,
          another_database]


@pytest.mark.parametrize("spoil", DAMAGE, ids=lambda f: f.__name__)
def test_every_kind_of_damage_is_found_and_a_sound_file_passes(site, spoil):
    warehouse = site / "warehouse" / "w.duckdb"
    assert damage_checks.damage(warehouse) is None
    assert damage_checks.damage(versions.previous_version_path(warehouse)) is None
    spoil(warehouse)
    assert damage_checks.damage(warehouse)
    with pytest.raises(damage_checks.DamagedWarehouse, match="haquang recover --warehouse"):
        versions.open_next_version(warehouse)
    assert leftovers(site) == []


@pytest.mark.parametrize("spoil", [truncated_half, truncated_few_bytes, garbage], ids=lambda f: f.__name__)
def test_a_load_on_a_damaged_warehouse_fails_with_one_clear_message_and_leaves_nothing(site, spoil, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    spoil(warehouse)
    damaged = warehouse.read_bytes()
    capsys.readouterr()
    assert load(site / "raw", warehouse) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"haquang load: the published warehouse {warehouse} is damaged and cannot be read (")
    assert f"`haquang recover --warehouse {warehouse}`" in error
    assert "Traceback" not in error and ".next" not in error
    assert "Error" in error or "cut off" in error  # DuckDB's reason, or the length it should have
    assert warehouse.read_bytes() == damaged  # never touched, never copied
    assert leftovers(site) == []


def test_recover_restores_the_previous_version_and_the_next_load_catches_up(two_loads, site, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    expected = sql(two_loads / "warehouse" / "w.duckdb", CURRENT_FACTS)
    truncated_half(warehouse)
    damaged = warehouse.read_bytes()
    capsys.readouterr()
    assert main(["recover", "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "Restored the previous complete version (w.duckdb.previous): load 1" in out
    aside = [p for p in warehouse.parent.iterdir() if p.name.startswith("w.duckdb.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged and str(aside[0]) in out
    assert sql(warehouse, "select max(load_id) from load_runs") == [(1,)]
    assert_exports_match(warehouse)  # readers see what the restored warehouse holds
    assert load(site / "raw", warehouse) == 0
    assert sql(warehouse, CURRENT_FACTS) == expected
    assert sql(warehouse, "select load_id, files_loaded from load_runs order by load_id") == [(1, 1), (2, 1)]
    assert_exports_match(warehouse)
    assert leftovers(site) == []


def test_recover_without_a_previous_version_sets_the_damage_aside_and_the_next_load_rebuilds(
        two_loads, site, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    expected = sql(two_loads / "warehouse" / "w.duckdb", CURRENT_FACTS)
    garbage(warehouse)
    versions.previous_version_path(warehouse).unlink()
    capsys.readouterr()
    assert main(["recover", "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "no previous complete version" in out and "rebuilds the warehouse from the workbooks in raw/" in out
    assert "history of earlier loads is gone" in out
    assert not warehouse.exists()
    assert len(list(warehouse.parent.glob("w.duckdb.damaged-*"))) == 1
    assert load(site / "raw", warehouse) == 0
    assert sql(warehouse, CURRENT_FACTS) == expected
    assert sql(warehouse, "select count(*) from load_runs") == [(1,)]
    assert_exports_match(warehouse)
    assert leftovers(site) == []


def test_recover_sets_aside_a_previous_version_that_is_damaged_too(site, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    previous = versions.previous_version_path(warehouse)
    zeroed_header(warehouse)
    truncated_half(previous)
    assert main(["recover", "--warehouse", str(warehouse)]) == 0
    assert "no previous complete version" in capsys.readouterr().out
    assert not warehouse.exists() and not previous.exists()
    assert len(list(warehouse.parent.glob("w.duckdb.damaged-*"))) == 1
    assert len(list(warehouse.parent.glob("w.duckdb.previous.damaged-*"))) == 1
    assert load(site / "raw", warehouse) == 0
    assert sql(warehouse, "select count(*) from indicator_results") == [(66,)]


def test_recover_leaves_a_sound_warehouse_alone(site, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    before = warehouse.read_bytes()
    assert main(["recover", "--warehouse", str(warehouse)]) == 0
    assert f"{warehouse} opens cleanly (load 2, finished " in capsys.readouterr().out
    assert warehouse.read_bytes() == before
    assert not list(warehouse.parent.glob("*.damaged-*"))


def test_recover_waits_for_the_writer_lock(site, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    garbage(warehouse)
    damaged = warehouse.read_bytes()
    with writer_lock(warehouse, 1):
        assert main(["recover", "--warehouse", str(warehouse), "--wait", "0.3"]) == 1
    assert "another load is writing" in capsys.readouterr().err
    assert warehouse.read_bytes() == damaged


def test_a_build_that_fails_before_the_flow_can_clean_up_leaves_no_copy(site, monkeypatch):
    from flows.warehouse import build

    warehouse = site / "warehouse" / "w.duckdb"

    def broken(con):
        raise OSError("the reference folder is unreadable")

    monkeypatch.setattr(build, "load_reference_tables", broken)
    with pytest.raises(OSError, match="unreadable"):
        build.WarehouseBuild(warehouse)
    monkeypatch.undo()

    def no_room(con):
        raise duckdb.IOException("No space left on device")

    monkeypatch.setattr(versions, "create_landing_tables", no_room)
    with pytest.raises(duckdb.IOException):
        versions.open_next_version(warehouse)
    assert leftovers(site) == []
    assert damage_checks.damage(warehouse) is None


def test_dashboard_on_a_damaged_warehouse_points_to_recover(site, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    truncated_half(warehouse)
    assert main(["dashboard", "--warehouse", str(warehouse)]) == 1
    error = capsys.readouterr().err
    assert "may be damaged" in error and "haquang recover" in error and "Traceback" not in error


# --- exports that match the warehouse ----------------------------------------------------------

def test_exports_that_fail_after_publishing_say_so_and_the_next_run_rewrites_them(
        prefect_harness, raw_copy, tmp_path, monkeypatch, capsys):
    from flows.publish import exports

    warehouse = tmp_path / "w.duckdb"
    assert load(raw_copy, warehouse) == 0
    set_grain_figure(raw_copy, "18.020")
    written = exports._write_csv
    calls = []

    def disk_fills_up(con, source, path):  # the third CSV, and every one after it, finds the disk full
        calls.append(path)
        if len(calls) >= 3:
            raise OSError(28, "No space left on device")
        written(con, source, path)

    monkeypatch.setattr(exports, "_write_csv", disk_fills_up)
    in_this_process(monkeypatch)  # the exports' own process would not see the patch
    capsys.readouterr()
    assert load(raw_copy, warehouse) == 1
    out, error = capsys.readouterr()
    assert error.strip() == ("haquang load: load 2 was published; writing the exports failed (OSError: [Errno 28] "
                             "No space left on device); they will be rewritten by the next run, or now with "
                             f"`haquang dashboard --warehouse {warehouse.resolve()}`")
    assert " / Load 2: " in out.split("\n", 1)[0]  # what was published
    assert sql(warehouse, GRAIN_FIGURE) == [(18020.0,)]
    manifest = json.loads((exports_dir(warehouse) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["load_id"] == 1  # the files on disk are a mix; the manifest still names load 1
    monkeypatch.undo()
    assert load(raw_copy, warehouse) == 0  # nothing new in raw/, yet every file is written again
    manifest = assert_exports_match(warehouse)
    assert manifest["load_id"] == 2 and manifest["kept_from_load"] is None  # no version built: load 2's
    assert leftovers(tmp_path) == []


def test_a_load_stopped_between_publishing_and_exports_is_caught_up_by_a_run_with_nothing_new(
        prefect_harness, raw_copy, tmp_path, monkeypatch):
    from flows.orchestration import load_flow

    warehouse = tmp_path / "w.duckdb"
    assert load(raw_copy, warehouse) == 0
    set_grain_figure(raw_copy, "18.020")
    monkeypatch.setattr(load_flow, "write_outputs", lambda *args: None)  # killed right after the rename
    in_this_process(monkeypatch)
    assert load(raw_copy, warehouse) == 0
    monkeypatch.undo()
    stale = exports_dir(warehouse) / "indicator_results.parquet"
    assert sql(warehouse, f"select count(*) from read_parquet('{stale}') where actual_value = 18020") == [(0,)]
    assert load(raw_copy, warehouse) == 0
    assert sql(warehouse, "select max(load_id) from load_runs") == [(2,)]  # nothing new: no version built
    assert sql(warehouse, f"select count(*) from read_parquet('{stale}') where actual_value = 18020") == [(1,)]
    assert assert_exports_match(warehouse)["kept_from_load"] is None
    written = {p.name: p.stat().st_mtime_ns for p in exports_dir(warehouse).iterdir()}
    assert load(raw_copy, warehouse) == 0  # and the night after, the outputs of load 2 are in place: none written
    assert {p.name: p.stat().st_mtime_ns for p in exports_dir(warehouse).iterdir()} == written
    assert assert_exports_match(warehouse)["load_id"] == 2


def _spoil_manifest(exports: Path, how: str) -> None:
    path = exports / "manifest.json"
    if how == "missing":
        path.unlink()
        return
    if how == "unreadable":
        path.write_text('{"load_id": 1, "files": [', encoding="utf-8")
        return
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if how == "another load":
        manifest["load_id"] = 2
    elif how == "same id, another night":  # load ids repeat after a recovery
        manifest["load_finished_at"] = "2020-06-30T00:00:00+00:00"
    elif how == "older sql":
        manifest["models_sha256"] = "0" * 64
    elif how == "older manifest shape":
        manifest["files"] = [{"view": e["view"], "file": e["file"]} for e in manifest["files"]]
    elif how == "written by an older release":  # e.g. Parquet files without column descriptions
        del manifest["export_format"]
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("how", ["as written", "missing", "unreadable", "another load", "same id, another night",
                                 "older sql", "older manifest shape", "written by an older release"])
def test_a_run_with_nothing_new_keeps_only_the_exports_of_the_load_before_it(site, how):
    """Exports of load 1 beside a warehouse whose latest load, 2, is taken to have changed nothing."""
    warehouse = site / "warehouse" / "w.duckdb"
    exports = exports_dir(warehouse)
    shutil.rmtree(exports)
    export_views(versions.previous_version_path(warehouse), exports)  # exactly what load 1 wrote
    _spoil_manifest(exports, how)
    write_outputs(warehouse, nothing_new=True)
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    if how == "as written":
        # the control: load 2 did change data, so keeping load 1's files shows up as a mismatch
        assert manifest["kept_from_load"] == 1
        with pytest.raises(AssertionError):
            assert_exports_match(warehouse)
    else:
        assert manifest["kept_from_load"] is None
        assert_exports_match(warehouse)


def test_a_file_that_changed_since_its_manifest_is_written_again(site):
    warehouse = site / "warehouse" / "w.duckdb"
    exports = exports_dir(warehouse)
    export_views(versions.previous_version_path(warehouse), exports)  # load 1's exports
    (exports / "indicators.csv").write_text("stale\n", encoding="utf-8")
    kept = {p.name: p.stat().st_mtime_ns for p in exports.iterdir()}
    manifest = export_views(warehouse, exports, nothing_new=True)  # as if load 2 had brought nothing new
    rewritten = {p.name for p in exports.iterdir() if p.stat().st_mtime_ns != kept.get(p.name)}
    assert rewritten == {"indicators.csv", "indicators.parquet", "load_runs.csv", "load_runs.parquet",
                         "file_events.csv", "file_events.parquet", "manifest.json", "datapackage.json"}
    assert manifest["kept_from_load"] == 1
    entry = next(e for e in manifest["files"] if e["file"] == "indicators.csv")
    assert hashlib.sha256((exports / "indicators.csv").read_bytes()).hexdigest() == entry["sha256"]


def test_dashboard_rewrites_exports_of_another_load(site, capsys):
    warehouse = site / "warehouse" / "w.duckdb"
    exports = exports_dir(warehouse)
    export_views(versions.previous_version_path(warehouse), exports)
    assert main(["dashboard", "--warehouse", str(warehouse)]) == 0
    assert assert_exports_match(warehouse)["load_id"] == 2


def test_sql_and_status_never_replay_a_log_left_beside_the_published_file(loaded_warehouse, tmp_path, capsys):
    """A DuckDB shell opened read-write on the published file and killed leaves a write-ahead log holding a
    change nobody published: the readers show the published warehouse and leave the log for a load to set aside."""
    import subprocess
    import sys

    from flows.cli import main

    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(loaded_warehouse, warehouse)
    script = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
              "con.execute(\"set checkpoint_threshold = '1TB'\"); "
              "con.execute('create table unpublished as select 1 as x'); os._exit(0)")
    subprocess.run([sys.executable, "-c", script, str(warehouse)], check=True)
    wal = warehouse.with_name(warehouse.name + ".wal")
    assert wal.exists()
    assert main(["sql", "select count(*) from duckdb_tables() where table_name = 'unpublished'",
                 "--warehouse", str(warehouse)]) == 0
    assert capsys.readouterr().out.splitlines()[2].strip() == "0"
    assert main(["status", "--warehouse", str(warehouse)]) == 0
    assert wal.exists() and not list(tmp_path.glob(".haquang-read-*"))
