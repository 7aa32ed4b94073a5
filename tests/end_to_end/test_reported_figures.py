"""The figure shown is the figure reported: every view and the page keep the sheet's own figures and unit
beside the harmonised ones, a harmonisation that changes a figure is applied only where the source settles
it, and "per year" survives every layer.

Rules: sql/intermediate/int_harmonised_rows.sql,
sql/intermediate/int_district_attainment.sql, sql/marts/merger_contributions.sql, flows/publish/dashboard.py.
"""

from __future__ import annotations

import re
import shutil
from html import unescape

import duckdb
import pytest

from flows.core.messages import say
from flows.publish import dashboard
from flows.publish.outputs import exports_dir
from flows.warehouse import connection, model_build
from tests.conftest import sql


def _row(warehouse, view: str, where: str) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from {view} where {where}")
        rows = cursor.fetchall()
        assert len(rows) == 1, rows
        return dict(zip([d[0] for d in cursor.description], rows[0]))


def test_old_thong_nongs_population_growth_stays_as_reported_and_the_finding_asks(loaded_warehouse):
    growth = _row(loaded_warehouse, "harmonised_results",
                  "source_district = 'thong_nong' and indicator_code = 'natural_population_growth'")
    assert (growth["actual_reported"], growth["actual"], growth["unit"], growth["harmonisation_rules"]) == (
        9.2, 9.2, "percent_per_year", [])
    shown = _row(loaded_warehouse, "target_attainment",
                 "district = 'thong_nong' and indicator_code = 'natural_population_growth'")
    assert (shown["value"], shown["value_reported"], shown["status"]) == (9.2, 9.2, "undetermined")
    assert "per-mille (‰) figure typed as percent?" in shown["status_reason"]
    finding = sql(loaded_warehouse, "select source_sheet, source_row, source_column, raw_value from dq_issues "
                                    "where check_name = 'implausible_value' and source_district = 'thong_nong'")
    assert finding == [("Biểu Thông Nông", 14, "D", "9,2")]
    contribution = _row(loaded_warehouse, "merger_contributions",
                        "successor = 'merged' and indicator_code = 'natural_population_growth' "
                        "and predecessor = 'thong_nong'")
    assert (contribution["value"], contribution["value_reported"]) == (9.2, 9.2)


def test_a_suspected_per_mille_is_fixed_only_where_the_sheet_settles_it(loaded_warehouse, tmp_path):
    """Hand-made rows: 9,2 against a target of 1 %, which the loader suspects is ‰. With 92 % written beside
    it the sheet itself read 0,92 %; with 920 % it read 9,2 %; with no percentage nothing settles it."""
    copy = tmp_path / "settled.duckdb"
    shutil.copyfile(loaded_warehouse, copy)
    growth_row = "source_district = 'thong_nong' and source_row = 14"
    readings = {}
    with connection.connect(copy) as con:
        assert con.execute(f"select scale_fix_rule from landing_indicator_rows where {growth_row}").fetchall() == [
            ("per_mille_typed_as_percent",)]
        for reported in (920, None, 92):
            con.execute(f"update landing_indicator_rows set reported_pct = ? where {growth_row}", [reported])
            model_build.build_views(con)
            readings[reported] = con.execute(
                f"select actual, harmonisation_rules, harmonisation_notes from harmonised_results where {growth_row}"
            ).fetchone()
        shown = con.execute("select value, value_reported, status, status_reason from target_attainment "
                            "where district = 'thong_nong' and indicator_code = 'natural_population_growth'").fetchone()
    assert readings[920] == (9.2, [], [
        "9.2 may be mistyped (per_mille_typed_as_percent: 0.92); kept as written, as the sheet's own 920 % of "
        "target reads it so"])
    assert readings[None][:2] == (9.2, []) and "no percentage of target settles it" in readings[None][2][0]
    assert readings[92][0] == pytest.approx(0.92) and readings[92][1:] == (["per_mille_typed_as_percent"], [])
    assert shown[:3] == (pytest.approx(0.92), 9.2, "met")
    assert "the sheet writes 9.2 %/năm against a target of at most 1 %/năm" in shown[3]


def test_a_target_in_percent_of_communes_is_shown_as_the_percent_with_its_count(loaded_warehouse):
    health = _row(loaded_warehouse, "target_attainment",
                  "district = 'thong_nong' and indicator_code = 'communes_health_standard'")
    assert (health["value"], health["target_low"], health["count_base"], health["unit_name_vi"]) == (11, 11, 11, "xã")
    assert (health["value_reported"], health["target_low_reported"], health["unit_reported"]) == (100, 95, "%")
    assert ("the sheet writes 100 % against a target of at least 95 % (result 100 % of 11 pre-2020 communes = 11 "
            "(100 %); target 95 % of 11 pre-2020 communes = 10.45, so at least 11") in health["status_reason"]


