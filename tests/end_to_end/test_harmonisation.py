"""The merged district from the real raw/ tables: catalogue mapping, units, weights, communes."""

from __future__ import annotations

import csv

import pytest

from flows.cli import main
from schemas.catalogues import table
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


def contributions(warehouse, code: str) -> dict[str, dict]:
    """merger_contributions of the merged district on one indicator, by predecessor."""
    names = ["predecessor", "value", "weight", "weight_figure", "weight_year", "weight_basis", "weight_source",
             "period_year", "contributes"]
    rows = sql(warehouse, f"select {', '.join(names[:-2])}, year(period_end), contributes from merger_contributions "
                          "where successor = 'merged' and indicator_code = ?", [code])
    return {row[0]: dict(zip(names, row)) for row in rows}


def test_merged_grain_output_is_the_sum_of_both_districts(loaded_warehouse):
    value, method = one(loaded_warehouse, "select value, method from merged_district_indicators "
                                          "where successor = 'merged' and indicator_code = 'grain_output'")
    halves = contributions(loaded_warehouse, "grain_output")
    ha, tn = halves["ha_quang"]["value"], halves["thong_nong"]["value"]
    assert (method, ha, tn) == ("sum", 17889, 13100)
    assert value == ha + tn and all(half["contributes"] for half in halves.values())


def test_merged_forest_cover_is_the_area_weighted_mean(loaded_warehouse):
    value, method, kind = one(loaded_warehouse, """
        select value, method, weight_kind from merged_district_indicators
        where successor = 'merged' and indicator_code = 'forest_cover'""")
    halves = contributions(loaded_warehouse, "forest_cover")
    ha, tn = halves["ha_quang"]["value"], halves["thong_nong"]["value"]
    w_ha, w_tn = halves["ha_quang"]["weight"], halves["thong_nong"]["weight"]
    areas = {(r[0], r[1]) for r in sql(loaded_warehouse, "select district_code, value from district_figures "
                                                          "where starts_with(figure, 'area') and entity = 'former'")}
    assert method == "area_weighted_mean" and kind == "area"
    assert ("045", w_ha) in areas and ("044", w_tn) in areas
    assert value == pytest.approx((ha * w_ha + tn * w_tn) / (w_ha + w_tn))
    assert min(ha, tn) < value < max(ha, tn)


