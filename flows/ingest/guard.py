"""Inspect a workbook's bytes before any spreadsheet reader sees them.

python-calamine aborts the whole process (no exception) on a sheet with a cell at XFD1048576,
whether the XML says so with r="XFD1048576" or by position alone (cells and rows may carry no
r attribute), fills the whole rectangle from A1 to the farthest cell in memory, and reserves
memory for whatever string count the workbook declares; every reader inflates a zip bomb. So
the container is checked first, with the standard zipfile module, defusedxml for the
workbook's small index parts (no DTDs, no entities) and one pass of a streaming tokenizer
(expat) over each sheet's XML that places cells the way calamine does, within fixed limits.
What the pass learns on the way (formula cells without a cached value, error cells, hidden
rows) is kept for the row parser. The text calamine keeps is bounded too: no cell may hold more
than Excel itself can (32,767 characters), and the sheet and shared-string parts together are a
few MB at most, so no accepted file makes the reader hold hundreds of MB of text.
"""

from __future__ import annotations

import functools
import io
import posixpath
import pyexpat
import re
import zipfile
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from flows.core.checks import check
from flows.core.text import column_letter

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # real worksheets compress 5-20x; bombs compress 1000x
MAX_ZIP_ENTRIES = 2000
# A district workbook has a few sheets; the reader's time grows with the square of their number
# (20,000 empty sheet entries took 2 s, 100,000 took 80 s), and an empty sheet costs no cells.
MAX_SHEETS = 250
MAX_ROWS = 50_000  # an indicator table has tens of rows; a district workbook a few thousand
MAX_COLUMNS = 500
# python-calamine fills the whole rectangle from A1 to the farthest cell, and read_workbook
# keeps it as Python lists, so the area, summed over a workbook's sheets, is what bounds memory.
# Measured through process_workbook, the area filled with distinct texts costs about 220 bytes
# a cell at the peak (500,000 cells: 110 MB); 300,000 keeps the worst accepted workbook near
# 65 MB (tests/unit/ingest/test_guard_extent.py). A district workbook of 5,000 rows by 20 columns is a third.
MAX_CELLS = 300_000
MAX_MERGED_AREAS = 10_000  # an indicator table has a few; more is a file built to cost time
MAX_CELL_CHARACTERS = 32_767  # Excel never stores more in one cell (inline or shared string)
# Every byte of the sheet parts and the shared-string part becomes cells python-calamine holds in
# memory. The committed district workbooks need 17 KB; a 5,000 x 20 district sheet of distinct
# texts about 5 MB; the densest sheet MAX_CELLS allows (300,000 short distinct texts, see
# tests/unit/ingest/test_guard_extent.py) about 16 MB. 24 MB over the whole workbook keeps that accepted and
# keeps a string bomb (250 MB of text in one cell) far away from the reader.
MAX_CELL_PART_BYTES = 24 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx
ZIP_MAGIC = b"PK\x03\x04"


class UnsafeWorkbook(Exception):
    """A file no reader should open; check_name (a registered check) says which kind, the message what to do."""

    def __init__(self, check_name: str, message: str):
        super().__init__(message)
        self.check_name = check(check_name).name


@dataclass
class SheetFacts:
    """What the XML says that the cell reader does not: 0-based (row, column) positions."""

    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)
    # Cells saved as an Excel error (t="e": a formula Excel could not compute) and the error's
    # text ("#DIV/0!"); python-calamine reads them as empty.
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    # Number cells Excel shows as a percentage (a clerk typed "49%": Excel stores 0.49 with the format
    # "0%"), and that format; python-calamine gives the stored number alone.
    percent_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    # Number cells whose format shows another figure than the one stored (scaled, with text around it, or
    # hidden), and that format: flagged on their row, never read as shown (flows/parse/workbook.py).
    shown_otherwise: dict[tuple[int, int], str] = field(default_factory=dict)


