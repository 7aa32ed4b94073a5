"""The synthetic corpus: deterministic, and thousands of same-layout workbooks are distinct facts."""

from __future__ import annotations

import hashlib

from flows.orchestration.batch import parse_batch
from flows.ingest.paths import reporting_path
from flows.ingest.fingerprint import fingerprint_files
from bench.synth import write_corpus
from tests.conftest import RAW, sql


def digests(paths) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    first = write_corpus(12, tmp_path / "a", RAW, seed=7)
    second = write_corpus(12, tmp_path / "b", RAW, seed=7)
    third = write_corpus(12, tmp_path / "c", RAW, seed=8)
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    assert digests(first) == digests(second) != digests(third)


def test_path_names_the_commune_and_month():
    place = reporting_path("thong_nong/01366/2017-02/bao_cao.xlsx")
    assert (place.reporting_unit, str(place.period_end)) == ("01366", "2017-02-28")
    assert reporting_path("ha_quang/chi_tieu.xlsx").reporting_unit is None


def test_commune_workbooks_parse_to_their_own_unit_and_month(tmp_path):
    raw = tmp_path / "raw"
    write_corpus(40, raw, RAW, seed=3)
    batch = parse_batch(fingerprint_files(raw), raw)
    loaded = batch.rows
    assert loaded["reporting_unit"].nunique() == 30  # every pre-2020 commune of both districts
    assert {str(d)[:7] for d in loaded["period_end"]} == {"2016-01", "2016-02"}
    assert set(loaded["reporting_unit"]) <= {u for u in loaded["reporting_unit"] if len(u) == 5}


def test_a_synthetic_corpus_loads_without_conflicts(prefect_harness, tmp_path):
    from flows.orchestration.load_flow import run_load as load_warehouse

    raw = tmp_path / "raw"
    write_corpus(60, raw, RAW, seed=5)
    warehouse = tmp_path / "w.duckdb"
    summary = load_warehouse(raw_dir=raw, warehouse=warehouse, batch_size=7)
    assert summary.conflicts == []
    assert summary.files_loaded + summary.files_rejected == 60
    rows = sql(warehouse, "select count(*), count(distinct reporting_unit) from indicator_results")[0]
    assert rows[0] == sum(summary.rows_by_district.values()) and rows[1] == 30
