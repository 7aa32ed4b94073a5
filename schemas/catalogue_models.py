"""pandera models for the reviewed catalogues: a bad edit to a catalogue fails loudly, not silently."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from flows.core.checks import BLOCKING_RULES, BLOCKS_ALWAYS, CELL_ROLES, CHECKS, ERROR, WARNING
from flows.core.text import match_key
from schemas.catalogues import VERDICT_STATUSES, table

DIRECTIONS = ["higher_is_better", "lower_is_better", "within_range"]
TARGET_BASES = ["per_year", "cumulative", "end_level"]
AGGREGATIONS = ["sum", "area_weighted_mean", "population_weighted_mean", "not_aggregable"]
WEIGHT_OF = {"area_weighted_mean": "area", "population_weighted_mean": "population"}


def _additive_units() -> set[str]:
    return {r["code"] for r in table("units.csv") if r["additive"] == "true"}


def _units() -> list[str]:
    return [r["code"] for r in table("units.csv")]


def _unit_types() -> list[str]:
    """The unit types the reference knows (Xã, Thị trấn, ...): what a count may be restricted to."""
    return sorted({r["type"] for r in table("reference/cao_bang_admin_units.csv") if r["type"]})


class IndicatorCatalogue(pa.DataFrameModel):
    indicator_code: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z][a-z0-9_]*$")
    name_vi: Series[str] = pa.Field(str_length={"min_value": 1})
    name_en: Series[str] = pa.Field(str_length={"min_value": 1})
    unit: Series[str] = pa.Field(isin=_units() + [""])
    direction: Series[str] = pa.Field(isin=DIRECTIONS)
    target_basis: Series[str] = pa.Field(isin=TARGET_BASES)
    aggregation: Series[str] = pa.Field(isin=AGGREGATIONS)
    weight: Series[str]
    missing_weight: Series[str]
    counted_unit_type: Series[str] = pa.Field(isin=_unit_types() + [""])
    weight_note_vi: Series[str]

    @pa.dataframe_check(name="weight_note_in_vietnamese")
    def every_weight_note_is_said_in_vietnamese(cls, df: pd.DataFrame) -> pd.Series:
        # the caveats of a merged figure name it to a Vietnamese reader (merged_district_indicators.caveats_vi)
        return (df["weight_note"] == "") == (df["weight_note_vi"] == "")

    @pa.dataframe_check(name="counted_type_is_named")
    def counted_units_have_a_noun(cls, df: pd.DataFrame) -> pd.Series:
        # the noun is what a base's label says: "18 pre-2020 rural communes (xã)"
        return (df["counted_unit_type"] == "") == (df["counted_noun"] == "")

    @pa.dataframe_check(name="sum_only_additive_units")
    def rates_are_never_summed(cls, df: pd.DataFrame) -> pd.Series:
        return (df["aggregation"] != "sum") | df["unit"].isin(_additive_units())

    @pa.dataframe_check(name="mean_only_for_rates")
    def amounts_are_never_averaged(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["aggregation"].isin(list(WEIGHT_OF)) | ~df["unit"].isin(_additive_units())

    @pa.dataframe_check(name="weight_names_the_mean")
    def weighted_means_name_their_weight(cls, df: pd.DataFrame) -> pd.Series:
        return df["weight"] == df["aggregation"].map(WEIGHT_OF).fillna("")

    @pa.dataframe_check(name="missing_weight_only_when_not_aggregable")
    def only_an_uncombined_mean_lacks_its_weight(cls, df: pd.DataFrame) -> pd.Series:
        # a merged status decided by dominance (target_attainment) must be one no weight could combine
        return (df["missing_weight"] == "") | (df["aggregation"] == "not_aggregable")


class IndicatorCrosswalk(pa.DataFrameModel):
    label: Series[str] = pa.Field(str_length={"min_value": 1})
    indicator_code: Series[str]

    @pa.dataframe_check(name="indicator_in_catalogue")
    def maps_to_catalogue(cls, df: pd.DataFrame) -> pd.Series:
        return df["indicator_code"].isin({r["indicator_code"] for r in table("indicators.csv")})


class BoundaryChanges(pa.DataFrameModel):
    """schemas/boundary_changes.csv: one row per predecessor of a successor unit."""

    change_code: Series[str] = pa.Field(str_matches=r"^[a-z][a-z0-9_]*$")
    level: Series[str] = pa.Field(isin=["district", "commune"])
    effective_date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
    cycle: Series[str] = pa.Field(isin=["plan", "period"])
    successor: Series[str] = pa.Field(str_length={"min_value": 1})
    successor_name_vi: Series[str] = pa.Field(str_length={"min_value": 1})
    predecessor: Series[str] = pa.Field(str_length={"min_value": 1})

    @pa.dataframe_check(name="one_successor_per_predecessor")
    def a_predecessor_goes_to_one_successor_per_level(cls, df: pd.DataFrame) -> pd.Series:
        # a unit split between two successors, or listed in two changes of its level, would be counted in both
        return ~df.duplicated(["level", "predecessor"], keep=False)

    @pa.dataframe_check(name="successor_is_not_a_reporting_unit")
    def a_successor_code_is_its_own(cls, df: pd.DataFrame) -> pd.Series:
        # target_attainment.district holds both: a successor named like a district would merge their rows
        return ~df["successor"].isin({r["code"] for r in table("districts.csv")})

    @pa.dataframe_check(name="one_successor_one_description")
    def a_successor_is_described_once(cls, df: pd.DataFrame) -> pd.Series:
        described = df[["successor", "change_code", "level", "effective_date", "cycle", "successor_name_vi"]]
        return described.groupby("successor").transform("nunique").max(axis=1) == 1

    @pa.dataframe_check(name="district_predecessor_is_loaded")
    def a_district_predecessor_has_its_raw_folder(cls, df: pd.DataFrame) -> pd.Series:
        # the loader reads raw/<code>/ only for a district of districts.csv
        return (df["level"] != "district") | df["predecessor"].isin({r["code"] for r in table("districts.csv")})


class AggregationMethods(pa.DataFrameModel):
    """schemas/aggregation_methods.csv: the rule of each aggregation method."""

    method: Series[str] = pa.Field(unique=True, isin=AGGREGATIONS)
    min_coverage: Series[float] = pa.Field(gt=0, le=1, coerce=True)
    coverage_weight: Series[str] = pa.Field(isin=sorted(set(WEIGHT_OF.values())))

    @pa.dataframe_check(name="every_method_has_a_rule")
    def every_aggregation_is_ruled(cls, df: pd.DataFrame) -> pd.Series:
        return pd.Series([set(df["method"]) == set(AGGREGATIONS)] * len(df), index=df.index)


class UnitDestinations(pa.DataFrameModel):
    """schemas/unit_destinations.csv: where a retired unit went, where the reference file does not say."""

    old_code: Series[str] = pa.Field(unique=True, str_matches=r"^\d{5}$")
    destination_code: Series[str] = pa.Field(str_matches=r"^\d{5}$")
    basis: Series[str] = pa.Field(isin=["official", "inferred"])
    evidence: Series[str] = pa.Field(str_length={"min_value": 1})
    source: Series[str] = pa.Field(str_length={"min_value": 1})

    @pa.dataframe_check(name="a_retired_unit_of_the_reference")
    def the_old_code_is_retired(cls, df: pd.DataFrame) -> pd.Series:
        # a kept code's destination is itself; a code the reference does not list is nobody's
        retired = {r["code"] for r in table("reference/cao_bang_admin_units.csv")
                   if r["period"] == "pre2020" and not r["code_2020_2025"]}
        return df["old_code"].isin(retired)

    @pa.dataframe_check(name="a_unit_of_the_next_period")
    def the_destination_exists_after_the_change(cls, df: pd.DataFrame) -> pd.Series:
        after = {r["code"] for r in table("reference/cao_bang_admin_units.csv") if r["period"] == "2020_2025"}
        return df["destination_code"].isin(after)


class VerdictWords(pa.DataFrameModel):
    """The verdict words (schemas/verdict_words.csv): each once, written as the parser's match_key reads a cell."""

    word: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    status: Series[str] = pa.Field(isin=list(VERDICT_STATUSES))

    @pa.check("word")
    def written_as_read(cls, word: pd.Series) -> pd.Series:
        return word == word.map(lambda w: match_key(w).strip(" .;:!-–"))


