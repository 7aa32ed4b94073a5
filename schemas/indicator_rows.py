"""pandera models for parsed indicator rows.

`IndicatorRow` is the structure a row must have to be loaded: a failure rejects the row.
`IndicatorRowDoubts` holds the checks that only raise a doubt: the row loads with a warning.
Check names are the `check_name` values analysts see in `dq_issues`.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from flows.core.attainment import attainment_agrees, computed_pct
from schemas.catalogues import districts, plausibility_rules, units

ROW_KINDS = ["measured", "qualitative", "group"]
IMPLAUSIBLE_ATTAINMENT_PCT = 500.0  # a result five times its target is a unit or period slip


class IndicatorRow(pa.DataFrameModel):
    source_district: Series[str] = pa.Field(isin=sorted(districts()))
    source_file: Series[str] = pa.Field(str_length={"min_value": 1})
    source_sheet: Series[str]
    source_row: Series[int] = pa.Field(ge=1)
    row_label: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 500})
    row_kind: Series[str] = pa.Field(isin=ROW_KINDS)
    unit: Series[str] = pa.Field(nullable=True, isin=sorted(units()))
    target_low: Series[float] = pa.Field(nullable=True)
    target_high: Series[float] = pa.Field(nullable=True)
    actual_value: Series[float] = pa.Field(nullable=True)
    reported_pct: Series[float] = pa.Field(nullable=True, ge=0)
    computed_pct: Series[float] = pa.Field(nullable=True)

    @pa.dataframe_check(name="target_bounds_reversed")
    def target_bounds_ordered(cls, df: pd.DataFrame) -> pd.Series:
        return df["target_low"].isna() | df["target_high"].isna() | (df["target_low"] <= df["target_high"])

    @pa.dataframe_check(name="qualitative_with_value")
    def qualitative_rows_have_no_value(cls, df: pd.DataFrame) -> pd.Series:
        return (df["row_kind"] != "qualitative") | df["actual_value"].isna()

    class Config:
        coerce = True
        strict = False


# The columns the doubts' checks read. pandera reports a failing dataframe check once per column
# of the frame it checks: on these alone rather than the whole record (36 columns), a batch with
# many doubts is validated in half the time (flows/quality/validate.py; a check reading another
# column is run on the whole record).
DOUBT_INPUTS = ["row_label", "unit_raw", "unit", "target_low", "target_high", "actual_value", "reported_pct"]


class IndicatorRowDoubts(pa.DataFrameModel):
    @pa.dataframe_check(name="invalid_unit")
    def unit_in_catalogue(cls, df: pd.DataFrame) -> pd.Series:
        return df["unit_raw"].isna() | df["unit"].notna()

    @pa.dataframe_check(name="attainment_mismatch")
    def reported_pct_matches(cls, df: pd.DataFrame) -> pd.Series:
        agrees = attainment_agrees(df["actual_value"], df["target_low"], df["target_high"], df["reported_pct"])
        return pd.Series(agrees, index=df.index)

    @pa.dataframe_check(name="implausible_value")
    def value_plausible(cls, df: pd.DataFrame) -> pd.Series:
        return ~implausible_mask(df)

    class Config:
        strict = False


def rule_violations(df: pd.DataFrame):
    """(rule, rows of df that break it) for every plausibility rule."""
    labels = df["row_label"].str.lower()
    actual = df["actual_value"].astype("float64")
    for rule in plausibility_rules():
        applies = (df["unit"] == rule.unit).fillna(False) & labels.str.contains(rule.label_contains, regex=False)
        yield rule, applies & ((actual < rule.min) | (actual > rule.max)).fillna(False)


def implausible_mask(df: pd.DataFrame) -> pd.Series:
    """Rows whose result is outside what its measure allows, or far beyond its target."""
    bad = pd.Series(False, index=df.index)
    for _, broken in rule_violations(df):
        bad |= broken
    pct = pd.Series(computed_pct(df["actual_value"], df["target_low"], df["target_high"]), index=df.index)
    return bad | (pct > IMPLAUSIBLE_ATTAINMENT_PCT).fillna(False)


def scale_fixes(df: pd.DataFrame) -> pd.DataFrame:
    """For implausible results that a rule's fix_factor brings into range: that factor and rule.

    A suspicion, stored with the row: harmonisation applies it only where the row's own percentage
    of target agrees with the scaled figure (sql/intermediate/int_harmonised_rows.sql), so the
    rule is decided at every build, not fixed at load. The reported value is never changed.
    """
    fixes = pd.DataFrame({"scale_fix_factor": pd.Series(float("nan"), index=df.index, dtype="float64"),
                          "scale_fix_rule": pd.Series(None, index=df.index, dtype=object)})
    actual = df["actual_value"].astype("float64")
    for rule, broken in rule_violations(df):
        if rule.fix_factor is None:
            continue
        scaled = actual * rule.fix_factor
        fixable = broken & (scaled >= rule.min) & (scaled <= rule.max) & fixes["scale_fix_rule"].isna()
        fixes.loc[fixable, "scale_fix_factor"] = rule.fix_factor
        fixes.loc[fixable, "scale_fix_rule"] = rule.fix_rule
    return fixes