def test_per_year_survives_every_layer(loaded_warehouse):
    """A figure reported per year (in its unit or its label) keeps 'per year' in every view."""
    lost = sql(loaded_warehouse, "select source_district, indicator_code, unit_reported, unit from harmonised_results "
                                 "where unit_reported like '%per_year' and unit not like '%per_year'")
    assert lost == []
    for view, where in (("harmonised_results", "source_district = 'ha_quang'"), ("target_attainment", "district = 'ha_quang'"),
                        ("merged_district_indicators", "successor = 'merged'"),
                        ("merger_contributions", "successor = 'merged' and predecessor = 'ha_quang'")):
        units = sql(loaded_warehouse, f"select distinct unit from {view} where {where} and indicator_code in "
                                      "('vocational_trainees', 'vocational_trainees_employed')")
        assert units == [("person_per_year",)], view


def test_a_unit_cell_that_is_no_unit_is_not_published_as_the_catalogues(loaded_warehouse):
    """Old Hà Quảng's birth-rate row writes '0' in its unit column: its figures keep no unit, not ‰."""
    birth = _row(loaded_warehouse, "harmonised_results",
                 "source_district = 'ha_quang' and indicator_code = 'birth_rate_reduction'")
    assert (birth["unit_raw"], birth["unit"], birth["harmonisation_rules"]) == ("0", None, [])
    assert birth["harmonisation_notes"] == [
        "the unit cell says '0', which is no unit: the figures keep no unit (the indicator's per_mille is not assumed)"]
    shown = _row(loaded_warehouse, "target_attainment", "district = 'ha_quang' and indicator_code = 'birth_rate_reduction'")
    assert (shown["unit"], shown["unit_reported"], shown["status"]) == (None, "0", "met")
    assert shown["status_reason"].endswith("the unit cell says '0', which is no unit: the figures keep no unit "
                                           "(the indicator's per_mille is not assumed)")
    assert sql(loaded_warehouse, "select source_row, source_column, raw_value from dq_issues "
                                 "where check_name = 'invalid_unit'") == [(41, "C", "0")]


def test_a_blank_unit_takes_the_catalogues_and_an_unread_one_is_never_summed(loaded_warehouse, tmp_path):
    """Hand-made rows: old Thông Nông's grain row with its unit cell blank takes tonnes (said in a note) and
    is summed; with an unreadable unit it has none and the successor's sum is not made."""
    copy = tmp_path / "units.duckdb"
    shutil.copyfile(loaded_warehouse, copy)
    grain = "source_district = 'thong_nong' and source_row = 9"
    with connection.connect(copy) as con:
        con.execute(f"update landing_indicator_rows set unit_raw = null, unit = null where {grain}")
        model_build.build_views(con)
        blank = con.execute(f"select unit, harmonisation_notes from harmonised_results where {grain}").fetchone()
        summed = con.execute("select value from merged_district_indicators "
                             "where successor = 'merged' and indicator_code = 'grain_output'").fetchone()
        con.execute(f"update landing_indicator_rows set unit_raw = 't?', unit = null where {grain}")
        model_build.build_views(con)
        unread = con.execute(f"select unit, harmonisation_notes from harmonised_results where {grain}").fetchone()
        refused = con.execute("select m.value, c.same_unit, c.comparable_reason from merged_district_indicators m "
                              "join district_comparison c using (successor, indicator_code, period_round) "
                              "where successor = 'merged' and indicator_code = 'grain_output'").fetchone()
    assert blank == ("tonne", ["no unit written: the indicator's unit (tonne) is taken"])
    assert summed == (30989,)
    assert unread[0] is None and "the unit cell says 't?'" in unread[1][0]
    assert refused[:2] == (None, False) and "thong_nong without a unit" in refused[2]


def _row_text(page: str, row_id: str) -> str:
    match = re.search(rf"<tr id='{row_id}'[^>]*>(.*?)</tr>", page, re.S)
    assert match, row_id
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", match.group(1))))


def test_the_page_shows_each_rows_own_unit_and_the_sheets_figures(loaded_warehouse, tmp_path):
    page = dashboard.write_dashboard(exports_dir(loaded_warehouse), tmp_path / "index.html").read_text(encoding="utf-8")
    rural = _row_text(page, "thong_nong-new_rural_communes")
    # a count against an "at least" target, not "1 / 1 %"
    assert "1 / ≥ 1 xã trên tổng số 10" in rural and "%" not in rural.split("trên tổng số")[0]
    health = _row_text(page, "thong_nong-communes_health_standard")
    assert "11 / ≥ 11 xã trên tổng số 11" in health and "Báo cáo ghi: 100 % / ≥ 95 %" in health
    houses = _row_text(page, "ha_quang-cultural_houses_built")
    assert "8,8 nhà/năm / ≥ 10" in houses and "Báo cáo ghi: 44 nhà / ≥ 10 nhà" in houses
    birth = _row_text(page, "ha_quang-birth_rate_reduction")
    assert "‰" not in birth and say("dashboard.unit_unread", "vi", figures="0,3 / 0,2-2", unit="0") in birth
    trainees = _row_text(page, "ha_quang-vocational_trainees")
    assert "1.950 người/năm" in trainees and "Báo cáo ghi" not in trainees  # nothing changed, nothing repeated