class CheckRegistry(pa.DataFrameModel):
    """The registry of data-quality checks (flows/core/checks.py), as the warehouse's ref_dq_checks holds it."""

    name: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z][a-z0-9_]*$")
    severity: Series[str] = pa.Field(isin=[ERROR, WARNING])  # info is only ever a resolved finding's
    cell: Series[str] = pa.Field(nullable=True, isin=list(CELL_ROLES))
    meaning: Series[str] = pa.Field(str_length={"min_value": 1})
    action: Series[str] = pa.Field(str_length={"min_value": 1})
    meaning_vi: Series[str] = pa.Field(str_length={"min_value": 1})
    action_vi: Series[str] = pa.Field(str_length={"min_value": 1})
    resolvable: Series[bool]
    blocks_attainment: Series[str] = pa.Field(isin=list(BLOCKING_RULES))

    @pa.dataframe_check
    def an_error_always_blocks_attainment(cls, df: pd.DataFrame) -> pd.Series:
        return (df["severity"] != ERROR) | (df["blocks_attainment"] == BLOCKS_ALWAYS)


def check_registry() -> pd.DataFrame:
    """The registry of checks as a frame, one row per check, in the order it lists them.

    The columns are the model's fields in the order they are declared, read without building its
    pandera schema (which imports dask.dataframe: 0.45 s of a load that reads no workbook).
    """
    return pd.DataFrame([{**vars(c), "meaning": c.meaning, "action": c.action, "meaning_vi": c.meaning_in("vi"),
                          "action_vi": c.action_in("vi")} for c in CHECKS.values()],
                        columns=list(CheckRegistry.__annotations__))


def validate_catalogues() -> None:
    """Raise pandera's SchemaErrors, listing every problem, when a catalogue file is inconsistent."""
    CheckRegistry.validate(check_registry(), lazy=True)
    IndicatorCatalogue.validate(pd.DataFrame(table("indicators.csv")), lazy=True)
    IndicatorCrosswalk.validate(pd.DataFrame(table("indicator_crosswalk.csv")), lazy=True)
    BoundaryChanges.validate(pd.DataFrame(table("boundary_changes.csv")), lazy=True)
    AggregationMethods.validate(pd.DataFrame(table("aggregation_methods.csv")), lazy=True)
    UnitDestinations.validate(pd.DataFrame(table("unit_destinations.csv")), lazy=True)
    VerdictWords.validate(pd.DataFrame(table("verdict_words.csv")), lazy=True)
