"""Attainment arithmetic on arrays (a whole batch of rows at once), and one scalar twin.

A reported percentage "agrees" with the figures when it is within rounding of one of the ways
district clerks compute it: result / target (the usual), target / result (lower-is-better
indicators), 100 when the result lies inside a target range, or result / lower bound of a range.
"""

from __future__ import annotations

import math

import numpy as np

TOLERANCE_POINTS = 1.0  # reported percentages are rounded, often truncated, to whole points
TOLERANCE_SHARE = 0.005  # and large ones lose a little more


def _arrays(*values):
    return [np.asarray(v, dtype="float64") for v in values]


def reference_target(low, high):
    """The bound a result is compared with: the upper one of a range, else whichever exists."""
    low, high = _arrays(low, high)
    return np.where(np.isnan(high), low, high)


def computed_pct(actual, low, high):
    """Result as a percentage of target; 100 inside a target range; NaN when not computable."""
    actual, low, high = _arrays(actual, low, high)
    ref = reference_target(low, high)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pct = np.where(ref != 0, actual / ref * 100.0, np.nan)
    inside = _is_range(low, high) & (actual >= low) & (actual <= high)
    return np.where(inside, 100.0, pct)


def pct_or_none(actual: float | None, low: float | None, high: float | None) -> float | None:
    """computed_pct for one row, None when not computable.

    Plain Python, not the array function on one element: number resolution calls it for every
    reading of every row, where numpy's cost per call outweighed the arithmetic. A test holds
    the two to the same answers.
    """
    if actual is None or (low is None and high is None):
        return None
    if low is not None and high is not None and low != high and low <= actual <= high:
        return 100.0
    ref = low if high is None else high
    if ref == 0:
        return None
    try:
        value = actual / ref * 100.0
    except OverflowError:
        return None
    return None if math.isnan(value) else round(value, 4)


def close_to(value, reported):
    value, reported = _arrays(value, reported)
    return np.abs(value - reported) <= TOLERANCE_POINTS + TOLERANCE_SHARE * np.abs(reported)


def attainment_agrees(actual, low, high, reported):
    """True where the reported percentage matches the figures, or cannot be checked (NaN)."""
    actual, low, high, reported = _arrays(actual, low, high, reported)
    ref = reference_target(low, high)
    computed = computed_pct(actual, low, high)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inverse = np.where(actual != 0, ref / actual * 100.0, np.nan)
        versus_low = np.where(low != 0, actual / low * 100.0, np.nan)
    return (
        np.isnan(reported)
        | np.isnan(computed)
        | close_to(computed, reported)
        | close_to(inverse, reported)
        | (_is_range(low, high) & close_to(versus_low, reported))
    )


def pct_basis(actual, low, high, reported, plan_years):
    """Which figures each reported percentage was computed from.

    'target' when it agrees with result and target; 'plan_total' when it only agrees with the
    result as a total over the plan against a yearly target (44 houses vs 10 a year, 88 %);
    'unexplained' otherwise; None when there is nothing to compare.
    """
    actual, low, high, reported, plan_years = _arrays(actual, low, high, reported, plan_years)
    ref = reference_target(low, high)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        as_plan_total = (ref != 0) & close_to(actual / (ref * plan_years) * 100.0, reported)
    nothing_to_compare = np.isnan(actual) | np.isnan(reported) | (np.isnan(low) & np.isnan(high))
    return np.select([nothing_to_compare, attainment_agrees(actual, low, high, reported), as_plan_total],
                     [None, "target", "plan_total"], "unexplained")


def _is_range(low, high):
    return ~np.isnan(low) & ~np.isnan(high) & (low != high)
