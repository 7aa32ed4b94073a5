"""What a row's label says about its figures, beyond naming the indicator.

Tables often carry part of the target in the indicator's name: "Thu ngân sách … mỗi năm tăng
trên" | 10 | %, or "Thu nhập bình quân đầu người/năm" | 15 | triệu đồng. Read alone, the target
cell says "exactly 10" and the unit cell "an amount of million đồng"; read with the label, the
source says "more than 10" and "million đồng per year". These functions read those two things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from flows.core.text import match_key
from flows.parse.numbers import NUMBER_PATTERN, NumberToken, parse_number
from flows.parse.values import Reading
from schemas.catalogues import table, unit_code

# Bound words written before the number ("trên 10 %") and after it ("800 người trở lên"). "từ"
# is not one here: in a label it starts a change ("nâng độ che phủ từ 45 % lên 49 %").
_BEFORE = {"at_least": ("trên", "hơn", "tối thiểu", "ít nhất", ">=", "≥", ">"),
           "at_most": ("dưới", "không quá", "tối đa", "<=", "≤", "<")}
_AFTER = {"at_least": ("trở lên",), "at_most": ("trở xuống",)}
_NUM = rf"[+-]?(?:{NUMBER_PATTERN})"


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _word_bounded(pattern: str) -> str:
    """A pattern that does not start or end inside a word ("trên" not in "phía trênx")."""
    return rf"(?<![^\W\d_])(?:{pattern})(?![^\W\d_])"


_BOUND_BEFORE = {kind: _word_bounded(_alternatives(words)) for kind, words in _BEFORE.items()}
_BOUND_AFTER = {kind: _word_bounded(_alternatives(words)) for kind, words in _AFTER.items()}
# Unit words between a number and what follows it: no digits, brackets or clause punctuation.
_UNIT_WORDS = r"[^\d()\[\],;:.]*?"


@dataclass(frozen=True)
class LabelBound:
    kind: str  # at_least | at_most
    words: str  # the label's words that state it, e.g. "trên" or "trên 10 %"


def bound_in_label(label: str, target: Reading, row_unit: str | None) -> LabelBound | None:
    """The bound the label puts on a plain-number target, or None.

    Two ways of writing it: the label ends with the bound word and the target cell completes
    the phrase ("… mỗi năm trên" | 800), or the label repeats the target's number with the bound
    word before or after it ("… tăng trên 10 %" | 10, "… 800 người trở lên" | 800); there, unit
    words after the label's number must be the row's unit. A bound word after no number ("cơ sở
    đảng HTTNV trở lên": well-rated or better) qualifies the name, not the figure.
    """
    if target.kind != "exact" or len(target.numbers) != 1:
        return None
    text = match_key(label).rstrip(" :")
    for kind, pattern in _BOUND_BEFORE.items():
        if match := re.search(rf"{pattern}$", text):
            return LabelBound(kind, match.group(0))
    wanted = set(target.numbers[0].candidates)
    for kind in ("at_least", "at_most"):
        before = rf"{_BOUND_BEFORE[kind]}\s*(?P<a>{_NUM})(?P<unit>{_UNIT_WORDS})(?=[\d(),;:.]|$)"
        after = rf"(?<![\d.,])(?P<a>{_NUM})(?P<unit>{_UNIT_WORDS})\s*{_BOUND_AFTER[kind]}"
        for pattern in (before, after):
            for match in re.finditer(pattern, text):
                if _same_number(match.group("a"), wanted) and _same_unit(match.group("unit"), row_unit):
                    return LabelBound(kind, match.group(0).strip())
    return None


def _same_number(text: str, wanted: set[float]) -> bool:
    token: NumberToken | None = parse_number(text)
    return token is not None and bool(wanted & set(token.candidates))


def _same_unit(words: str, row_unit: str | None) -> bool:
    """No unit after the label's number, or the row's own unit (in any of its catalogue spellings)."""
    words = words.strip()
    return not words or (row_unit is not None and unit_code(words) == row_unit)


@dataclass(frozen=True)
class LabelUnit:
    unit: str  # the catalogue unit the row's unit and the label's words make together
    words: str  # the label's words that complete it, e.g. "/năm"


@cache
def _completions() -> dict[str, tuple[tuple[str, re.Pattern[str], str], ...]]:
    """Reported unit -> (words, pattern, completed unit), from schemas/unit_conversions.csv: the
    conversions whose rule is unit_completed_from_label list the label words that complete them."""
    completions: dict[str, list[tuple[str, re.Pattern[str], str]]] = {}
    for row in table("unit_conversions.csv"):
        if row["rule"] != "unit_completed_from_label":
            continue
        for words in filter(None, (w.strip() for w in row["label_words"].split("|"))):
            key = match_key(words)
            start = r"(?<![^\W\d_])" if key[0].isalnum() else ""  # "/ha" may follow a word: "nghiệp/ha"
            pattern = re.compile(rf"{start}{re.escape(key)}(?![^\W\d_])")
            completions.setdefault(row["from_unit"], []).append((words, pattern, row["to_unit"]))
    return {unit: tuple(found) for unit, found in completions.items()}


def unit_in_label(labels: tuple[str, ...], row_unit: str | None) -> LabelUnit | None:
    """The catalogue unit the row's unit becomes with the per-unit words of its label ("/năm",
    "/ha", "đầu người", "mỗi năm"), or None. Labels are tried in order: the row's own, then its
    parent's ("- Vùng thấp" under "Giá trị sản xuất nông nghiệp/ha")."""
    if row_unit is None:
        return None
    for label in labels:
        text = match_key(label)
        for words, pattern, unit in _completions().get(row_unit, ()):
            if pattern.search(text):
                return LabelUnit(unit, words)
    return None
