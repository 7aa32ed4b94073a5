"""No figure is lost silently: text in a figure column ends as a number, a verdict, or a finding.

The rule (flows/parse/rows.py, flows/parse/values.py): text that holds a digit, digit look-alikes or an Excel
error and that the grammar does not read is an unreadable figure, in any column; words that are
not a verdict ("Đạt", "Giữ vững", "Đảm bảo", ...) in the result or percentage of a row with
figures are a figure not given. Both are an error naming the cell; the row loads with that
figure empty. The percentage never turns a row with figures into a qualitative one.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from flows.orchestration.batch import summarise_batch
from flows.ingest.extract import SheetGrid
from flows.parse.locate import locate_table
from flows.parse.rows import TableContext, parse_table
from flows.parse.values import read_text
from flows.parse.workbook import process_workbook, table_period
from schemas.catalogues import layout

HEADER = ["STT", "Các chỉ tiêu", "Mục tiêu", "Thực hiện", "Tỷ lệ %"]
COLUMN = {"target": "C", "actual": "D", "reported_pct": "E"}
VALUE_FIELD = {"target": "target_low", "actual": "actual_value", "reported_pct": "reported_pct"}
GOOD_ROW = {"target": "120", "actual": "100", "reported_pct": "83"}  # 100 against 120: 83 %
FIRST_DATA_ROW = 3  # title line, header, then the rows (1-based, as Excel shows them)

# Figures that failed to read: letters for digits, doubled or dangling punctuation, dates and
# dotted groups that are not numbers, Excel errors, a number with words around it.
TYPOS = [
    "1O2", "2O19", "l00", "lOO", "O,5", "1O", "10O", "1OO%", "12o", "5 l", "Trên l0", "I.OOO",
    "12,,5", "12,,", "7.4.1", "1.5.2020", "15/6/2020", "12%%", "102 %%", "95 %/", "12-", "12/",
    "12 đến", "5-3", "1,2,3", "12 5", "#DIV/0!", "#N/A", "#VALUE!", "Đạt 100%", "khoảng 1O ha",
    "1\u00a0O2", "１Ｏ２",
]
# Words where the row's target is a number: a figure was not given.
NFD_KEPT = unicodedata.normalize("NFD", "Giữ vững")  # a verdict typed with combining accents
WORDS_FOR_A_FIGURE = ["mười hai", "chưa có số liệu", "N/A", "x", "-", "?", "Không", "Tốt", "Đạtx"]


def parse(rows: list[list[object]]):
    sheet = SheetGrid("Biểu 1", [["Số liệu tính đến hết năm 2019"], HEADER] + rows)
    location = locate_table(sheet, layout())
    return parse_table(TableContext("thong_nong", "thong_nong/x.xlsx", sheet, location, table_period(location)))


def row_with(role: str, text: object) -> list[object]:
    cells = {**GOOD_ROW, role: text}
    return ["1", "Sản lượng lương thực", cells["target"], cells["actual"], cells["reported_pct"]]


def unreadable(findings) -> list[tuple]:
    return [(f.severity, f.source_sheet, f.source_row, f.source_column, f.raw_value)
            for f in findings if f.check_name == "unreadable_figure"]


@pytest.mark.parametrize("role", ["target", "actual", "reported_pct"])
@pytest.mark.parametrize("text", TYPOS)
def test_a_figure_that_does_not_read_is_an_error_naming_the_cell(role, text):
    records, findings = parse([row_with(role, text)])
    shown = unicodedata.normalize("NFC", " ".join(text.split()))  # as the clerk sees it
    assert unreadable(findings) == [("error", "Biểu 1", FIRST_DATA_ROW, COLUMN[role], shown)]
    assert [f.check_name for f in findings] == ["unreadable_figure"]
    message = findings[0].message
    assert repr(shown) in message and "left empty" in message
    record = records[0]
    assert record["row_kind"] == "measured"  # not silently turned qualitative
    assert record[VALUE_FIELD[role]] is None
    for other in set(VALUE_FIELD) - {role}:  # the rest of the row still loads
        assert record[VALUE_FIELD[other]] is not None
    assert record[f"{role}_raw"] == shown  # the text is kept for the clerk


@pytest.mark.parametrize("role", ["actual", "reported_pct"])
@pytest.mark.parametrize("text", WORDS_FOR_A_FIGURE)
def test_words_where_the_target_is_a_number_are_an_error(role, text):
    records, findings = parse([row_with(role, text)])
    assert unreadable(findings) == [("error", "Biểu 1", FIRST_DATA_ROW, COLUMN[role], text)]
    assert "'120' is a figure" in findings[0].message
    assert records[0]["row_kind"] == "measured" and records[0][VALUE_FIELD[role]] is None


def test_a_typo_in_the_percentage_no_longer_hides_the_result():
    """The example that was seen: "1O2" in Tỷ lệ % made the row qualitative and lost 100."""
    records, findings = parse([["1", "Sản lượng", "98", "100", "1O2"]])
    assert (records[0]["row_kind"], records[0]["actual_value"], records[0]["target_low"]) == ("measured", 100, 98)
    assert unreadable(findings) == [("error", "Biểu 1", 3, "E", "1O2")]
    assert "O, l and I are not the digits" in findings[0].message and "102" not in findings[0].message


@pytest.mark.parametrize(
    ("target", "actual", "pct", "kind", "actual_value"),
    [
        ("Đảm bảo", "Đảm bảo", "Đảm bảo", "qualitative", None),  # raw/ha_quang row 45
        ("18", "Giữ vững", "100", "qualitative", None),  # row 44: a verdict against a figure
        ("4 bậc", "04 bậc", "Đạt", "measured", 4),  # row 43: "Đạt" as the percentage
        ("Đạt", "Đạt", None, "qualitative", None),
        ("100%", "Hoàn thành vượt mức", None, "qualitative", None),
        ("50", "Không đạt", None, "qualitative", None),
        ("5", "đạt.", "Cơ bản đạt", "qualitative", None),
        (NFD_KEPT, NFD_KEPT, None, "qualitative", None),
        ("Đảm bảo", "Ổn định, tốt", "Tốt", "qualitative", None),  # any words answer a target in words
        ("Tăng", "12", None, "measured", 12),  # a target in words is not a figure typo
        (None, "Tốt", None, "qualitative", None),
        (None, None, "Đạt", "qualitative", None),
    ],
)
def test_qualitative_answers_still_load_without_a_finding(target, actual, pct, kind, actual_value):
    records, findings = parse([["1", "An ninh", target, actual, pct]])
    assert unreadable(findings) == []
    assert (records[0]["row_kind"], records[0]["actual_value"]) == (kind, actual_value)


def test_a_typo_in_a_qualitative_row_is_reported_too():
    records, findings = parse([["1", "An ninh", "2O19", "Giữ vững", "Đảm bảo"]])
    assert records[0]["row_kind"] == "qualitative"
    assert unreadable(findings) == [("error", "Biểu 1", 3, "C", "2O19")]


@pytest.mark.parametrize("text", ["1O", "10O", "1OO%", "12%%", "12,,", "12-", "12/", "5 l", "12 đến", "95 %/"])
def test_the_grammar_does_not_read_a_number_out_of_a_typo(text):
    assert read_text(text).kind == "text"


@pytest.mark.parametrize("text", ["12.", "5 lít", "18%/năm", "1%/ năm", "12 - 15", "Trên 70%(738)", "9,2‰",
                                  "1.020/750", "80% trở lên", "từ 650 đến 700 ha", "12 tấn", "500 ha..."])
def test_units_and_ranges_still_read(text):
    assert read_text(text).is_numeric


def test_in_a_workbook_the_row_loads_with_the_figure_empty_and_the_file_is_named(tmp_path: Path):
    """The whole path on a written .xlsx in the Hà Quảng layout (a unit column): one error per
    lost figure, naming file, sheet, row and column; the rows load with that figure empty."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Phụ lục"
    sheet.append(["Ước thực hiện đến hết năm 2020"])
    sheet.append(["TT", "Chỉ tiêu", "Đơn vị tính", "Mục tiêu", "Kết quả", "% so với mục tiêu"])
    sheet.append([1, "Sản lượng lương thực", "tấn", 17000, "17.5OO", 103])
    sheet.append([2, "Tỷ lệ hộ dùng điện", "%", 95, 97, "1O2"])
    sheet.append([3, "Số xã đạt chuẩn", "xã", 10, "mười", None])
    sheet.append([4, "Đảm bảo an ninh", None, "Đảm bảo", "Đảm bảo", "Đạt"])
    path = tmp_path / "ha_quang" / "bao_cao.xlsx"
    path.parent.mkdir()
    workbook.save(path)

    result = process_workbook(path, tmp_path)
    batch = summarise_batch([result])

    errors = batch.findings[batch.findings["check_name"] == "unreadable_figure"]
    assert sorted(zip(errors.source_file, errors.source_sheet, errors.source_row, errors.source_column,
                      errors.raw_value, errors.severity)) == [
        ("ha_quang/bao_cao.xlsx", "Phụ lục", 3, "E", "17.5OO", "error"),
        ("ha_quang/bao_cao.xlsx", "Phụ lục", 4, "F", "1O2", "error"),
        ("ha_quang/bao_cao.xlsx", "Phụ lục", 5, "E", "mười", "error"),
    ]
    rows = batch.rows.set_index("source_row")
    assert list(rows.index) == [3, 4, 5, 6]  # every row loads
    assert rows.loc[3, "actual_value"] != rows.loc[3, "actual_value"] and rows.loc[3, "target_low"] == 17000
    assert rows.loc[4, "actual_value"] == 97 and rows.loc[4, "reported_pct"] != rows.loc[4, "reported_pct"]
    assert list(rows["row_kind"]) == ["measured", "measured", "measured", "qualitative"]


digit_typo = st.text(alphabet=st.sampled_from(list("0123456789OolI.,%-/ đếnĐạtrê()")), min_size=1, max_size=14) \
    .filter(lambda t: any(c.isdigit() for c in t))
other_cell = st.sampled_from([None, "120", "7,40", "> 95", "650-700", "17.68", "Đạt", "Giữ vững", "Đảm bảo", "Tốt",
                              95.0])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["target", "actual", "reported_pct"]), digit_typo, other_cell, other_cell)
def test_any_text_with_a_digit_ends_as_a_number_or_a_finding_on_its_cell(role, text, first, second):
    others = iter([first, second])
    cells = {r: text if r == role else next(others) for r in ("target", "actual", "reported_pct")}
    records, findings = parse([["1", "Chỉ tiêu", cells["target"], cells["actual"], cells["reported_pct"]]])
    record = records[0]
    on_cell = [f for f in findings if (f.source_row, f.source_column) == (FIRST_DATA_ROW, COLUMN[role])]
    assert record[VALUE_FIELD[role]] is not None or on_cell, (cells, record, findings)
    if role == "actual":  # a result with digits is a figure: the row never turns qualitative
        assert record["row_kind"] == "measured"
