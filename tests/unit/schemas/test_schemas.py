"""The pandera models on tiny frames: structure rejects, doubts warn."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from flows.quality.validate import rows_frame, validate_rows
from schemas.indicator_rows import IndicatorRow, IndicatorRowDoubts


def row(**overrides) -> dict:
    base = {
        "source_district": "ha_quang", "source_file": "ha_quang/x.xlsx", "source_sheet": "S", "source_row": 8,
        "row_label": "Tổng sản lượng lương thực có hạt", "row_kind": "measured", "unit": "tonne", "unit_raw": "tấn",
        "target_raw": "17.000", "target_low": 17000.0, "target_high": 17000.0, "actual_raw": "17.889",
        "actual_value": 17889.0, "reported_pct_raw": "105", "reported_pct": 105.0, "computed_pct": 105.23,
        "plan_years": 5, "label_column": "B", "unit_column": "C", "target_column": "D", "actual_column": "E",
        "reported_pct_column": "F",
    }
    return {**base, **overrides}


def test_a_clean_row_passes_both_models():
    frame = rows_frame([row()])
    IndicatorRow.validate(frame, lazy=True)
    IndicatorRowDoubts.validate(frame, lazy=True)


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        ({"source_district": "cao_bang"}, "invalid_source_district"),
        ({"row_kind": "total"}, "invalid_row_kind"),
        ({"source_row": 0}, "invalid_source_row"),  # its own row number is the bad value
        ({"reported_pct": -5.0}, "invalid_reported_pct"),
        ({"unit": "furlong"}, "invalid_row"),  # invalid_unit is the warning on the unit as written
        ({"target_low": 700.0, "target_high": 650.0}, "target_bounds_reversed"),
        ({"row_kind": "qualitative"}, "qualitative_with_value"),
    ],
)
def test_structure_failures_reject_the_row_with_an_error(overrides, check):
    bad = row(**{"source_row": 9, **overrides})
    accepted, findings = validate_rows(rows_frame([row(), bad]))
    assert list(accepted["source_row"]) == [8]
    assert [(f["check_name"], f["severity"], f["source_row"]) for f in findings] == [(check, "error", bad["source_row"])]


@pytest.mark.parametrize(
    ("overrides", "check", "column"),
    [
        ({"unit": None, "unit_raw": "0"}, "invalid_unit", "C"),
        # 56 % against 3,92 / "1,5-2": no basis explains it (44 against 10 a year, 88 %, is a
        # five-year total: info, tests/unit/quality/test_severity.py)
        ({"reported_pct": 56.0, "actual_value": 3.92, "target_low": 1.5, "target_high": 2.0,
          "computed_pct": 196.0}, "attainment_mismatch", "F"),
        ({"row_label": "Tỷ lệ tăng dân số tự nhiên", "unit": "percent_per_year", "unit_raw": "%/năm",
          "target_low": 1.0, "target_high": 1.0, "actual_value": 9.2, "reported_pct": 920.0, "computed_pct": 920.0},
         "implausible_value", "E"),
    ],
)
def test_doubts_load_the_row_with_a_warning(overrides, check, column):
    accepted, findings = validate_rows(rows_frame([row(**overrides)]))
    assert len(accepted) == 1
    assert (check, "warning", column) in [(f["check_name"], f["severity"], f["source_column"]) for f in findings]
    assert all(f["message"] for f in findings)


@pytest.mark.parametrize(
    ("low", "high", "actual", "reported"),
    [
        (7.0, 7.0, 7.4, 106.0),  # rounded
        (650.0, 700.0, 581.4, 83.0),  # range: against the upper bound
        (0.2, 2.0, 0.3, 100.0),  # inside the range
        (95.0, None, 97.0, 102.0),  # at least
        (34.0, 34.0, 36.88, 109.0),  # 108.5 rounded up
    ],
)
def test_attainment_within_rounding_is_not_flagged(low, high, actual, reported):
    frame = rows_frame([row(target_low=low, target_high=high, actual_value=actual, reported_pct=reported)])
    _, findings = validate_rows(frame)
    assert findings == []


def test_five_year_total_is_explained_in_the_mismatch_message():
    frame = rows_frame([row(target_low=10.0, target_high=10.0, actual_value=44.0, reported_pct=88.0,
                            unit="house", unit_raw="nhà", pct_basis="plan_total")])
    _, findings = validate_rows(frame)
    assert "5-year total" in findings[0]["message"]


def test_structure_model_reports_every_failure_at_once():
    frame = rows_frame([row(source_row=0, row_kind="x")])
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        IndicatorRow.validate(frame, lazy=True)
    assert {"source_row", "row_kind"} <= set(raised.value.failure_cases["column"].dropna())


def test_empty_batch_validates_to_nothing():
    accepted, findings = validate_rows(pd.DataFrame())
    assert accepted.empty and findings == []
