"""A minimal, fast .xlsx writer for generated workbooks: text and number cells, merged areas.

openpyxl takes tens of milliseconds per workbook; a synthetic corpus of ten thousand needs
the few hundred microseconds that writing the XML parts directly costs.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from xml.sax.saxutils import escape

from flows.core.text import column_letter

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{sheets}</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # fixed part times: the same cells give the same bytes


def _put(archive: zipfile.ZipFile, name: str, text: str) -> None:
    archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_TIME), text, compress_type=zipfile.ZIP_DEFLATED)


def xlsx_bytes(sheets: list[tuple[str, list[list[object]], list[str]]]) -> bytes:
    """sheets: (name, rows of cells, merged areas like "A1:F1"); None cells are left out."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\n'
            for i in range(1, len(sheets) + 1))
        _put(archive, "[Content_Types].xml", _CONTENT_TYPES.format(sheets=overrides))
        _put(archive, "_rels/.rels", _ROOT_RELS)
        entries = "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                          for i, (name, _, _) in enumerate(sheets, start=1))
        _put(archive, "xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         f'<workbook {_NS} {_REL_NS}><sheets>{entries}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
        _put(archive, "xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                         "</Relationships>")
        for i, (_, rows, merged) in enumerate(sheets, start=1):
            _put(archive, f"xl/worksheets/sheet{i}.xml", _sheet_xml(rows, merged))
    return buffer.getvalue()


def _sheet_xml(rows: list[list[object]], merged: list[str]) -> str:
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            ref = f"{column_letter(c)}{r}"
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>')
        if cells:
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData>")
    if merged:
        out.append(f'<mergeCells count="{len(merged)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merged)
                   + "</mergeCells>")
    out.append("</worksheet>")
    return "".join(out)
