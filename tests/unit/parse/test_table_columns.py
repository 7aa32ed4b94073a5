"""The column-wise reading of a batch's tables against the row-by-row reading it replaces.

The loader reads the rows of a batch's tables at once (flows/parse/table_columns.py); parse_table
(flows/parse/rows.py) reads a table a row at a time, every row with the full judgement of its
numbers, and is the reference. Every table here is read both ways, and the records and findings
must be the same: over generated cell texts, sheet facts and tables read together, and over
whole workbooks of raw/ and a synthetic corpus.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.synth import write_corpus
from bench.xlsx_writer import xlsx_bytes
from flows.ingest.extract import SheetGrid
from flows.ingest.guard import SheetFacts
from flows.parse import table_columns, workbook
from flows.parse.locate import locate_table
from flows.parse.numbers import format_number
from flows.parse.rows import RECORD_FIELDS, TableContext, parse_table
from flows.parse.table_columns import TablesRead, read_tables
from flows.parse.workbook import WorkbooksRead, process_workbook, read_workbooks, table_period
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


def read_both_ways(*contexts: TableContext) -> tuple[list, list]:
    """[(records, findings) of each table] as the loader reads them together, and as parse_table
    reads each alone; records as parse_table makes them (a missing value None)."""
    read = read_tables(list(contexts))
    records = [{name: None if isinstance(value, float) and np.isnan(value) else value for name, value in r.items()}
               for r in read.rows.to_dict("records")]
    loader = [([r for r, t in zip(records, read.tables) if t == i], read.findings[i]) for i in range(len(contexts))]
    return loader, [parse_table(ctx) for ctx in contexts]


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


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(table_rows, st.sampled_from([5, 1]), st.one_of(st.just(SheetFacts()), sheet_facts)),
                min_size=1, max_size=3))
def test_generated_tables_read_together_read_as_each_alone_row_by_row(tables):
    contexts = [context(body, facts, title="Kết quả năm 2019" if plan_years == 1 else
                        "Kết quả thực hiện giai đoạn 2015-2020 (số liệu tính đến hết năm 2019)")
                for body, plan_years, facts in tables]
    loader, reference = read_both_ways(*contexts)
    assert loader == reference


styles = st.sampled_from(["local", "english", "bare"])


@st.composite
def consistent_rows(draw):
    """A row whose percentage is its result over its target, each number written in any
    convention: the rows where the percentage decides between readings ("17.889" against 20 and 89,4 %)."""
    target = round(draw(st.floats(0.5, 50_000)), draw(st.integers(0, 3)))
    share = draw(st.floats(0.3, 2.0))
    actual = round(target * share, draw(st.integers(0, 3)))
    written = _written(target, draw(styles))
    target_text = draw(st.sampled_from([written, f"> {written}", f"trên {written}", f"dưới {written}",
                                        f"{written} trở lên", f"{written} - {_written(target * 1.1, 'local')}"]))
    return ["1", draw(st.sampled_from(LABELS)), draw(st.sampled_from(UNITS)), target_text,
            _written(actual, draw(styles)), _written(round(share * 100, 1), draw(styles))]


@settings(max_examples=400, deadline=None)
@given(st.lists(consistent_rows(), min_size=1, max_size=4))
def test_rows_whose_percentage_decides_read_as_row_by_row(body):
    loader, reference = read_both_ways(context(body))
    assert loader == reference


@pytest.mark.parametrize("row", [
    ["1", "Sản lượng", "tấn", "20", "17.889", "89,4"],  # English decimals: only 17.889 gives 89,4 %
    ["1", "Sản lượng", "tấn", "20", "17.889", "89.445"],  # the local reading is the one the percentage confirms
    ["1", "Sản lượng", "tấn", "1,466", "1.466", "100"],
])
def test_a_number_the_percentage_may_read_the_english_way_reads_as_row_by_row(row):
    loader, reference = read_both_ways(context([row]))
    assert loader == reference


def test_rows_with_sheet_facts_get_the_full_reading():
    body = [["1", "Sản lượng lương thực", "tấn", "2.000", "2.100", "105"],
            ["2", "Độ che phủ rừng", "%", "60", "61,5", "102,5"]]
    facts = SheetFacts(formulas_without_value={(3, 4)}, hidden_rows={2})
    loader, reference = read_both_ways(context(body, facts))
    assert loader == reference
    assert [f.check_name for f in loader[0][1]] == ["hidden_row", "formula_without_value"]


def test_sub_rows_take_their_parent_from_their_own_table():
    first = context([["1", "Giá trị sản xuất nông nghiệp/ha", "triệu đồng", "50", "55", "110"],
                     [None, "- Vùng thấp", "triệu đồng", "40", "41", "102,5"]])
    second = context([[None, "- Vùng cao", "triệu đồng", "30", "31", "103,3"]])
    loader, reference = read_both_ways(first, second)
    assert loader == reference
    assert [r["parent_label"] for r in loader[0][0]] == [None, "Giá trị sản xuất nông nghiệp/ha"]
    assert loader[1][0][0]["parent_label"] is None


def test_the_record_fields_are_those_of_a_record():
    records, _ = parse_table(context([["1", "Sản lượng lương thực", "tấn", "2.000", "2.100", "105"]]))
    assert tuple(records[0]) == RECORD_FIELDS


def test_most_rows_of_the_districts_tables_need_no_judgement(monkeypatch):
    judged = []
    read_row = table_columns.read_row
    monkeypatch.setattr(table_columns, "read_row", lambda *args: judged.append(1) or read_row(*args))
    records = sum(len(process_workbook(path, RAW).records) for path in sorted(RAW.rglob("*.xlsx")))
    assert 0 < len(judged) < records * 0.3  # the column-wise rules read most rows, judgement the doubtful ones


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """raw/ and a synthetic corpus of both layouts (rescaled results, number cells, extra columns)."""
    out = tmp_path_factory.mktemp("corpus")
    write_corpus(60, out, RAW, seed=7)
    return [(path, RAW) for path in sorted(RAW.rglob("*.xlsx"))] + [(path, out) for path in sorted(out.rglob("*.xlsx"))]


def _outcome(result) -> tuple:
    return (result.loaded, result.pending, result.records,
            [(f.check_name, f.severity, f.source_sheet, f.source_row, f.source_column, f.message)
             for f in result.findings])


def _row_by_row(contexts) -> TablesRead:
    """The reference reader in the loader's place: parse_table, table by table."""
    parsed = [parse_table(ctx) for ctx in contexts]
    return TablesRead(pd.DataFrame.from_records([r for records, _ in parsed for r in records], columns=RECORD_FIELDS),
                      np.repeat(np.arange(len(parsed)), [len(records) for records, _ in parsed]),
                      [findings for _, findings in parsed])


