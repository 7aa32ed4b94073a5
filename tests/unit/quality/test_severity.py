"""Info: a reading the loader resolved with evidence it names is information, not a warning.

The rules are checked on rows built here (variants of what the district tables hold) and on the
committed workbooks (the session's loaded_warehouse).
"""

from __future__ import annotations

import pytest

from flows.core.checks import CHECKS, INFO, WARNING, UnknownCheck
from flows.core.findings import Finding
from flows.quality.validate import rows_frame, validate_rows
from tests.conftest import sql
from tests.unit.parse.test_rows import parse

RESOLVED = "Resolved by the loader:"


def test_only_a_resolvable_check_with_its_evidence_is_info():
    assert Finding("ambiguous_number", "m").severity == WARNING  # no evidence named: a doubt
    info = Finding("ambiguous_number", "m", resolved_by="the reported percentage matches")
    assert info.severity == INFO and "the reported percentage matches" in info.message
    with pytest.raises(UnknownCheck):  # a check the registry does not declare resolvable
        Finding("invalid_unit", "m", resolved_by="anything")
    assert {c.severity for c in CHECKS.values()} == {"error", "warning"}  # info is never a check's own


def _row_findings(rows):
    records, findings = parse(rows)
    accepted, doubts = validate_rows(rows_frame(records))
    return accepted, [(f.check_name, f.severity) for f in findings] + [(d["check_name"], d["severity"]) for d in doubts]


@pytest.mark.parametrize(("label", "target", "actual", "value"), [
    ("Thu nhập bình quân đầu người", "30 triệu đồng/năm", "35.00", 35),  # 35.000 million đồng a head: impossible
    ("Hộ được hỗ trợ làm nhà", "75%", "80.0", 80),  # 80.000 %: impossible for any percentage
])
def test_an_ambiguous_number_whose_other_reading_is_impossible_is_info(label, target, actual, value):
    accepted, findings = _row_findings([["1", label, target, actual, None]])  # no percentage to decide by
    assert accepted.loc[0, "actual_value"] == value
    assert findings == [("ambiguous_number", INFO)]


def test_an_ambiguous_number_the_percentage_alone_decides_is_info():
    records, findings = parse([["1", "Sản lượng lúa", "13.000 tấn", "13.10", "101"]])
    assert records[0]["actual_value"] == 13100
    assert [(f.check_name, f.severity) for f in findings] == [("ambiguous_number", INFO)]
    assert "reported percentage matches" in findings[0].message


@pytest.mark.parametrize("rows", [
    [["1", "Sản lượng", None, "13.10", None]],  # nothing to decide by: left empty
    [["1", "Học viên", "800 người", "1.95", None]],  # order of magnitude only: a guess, not evidence
    [["1", "Sản lượng", "17.68 tấn", "17.89", "101"]],  # both scaled alike: the percentage fits both readings
])
def test_an_ambiguous_number_without_evidence_stays_a_warning(rows):
    records, findings = parse(rows)
    assert findings and {(f.check_name, f.severity) for f in findings} == {("ambiguous_number", WARNING)}
    assert not any(RESOLVED in f.message for f in findings)


def test_a_compound_result_stating_its_plan_total_target_is_info():
    # 200 a year over the 5-year plan is 1.000; 2.400 / 1.000 = 240 %, as reported
    accepted, findings = _row_findings([["1", "Trồng rừng mỗi năm", "200 ha", "2.400/1.000", "240"]])
    assert accepted.loc[0, "actual_value"] == 2400
    # the catalogue has no hectares per year: "mỗi năm" on hectares is a finding of its own
    assert sorted(findings) == [("attainment_mismatch", INFO), ("compound_value", INFO), ("implausible_value", INFO),
                                ("unit_dimension_unknown", WARNING)]


