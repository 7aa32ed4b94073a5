"""Find the indicator table in a sheet by its header words (the layout is data in schemas/)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.ingest.extract import SheetGrid
from flows.parse.numbers import parse_number
from flows.core.text import column_letter, match_key
from schemas.catalogues import Layout

MAX_HEADER_SCAN_ROWS = 40  # title blocks are a few lines; a header below row 40 is not a header


class HeaderError(Exception):
    """The sheet has something like a header, but not one the loader can trust."""


@dataclass
class TableLocation:
    header_row: int  # 0-based first header row
    data_start: int  # 0-based first row below the header
    columns: dict[str, int]  # role name -> 0-based column
    headers: dict[str, str]  # role name -> header words as printed (both header rows)
    title_lines: list[str] = field(default_factory=list)


def locate_table(sheet: SheetGrid, layout: Layout) -> TableLocation | None:
    """The table's header and columns; None when nothing in the sheet looks like a header.

    Raises HeaderError when a row looks like a header but lacks a required column or names
    one role twice: guessing there would load wrong numbers.
    """
    best_partial: tuple[int, dict[str, list[int]], dict[str, str]] | None = None
    last_row = min(MAX_HEADER_SCAN_ROWS, len(sheet.rows))
    for row in range(last_row):
        single = _header_texts(sheet, row, with_next=False)
        if sum(1 for t in single if t) < 2:
            continue
        options = [single]
        if _continues_header(sheet, row + 1):
            options.insert(0, _header_texts(sheet, row, with_next=True))
        for texts in options:
            roles = _assign_roles(texts, layout)
            found = {name for name in roles}
            if set(layout.required) <= found and all(len(cols) == 1 for cols in roles.values()):
                if texts is not single and _label_cell_below(sheet, row + 1, roles):
                    continue  # the "second header row" holds an indicator: it is data
                columns = {name: cols[0] for name, cols in roles.items()}
                return TableLocation(
                    header_row=row,
                    data_start=row + (1 if texts is single else 2),
                    columns=columns,
                    headers={name: texts[col] for name, col in columns.items()},
                    title_lines=_title_lines(sheet, row),
                )
            if len(found & {"label", "target", "actual", "reported_pct", "unit"}) >= 2:
                if best_partial is None or len(roles) > len(best_partial[1]):
                    best_partial = (row, roles, dict(enumerate(texts)))  # type: ignore[arg-type]
    if best_partial is None:
        return None
    raise HeaderError(_explain_partial(*best_partial, layout=layout))


def _header_texts(sheet: SheetGrid, row: int, with_next: bool) -> list[str]:
    """Each column's header words; with_next adds the second header row below a merged group."""
    texts = []
    for col in range(sheet.width):
        top = sheet.filled_text(row, col)
        below = sheet.filled_text(row + 1, col) if with_next else ""
        texts.append(top if below in ("", top) else f"{top} {below}".strip())
    return texts


def _continues_header(sheet: SheetGrid, row: int) -> bool:
    """A second header row holds only words: no number cell, no bare number (data rows do)."""
    if row >= len(sheet.rows):
        return False
    cells = [c for c in sheet.rows[row] if c is not None]
    if not cells:
        return False
    for cell in cells:
        if isinstance(cell, (int, float)) or parse_number(str(cell)) is not None:
            return False
    return True


def _label_cell_below(sheet: SheetGrid, row: int, roles: dict[str, list[int]]) -> bool:
    """True when the row under the header has its own text in the label column (so it is data)."""
    col = roles["label"][0]
    return bool(sheet.text(row, col)) and sheet.filled_text(row, col) != sheet.filled_text(row - 1, col)


def _assign_roles(texts: list[str], layout: Layout) -> dict[str, list[int]]:
    roles: dict[str, list[int]] = {}
    for col, text in enumerate(texts):
        key = match_key(text)
        if not key:
            continue
        for role in layout.roles:
            if role.matches(key):
                roles.setdefault(role.name, []).append(col)
                break
    return roles


def _title_lines(sheet: SheetGrid, header_row: int) -> list[str]:
    lines = []
    for row in range(header_row):
        words = [sheet.text(row, col) for col in range(sheet.width)]
        line = " ".join(w for w in words if w)
        if line:
            lines.append(line)
    return lines


def _explain_partial(row: int, roles: dict[str, list[int]], texts: dict[int, str], layout: Layout) -> str:
    problems = []
    for name in layout.required:
        if name not in roles:
            problems.append(f"no column for {layout.role(name).title!r}")
    for name, cols in roles.items():
        if len(cols) > 1:
            where = ", ".join(f"{column_letter(c)} ({texts[c]!r})" for c in cols)
            problems.append(f"{layout.role(name).title!r} matches several columns: {where}")
    found = ", ".join(f"{column_letter(cols[0])}={layout.role(n).title!r}" for n, cols in roles.items())
    return (
        f"row {row + 1} looks like the table header ({found}) but {'; '.join(problems)}. "
        "Use the standard column titles (TT, Chỉ tiêu, Đơn vị tính, Mục tiêu, Thực hiện, Tỷ lệ %)."
    )