def test_whole_workbooks_load_as_row_by_row(corpus, monkeypatch):
    loader = [_outcome(process_workbook(path, root)) for path, root in corpus]
    monkeypatch.setattr(workbook, "read_tables", _row_by_row)
    assert loader == [_outcome(process_workbook(path, root)) for path, root in corpus]
    assert sum(len(records) for _, _, records, _ in loader) > 1000


def test_workbooks_read_as_one_batch_read_as_each_alone(corpus):
    for root in {root for _, root in corpus}:
        files = [(path, None) for path, at in corpus if at == root]
        batch = read_workbooks(files, root)
        for index, result in enumerate(batch.results):
            result.rows = batch.rows_of(index)
        assert [_outcome(r) for r in batch.results] == [_outcome(process_workbook(path, root)) for path, _ in files]


def test_a_row_twice_in_one_workbook_is_rejected_there_only(tmp_path):
    rows = [["Kết quả thực hiện năm 2019"], ["STT", "Các chỉ tiêu", "Đơn vị tính", "Mục tiêu", "Thực hiện", "Tỷ lệ %"],
            ["1", "Sản lượng lương thực", "tấn", "2.000", "2.100", "105"],
            ["2", "Độ che phủ rừng", "%", "60", "61,5", "102,5"]]
    for name, body in (("twice.xlsx", rows + [rows[2]]), ("once.xlsx", rows)):
        (tmp_path / "ha_quang").mkdir(exist_ok=True)
        (tmp_path / "ha_quang" / name).write_bytes(xlsx_bytes([("S", body, [])]))
    read = read_workbooks([(tmp_path / "ha_quang" / name, None) for name in ("twice.xlsx", "once.xlsx")], tmp_path)
    twice, once = read.results
    assert [f.source_row for f in twice.findings if f.check_name == "duplicate_indicator_row"] == [3, 5]
    assert not any(f.check_name == "duplicate_indicator_row" for f in once.findings)
    assert read.rows_of(0)["row_label"].tolist() == ["Độ che phủ rừng"]
    assert read.rows_of(1)["row_label"].tolist() == ["Sản lượng lương thực", "Độ che phủ rừng"]


