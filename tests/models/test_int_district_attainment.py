"""int_district_attainment on hand-made rows: the rules of met, not met and undetermined for one
reporting unit's row, each case a row of its own, all built in one run of the model (planning the
model's SQL costs seconds; its rows cost nothing)."""

from __future__ import annotations

import pytest

DIRECTIONS = {"higher": "higher_is_better", "lower": "lower_is_better", "range": "within_range"}


def harmonised(case: str, indicator: str, value=None, low=None, high=None, kind="at_least", strict=False,
               **more) -> dict:
    """A row of int_harmonised_rows whose figures needed no harmonisation (reported = converted = harmonised)."""
    return {"load_id": 1, "source_district": "ha_quang", "reporting_unit": case,
            "source_file": f"ha_quang/{case}.xlsx", "source_sheet": "Sheet1", "source_row": 7,
            "indicator_code": indicator, "target_kind": kind, "target_raw": more.pop("target_raw", "chỉ tiêu"),
            "actual_value": value, "target_low": low, "target_high": high,
            "converted_actual": value, "converted_target_low": low, "converted_target_high": high,
            "harmonised_actual": value, "harmonised_target_low": low, "harmonised_target_high": high,
            "harmonised_target_strict": strict, "harmonisation_rules": [], "harmonisation_notes": [],
            "is_unit_mix": False, "is_changed": False, **more}


def finding(case: str, check: str, severity: str = "warning", load_id: int = 1) -> dict:
    return {"load_id": load_id, "source_district": "ha_quang", "source_file": f"ha_quang/{case}.xlsx",
            "source_sheet": "Sheet1", "source_row": 7, "check_name": check, "severity": severity,
            "message": f"{check} in {case}"}


