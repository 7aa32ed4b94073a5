import pytest

from flows.parse.numbers import format_number, parse_number


@pytest.mark.parametrize(
    ("text", "candidates", "flagged"),
    [
        ("7", (7.0,), False),
        ("01", (1.0,), False),
        ("7,40", (7.4,), False),  # comma decimal: the local way, no flag
        ("17.889", (17889.0,), False),  # dot thousands
        ("13.000", (13000.0,), False),
        ("1.020", (1020.0,), False),
        ("1 500", (1500.0,), False),  # space thousands
        ("1.234.567,5", (1234567.5,), False),
        ("17.68", (17.68, 17680.0), True),  # a thousands group lost a digit, or a decimal dot
        ("1.95", (1.95, 1950.0), True),
        ("13.10", (13.1, 13100.0), True),
        ("21.00", (21.0, 21000.0), True),
        ("70.0", (70.0, 70000.0), True),
        ("3.1416", (3.1416,), True),  # clearly a decimal dot, still not the local way
        ("1,234,567", (1234567.0,), True),
        ("-2,5", (-2.5,), False),
    ],
)
def test_number_readings(text, candidates, flagged):
    token = parse_number(text)
    assert token is not None
    assert token.candidates == pytest.approx(candidates)
    assert (token.ambiguity is not None) == flagged


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "12,3,4", "1..2", "5%", "--"])
def test_not_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(("value", "shown"), [(17889, "17.889"), (7.4, "7,4"), (-0.5, "-0,5"), (1e6, "1.000.000")])
def test_format_number_local_style(value, shown):
    assert format_number(value) == shown
