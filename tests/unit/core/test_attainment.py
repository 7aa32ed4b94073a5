"""The scalar attainment used while resolving numbers agrees with the batch (array) arithmetic."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from flows.core.attainment import computed_pct, pct_basis, pct_or_none

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
