"""Whether a workbook's place under raw/ and its own words agree on whose figures it holds, and when.

The folder decides the district, the commune and the month of every figure (flows/ingest/paths.py),
so a workbook copied into the wrong folder, or a folder name that is no unit at all, would publish
its figures under a unit or a month they are not about, with nothing to say so. Each check here
turns such a disagreement into a finding on the file; none guesses which of the two is right.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache

from flows.core.text import match_key
from flows.parse.period import Period
from schemas.catalogues import districts, table

REFERENCE_UNITS = "reference/cao_bang_admin_units.csv"


@cache
def known_commune_codes() -> frozenset[str]:
    """Every commune code of the official lists, before 2020, 2020 to 2025 and from July 2025."""
    return frozenset(r["code"] for r in table(REFERENCE_UNITS) if r["level"] == "commune")


def unknown_commune(code: str | None) -> str | None:
    """Why a commune folder's code cannot be taken as a reporting unit, or None."""
    if code is None or code in known_commune_codes():
        return None
    return (f"the folder {code!r} is not a commune code of the official list (schemas/{REFERENCE_UNITS}); its "
            "figures would be published for a unit that does not exist. Put the file in the folder of the "
            "commune's five-digit GSO code, raw/<district>/<code>/<YYYY-MM>/")


def _plain(text: str) -> str:
    """Lower case without diacritics, đ as d, and every run of punctuation or space one space: a title
    typed without its accents ("Thong Nong cu") or with a dash ("Thông Nông - cũ") reads alike."""
    decomposed = unicodedata.normalize("NFD", match_key(text).replace("đ", "d"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", bare))


@cache
def _former_district_patterns() -> dict[str, re.Pattern]:
    """For each former district, its name as a title calls it former: "huyện Thông Nông cũ", "Thông Nông (cũ)"."""
    patterns = {}
    for code, row in districts().items():
        name = _plain(re.sub(r"^huyện\s+|\s*\(cũ\)$", "", row["name_vi"], flags=re.I))
        patterns[code] = re.compile(rf"\b{re.escape(name)} cu\b")
    return patterns


def other_district_in_title(folder_district: str, title_lines: list[str]) -> str | None:
    """The former district the title (or a cover sheet) says the figures are about, when that is not the
    folder's; None when it names the folder's own, or names none as former (most titles: nothing to judge).

    Only a district named as former ("... huyện Thông Nông cũ") counts: after the merger the new Hà Quảng
    district issues every report, so a plain "huyện Hà Quảng" names the issuer, not the figures' district.
    """
    title = _plain(" ".join(title_lines))
    named = {code for code, pattern in _former_district_patterns().items() if pattern.search(title)}
    if not named or folder_district in named:
        return None
    return sorted(named)[0]


def folder_month_contradicted(table_period: Period, month: dt.date | None) -> str | None:
    """Why the month a folder names cannot date the figures, when the table's own title or header states a
    period of another year (a report of 2019 filed under 2024-03/); None when they agree or the table says none."""
    stated = table_period.end
    if stated is None or month is None or stated.year == month.year:
        return None
    if table_period.assumed and month.year < stated.year:  # a month inside the plan period the title names
        return None
    return (f"the folder names {month:%Y-%m}, but the table's title or header says the figures are to "
            f"{stated:%d/%m/%Y} ({table_period.evidence!r}); it was not loaded, as either date could be wrong. "
            "Put the file in the folder of the month it reports, or correct its title")
