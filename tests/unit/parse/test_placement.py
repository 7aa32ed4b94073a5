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


def test_a_former_district_is_known_by_its_name_however_typed_and_on_a_cover_sheet(tmp_path):
    from tests.layout_variants import Grid

    for title in ("huyện Thông Nông - cũ, số liệu đến hết năm 2019", "huyen Thong Nong cu, den het nam 2019",
                  "HUYỆN THÔNG NÔNG (CŨ)"):
        grid = Grid.read(HA_QUANG)
        grid.cells[1] = [title] + grid.cells[1][1:]
        path = grid.write(tmp_path / title[:8] / "ha_quang" / "bao_cao.xlsx")
        assert _checks(path, path.parents[1]) == [("district_mismatch", "error")], title
    # a table whose own title names no district, behind a cover sheet that does
    for cover, refused in ((["BÁO CÁO", "HUYỆN THÔNG NÔNG CŨ"], True), (["BÁO CÁO", "HUYỆN HÀ QUẢNG CŨ"], False)):
        path = Grid("Biểu", table(2019)).write(tmp_path / cover[1] / "ha_quang" / "bao_cao.xlsx", cover=cover)
        assert _checks(path, path.parents[1]) == ([("district_mismatch", "error")] if refused else [])


def test_a_communes_monthly_figure_never_stands_for_its_districts(prefect_harness, raw_copy, tmp_path):
    from flows.orchestration.load_flow import run_load as load_warehouse

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


def test_folders_that_name_two_communes_or_two_months_place_nothing(tmp_path):
    for folders in (("01363", "01366", "2019-12"), ("01363", "2019-12", "2020-12"), ("2019-12", "01363", "2020-01")):
        path = write_grid(tmp_path.joinpath("thong_nong", *folders, "bao_cao.xlsx"), table(2019))
        result = process_workbook(path, tmp_path)
        assert not result.loaded and _checks(path, tmp_path) == [("unknown_reporting_unit", "error")]
        assert "more than one commune or month" in result.findings[0].message
    wide = write_grid(tmp_path / "thong_nong" / "２０１９-12" / "bao_cao.xlsx", table(2019))  # full-width digits
    assert [r["period_end"] for r in process_workbook(wide, tmp_path).records][0].isoformat() == "2019-12-31"


def test_a_month_folder_after_the_plan_period_the_title_names_dates_nothing(tmp_path):
    """"giai đoạn 2015- 2020" with no year of its own is taken for 2020 (period_assumed); filed under 2021-06
    it is no report of June 2021, and under 2020-06 it may be one."""
    plan = [["Kết quả thực hiện các chỉ tiêu giai đoạn 2015- 2020"], [], *table(2020)[2:]]
    late = write_grid(tmp_path / "thong_nong" / "2021-06" / "bao_cao.xlsx", plan)
    assert _checks(late, tmp_path) == [("period_conflict", "error")]
    within = write_grid(tmp_path / "thong_nong" / "2018-06" / "bao_cao.xlsx", plan)
    assert [r["period_end"] for r in process_workbook(within, tmp_path).records][0].isoformat() == "2018-06-30"
