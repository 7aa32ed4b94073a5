"""The model harness itself: real columns and types, NULL for what a row leaves out, and loud failures
for a column or relation a test names that the model's SQL does not have."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from flows.warehouse import landing, layers
from tests.models.harness import NotRead, UnknownColumn, build_model, columns_of, reads_of


def test_a_model_is_built_from_the_given_rows_with_null_where_a_row_says_nothing():
    rows = build_model("stg_indicators", {"ref_indicators": [
        {"indicator_code": "forest_cover", "direction": "higher_is_better", "unit": ""},
        {"indicator_code": "tobacco_area", "unit": "ha"},
    ]})
    by_code = {row["indicator_code"]: row for row in rows}
    assert by_code["forest_cover"]["unit"] is None  # the model's nullif(unit, ''), not the harness
    assert by_code["forest_cover"]["direction"] == "higher_is_better"
    assert by_code["tobacco_area"]["unit"] == "ha" and by_code["tobacco_area"]["direction"] is None
    assert list(rows[0]) == [name for name, _ in columns_of("stg_indicators")]


def test_a_small_dataframe_is_given_as_well_as_dicts():
    frame = pd.DataFrame({"indicator_code": ["a", "b"], "weight": ["", "population"], "name_en": [None, "B"]})
    rows = build_model("stg_indicators", {"ref_indicators": frame})
    assert [(r["indicator_code"], r["weight"], r["name_en"]) for r in rows] == [("a", None, None),
                                                                               ("b", "population", "B")]
    sources = build_model("stg_dq_findings", {"landing_dq_findings": pd.DataFrame(
        {"load_id": [1, 2], "source_row": [4.0, float("nan")], "check_name": ["hidden_row"] * 2})})
    assert sorted((r["load_id"], r["source_row"]) for r in sources) == [(1, 4), (2, None)]  # NaN is NULL


def test_a_column_the_relation_lacks_fails_loudly():
    with pytest.raises(UnknownColumn, match="ref_indicators has no column directon"):
        build_model("stg_indicators", {"ref_indicators": [{"indicator_code": "a", "directon": "higher_is_better"}]})


def test_rows_for_a_relation_the_model_does_not_read_fail_loudly():
    with pytest.raises(NotRead, match="stg_indicators does not read ref_units"):
        build_model("stg_indicators", {"ref_units": [{"unit": "ha"}]})


def test_a_relation_not_given_is_empty_with_the_builds_types():
    assert reads_of("int_district_attainment") >= {"int_harmonised_rows", "stg_dq_findings", "stg_indicators"}
    types = dict(columns_of("int_harmonised_rows"))
    assert (types["period_end"], types["dq_flags"], types["harmonised_actual"]) == ("DATE", "VARCHAR[]", "DOUBLE")
    # not given: no rows (the reference table it reads is full in a load)
    assert build_model("stg_indicators", {}) == []


def test_a_landing_table_has_the_columns_its_ddl_declares():
    assert [name for name, _ in columns_of("landing_load_runs")] == \
        [name for name, _ in landing._declared_columns((layers.SQL_DIR / "landing" / "landing_load_runs.sql")
                                                  .read_text(encoding="utf-8"), "landing_load_runs")]


def test_catalogue_relations_hold_the_real_reference_rows():
    with (layers.SCHEMAS_DIR / "messages.csv").open(encoding="utf-8") as f:
        ids = {row["message_id"] for row in csv.DictReader(line for line in f if not line.startswith("#"))}
    rows = build_model("stg_messages", {}, catalogue=["ref_messages"])
    assert {row["message_id"] for row in rows} == ids
