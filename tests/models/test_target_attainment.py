"""target_attainment on hand-made rows: which of a former district's rows stands for it, and a successor's
verdict (partial, a predecessor undetermined, its value against the derived bound, dominance), all built
in one run of the model."""

from __future__ import annotations

import datetime as dt

import pytest

INDICATORS = {"higher": "higher_is_better", "lower": "lower_is_better", "range": "within_range",
              "older": "higher_is_better", "communes": "higher_is_better", "doubted": "higher_is_better"}


def district_row(district: str, code: str, status: str, period_end=dt.date(2020, 12, 31), source_row: int = 7,
                 reporting_unit: str | None = None, **more) -> dict:
    """A row of int_district_attainment, as the model upstream judged it."""
    return {"district": district, "reporting_unit": reporting_unit or district, "indicator_code": code,
            "source_file": f"{district}/chi_tieu.xlsx", "source_sheet": "Sheet1", "source_row": source_row,
            "direction": INDICATORS[code], "value": 95.0, "target_low": 90.0, "status": status,
            "status_reason": f"{status} at row {source_row} of {period_end}", "status_reason_vi": "lý do",
            "attainment_pct": 105.6, "shortfall_pct": -5.6, "period_end": period_end, "is_estimate": False,
            "target_strict": False, **more}


def successor_row(code: str, **more) -> dict:
    """A row of int_successor_figures for the merged district from two predecessors that both reported."""
    return {"change_code": "merge_2020", "successor": "merged", "level": "district", "indicator_code": code,
            "period_round": "2020", "predecessor_count": 2, "reporting_count": 2, "figure_count": 2,
            "reported_by": "ha_quang + thong_nong", "method": "sum", "coverage": 1.0, "coverage_basis": "population",
            "min_coverage": 1.0, "coverage_status": "full", "direction": INDICATORS[code.split("_")[0]],
            "target_basis": "derived", "valued_count": 2, "low_count": 2, "high_count": 0, "judged_count": 2,
            "undetermined_count": 0, "met_count": 2, "not_met_count": 0, "same_definition": True, "same_unit": True,
            "is_qualitative": False, "is_stand_in_weight": False, "period_basis": "aligned",
            "round_end": dt.date(2020, 12, 31), "predecessors_reasons": "ha_quang: ...; thong_nong: ...",
            "met_text": "", "missed_text": "", **more}


def merged_row(code: str) -> dict:
    return {"change_code": "merge_2020", "successor": "merged", "indicator_code": code, "period_round": "2020",
            "attainment_pct": 101.0, "caveats": ["a caveat"]}


# successor case: (its row of int_successor_figures, the status, words its reason holds)
SUCCESSORS = {
    "higher_sum_on_bound": (successor_row("higher_sum_on_bound", value=30989.0, target_low=30989.0), "met",
                            "30989 against a derived target of at least 30989 (sum of ha_quang + thong_nong)"),
    "higher_sum_below": (successor_row("higher_sum_below", value=30000.0, target_low=30989.0, met_count=1,
                                       not_met_count=1, missed_text="ha_quang missed its own"), "not_met",
                         "30000 against a derived target of at least 30989"),
    # a derived bound strict where a predecessor's is: a successor value exactly on it is not met
    "higher_strict_on_bound": (successor_row("higher_strict_on_bound", value=100.0, target_low=100.0,
                                             target_strict=True), "not_met", "a derived target of more than 100"),
    "lower_on_bound": (successor_row("lower_on_bound", value=2.0, target_high=2.0, low_count=0, high_count=2),
                       "met", "at most 2"),
    "range_inside": (successor_row("range_inside", value=680.0, target_low=650.0, target_high=700.0, high_count=2),
                     "met", "650 to 700"),
    "range_outside": (successor_row("range_outside", value=640.0, target_low=650.0, target_high=700.0, high_count=2,
                                    met_count=0, not_met_count=2), "not_met", "650 to 700"),
    "higher_partial": (successor_row("higher_partial", value=None, coverage_status="partial", coverage=0.4,
                                     min_coverage=0.666666, reported_by="ha_quang", missing_names="thong_nong",
                                     unit_refusals=""), "partial", "partial figure: only ha_quang reported, 40.0 %"),
    "higher_predecessor_undetermined": (successor_row("higher_predecessor_undetermined", value=30989.0,
                                                      target_low=30000.0, undetermined_count=1, met_count=1,
                                                      undetermined_reasons="thong_nong: implausible_value"),
                                        "undetermined", "undetermined in a predecessor: thong_nong: implausible_value"),
    # a weighted mean without its weights: decided only where every predecessor lies on one side of its bound
    "higher_dominance_met": (successor_row("higher_dominance_met", method="not_aggregable", value=None,
                                           target_low=None, missing_weight="budget revenue"), "met",
                             "every predecessor met its own target: any weighted mean of the results meets"),
    "higher_dominance_not_met": (successor_row("higher_dominance_not_met", method="not_aggregable", value=None,
                                               missing_weight="budget revenue", met_count=0, not_met_count=2),
                                 "not_met", "no predecessor met its own target"),
    "higher_dominance_mixed": (successor_row("higher_dominance_mixed", method="not_aggregable", value=None,
                                             missing_weight="number of villages", met_count=1, not_met_count=1),
                               "undetermined", "depends on the weights (number of villages)"),
    "higher_different_criteria": (successor_row("higher_different_criteria", method="not_aggregable", value=None,
                                                missing_weight="communes", same_definition=False, met_count=0,
                                                not_met_count=2, caveats=None), "undetermined",
                                  "the predecessors' figures cannot be combined: a caveat"),
    "range_dominance_opposite_sides": (successor_row("range_dominance_opposite_sides", method="not_aggregable",
                                                     value=None, missing_weight="area", high_count=2, met_count=0,
                                                     not_met_count=2, max_from_low=1, min_from_high=-1),
                                       "undetermined", "cannot be combined"),
    "range_dominance_same_side": (successor_row("range_dominance_same_side", method="not_aggregable", value=None,
                                                missing_weight="area", high_count=2, met_count=0, not_met_count=2,
                                                max_from_low=-1, min_from_high=-1), "not_met",
                                  "no predecessor met its own target"),
    # a weighted mean whose weights stand in for the true ones: a verdict the margin could turn is not given
    "higher_within_stand_in_margin": (successor_row("higher_within_stand_in_margin", method="population_weighted_mean",
                                                    value=50.2, target_low=50.0, is_stand_in_weight=True,
                                                    stand_in_margin=0.1, bar_margin_sum=0.2, bar_margin_abs=5.0,
                                                    weight_note="population for households"), "undetermined",
                                      "the verdict would turn if the weights (population for households) were off by 10 %"),
    "higher_beyond_stand_in_margin": (successor_row("higher_beyond_stand_in_margin", method="population_weighted_mean",
                                                    value=55.0, target_low=50.0, is_stand_in_weight=True,
                                                    stand_in_margin=0.1, bar_margin_sum=5.0, bar_margin_abs=5.0,
                                                    weight_note="population for households"), "met",
                                      "55 against a derived target of at least 50"),
}
for _row, _, _ in SUCCESSORS.values():
    _row.pop("caveats", None)  # belongs to merged_district_indicators, not to this relation


