"""The guard judges the extent python-calamine will really use, whatever the sheet XML looks like.

Found by experiment (python-calamine 0.9.1 reading each shape through flows.ingest.extract.read_workbook,
in a child process limited to 4 GB of address space; peak RSS of the child, 14 MB at rest):

| sheet XML shape | what calamine does unguarded |
| --- | --- |
| `<c r="XFD1048576">`, or `r="xfd1048576"` (lower case: calamine accepts it) | PanicException (a BaseException, not caught by `except Exception`); without a limit the process aborts |
| `<row r="1048576">` with 16,384 bare `<c><v>1</v></c>` (a 5 KB file) | the same panic |
| one bare cell in `<row r="1048576">`, or `<c r="A1048576">` in `<row r="1">`, quoted `'...'`, spaced `r = "..."`, with newlines, attributes reordered, prefixed `<x:row>`/`<x:c>`, `r="A0001048576"` | loads, 207 MB for a 5 KB file (a list per row) |
| 100,000 `<row/>` or `<row></row>` without r, then a cell | loads at row 100,001 (calamine counts past row 1,048,576 too) |
| bare cells after an explicit column | each one column further right, past XFD as well |
| one cell at SF50000 (the old limits: 50,000 rows, 500 columns) | 972 MB: calamine and read_workbook fill the rectangle from A1 |
| 2,000 x 500 distinct texts (3.4 MB file) | 158 MB; 50,000 x 20 empty corner: 68 MB |
| sharedStrings `uniqueCount="2000000000"` (also with `<x:sst>`) | SIGABRT: calamine reserves the declared count; `count` alone is ignored |
| 200,000 `<mergeCell>` areas | loads (88 MB) but header matching walks every area per header cell |
| `<dimension ref="A1:XFD1048576">`, `<mergeCell ref="A1:XFD1048576"/>`, `spans="1:16384"`, `<cols>` to XFD, a shared formula over A1:XFD1048576, a style index of 99,999,999 | fine |
| empty cells far away (`<c r="XFD1048576"/>`, `<c r="..."></c>`) | fine: calamine skips cells without content |
| `r="A0"`, `<row r="0">`, `r="&#88;FD1"` (calamine does not unescape), a prefixed `q:r` | a CalamineError (rejected as unreadable) or ignored |
| a cell inside a comment or CDATA | ignored |
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from flows.ingest.extract import read_workbook
from flows.ingest.guard import MAX_CELLS, MAX_COLUMNS, MAX_MERGED_AREAS, MAX_ROWS, UnsafeWorkbook, inspect_workbook
from tests.conftest import RAW, REPO
from tests.fixtures.write_malformed_workbooks import _rewrite_part, _xlsx_bytes, table

SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _sheet(data: str, head: str = "", tail: str = "", prefix: str = "") -> str:
    """A whole worksheet part around sheetData content; prefix writes every name as <x:...>."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}>{head}'
            f"<{p}sheetData>{data}</{p}sheetData>{tail}</{p}worksheet>")


