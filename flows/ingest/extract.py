"""Read a workbook's cells, keeping text as text and numbers as numbers (python-calamine)."""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass, field

import python_calamine

from flows.core.text import clean_text

Cell = str | float | int | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


@dataclass(frozen=True)
class ExcelPercent:
    """A number cell Excel shows as a percentage: a clerk who types 49% gets 0.49 stored with the format
    "0%". Its figure is the percentage Excel shows (49); the stored number and the format stay for the
    finding that says so. A type of its own, not a float: nothing may read it as the bare 0.49."""

    stored: float
    format_code: str

    @property
    def percent(self) -> float:
        return round(self.stored * 100, 10)  # 0.49 * 100 is 49.00000000000001 in binary

    def __str__(self) -> str:
        shown = self.percent
        return f"{int(shown) if shown == int(shown) else shown}%"


def show_percent_formats(sheet: "SheetGrid", percent_cells: dict[tuple[int, int], str]) -> list[tuple[int, int]]:
    """Put the percentage Excel shows in place of each number the guard found percent-formatted; the
    cells changed, in sheet order."""
    changed = []
    for (row, col), format_code in sorted(percent_cells.items()):
        value = sheet.cell(row, col)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            sheet.rows[row][col] = ExcelPercent(float(value), format_code)
            changed.append((row, col))
    return changed


class WorkbookError(Exception):
    """A workbook that cannot be read at all; the message says what to do."""


@dataclass
class SheetGrid:
    """One sheet as a rectangle of cells from A1, with merged areas filled for header reading."""

    name: str
    rows: list[list[Cell]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden: bool = False
    position: int = 0  # its place in the workbook's list of sheets: the key of the guard's facts about it
    _anchor_rows: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict, init=False, repr=False,
                                                                 compare=False)

    def cell(self, row: int, col: int) -> Cell:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def text(self, row: int, col: int) -> str:
        """Cell as cleaned text ("" when empty), for matching header and title words."""
        value = self.cell(row, col)
        if value is None or value == "":
            return ""
        return clean_text(str(value))

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def filled_text(self, row: int, col: int) -> str:
        """Text of a cell, or of the merged area's top-left cell when the cell is inside one (the
        first such area in the sheet's list, when areas overlap)."""
        anchors = self._merged_anchors(row)
        anchor = anchors[col] if 0 <= col < len(anchors) else None
        return self.text(*anchor) if anchor is not None else self.text(row, col)

    def _merged_anchors(self, row: int) -> list[tuple[int, int] | None]:
        """For each column of the grid, the top-left cell of the merged area covering (row, column).

        Built once per row asked, walking the merged areas once and clamped to the grid's width:
        header matching asks for every cell of the first rows, and a sheet may hold thousands of
        merged areas (10,000 cost 17 s a sheet when every lookup walked them all). The areas are
        laid in reverse order, so that where they overlap the first one listed wins, as it did.
        """
        anchors = self._anchor_rows.get(row)
        if anchors is None:
            width = self.width
            anchors = [None] * width
            for (r0, c0), (r1, c1) in reversed(self.merged):
                if r0 <= row <= r1 and c0 < width and c1 >= 0:
                    start, stop = max(c0, 0), min(c1, width - 1) + 1
                    anchors[start:stop] = [(r0, c0)] * (stop - start)
            self._anchor_rows[row] = anchors
        return anchors


def read_workbook(content: bytes) -> list[SheetGrid]:
    """Every worksheet of an .xlsx file's bytes as a grid of typed cells.

    Reads the very bytes that were hashed and checked (flows/ingest/guard.py), not the path again,
    so a file replaced meanwhile cannot slip past the checks.
    """
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except python_calamine.PasswordError as exc:
        raise WorkbookError("the workbook is password-protected: send it without a password") from exc
    except Exception as exc:  # calamine raises its own and zip/xml errors; all mean "unreadable"
        raise WorkbookError(f"not a readable .xlsx workbook ({exc}); re-save it from Excel as .xlsx") from exc
    except BaseException as exc:
        _raise_if_not_a_reader_panic(exc)
        raise WorkbookError(f"the reader broke on this workbook ({exc}); re-save it from Excel as .xlsx") from exc
    grids = []
    try:
        for position, meta in enumerate(workbook.sheets_metadata):
            if str(meta.typ) != str(python_calamine.SheetTypeEnum.WorkSheet):
                continue
            # by position, as the guard keys its facts: two sheets of one name are two sheets
            sheet = workbook.get_sheet_by_index(position)
            rows = [[_cell(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
            merged = [tuple(map(tuple, r)) for r in (sheet.merged_cell_ranges or [])]
            hidden = str(meta.visible) != str(python_calamine.SheetVisibleEnum.Visible)
            grids.append(SheetGrid(meta.name, rows, merged, hidden, position))
    except Exception as exc:
        raise WorkbookError(f"a sheet could not be read ({exc}); re-save the workbook from Excel") from exc
    except BaseException as exc:
        _raise_if_not_a_reader_panic(exc)
        raise WorkbookError(f"the reader broke on a sheet ({exc}); re-save the workbook from Excel") from exc
    finally:
        workbook.close()
    return grids


def _raise_if_not_a_reader_panic(exc: BaseException) -> None:
    """A Rust panic inside python-calamine reaches Python as pyo3's PanicException, which derives
    from BaseException so that `except Exception` lets it through and it ends the whole load.
    flows/ingest/guard.py rejects the sheets known to cause one; any other is one bad workbook, reported
    as such. Everything else that is not an Exception (KeyboardInterrupt, SystemExit) goes on."""
    if type(exc).__name__ != "PanicException":
        raise exc


def _cell(value: Cell) -> Cell:
    """Empty strings become None so that "empty" has one spelling downstream."""
    return None if value == "" else value
