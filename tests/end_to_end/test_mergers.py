"""A merger as data: successor figures from predecessors' rows, with coverage, periods and whose targets.

The rules are sql/intermediate/int_successor_figures.sql and sql/marts/target_attainment.sql, read from
schemas/boundary_changes.csv and schemas/aggregation_methods.csv; the tests hold them on raw/, on a third
predecessor added by catalogue rows alone and on communes' monthly reports merged into their 2025 commune.
"""

from __future__ import annotations

import csv
import shutil

import pytest

from flows.warehouse import connection, model_build
from tests.layout_variants import Grid
from tests.conftest import RAW, REPO, sql


def merged(warehouse, code: str, successor: str = "merged") -> dict:
    rows = sql(warehouse, "select * from merged_district_indicators where successor = ? and indicator_code = ?",
               [successor, code])
    assert len(rows) == 1, rows
    names = [name for (name,) in sql(warehouse, "select column_name from duckdb_columns() "
                                                "where table_name = 'merged_district_indicators' order by column_index")]
    return dict(zip(names, rows[0]))


def attainment(warehouse, code: str, district: str = "merged") -> tuple[str, str]:
    rows = sql(warehouse, "select status, status_reason from target_attainment where district = ? and indicator_code = ?",
               [district, code])
    assert len(rows) == 1, rows
    return rows[0]


def test_no_successor_figure_of_one_predecessor_carries_a_status(loaded_warehouse):
    rows = sql(loaded_warehouse, """
        select t.indicator_code, t.status, m.coverage, m.coverage_status, m.value
        from target_attainment t
        join merged_district_indicators m on m.successor = t.district and m.indicator_code = t.indicator_code
        where t.district = 'merged' and m.reported_by not like '% + %'""")
    assert len(rows) == 31  # maize 934 ha, growth 7,4 %, tobacco 581,4 ha ... each one former district's
    assert {(status, coverage_status, value) for _, status, _, coverage_status, value in rows} == {
        ("partial", "partial", None)}
    assert all(coverage < 2 / 3 for _, _, coverage, _, _ in rows)
    # a partial figure takes nobody's; a status decided on both halves' own (dominance) takes both
    contributing = dict(sql(loaded_warehouse, "select indicator_code, list(predecessor order by predecessor) "
                                              "filter (where contributes) from merger_contributions "
                                              "where successor = 'merged' group by all"))
    assert all(contributing[code] is None for code, *_ in rows)
    assert contributing["budget_revenue_growth"] == contributing["grain_output"] == ["ha_quang", "thong_nong"]


def test_coverage_is_the_share_of_the_successors_population(loaded_warehouse):
    shares = dict(sql(loaded_warehouse, "select predecessor, weight_share from merger_contributions "
                                        "where successor = 'merged' and indicator_code = 'grain_output'"))
    maize = merged(loaded_warehouse, "maize_area_commercial")
    assert (maize["coverage_basis"], maize["reported_by"], maize["missing_predecessors"]) == (
        "population", "ha_quang", ["thong_nong"])
    assert maize["coverage"] == pytest.approx(shares["ha_quang"]) and 0.55 < maize["coverage"] < 0.62
    assert maize["min_coverage"] == 1 and maize["target"] is None
    status, reason = attainment(loaded_warehouse, "maize_area_commercial")
    assert status == "partial" and "only ha_quang reported" in reason and "Thông Nông" in reason


def test_every_mixed_period_figure_shows_both_periods(loaded_warehouse):
    rows = sql(loaded_warehouse, """
        select t.indicator_code, t.period_end, t.period_end_earliest, t.period_basis, t.status, t.status_reason
        from target_attainment t where t.district = 'merged' and t.status <> 'partial'""")
    assert rows
    for code, end, earliest, basis, status, reason in rows:
        assert (str(end), str(earliest), basis) == ("2020-12-31", "2019-12-31", "mixed"), code
        if status in ("met", "not_met"):
            assert "mixes periods: ha_quang estimated to 2020-12-31, thong_nong actual to 2019-12-31" in reason, code
    grain = merged(loaded_warehouse, "grain_output")
    assert (grain["value"], grain["period_basis"], str(grain["period_end_earliest"]), str(grain["period_end_latest"])) \
        == (30989, "mixed", "2019-12-31", "2020-12-31")


def test_a_derived_target_met_where_a_predecessor_missed_its_own_says_so(loaded_warehouse):
    electricity = merged(loaded_warehouse, "households_grid_electricity")
    assert electricity["target_basis"] == "derived" and electricity["is_stand_in_weight"]
    assert electricity["target_derivation"] == "population-weighted mean of the predecessors' targets"
    status, reason = attainment(loaded_warehouse, "households_grid_electricity")
    assert status == "met" and reason.startswith("met overall; ")
    assert "former Hà Quảng district missed its own target (99.18 against a target of at least 100)" in reason
    own = attainment(loaded_warehouse, "households_grid_electricity", "ha_quang")[0]
    assert own == "not_met"