def reference_figures() -> list[dict]:
    with open(REFERENCE / "district_figures.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def weighted_rows(warehouse) -> list[dict]:
    """The merged district's full weighted means, each predecessor's weight as <predecessor>_weight, ... ."""
    means = sql(warehouse, "select indicator_code, method, weight_kind, caveats from merged_district_indicators "
                           "where successor = 'merged' and method like '%weighted_mean' and coverage_status = 'full'")
    rows = []
    for code, method, kind, caveats in means:
        row = {"indicator_code": code, "method": method, "weight_kind": kind, "caveats": caveats}
        for half, figures in contributions(warehouse, code).items():
            row.update({f"{half}_{name}": figures[name] for name in
                        ("weight", "weight_figure", "weight_year", "weight_basis", "weight_source")})
            row[f"{half}_period_end"] = figures["period_year"]
        rows.append(row)
    return rows


def nearest_year_holds(warehouse) -> list[dict]:
    """Each half's weight is of the mean's kind, and no candidate of that kind is nearer its period."""
    rows = weighted_rows(warehouse)
    assert rows
    for row in rows:
        for half in ("ha_quang", "thong_nong"):
            year, period = row[f"{half}_weight_year"], row[f"{half}_period_end"]
            assert row[f"{half}_weight_figure"].startswith(row["weight_kind"])
            candidate_years = [y for (y,) in sql(warehouse, "select reference_year from int_predecessor_weights "
                                                            "where predecessor = ? and weight = ?",
                                                 [half, row["weight_kind"]])]
            dated = [abs(y - period) for y in candidate_years if y is not None]
            if dated:  # a figure without a year is taken only when no dated one exists
                assert year is not None and abs(year - period) == min(dated), (row["indicator_code"], half)
            caveat = next(c for c in row["caveats"] if c.startswith("weights: "))
            assert f"{half} {row[f'{half}_weight_figure']} {year if year is not None else 'year not stated'}" in caveat
            assert row[f"{half}_weight_source"] in caveat
    return rows


def test_each_weight_comes_from_the_reference_year_nearest_its_figures(loaded_warehouse):
    rows = nearest_year_holds(loaded_warehouse)
    figures = reference_figures()
    # old Hà Quảng states no population of its own before 2025: its 2019 one is the merged
    # district's 2019 population less old Thông Nông's, both in the file
    merged = {f["reference_year"]: float(f["value"]) for f in figures
              if f["figure"] == "population" and "(mới)" in f["district_name"]}
    thong_nong = {f["reference_year"]: float(f["value"]) for f in figures
                  if f["figure"] == "population" and f["district_code"] == "044"}
    population = [r for r in rows if r["weight_kind"] == "population"]
    assert population
    for row in population:
        year = str(row["ha_quang_weight_year"])
        assert row["ha_quang_weight_basis"] == "derived" and row["ha_quang_weight"] == merged[year] - thong_nong[year]
        assert "minus thong_nong" in row["ha_quang_weight_source"]
        assert row["thong_nong_weight_basis"] == "stated" and row["thong_nong_weight"] == thong_nong[year]
        assert any(f"population {year} (" in c for c in row["caveats"])


def _replace_reference(warehouse, tmp_path, table: str, rows: list[dict]):
    """A copy of the loaded warehouse whose reference table holds other rows, its models built again from them."""
    import shutil

    import duckdb
    import pandas as pd

    copy = tmp_path / "variant.duckdb"
    shutil.copyfile(warehouse, copy)
    from flows.warehouse import connection, layers, model_build

    with duckdb.connect(str(copy)) as con:
        frame = pd.DataFrame(rows, dtype="string")
        con.register("variant_rows", frame)
        con.execute(f"create or replace table {layers.qualified(table)} as select * from variant_rows")
    with connection.connect(copy) as con:
        model_build.build_views(con)
    return copy


def test_a_dated_reference_row_changes_the_weight_without_code(loaded_warehouse, tmp_path):
    figures = reference_figures()
    template = next(f for f in figures if f["district_code"] == "045" and f["figure"] == "population"
                    and "(cũ)" not in f["district_name"])
    added = [  # a stated 2020 population of old Hà Quảng
        {**template, "district_name": "Huyện Hà Quảng (cũ)", "value": "35500", "reference_year": "2020",
         "source": "a test census"},
    ]
    # and area figures without a year only, for old Hà Quảng: the undated one must be taken, and said so
    kept = [f for f in figures if not (f["district_code"] == "045" and f["figure"].startswith("area")
                                       and f["reference_year"])]
    warehouse = _replace_reference(loaded_warehouse, tmp_path, "ref_district_figures", kept + added)
    rows = nearest_year_holds(warehouse)
    for row in rows:
        if row["weight_kind"] == "population":  # figures of 2020: the stated 2020 beats the derived 2019
            assert (row["ha_quang_weight"], row["ha_quang_weight_year"], row["ha_quang_weight_basis"]) == \
                (35500, 2020, "stated")
            assert any("ha_quang population 2020 (a test census)" in c for c in row["caveats"])
        else:
            assert (row["ha_quang_weight_figure"], row["ha_quang_weight_year"]) == ("area", None)
            assert any("year not stated (ranked after any dated figure)" in c for c in row["caveats"])


def test_percentages_and_growth_rates_are_never_summed(loaded_warehouse):
    methods_by_unit = sql(loaded_warehouse, "select distinct unit, method from merged_district_indicators "
                                            "where method in ('sum', 'area_weighted_mean', 'population_weighted_mean')")
    rates = {"percent", "percent_per_year", "per_mille", "million_vnd_per_year", "million_vnd_per_ha"}
    assert all(method != "sum" for unit, method in methods_by_unit if unit in rates)
    assert all(method == "sum" for unit, method in methods_by_unit if unit in {"tonne", "hectare", "commune"})
    growth = sql(loaded_warehouse, "select method, value from merged_district_indicators "
                                   "where successor = 'merged' and indicator_code = 'budget_revenue_growth'")
    assert growth == [("not_aggregable", None)]


def test_harmonised_values_show_the_reported_value_and_the_rule(loaded_warehouse):
    houses = one(loaded_warehouse, "select actual_reported, actual, harmonisation_rules from harmonised_results "
                                   "where indicator_code = 'cultural_houses_built'")
    assert houses[0] == 44 and houses[1] == pytest.approx(44 / 5) and "plan_total_to_per_year" in houses[2]
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
                                 "where reported_by = 'ha_quang + thong_nong'")[0][0]
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


CROSSWALK = """select old_code, old_name, status, code_2020_2025, name_2020_2025, destination_code, destination_name,
    destination_basis, absorbed_from, successor_2025_code, successor_2025_basis, event_2020 from commune_crosswalk"""


