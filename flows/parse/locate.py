"""Find the indicator table in a sheet by its header words (the layout is data in schemas/)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows.ingest.extract import SheetGrid
from flows.parse.numbers import parse_number
from flows.parse.period import read_period
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
    data_end: int | None = None  # 0-based row where the next table on the sheet begins; None: the sheet's end
    # the header repeated inside the table (as on each printed page): rows that are not the table's rows
    repeated_header_rows: frozenset[int] = frozenset()

    def body_end(self, sheet: SheetGrid) -> int:
        """The row after the table's last row (where the next table's title or header begins)."""
        return len(sheet.rows) if self.data_end is None else min(self.data_end, len(sheet.rows))


@dataclass
class SheetTables:
    """Every indicator table on one sheet, top to bottom, and the header rows below the first that
    could not be trusted (each ends the table above it: its rows are not read with another table's
    columns)."""

    tables: list[TableLocation]
    unrecognised: list[tuple[int, str]] = field(default_factory=list)  # (0-based row, what is wrong)


def locate_table(sheet: SheetGrid, layout: Layout) -> TableLocation | None:
    """The table's header and columns; None when nothing in the sheet looks like a header.

    Raises HeaderError when a row looks like a header but lacks a required column or names
    one role twice: guessing there would load wrong numbers.
    """
    best_partial: tuple[int, dict[str, list[int]], dict[str, str]] | None = None
    last_row = min(MAX_HEADER_SCAN_ROWS, len(sheet.rows))
    for row in range(last_row):
        found = _header_at(sheet, row, layout)
        if isinstance(found, TableLocation):
            found.title_lines = _title_lines(sheet, 0, row)
            return found
        if found is not None and (best_partial is None or len(found[1]) > len(best_partial[1])):
            best_partial = found
    if best_partial is None:
        return None
    raise HeaderError(_explain_partial(*best_partial, layout=layout))


def locate_tables(sheet: SheetGrid, layout: Layout) -> SheetTables:
    """The first table (locate_table, which may raise HeaderError), then every further header below it.

    A clerk who pastes a second table under the first (another year, another commune) repeats the
    header: that row starts a table of its own, read with its own columns and its own title. The same
    header repeated with no title of its own (printed pages pasted together) is skipped and the table
    goes on. A row below that looks like a header but is not a trusted one ends the table above it
    with a finding.
    """
    first = locate_table(sheet, layout)
    if first is None:
        return SheetTables([])
    tables, unrecognised = [first], []
    row = first.data_start
    while row < len(sheet.rows):
        # no number in the row (as in a second header row): cheap, and it rules out almost every indicator row
        found = _header_at(sheet, row, layout, below_a_table=True) if _continues_header(sheet, row) else None
        if found is None:
            row += 1
            continue
        above = tables[-1]
        title_start = _title_start(sheet, above.data_start, row)
        if isinstance(found, TableLocation) and title_start == row and found.columns == above.columns:
            # the same header again, with no title of its own: the table goes on below it
            above.repeated_header_rows |= frozenset(range(row, found.data_start))
            row = found.data_start
            continue
        above.data_end = title_start
        if isinstance(found, TableLocation):
            found.title_lines = _title_lines(sheet, title_start, row)
            tables.append(found)
            row = found.data_start
            continue
        # the rows below belong to that untrusted header: the table above ends, and none is read
        unrecognised.append((row, _explain_partial(*found, layout=layout)))
        break
    return SheetTables(tables, unrecognised)


def _header_at(sheet: SheetGrid, row: int, layout: Layout, below_a_table: bool = False
               ) -> TableLocation | tuple[int, dict[str, list[int]], dict[int, str]] | None:
    """The table whose header starts at this row; a partial header (row, roles, texts) when the row
    looks like one but cannot be trusted; None when it is no header.

    Below a table, a row is only taken for a header when it names the indicator column and two more (one
    more when all its words are column titles): a text-only indicator row ("Tỷ lệ hộ nghèo | Giảm theo kế
    hoạch | Thực hiện tốt") may name a few columns by chance, but its label cell is an indicator's name,
    not "Chỉ tiêu".
    """
    single = _header_texts(sheet, row, with_next=False)
    if sum(1 for t in single if t) < 2:
        return None
    options = [single]
    if _continues_header(sheet, row + 1):
        options.insert(0, _header_texts(sheet, row, with_next=True))
    partial = None
    for texts in options:
        roles = _assign_roles(texts, layout)
        found = set(roles)
        if set(layout.required) <= found and all(len(cols) == 1 for cols in roles.values()):
            if texts is not single and _label_cell_below(sheet, row + 1, roles):
                continue  # the "second header row" holds an indicator: it is data
            columns = {name: cols[0] for name, cols in roles.items()}
            return TableLocation(header_row=row, data_start=row + (1 if texts is single else 2), columns=columns,
                                 headers={name: texts[col] for name, col in columns.items()})
        named = found & {"label", "target", "actual", "reported_pct", "unit"}
        # Below a table: the indicator column and two more named, or one more when every word of the row is
        # a column title (an indicator row has words no header has: its name, a verdict, a remark).
        titles_only = sum(len(cols) for cols in roles.values()) == sum(1 for text in texts if text)
        looks_like_header = ("label" in named and (len(named) >= 3 or len(named) >= 2 and titles_only)) \
            if below_a_table else len(named) >= 2
        if looks_like_header and (partial is None or len(roles) > len(partial[1])):
            partial = (row, roles, dict(enumerate(texts)))
    return partial


def _title_start(sheet: SheetGrid, first_body_row: int, header_row: int) -> int:
    """Where the title block of a table below another begins: the rows of words right above its header
    (a blank row may sit between title and header), set apart from the table above by a blank row. A
    header repeated inside a table (as Excel repeats it on each printed page) has none: a section row
    right above it ("Chỉ tiêu xã hội") stays a row of the table."""
    row = header_row
    while row > first_body_row and _blank(sheet, row - 1):
        row -= 1  # blank rows between the title and the header
    start = row
    while start > first_body_row and _continues_header(sheet, start - 1) and _title_like(sheet, start - 1):
        start -= 1
    set_apart = start == first_body_row or _blank(sheet, start - 1)
    # or a title that says its own period ("... đến hết năm 2020") pasted right under the table above
    dated = read_period([" ".join(_title_lines(sheet, start, row))]).end is not None
    return start if start < row and (set_apart or dated) else header_row


def _blank(sheet: SheetGrid, row: int) -> bool:
    return not any(c not in (None, "") for c in sheet.rows[row])


def _title_like(sheet: SheetGrid, row: int) -> bool:
    """A title line holds its words in one cell or one merged area (a data row fills several columns)."""
    return sum(1 for c in sheet.rows[row] if c not in (None, "")) == 1


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


def _title_lines(sheet: SheetGrid, first_row: int, header_row: int) -> list[str]:
    lines = []
    for row in range(first_row, header_row):
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
