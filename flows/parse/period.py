"""The date a table's figures refer to, read from its own header and title words."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flows.core.text import match_key

_END_OF_YEAR = re.compile(r"(?:hết|cuối)\s+năm\s+(\d{4})")
_UP_TO_YEAR = re.compile(r"đến\s+năm\s+(\d{4})")
_PLAN_RANGE = re.compile(r"giai\s+đoạn\s+(\d{4})\s*[-–]\s*(\d{4})")
_ESTIMATE = re.compile(r"\bước\b")
DEFAULT_PLAN_YEARS = 5  # Vietnamese socio-economic plans run five years


@dataclass(frozen=True)
class Period:
    end: dt.date | None
    is_estimate: bool
    evidence: str  # the words the date was read from, for the clerk
    assumed: bool = False  # True when only the plan range gave the year
    plan_years: int = DEFAULT_PLAN_YEARS


def read_period(texts: list[str]) -> Period:
    """First "(đến) hết năm YYYY" / "đến năm YYYY" in texts (most specific first).

    Falls back to the end of the plan range ("giai đoạn 2015-2020"), marked as assumed.
    """
    keys = [match_key(t) for t in texts]
    plan_years = _plan_years(keys)
    for pattern in (_END_OF_YEAR, _UP_TO_YEAR):
        for text, key in zip(texts, keys):
            if match := pattern.search(key):
                return Period(
                    dt.date(int(match.group(1)), 12, 31), bool(_ESTIMATE.search(key)), text, plan_years=plan_years
                )
    for text, key in zip(texts, keys):
        if match := _PLAN_RANGE.search(key):
            return Period(dt.date(int(match.group(2)), 12, 31), bool(_ESTIMATE.search(key)), text, True, plan_years)
    return Period(None, False, "", plan_years=plan_years)


def _plan_years(keys: list[str]) -> int:
    for key in keys:
        if match := _PLAN_RANGE.search(key):
            years = int(match.group(2)) - int(match.group(1))
            if 1 <= years <= 10:
                return years
    return DEFAULT_PLAN_YEARS