def test_a_verdict_within_the_stand_in_weights_margin_is_undetermined(loaded_warehouse):
    """Cultured families: 80 of 85 and 93 of 85, weighed by population for households, clear the derived
    target by 0,34 points; a household count 10 % off the population's share would turn it."""
    families = merged(loaded_warehouse, "cultured_families_share")
    assert families["value"] - families["target"] == pytest.approx(0.343, abs=1e-3)
    status, reason = attainment(loaded_warehouse, "cultured_families_share")
    assert status == "undetermined" and "population stands in for the number of households" in reason
    margin = sql(loaded_warehouse, "select stand_in_margin from stg_aggregation_methods "
                                   "where method = 'population_weighted_mean'")[0][0]
    assert f"off by {round(margin * 100)} %" in reason
    # the same rule, on the real weights, keeps a verdict far from the margin: income per head
    assert attainment(loaded_warehouse, "income_per_capita")[0] == "met"


def test_the_margin_rule_on_hand_made_weights(loaded_warehouse, tmp_path):
    """A wider margin makes electricity undetermined too; none keeps cultured families met."""
    copy = tmp_path / "margins.duckdb"
    shutil.copyfile(loaded_warehouse, copy)
    with connection.connect(copy) as con:
        for margin, families, electricity in (("0.6", "undetermined", "undetermined"), ("0", "met", "met")):
            con.execute("update ref_aggregation_methods set stand_in_margin = ? "
                        "where method = 'population_weighted_mean'", [margin])
            model_build.build_views(con)  # target_attainment is stored: built again from the new reference row
            statuses = dict(con.execute("select indicator_code, status from target_attainment where district = 'merged' "
                                        "and indicator_code in ('cultured_families_share', 'households_grid_electricity')"
                                        ).fetchall())
            assert statuses == {"cultured_families_share": families, "households_grid_electricity": electricity}, margin


