"""The catalogue models catch the edits that would make the merged district's figures wrong."""

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.catalogue_models import (AggregationMethods, BoundaryChanges, IndicatorCatalogue, IndicatorCrosswalk,
                                      UnitDestinations, validate_catalogues)
from schemas.catalogues import table


def test_committed_catalogues_are_consistent():
    validate_catalogues()


def entry(**overrides) -> dict:
    base = {"indicator_code": "grain_output", "name_vi": "Sản lượng lương thực", "name_en": "cereal output",
            "unit": "tonne", "direction": "higher_is_better", "target_basis": "end_level", "aggregation": "sum",
            "weight": "", "weight_note": "", "missing_weight": ""}
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        ({"unit": "percent"}, "sum_only_additive_units"),  # never sum percentages
        ({"unit": "percent_per_year"}, "sum_only_additive_units"),  # nor growth rates
        ({"aggregation": "area_weighted_mean", "weight": "area"}, "mean_only_for_rates"),  # never average tonnes
        ({"unit": "percent", "aggregation": "population_weighted_mean", "weight": ""}, "weight_names_the_mean"),
        ({"indicator_code": "Grain Output"}, "str_matches"),
        ({"missing_weight": "cultivated area"}, "missing_weight_only_when_not_aggregable"),
    ],
)
def test_catalogue_rejects(overrides, check):
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        IndicatorCatalogue.validate(pd.DataFrame([entry(**overrides)]), lazy=True)
    assert any(check in str(c) for c in raised.value.failure_cases["check"])


def test_crosswalk_rejects_an_indicator_missing_from_the_catalogue():
    with pytest.raises(pa.errors.SchemaErrors):
        IndicatorCrosswalk.validate(pd.DataFrame([{"label": "Sản lượng chè", "indicator_code": "tea_output"}]), lazy=True)


def test_every_catalogue_indicator_has_a_crosswalk_label():
    mapped = {r["indicator_code"] for r in table("indicator_crosswalk.csv")}
    assert {r["indicator_code"] for r in table("indicators.csv")} == mapped


def test_the_registry_frame_has_the_models_columns_in_order():
    from schemas.catalogue_models import CheckRegistry, check_registry

    assert list(check_registry().columns) == list(CheckRegistry.to_schema().columns)


def test_catalogues_are_checked_again_only_when_what_is_checked_changes(monkeypatch):
    """A warehouse records the catalogues that passed; a load with the same ones skips the check
    (pandera's schema building, 0.45 s of a night with nothing new), a changed one is checked."""
    import duckdb

    from flows.warehouse import reference

    checked = []
    monkeypatch.setattr(reference, "validate_catalogues", lambda: checked.append("checked"))
    con = duckdb.connect()
    reference.load_reference_tables(con)
    reference.load_reference_tables(con)
    assert checked == ["checked"]
    indicators = [dict(row) for row in table("indicators.csv")]
    indicators[0]["name_en"] += " (edited)"
    monkeypatch.setattr(reference, "table", lambda name: indicators if name == "indicators.csv" else table(name))
    reference.load_reference_tables(con)
    assert checked == ["checked", "checked"]

    class CatalogueInconsistent(Exception):
        """Stands for pandera's SchemaErrors."""

    def failing():
        raise CatalogueInconsistent

    indicators[0]["name_en"] += " again"
    monkeypatch.setattr(reference, "validate_catalogues", failing)
    with pytest.raises(CatalogueInconsistent):  # a failed check records nothing and stops the load
        reference.load_reference_tables(con)
    with pytest.raises(CatalogueInconsistent):
        reference.load_reference_tables(con)


def test_a_boundary_change_names_each_predecessor_once_and_only_loaded_districts():
    rows = table("boundary_changes.csv")
    duplicated = [*rows, dict(rows[0])]
    split = [*rows, {**rows[0], "change_code": "another_2021", "successor": "another", "effective_date": "2021-01-01"}]
    unknown = [*rows, {**rows[0], "predecessor": "nowhere"}]
    named_like_a_district = [{**row, "successor": "ha_quang"} for row in rows]
    two_descriptions = [rows[0], {**rows[1], "cycle": "period"}]
    for broken, check in ((duplicated, "one_successor_per_predecessor"), (split, "one_successor_per_predecessor"),
                          (unknown, "district_predecessor_is_loaded"),
                          (named_like_a_district, "successor_is_not_a_reporting_unit"),
                          (two_descriptions, "one_successor_one_description")):
        with pytest.raises(pa.errors.SchemaErrors, match=check):
            BoundaryChanges.validate(pd.DataFrame(broken), lazy=True)


def test_every_aggregation_method_has_a_coverage_rule():
    rows = [r for r in table("aggregation_methods.csv") if r["method"] != "sum"]
    with pytest.raises(pa.errors.SchemaErrors, match="every_method_has_a_rule"):
        AggregationMethods.validate(pd.DataFrame(rows), lazy=True)
    with pytest.raises(pa.errors.SchemaErrors, match="min_coverage"):
        AggregationMethods.validate(pd.DataFrame([{**r, "min_coverage": "0"} for r in table("aggregation_methods.csv")]),
                                    lazy=True)


def test_a_recorded_destination_is_a_retired_unit_going_to_a_unit_of_the_next_period():
    rows = table("unit_destinations.csv")
    kept = [{**rows[0], "old_code": "01363"}]  # Thị trấn Thông Nông kept its code: its destination is itself
    nowhere = [{**rows[0], "destination_code": "01369"}]  # a code retired in 2020 is no destination
    twice = [*rows, dict(rows[0])]
    unstated = [{**rows[0], "basis": "likely"}]
    for broken, check in ((kept, "a_retired_unit_of_the_reference"), (nowhere, "a_unit_of_the_next_period"),
                          (twice, "old_code"), (unstated, "basis")):
        with pytest.raises(pa.errors.SchemaErrors, match=check):
            UnitDestinations.validate(pd.DataFrame(broken), lazy=True)
