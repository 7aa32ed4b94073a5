"""One cell's text to a structured reading: bound kind, numbers, unit words and notes.

Grammar of what these tables hold, in order of trial:
  empty                          ""
  ratio      "1.020/750"         two numbers, achieved / reference
  bounded    "> 95", "Trên 70%(738)", ">13.000 tấn", "dưới 5%", "80% trở lên"
  range      "650-700", "1,5-2", "0,2-2,0", "từ 650 đến 700"
  exact      "7,40", "21 triệu đồng/năm", "18%/năm", "05 trường", "khoảng 500 ha"
  text       "Đảm bảo", "Giữ vững"   (anything else: kept as qualitative text)

Words after a number must be unit words: "1O" (ten typed with the letter O), "12%%", "12-" or
"12," are not read as 12 with a strange unit; they stay text. Text is either words (a qualitative
answer) or, when it holds digits or digit look-alikes, a figure that could not be read
(`looks_like_figure`), which the row reports rather than guesses (flows/parse/rows.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from flows.ingest.extract import ExcelPercent
from flows.parse.numbers import NUMBER_PATTERN, NumberToken, format_number, parse_number
from flows.core.text import MAX_REMEMBERED_LENGTH, clean_text, match_key
from schemas.catalogues import verdict_words

_NUM = rf"[+-]?(?:{NUMBER_PATTERN})"
# Bound words written before the number: (kind, strict). A strict bound excludes its own number
# ("trên 70 %" is above 70, so 70 does not reach it on the letter); an inclusive one holds it
# ("≥ 70", "tối thiểu 70", "từ 70"). "không dưới" (not below) is at least; "không vượt quá" (not
# beyond) is at most. The label reader (flows/parse/label_terms.py) uses the same words.
BOUND_WORDS_BEFORE: dict[str, tuple[str, bool]] = {
    ">=": ("at_least", False), "≥": ("at_least", False), "tối thiểu": ("at_least", False),
    "ít nhất": ("at_least", False), "không dưới": ("at_least", False), "không thấp hơn": ("at_least", False),
    "từ": ("at_least", False),
    ">": ("at_least", True), "trên": ("at_least", True), "hơn": ("at_least", True), "vượt": ("at_least", True),
    "vượt quá": ("at_least", True), "cao hơn": ("at_least", True),
    "<=": ("at_most", False), "≤": ("at_most", False), "không quá": ("at_most", False),
    "không vượt quá": ("at_most", False), "tối đa": ("at_most", False),
    "<": ("at_most", True), "dưới": ("at_most", True), "thấp hơn": ("at_most", True),
}
# Written after the number ("80% trở lên": 80 % or more): always inclusive.
BOUND_WORDS_AFTER: dict[str, tuple[str, bool]] = {"trở lên": ("at_least", False), "trở xuống": ("at_most", False)}


def bound_pattern(words) -> str:
    """A regex alternation of bound words, longest first ("không vượt quá" before "vượt")."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


def bound_of(words: str, table: dict[str, tuple[str, bool]] | None = None) -> tuple[str, bool]:
    """(kind, strict) of bound words as written ("Trên" -> ("at_least", True))."""
    key = re.sub(r"\s+", " ", match_key(words).strip())
    return (table or {**BOUND_WORDS_BEFORE, **BOUND_WORDS_AFTER})[key]


_BOUND_BEFORE_WORDS = bound_pattern(BOUND_WORDS_BEFORE)
_BOUND_AFTER_WORDS = bound_pattern(BOUND_WORDS_AFTER)
_ABOUT = r"(?:khoảng|xấp xỉ|gần|~|≈)"  # an approximate figure is still the figure
_RANGE_SEP = r"(?:-|–|—|÷|đến)"
# Unit words: anything that is not a digit, a bracket or a range separator, e.g. "triệu đồng/năm", "%".
_UNIT = r"[^\d()\[\]]*?"
_NOTE = r"(?:\(\s*(?P<note>[^)]*)\)|\[\s*(?P<note2>[^\]]*)\])?"

_RATIO = re.compile(rf"^(?P<a>{_NUM})\s*/\s*(?P<b>{_NUM})\s*(?P<unit>{_UNIT})\s*$", re.I)
_BOUNDED = re.compile(
    rf"^(?P<op>{_BOUND_BEFORE_WORDS})\s*(?P<a>{_NUM})\s*(?P<unit>{_UNIT})\s*{_NOTE}\s*$", re.I
)
_BOUNDED_AFTER = re.compile(
    rf"^(?P<a>{_NUM})\s*(?P<unit>{_UNIT})\s*(?P<op>{_BOUND_AFTER_WORDS})\s*{_NOTE}\s*$", re.I
)
_RANGE = re.compile(
    rf"^(?:từ\s*)?(?P<a>{_NUM})\s*(?P<unit_a>{_UNIT})\s*{_RANGE_SEP}\s*(?P<b>{_NUM})\s*(?P<unit>{_UNIT})\s*{_NOTE}\s*$",
    re.I,
)
_EXACT = re.compile(rf"^(?:{_ABOUT}\s*)?(?P<a>{_NUM})\s*(?P<unit>{_UNIT})\s*{_NOTE}\s*$", re.I)
MAX_VALUE_LENGTH = 120