def inspect_workbook(content: bytes) -> dict[int, SheetFacts]:
    """Raise UnsafeWorkbook for a file that must not be read; else facts per sheet, by its position in the
    workbook's list of sheets (the reader reads them by position too: a name two parsers may read
    differently, such as one holding a tab, never decides which facts belong to which sheet)."""
    if len(content) > MAX_FILE_BYTES:
        raise UnsafeWorkbook("file_too_large", f"the file is {len(content) // 2**20} MB; a district workbook is "
                             f"far below the {MAX_FILE_BYTES // 2**20} MB limit. Send the indicator table alone")
    if content.startswith(OLE_MAGIC):
        raise UnsafeWorkbook("legacy_or_encrypted", "this is an old-format .xls file or a password-protected "
                             "workbook; open it in Excel, remove any password and save as .xlsx (Excel Workbook)")
    if not content.startswith(ZIP_MAGIC):
        raise UnsafeWorkbook("not_a_workbook", "the file is not an .xlsx workbook (an .xlsx is a zip archive); "
                             "save it from Excel as .xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise UnsafeWorkbook("damaged_workbook", f"the workbook is damaged or incomplete ({exc}): it may still "
                             "have been copying; send it again") from None
    _check_container(entries)
    try:
        sheets = _sheet_parts(archive)
        shared_strings = [e for e in archive.infolist() if _part_key(e.filename) == "xl/sharedstrings.xml"]
        _check_cell_part_sizes([part for _, parts in sheets for part in parts] + shared_strings)
        for entry in shared_strings:  # calamine finds the part by this name, ignoring case and slash direction
            _check_shared_strings(archive, entry)
        number_styles = _number_styles(archive)
        facts: dict[int, SheetFacts] = {}
        budget = MAX_CELLS
        for position, (_name, parts) in enumerate(sheets):
            for part in parts:
                sheet_facts, area = _scan_sheet(archive, part, budget, number_styles)
                facts.setdefault(position, sheet_facts)
                budget -= area
        return facts
    except DefusedXmlException as exc:
        raise UnsafeWorkbook("xml_entities", f"the workbook's XML declares entities or a DTD ({type(exc).__name__}), "
                             "which Excel never writes; it is not read. Re-save it from Excel") from None
    except (zipfile.BadZipFile, EOFError, KeyError, SyntaxError, ValueError) as exc:
        raise UnsafeWorkbook("damaged_workbook", f"the workbook's contents are damaged ({exc}); re-save it from "
                             "Excel and send it again") from None


# Parts of an OpenDocument spreadsheet: beside a workbook's, a reader that refuses the one may read
# the other (python-calamine falls back to ODS), which the guard never judged.
_OTHER_FORMAT_PARTS = ("content.xml", "mimetype", "meta-inf/manifest.xml")