# case: (the row, its findings, the status, words its reason holds)
CASES = {
    # at least / at most: a value on an inclusive bound meets it
    "below_at_least": (harmonised("below_at_least", "higher", 47.5, 48.7), [], "not_met",
                       "47.5 against a target of at least 48.7"),
    "on_inclusive_at_least": (harmonised("on_inclusive_at_least", "higher", 48.7, 48.7), [], "met",
                              "48.7 against a target of at least 48.7"),
    "lower_on_inclusive": (harmonised("lower_on_inclusive", "lower", 2.0, None, 2.0, "at_most"), [], "met",
                           "2 against a target of at most 2"),
    "lower_below": (harmonised("lower_below", "lower", 0.99, None, 1.0, "at_most", reported_pct=99.0), [], "met",
                    "0.99 against a target of at most 1"),
    # the value decides, never the rounded percentage: 89,82 is 99,8 % of 90 but not more than 90
    "rounded_pct_not_decisive": (harmonised("rounded_pct_not_decisive", "higher", 89.82, 90.0, strict=True,
                                            reported_pct=99.8, reported_pct_raw="99,8"), [], "not_met",
                                 "89.82 against a target of more than 90"),
    "lower_above": (harmonised("lower_above", "lower", 2.1, None, 2.0, "at_most"), [], "not_met",
                    "2.1 against a target of at most 2"),
    # a strict bound: beyond it is met; on it the source's own verdict decides, else the letter (not met)
    "above_strict": (harmonised("above_strict", "higher", 70.5, 70.0, strict=True), [], "met",
                     "70.5 against a target of more than 70"),
    "on_strict_no_verdict": (harmonised("on_strict_no_verdict", "higher", 70.0, 70.0, strict=True), [], "not_met",
                             "the source gives no verdict, so it is not met on the letter"),
    "on_strict_pct_100": (harmonised("on_strict_pct_100", "higher", 70.0, 70.0, strict=True, reported_pct=100.0,
                                     reported_pct_raw="100"), [], "met",
                          "70 equals the bound 'more than 70'; the source counts it as reached (100 %)"),
    "on_strict_pct_99": (harmonised("on_strict_pct_99", "higher", 70.0, 70.0, strict=True, reported_pct=99.5,
                                    reported_pct_raw="99,5"), [], "not_met",
                         "the source counts it as not reached (99.5 %)"),
    "on_strict_verdict_word": (harmonised("on_strict_verdict_word", "higher", 70.0, 70.0, strict=True,
                                          reported_pct_raw="Đạt"), [], "met",
                               "the source counts it as reached ('Đạt')"),
    "lower_on_strict": (harmonised("lower_on_strict", "lower", 2.0, None, 2.0, "at_most", strict=True), [], "not_met",
                        "equals the bound 'less than 2'"),
    # ranges: within_range must lie inside (both ends inclusive); higher-is-better reaches the lower end
    "range_below": (harmonised("range_below", "range", 581.4, 650.0, 700.0, "range"), [], "not_met",
                    "581.4 against a target of 650 to 700"),
    "range_on_high": (harmonised("range_on_high", "range", 700.0, 650.0, 700.0, "range"), [], "met",
                      "700 against a target of 650 to 700"),
    "range_above": (harmonised("range_above", "range", 701.0, 650.0, 700.0, "range"), [], "not_met",
                    "701 against a target of 650 to 700"),
    "higher_with_a_range": (harmonised("higher_with_a_range", "higher", 1.7, 1.5, 2.0, "range"), [], "met",
                            "1.7 against a target of at least 1.5 (the range 1.5-2)"),
    "lower_with_a_range": (harmonised("lower_with_a_range", "lower", 1.7, 1.5, 2.0, "range"), [], "met",
                           "1.7 against a target of at most 2 (the range 1.5-2)"),
    "no_target_figure": (harmonised("no_target_figure", "higher", 5.0, target_raw="Phấn đấu"), [], "undetermined",
                         "the target 'Phấn đấu' has no figure to compare 5 with"),
    # a qualitative result: its verdict word decides
    "qualitative_met": (harmonised("qualitative_met", "higher", actual_text="Đảm bảo", target_raw="Giữ vững"), [],
                        "met", "qualitative result: Đảm bảo against a target of Giữ vững"),
    "qualitative_not_met": (harmonised("qualitative_not_met", "higher", actual_text="Chưa đạt"), [], "not_met",
                            "qualitative result: Chưa đạt"),
    "qualitative_hedged": (harmonised("qualitative_hedged", "higher", actual_text="Cơ bản đảm bảo",
                                      reported_pct_raw="Cơ bản đảm bảo"), [], "undetermined",
                           "neither says the target was met nor that it was not"),
    "qualitative_no_verdict": (harmonised("qualitative_no_verdict", "higher", actual_text="04 bậc"), [], "undetermined",
                               "qualitative result '04 bậc' is not a verdict"),
    # what each verdict word of the district's reports says, as the report itself uses it
    **{f"qualitative_{status}_{word}": (harmonised(f"qualitative_{status}_{word}", "higher", actual_text=word),
                                        [], status, says)
       for word, status, says in (
           ("Vượt", "met", "qualitative result: Vượt"), ("Hoàn thành", "met", "qualitative result: Hoàn thành"),
           ("Giữ vững", "met", "qualitative result: Giữ vững"), ("Duy trì", "met", "qualitative result: Duy trì"),
           ("Ổn định", "met", "qualitative result: Ổn định"), ("Bảo đảm", "met", "qualitative result: Bảo đảm"),
           ("Không đạt", "not_met", "qualitative result: Không đạt"),
           ("Không hoàn thành", "not_met", "qualitative result: Không hoàn thành"),
           ("Chưa hoàn thành", "not_met", "qualitative result: Chưa hoàn thành"),
           ("Cơ bản hoàn thành", "undetermined", "neither says the target was met nor that it was not"),
           ("Cơ bản đạt", "undetermined", "neither says the target was met nor that it was not"))},
    # a verdict in the percentage column that the figures contradict
    "verdict_disagrees": (harmonised("verdict_disagrees", "higher", 89.0, 90.0, reported_pct_raw="Đạt"), [],
                          "undetermined", "the figures and the verdict 'Đạt' disagree"),
    # findings: a blocking one makes the row undetermined, a non-blocking one does not
    "blocking_warning": (harmonised("blocking_warning", "higher", 95.0, 90.0),
                         [finding("blocking_warning", "implausible_value")], "undetermined",
                         "a person must check: implausible_value (implausible_value in blocking_warning)"),
    "future_warning": (harmonised("future_warning", "higher", 95.0, 90.0),
                       [finding("future_warning", "unexpected_cell_type")], "undetermined",
                       "unexpected_cell_type"),
    "error_finding": (harmonised("error_finding", "higher", 95.0, 90.0),
                      [finding("error_finding", "unreadable_figure", "error")], "undetermined", "unreadable_figure"),
    "non_blocking_warning": (harmonised("non_blocking_warning", "higher", 95.0, 90.0),
                             # none of these touches comparing the row's figures with its own target
                             [finding("non_blocking_warning", check) for check in (
                                 "hidden_row", "hidden_sheet", "period_assumed", "legacy_encoding_converted",
                                 "missing_unit", "invalid_unit")], "met",
                             "95 against a target of at least 90"),
    "info_finding": (harmonised("info_finding", "higher", 95.0, 90.0),
                     [finding("info_finding", "implausible_value", "info")], "met", "95 against a target of at least 90"),
    "finding_of_another_load": (harmonised("finding_of_another_load", "higher", 95.0, 90.0),
                                [finding("finding_of_another_load", "implausible_value", load_id=2)], "met",
                                "95 against a target of at least 90"),
    # a reported percentage that agrees with the figures (within 1 point + 0.5 % of itself) settles a doubt
    "mismatch_pct_agrees": (harmonised("mismatch_pct_agrees", "higher", 3.92, 1.5, 2.0, "range", reported_pct=196.0,
                                       harmonised_computed_pct=196.0),
                            [finding("mismatch_pct_agrees", "attainment_mismatch")], "met",
                            "3.92 against a target of at least 1.5 (the range 1.5-2)"),
    "mismatch_within_tolerance": (harmonised("mismatch_within_tolerance", "higher", 3.92, 1.5, 2.0, "range",
                                             reported_pct=197.9, harmonised_computed_pct=196.0),
                                  [finding("mismatch_within_tolerance", "attainment_mismatch")], "met", "3.92 against"),
    "mismatch_beyond_tolerance": (harmonised("mismatch_beyond_tolerance", "higher", 3.92, 1.5, 2.0, "range",
                                             reported_pct=198.5, harmonised_computed_pct=196.0),
                                  [finding("mismatch_beyond_tolerance", "attainment_mismatch")], "undetermined",
                                  "(readings: reported 198.5 %, computed 196 % from the figures)"),
    "mismatch_contradicts": (harmonised("mismatch_contradicts", "higher", 3.92, 1.5, 2.0, "range", reported_pct=56.0,
                                        harmonised_computed_pct=196.0),
                             [finding("mismatch_contradicts", "attainment_mismatch")], "undetermined",
                             "(readings: reported 56 %, computed 196 % from the figures)"),
    # implausible_value is settled only by harmonisation that the reported percentage confirms
    "implausible_harmonised_confirmed": (harmonised("implausible_harmonised_confirmed", "lower", 0.92, None, 1.0,
                                                    "at_most", reported_pct=92.0,
                                                    harmonisation_rules=["per_mille_as_percent"]),
                                         [finding("implausible_harmonised_confirmed", "implausible_value")], "met",
                                         "0.92 against a target of at most 1"),
    "implausible_confirmed_unharmonised": (harmonised("implausible_confirmed_unharmonised", "lower", 0.92, None, 1.0,
                                                      "at_most", reported_pct=92.0),
                                           [finding("implausible_confirmed_unharmonised", "implausible_value")],
                                           "undetermined", "implausible_value"),
    # units no rule converts into one another: never compared
    "unit_mix": (harmonised("unit_mix", "higher", 5.0, 4.0, is_unit_mix=True,
                            unit_refusal="the target is in ha and the result in tấn"), [], "undetermined",
                 "the target is in ha and the result in tấn"),
}