@pytest.fixture(scope="module")
def attainment(model_rows) -> list[dict]:
    districts = [
        district_row("ha_quang", "higher", "met"),
        # the latest period stands for the district; in one period the first row in sheet order
        district_row("ha_quang", "older", "not_met", period_end=dt.date(2019, 12, 31)),
        district_row("ha_quang", "older", "met", period_end=dt.date(2020, 12, 31), source_row=9),
        district_row("ha_quang", "older", "undetermined", period_end=dt.date(2020, 12, 31), source_row=12),
        # a commune's monthly figure never stands for its district
        district_row("thong_nong", "communes", "met", reporting_unit="xa_can_yen"),
        district_row("thong_nong", "doubted", "undetermined"),
    ]
    codes = sorted(SUCCESSORS)
    return model_rows("target_attainment", {
        "int_district_attainment": districts,
        "int_successor_figures": [row for row, _, _ in SUCCESSORS.values()],
        "merged_district_indicators": [merged_row(code) for code in codes],
        "stg_indicators": [{"indicator_code": code, "direction": INDICATORS.get(code, INDICATORS[code.split("_")[0]]),
                            "name_vi": code} for code in [*INDICATORS, *codes]],
    }, catalogue=["stg_messages", "stg_units", "stg_aggregation_methods"])


def only(rows: list[dict], district: str, code: str) -> dict:
    found = [row for row in rows if row["district"] == district and row["indicator_code"] == code]
    assert len(found) == 1, found
    return found[0]


def test_a_former_districts_row_is_its_latest_period_first_in_sheet_order(attainment):
    assert only(attainment, "ha_quang", "higher")["status"] == "met"
    older = only(attainment, "ha_quang", "older")
    assert (older["status"], older["period_end"]) == ("met", dt.date(2020, 12, 31))
    assert older["status_reason"] == "met at row 9 of 2020-12-31"
    assert older["reported_by"] == "ha_quang" and older["coverage"] == 1.0 and older["target_basis"] == "stated"


def test_a_communes_figure_never_stands_for_its_district(attainment):
    assert not [row for row in attainment if row["indicator_code"] == "communes"]


def test_an_undetermined_row_publishes_no_percentage(attainment):
    doubted = only(attainment, "thong_nong", "doubted")
    assert doubted["status"] == "undetermined"
    assert doubted["attainment_pct"] is None and doubted["shortfall_pct"] is None
    assert doubted["value"] == 95.0  # the figures stay as read
    decided = only(attainment, "ha_quang", "higher")
    assert (decided["attainment_pct"], decided["shortfall_pct"]) == (105.6, -5.6)


@pytest.mark.parametrize("code", SUCCESSORS)
def test_a_successors_verdict(attainment, code):
    _, status, says = SUCCESSORS[code]
    row = only(attainment, "merged", code)
    assert (row["status"], code) == (status, code)
    assert says in row["status_reason"], row["status_reason"]
    assert row["status_reason_vi"]
    if status not in ("met", "not_met"):
        assert row["attainment_pct"] is None and row["shortfall_pct"] is None
    if code.split("_")[1] == "dominance" or code == "higher_different_criteria":
        assert row["value"] is None and row["target_low"] is None  # no number can be computed