def _check_container(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UnsafeWorkbook("zip_bomb", f"the workbook holds {len(entries)} parts; it is not read")
    names = [_part_key(e.filename) for e in entries]
    if other := [name for name in names if name in _OTHER_FORMAT_PARTS]:
        raise UnsafeWorkbook("damaged_workbook", f"the file is an .xlsx workbook and also holds the parts of an "
                             f"OpenDocument spreadsheet ({', '.join(other)}); which one a reader takes is not "
                             "certain, so it is not read. Save it from Excel as .xlsx")
    if len(set(names)) < len(names):
        twin = next(e.filename for e, name in zip(entries, names) if names.count(name) > 1)
        raise UnsafeWorkbook("damaged_workbook", f"the workbook holds two parts named {twin!r} (Excel never writes "
                             "that; readers would pick one at random); re-save it from Excel and send it again")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnsafeWorkbook("zip_bomb", f"the workbook would expand to {total // 2**20} MB; it is not read")
    for entry in entries:
        if entry.compress_size and entry.file_size / entry.compress_size > MAX_COMPRESSION_RATIO \
                and entry.file_size > 1024 * 1024:
            raise UnsafeWorkbook("zip_bomb", f"part {entry.filename} expands {entry.file_size // entry.compress_size}"
                                 " times; that is a zip bomb, not a spreadsheet. It is not read")


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, list[zipfile.ZipInfo]]]:
    """Each sheet's name, and every zip entry python-calamine might read for it.

    calamine resolves a sheet's relationship its own way: the Target as written (not unescaped,
    ".." kept), "xl/" put in front, part names matched ignoring case and slash direction, any
    <Relationship> element at any depth. Rather than imitate one reading, the guard takes every
    entry any of them could pick, so that the part it judges is never another than the one read.
    """
    relations_xml = archive.read("xl/_rels/workbook.xml.rels")
    if b"&" in relations_xml:  # an escaped Target reads differently here and in calamine
        raise UnsafeWorkbook("damaged_workbook", "the workbook's list of parts uses escaped characters, which "
                             "Excel never writes; re-save it from Excel and send it again")
    workbook = fromstring(archive.read("xl/workbook.xml"))
    targets: dict[str, list[str]] = {}
    for rel in fromstring(relations_xml).iter():
        if _local(rel.tag) == "Relationship":
            targets.setdefault(rel.get("Id"), []).append(rel.get("Target") or "")
    entries: dict[str, list[zipfile.ZipInfo]] = {}
    for entry in archive.infolist():
        entries.setdefault(_part_key(entry.filename), []).append(entry)
    sheets = []
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        if len(sheets) == MAX_SHEETS:
            raise UnsafeWorkbook("sheet_too_large", f"the workbook lists more than {MAX_SHEETS} sheets; a district "
                                 "workbook has a few. Send the indicator table alone")
        ids = [v for k, v in element.attrib.items() if _local(k) == "id"]
        if len(ids) != 1:  # parsers differ on which of two they follow; Excel writes exactly one (r:id)
            raise UnsafeWorkbook("damaged_workbook", f"a sheet of the workbook names {len(ids)} parts (id "
                                 "attributes) where Excel writes one; re-save it from Excel and send it again")
        name = element.get("name") or ""
        if not name or _CONTROL.search(name):
            raise UnsafeWorkbook("damaged_workbook", f"a sheet name ({name!r}) is empty or holds control characters "
                                 "(tab, line break), which Excel never writes; rename the sheet in Excel and save again")
        rel_id = ids[0]
        parts = []
        for target in targets.get(rel_id, []):
            as_calamine = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") \
                else "xl/" + target
            as_written = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            for path in (as_calamine, posixpath.normpath(as_written)):
                parts.extend(e for e in entries.get(_part_key(path), []) if e not in parts)
        sheets.append((element.get("name"), parts))
    return sheets


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _part_key(name: str) -> str:
    """A zip part's name as calamine matches it: either slash, any case."""
    return name.replace("\\", "/").lower()


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# A reference as python-calamine parses it: letters of either case, then ASCII digits. Anything
# else makes calamine fail with an error (not a crash), so it is left for the reader to report.
_REF = re.compile(r"([A-Za-z]*)([0-9]+)")


# Excel's built-in number formats that show a percentage: 9 "0%", 10 "0.00%".
_BUILT_IN_PERCENT = {9: "0%", 10: "0.00%"}
# What a format code may hold besides its symbols: quoted text, an escaped character, [colour] or [condition].
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
MAX_STYLES_BYTES = 4 * 1024 * 1024  # Excel's styles part of a district workbook is a few KB


# A number format that makes Excel show another figure than the one stored: a scale (a comma after the
# last digit placeholder divides by 1,000: "#,##0," shows 934000 as 934), text around the number ('"> "0'
# shows 95 as "> 95"), or nothing at all (";;;").
_SCALED = re.compile(r"[0#?],+(?![0#?,])")
_LITERAL_TEXT = re.compile(r'"[^"]*\S[^"]*"|\\\S')


def format_kind(code: str) -> str | None:
    """percent, scaled, literal or hidden: how a number format changes what Excel shows; None when it shows
    the stored number (grouping, decimals, colours). A %, comma or text inside quotes, after a backslash or
    in brackets is text, not an instruction."""
    sections = code.split(";")
    plain = [_FORMAT_LITERALS.sub("", section) for section in sections]
    if len(sections) > 1 and not any(part.strip() for part in plain[:3]) and not _LITERAL_TEXT.search(code):
        return "hidden"
    if "%" in plain[0]:
        return "percent"
    if _SCALED.search(plain[0]):
        return "scaled"
    if _LITERAL_TEXT.search(sections[0]):
        return "literal"
    return None