@pytest.fixture(scope="module")
def attainment(model_rows) -> dict[str, dict]:
    rows = model_rows("int_district_attainment", {
        "int_harmonised_rows": [row for row, _, _, _ in CASES.values()],
        "stg_dq_findings": [f for _, findings, _, _ in CASES.values() for f in findings],
        "stg_indicators": [{"indicator_code": code, "direction": direction, "name_vi": code}
                           for code, direction in DIRECTIONS.items()],
    }, catalogue=["stg_dq_checks", "stg_messages", "stg_units"])
    by_case = {row["reporting_unit"]: row for row in rows}
    assert len(by_case) == len(rows) == len(CASES)
    return by_case


@pytest.mark.parametrize("case", CASES)
def test_each_rule_decides_its_row(attainment, case):
    _, _, status, says = CASES[case]
    row = attainment[case]
    assert (row["status"], case) == (status, case)
    assert says in row["status_reason"], row["status_reason"]
    assert row["status_reason_vi"]  # every case has its Vietnamese sentence


def test_an_undetermined_row_has_no_percentage_and_a_decided_one_the_confirmed_one(attainment):
    undetermined = [case for case, (_, _, status, _) in CASES.items() if status == "undetermined"]
    assert all(attainment[c]["attainment_pct"] is None and attainment[c]["shortfall_pct"] is None for c in undetermined)
    # the reported percentage where it agrees with the figures, else the one computed from them
    assert attainment["mismatch_pct_agrees"]["attainment_pct"] == 196.0
    assert attainment["mismatch_within_tolerance"]["attainment_pct"] == 197.9
    assert attainment["below_at_least"]["shortfall_pct"] == pytest.approx((48.7 - 47.5) / 48.7 * 100)


def test_only_blocking_findings_are_named_as_unresolved(attainment):
    assert attainment["blocking_warning"]["unresolved_checks"] == ["implausible_value"]
    assert attainment["error_finding"]["unresolved_checks"] == ["unreadable_figure"]
    for case in ("non_blocking_warning", "info_finding", "finding_of_another_load", "mismatch_pct_agrees"):
        assert attainment[case]["unresolved_checks"] is None, case


def test_the_strict_bound_is_reported_as_the_target_strict(attainment):
    assert attainment["above_strict"]["target_strict"] is True
    assert attainment["lower_on_strict"]["target_strict"] is True
    assert attainment["on_inclusive_at_least"]["target_strict"] is False
