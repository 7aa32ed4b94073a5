"""The SQL macro figure_text_vi and Python's reader_format.number(x, 'vi') are twins: a reason composed in a view
and a sentence composed by the dashboard must write one figure alike (17.889; 87,06), whichever wrote it."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flows.core.reader_format import number
from tests.conftest import REPO

# The range a figure of the warehouse can take and Babel can format (Decimal's 28 digits hold it with four decimals).
LARGEST = 1e20


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        connection.execute((REPO / "sql" / "macros" / "figure_text_vi.sql").read_text(encoding="utf-8"))
        yield connection


def sql_text(con, value) -> str:
    return con.execute("select figure_text_vi(?::double)", [value]).fetchall()[0][0]


# Floats of every magnitude, and decimals of few places: those hit the ties half-to-even rounding decides.
FIGURES = st.one_of(
    st.floats(min_value=-LARGEST, max_value=LARGEST, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-10**9, max_value=10**9, places=5, allow_nan=False, allow_infinity=False).map(float),
    st.integers(min_value=-10**15, max_value=10**15).map(float),
)


@settings(max_examples=400, deadline=None)
@given(FIGURES)
@example(0.00005)
@example(0.00015)
@example(-0.00001)
@example(17889.0)
@example(87.06)
@example(99.99995)
@example(1e20)
def test_the_sql_figure_is_the_python_figure(con, value):
    assert sql_text(con, value) == number(value, "vi")


@given(st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False))
@settings(max_examples=100, deadline=None)
def test_a_decimal_column_reads_as_its_double(con, value: Decimal):
    """A DECIMAL (round(x, 1) in a view) or an integer column is written as the same figure as a double."""
    exact = con.execute(f"select figure_text_vi({value}::decimal(18, 3))").fetchall()[0][0]
    assert exact == number(float(value), "vi")


def test_nothing_and_not_a_number(con):
    assert con.execute("select figure_text_vi(null)").fetchall()[0][0] is None  # the sentence leaves its place empty
    assert sql_text(con, float("nan")) == number(float("nan"), "vi")
    assert sql_text(con, float("inf")) == number(float("inf"), "vi")
