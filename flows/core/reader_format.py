"""Numbers, dates and times as the reader's language writes them (Babel's locale data).

Vietnamese groups thousands with a dot and writes decimals after a comma (1.234,5; 87,06 %), and
dates day first (07/12/2026); English the other way (1,234.5; Dec 7, 2026). "87.06" in a Vietnamese
sentence reads as 8 706, so no sentence for a person carries a number formatted any other way.

One time-zone rule for everything a person reads: the district's own clock, Asia/Ho_Chi_Minh
(UTC+7), named once here. What a machine reads (JSON, exports, the warehouse's timestamps) stays in
UTC, ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LOCAL_ZONE_NAME = "Asia/Ho_Chi_Minh"
LOCAL_ZONE = ZoneInfo(LOCAL_ZONE_NAME)
# Up to four decimals, no trailing zeros: the precision the source tables and figure_text keep.
_NUMBER_PATTERN = "#,##0.####"
_DATE_PATTERN = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
_TIME_PATTERN = {"vi": "HH:mm 'ngày' dd/MM/yyyy", "en": "d MMM yyyy HH:mm"}  # "05:37 ngày 08/12/2026"
# to the second, where a reader compares two times a few seconds apart (when a load ran)
_SECONDS_PATTERN = {"vi": "HH:mm:ss 'ngày' dd/MM/yyyy", "en": "d MMM yyyy HH:mm:ss"}


def number(value: float | int | None, language: str = "vi") -> str:
    """A figure in a sentence: 17.889 and 7,4 in Vietnamese; 17,889 and 7.4 in English; '—' for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):  # a percentage of a result near the largest double overflows
        return "∞" if value > 0 else "-∞"
    # Babel rounds in Python's decimal context, 28 digits by default: a result near the largest
    # double (1e308, which a workbook may hold) needs its 309 digits and the decimals
    with decimal.localcontext() as context:
        context.prec = 400
        text = format_decimal(value, _NUMBER_PATTERN, locale=language)
    # a figure that rounds to zero is 0, not "-0": the sign of what is no longer there says nothing
    return "0" if not text.strip("-0") else text


def percent(value: float | None, language: str = "vi") -> str:
    """A percentage already in percent (87.06 → '87,06 %' in Vietnamese, '87.06%' in English)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{number(value, language)} %" if language == "vi" else f"{number(value, language)}%"


class Percent(float):
    """A value that is a percentage: put into a message as `percent()` writes it."""


def date(day: dt.date | None, language: str = "vi") -> str:
    """A calendar date: 07/12/2026 in Vietnamese, 7 Dec 2026 in English."""
    return "—" if day is None else format_date(day, _DATE_PATTERN[language], locale=language)


def moment(when: dt.datetime | None, language: str = "vi", seconds: bool = False) -> str:
    """A time a person reads, on the district's clock (a naive time is UTC, as DuckDB hands it); to the
    second with `seconds`."""
    if when is None:
        return "—"
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    pattern = (_SECONDS_PATTERN if seconds else _TIME_PATTERN)[language]
    return format_datetime(when, pattern, tzinfo=LOCAL_ZONE, locale=language)


def local(when: dt.datetime) -> dt.datetime:
    """A time on the district's clock (a naive time is UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(LOCAL_ZONE)
