"""Locating and parsing tables given as small in-memory grids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.ingest.extract import SheetGrid
from flows.parse.locate import HeaderError, locate_table, locate_tables
from flows.parse.period import read_period
from flows.parse.rows import TableContext, parse_table
from flows.parse.workbook import table_period
from schemas.catalogues import layout

HEADER = ["STT", "Các chỉ tiêu", "Mục tiêu", "Thực hiện", "Tỷ lệ %"]


def parse(rows: list[list[object]], title: list[str] = ("Số liệu tính đến hết năm 2019",)):
    sheet = SheetGrid("S", [[t] for t in title] + [HEADER] + rows)
    location = locate_table(sheet, layout())
    period = table_period(location)
    return parse_table(TableContext("thong_nong", "thong_nong/x.xlsx", sheet, location, period))


def test_row_kinds_and_parents():
    records, findings = parse([
        ["1", "Chỉ tiêu văn hóa:", None, None, None],
        [None, "+ Làng văn hóa", ">55%", "94", "170"],
        ["2", "An ninh", "Đảm bảo", "Đảm bảo", "Đạt"],
        [None, None, None, None, None],
        ["--", "--", "---", "---", "--"],
    ])
    assert [(r["row_kind"], r["parent_label"]) for r in records] == [
        ("group", None), ("measured", "Chỉ tiêu văn hóa:"), ("qualitative", None)]
    assert findings == []
    assert records[1]["source_row"] == 4 and records[1]["unit"] == "percent"


def test_figures_without_a_label_are_an_error_naming_the_cell():
    records, findings = parse([[None, None, "50%", "60", "120"]])
    assert records == []
    assert [(f.check_name, f.severity, f.source_row, f.source_column) for f in findings] == [
        ("missing_label", "error", 3, "B")]


def test_an_ambiguous_number_without_evidence_is_left_empty_and_flagged():
    records, findings = parse([["1", "Sản lượng", None, "13.10", None]])
    assert records[0]["actual_value"] is None
    assert [f.check_name for f in findings] == ["ambiguous_number"]
    assert "13.10" in findings[0].message


def test_magnitude_resolves_when_no_percentage_is_given():
    records, _ = parse([["1", "Học viên", "800 người", "1.95", None]])
    assert records[0]["actual_value"] == 1950


@pytest.mark.parametrize(
    ("target", "actual", "pct", "expected", "flagged"),
    [
        ("1.500 tấn", "1,466", "98", 1466, True),  # English thousands comma contradicted by 98 %
        ("2 tấn", "1,466", "73", 1.466, False),  # the local decimal reading fits: no flag
        ("20 tấn", "17.889", "89", 17.889, True),  # English decimal dot, only reading that fits
        ("17.000 tấn", "17.889", "105", 17889, False),
    ],
)
def test_english_convention_only_when_the_row_demands_it(target, actual, pct, expected, flagged):
    records, findings = parse([["1", "Sản lượng", target, actual, pct]])
    assert records[0]["actual_value"] == pytest.approx(expected)
    assert [f.check_name for f in findings] == (["ambiguous_number"] if flagged else [])


def test_two_columns_for_one_role_is_rejected_not_guessed():
    sheet = SheetGrid("S", [["STT", "Chỉ tiêu", "Mục tiêu", "Thực hiện 2019", "Thực hiện 2020"]])
    with pytest.raises(HeaderError, match="matches several columns"):
        locate_table(sheet, layout())


@pytest.mark.parametrize("actual", ["12,1 nghìn tấn", "12.100½", "15²", "13.100 tấn khô"])
def test_words_after_a_figure_that_are_no_unit_leave_it_empty_with_an_error(actual):
    """A scale word or a mark changes the figure: never read in the row's unit without a word."""
    records, findings = parse([["1", "Sản lượng lương thực", ">12.000 tấn", actual, None]])
    assert records[0]["actual_value"] is None and records[0]["actual_raw"] == actual
    assert [(f.check_name, f.severity, f.source_column) for f in findings] == [("unreadable_figure", "error", "D")]
    assert "no unit the catalogue knows" in findings[0].message


@pytest.mark.parametrize("actual", ["13.100 tấn", "13.100", "94 %"])
def test_a_figure_in_the_rows_unit_or_a_catalogue_unit_is_read(actual):
    records, findings = parse([["1", "Sản lượng lương thực", ">12.000 tấn", actual, None]])
    assert records[0]["actual_value"] is not None
    assert "unreadable_figure" not in [f.check_name for f in findings]


@pytest.mark.parametrize(("label", "target", "actual", "foreign"), [
    ("Thu nhập bình quân đầu người", "21 triệu đồng/người/năm", "0,021 tỷ đồng", True),
    ("Tỷ lệ che phủ rừng", "50%", "47,5 ha", True),
    ("Kết nạp đảng viên", "150 đảng viên", "123 %", True),
    ("Số xã đạt chuẩn nông thôn mới", "10 xã", "90%", False),  # a share of the communes: it converts
    ("Tỷ lệ che phủ rừng", "50%", "47,5%", False),
])
def test_a_figure_in_a_unit_that_does_not_convert_to_its_rows_is_flagged(label, target, actual, foreign):
    records, findings = parse([["1", label, target, actual, None]])
    flagged = [(f.check_name, f.severity, f.source_column) for f in findings if f.check_name == "figure_unit_differs"]
    assert flagged == ([("figure_unit_differs", "warning", "D")] if foreign else [])
    assert records[0]["actual_value"] is not None  # kept, in its own unit (actual_unit), never judged as the row's


