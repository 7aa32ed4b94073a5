"""Re-lay the raw/ tables the ways district offices do, to show the same facts come out.

Each variant reads a committed raw workbook with openpyxl (a different reader from the
pipeline's) and writes a new workbook with one change of layout.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter


@dataclass
class Grid:
    """A sheet as plain values and merged areas (1-based, openpyxl style)."""

    name: str
    cells: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col

    @classmethod
    def read(cls, path: Path) -> "Grid":
        sheet = load_workbook(path).worksheets[0]
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells.ranges]
        return cls(sheet.title, cells, merged)

    def write(self, path: Path, cover: list[str] | None = None) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        if cover:
            sheet.title = "Bìa"
            for number, line in enumerate(cover, start=1):
                sheet.cell(number, 2, line)
            sheet = workbook.create_sheet(self.name)
        else:
            sheet.title = self.name
        for r, row in enumerate(self.cells, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(r, c, value)
        for r0, c0, r1, c1 in self.merged:
            sheet.merge_cells(f"{get_column_letter(c0)}{r0}:{get_column_letter(c1)}{r1}")
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(path)
        return path

    def header_row(self) -> int:
        """0-based row of the header (found by this test helper's own simple rule)."""
        return next(i for i, row in enumerate(self.cells) if any(v in ("TT", "STT") for v in row))


def with_title_lines(grid: Grid) -> Grid:
    extra = [["ỦY BAN NHÂN DÂN HUYỆN"], ["Biểu số 01/KTXH"], []]
    shifted = [(r0 + 3, c0, r1 + 3, c1) for r0, c0, r1, c1 in grid.merged]
    return Grid(grid.name, extra + grid.cells, shifted)


def with_blank_column(grid: Grid, at: int = 0) -> Grid:
    cells = [row[:at] + [None] + row[at:] for row in grid.cells]
    merged = [(r0, c0 + (c0 > at), r1, c1 + (c1 > at)) for r0, c0, r1, c1 in grid.merged]
    return Grid(grid.name, cells, merged)


def with_columns_reversed(grid: Grid) -> Grid:
    """Every table column in the opposite order; the title lines above stay as they are.

    Merged header areas are dropped (their text stays in the first cell), as when a clerk
    rebuilds the table by hand.
    """
    width = max(len(r) for r in grid.cells)
    header = grid.header_row()
    table = [list(reversed(row + [None] * (width - len(row)))) for row in grid.cells[header:]]
    titles = [(r0, c0, r1, c1) for r0, c0, r1, c1 in grid.merged if r1 - 1 < header]
    return Grid(grid.name, [list(r) for r in grid.cells[:header]] + table, titles)


def without_merges(grid: Grid) -> Grid:
    return Grid(grid.name, [list(r) for r in grid.cells], [])


_PLAIN_NUMBER = re.compile(r"^\d+(,\d+)?$|^\d{1,3}(\.\d{3})+$")


def with_numeric_cells(grid: Grid) -> Grid:
    """Numbers typed as real number cells, as Excel stores them when typed in a vi-VN locale."""
    def convert(value: object) -> object:
        if isinstance(value, str) and _PLAIN_NUMBER.match(value.strip()):
            number = float(value.strip().replace(".", "").replace(",", "."))
            return int(number) if number.is_integer() else number
        return value

    return Grid(grid.name, [[convert(v) for v in row] for row in grid.cells], grid.merged)


def with_nfd_text(grid: Grid) -> Grid:
    nfd = [[unicodedata.normalize("NFD", v) if isinstance(v, str) else v for v in row] for row in grid.cells]
    return Grid(grid.name, nfd, grid.merged)


def with_unrecognisable_header(grid: Grid) -> Grid:
    """The result column renamed to words no layout knows: must be rejected, not guessed."""
    cells = [list(r) for r in grid.cells]
    for row in cells:
        for i, value in enumerate(row):
            if isinstance(value, str) and ("Thực hiện" in value or value == "Kết quả" or "Ước thực hiện" in value):
                row[i] = "Số liệu năm"
    return Grid(grid.name, cells, grid.merged)


def stacked(top: Grid, below: Grid) -> Grid:
    """A second table pasted under the first on the same sheet, one blank row between, as a clerk
    who keeps two reports on one sheet does: the second keeps its own title, header and columns."""
    gap = len(top.cells) + 1
    merged = top.merged + [(r0 + gap, c0, r1 + gap, c1) for r0, c0, r1, c1 in below.merged]
    return Grid(top.name, [list(r) for r in top.cells] + [[]] + [list(r) for r in below.cells], merged)


def with_header_repeated_midway(grid: Grid) -> Grid:
    """The header rows repeated in the middle of the table, right under a row, as a clerk who pastes the
    table back together from printed pages leaves them (no blank row, no title of their own)."""
    header = grid.header_row()
    data_start = header + 1 + max((r1 - r0 for r0, _, r1, _ in grid.merged if r0 - 1 == header), default=0)
    middle = (data_start + len(grid.cells)) // 2
    repeated = [list(r) for r in grid.cells[header:data_start]]
    cells = [list(r) for r in grid.cells[:middle]] + repeated + [list(r) for r in grid.cells[middle:]]
    shift = len(repeated)
    merged = [(r0 + shift if r0 - 1 >= middle else r0, c0, r1 + shift if r0 - 1 >= middle else r1, c1)
              for r0, c0, r1, c1 in grid.merged]
    merged += [(r0 - header + middle, c0, r1 - header + middle, c1) for r0, c0, r1, c1 in grid.merged
               if header <= r0 - 1 < data_start]
    return Grid(grid.name, cells, merged)
