"""The plain-row path against the full reading it shortcuts.

flows/parse/rows.py reads most rows through plain_row, which skips the ambiguity machinery of
_parse_row; _parse_row stays the reference. Every table here is parsed twice, once as the loader
does and once with plain_row switched off, and the records and findings must be the same.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synth import write_corpus
from flows.ingest.extract import SheetGrid
from flows.ingest.guard import SheetFacts
from flows.parse import rows
from flows.parse.locate import locate_table
from flows.parse.numbers import format_number
from flows.parse.rows import TableContext, parse_table
from flows.parse.workbook import process_workbook, table_period
from schemas.catalogues import layout
from tests.conftest import RAW

HEADER = ["STT", "Các chỉ tiêu", "Đơn vị tính", "Mục tiêu", "Thực hiện", "Tỷ lệ %"]

# What clerks type in figure cells: plain and ambiguous numbers, both conventions, bounds,
# ranges, compound figures, units and percentages in the cell, verdicts and other words.
CELL_TEXTS = [
    "1.250", "1,250", "87,5", "95%", "95 %", "> 90", ">= 90%", "trên 80", "dưới 5", "tối thiểu 70", "70 trở lên",
    "10-12", "10 - 12 tấn", "1.020/750", "Đạt", "Không đạt", "Giữ vững", "", "  ", "17.889", "1,466", "13.10",
    "0,5", "100", "1.000.000", "2,5 triệu", "02 xã", "90%", "04 bậc", "1O2", "tăng 5%", "≥ 95", "5.5", "136",
    "-3", "+2,5", "0", "1.5.2", "12,5%", "800 người", "2.000 tấn", "khoảng 300", "300 (ước)", "35.026",
    "từ 10 đến 12", "1.234,5", "1 234", "95 (ước tính)", "5 %/năm", "#DIV/0!", "9" * 300, "Đạt " * 80,
]
LABELS = [
    "Sản lượng lương thực", "Thu nhập bình quân đầu người/năm", "Thu ngân sách trên địa bàn mỗi năm tăng trên",
    "Tỷ lệ hộ nghèo giảm mỗi năm", "Độ che phủ rừng", "Số xã đạt chuẩn nông thôn mới",
    "Giá trị sản xuất nông nghiệp/ha", "- Vùng thấp", "+ Làng văn hóa", "Số học viên 800 người trở lên",
    "Tỷ lệ trẻ em suy dinh dưỡng dưới 5 tuổi", "Tăng trưởng kinh tế bình quân trên 10 %", "Chỉ tiêu văn hóa:",
]
UNITS = ["", "%", "tấn", "triệu đồng", "Tr.đồng", "xã", "ha", "người", "bậc", "kg/người/năm", "lượt"]


def _written(value: float, style: str) -> str:
    """A number as a clerk may write it: the local way, the English way, or bare."""
    local = format_number(value)
    if style == "local":
        return local
    if style == "english":
        return local.replace(".", "\0").replace(",", ".").replace("\0", ",")
    return f"{value:g}"


numbers_as_text = st.builds(_written, st.floats(0, 2_000_000, allow_nan=False).map(lambda v: round(v, 2)),
                            st.sampled_from(["local", "english", "bare"]))
figure_cells = st.one_of(
    st.none(), st.sampled_from(CELL_TEXTS), numbers_as_text,
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**7), st.booleans(), st.dates(),
)
table_rows = st.lists(st.tuples(st.sampled_from(["1", "2", None, "a"]), st.sampled_from(LABELS + [None]),
                                st.sampled_from(UNITS), figure_cells, figure_cells, figure_cells),
                      min_size=1, max_size=6)


def context(body: list[list[object]], facts: SheetFacts | None = None,
            title: str = "Kết quả thực hiện giai đoạn 2015-2020 (số liệu tính đến hết năm 2019)") -> TableContext:
    sheet = SheetGrid("S", [[title], HEADER] + [list(row) for row in body])
    location = locate_table(sheet, layout())
    return TableContext("ha_quang", "ha_quang/x.xlsx", sheet, location, table_period(location), facts or SheetFacts())


def parsed_both_ways(ctx: TableContext, monkeypatch) -> tuple[tuple, tuple]:
    """(as the loader parses it, with plain_row switched off)."""
    loader = parse_table(ctx)
    with monkeypatch.context() as patched:
        patched.setattr(rows, "plain_row", lambda *args: None)
        reference = parse_table(ctx)
    return loader, reference


# What the guard found in the sheet's XML, for the generated rows (0-based sheet rows 2 to 7;
# columns D, E, F hold target, result and percentage).
sheet_facts = st.builds(
    lambda hidden, formulas, errors: SheetFacts(formulas_without_value=formulas, hidden_rows=hidden,
                                                error_cells=errors),
    st.sets(st.integers(2, 7), max_size=2),
    st.sets(st.tuples(st.integers(2, 7), st.integers(3, 5)), max_size=2),
    st.dictionaries(st.tuples(st.integers(2, 7), st.integers(3, 5)), st.sampled_from(["#DIV/0!", "#N/A", ""]),
                    max_size=2),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table_rows, st.sampled_from([5, 1]), st.one_of(st.just(SheetFacts()), sheet_facts))
def test_generated_rows_read_the_same_through_the_plain_path(monkeypatch, body, plan_years, facts):
    ctx = context(body, facts, title="Kết quả năm 2019" if plan_years == 1 else
                  "Kết quả thực hiện giai đoạn 2015-2020 (số liệu tính đến hết năm 2019)")
    loader, reference = parsed_both_ways(ctx, monkeypatch)
    assert loader == reference


styles = st.sampled_from(["local", "english", "bare"])


@st.composite
def consistent_rows(draw):
    """A row whose percentage is its result over its target, each number written in any
    convention: the rows where the percentage decides between readings ("17.889" against 20 and 89,4 %)."""
    target = draw(st.floats(0.5, 50_000).map(lambda v: round(v, draw(st.integers(0, 3)))))
    share = draw(st.floats(0.3, 2.0))
    actual = round(target * share, draw(st.integers(0, 3)))
    written = _written(target, draw(styles))
    target_text = draw(st.sampled_from([written, f"> {written}", f"trên {written}", f"dưới {written}",
                                        f"{written} trở lên", f"{written} - {_written(target * 1.1, 'local')}"]))
    return ["1", draw(st.sampled_from(LABELS)), draw(st.sampled_from(UNITS)), target_text,
            _written(actual, draw(styles)), _written(round(share * 100, 1), draw(styles))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(consistent_rows(), min_size=1, max_size=4))
def test_rows_whose_percentage_decides_read_the_same_through_the_plain_path(monkeypatch, body):
    loader, reference = parsed_both_ways(context(body), monkeypatch)
    assert loader == reference


@pytest.mark.parametrize("row", [
    ["1", "Sản lượng", "tấn", "20", "17.889", "89,4"],  # English decimals: only 17.889 gives 89,4 %
    ["1", "Sản lượng", "tấn", "20", "17.889", "89.445"],  # the local reading is the one the percentage confirms
    ["1", "Sản lượng", "tấn", "1,466", "1.466", "100"],
])
def test_a_number_the_percentage_may_read_the_english_way_reads_the_same(monkeypatch, row):
    loader, reference = parsed_both_ways(context([row]), monkeypatch)
    assert loader == reference


def test_the_plain_path_leaves_rows_with_sheet_facts_to_the_full_reading(monkeypatch):
    body = [["1", "Sản lượng lương thực", "tấn", "2.000", "2.100", "105"],
            ["2", "Độ che phủ rừng", "%", "60", "61,5", "102,5"]]
    facts = SheetFacts(formulas_without_value={(3, 4)}, hidden_rows={2})
    loader, reference = parsed_both_ways(context(body, facts), monkeypatch)
    assert loader == reference
    assert [f.check_name for f in loader[1]] == ["hidden_row", "formula_without_value"]


def test_most_rows_of_the_districts_tables_take_the_plain_path(monkeypatch):
    taken = []
    plain = rows.plain_row
    monkeypatch.setattr(rows, "plain_row", lambda *args: taken.append(result := plain(*args)) or result)
    for path in sorted(RAW.rglob("*.xlsx")):
        assert process_workbook(path, RAW).loaded
    assert sum(r is not None for r in taken) > len(taken) * 0.7  # the shortcut is the common case
    assert any(r is None for r in taken)  # and the doubtful rows still get the full reading


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """raw/ and a synthetic corpus of both layouts (rescaled results, number cells, extra columns)."""
    out = tmp_path_factory.mktemp("corpus")
    write_corpus(60, out, RAW, seed=7)
    return [(path, RAW) for path in sorted(RAW.rglob("*.xlsx"))] + [(path, out) for path in sorted(out.rglob("*.xlsx"))]


def test_whole_workbooks_load_the_same_through_the_plain_path(corpus, monkeypatch):
    def outcome(path, root):
        result = process_workbook(path, root)
        return result.loaded, result.records, [(f.check_name, f.severity, f.source_row, f.source_column, f.message)
                                                for f in result.findings]

    loader = [outcome(path, root) for path, root in corpus]
    monkeypatch.setattr(rows, "plain_row", lambda *args: None)
    assert loader == [outcome(path, root) for path, root in corpus]
    assert sum(len(records) for _, records, _ in loader) > 1000


def test_a_date_where_a_figure_belongs_is_never_plain():
    ctx = context([["1", "Sản lượng lương thực", "tấn", dt.date(2019, 1, 2), "2.100", "105"]])
    assert rows.plain_row(ctx, 2, {"target": dt.date(2019, 1, 2), "actual": "2.100", "reported_pct": "105"},
                          {"label": "Sản lượng lương thực", "unit": "tấn"}, None) is None
