"""Excel's own number formats are part of the value: a clerk who types 49% gets 0.49 stored with the format
"0%", and the warehouse must read 49 %, not 0.49 (which agreed with itself everywhere and made the merged
forest cover 21 %). The guard reads each number cell's style (flows/ingest/guard.py), the reader's number is
replaced by the percentage Excel shows (flows/ingest/extract.py ExcelPercent), and the rows judge its unit
as for a typed "49%": in a % row it is the figure, in a row of another unit it is flagged.

The workbook is the committed Hà Quảng one with some cells retyped as Excel percentages.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from flows.ingest.guard import inspect_workbook
from flows.parse.workbook import process_workbook
from tests.conftest import RAW

SOURCE = RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
# one style more than the workbook has (index 5): a custom percent format with a decimal; and index 6, the
# same format with a % that is only text (quoted), which is no percentage
STYLES = ('<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" '
          'formatCode="0.0&quot;%&quot;"/></numFmts>')


def excel_percents(cells: dict[str, float], style: int = 5, format_code: str | None = None) -> bytes:
    """The committed workbook with each cell REF a number stored as Excel stores a typed percentage (or, given
    format_code, a number with that format: style 5 then uses it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(SOURCE) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename).decode()
            if info.filename == SHEET:
                for ref, stored in cells.items():
                    data, found = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)',
                                          f'<c r="{ref}" s="{style}"><v>{stored!r}</v></c>', data, count=1)
                    assert found, ref
            elif info.filename == "xl/styles.xml":
                styles = STYLES if format_code is None else STYLES.replace(
                    'formatCode="0.0%"', f'formatCode="{format_code.replace(chr(34), "&quot;")}"')
                data = data.replace('<numFmts count="0" />', styles)
                data = data.replace('</cellXfs>', '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" '
                                    'applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" '
                                    'applyNumberFormat="1"/></cellXfs>')
            target.writestr(info, data)
    return out.getvalue()


def _read(content: bytes, tmp_path):
    raw = tmp_path / "raw"
    (raw / "ha_quang").mkdir(parents=True, exist_ok=True)
    (raw / "ha_quang" / "bieu.xlsx").write_bytes(content)
    result = process_workbook(raw / "ha_quang" / "bieu.xlsx", raw)
    rows = result.rows.set_index("source_row")
    return result, rows


def test_the_guard_knows_which_number_cells_excel_shows_as_percentages():
    facts = inspect_workbook(excel_percents({"D19": 0.49, "E19": 0.493}))[0]
    assert facts.percent_cells == {(18, 3): "0.0%", (18, 4): "0.0%"}
    quoted = inspect_workbook(excel_percents({"D19": 49.0}, style=6))[0]
    assert quoted.percent_cells == {}  # "0.0"%"": a % that is text, the number is 49


def test_percentages_typed_as_excel_percentages_read_as_the_percentages_shown(tmp_path):
    """Forest cover 49 % → 49,3 %, 101 %, all three typed as Excel percentages: the same figures as typed text."""
    result, rows = _read(excel_percents({"D19": 0.49, "E19": 0.493, "F19": 1.01}), tmp_path)
    forest = rows.loc[19]
    assert (forest["unit"], forest["target_low"], forest["actual_value"], forest["reported_pct"]) == \
        ("percent", 49, 49.3, 101)
    assert (forest["target_raw"], forest["actual_raw"]) == ("49%", "49.3%")
    finding = next(f for f in result.findings if f.check_name == "excel_percent_format")
    assert finding.severity == "info" and "D19 0.49 (0.0%), E19 0.493 (0.0%), F19 1.01 (0.0%)" in finding.message
    _, plain = _read(SOURCE.read_bytes(), tmp_path / "plain")
    columns = ["unit", "target_low", "target_high", "actual_value", "reported_pct"]
    assert forest[columns].tolist() == plain.loc[19][columns].tolist()


def test_an_excel_percentage_in_a_row_of_another_unit_is_flagged_not_guessed(tmp_path):
    """Tobacco area in ha with its result typed as 58% (0.58 stored): neither 0.58 ha nor 58 ha is loaded as
    the result of the row's unit; the row says its figures are in two units."""
    result, rows = _read(excel_percents({"E14": 0.58}), tmp_path)
    tobacco = rows.loc[14]
    assert tobacco["unit"] == "hectare" and tobacco["actual_unit"] == "percent" and tobacco["actual_value"] == 58
    assert any(f.check_name == "excel_percent_format" for f in result.findings)


@pytest.mark.parametrize("stored", [0.0049, 1.5, 0.123456])
def test_the_percentage_is_the_stored_number_times_a_hundred_without_binary_noise(stored, tmp_path):
    _, rows = _read(excel_percents({"E19": stored}), tmp_path)
    assert rows.loc[19]["actual_value"] == round(stored * 100, 10)


@pytest.mark.parametrize("format_code, stored, shown", [
    ("#,##0,", 934000.0, "a thousand times smaller"),   # Excel shows 934 ha
    ('"> "0', 95.0, "text around it"),                   # Excel shows "> 95": a strict bound, not exactly 95
    (";;;", 603.0, "nothing"),                           # Excel shows an empty cell
])
def test_a_format_that_shows_another_figure_is_flagged_on_its_row_not_loaded_silently(format_code, stored, shown,
                                                                                       tmp_path):
    result, rows = _read(excel_percents({"E16": stored}, format_code=format_code), tmp_path)
    flagged = [f for f in result.findings if f.check_name == "excel_number_format"]
    assert [(f.source_row, f.source_column, f.severity) for f in flagged] == [(16, "E", "warning")]
    assert format_code in flagged[0].message and rows.loc[16]["actual_value"] == stored  # the stored number


def test_formats_that_show_the_stored_number_are_not_flagged(tmp_path):
    for code in ("#,##0", "0.00", "[Red]0.0", "#,##0.00_);(#,##0.00)", "0.00E+00"):
        result, _ = _read(excel_percents({"E16": 934.0}, format_code=code), tmp_path / code.replace("/", "_"))
        assert not [f for f in result.findings if f.check_name == "excel_number_format"], code