def test_a_repeated_header_starts_a_table_of_its_own_with_its_title():
    sheet = SheetGrid("S", [
        ["Số liệu tính đến hết năm 2019"], HEADER,
        ["1", "Làng văn hóa", ">55%", "94", "170"],
        [None, "Tỷ lệ hộ nghèo", "Giảm theo kế hoạch", "Thực hiện tốt", "Đạt"],  # names columns by chance
        [], ["Số liệu tính đến hết năm 2020"], [],
        ["Thực hiện", "Chỉ tiêu", "TT", "Kế hoạch"],
        ["96", "Làng văn hóa", "1", ">55%"],
    ])
    first, second = locate_tables(sheet, layout()).tables
    assert (first.data_start, first.body_end(sheet), second.header_row, second.data_start) == (2, 5, 7, 8)
    assert second.columns == {"actual": 0, "label": 1, "row_number": 2, "target": 3}
    assert [str(table_period(t).end) for t in (first, second)] == ["2019-12-31", "2020-12-31"]
    records = [parse_table(TableContext("ha_quang", "ha_quang/x.xlsx", sheet, t, table_period(t)))[0]
               for t in (first, second)]
    assert [[(r["row_label"], r["actual_raw"]) for r in rs] for rs in records] == [
        [("Làng văn hóa", "94"), ("Tỷ lệ hộ nghèo", "Thực hiện tốt")], [("Làng văn hóa", "96")]]


def test_a_dated_title_pasted_right_under_a_table_starts_a_table_of_its_own():
    """No blank row between: the title's own period tells it from a section row, which stays a row."""
    sheet = SheetGrid("S", [["Số liệu tính đến hết năm 2021"], HEADER, ["1", "Độ che phủ rừng", "50", "55", "110"],
                            ["Số liệu tính đến hết năm 2020"], HEADER, ["1", "Độ che phủ rừng", "50", "40", "80"],
                            ["Chỉ tiêu văn hóa:"], HEADER, ["+ Làng văn hóa", None, ">55%", "94", "170"]])
    first, second = locate_tables(sheet, layout()).tables
    assert [str(table_period(t).end) for t in (first, second)] == ["2021-12-31", "2020-12-31"]
    assert (first.body_end(sheet), second.header_row, sorted(second.repeated_header_rows)) == (3, 4, [7])


def test_a_header_below_a_table_lacking_a_column_is_not_read_as_its_rows():
    """"STT | Chỉ tiêu | Kết quả năm 2014": its results must not load as the table above's targets."""
    sheet = SheetGrid("S", [HEADER, ["1", "Độ che phủ rừng", "50", "55", "110"],
                            ["STT", "Chỉ tiêu", "Kết quả năm 2014"], ["1", "Độ che phủ rừng", "40"]])
    located = locate_tables(sheet, layout())
    assert [t.body_end(sheet) for t in located.tables] == [2] and [row for row, _ in located.unrecognised] == [2]


def test_a_header_below_a_table_that_cannot_be_trusted_ends_the_table():
    sheet = SheetGrid("S", [HEADER, ["1", "Làng văn hóa", ">55%", "94", "170"],
                            ["TT", "Chỉ tiêu", "Mục tiêu", "Số liệu năm", "Tỷ lệ %"], ["1", "Làng văn hóa", ">55%", "96", "174"]])
    located = locate_tables(sheet, layout())
    assert [t.body_end(sheet) for t in located.tables] == [2]
    assert [row for row, _ in located.unrecognised] == [2]
    assert "no column for 'Thực hiện / Kết quả'" in located.unrecognised[0][1]


@pytest.mark.parametrize(
    ("texts", "end", "estimate", "assumed"),
    [
        (["Ước thực hiện đến hết năm 2020"], "2020-12-31", True, False),
        (["Thực hiện", "huyện Thông Nông cũ, số liệu tính đến hết năm 2019"], "2019-12-31", False, False),
        (["Kết quả", "giai đoạn 2015- 2020"], "2020-12-31", False, True),
        (["Thực hiện", "Báo cáo ngày tháng 6 năm 2020"], None, False, False),
    ],
)
def test_period_from_header_and_title(texts, end, estimate, assumed):
    period = read_period(texts)
    assert (str(period.end) if period.end else None, period.is_estimate, period.assumed) == (end, estimate, assumed)


cell = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**12, 10**12),
    st.booleans(),
    st.text(alphabet=st.sampled_from(list("0123456789.,-/%> ()abcĐđêươ")), max_size=12),
    st.sampled_from(HEADER + ["Kết quả", "ĐVT", "Đơn vị tính", "% so với mục tiêu"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(cell, min_size=0, max_size=7), min_size=0, max_size=12))
def test_arbitrary_grids_parse_or_are_cleanly_rejected(rows):
    sheet = SheetGrid("S", rows)
    try:
        located = locate_tables(sheet, layout())
    except HeaderError:
        return
    read_up_to = 0
    for location in located.tables:
        assert read_up_to <= location.header_row < location.data_start <= location.body_end(sheet)
        read_up_to = location.body_end(sheet)  # tables never overlap
        period = table_period(location)
        records, findings = parse_table(TableContext("ha_quang", "ha_quang/x.xlsx", sheet, location, period))
        assert all(r["row_label"] for r in records)
        assert all(f.severity in {"error", "warning"} and f.message for f in findings)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cell, min_size=5, max_size=5), min_size=1, max_size=10))
def test_arbitrary_rows_under_a_real_header_parse(rows):
    sheet = SheetGrid("S", [HEADER] + rows)
    location = locate_table(sheet, layout())
    period = table_period(location)
    records, findings = parse_table(TableContext("ha_quang", "ha_quang/x.xlsx", sheet, location, period))
    assert len(records) <= len(rows)