def _catalogue(name: str) -> list[dict]:
    with open(REPO / "schemas" / name, encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def _with_third_predecessor(loaded, path):
    """The loaded warehouse with a third former district, 'tra_linh': old Thông Nông's workbook rows, files and
    findings under the new code (as a copy of its raw/ folder would load), and catalogue rows naming it a
    predecessor of the merged district with its own area and population. No SQL changes."""
    shutil.copyfile(loaded, path)
    with connection.connect(path) as con:
        for table in ("landing_load_files", "landing_indicator_rows", "landing_dq_findings"):
            columns = [c for (c,) in con.execute("select column_name from duckdb_columns() where table_name = ? "
                                                 "order by column_index", [table]).fetchall()]
            copied = ", ".join(
                "replace(source_file, 'thong_nong/', 'tra_linh/')" if c == "source_file"
                else "'tra_linh'" if c in ("source_district", "reporting_unit") else c for c in columns)
            con.execute(f"insert into {table} select {copied} from {table} where source_district = 'thong_nong'")
        con.execute("insert into ref_districts values ('tra_linh', '043', 'Huyện Trà Lĩnh (thử)', 'test district')")
        change = {**_catalogue("boundary_changes.csv")[0], "predecessor": "tra_linh"}
        con.execute(f"insert into ref_boundary_changes values ({', '.join('?' * len(change))})", list(change.values()))
        figures = [f for f in _catalogue("reference/district_figures.csv") if f["district_code"] == "044"]
        for figure in figures:  # the same area and population as old Thông Nông: a third of equal weight
            row = {**figure, "district_code": "043", "district_name": "Huyện Trà Lĩnh (thử)"}
            con.execute(f"insert into ref_district_figures values ({', '.join('?' * len(row))})", list(row.values()))
        model_build.build_views(con)


@pytest.fixture(scope="module")
def third_predecessor(loaded_warehouse, tmp_path_factory):
    path = tmp_path_factory.mktemp("third") / "haquang.duckdb"
    _with_third_predecessor(loaded_warehouse, path)
    return path


def test_a_third_predecessor_added_by_catalogue_rows_alone(loaded_warehouse, third_predecessor):
    grain = merged(third_predecessor, "grain_output")
    assert grain["reported_by"] == "ha_quang + thong_nong + tra_linh" and grain["predecessor_count"] == 3
    assert grain["value"] == 17889 + 13100 + 13100 and grain["coverage"] == 1
    contributions = sql(third_predecessor, "select predecessor, value, contributes from merger_contributions "
                                           "where successor = 'merged' and indicator_code = 'grain_output'")
    assert contributions == [("ha_quang", 17889, True), ("thong_nong", 13100, True), ("tra_linh", 13100, True)]
    # a weighted mean takes the third weight; its coverage is each reporting predecessor's share
    forest = merged(third_predecessor, "forest_cover")
    weights = dict(sql(third_predecessor, "select predecessor, weight from merger_contributions "
                                          "where successor = 'merged' and indicator_code = 'forest_cover'"))
    values = dict(sql(third_predecessor, "select predecessor, value from merger_contributions "
                                         "where successor = 'merged' and indicator_code = 'forest_cover'"))
    assert set(weights) == {"ha_quang", "thong_nong", "tra_linh"} and weights["tra_linh"] == weights["thong_nong"]
    assert forest["value"] == pytest.approx(sum(values[p] * weights[p] for p in weights) / sum(weights.values()))
    # old Hà Quảng alone now holds less of the successor: still partial, with a smaller coverage
    before, after = merged(loaded_warehouse, "maize_area_commercial"), merged(third_predecessor, "maize_area_commercial")
    assert after["coverage_status"] == "partial" and after["coverage"] < before["coverage"]
    assert after["missing_predecessors"] == ["thong_nong", "tra_linh"]
    # the two copies of old Thông Nông now hold more than two thirds of the successor's population (old Hà
    # Quảng's is derived as the successor's less both of theirs): enough for a weighted mean, not for a sum
    rural = merged(third_predecessor, "rural_hygienic_water_share")
    population = {p: w for p, w in sql(third_predecessor, "select predecessor, weight from merger_contributions "
                                       "where successor = 'merged' and indicator_code = 'rural_hygienic_water_share'")}
    assert rural["reported_by"] == "thong_nong + tra_linh" and rural["coverage_status"] == "full"
    assert rural["coverage"] == pytest.approx((population["thong_nong"] + population["tra_linh"]) / sum(population.values()))
    assert 2 / 3 < rural["coverage"] < 1 and rural["value"] == pytest.approx(85.06)
    assert merged(third_predecessor, "vocational_trainees")["coverage_status"] == "partial"  # a sum needs all three


def test_a_commune_merger_uses_the_same_engine(prefect_harness, tmp_path):
    """2020-2025 communes' monthly reports, combined into the 2025 commune each became (the reference file's
    successor_2025_code): a month every predecessor reported is full, one with a commune missing is partial."""
    from flows.orchestration.load_flow import run_load as load_warehouse

    changes = {row["code"]: row["successor_2025_code"] for row in _catalogue("reference/cao_bang_admin_units.csv")
               if row["period"] == "2020_2025" and row["level"] == "commune"}
    successor = next(s for s in sorted(set(changes.values())) if list(changes.values()).count(s) == 3)
    predecessors = sorted(code for code, s in changes.items() if s == successor)
    raw = tmp_path / "raw"
    # Thông Nông's table as a commune's report of 2024 (its title's year agrees with the month folder)
    grid = Grid.read(next((RAW / "thong_nong").glob("*.xlsx")))
    grid.cells = [[v.replace("năm 2019", "năm 2024") if isinstance(v, str) else v for v in row] for row in grid.cells]
    for month, reporting in (("2024-03", predecessors), ("2024-04", predecessors[:2])):
        for commune in reporting:
            grid.write(raw / "thong_nong" / commune / month / "bao_cao.xlsx")
    warehouse = tmp_path / "haquang.duckdb"
    assert load_warehouse(raw_dir=raw, warehouse=warehouse).exit_code == 0
    rows = sql(warehouse, """
        select period_round, value, coverage, coverage_basis, coverage_status, reported_by, missing_predecessors
        from merged_district_indicators
        where change_code = 'communes_2025' and successor = ? and indicator_code = 'grain_output'
        order by period_round""", [successor])
    assert rows == [
        ("2024-03-31", 3 * 13100, 1.0, "predecessors", "full", " + ".join(predecessors), []),
        ("2024-04-30", None, pytest.approx(2 / 3), "predecessors", "partial", " + ".join(predecessors[:2]),
         predecessors[2:]),
    ]
    statuses = dict(sql(warehouse, "select period_end::varchar, status from target_attainment "
                                   "where district = ? and indicator_code = 'grain_output'", [successor]))
    assert statuses == {"2024-03-31": "met", "2024-04-30": "partial"}  # 39.300 t against 3 × more than 13.000 t


def test_a_derived_bound_is_strict_where_a_predecessors_is(loaded_warehouse, tmp_path):
    """Hand-made rows: old Thông Nông's grain target "trên 13.000" and a result that brings the successor's sum
    exactly onto the derived bound: "more than 30.680" is not reached by 30.680; "at least" would be."""
    copy = tmp_path / "strict.duckdb"
    shutil.copyfile(loaded_warehouse, copy)
    grain = "source_district = 'thong_nong' and source_row = 9"
    bound = 17680 + 13000  # old Hà Quảng's target and old Thông Nông's
    verdicts = {}
    with connection.connect(copy) as con:
        for strict in (False, True):
            con.execute(f"update landing_indicator_rows set target_strict = ?, actual_value = ? where {grain}",
                        [strict, bound - 17889])
            model_build.build_views(con)
            verdicts[strict] = con.execute(
                "select value, target_low, target_strict, status, status_reason from target_attainment "
                "where district = 'merged' and indicator_code = 'grain_output'").fetchone()
    assert verdicts[False][:4] == (bound, bound, False, "met")
    assert verdicts[True][:4] == (bound, bound, True, "not_met")
    assert f"against a derived target of more than {bound}" in verdicts[True][4]
