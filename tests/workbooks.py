"""A clerk's annual target table written as a workbook (a title row, the standard header, the rows),
for tests that read one through the loader."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HEADER = ["TT", "Chỉ tiêu", "Đơn vị tính", "Mục tiêu", "Kết quả", "% so với mục tiêu"]


def write_annual_table(path: Path, rows: list[list[object]], sheet_title: str = "Biểu 01",
                       merged_title: bool = False, changes: dict[tuple[int, str], object] | None = None) -> Path:
    """The table at `path`; `changes` sets cells by (row, column letter) after it is written, a text
    starting with "=" typed as text (as a clerk's "'=A1+1"), not as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append(["Ước thực hiện đến hết năm 2020"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if merged_title:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    for (row, column), value in (changes or {}).items():
        sheet[f"{column}{row}"] = value
        if isinstance(value, str) and value.startswith("="):
            sheet[f"{column}{row}"].data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
