"""What a workbook's place under raw/ says: district, reporting unit and reporting month.

    raw/<district>/<file>.xlsx                          a district table (unit: the district)
    raw/<district>/<commune GSO code>/<YYYY-MM>/<file>  a commune's monthly report

Thousands of workbooks with the same layout are then distinct facts, not conflicts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath

from schemas.catalogues import districts

_COMMUNE_CODE = re.compile(r"^[0-9]{5}$")  # GSO commune codes have five (ASCII) digits
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ReportingPath:
    reporting_unit: str | None  # a commune code, or None for the district itself
    period_end: dt.date | None  # end of the month the folder names, or None
    # why the folders cannot place the file (two commune codes, two months): it is then not read
    ambiguous: str | None = None


def reporting_path(source_file: str) -> ReportingPath:
    folders = PurePosixPath(source_file).parts[1:-1]
    units = [f for f in folders if _COMMUNE_CODE.match(f)]
    months = [m for f in folders if (m := _MONTH.match(f))]
    period = None
    if months:
        year, number = int(months[0].group(1)), int(months[0].group(2))
        period = dt.date(year, number, calendar.monthrange(year, number)[1])
    ambiguous = None
    if len(units) > 1 or len(months) > 1:
        named = ", ".join([*units, *(m.group(0) for m in months)])
        ambiguous = (f"its folders name more than one commune or month ({named}); whose figures and when is "
                     "not certain. Put it in raw/<district>/<commune code>/<YYYY-MM>/, one of each")
    return ReportingPath(units[0] if units else None, period, ambiguous)


def source_name(relative: PurePath) -> tuple[str, bool]:
    """The file's path under raw/ as the warehouse stores it, and whether the name is valid UTF-8.

    A name whose bytes are not UTF-8 (copied from an old share in a legacy code page) cannot be
    stored as text as it is; its undecodable bytes are shown as \\xNN escapes, so the finding
    about it still names the file a person can find.
    """
    text = relative.as_posix()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # it may then read like another file's name: see fingerprint_files
        return os.fsencode(text).decode("utf-8", "backslashreplace"), False
    return text, True


def district_of(relative: PurePath) -> str | None:
    """The former district whose folder holds the file, or None when it sits outside one."""
    return relative.parts[0] if len(relative.parts) > 1 and relative.parts[0] in districts() else None
