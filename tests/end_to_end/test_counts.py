"""Counts of administrative units: read against the base they counted, and never fractional."""

from __future__ import annotations

import csv
import math
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import RAW, REPO, sql
from tests.layout_variants import Grid

HEALTH = "communes_health_standard"


def _reference() -> list[dict]:
    with open(REPO / "schemas" / "reference" / "cao_bang_admin_units.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(row for row in handle if not row.startswith("#")))


def former_bases() -> dict[str, int]:
    """Each former district's communes on its last day, read from the reference's validity dates."""
    codes = {r["code"]: r["gso_code"] for r in csv.DictReader(open(REPO / "schemas" / "districts.csv", encoding="utf-8"))}
    rows = _reference()
    bases = {}
    for district, gso in codes.items():
        # the former district: the first unit under this code to end
        last_day = min(r["valid_to"] for r in rows if r["level"] == "district" and r["code"] == gso and r["valid_to"])
        bases[district] = sum(1 for r in rows if r["level"] == "commune" and r["parent_code"] == gso
                              and (not r["valid_from"] or r["valid_from"] <= last_day)
                              and (not r["valid_to"] or r["valid_to"] >= last_day))
    return bases


def merged_district_units() -> int:
    """The merged district's own communes of 2020-2025: what the base must not be."""
    rows = _reference()
    merged = next(r for r in rows if r["level"] == "district" and r["period"] == "2020_2025")
    return sum(1 for r in rows if r["level"] == "commune" and r["parent_code"] == merged["code"]
               and r["valid_from"] == merged["valid_from"])


def whole_counts(pct: float, base: int) -> list[int]:
    """The whole counts a percentage printed to whole units allows (it was rounded)."""
    return [k for k in range(base + 1) if abs(100 * k / base - pct) <= 0.5 + 1e-9]


def one(warehouse, query, params=None):
    rows = sql(warehouse, query, params)
    assert len(rows) == 1, rows
    return rows[0]


def test_the_reference_bases_are_the_pre_merger_communes():
    # the helpers the other tests compare the warehouse with read the reference as the issue states
    # it: 19 + 11 = 30 units counted before 2020, not the 21 of the merged district of 2020-2025
    assert former_bases() == {"ha_quang": 19, "thong_nong": 11}
    assert merged_district_units() == 21


def test_district_counts_carry_the_base_they_counted(loaded_warehouse):
    bases = former_bases()
    rows = sql(loaded_warehouse, "select source_district, count_base, count_base_label from harmonised_results "
                                 "where indicator_code = ?", [HEALTH])
    assert {d: b for d, b, _ in rows} == bases
    assert {label for *_, label in rows} == {"pre-2020 communes"}  # both ended 2020-01-31 in the reference


def predecessor_units(warehouse, code: str) -> tuple:
    """The units of old Hà Quảng's and old Thông Nông's figures side by side (merger_contributions)."""
    units = dict(sql(warehouse, "select predecessor, unit from merger_contributions "
                                "where successor = 'merged' and indicator_code = ?", [code]))
    return units["ha_quang"], units["thong_nong"]


def test_the_merged_count_is_read_against_the_sum_of_the_bases(loaded_warehouse):
    bases = former_bases()
    value, base, label, target = one(loaded_warehouse, """
        select value, count_base, count_base_label, target
        from merged_district_indicators where successor = 'merged' and indicator_code = ?""", [HEALTH])
    halves = one(loaded_warehouse, "select sum(value) from merger_contributions "
                                   "where successor = 'merged' and indicator_code = ?", [HEALTH])[0]
    assert value == halves and base == sum(bases.values()) and label == "pre-2020 communes"
    assert target == int(target)
    status, reason, attained_base = one(loaded_warehouse, """
        select status, status_reason, count_base from target_attainment
        where district = 'merged' and indicator_code = ?""", [HEALTH])
    assert attained_base == base
    assert f"{int(value)} of {base} pre-2020 communes against a derived target of at least {int(target)}" in reason
    assert status == ("met" if value >= target else "not_met")


def test_a_share_of_communes_becomes_whole_communes_with_its_arithmetic(loaded_warehouse):
    bases = former_bases()
    pct, target_pct, actual, target, notes = one(loaded_warehouse, """
        select actual_reported, target_low_reported, actual, target_low, harmonisation_notes
        from harmonised_results where indicator_code = ? and unit_reported = 'percent'""", [HEALTH])
    base = bases["thong_nong"]
    assert [actual] == whole_counts(pct, base)
    assert target == math.ceil(target_pct * base / 100) and target_pct * base / 100 != target
    exact = f"{target_pct * base / 100:.4f}".rstrip("0").rstrip(".")
    assert any(f"{target_pct:g} % of {base} pre-2020 communes = {exact}, so at least {target:g}" in n for n in notes)


def test_no_count_of_units_is_fractional(loaded_warehouse):
    fractional = sql(loaded_warehouse, """
        select indicator_code, source_district, actual, target_low, target_high from harmonised_results
        where unit in (select unit from stg_units where counts_level is not null)
          and (actual <> round(actual) or target_low <> round(target_low) or target_high <> round(target_high))
        union all
        select indicator_code, district, value, target_low, target_high from target_attainment
        where count_base is not null
          and (value <> round(value) or target_low <> round(target_low) or target_high <> round(target_high))""")
    assert fractional == []


def test_every_count_reason_names_its_base(loaded_warehouse):
    rows = sql(loaded_warehouse, "select value, count_base, count_base_label, status_reason from target_attainment "
                                 "where count_base is not null and status <> 'undetermined'")
    assert rows
    for value, base, label, reason in rows:
        assert reason.startswith(f"{value:g} of {base} {label} against")


# a variant: old Hà Quảng reports the health communes as a share too (84 % of its communes, a
# target of 90 %), old Thông Nông a share that fits no whole number of its communes (50 %)
HQ_PCT, HQ_TARGET_PCT, TN_PCT = 84, 90, 50


def _variant(root):
    ha = Grid.read(RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx")
    for row in ha.cells:
        if row[1] == "Số xã đạt tiêu chí quốc gia về y tế":
            row[2:6] = ["%", str(HQ_TARGET_PCT), str(HQ_PCT), f"{HQ_PCT / HQ_TARGET_PCT * 100:.2f}".replace(".", ",")]
    ha.write(root / "raw" / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx")
    tn = Grid.read(RAW / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx")
    for row in tn.cells:
        if row[1] == "Số xã đạt chuẩn quốc gia về y tế xã":
            row[3:5] = [str(TN_PCT), f"{TN_PCT / 95 * 100:.2f}".replace(".", ",")]
    tn.write(root / "raw" / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx")


def _loaded_variant(tmp_path_factory, name: str, write_variant) -> Path:
    """A warehouse loaded by the real flow from raw/ as `write_variant` rewrote it."""
    from flows.orchestration.load_flow import run_load as load_warehouse

    root = tmp_path_factory.mktemp(name)
    write_variant(root)
    warehouse = root / "haquang.duckdb"
    assert load_warehouse(raw_dir=root / "raw", warehouse=warehouse).exit_code == 0
    return warehouse


@pytest.fixture(scope="module")
def share_warehouse(prefect_harness, tmp_path_factory):
    return _loaded_variant(tmp_path_factory, "counts", _variant)


def test_a_variant_share_takes_the_one_whole_count_it_allows(share_warehouse):
    base = former_bases()["ha_quang"]
    assert len(whole_counts(HQ_PCT, base)) == 1  # the variant is chosen so
    unit, actual, target, rules = one(share_warehouse, """
        select unit, actual, target_low, harmonisation_rules from harmonised_results
        where source_district = 'ha_quang' and indicator_code = ?""", [HEALTH])
    assert (unit, [actual], target) == ("commune", whole_counts(HQ_PCT, base), math.ceil(HQ_TARGET_PCT * base / 100))
    assert rules == ["percent_of_communes_to_count"]
    reason = one(share_warehouse, "select status_reason from target_attainment "
                                  "where district = 'ha_quang' and indicator_code = ?", [HEALTH])[0]
    # the count compared, then the sheet's own percentages it was made from
    assert reason.startswith(f"{actual:g} of {base} pre-2020 communes against a target of at least {target:g}; "
                             f"the sheet writes {HQ_PCT:g} % against a target of at least {HQ_TARGET_PCT:g} % (")


def test_a_share_that_fits_no_whole_count_is_refused_and_not_summed(share_warehouse):
    base = former_bases()["thong_nong"]
    assert whole_counts(TN_PCT, base) == []  # the variant is chosen so
    unit, actual, refusal, rules = one(share_warehouse, """
        select unit, actual, unit_refusal, harmonisation_rules from harmonised_results
        where source_district = 'thong_nong' and indicator_code = ?""", [HEALTH])
    assert (unit, actual) == ("percent", TN_PCT)  # kept as reported
    assert refusal.startswith(f"{TN_PCT} % of {base} pre-2020 communes is no whole number of them")
    assert rules == ["percent_of_communes_not_whole"]
    value, method, base_merged = one(share_warehouse, "select value, method, count_base from merged_district_indicators "
                                                      "where successor = 'merged' and indicator_code = ?", [HEALTH])
    assert (value, method, base_merged) == (None, "not_aggregable", None)
    status, reason = one(share_warehouse, "select status, status_reason from target_attainment "
                                          "where district = 'merged' and indicator_code = ?", [HEALTH])
    # old Thông Nông's figure is in no unit the sum can take: the merged figure lacks it, and says why
    assert status == "partial" and refusal in reason


@pytest.mark.parametrize("base", [1, 11, 19, 30, 300])
def test_whole_counts_of_a_printed_percentage(macros, base):
    for pct in range(0, 111):
        got = macros.execute("select whole_counts_of_share(?, ?)", [pct, base]).fetchone()[0]
        assert got == whole_counts(pct, base), (pct, base)
    assert macros.execute("select whole_counts_of_share(90.9, 11)").fetchone()[0] == [10]  # one decimal printed


def test_era_labels_follow_the_validity_dates(macros):
    labels = macros.execute("select era_label(null, date '2020-01-31'), era_label(date '2020-02-01', date '2025-06-30'), "
                            "era_label(date '2025-07-01', null)").fetchone()
    assert labels == ("pre-2020", "2020-2025", "since 2025")


# a variant: old Hà Quảng's table relabelled as a report on the 2021-2025 plan, to the end of
# 2025: its count then reads against the district that held code 045 when that plan began
def _later_plan_variant(root):
    ha = Grid.read(RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx")
    for row in ha.cells:
        for i, cell in enumerate(row):
            if isinstance(cell, str):
                row[i] = cell.replace("giai đoạn 2015- 2020", "giai đoạn 2020- 2025").replace("hết năm 2020", "hết năm 2025")
    ha.write(root / "raw" / "ha_quang" / "chi_tieu_ktxh_2020_2025.xlsx")


def test_the_base_follows_the_period_the_figures_count(prefect_harness, tmp_path):
    from flows.orchestration.load_flow import run_load as load_warehouse

    _later_plan_variant(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    load_warehouse(raw_dir=tmp_path / "raw", warehouse=warehouse)
    period_end, base, label, reason = one(warehouse, """
        select h.period_end, h.count_base, h.count_base_label, t.status_reason
        from harmonised_results h join target_attainment t
          on t.district = h.source_district and t.indicator_code = h.indicator_code
        where h.indicator_code = ? and h.source_district = 'ha_quang'""", [HEALTH])
    rows = _reference()
    plan_start = date(period_end.year - 4, 1, 1).isoformat()
    district = next(r for r in rows if r["level"] == "district" and r["code"] == "045"
                    and (not r["valid_from"] or r["valid_from"] <= plan_start) and r["valid_to"] >= plan_start)
    day = min(period_end.isoformat(), district["valid_to"])
    expected = sum(1 for r in rows if r["level"] == "commune" and r["parent_code"] == "045"
                   and (not r["valid_from"] or r["valid_from"] <= day) and (not r["valid_to"] or r["valid_to"] >= day))
    assert base == expected and base != former_bases()["ha_quang"]
    changed = (date.fromisoformat(district["valid_to"]) + timedelta(days=1)).year  # the change that ended it
    assert label == f"{district['valid_from'][:4]}-{changed} communes"
    assert f"of {base} {label} against" in reason


# --- a figure cell's own unit, and the units a count counts -----------------------------------

NEW_RURAL = "new_rural_communes"


def rural_bases() -> dict[str, int]:
    """Each former district's rural communes (type Xã) on its last day: what new-rural communes count."""
    codes = {r["code"]: r["gso_code"] for r in csv.DictReader(open(REPO / "schemas" / "districts.csv", encoding="utf-8"))}
    rows = _reference()
    bases = {}
    for district, gso in codes.items():
        last_day = min(r["valid_to"] for r in rows if r["level"] == "district" and r["code"] == gso and r["valid_to"])
        bases[district] = sum(1 for r in rows if r["level"] == "commune" and r["parent_code"] == gso and r["type"] == "Xã"
                              and (not r["valid_from"] or r["valid_from"] <= last_day)
                              and (not r["valid_to"] or r["valid_to"] >= last_day))
    return bases


def test_new_rural_communes_count_rural_communes_only():
    # Why the catalogue counts rural communes for this indicator (a check of the reference against the
    # source, not of the pipeline): Hà Quảng's 22,22 % is a whole number of its 18 rural communes,
    # not of all its 19 units.
    rural, every = rural_bases(), former_bases()
    assert rural == {"ha_quang": 18, "thong_nong": 10}
    assert len(whole_counts(22.22 * 2, rural["ha_quang"] * 2)) == 1  # 4 of 18 (two decimals printed)
    assert not any(abs(100 * k / every["ha_quang"] - 22.22) <= 0.005 for k in range(every["ha_quang"] + 1))


def test_a_count_of_new_rural_communes_stays_a_count_of_rural_communes(loaded_warehouse):
    base = rural_bases()["thong_nong"]
    unit, target, actual, count_base, label, rules, notes = one(loaded_warehouse, """
        select unit, target_low, actual, count_base, count_base_label, harmonisation_rules, harmonisation_notes
        from harmonised_results where source_district = 'thong_nong' and indicator_code = ?""", [NEW_RURAL])
    assert (unit, count_base, label) == ("commune", base, "pre-2020 rural communes (xã)")
    assert target == int(target) and actual == int(actual)  # the row's own "01 xã" and "01", not 9.09 %
    assert rules == ["counts_kept_as_counts"]
    assert any(f"{actual:g} of {base} is {round(actual / base * 100, 1):g} %" in n for n in notes)
    reason = one(loaded_warehouse, "select status_reason from target_attainment "
                                   "where district = 'thong_nong' and indicator_code = ?", [NEW_RURAL])[0]
    assert reason.startswith(f"{actual:g} of {base} pre-2020 rural communes (xã) against")
    # Hà Quảng reports a share of the same communes: the two halves are not put side by side as one unit
    same_unit, why = one(loaded_warehouse, """
        select same_unit, comparable_reason from district_comparison
        where successor = 'merged' and indicator_code = ?""", [NEW_RURAL])
    ha_unit, tn_unit = predecessor_units(loaded_warehouse, NEW_RURAL)
    assert not same_unit and f"different unit: ha_quang {ha_unit}, thong_nong {tn_unit}" in why
    assert (ha_unit, tn_unit) == ("percent", "commune")


# a variant: Hà Quảng's health row keeps its unit column "xã" but writes its target as "90%"; its
# new-rural row reports counts; Thông Nông's new-rural row has a target "20%" and a result "02 xã";
# its school row a result in communes, which no rule converts to schools
HQ_HEALTH_TARGET, HQ_HEALTH_RESULT, HQ_RURAL = 90, 17, (15, 4)
TN_RURAL_TARGET, TN_RURAL_RESULT = 20, 2


def _cell_unit_variant(root):
    ha = Grid.read(RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx")
    for row in ha.cells:
        if row[1] == "Số xã đạt tiêu chí quốc gia về y tế":
            base = former_bases()["ha_quang"]
            reported = HQ_HEALTH_RESULT / (HQ_HEALTH_TARGET * base / 100) * 100
            row[2:6] = ["xã", f"{HQ_HEALTH_TARGET}%", str(HQ_HEALTH_RESULT), f"{reported:.0f}"]
        if row[1] == "Số xã đạt 15 tiêu chí về xây dựng nông thôn mới":
            row[2:6] = ["xã", str(HQ_RURAL[0]), str(HQ_RURAL[1]), f"{HQ_RURAL[1] / HQ_RURAL[0] * 100:.0f}"]
    ha.write(root / "raw" / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx")
    tn = Grid.read(RAW / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx")
    for row in tn.cells:
        if row[1] == "Số xã được công nhận đạt tiêu chí nông thôn mới":
            row[2:5] = [f"{TN_RURAL_TARGET}%", f"0{TN_RURAL_RESULT} xã", "100"]
        if row[1] == "Xây dựng trường đạt chuẩn Quốc gia":
            row[3] = "04 xã"
    tn.write(root / "raw" / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx")


@pytest.fixture(scope="module")
def cell_unit_warehouse(prefect_harness, tmp_path_factory):
    return _loaded_variant(tmp_path_factory, "cell_units", _cell_unit_variant)


def test_a_percentage_target_on_a_count_row_becomes_the_whole_count_that_meets_it(cell_unit_warehouse):
    base = former_bases()["ha_quang"]
    exact = HQ_HEALTH_TARGET * base / 100
    unit, target, actual, rules, notes = one(cell_unit_warehouse, """
        select unit, target_low, actual, harmonisation_rules, harmonisation_notes from harmonised_results
        where source_district = 'ha_quang' and indicator_code = ?""", [HEALTH])
    assert (unit, target, actual) == ("commune", math.ceil(exact), HQ_HEALTH_RESULT)  # not 90 communes of 19
    assert rules == ["percent_of_communes_to_count"]
    assert f"target {HQ_HEALTH_TARGET} % of {base} pre-2020 communes = {exact:g}, so at least {math.ceil(exact)}" in notes
    status, reason = one(cell_unit_warehouse, "select status, status_reason from target_attainment "
                                              "where district = 'ha_quang' and indicator_code = ?", [HEALTH])
    assert status == "not_met"  # 17 of 19 against at least 18: the reported 99 % agrees with 17 / 17.1
    assert reason.startswith(f"{HQ_HEALTH_RESULT} of {base} pre-2020 communes against a target of at least {math.ceil(exact)}")
    merged_target = one(cell_unit_warehouse, "select target_low from target_attainment "
                                             "where district = 'merged' and indicator_code = ?", [HEALTH])[0]
    assert merged_target <= sum(former_bases().values())


def test_a_count_in_the_result_cell_wins_over_the_percent_of_the_target(cell_unit_warehouse):
    base = rural_bases()["thong_nong"]
    unit_reported, unit, target, actual, rules = one(cell_unit_warehouse, """
        select unit_reported, unit, target_low, actual, harmonisation_rules from harmonised_results
        where source_district = 'thong_nong' and indicator_code = ?""", [NEW_RURAL])
    assert unit_reported == "percent" and unit == "commune"  # the row's unit came from "20%"; "02 xã" is a count
    assert (target, actual) == (math.ceil(TN_RURAL_TARGET * base / 100), TN_RURAL_RESULT)
    assert "percent_of_communes_to_count" in rules and "counts_kept_as_counts" in rules
    status = one(cell_unit_warehouse, "select status from target_attainment "
                                      "where district = 'thong_nong' and indicator_code = ?", [NEW_RURAL])[0]
    assert status == ("met" if TN_RURAL_RESULT >= math.ceil(TN_RURAL_TARGET * base / 100) else "not_met")


def test_a_count_of_new_rural_communes_reads_against_rural_communes_in_a_variant(cell_unit_warehouse):
    base = rural_bases()["ha_quang"]
    count_base, label, actual = one(cell_unit_warehouse, """
        select count_base, count_base_label, actual from harmonised_results
        where source_district = 'ha_quang' and indicator_code = ?""", [NEW_RURAL])
    assert (count_base, label, actual) == (base, "pre-2020 rural communes (xã)", HQ_RURAL[1])
    assert count_base != former_bases()["ha_quang"]
    # both halves now count rural communes: one unit side by side
    assert predecessor_units(cell_unit_warehouse, NEW_RURAL) == ("commune", "commune")


def test_figures_in_units_that_do_not_convert_are_never_compared(cell_unit_warehouse):
    code, unit, refusal, rules = one(cell_unit_warehouse, """
        select indicator_code, unit, unit_refusal, harmonisation_rules from harmonised_results
        where source_district = 'thong_nong' and row_label = 'Xây dựng trường đạt chuẩn Quốc gia'""")
    assert refusal.startswith("the target is in school and the result in commune") and rules == ["units_not_convertible"]
    assert unit == "school"  # as reported, not mixed
    status, reason = one(cell_unit_warehouse, "select status, status_reason from target_attainment "
                                              "where district = 'thong_nong' and indicator_code = ?", [code])
    assert status == "undetermined" and refusal in reason


def _whole_count_pct_variant(root):
    """Hà Quảng's health target as "85%" of its communes, its percentage computed against the
    whole count that target means (at least 17 of 19), as a clerk may compute it."""
    base = former_bases()["ha_quang"]
    shutil.copytree(RAW, root / "raw")
    path = root / "raw" / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx"
    grid = Grid.read(path)
    row = next(r for r in grid.cells if r[1] == "Số xã đạt tiêu chí quốc gia về y tế")
    whole = math.ceil(85 * base / 100)
    row[3:6] = ["85%", "16", f"{16 / whole * 100:.2f}".replace(".", ",")]
    grid.write(path)


def test_a_percentage_computed_against_the_whole_count_confirms_the_reading(prefect_harness, tmp_path_factory):
    warehouse = _loaded_variant(tmp_path_factory, "whole_count_pct", _whole_count_pct_variant)
    base = former_bases()["ha_quang"]
    whole = math.ceil(85 * base / 100)
    status, reason = one(warehouse, "select status, status_reason from target_attainment "
                                    "where district = 'ha_quang' and indicator_code = ?", [HEALTH])
    assert status == "not_met"
    assert reason.startswith(f"16 of {base} pre-2020 communes against a target of at least {whole}; the sheet writes ")