def crosswalk(warehouse) -> dict[str, dict]:
    names = [c.strip() for c in CROSSWALK.split(" from commune_crosswalk")[0].replace("select", "").split(",")]
    return {row[0]: dict(zip(names, row)) for row in sql(warehouse, CROSSWALK)}


def crosswalk_holds(warehouse, expected: dict[str, dict]) -> dict[str, dict]:
    """The rules of the crosswalk, checked on every row against the reference rows it was read from."""
    rows = crosswalk(warehouse)
    assert set(rows) == set(expected)
    new = {r[0]: r[1:] for r in sql(warehouse, "select code, name, successor_2025_code from admin_units "
                                               "where period = '2020_2025' and level = 'commune'")}
    destinations = {r["destination_code"] for r in rows.values() if r["status"] == "merged_into"}
    recorded = {r["old_code"]: r for r in table("unit_destinations.csv")}  # before the reference's wording
    for code, row in rows.items():
        source = expected[code]
        assert row["code_2020_2025"] == (source["code_2020_2025"] or None)
        inferred = ("[inferred" in source["event_2020"] if code not in recorded
                    else recorded[code]["basis"] == "inferred")
        if row["code_2020_2025"]:  # kept: its own code; a kept code that took in another is a merger
            assert row["destination_code"] == row["code_2020_2025"] and row["destination_basis"] == "official"
            assert row["successor_2025_code"] == (source["successor_2025_code"] or None)
            if code in destinations:
                assert row["status"] == "absorbed" and row["absorbed_from"]
            else:
                assert row["status"] == ("kept" if row["name_2020_2025"] == row["old_name"] else "renamed")
        elif row["status"] == "merged_into":  # the successor of a merged commune is its destination's
            assert row["destination_code"] in new and row["destination_name"] == new[row["destination_code"]][0]
            assert row["destination_basis"] == ("inferred" if inferred else "official")
            assert row["successor_2025_code"] == new[row["destination_code"]][1]
            assert row["successor_2025_basis"] == "via_2020_destination"
            absorber = next(r for r in rows.values() if r["code_2020_2025"] == row["destination_code"])
            assert f"({code}, {row['destination_basis']})" in absorber["absorbed_from"]
        else:
            assert row["status"] in ("retired_destination_not_recorded", "retired_destination_unresolved")
            assert row["successor_2025_code"] is None and row["destination_code"] is None
            if row["status"] == "retired_destination_not_recorded":
                assert row["destination_basis"] is None and "not recorded" in source["event_2020"]
                assert code not in recorded
    return rows


def test_commune_crosswalk_calls_a_merger_a_merger(loaded_warehouse):
    expected = reference_communes("pre2020")
    rows = crosswalk_holds(loaded_warehouse, expected)
    assert len({r["code_2020_2025"] for r in rows.values() if r["code_2020_2025"]}) == 21
    assert len({r["successor_2025_code"] for r in rows.values() if r["successor_2025_code"]}) == 7
    # the four retired communes whose destination the reference records (the issue names them)
    by_name = {r["old_name"]: r for r in rows.values()}
    # and one it does not, recorded in schemas/unit_destinations.csv with its evidence
    assert (by_name["Xã Vần Dính"]["status"], by_name["Xã Vần Dính"]["destination_code"],
            by_name["Xã Vần Dính"]["destination_basis"]) == ("merged_into", "01420", "inferred")
    assert "Xã Vần Dính (01423, inferred)" in by_name["Xã Thượng Thôn"]["absorbed_from"]
    evidence = sql(loaded_warehouse, "select destination_evidence from commune_crosswalk where old_code = '01423'")[0][0]
    assert "01/03/2020" in evidence and "schemas/unit_destinations.csv" in evidence
    assert sorted(r["old_name"] for r in rows.values() if r["status"] == "retired_destination_not_recorded") == [
        "Xã Bình Lãng", "Xã Hạ Thôn", "Xã Kéo Yên", "Xã Vị Quang"]
    for name in ("Xã Nà Sác", "Xã Cải Viên", "Xã Hồng Sĩ", "Xã Đào Ngạn"):
        assert by_name[name]["status"] == "merged_into", name
    assert by_name["Xã Nà Sác"]["destination_basis"] == "official"
    # every commune renamed in 2020 took in a retired one: none is a pure rename here
    renamed_codes = {c for c, r in expected.items() if r["code_2020_2025"] and r["name_2020_2025"] != r["name"]}
    assert renamed_codes and all(rows[c]["status"] == "absorbed" for c in renamed_codes)
    thong_nong = {r[0] for r in sql(loaded_warehouse, "select successor_2025_name from commune_crosswalk "
                                                      "where source_district = 'thong_nong' and successor_2025_code is not null")}
    assert "Xã Thông Nông" in thong_nong