def _number_styles(archive: zipfile.ZipFile) -> dict[int, tuple[str, str]]:
    """The cell styles (index into cellXfs, a cell's s attribute) whose number format changes what Excel
    shows, with how (format_kind) and the format's code."""
    parts = [e for e in archive.infolist() if _part_key(e.filename) == "xl/styles.xml"]
    if not parts:
        return {}
    if parts[0].file_size > MAX_STYLES_BYTES:
        raise UnsafeWorkbook("damaged_workbook", f"the workbook's styles part is {parts[0].file_size // 2**20} MB, "
                             "far beyond what Excel writes; re-save it from Excel and send it again")
    styles = fromstring(archive.read(parts[0]))
    codes = {format_id: ("percent", code) for format_id, code in _BUILT_IN_PERCENT.items()}
    for element in styles.iter():
        if _local(element.tag) == "numFmt":
            code = element.get("formatCode") or ""
            kind = format_kind(code)
            if kind is not None:
                codes[int(element.get("numFmtId") or -1)] = (kind, code)
    found: dict[int, tuple[str, str]] = {}
    for cell_xfs in (e for e in styles.iter() if _local(e.tag) == "cellXfs"):
        for index, xf in enumerate(x for x in cell_xfs if _local(x.tag) == "xf"):
            format_id = int(xf.get("numFmtId") or 0)
            if format_id in codes:
                found[index] = codes[format_id]
    return found


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int,
                number_styles: dict[int, tuple[str, str]] | None = None) -> tuple[SheetFacts, int]:
    """Facts of one sheet and the area of the rectangle from A1 that the cell reader will fill."""
    with archive.open(info) as stream:
        xml = stream.read(info.file_size + 1)
    if len(xml) > info.file_size:
        raise UnsafeWorkbook("zip_bomb", "a part of the workbook inflates past its declared size; it is not read")
    if _DTD.search(xml):
        raise UnsafeWorkbook("xml_entities", "the workbook's XML declares entities or a DTD, which Excel never "
                             "writes; it is not read. Re-save it from Excel")
    return _walk_sheet(xml, budget, number_styles or {})


