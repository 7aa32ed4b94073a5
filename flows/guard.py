"""Inspect a workbook's bytes before any spreadsheet reader sees them.

python-calamine aborts the whole process (no exception) on a sheet that claims a cell at
XFD1048576, and every reader inflates a zip bomb. So the container is checked first, with
the standard zipfile module, defusedxml for the workbook's small index parts (no DTDs, no
entities) and one pass of compiled regular expressions over each sheet's XML, within fixed
limits. What the scan learns on the way (formula cells without a cached value, hidden
rows) is kept for the row parser.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100  # real worksheets compress 5-20x; bombs compress 1000x
MAX_ZIP_ENTRIES = 2000
MAX_ROWS = 50_000  # an indicator table has tens of rows; a district workbook a few thousand
MAX_COLUMNS = 500
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx
ZIP_MAGIC = b"PK\x03\x04"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


class UnsafeWorkbook(Exception):
    """A file no reader should open; check_name says which kind, the message what to do."""

    def __init__(self, check_name: str, message: str):
        super().__init__(message)
        self.check_name = check_name


@dataclass
class SheetFacts:
    """What the XML says that the cell reader does not: 0-based (row, column) positions."""

    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)


def inspect_workbook(content: bytes) -> dict[str, SheetFacts]:
    """Raise UnsafeWorkbook for a file that must not be read; else facts per sheet name."""
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
        return {name: _scan_sheet(archive, part) for name, part in sheets.items()}
    except DefusedXmlException as exc:
        raise UnsafeWorkbook("xml_entities", f"the workbook's XML declares entities or a DTD ({type(exc).__name__}), "
                             "which Excel never writes; it is not read. Re-save it from Excel") from None
    except (zipfile.BadZipFile, EOFError, KeyError, SyntaxError, ValueError) as exc:
        raise UnsafeWorkbook("damaged_workbook", f"the workbook's contents are damaged ({exc}); re-save it from "
                             "Excel and send it again") from None


def _check_container(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UnsafeWorkbook("zip_bomb", f"the workbook holds {len(entries)} parts; it is not read")
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnsafeWorkbook("zip_bomb", f"the workbook would expand to {total // 2**20} MB; it is not read")
    for entry in entries:
        if entry.compress_size and entry.file_size / entry.compress_size > MAX_COMPRESSION_RATIO \
                and entry.file_size > 1024 * 1024:
            raise UnsafeWorkbook("zip_bomb", f"part {entry.filename} expands {entry.file_size // entry.compress_size}"
                                 " times; that is a zip bomb, not a spreadsheet. It is not read")


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part, from xl/workbook.xml and its relationships."""
    workbook = fromstring(archive.read("xl/workbook.xml"))
    relations = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in relations if _local(rel.tag) == "Relationship"}
    parts = {}
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rel_id)
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            parts[element.get("name")] = path
    return parts


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DIMENSION = re.compile(rb'<dimension[^>]*\sref="([A-Z]+\d+)(?::([A-Z]+\d+))?"')
_CELL = re.compile(rb'<c\s[^>]*?r="([A-Z]{1,3})(\d+)"[^>]*?(/>|>(.*?)</c>)', re.DOTALL)
_HIDDEN_ROW = re.compile(rb'<row\s[^>]*?r="(\d+)"[^>]*?\shidden="(?:1|true)"|<row\s[^>]*?\shidden="(?:1|true)"[^>]*?r="(\d+)"')
_CELL_POSITION = re.compile(rb'<c\s[^>]*?r="([A-Z]{1,3})(\d+)"')
_FORMULA = re.compile(rb"<f[\s>/]")
_VALUE = re.compile(rb"<v>[^<]")


def _scan_sheet(archive: zipfile.ZipFile, part: str) -> SheetFacts:
    """One pass of compiled regular expressions over the sheet's XML (no XML tree is built)."""
    info = archive.getinfo(part)
    with archive.open(info) as stream:
        xml = stream.read(info.file_size + 1)
    if len(xml) > info.file_size:
        raise UnsafeWorkbook("zip_bomb", "a part of the workbook inflates past its declared size; it is not read")
    if _DTD.search(xml):
        raise UnsafeWorkbook("xml_entities", "the workbook's XML declares entities or a DTD, which Excel never "
                             "writes; it is not read. Re-save it from Excel")
    for match in _DIMENSION.finditer(xml):
        for ref in match.groups():
            if ref:
                _check_extent(ref.decode(), "the sheet declares its size as")
    facts = SheetFacts()
    for match in _HIDDEN_ROW.finditer(xml):
        facts.hidden_rows.add(int(match.group(1) or match.group(2)) - 1)
    refs = _CELL_POSITION.findall(xml)
    if refs:  # the deepest and the widest cell decide the extent
        for letters, number in (max(refs, key=lambda r: int(r[1])), max(refs, key=lambda r: (len(r[0]), r[0]))):
            _check_extent((letters + number).decode(), "a cell sits at")
    if _FORMULA.search(xml):  # cell by cell only in a sheet that has formulas at all
        for match in _CELL.finditer(xml):
            inner = match.group(4) or b""
            if _FORMULA.search(inner) and not _VALUE.search(inner):
                position = (match.group(1) + match.group(2)).decode()
                facts.formulas_without_value.add(_check_extent(position, "a cell sits at"))
    return facts


def _check_extent(ref: str, what: str) -> tuple[int | None, int | None]:
    match = _CELL_REF.match(ref)
    if not match:
        return None, None
    letters, number = match.groups()
    col = 0
    for letter in letters:
        col = col * 26 + ord(letter) - 64
    if int(number) > MAX_ROWS or col > MAX_COLUMNS:
        raise UnsafeWorkbook("sheet_too_large", f"{what} {ref}, beyond {MAX_ROWS} rows or {MAX_COLUMNS} columns "
                             "(readers crash on such sheets); clear the far cells, re-save and send it again")
    return int(number) - 1, col - 1


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
