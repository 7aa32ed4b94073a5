import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.parse.values import read_cell, read_text


@pytest.mark.parametrize(
    ("text", "kind", "numbers", "unit", "note"),
    [
        ("7,40", "exact", [7.4], "", ""),
        ("650-700", "range", [650, 700], "", ""),
        ("1,5-2", "range", [1.5, 2], "", ""),
        ("0,2-2,0", "range", [0.2, 2.0], "", ""),
        ("> 95", "at_least", [95], "", ""),
        (">70", "at_least", [70], "", ""),
        ("Trên 70%(738)", "at_least", [70], "%", "738"),
        (">13.000 tấn", "at_least", [13000], "tấn", ""),
        ("dưới 5%", "at_most", [5], "%", ""),
        ("80% trở lên", "at_least", [80], "%", ""),
        ("5 % trở xuống", "at_most", [5], "%", ""),
        ("từ 650 đến 700 ha", "range", [650, 700], "ha", ""),
        ("khoảng 500 ha", "exact", [500], "ha", ""),
        ("≥ 95", "at_least", [95], "", ""),
        ("21 triệu đồng/năm", "exact", [21], "triệu đồng/năm", ""),
        ("110 đảng viên/năm", "exact", [110], "đảng viên/năm", ""),
        ("18%/năm", "exact", [18], "%/năm", ""),
        ("1%/ năm", "exact", [1], "%/năm", ""),
        ("112%", "exact", [112], "%", ""),
        ("1.020/750", "ratio", [1020, 750], "", ""),
        ("05 trường", "exact", [5], "trường", ""),
        ("04 bậc", "exact", [4], "bậc", ""),
        ("Đảm bảo", "text", [], "", ""),
        ("Giữ vững", "text", [], "", ""),
        ("Đạt", "text", [], "", ""),
        ("", "empty", [], "", ""),
        ("  \u00a0 ", "empty", [], "", ""),
    ],
)
def test_cell_grammar(text, kind, numbers, unit, note):
    reading = read_text(text)
    assert reading.kind == kind
    assert [t.candidates[0] for t in reading.numbers] == pytest.approx(numbers)
    assert reading.unit_text == unit
    assert reading.note == note


def test_numeric_cells_are_exact_and_never_ambiguous():
    reading = read_cell(17889.0)
    assert reading.kind == "exact" and reading.raw == "17889"
    assert reading.numbers[0].candidates == (17889.0,) and reading.numbers[0].ambiguity is None
    assert read_cell(True).kind == "text"
    assert read_cell(None).kind == "empty"


def test_nfd_text_reads_like_nfc():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "21 triệu đồng/năm")
    assert read_text(nfd).unit_text == "triệu đồng/năm"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-–/%() >+<ĐđtrênướcDưới aăâ\u00a0\u0301")), max_size=40))
def test_no_text_crashes_the_grammar(text):
    reading = read_text(text)
    assert reading.kind in {"empty", "exact", "at_least", "at_most", "range", "ratio", "text"}
    for token in reading.numbers:
        assert token.candidates


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_no_unicode_text_crashes_the_grammar(text):
    read_text(text)


def test_a_text_read_twice_gives_equal_readings_with_tokens_of_their_own():
    """Readings are remembered per text, but rows tell tokens apart by identity."""
    first, second = read_text("17.68 tấn"), read_text("17.68 tấn")
    assert first == second and first.numbers[0].is_ambiguous
    assert first.numbers[0] is not second.numbers[0]


@pytest.mark.parametrize(("text", "kind", "strict"), [
    ("Trên 70%(738)", "at_least", True), (">40 triệu đồng/ha", "at_least", True), ("hơn 3", "at_least", True),
    ("vượt 10%", "at_least", True), ("≥ 95", "at_least", False), (">= 95", "at_least", False),
    ("từ 650 trở lên", "at_least", False), ("80% trở lên", "at_least", False), ("ít nhất 5", "at_least", False),
    ("tối thiểu 5", "at_least", False), ("không dưới 5", "at_least", False),
    ("dưới 5%", "at_most", True), ("<2", "at_most", True), ("không quá 2", "at_most", False),
    ("tối đa 2", "at_most", False), ("≤ 2", "at_most", False), ("không vượt quá 2%", "at_most", False),
    ("5", "exact", None), ("650-700", "range", None),
])
def test_bounds_record_whether_they_are_strict(text, kind, strict):
    reading = read_text(text)
    assert (reading.kind, reading.strict) == (kind, strict)
