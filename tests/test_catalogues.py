"""The catalogue models catch the edits that would make the merged district's figures wrong."""

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.catalogue_models import IndicatorCatalogue, IndicatorCrosswalk, validate_catalogues
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
