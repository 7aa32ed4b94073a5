"""The merged district from the real raw/ tables: catalogue mapping, units, weights, communes."""

from __future__ import annotations

import csv

import pytest

from flows.cli import main
from tests.conftest import REPO, sql
from tests.layout_variants import Grid

REFERENCE = REPO / "schemas" / "reference"


def one(warehouse, query, params=None):
    rows = sql(warehouse, query, params)
    assert len(rows) == 1, rows
    return rows[0]


def test_every_reported_row_maps_to_a_catalogue_indicator(loaded_warehouse):
    assert sql(loaded_warehouse, "select row_label from indicator_results "
                                 "where indicator_code is null and row_kind <> 'group'") == []
    assert sql(loaded_warehouse, "select * from unmapped_labels") == []


def test_merged_grain_output_is_the_sum_of_both_districts(loaded_warehouse):
    value, method, ha, tn = one(loaded_warehouse, "select value, method, ha_quang_value, thong_nong_value "
                                                  "from merged_district_indicators where indicator_code = 'grain_output'")
    assert (method, ha, tn) == ("sum", 17889, 13100)
    assert value == ha + tn


def test_merged_forest_cover_is_the_area_weighted_mean(loaded_warehouse):
    value, method, ha, tn, w_ha, w_tn = one(loaded_warehouse, """
        select value, method, ha_quang_value, thong_nong_value, ha_quang_weight, thong_nong_weight
        from merged_district_indicators where indicator_code = 'forest_cover'""")
    areas = dict(sql(loaded_warehouse, "select district_code, value from district_figures "
                                       "where figure = 'area' and entity = 'former'"))
    assert method == "area_weighted_mean" and (w_ha, w_tn) == (areas["045"], areas["044"])
    assert value == pytest.approx((ha * w_ha + tn * w_tn) / (w_ha + w_tn))
    assert min(ha, tn) < value < max(ha, tn)


def test_percentages_and_growth_rates_are_never_summed(loaded_warehouse):
    methods_by_unit = sql(loaded_warehouse, "select distinct unit, method from merged_district_indicators "
                                            "where method in ('sum', 'area_weighted_mean', 'population_weighted_mean')")
    rates = {"percent", "percent_per_year", "per_mille", "million_vnd_per_year", "million_vnd_per_ha"}
    assert all(method != "sum" for unit, method in methods_by_unit if unit in rates)
    assert all(method == "sum" for unit, method in methods_by_unit if unit in {"tonne", "hectare", "commune"})
    growth = sql(loaded_warehouse, "select method, value from merged_district_indicators "
                                   "where indicator_code = 'budget_revenue_growth'")
    assert growth == [("not_aggregable", None)]


def test_harmonised_values_show_the_reported_value_and_the_rule(loaded_warehouse):
    houses = one(loaded_warehouse, "select actual_reported, actual, harmonisation_rules from harmonised_results "
                                   "where indicator_code = 'cultural_houses_built'")
    assert houses[0] == 44 and houses[1] == pytest.approx(44 / 5) and "plan_total_to_per_year" in houses[2]
    growth = one(loaded_warehouse, "select actual_reported, actual, harmonisation_rules from harmonised_results "
                                   "where indicator_code = 'natural_population_growth'")
    assert growth[0] == 9.2 and growth[1] == pytest.approx(0.92) and growth[2] == ["per_mille_typed_as_percent"]
    untouched = one(loaded_warehouse, "select actual_reported, actual, harmonisation_rules, is_changed "
                                      "from harmonised_results where indicator_code = 'grain_output' "
                                      "and source_district = 'ha_quang'")
    assert untouched == (17889, 17889, [], False)


def test_comparability_says_why_not(loaded_warehouse):
    rows = dict(sql(loaded_warehouse, "select indicator_code, comparable_reason from district_comparison "
                                      "where not comparable"))
    assert rows["forest_cover"].startswith("different period: ha_quang estimated to 2020-12-31, thong_nong actual")
    assert "different definition" in rows["new_rural_communes"]
    assert rows["tobacco_area"] == "reported by ha_quang only"
    both = sql(loaded_warehouse, "select count(*) from district_comparison "
                                 "where ha_quang_label is not null and thong_nong_label is not null")[0][0]
    assert both == 16


