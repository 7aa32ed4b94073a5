"""Numbers, dates and times in the reader's language, on the district's clock (flows/core/reader_format.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.core import reader_format
from flows.core.messages import say


@pytest.mark.parametrize(("value", "vi", "en"), [
    (1234.5, "1.234,5", "1,234.5"), (17889, "17.889", "17,889"), (87.0612, "87,0612", "87.0612"),
    (0.3, "0,3", "0.3"), (-2.25, "-2,25", "-2.25"), (1_000_000, "1.000.000", "1,000,000"), (None, "—", "—"),
])
def test_numbers_are_written_as_each_language_writes_them(value, vi, en):
    assert (reader_format.number(value, "vi"), reader_format.number(value, "en")) == (vi, en)


def test_percentages_dates_and_times_follow_the_language_and_the_districts_clock():
    assert reader_format.percent(87.06, "vi") == "87,06 %" and reader_format.percent(87.06, "en") == "87.06%"
    assert reader_format.date(dt.date(2026, 12, 7), "vi") == "07/12/2026"
    late_evening_utc = dt.datetime(2026, 12, 7, 20, 5, tzinfo=dt.timezone.utc)
    assert reader_format.moment(late_evening_utc, "vi") == "03:05 ngày 08/12/2026"  # UTC+7: the next morning
    assert reader_format.moment(late_evening_utc.replace(tzinfo=None), "vi") == "03:05 ngày 08/12/2026"  # DuckDB's naive UTC
    seconds = late_evening_utc.replace(second=9)
    assert (reader_format.moment(seconds, "vi", seconds=True), reader_format.moment(seconds, "en", seconds=True)) == \
        ("03:05:09 ngày 08/12/2026", "8 Dec 2026 03:05:09")


def test_a_message_puts_its_values_in_the_readers_format():
    unit = {"vi": "tấn", "en": "tonne"}
    assert say("finding.missing_unit.catalogue_unit", "vi", unit=unit).endswith("(tấn)")
    assert say("finding.missing_unit.catalogue_unit", "en", unit=unit).endswith("(tonne)")
    mismatch = {"reported": reader_format.Percent(201), "actual": 1950.5, "target": "800",
                "computed": reader_format.Percent(243.8)}
    assert "201 %" in say("finding.attainment_mismatch.detail", "vi", **mismatch)
    assert "1.950,5" in say("finding.attainment_mismatch.detail", "vi", **mismatch)
    assert "1,950.5" in say("finding.attainment_mismatch.detail", "en", **mismatch)


def test_a_figure_near_the_largest_double_is_written_whole():
    assert reader_format.number(1e308, "vi").startswith("100.000.000") and "," not in reader_format.number(1e308, "vi")
    assert reader_format.number(-1.7e308, "en").startswith("-170,000,000")
