"""What a workbook's place under raw/ says: district, reporting unit and reporting month.

    raw/<district>/<file>.xlsx                          a district table (unit: the district)
    raw/<district>/<commune GSO code>/<YYYY-MM>/<file>  a commune's monthly report

Thousands of workbooks with the same layout are then distinct facts, not conflicts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

_COMMUNE_CODE = re.compile(r"^\d{5}$")  # GSO commune codes have five digits
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ReportingPath:
    reporting_unit: str | None  # a commune code, or None for the district itself
    period_end: dt.date | None  # end of the month the folder names, or None


def reporting_path(source_file: str) -> ReportingPath:
    folders = PurePosixPath(source_file).parts[1:-1]
    unit = next((f for f in folders if _COMMUNE_CODE.match(f)), None)
    month = next((m for f in folders if (m := _MONTH.match(f))), None)
    period = None
    if month:
        year, number = int(month.group(1)), int(month.group(2))
        period = dt.date(year, number, calendar.monthrange(year, number)[1])
    return ReportingPath(unit, period)