def test_a_batch_whose_rows_fail_the_reader_is_read_a_workbook_at_a_time(corpus, monkeypatch):
    files = [(path, None) for path, root in corpus if root == RAW]
    victim = files[0][0].relative_to(RAW).as_posix()

    def fails_on_the_victim(contexts):
        if any(ctx.source_file == victim for ctx in contexts):
            raise MemoryError("simulated")
        return read_tables(contexts)

    monkeypatch.setattr(workbook, "read_tables", fails_on_the_victim)
    read = read_workbooks(files, RAW)
    assert [(r.loaded, r.pending) for r in read.results] == [(False, True)] + [(True, False)] * (len(files) - 1)
    assert read.results[0].findings[0].check_name == "processing_failed"
    assert set(read.workbook.tolist()) == set(range(1, len(files)))


def test_workbooks_read_alone_summarise_as_the_batch_they_were_read_in(corpus):
    from flows.orchestration.batch import summarise_batch

    for root in {root for _, root in corpus}:
        files = [(path, None) for path, at in corpus if at == root]
        together = summarise_batch(read_workbooks(files, root))
        alone = summarise_batch([process_workbook(path, root) for path, _ in files])
        for part in ("rows", "findings", "events"):  # a column's type follows the rows framed together
            assert _values(getattr(together, part)) == _values(getattr(alone, part))


def _values(frame: pd.DataFrame) -> list[dict]:
    return [{name: None if pd.isna(value) else value for name, value in row.items()}
            for row in frame.astype(object).to_dict("records")]


def test_workbooks_read_one_by_one_keep_their_rows_apart(tmp_path):
    rejected = tmp_path / "ha_quang" / "notes.txt"
    rejected.parent.mkdir()
    rejected.write_text("not a workbook")
    files = [rejected, *sorted(RAW.rglob("*.xlsx"))]
    results = [process_workbook(path, tmp_path if path == rejected else RAW) for path in files]
    together = WorkbooksRead.of(results)
    assert not results[0].loaded and together.rows_of(0).empty
    for index, result in enumerate(results[1:], start=1):
        assert together.rows_of(index)["source_row"].tolist() == [r["source_row"] for r in result.records]


def test_a_negative_zero_keeps_its_sign_beside_a_zero():
    import math

    ctx = context([["1", "Sản lượng lương thực", "tấn", 0.0, -0.0, 0.0], ["2", "Độ che phủ rừng", "%", -0.0, 0.0, -0.0]])
    loader, reference = read_both_ways(ctx)
    signs = [[math.copysign(1.0, r[f]) for f in ("target_low", "actual_value", "reported_pct")] for r in loader[0][0]]
    assert signs == [[math.copysign(1.0, r[f]) for f in ("target_low", "actual_value", "reported_pct")]
                     for r in reference[0][0]]
    assert signs == [[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]]


def test_a_result_formula_never_calculated_is_said_once_by_its_error_not_again_as_an_empty_result():
    """The error says the cell has no figure; a warning that the result is empty would say it twice."""
    body = [["1", "Sản lượng lương thực", "tấn", "2.000", None, None]]
    assert [f.check_name for f in parse_table(context(body))[1]] == ["missing_value"]  # a blank result
    unevaluated = SheetFacts(formulas_without_value={(2, 4)})  # its first row's result cell (E)
    loader, reference = read_both_ways(context(body, unevaluated))
    assert loader == reference
    assert [(f.check_name, f.source_column) for f in loader[0][1]] == [("formula_without_value", "E")]
