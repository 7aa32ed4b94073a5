"""Four ways a workbook could hurt or fool the reader, each closed as a class.

1. Huge strings: no cell or shared string may be longer than Excel allows (32,767 characters),
   the sheet and shared-string parts together are bounded (flows/ingest/guard.py), and no finding
   stores more than a thousand characters of a message or a raw value (flows/core/findings.py).
2. A figure cell saved as an Excel error (t="e", "#DIV/0!") is read as empty by python-calamine;
   the guard's scan records it and the row parser reports it as an unreadable figure.
3. A number cell holding NaN or infinity is no figure in any column: an unreadable figure.
4. Thousands of merged areas must not make the header search slow (flows/ingest/extract.py).

The workbooks are the committed Hà Quảng workbook with one cell replaced, or small ones built here.
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.core.findings import MAX_STORED_TEXT, Finding
from flows.ingest.extract import SheetGrid, read_workbook
from flows.ingest.guard import MAX_CELL_CHARACTERS, MAX_CELL_PART_BYTES, UnsafeWorkbook, inspect_workbook
from flows.parse.locate import locate_table
from flows.parse.workbook import process_workbook
from flows.quality.validate import rows_frame, validate_rows
from schemas.catalogues import layout
from tests.conftest import REPO

SRC = REPO / "raw" / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
LABEL_ROW = 8  # B8..F8: a measured row of the committed workbook (target D, result E, percentage F)


def patched(*edits: tuple[str, str], extra: dict[str, bytes] | None = None) -> bytes:
    """The committed workbook with sheet1's cell REF replaced by XML ("@" stands for r="REF"),
    and extra parts added."""
    with zipfile.ZipFile(SRC) as source:
        xml = source.read(SHEET).decode()
    for ref, new in edits:
        cell = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)')
        assert cell.search(xml), ref
        xml = cell.sub(lambda _: new.replace("@", f'r="{ref}"'), xml, count=1)
    return _replace_sheet(xml, extra)


def load(content: bytes, tmp_path):
    raw = tmp_path / "raw"
    (raw / "ha_quang").mkdir(parents=True, exist_ok=True)
    path = raw / "ha_quang" / "bieu.xlsx"
    path.write_bytes(content)
    return process_workbook(path, raw)


def inline(text: str) -> str:
    return f'<c @ t="inlineStr"><is><t>{text}</t></is></c>'


def shared_strings(*texts: str) -> bytes:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    return (f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(texts)}" '
            f'uniqueCount="{len(texts)}">{items}</sst>').encode()


# 1. Huge strings ------------------------------------------------------------------------------

@pytest.mark.parametrize("column", ["B", "H"])  # the label cell, and a cell outside the table
def test_a_cell_longer_than_excel_allows_is_refused(column):
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(_with_row_53(column, "ô" * (MAX_CELL_CHARACTERS + 1)))
    assert caught.value.check_name == "cell_too_long"
    assert f"{column}53" in str(caught.value) and "32,767" in str(caught.value)
    assert inspect_workbook(_with_row_53(column, "ô" * MAX_CELL_CHARACTERS))  # Excel's limit itself is fine


def _with_row_53(column: str, text: str) -> bytes:
    """The committed workbook with a row 53 holding text in one cell (the sheet ends at row 51)."""
    row = f'<row r="53"><c r="{column}53" t="inlineStr"><is><t>{text}</t></is></c></row>'
    with zipfile.ZipFile(SRC) as source:
        xml = source.read(SHEET).decode()
    return _replace_sheet(xml.replace("</sheetData>", row + "</sheetData>"))


def _replace_sheet(xml: str, extra: dict[str, bytes] | None = None) -> bytes:
    with zipfile.ZipFile(SRC) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[SHEET] = xml.encode()
    parts.update(extra or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def test_rich_text_runs_count_together():
    run = "<r><t>" + "a" * 20_000 + "</t></r>"
    content = patched(("B8", f'<c @ t="inlineStr"><is>{run}{run}</is></c>'))
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(content)
    assert caught.value.check_name == "cell_too_long"


def test_a_numeric_value_longer_than_excel_allows_is_refused():
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(patched(("D8", "<c @><v>" + "1" * (MAX_CELL_CHARACTERS + 1) + "</v></c>")))
    assert caught.value.check_name == "cell_too_long"


def test_an_overlong_shared_string_is_refused_even_if_no_cell_uses_it():
    def with_strings(*texts: str) -> bytes:
        return patched(("D8", inline("7")), extra={"xl/sharedStrings.xml": shared_strings(*texts)})

    assert inspect_workbook(with_strings("ngắn", "x" * MAX_CELL_CHARACTERS))
    for texts in [("ngắn", "x" * (MAX_CELL_CHARACTERS + 1)),
                  ("ngắn", "<r><t>" + "x" * 20_000 + "</t></r><r><t>" + "y" * 20_000 + "</t></r>")]:
        content = patched(extra={"xl/sharedStrings.xml": shared_strings(*texts).replace(b"<t><r>", b"<r>")
                                 .replace(b"</r></t>", b"</r>")})
        with pytest.raises(UnsafeWorkbook) as caught:
            inspect_workbook(content)
        assert caught.value.check_name == "cell_too_long"


def test_sheets_and_texts_beyond_the_size_limit_are_refused():
    """Many cells, each shorter than Excel's limit and of varied text (it compresses about 2x,
    so no zip-bomb rule applies), adding up to more than MAX_CELL_PART_BYTES."""
    cells = MAX_CELL_PART_BYTES // 30_000 + 10
    rows = "".join(f'<row r="{60 + i}"><c r="H{60 + i}" t="inlineStr"><is><t>{os.urandom(15_000).hex()}</t></is>'
                   f"</c></row>" for i in range(cells))
    with zipfile.ZipFile(SRC) as source:
        xml = source.read(SHEET).decode()
    content = _replace_sheet(xml.replace("</sheetData>", rows + "</sheetData>"))
    with pytest.raises(UnsafeWorkbook) as caught:
        inspect_workbook(content)
    assert caught.value.check_name == "sheet_too_large" and "MB" in str(caught.value)


def test_the_committed_workbooks_are_far_inside_the_size_limit():
    for path in (REPO / "raw").rglob("*.xlsx"):
        with zipfile.ZipFile(path) as archive:
            assert sum(i.file_size for i in archive.infolist()) * 100 < MAX_CELL_PART_BYTES


def test_a_finding_stores_at_most_a_thousand_characters():
    finding = Finding("invalid_row_label", "m" * 5_000, raw_value="r" * 50_000)
    assert len(finding.message) == len(finding.raw_value) == MAX_STORED_TEXT
    assert finding.message.endswith("…") and finding.raw_value.startswith("r" * 900)
    short = Finding("invalid_row_label", "ngắn", raw_value=None)
    assert (short.message, short.raw_value) == ("ngắn", None)


def test_the_longest_label_excel_allows_is_rejected_with_a_short_finding(tmp_path):
    """A label of 32,767 characters passes the guard; the row is refused (a label is at most 500
    characters) and the finding quotes the label cut to a thousand characters, not whole."""
    label = "Chỉ tiêu rất dài " * (MAX_CELL_CHARACTERS // 17)
    result = load(patched((f"B{LABEL_ROW}", inline(label))), tmp_path)
    assert result.loaded
    _, findings = validate_rows(rows_frame(result.records))
    (too_long,) = [f for f in findings if f["check_name"] == "invalid_row_label"]
    assert too_long["source_row"] == LABEL_ROW and too_long["raw_value"].startswith(label[:900])
    assert len(too_long["raw_value"]) == MAX_STORED_TEXT and len(too_long["message"]) <= MAX_STORED_TEXT


# 2. Excel error cells -------------------------------------------------------------------------

@pytest.mark.parametrize("column, role", [("D", "target"), ("E", "result"), ("F", "percentage")])
@pytest.mark.parametrize("error", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"])
def test_an_error_cell_in_a_figure_column_is_an_unreadable_figure(column, role, error, tmp_path):
    ref = f"{column}{LABEL_ROW}"
    content = patched((ref, f'<c @ t="e"><f>1/0</f><v>{error}</v></c>'))
    (facts,) = inspect_workbook(content).values()
    assert facts.error_cells == {(LABEL_ROW - 1, "DEF".index(column) + 3): error}
    result = load(content, tmp_path)
    at_cell = [f for f in result.findings if (f.source_row, f.source_column) == (LABEL_ROW, column)]
    assert [(f.check_name, f.severity, f.raw_value) for f in at_cell] == [("unreadable_figure", "error", error)]
    assert "Excel error" in at_cell[0].message and "formula" in at_cell[0].message and role in at_cell[0].message
    record = next(r for r in result.records if r["source_row"] == LABEL_ROW)
    field = {"D": "target_raw", "E": "actual_raw", "F": "reported_pct_raw"}[column]
    assert record[field] == error  # the raw text kept beside the (empty) figure
    assert record[{"D": "target_low", "E": "actual_value", "F": "reported_pct"}[column]] is None


def test_an_error_cell_outside_the_figures_is_not_a_finding(tmp_path):
    result = load(patched(("C8", '<c @ t="e"><f>1/0</f><v>#DIV/0!</v></c>')), tmp_path)
    assert not [f for f in result.findings if f.source_row == LABEL_ROW and f.check_name == "unreadable_figure"]


# 3. NaN and infinity in a number cell -----------------------------------------------------------

@pytest.mark.parametrize("column", ["D", "E", "F"])
@pytest.mark.parametrize("value, raw", [("NaN", "nan"), ("inf", "inf"), ("-INF", "-inf")])
def test_a_non_finite_number_is_an_unreadable_figure_in_any_figure_column(column, value, raw, tmp_path):
    result = load(patched((f"{column}{LABEL_ROW}", f"<c @><v>{value}</v></c>")), tmp_path)
    at_cell = [(f.check_name, f.raw_value) for f in result.findings
               if (f.source_row, f.source_column) == (LABEL_ROW, column)]
    assert at_cell == [("unreadable_figure", raw)]
    record = next(r for r in result.records if r["source_row"] == LABEL_ROW)
    assert record["row_kind"] == "measured"  # a broken number is no qualitative answer
    assert record[{"D": "target_low", "E": "actual_value", "F": "reported_pct"}[column]] is None


# 4. Merged areas and the header search ----------------------------------------------------------

def _merge_bomb(merged_areas: int, columns: int = 500, rows: int = 40) -> bytes:
    """rows x columns short texts, then one-cell-wide merged areas below them (the attack)."""
    def name(c: int) -> str:
        s, c = "", c + 1
        while c:
            c, r = divmod(c - 1, 26)
            s = chr(65 + r) + s
        return s
    body = "".join(f'<row r="{r}">' + "".join(f'<c r="{name(c)}{r}" t="inlineStr"><is><t>w{c}</t></is></c>'
                                             for c in range(columns)) + "</row>" for r in range(1, rows + 1))
    merges = "".join(f'<mergeCell ref="{name(i % columns)}{rows + 2 + 2 * (i // columns)}:'
                     f'{name(i % columns)}{rows + 3 + 2 * (i // columns)}"/>' for i in range(merged_areas))
    xml = (f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}'
           f'</sheetData><mergeCells count="{merged_areas}">{merges}</mergeCells></worksheet>')
    return _replace_sheet(xml)


def test_thousands_of_merged_areas_do_not_slow_the_header_search():
    grid = read_workbook(_merge_bomb(10_000))[0]
    assert len(grid.merged) == 10_000
    started = time.perf_counter()
    assert locate_table(grid, layout()) is None  # no header among the w0..w499 texts
    assert time.perf_counter() - started < 2  # 17 s when every lookup walked every merged area


def _filled_text_by_walking(grid: SheetGrid, row: int, col: int) -> str:
    """The definition: the first merged area listed that covers the cell lends its top-left text."""
    for (r0, c0), (r1, c1) in grid.merged:
        if r0 <= row <= r1 and c0 <= col <= c1:
            return grid.text(r0, c0)
    return grid.text(row, col)


area = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 3), st.integers(0, 3)).map(
    lambda t: ((t[0], t[1]), (t[0] + t[2], t[1] + t[3])))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from([None, "a", "b", "Chỉ tiêu", "7"]), max_size=6), max_size=6),
       st.lists(area, max_size=6))
def test_filled_text_is_what_walking_the_merged_areas_gives(rows, merged):
    grid = SheetGrid("S", rows, merged)
    for row in range(8):  # beyond the grid's rows too; header matching asks for every column of the grid
        for col in range(grid.width):
            assert grid.filled_text(row, col) == _filled_text_by_walking(grid, row, col)