def _workbook(sheet_xml: str, shared_strings: str | None = None) -> bytes:
    """The small fixture table with its sheet part replaced (and a shared-string part added)."""
    content = _rewrite_part(_xlsx_bytes(table(2015)), SHEET, lambda _old: sheet_xml)
    if shared_strings is None:
        return content
    content = _rewrite_part(content, "xl/_rels/workbook.xml.rels", lambda rels: rels.replace(
        "</Relationships>", '<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def _far_row(cells: str, row: str = "1048576") -> str:
    title = '<row r="1"><c r="A1" t="inlineStr"><is><t>Chỉ tiêu</t></is></c></row>'
    return _sheet(f'{title}<row r="{row}">{cells}</row>')


BARE = "<c><v>1</v></c>"
HOSTILE = {
    # positions by order alone: the shapes a guard reading only r="..." lets through
    "16384 bare cells in the last row": _far_row(BARE * 16384),
    "one bare cell in the last row": _far_row(BARE),
    "rows without r pile up": _sheet("<row/>" * MAX_ROWS + "<row></row>" + f"<row>{BARE}</row>"),
    "bare cells run past the last column": _sheet(f'<row r="1">{BARE * (MAX_COLUMNS + 1)}</row>'),
    "a bare cell right of the last allowed column": _sheet(f'<row r="1"><c r="SF1"><v>1</v></c>{BARE}</row>'),
    "a bare row below an explicit far row": _sheet(f'<row r="{MAX_ROWS}"></row><row>{BARE}</row>'),
    # the same far cell spelled every way the format and calamine allow
    "lower-case reference": _far_row('<c r="xfd1048576"><v>1</v></c>'),
    "single quotes": _sheet("<row r='1'><c r='A1048576'><v>1</v></c></row>"),
    "spaces and newlines around r": _sheet('<row\n  r = "1" ><c\tr\n=\n"A1048576"\n><v>1</v></c></row>'),
    "attributes in another order": _sheet('<row spans="1:1" r="1"><c t="n" s="0" r="A1048576"><v>1</v></c></row>'),
    "namespace prefix": _sheet('<x:row r="1"><x:c r="A1048576"><x:v>1</x:v></x:c></x:row>', prefix="x"),
    "namespace prefix, bare cells": _sheet('<x:row r="1">' + "<x:c><x:v>1</x:v></x:c>" * (MAX_COLUMNS + 1)
                                           + "</x:row>", prefix="x"),
    "namespace prefix, bare rows": _sheet("<x:row/>" * MAX_ROWS + "<x:row><x:c><x:v>1</x:v></x:c></x:row>",
                                          prefix="x"),
    "leading zeros": _sheet('<row r="1"><c r="A0001048576"><v>1</v></c></row>'),
    "far cell in a near row": _sheet('<row r="1"><c r="A1048576"><v>1</v></c></row>'),
    "an escaped reference": _sheet('<row r="1"><c r="&#88;FD1048576"><v>1</v></c></row>'),
    # inside the old separate limits, but a rectangle from A1 that does not fit in memory
    "one cell at the old corner SF50000": _sheet('<row r="50000"><c r="SF50000"><v>1</v></c></row>'),
    "area just over the limit": _sheet(f'<row r="1"><c r="A1"><v>1</v></c></row><row r="{MAX_CELLS // 20 + 1}">'
                                       f'<c r="T{MAX_CELLS // 20 + 1}"><v>1</v></c></row>'),
    # what the sheet declares rather than where its cells are
    "a dimension to XFD1048576": _sheet(f'<row r="1">{BARE}</row>', head='<dimension ref="A1:XFD1048576"/>'),
    "too many merged areas": _sheet(f'<row r="1">{BARE}</row>', tail="<mergeCells>" + "".join(
        f'<mergeCell ref="A{i}:B{i}"/>' for i in range(1, MAX_MERGED_AREAS + 2)) + "</mergeCells>"),
}
CRASHING = ["16384 bare cells in the last row", "lower-case reference"]
HUGE_SHARED_STRINGS = (f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="2000000000"><si><t>x</t></si></sst>')


@pytest.mark.parametrize("shape", list(HOSTILE))
def test_every_spelling_of_a_far_or_huge_sheet_is_rejected(shape):
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(_workbook(HOSTILE[shape]))
    assert caught.value.check_name == "sheet_too_large"
    assert "send it again" in str(caught.value)


def test_the_message_names_the_far_cell():
    with pytest.raises(UnsafeWorkbook, match=r"a cell sits at A1048576"):
        inspect_workbook(_workbook(HOSTILE["one bare cell in the last row"]))
    with pytest.raises(UnsafeWorkbook, match=r"a cell sits at A1048576"):
        inspect_workbook(_workbook(HOSTILE["far cell in a near row"]))
    with pytest.raises(UnsafeWorkbook, match=r"a cell sits at A50002"):
        inspect_workbook(_workbook(HOSTILE["rows without r pile up"]))
    with pytest.raises(UnsafeWorkbook, match=r"a cell sits at SG1\b"):
        inspect_workbook(_workbook(HOSTILE["a bare cell right of the last allowed column"]))


@pytest.mark.parametrize("unique_count", ["2000000000", f"{MAX_CELLS + 1}"])
@pytest.mark.parametrize("prefix", ["", "x:"])
def test_a_shared_string_table_declaring_billions_is_rejected(unique_count, prefix):
    sst = (f'<?xml version="1.0"?><{prefix}sst xmlns{":x" if prefix else ""}="{MAIN_NS}" uniqueCount="{unique_count}">'
           f"<{prefix}si><{prefix}t>x</{prefix}t></{prefix}si></{prefix}sst>")
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(_workbook(_sheet(f'<row r="1">{BARE}</row>'), sst))
    assert caught.value.check_name == "sheet_too_large"


def test_the_area_limit_counts_every_sheet_of_the_workbook():
    """Two sheets each inside the limit, together over it: read_workbook holds them all at once."""
    workbook = Workbook()
    workbook.active.append(["Chỉ tiêu"])
    workbook.create_sheet("Hai").append(["Chỉ tiêu"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = MAX_CELLS // 2 // 10 + 1  # 10 columns: each sheet just over half the limit
    half = _sheet(f'<row r="{rows}"><c r="J{rows}"><v>1</v></c></row>')
    one = _rewrite_part(buffer.getvalue(), SHEET, lambda _old: half)
    assert inspect_workbook(one)  # one such sheet is accepted
    both = _rewrite_part(one, "xl/worksheets/sheet2.xml", lambda _old: half)
    with pytest.raises(UnsafeWorkbook, match="more in the sheets before it") as caught:
        inspect_workbook(both)
    assert caught.value.check_name == "sheet_too_large"


@pytest.mark.parametrize("shape", [
    _sheet(f'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576"/><c r="XFD1"></c></row>'),  # empty: calamine skips
    _sheet(f'<row r="1">{BARE}</row><row r="1048576" hidden="1"></row>'),  # a row without cells
    _sheet(f'<row r="1"><c r="A1"><v>1</v></c></row>', tail='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/>'
           '</mergeCells>'),
    _sheet(f'<row r="1" spans="1:16384"><c r="A1"><v>1</v></c></row>', head='<cols><col min="1" max="16384"/></cols>'),
    _sheet(f'<!-- <row r="1048576"><c r="XFD1048576"><v>1</v></c></row> --><row r="1">{BARE}</row>'),
])
def test_shapes_calamine_reads_cheaply_are_accepted(shape):
    assert inspect_workbook(_workbook(shape))


def test_committed_workbooks_are_accepted_with_their_facts():
    for path in sorted(RAW.glob("*/*.xlsx")):
        facts = inspect_workbook(path.read_bytes())
        grids = read_workbook(path.read_bytes())
        assert set(facts) == {grid.position for grid in grids}, path  # keyed by place, as the reader reads


def _grid_xml(grid: list[list[str | None]], explicit: bool, hidden_row: int, formula: tuple[int, int]) -> str:
    """A sheet written by hand, every cell placed by r=..., or none at all (empty cells as <c/>)."""
    rows = []
    for r, values in enumerate(grid):
        cells = []
        for c, value in enumerate(values):
            ref = f' r="{_ref(r, c)}"' if explicit else ""
            if (r, c) == formula:
                cells.append(f"<c{ref}><f>SUM(1,2)</f></c>")  # a formula saved without its value
            elif value is None:
                cells.append("" if explicit else f"<c{ref}/>")
            else:
                cells.append(f'<c{ref} t="inlineStr"><is><t>{value}</t></is></c>')
        attributes = (f' r="{r + 1}"' if explicit else "") + (' hidden="1"' if r == hidden_row else "")
        rows.append(f"<row{attributes}>{''.join(cells)}</row>")
    return _sheet("".join(rows))


def _ref(row: int, col: int) -> str:
    return f"{chr(65 + col)}{row + 1}"


def test_a_workbook_without_any_r_attribute_is_read_the_same():
    """The format allows positions by order alone; such a workbook is legitimate and must load."""
    grid = [[v if v != "" else None for v in (list(map(str, row)) + [""] * 5)[:5]] for row in table(2015)]
    grid[4][3] = None  # a gap inside a row
    explicit = _workbook(_grid_xml(grid, explicit=True, hidden_row=4, formula=(5, 3)))
    implicit = _workbook(_grid_xml(grid, explicit=False, hidden_row=4, formula=(5, 3)))
    assert ' r="' not in zipfile.ZipFile(io.BytesIO(implicit)).read(SHEET).decode().split("<sheetData>")[1]
    assert inspect_workbook(implicit) == inspect_workbook(explicit)
    facts = inspect_workbook(implicit)[0]
    assert facts.formulas_without_value == {(5, 3)} and facts.hidden_rows == {4}
    assert [g.rows for g in read_workbook(implicit)] == [g.rows for g in read_workbook(explicit)]
    assert read_workbook(implicit)[0].rows[3][1] == "Thu nhập bình quân đầu người"


CHILD = r"""
import json, resource, sys
from pathlib import Path
limit = 3 * 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
path, raw, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
from flows.parse.workbook import process_workbook
from flows.ingest.extract import WorkbookError, read_workbook


def status(field):
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) / 1024


if mode == "unguarded":  # straight to the reader, as if the guard were not there
    try:
        read_workbook(path.read_bytes())
        print(json.dumps({"read": True}))
    except WorkbookError as exc:
        print(json.dumps({"read": False, "error": str(exc)}))
    sys.exit()
if mode == "measure":  # warm up (first use imports pandas, pandera...), then reset the peak (Linux)
    process_workbook(path.with_name("nho.xlsx"), raw)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = status("VmRSS")
result = process_workbook(path, raw)
print(json.dumps({"loaded": result.loaded, "checks": sorted({f.check_name for f in result.findings}),
                  "extra_mb": status("VmHWM") - before if mode == "measure" else None}))
"""


def _child(content: bytes, tmp_path: Path, mode: str = "guarded", name: str = "bieu.xlsx"
           ) -> subprocess.CompletedProcess:
    raw = tmp_path / "raw"
    path = raw / "thong_nong" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return subprocess.run([sys.executable, "-c", CHILD, str(path), str(raw), mode], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("shape", CRASHING + ["huge shared-string table"])
def test_crashing_shapes_are_rejected_instead_of_killing_the_process(shape, tmp_path):
    content = (_workbook(_sheet(f'<row r="1">{BARE}</row>'), HUGE_SHARED_STRINGS)
               if shape == "huge shared-string table" else _workbook(HOSTILE[shape]))
    unguarded = _child(content, tmp_path, "unguarded")
    assert unguarded.returncode != 0 or '"read": false' in unguarded.stdout, \
        "the shape no longer breaks calamine: update the table above"
    guarded = _child(content, tmp_path)
    assert guarded.returncode == 0, guarded.stderr
    result = json.loads(guarded.stdout.splitlines()[-1])
    assert result["loaded"] is False and result["checks"] == ["sheet_too_large"]


def _dense_distinct_texts(rows: int, cols: int) -> str:
    """Every cell a different text: the most memory a sheet of this area can make the reader use."""
    def col_name(c: int) -> str:
        name, c = "", c + 1
        while c:
            c, rest = divmod(c - 1, 26)
            name = chr(65 + rest) + name
        return name
    names = [col_name(c) for c in range(cols)]
    body = "".join(f'<row r="{r}">' + "".join(f'<c r="{names[c]}{r}" t="inlineStr"><is><t>ô {r} {c}</t></is></c>'
                                             for c in range(cols)) + "</row>" for r in range(1, rows + 1))
    return _sheet(body)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="measures the peak with Linux /proc")
@pytest.mark.parametrize("rows, cols", [(MAX_CELLS // 500, 500), (MAX_CELLS // 20, 20)])
def test_the_worst_accepted_workbook_stays_well_under_150_mb(rows, cols, tmp_path):
    """The whole allowed area filled with distinct texts, wide and tall, through process_workbook."""
    worst = _workbook(_dense_distinct_texts(rows, cols))
    assert inspect_workbook(worst)
    (tmp_path / "raw" / "thong_nong").mkdir(parents=True)
    (tmp_path / "raw" / "thong_nong" / "nho.xlsx").write_bytes(_xlsx_bytes(table(2015)))
    run = _child(worst, tmp_path, "measure")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    print(f"worst accepted workbook {rows} x {cols}: {len(worst) / 2**20:.1f} MB file, "
          f"{result['extra_mb']:.0f} MB more RSS at the peak")
    assert result["checks"] == ["header_not_found"]  # read in full, then found to hold no table
    assert result["extra_mb"] < 100


def test_a_district_sized_workbook_is_far_inside_the_limits():
    """A few thousand rows by 20 columns, every cell filled: accepted with a margin of three."""
    rows, cols = 5000, 20
    assert rows * cols * 3 <= MAX_CELLS and rows * 10 <= MAX_ROWS and cols * 10 <= MAX_COLUMNS
    content = _workbook(_dense_distinct_texts(rows, cols))
    assert inspect_workbook(content)
    grid = read_workbook(content)[0]
    assert (len(grid.rows), grid.width) == (rows, cols)


def test_hidden_rows_without_r_are_found_where_calamine_puts_them():
    xml = _sheet('<row><c t="inlineStr"><is><t>a</t></is></c></row><row r="7"></row><row hidden="true">'
                 '<c t="inlineStr"><is><t>b</t></is></c></row>')
    facts = inspect_workbook(_workbook(xml))[0]
    assert facts.hidden_rows == {7}
    rows = read_workbook(_workbook(xml))[0].rows
    assert rows[7][0] == "b"


def test_an_xml_error_in_a_sheet_is_a_damaged_workbook():
    broken = _workbook(_sheet('<row r="1"><c r="A1"><v>1</v></row>'))
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(broken)
    assert caught.value.check_name == "damaged_workbook"
    assert re.search("re-save", str(caught.value))


def _with_parts(extra: dict[str, str], rels=lambda text: text, workbook=lambda text: text) -> bytes:
    """The small table with the hostile far-row sheet added under other names, placed first in the
    zip (where a reader that takes the first match finds it), and the index parts changed."""
    good = _rewrite_part(_rewrite_part(_xlsx_bytes(table(2015)), "xl/_rels/workbook.xml.rels", rels),
                         "xl/workbook.xml", workbook)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a duplicate part name is the point of one case
        for name, text in extra.items():
            target.writestr(name, text)
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
    return out.getvalue()


EVIL = HOSTILE["16384 bare cells in the last row"]
SHEET_REL = ('<Relationship Id="rIdEvil" '
             'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" ')
PATH_CONFUSIONS = {
    # calamine does not normalise "..": it reads the entry literally named so, the guard used to read the other
    "a Target through .. with a literal twin": _with_parts(
        {"xl/../xl/worksheets/sheet1.xml": EVIL},
        rels=lambda text: text.replace('Target="/xl/worksheets/sheet1.xml"', 'Target="../xl/worksheets/sheet1.xml"')),
    # calamine does not unescape the Target
    "an escaped Target with a literal twin": _with_parts(
        {"xl/worksheets/sheet&#49;.xml": EVIL},
        rels=lambda text: text.replace('/xl/worksheets/sheet1.xml"', '/xl/worksheets/sheet&#49;.xml"')),
    # calamine takes <Relationship> at any depth, the last of one Id
    "a nested relationship overriding the sheet's": _with_parts(
        {"xl/worksheets/evil.xml": EVIL},
        rels=lambda text: text.replace("</Relationships>", '<X><Relationship Id="rId1" Type="http://schemas.'
                                       'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                                       'Target="worksheets/evil.xml"/></X></Relationships>')),
    # two sheets of one name: calamine reads the first, the guard used to keep the last
    "two sheets with one name": _with_parts(
        {"xl/worksheets/evil.xml": EVIL},
        rels=lambda text: text.replace("</Relationships>",
                                       SHEET_REL + 'Target="worksheets/evil.xml"/></Relationships>'),
        workbook=lambda text: text.replace("<sheets>", '<sheets><sheet name="Sheet" sheetId="9" r:id="rIdEvil"/>')),
    # the same part twice, or in another case or with backslashes: readers differ on which one they take
    "the sheet part twice": _with_parts({"xl/worksheets/sheet1.xml": EVIL}),
    "the sheet part in upper case": _with_parts({"xl/worksheets/SHEET1.xml": EVIL}),
    "the sheet part with backslashes": _with_parts({"xl\\worksheets\\sheet1.xml": EVIL}),
}


@pytest.mark.parametrize("shape", list(PATH_CONFUSIONS))
def test_the_guard_judges_every_part_the_reader_might_take(shape):
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(PATH_CONFUSIONS[shape])
    assert caught.value.check_name in {"sheet_too_large", "damaged_workbook"}


@pytest.mark.parametrize("shape", ["a Target through .. with a literal twin", "two sheets with one name"])
def test_a_confused_path_is_rejected_instead_of_killing_the_process(shape, tmp_path):
    unguarded = _child(PATH_CONFUSIONS[shape], tmp_path, "unguarded")
    assert unguarded.returncode != 0 or '"read": false' in unguarded.stdout, \
        "calamine no longer reads the hostile part: update the table above"
    guarded = _child(PATH_CONFUSIONS[shape], tmp_path)
    assert guarded.returncode == 0, guarded.stderr
    assert json.loads(guarded.stdout.splitlines()[-1])["checks"] == ["sheet_too_large"]


def test_a_reader_panic_is_one_unreadable_workbook_not_the_end_of_the_load(tmp_path):
    """Should a shape the guard does not know make calamine panic, read_workbook reports it."""
    only_the_far_row = _sheet(f'<row r="1048576">{BARE * 16384}</row>')  # panics (with A1 too, it aborts)
    run = _child(_workbook(only_the_far_row), tmp_path, "unguarded")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["read"] is False and "the reader broke" in result["error"]