# Letters typed for digits: O/o for 0, l/I/| for 1. A unit word made only of them ("1O", "5 l",
# "1OO%") is a digit typo, not a unit; no unit in schemas/units.csv is spelled that way.
_LOOK_ALIKES = "OoIl|"
_LOOK_ALIKE_UNIT = re.compile(rf"^\s*[{_LOOK_ALIKES}]+(?![^\W\d_])")
# Unit text that is broken number punctuation: doubled ("12%%", "12,,") or left dangling by a
# lost number ("12-", "12/", "12,", "12 đến").
_BROKEN_UNIT = re.compile(r"([%,/\-–÷])\1|^\s*\.\.|^\s*[,\-–÷]|[,/\-–÷]\s*$|^\s*đến\s*$", re.I)
# Text made only of digit look-alikes and number punctuation: "lOO", "O,5", "I.OOO".
_LOOK_ALIKE_NUMBER = re.compile(rf"^[+-]?[{_LOOK_ALIKES}][{_LOOK_ALIKES}\d.,\s]*%?$")
# What Excel shows for a formula that failed; a figure belongs there.
EXCEL_ERRORS = "#DIV/0!, #N/A, #VALUE!, #REF!, #NAME?, #NUM!, #NULL!"  # the common ones, for messages
_EXCEL_ERROR = re.compile(r"^#(?:N/A|VALUE!|REF!|NAME\?|DIV/0!|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)$", re.I)
_DIGIT = re.compile(r"\d")
# A look-alike letter alone, or beside a digit or number punctuation: "1O2", "l00", "5 l".
_LOOK_ALIKE_DIGIT = re.compile(
    rf"(?<![^\W\d_])[{_LOOK_ALIKES}]+(?![^\W\d_])|(?<=[\d.,])[{_LOOK_ALIKES}]|[{_LOOK_ALIKES}](?=[\d.,])"
)

# Words that answer a target without a figure: attained or not, maintained, ensured, completed
# (the catalogue schemas/verdict_words.csv, which also says what each means for the target).
# A result or percentage cell may hold one of these (or a phrase starting with one) even when the
# target is a number ("Giữ vững" against 18 schools); other words there are a figure not given.
VERDICT_WORDS = tuple(verdict_words())
_VERDICT = re.compile(rf"^(?:{'|'.join(re.escape(w) for w in VERDICT_WORDS)})(?![^\W\d_])")


@dataclass(frozen=True)
class Reading:
    """What one cell says. Numbers stay tokens so ambiguous ones can be resolved later."""

    raw: str
    kind: str  # empty | exact | at_least | at_most | range | ratio | text
    numbers: tuple[NumberToken, ...] = ()
    unit_text: str = ""
    note: str = ""
    from_numeric_cell: bool = False  # a number or a formula's result in the file, not typed text
    strict: bool | None = None  # for a bound: whether it excludes its number ("trên 70"), None otherwise

    @property
    def is_numeric(self) -> bool:
        return self.kind in {"exact", "at_least", "at_most", "range", "ratio"}


def read_cell(value: object) -> Reading:
    """Read a cell as extracted: a number cell is exact; text goes through the grammar."""
    if value is None:
        return Reading("", "empty")
    if isinstance(value, bool):  # a boolean is not a figure; keep its text for the clerk
        return Reading(str(value).upper(), "text")
    if isinstance(value, ExcelPercent):  # the percentage Excel shows, with its unit, as if typed "49%"
        number = format_cell_number(value.percent)
        return Reading(f"{number}%", "exact", (NumberToken(number, (value.percent,)),), unit_text="%",
                       from_numeric_cell=True)
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):  # not something Excel stores; never a figure, nor words
            return Reading(format_cell_number(number), "text", from_numeric_cell=True)
        return Reading(
            format_cell_number(number), "exact", (NumberToken(format_cell_number(number), (number,)),),
            from_numeric_cell=True,
        )
    return read_text(str(value))


def format_cell_number(number: float) -> str:
    """How a numeric cell's value is shown as raw text: integers without ".0"."""
    return str(int(number)) if math.isfinite(number) and number == int(number) else repr(number)


def read_text(text: str) -> Reading:
    """Parse the text of a cell with the grammar in the module docstring.

    Remembered per text: a province's workbooks repeat the same targets, units and words month
    after month. Each call still gets number tokens of its own, because a row tells its tokens
    apart by identity (flows/parse/evidence.py) and a target may be written like its result.
    """
    shared = _read_text_once(text) if len(text) <= MAX_REMEMBERED_LENGTH else _read_text_uncached(text)
    if not shared.numbers:
        return shared
    tokens = tuple(NumberToken(t.text, t.candidates, t.ambiguity, t.foreign) for t in shared.numbers)
    return Reading(shared.raw, shared.kind, tokens, shared.unit_text, shared.note, shared.from_numeric_cell,
                   shared.strict)