def test_commune_crosswalk_reads_other_wordings_of_the_events(loaded_warehouse, tmp_path):
    with open(REFERENCE / "cao_bang_admin_units.csv", encoding="utf-8") as handle:
        units = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    pre = {r["code"]: r for r in units if r["period"] == "pre2020" and r["level"] == "commune"}
    recorded = {r["old_code"] for r in table("unit_destinations.csv")}  # these the catalogue decides
    not_recorded = [c for c, r in pre.items() if "not recorded" in r["event_2020"] and c not in recorded]
    inferred = [c for c, r in pre.items() if "[inferred" in r["event_2020"] and not r["code_2020_2025"]]
    same_name = [c for c, r in pre.items() if r["code_2020_2025"] and r["name_2020_2025"] == r["name"]]
    kept = {r["code"]: r for r in units if r["period"] == "2020_2025" and r["level"] == "commune"}
    target, other = kept[same_name[0]], kept[same_name[-1]]
    bare = target["name"].removeprefix(target["type"] + " ")  # running text names a commune without "Xã"
    pre[not_recorded[0]]["event_2020"] = f"code_retired_2020; merged into {bare} per a test decision (2020)"
    pre[not_recorded[1]]["event_2020"] = f"code_retired_2020; name continues under code {other['code']} (ex-X)"
    pre[not_recorded[2]]["event_2020"] = "code_retired_2020; merged into Nowhere per a test note"
    third = kept[same_name[1]]
    pre[not_recorded[3]]["event_2020"] = f"code_retired_2020; merged into {third['name']} ({third['code']}) [inferred from a map]"
    # an inferred merger dropped: the commune that took it in is now a plain rename (or kept)
    pre[inferred[0]]["event_2020"] = "code_retired_2020 (absorbing unit not recorded in these sources)"
    warehouse = _replace_reference(loaded_warehouse, tmp_path, "ref_admin_units", units)
    rows = crosswalk_holds(warehouse, pre)
    assert rows[not_recorded[0]]["status"] == "merged_into"
    assert rows[not_recorded[0]]["destination_code"] == target["code"]
    assert rows[not_recorded[0]]["destination_basis"] == "official"
    assert rows[target["code"]]["status"] == "absorbed"
    assert rows[not_recorded[1]]["destination_code"] == other["code"]
    assert rows[not_recorded[1]]["successor_2025_code"] == other["successor_2025_code"]
    assert rows[not_recorded[2]]["status"] == "retired_destination_unresolved"
    assert rows[not_recorded[2]]["destination_name"] == "Nowhere"
    assert rows[inferred[0]]["status"] == "retired_destination_not_recorded"
    assert (rows[not_recorded[3]]["destination_code"], rows[not_recorded[3]]["destination_basis"]) == \
        (third["code"], "inferred")
    statuses = {r["status"] for r in rows.values()}
    assert "renamed" in statuses  # the merger dropped leaves a pure rename behind


def test_a_destination_recorded_in_the_catalogue_completes_the_crosswalk(loaded_warehouse, tmp_path):
    """A resolution's text entered as a row of schemas/unit_destinations.csv: the commune is merged on that
    basis, the commune that took it in says so, and its 2025 successor follows its destination's."""
    pre = reference_communes("pre2020")
    retired = sorted(c for c, r in pre.items() if "not recorded" in r["event_2020"]
                     and c not in {row["old_code"] for row in table("unit_destinations.csv")})
    kept = sorted(c for c, r in pre.items() if r["code_2020_2025"] and r["parent_code"] == pre[retired[0]]["parent_code"])
    stated = {"old_code": retired[0], "old_name": pre[retired[0]]["name"], "destination_code": kept[0],
              "destination_name": pre[kept[0]]["name_2020_2025"], "basis": "official",
              "evidence": "Điều 1 of a test resolution", "source": "a test"}
    warehouse = _replace_reference(loaded_warehouse, tmp_path, "ref_unit_destinations",
                                   [*table("unit_destinations.csv"), stated])
    rows = crosswalk(warehouse)
    assert (rows[retired[0]]["status"], rows[retired[0]]["destination_code"], rows[retired[0]]["destination_basis"]) == (
        "merged_into", kept[0], "official")
    assert rows[retired[0]]["successor_2025_code"] == pre[kept[0]]["successor_2025_code"]
    assert rows[kept[0]]["status"] == "absorbed" and f"({retired[0]}, official)" in rows[kept[0]]["absorbed_from"]


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