def _walk_sheet(xml: bytes, budget: int,
                number_styles: dict[int, tuple[str, str]] | None = None) -> tuple[SheetFacts, int]:
    """Follow a sheet's XML the way python-calamine places cells, with a streaming tokenizer (expat).

    A cell's position is its r attribute if it has one, else one column right of the previous
    cell; a row's is its r, else one below the previous row (the format allows both). Names are
    compared without their namespace prefix (calamine accepts <x:row>); quoting, spacing and
    attribute order are the tokenizer's business. Only cells with content (a value, formula or
    inline string) count towards the extent: calamine skips empty ones. A cell beyond the limits
    raises UnsafeWorkbook as soon as it is met. budget is what the workbook's earlier sheets left
    of MAX_CELLS. Returns the facts and the area from A1 to the farthest cell.

    Closures over local state rather than methods: expat calls back twice per element, and
    this is the guard's whole cost (about 1 microsecond an element).
    """
    facts = SheetFacts()
    number_styles = number_styles or {}
    number_format = None  # the open cell's (kind, code), when it is a number cell whose format changes what Excel shows
    row = col = 0  # where the next row / cell without r goes (0-based), as calamine counts
    last_row = last_col = -1  # the deepest and the widest cell with content
    cell = None  # the open cell's (row, column)
    has_content = has_formula = has_value = is_error = False
    values = 0  # <v> elements in the open cell
    characters = 0  # of the open cell's value or inline string, counted without building it
    error_text: list[str] = []  # the open error cell's <v> text (at most MAX_CELL_CHARACTERS)
    merged_areas = 0
    # Where each cell with content sits (row * MAX_COLUMNS + column): Excel writes a cell once; one written
    # twice is read by one reader as the first and by another as the second, so neither may be trusted.
    filled: set[int] = set()
    parser = pyexpat.ParserCreate()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, cell, has_content, has_formula, has_value, is_error, characters, merged_areas, number_format
        nonlocal values
        if ":" in name:
            name = name.rpartition(":")[2]
        if cell is not None:  # inside a cell: a value, a formula or an inline string
            has_content = True
            if name == "f":
                has_formula = True
            elif name == "v":
                values += 1
                if values > 1:  # a second value in one cell: readers keep one or the other
                    raise UnsafeWorkbook("damaged_workbook", f"the cell {_name(*cell)} holds two values in the "
                                         "sheet's XML (Excel writes one; readers keep one or the other, so neither "
                                         "figure can be trusted); re-save the workbook from Excel and send it again")
                parser.CharacterDataHandler = value_text
            elif name == "t":  # an inline string's text, or one of its rich-text runs
                parser.CharacterDataHandler = count_text
        elif name == "c":
            ref = attrs.get("r")
            position = _position(ref) if ref is not None else None
            if position is None or position[1] is None:
                cell = (row, col)
            else:
                cell = position
                col = position[1]
            has_content = has_formula = has_value = False
            is_error, characters, values = attrs.get("t") == "e", 0, 0
            error_text.clear()
            style = attrs.get("s")
            number_format = (number_styles.get(int(style)) if style and style.isdigit()
                             and attrs.get("t", "n") == "n" else None)
        elif name == "row":
            ref = attrs.get("r")
            position = _position(ref) if ref is not None else None
            if position is not None:
                row = position[0]
            if attrs.get("hidden") in ("1", "true"):
                facts.hidden_rows.add(row)
        elif name == "dimension":
            for ref in (attrs.get("ref") or "").split(":"):  # calamine ignores it; Excel never exceeds the cells
                position = _position(ref)
                if position is not None and (position[0] >= MAX_ROWS or (position[1] or 0) >= MAX_COLUMNS):
                    raise UnsafeWorkbook("sheet_too_large", f"the sheet declares its size as {ref}, beyond "
                                         f"{MAX_ROWS} rows or {MAX_COLUMNS} columns (readers crash on such sheets); "
                                         "clear the far cells, re-save and send it again")
        elif name == "mergeCell":
            merged_areas += 1
            if merged_areas > MAX_MERGED_AREAS:
                raise UnsafeWorkbook("sheet_too_large", f"a sheet has more than {MAX_MERGED_AREAS:,} merged areas "
                                     "(an indicator table has a few); unmerge the cells outside the table, "
                                     "re-save and send it again")

    def end(name: str) -> None:
        nonlocal row, col, cell, last_row, last_col
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            if cell is None:
                return
            cell_row, cell_col = cell
            cell, col = None, cell_col + 1
            if not has_content:
                return
            if cell_row < MAX_ROWS and cell_col < MAX_COLUMNS:  # beyond: refused below, for its reach
                place = cell_row * MAX_COLUMNS + cell_col
                if place in filled:
                    raise UnsafeWorkbook("damaged_workbook", f"the cell {_name(cell_row, cell_col)} is written twice "
                                         "in the sheet's XML (Excel writes each cell once; readers keep one or the "
                                         "other, so neither figure can be trusted); re-save the workbook from Excel "
                                         "and send it again")
                filled.add(place)
            if has_formula and not has_value:
                facts.formulas_without_value.add((cell_row, cell_col))
            if is_error and has_value:
                facts.error_cells[(cell_row, cell_col)] = "".join(error_text).strip()
            if number_format is not None and has_value:
                kind, code = number_format
                (facts.percent_cells if kind == "percent" else facts.shown_otherwise)[(cell_row, cell_col)] = code
            if cell_row > last_row or cell_col > last_col:
                last_row, last_col = max(cell_row, last_row), max(cell_col, last_col)
                _check_reach(cell_row, cell_col, last_row, last_col, budget)
        elif name in ("v", "t"):
            parser.CharacterDataHandler = None
        elif name == "row":
            row, col = row + 1, 0

    def count_text(text: str) -> None:
        nonlocal characters
        characters += len(text)
        if characters > MAX_CELL_CHARACTERS:
            raise UnsafeWorkbook("cell_too_long", f"the cell {_name(*cell)} holds more than {MAX_CELL_CHARACTERS:,} "
                                 "characters, more than Excel can store in a cell; the file was not made by Excel. "
                                 "Re-save it from Excel and send it again")

    def value_text(text: str) -> None:
        nonlocal has_value
        has_value = True
        count_text(text)
        if is_error:
            error_text.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    try:
        parser.Parse(xml, True)
    except pyexpat.ExpatError as exc:
        raise UnsafeWorkbook("damaged_workbook", f"a sheet's XML is damaged ({exc}); re-save the workbook "
                             "from Excel and send it again") from None
    return facts, (last_row + 1) * (last_col + 1)


