"""The scalar attainment used while resolving numbers agrees with the batch (array) arithmetic."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from flows.core.attainment import attainment_agrees, computed_pct, pct_basis, pct_or_none

figure = st.one_of(st.none(), st.just(0.0), st.floats(min_value=-1e6, max_value=1e9, allow_nan=False))


@given(actual=figure, low=figure, high=figure)
def test_scalar_pct_matches_the_array_computation(actual, low, high):
    as_array = float(computed_pct(*(np.nan if v is None else v for v in (actual, low, high))))
    scalar = pct_or_none(actual, low, high)
    if scalar is None:
        assert actual is None or math.isnan(as_array) or (low is None and high is None)
    else:
        assert math.isclose(scalar, round(as_array, 4), rel_tol=1e-12, abs_tol=1e-9)


def test_pct_basis_names_the_figures_the_percentage_came_from():
    basis = pct_basis([17889.0, 44.0, 581.4, 5.0, np.nan], [17000.0, 10.0, 650.0, 5.0, 1.0],
                      [17000.0, 10.0, 700.0, 5.0, 1.0], [105.0, 88.0, 83.0, 40.0, 100.0], [5, 5, 5, 5, 5])
    assert list(basis) == ["target", "plan_total", "target", "unexplained", None]


@given(actual=figure, low=figure, high=figure)
def test_sql_attainment_pct_is_computed_pct(macros, actual, low, high):
    """The SQL macro attainment_pct (harmonised figures) and computed_pct (figures as read) are twins (docs/twins.md)."""
    as_array = float(computed_pct(*(np.nan if v is None else v for v in (actual, low, high))))
    in_sql = macros.execute("select attainment_pct(?::double, ?::double, ?::double)", [actual, low, high]).fetchone()[0]
    if in_sql is None or math.isnan(in_sql):
        assert math.isnan(as_array), (actual, low, high, as_array)
    else:
        assert math.isclose(in_sql, as_array, rel_tol=1e-12, abs_tol=1e-9)


@given(actual=figure, low=figure, high=figure, reported=st.one_of(st.none(), st.floats(-200, 2000, allow_nan=False)),
       near=st.booleans())
def test_sql_pct_agrees_is_attainment_agrees(macros, actual, low, high, reported, near):
    """pct_agrees (SQL) and attainment_agrees (numpy) are twins with one tolerance (docs/twins.md); `near` puts the
    reported percentage within a point of the computed one, where the tolerance decides."""
    figures = [np.nan if v is None else v for v in (actual, low, high)]
    computed = float(computed_pct(*figures))
    if near and reported is not None and math.isfinite(computed):
        reported = computed + (reported % 2.0 - 1.0)
    expected = bool(attainment_agrees(*figures, np.nan if reported is None else reported))
    got = macros.execute("select pct_agrees(?::double, ?::double, ?::double, ?::double)",
                         [actual, low, high, reported]).fetchone()[0]
    assert (True if got is None else got) == expected, (actual, low, high, reported)