@pytest.mark.parametrize(("actual", "pct", "expected"), [
    # 900 is not the target over the plan: the cell's second number stays unexplained, though the
    # plan total explains the percentage and the size of the result
    ("2.400/900", "240", [("attainment_mismatch", INFO), ("compound_value", WARNING), ("implausible_value", INFO)]),
    # the reported percentage agrees with neither basis: nothing is explained
    ("2.400/1.000", "120", [("attainment_mismatch", WARNING), ("compound_value", WARNING),
                            ("implausible_value", WARNING)]),
])
def test_a_compound_result_nothing_explains_stays_a_warning(actual, pct, expected):
    _, findings = _row_findings([["1", "Trồng rừng mỗi năm", "200 ha", actual, pct]])
    assert sorted(findings) == sorted(expected + [("unit_dimension_unknown", WARNING)])


def test_a_mismatch_the_plan_total_explains_is_info_and_one_it_does_not_stays_a_warning():
    _, explained = _row_findings([["1", "Xây nhà văn hoá mỗi năm", "20 nhà", "90", "90"]])  # 90 / (20 × 5)
    _, unexplained = _row_findings([["1", "Xây nhà văn hoá mỗi năm", "20 nhà", "90", "70"]])
    assert explained == [("attainment_mismatch", INFO)]
    assert unexplained == [("attainment_mismatch", WARNING)]


def test_a_value_outside_its_measure_stays_a_warning_whatever_the_plan_total():
    # 9,2 %/năm population growth breaks its plausibility rule; 46 % over 5 years is no excuse
    _, findings = _row_findings([["1", "Tỷ lệ tăng dân số tự nhiên", "1%/năm", "9,2", "184"]])
    assert ("implausible_value", WARNING) in findings


def test_the_committed_workbooks_count_info_apart_from_open_warnings(loaded_warehouse):
    by_severity = dict(sql(loaded_warehouse, "select severity, count(*) from dq_issues group by all"))
    run = sql(loaded_warehouse, "select warnings from load_runs order by load_id desc limit 1")[0][0]
    assert run == by_severity.get(WARNING, 0) and by_severity.get(INFO, 0) > 0
    # every info names its evidence; every warning asks for a person
    for severity, message in sql(loaded_warehouse, "select severity, message from dq_issues"):
        assert (RESOLVED in message) == (severity == INFO)
    # a row whose findings are all info is decided from its figures (HQ 49: 1.020 over 5 years vs 150)
    info_only = sql(loaded_warehouse, """
        select a.district, a.indicator_code, a.unresolved_checks from int_district_attainment a
        join dq_issues i on i.source_file = a.source_file and i.source_row = a.source_row
        group by all having bool_and(i.severity = 'info')""")
    assert info_only and all(checks is None for *_, checks in info_only)
    assert not any(RESOLVED in (r or "") for (r,) in sql(loaded_warehouse,
                                                        "select status_reason from target_attainment"))
    resolvable = {name for (name,) in sql(loaded_warehouse, "select check_name from dq_checks where resolvable")}
    assert resolvable == {name for name, c in CHECKS.items() if c.resolvable}
    assert {name for (name,) in sql(loaded_warehouse, "select distinct check_name from dq_issues "
                                                      "where severity = 'info'")} <= resolvable


def test_an_implausible_result_said_for_two_reasons_is_one_vietnamese_sentence():
    """Clauses joined by "; ": only the first begins with a capital."""
    # 9,2 %/năm population growth breaks its plausibility rule, and is 920 % of its target of 1 %/năm
    records, _ = parse([["1", "Tỷ lệ tăng dân số tự nhiên", "1%/năm", "9,2", "920"]])
    _, doubts = validate_rows(rows_frame(records))
    said = next(d["detail_vi"] for d in doubts if d["check_name"] == "implausible_value")
    first, second = said.split("; ")
    assert first.startswith("Kết quả thực hiện 9,2 nằm ngoài khoảng hợp lý")
    assert second == "kết quả thực hiện bằng 920 % so với chỉ tiêu kế hoạch"
