"""The whole flow on raw/ plus every malformed and hostile file at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli_format import neutralise_formula
from flows.ingest.legacy_text import from_unicode
from flows.parse.workbook import process_workbook
from tests.conftest import RAW, REPO, sql
from tests.fixtures.write_malformed_workbooks import table, write_all, write_grid
from tests.layout_variants import Grid

FIGURES = """select source_district, source_file, source_row, row_label, indicator_code, target_low, target_high,
                    actual_value, reported_pct, dq_flags
             from indicator_results where source_file in (?, ?) order by source_file, source_row"""
RAW_FILES = [p.relative_to(RAW).as_posix() for p in sorted(RAW.glob("*/*.xlsx"))]


# Runs a command and prints the peak resident memory of its largest process, in kB (Linux).
PEAK_RSS = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
MAX_PEAK_RSS_MB = 700


def _load_measured(raw: Path, warehouse: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect_home")}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run([sys.executable, "-c", PEAK_RSS, str(Path(sys.executable).with_name("haquang")), "load",
                           "--raw", str(raw), "--warehouse", str(warehouse)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def test_every_bad_file_is_reported_and_every_good_figure_loads(loaded_warehouse, raw_copy, tmp_path):
    cases = write_all(raw_copy)
    warehouse = tmp_path / "w.duckdb"
    run = _load_measured(raw_copy, warehouse, tmp_path)
    assert run.returncode == 1, run.stderr  # not killed (negative), not crashed: rejected files exist
    assert int(run.stderr.split()[-1]) / 1024 < MAX_PEAK_RSS_MB  # every case at once
    findings = {(f, c) for f, c in sql(warehouse, "select source_file, check_name from dq_issues")}
    for name, expected in cases.items():
        if expected.check_name:
            assert (name, expected.check_name) in findings, name
    rejected = {name for name, expected in cases.items() if expected.rejected}
    pending = {name for name, expected in cases.items() if expected.pending}
    events = dict(sql(warehouse, "select source_file, change from file_events"))
    assert {name for name, change in events.items() if change == "rejected"} == rejected
    assert {name for name, change in events.items() if change == "pending"} == pending
    assert sql(warehouse, "select files_rejected, files_pending, files_seen from load_runs") == [
        (len(rejected), len(pending), len(cases) + 2)]
    # the real tables' figures are exactly those of a run without the bad files
    assert sql(warehouse, FIGURES, RAW_FILES) == sql(loaded_warehouse, FIGURES, RAW_FILES)
    # hostile text is stored as text and every table is still there
    labels = {r[0] for r in sql(warehouse, "select row_label from indicator_results")}
    assert "'; DROP TABLE landing_indicator_rows; --" in labels and '=HYPERLINK("http://example.invalid","bấm vào đây")' in labels
    assert sql(warehouse, "select count(*) from landing_indicator_rows")[0][0] > 66
    exported = (warehouse.parent / "exports" / "indicator_results.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in exported and "\n=HYPERLINK(" not in exported and ",=HYPERLINK(" not in exported
    _exports_match(warehouse)

    # The next night the pending entries are real workbooks (the copies finished): they load, and
    # nothing else is read again.
    for name in pending:
        (raw_copy / name).unlink()
    for year, name in enumerate(sorted(pending), start=1990):
        write_grid(raw_copy / name, table(year))
    again = _load_measured(raw_copy, warehouse, tmp_path)
    # Rejected files are not read again, and their errors stay open: the night still exits 1.
    assert again.returncode == 1, again.stdout + again.stderr
    assert "(since load 1)" in again.stdout and "(new)" not in again.stdout
    changes = sql(warehouse, "select source_file, change from file_events where load_id = 2")
    assert sorted(changes) == sorted((name, "new") for name in pending)
    assert sql(warehouse, "select files_skipped, files_pending from load_runs where load_id = 2") == [
        (len(cases) + 2 - len(pending), 0)]
    assert not {name for name, _ in sql(warehouse, "select source_file, check_name from dq_issues "
                                                   "where severity = 'error'")} & pending
    assert sql(warehouse, FIGURES, RAW_FILES) == sql(loaded_warehouse, FIGURES, RAW_FILES)
    _exports_match(warehouse)


def _exports_match(warehouse: Path) -> None:
    """The exports hold the published load's data: the manifest names it and each file has its rows."""
    manifest = json.loads((warehouse.parent / "exports" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["load_id"] == sql(warehouse, "select max(load_id) from load_runs")[0][0]
    package = json.loads((warehouse.parent / "exports" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["haquang:load_id"] == manifest["load_id"]
    assert {r["name"]: r["haquang:rows"] for r in package["resources"]} == {
        e["view"]: e["rows"] for e in manifest["files"] if e["format"] == "csv"}
    for entry in manifest["files"]:
        assert entry["rows"] == sql(warehouse, f"select count(*) from {entry['view']}")[0][0], entry["file"]


def test_a_file_that_grows_during_the_load_waits_for_the_next_run(prefect_harness, raw_copy, tmp_path, monkeypatch):
    from flows.orchestration import load_flow

    growing = raw_copy / "thong_nong" / "dang_chep.xlsx"
    growing.write_bytes((raw_copy / RAW_FILES[1]).read_bytes())
    fingerprint = load_flow.fingerprint_files

    def fingerprint_then_keep_writing(raw_dir):
        seen = fingerprint(raw_dir)
        with open(growing, "ab") as handle:  # the copy is still arriving after the hash was taken
            handle.write(b"\0" * 1024)
        return seen

    monkeypatch.setattr(load_flow, "fingerprint_files", fingerprint_then_keep_writing)
    summary = load_flow.run_load(raw_dir=raw_copy, warehouse=tmp_path / "w.duckdb")
    assert summary.exit_code == 1 and summary.files_loaded == 2
    assert [e["check_name"] for e in summary.errors] == ["file_changed_during_load"]


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_a_legacy_encoded_copy_of_the_ha_quang_table_gives_the_same_facts(tmp_path, encoding):
    source = RAW / RAW_FILES[0]
    grid = Grid.read(source)
    grid.cells = [[from_unicode(c, encoding) if isinstance(c, str) else c for c in row] for row in grid.cells]
    written = grid.write(tmp_path / "ha_quang" / source.name)
    original, converted = process_workbook(source, RAW), process_workbook(written, tmp_path)
    assert converted.records and [r | {"source_file": None} for r in converted.records] == \
        [r | {"source_file": None} for r in original.records]
    assert [f.check_name for f in converted.findings if f.check_name not in {x.check_name for x in original.findings}] \
        == ["legacy_encoding_converted"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("=1+1", "'=1+1"), ("+84 123", "'+84 123"), ("- Vùng thấp", "'- Vùng thấp"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("Đảm bảo", "Đảm bảo"), (-2.5, -2.5), (None, None)],
)
def test_csv_output_neutralises_formulas(value, shown):
    assert neutralise_formula(value) == shown