def read_text_shared(text: str) -> Reading | None:
    """The remembered reading of a text, tokens shared with every other cell of that text; None
    for a text too long to remember. For callers that use token values only
    (flows/parse/table_columns.py), never token identity."""
    return _read_text_once(text) if len(text) <= MAX_REMEMBERED_LENGTH else None


def _read_text_uncached(text: str) -> Reading:
    raw = clean_text(text)
    if not raw:
        return Reading("", "empty")
    if len(raw) > MAX_VALUE_LENGTH:  # a paragraph is never a figure; don't run the grammar on it
        return Reading(raw, "text")
    if match := _RATIO.match(raw):
        tokens = _tokens(match, "a", "b") if _unit_words(match, "unit") else None
        if tokens:
            return Reading(raw, "ratio", tokens, _unit(match.group("unit")))
    for pattern, words in ((_BOUNDED, BOUND_WORDS_BEFORE), (_BOUNDED_AFTER, BOUND_WORDS_AFTER)):
        if match := pattern.match(raw):
            tokens = _tokens(match, "a") if _unit_words(match, "unit") else None
            if tokens:
                kind, strict = bound_of(match.group("op"), words)
                return Reading(raw, kind, tokens, _unit(match.group("unit")), _note(match), strict=strict)
    if match := _RANGE.match(raw):
        tokens = _tokens(match, "a", "b") if _unit_words(match, "unit_a", "unit") else None
        unit = _unit(match.group("unit")) or _unit(match.group("unit_a"))
        if tokens and _is_increasing(tokens):
            return Reading(raw, "range", tokens, unit, _note(match))
    if match := _EXACT.match(raw):
        tokens = _tokens(match, "a") if _unit_words(match, "unit") else None
        if tokens:
            return Reading(raw, "exact", tokens, _unit(match.group("unit")), _note(match))
    return Reading(raw, "text")


_read_text_once = lru_cache(maxsize=1 << 16)(_read_text_uncached)


def _tokens(match: re.Match, *groups: str) -> tuple[NumberToken, ...] | None:
    tokens = tuple(parse_number(match.group(g)) for g in groups)
    return None if any(t is None for t in tokens) else tokens  # type: ignore[return-value]


def _unit_words(match: re.Match, *groups: str) -> bool:
    """Whether what follows a number can be unit words, not a mistyped digit or broken punctuation."""
    for group in groups:
        text = match.group(group) or ""
        if _LOOK_ALIKE_UNIT.match(text) or _BROKEN_UNIT.search(text):
            return False
    return True


def looks_like_figure(text: str) -> bool:
    """Whether text the grammar did not read was meant as a figure: it holds a digit ("1O2",
    "12,,5", "7.4.1"), is made of digit look-alikes ("lOO"), or is an Excel error ("#N/A")."""
    text = clean_text(text)
    return bool(_DIGIT.search(text) or _LOOK_ALIKE_NUMBER.match(text) or _EXCEL_ERROR.match(text))


def why_unreadable(text: str) -> str:
    """For the clerk: why a text that looks like a figure was not read as one."""
    text = clean_text(text)
    if text.startswith("#"):
        return (f"it is an Excel error value ({EXCEL_ERRORS}): the formula behind it failed; fix the formula "
                "or type the figure")
    if text.startswith(("=", "@")):
        return "it is a formula stored as text, so Excel never calculated it"
    if _LOOK_ALIKE_DIGIT.search(text):
        return "the letters O, l and I are not the digits 0 and 1"
    return "it is not a number as these tables write one"


def is_verdict(text: str) -> bool:
    """Whether text is a qualitative answer such as "Đạt", "Giữ vững", "Đảm bảo" (VERDICT_WORDS)."""
    key = match_key(text).strip(" .;:!-–")
    return bool(_VERDICT.match(key)) and not _DIGIT.search(key)


def _is_increasing(tokens: tuple[NumberToken, ...]) -> bool:
    """A range reads low-high; "5-3" is more likely a typo or a date and stays text."""
    low, high = tokens[0].candidates[0], tokens[1].candidates[-1]
    return low <= high


def _unit(text: str | None) -> str:
    """Unit words as written, spaces around "/" removed: "%/ năm" -> "%/năm"."""
    return re.sub(r"\s*/\s*", "/", (text or "").strip(" .:;"))


def _note(match: re.Match) -> str:
    return (match.groupdict().get("note") or match.groupdict().get("note2") or "").strip()


def describe(token: NumberToken) -> str:
    """A token's readings for a clerk: "17.68 (17,68 or 17.680)"."""
    return " or ".join(format_number(v) for v in token.candidates)
