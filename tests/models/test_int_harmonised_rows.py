"""int_harmonised_rows on hand-made rows: the Vietnamese harmonisation notes (harmonisation_notes_vi) say each
English note's case, with the same figures written the Vietnamese way, for the cases raw/ does not hold (a share
of communes that is no whole count, one that fits several, a target that holds none, units that do not convert)
as for those it does. All cases are built in one run of the model."""

from __future__ import annotations

import re

import pytest

from tests.end_to_end.test_vietnamese_text import english_numbers


def row(case: str, indicator: str, unit: str | None, actual=None, low=None, high=None, **more) -> dict:
    """A row of int_current_rows: a figure of `indicator` in `unit` against a target from `low` (to `high`)."""
    return {"load_id": 1, "source_district": "thong_nong", "reporting_unit": "thong_nong",
            "source_file": f"thong_nong/{case}.xlsx", "source_sheet": "Sheet1", "source_row": 7,
            "indicator_code": indicator, "unit": unit, "unit_raw": more.pop("unit_raw", unit),
            "actual_value": actual, "target_low": low, "target_high": high, "target_kind": "at_least", **more}


INDICATORS = [{"indicator_code": "communes", "unit": "commune", "direction": "higher_is_better",
               "target_basis": "end_level", "aggregation": "sum"},
              {"indicator_code": "communes_in_range", "unit": "commune", "direction": "within_range",
               "target_basis": "end_level", "aggregation": "sum"},
              {"indicator_code": "schools", "unit": "school", "direction": "higher_is_better",
               "target_basis": "end_level", "aggregation": "sum"}]

# case: (row, its count base, the English notes' words, the Vietnamese notes' words)
CASES = {
    "share_not_whole": (row("share_not_whole", "communes", "percent", 50.0, 40.0), 11,
                        "50 % of 11 communes is no whole number", "50 % trên tổng số 11 xã không phải là một số nguyên"),
    "share_fits_many": (row("share_fits_many", "communes", "percent", 1.0, 0.0), 300,
                        "1 % of 300 communes fits 2 to 4 of them", "1 % trên tổng số 300 xã có thể là từ 2 đến 4 đơn vị"),
    "target_not_whole": (row("target_not_whole", "communes_in_range", "percent", None, 95.2, 95.3, target_kind="range"), 11,
                         "a target of 95.2 % of 11 communes (10.472)", "chỉ tiêu 95,2 % trên tổng số 11 xã (10,472)"),
    "units_mix": (row("units_mix", "schools", None, 3.0, 2.0, target_unit="school", actual_unit="commune"), 11,
                  "the target is in school and the result in commune", "chỉ tiêu tính bằng trường, kết quả tính bằng xã"),
    "upper_target": (row("upper_target", "communes_in_range", "percent", 100.0, 50.0, 95.0, target_kind="range"), 11,
                     "upper target 95 % of 11 communes = 10.45, so 10", "mức trên của chỉ tiêu 95 % trên tổng số 11 xã là 10,45, nên lấy 10"),
}


@pytest.fixture(scope="module")
def harmonised(model_rows):
    rows = model_rows("int_harmonised_rows", {
        "int_current_rows": [case for case, *_ in CASES.values()],
        "stg_indicators": INDICATORS,
        "int_count_bases": [{"source_file": case["source_file"], "source_sheet": "Sheet1", "source_row": 7,
                             "counts_level": "commune", "is_canonical_count": True, "count_base": base,
                             "count_base_label": "communes"} for case, base, *_ in CASES.values()],
    }, catalogue=["stg_units", "stg_unit_conversions", "stg_messages"])
    return {r["source_file"].split("/")[1].removesuffix(".xlsx"): r for r in rows}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_note_is_said_in_vietnamese_with_the_same_figures(harmonised, case):
    _, _, english, vietnamese = CASES[case]
    got = harmonised[case]
    assert any(english in note for note in got["harmonisation_notes"]), got["harmonisation_notes"]
    assert any(vietnamese in note for note in got["harmonisation_notes_vi"]), got["harmonisation_notes_vi"]
    assert len(got["harmonisation_notes_vi"]) == len(got["harmonisation_notes"])
    for en, vi in zip(got["harmonisation_notes"], got["harmonisation_notes_vi"]):
        assert not english_numbers(vi), vi
        assert len(re.findall(r"\d+", re.sub(r"[.,](?=\d)", "", vi))) == len(re.findall(r"\d+", re.sub(r"[.,](?=\d)", "", en))), (en, vi)