def _check_reach(row: int, col: int, last_row: int, last_col: int, budget: int) -> None:
    """Refuse a sheet whose farthest cells make calamine's rectangle from A1 too large."""
    if last_row >= MAX_ROWS or last_col >= MAX_COLUMNS:
        raise UnsafeWorkbook("sheet_too_large", f"a cell sits at {_name(row, col)}, beyond {MAX_ROWS} rows or "
                             f"{MAX_COLUMNS} columns (readers crash on such sheets); clear the far cells, "
                             "re-save and send it again")
    area = (last_row + 1) * (last_col + 1)
    if area > budget:
        raise UnsafeWorkbook("sheet_too_large", f"a cell sits at {_name(row, col)}: the reader would hold "
                             f"{area:,} cells from A1 to there ({MAX_CELLS - budget:,} more in the sheets before "
                             f"it), more than the {MAX_CELLS:,} allowed in a workbook; delete the rows and "
                             "columns outside the indicator table, re-save and send it again")


def _refuse_dtd(*_args) -> None:
    raise UnsafeWorkbook("xml_entities", "the workbook's XML declares entities or a DTD, which Excel never "
                         "writes; it is not read. Re-save it from Excel")


@functools.lru_cache(maxsize=1 << 14)  # the same few hundred references recur in every workbook
def _position(ref: str) -> tuple[int, int | None] | None:
    """0-based (row, column) of a reference such as "B7" or "7" (column None); None if calamine
    would refuse it (it then reports an error of its own). The limits are checked where a cell
    with content lands, since calamine skips empty cells wherever they claim to be."""
    match = _REF.fullmatch(ref)
    if not match or int(match.group(2)) == 0:
        return None
    letters, number = match.groups()
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - 64
    return int(number) - 1, (col - 1 if letters else None)


def _name(row: int, col: int) -> str:
    """"B7" for (6, 1): where the clerk finds the cell."""
    return f"{column_letter(col)}{row + 1}"


def _check_cell_part_sizes(parts: list[zipfile.ZipInfo]) -> None:
    """Refuse a workbook whose sheets and shared strings, as declared, exceed MAX_CELL_PART_BYTES.
    A part that inflates past its declared size is refused where it is read."""
    total = sum(entry.file_size for entry in {entry.filename: entry for entry in parts}.values())
    if total > MAX_CELL_PART_BYTES:
        raise UnsafeWorkbook("sheet_too_large", f"the workbook's sheets and texts take {total / 2**20:.0f} MB, more "
                             f"than the {MAX_CELL_PART_BYTES // 2**20} MB allowed (a district workbook takes well "
                             "under one); delete what lies outside the indicator table, re-save and send it again")


def _check_shared_strings(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """One pass of the streaming tokenizer over the shared-string table, which nothing else bounds.

    python-calamine reserves memory for the declared uniqueCount before reading it (a 5 KB file
    declaring two billion strings aborts the process), and reads every string, used by a cell or
    not. Each string's length is counted from expat's character-data events, never built.
    """
    characters = 0  # of the open <si>, over its text and rich-text runs

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal characters
        name = name.rpartition(":")[2]
        if name == "sst":
            count = next((v for k, v in attrs.items() if k.rpartition(":")[2] == "uniqueCount"), "").strip()
            if count.isdigit() and int(count) > MAX_CELLS:
                raise UnsafeWorkbook("sheet_too_large", f"the workbook declares {int(count):,} different texts, "
                                     f"more than the {MAX_CELLS:,} cells a workbook may hold (readers crash on it); "
                                     "re-save it from Excel and send it again")
        elif name == "si":
            characters = 0
        elif name == "t":
            parser.CharacterDataHandler = count_text

    def end(name: str) -> None:
        if name.rpartition(":")[2] == "t":
            parser.CharacterDataHandler = None

    def count_text(text: str) -> None:
        nonlocal characters
        characters += len(text)
        if characters > MAX_CELL_CHARACTERS:
            raise UnsafeWorkbook("cell_too_long", f"the workbook's table of texts holds a text of more than "
                                 f"{MAX_CELL_CHARACTERS:,} characters, more than Excel can store in a cell; the file "
                                 "was not made by Excel. Re-save it from Excel and send it again")

    parser = pyexpat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    read = 0
    with archive.open(entry) as stream:
        try:
            while chunk := stream.read(64 * 1024):
                read += len(chunk)
                if read > entry.file_size:
                    raise UnsafeWorkbook("zip_bomb", "a part of the workbook inflates past its declared size; it is "
                                         "not read")
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except pyexpat.ExpatError as exc:
            raise UnsafeWorkbook("damaged_workbook", f"the workbook's text table is damaged ({exc}); re-save it "
                                 "from Excel and send it again") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