def test_sql_attainment_macro_agrees_with_the_parser(loaded_warehouse):
    differences = sql(loaded_warehouse, """
        select row_label, computed_pct, attainment_pct(actual_value, target_low, target_high)
        from indicator_results
        where abs(coalesce(computed_pct, -1) - coalesce(attainment_pct(actual_value, target_low, target_high), -1)) > 1e-3""")
    assert differences == []


def reference_communes(period: str) -> dict[str, dict]:
    with open(REFERENCE / "cao_bang_admin_units.csv", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {r["code"]: r for r in rows if r["period"] == period and r["level"] == "commune"}


def test_admin_units_hold_every_commune_of_each_period(loaded_warehouse):
    counts = dict(sql(loaded_warehouse, "select period, count(*) from admin_units where level = 'commune' group by all"))
    assert counts == {"pre2020": 30, "2020_2025": 21, "from2025": 7}
    for period in counts:
        codes = {r[0] for r in sql(loaded_warehouse, "select code from admin_units where level = 'commune' "
                                                     "and period = ?", [period])}
        assert codes == set(reference_communes(period))
    assert all(source for (source,) in sql(loaded_warehouse, "select source from admin_units"))
    assert sql(loaded_warehouse, "select count(*) from reference_sources")[0][0] > 5


def test_commune_crosswalk_follows_the_reference_and_does_not_guess(loaded_warehouse):
    rows = sql(loaded_warehouse, "select old_code, code_2020_2025, successor_2025_code, status from commune_crosswalk")
    expected = reference_communes("pre2020")
    assert {r[0] for r in rows} == set(expected)
    for old_code, code_2020, successor, status in rows:
        assert code_2020 == (expected[old_code]["code_2020_2025"] or None)
        assert successor == (expected[old_code]["successor_2025_code"] or None)
        if code_2020 is None:
            assert status == "retired_destination_not_recorded" and successor is None
    assert len({r[1] for r in rows if r[1]}) == 21 and len({r[2] for r in rows if r[2]}) == 7
    thong_nong = {r[0] for r in sql(loaded_warehouse, "select successor_2025_name from commune_crosswalk "
                                                      "where source_district = 'thong_nong' and successor_2025_code is not null")}
    assert "Xã Thông Nông" in thong_nong


def test_every_analyst_view_and_column_is_documented(loaded_warehouse):
    marts = sorted(p.stem for p in (REPO / "sql" / "marts").glob("*.sql"))
    undocumented_views = sql(loaded_warehouse, "select view_name from duckdb_views() where comment is null "
                                               "and view_name in (select unnest(?))", [marts])
    assert undocumented_views == []
    undocumented_columns = sql(loaded_warehouse, "select table_name, column_name from duckdb_columns() "
                                                 "where comment is null and table_name in (select unnest(?))", [marts])
    assert undocumented_columns == []


def test_a_relabelled_row_is_proposed_not_lost(prefect_harness, raw_copy, tmp_path):
    source = next((raw_copy / "thong_nong").glob("*.xlsx"))
    grid = Grid.read(source)
    for row in grid.cells:
        if row[1] == "Thu nhập bình quân đầu người":
            row[1] = "Thu nhập BQ đầu người"
    grid.write(source)
    warehouse = tmp_path / "w.duckdb"
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse)]) == 0  # a warning, not an error
    row = one(warehouse, "select indicator_code, actual_value, dq_flags from indicator_results "
                         "where row_label = 'Thu nhập BQ đầu người'")
    assert row[0] is None and row[1] == 21 and "unmapped_indicator" in row[2]
    best, score, suggestions = one(warehouse, "select best_indicator_code, best_score, suggestions "
                                              "from unmapped_labels where row_label = 'Thu nhập BQ đầu người'")
    assert best == "income_per_capita" and score > 0.8 and len(suggestions) == 3
