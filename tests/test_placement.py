"""A workbook's folder and its own words must agree on whose figures it holds, and when (flows/parse/placement.py):
where they disagree the file gets a finding and its figures are not published under the folder's unit or month."""

from __future__ import annotations

import shutil
from pathlib import Path

from flows.parse.workbook import process_workbook
from tests.conftest import RAW, sql
from tests.fixtures.write_malformed_workbooks import table, write_grid

THONG_NONG = RAW / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx"
HA_QUANG = RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx"


def _checks(path: Path, raw: Path) -> list[tuple[str, str]]:
    return [(f.check_name, f.severity) for f in process_workbook(path, raw).findings if f.severity == "error"]


def test_a_folder_that_is_no_commune_code_is_refused(tmp_path):
    for code in ("01234", "99999"):  # five digits, in no official list
        path = write_grid(tmp_path / "thong_nong" / code / "2019-12" / "bao_cao.xlsx", table(2019))
        result = process_workbook(path, tmp_path)
        assert not result.loaded and _checks(path, tmp_path) == [("unknown_reporting_unit", "error")]
        assert repr(code) in result.findings[0].message
    known = write_grid(tmp_path / "thong_nong" / "01363" / "2019-12" / "bao_cao.xlsx", table(2019))  # Xã Thông Nông
    assert process_workbook(known, tmp_path).loaded


def test_a_folder_month_the_title_contradicts_dates_nothing(tmp_path):
    filed = write_grid(tmp_path / "thong_nong" / "01363" / "2024-03" / "bao_cao.xlsx", table(2019))
    result = process_workbook(filed, tmp_path)
    assert not result.loaded and _checks(filed, tmp_path) == [("period_conflict", "error")]
    assert "2024-03" in result.findings[0].message and "31/12/2019" in result.findings[0].message
    bare = write_grid(tmp_path / "thong_nong" / "2024-04" / "bao_cao.xlsx", table(1961))  # a month folder alone
    assert _checks(bare, tmp_path) == [("period_conflict", "error")]
    agreeing = write_grid(tmp_path / "thong_nong" / "01363" / "2024-12" / "bao_cao.xlsx", table(2024))
    assert [r["period_end"] for r in process_workbook(agreeing, tmp_path).records][0].isoformat() == "2024-12-31"


def test_another_districts_workbook_in_a_districts_folder_is_refused(tmp_path):
    """The title of each former district's table calls it former ("huyện Thông Nông cũ"); the new district
    issues both reports, so its plain name ("của UBND huyện Hà Quảng") in Thông Nông's title is no sign."""
    for source, folder in ((THONG_NONG, "ha_quang"), (HA_QUANG, "thong_nong")):
        copied = tmp_path / folder / "bao_cao_gui_nham.xlsx"
        copied.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copied)
        result = process_workbook(copied, tmp_path)
        assert not result.loaded and _checks(copied, tmp_path) == [("district_mismatch", "error")]
        assert f"raw/{source.parent.name}/" in result.findings[0].message
    for source in (THONG_NONG, HA_QUANG):  # in their own folders they load, Hà Quảng named in both titles
        assert process_workbook(source, RAW).loaded


def test_a_communes_monthly_figure_never_stands_for_its_districts(prefect_harness, raw_copy, tmp_path):
    from flows.orchestration.load_flow import load_warehouse

    grain = "select district, value, period_end from target_attainment where indicator_code = 'grain_output' " \
            "and district = 'thong_nong'"
    warehouse = tmp_path / "w.duckdb"
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    before = sql(warehouse, grain)
    rows = [["1", "Tổng sản lượng lương thực có hạt", ">12.000 tấn", "500", None]]
    write_grid(raw_copy / "thong_nong" / "01363" / "2024-12" / "bao_cao.xlsx", table(2024, rows))
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    assert sql(warehouse, grain) == before and before
    assert sql(warehouse, "select reporting_unit, actual_value from indicator_results where source_file like "
                          "'thong_nong/01363/%'") == [("01363", 500.0)]


def test_a_space_after_the_extension_is_named_not_hidden(tmp_path):
    named = write_grid(tmp_path / "thong_nong" / "bao_cao.xlsx ", table(2019))
    (finding,) = process_workbook(named, tmp_path).findings
    assert finding.check_name == "unsupported_file" and "'.xlsx '" in finding.message and "space" in finding.message
