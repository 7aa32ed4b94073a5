"""What a row's label says about its figures, beyond naming the indicator.

Tables often carry part of the target in the indicator's name: "Thu ngân sách … mỗi năm tăng
trên" | 10 | %, or "Thu nhập bình quân đầu người/năm" | 15 | triệu đồng. Read alone, the target
cell says "exactly 10" and the unit cell "an amount of million đồng"; read with the label, the
source says "more than 10" and "million đồng per year". These functions read those two things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from flows.core.text import MAX_REMEMBERED_LENGTH, match_key
from flows.parse.numbers import NUMBER_PATTERN, NumberToken, parse_number
from flows.parse.values import BOUND_WORDS_AFTER, BOUND_WORDS_BEFORE, Reading, bound_of, bound_pattern
from schemas.catalogues import table, unit_code, units

# Bound words of a label are those of a target cell (flows/parse/values.py), strict or inclusive,
# but for "từ": in a label it starts a change ("nâng độ che phủ từ 45 % lên 49 %").
_BEFORE = {word: bound for word, bound in BOUND_WORDS_BEFORE.items() if word != "từ"}
_NUM = rf"[+-]?(?:{NUMBER_PATTERN})"


def _word_bounded(pattern: str) -> str:
    """A pattern that does not start or end inside a word ("trên" not in "phía trênx")."""
    return rf"(?<![^\W\d_]){pattern}(?![^\W\d_])"


_BOUND_BEFORE = _word_bounded(bound_pattern(_BEFORE))
_BOUND_AFTER = _word_bounded(bound_pattern(BOUND_WORDS_AFTER))
# Unit words between a number and what follows it: no digits, brackets or clause punctuation.
_UNIT_WORDS = r"[^\d()\[\],;:.]*?"


@dataclass(frozen=True)
class LabelBound:
    kind: str  # at_least | at_most
    words: str  # the label's words that state it, e.g. "trên" or "trên 10 %"
    strict: bool  # whether the bound excludes its number ("trên", "dưới") or holds it ("tối thiểu")


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
    return bound_beside_number(label, target.numbers[0].candidates, row_unit)


def bound_beside_number(label: str, candidates: tuple[float, ...], row_unit: str | None) -> LabelBound | None:
    """bound_in_label for a target cell holding one plain number, given by its readings."""
    read = _label_bound if len(label) <= MAX_REMEMBERED_LENGTH else _label_bound.__wrapped__
    return read(label, candidates, row_unit)


# A label comes back in every workbook of its table, with the same targets: remembered, as texts
# are (flows/core/text.py), only up to MAX_REMEMBERED_LENGTH, so that long cells cannot fill memory.
@lru_cache(maxsize=4096)
def _label_bound(label: str, candidates: tuple[float, ...], row_unit: str | None) -> LabelBound | None:
    text = match_key(label).rstrip(" :")
    if match := re.search(rf"(?P<op>{_BOUND_BEFORE})$", text):
        return LabelBound(*_bound(match, _BEFORE))
    wanted = set(candidates)
    before = rf"(?P<op>{_BOUND_BEFORE})\s*(?P<a>{_NUM})(?P<unit>{_UNIT_WORDS})(?=[\d(),;:.]|$)"
    after = rf"(?<![\d.,])(?P<a>{_NUM})(?P<unit>{_UNIT_WORDS})\s*(?P<op>{_BOUND_AFTER})"
    for pattern, words in ((before, _BEFORE), (after, BOUND_WORDS_AFTER)):
        for match in re.finditer(pattern, text):
            if _same_number(match.group("a"), wanted) and _same_unit(match.group("unit"), row_unit):
                return LabelBound(*_bound(match, words))
    return None


def _bound(match: re.Match, words: dict[str, tuple[str, bool]]) -> tuple[str, str, bool]:
    kind, strict = bound_of(match.group("op"), words)
    return kind, match.group(0).strip(), strict


def _same_number(text: str, wanted: set[float]) -> bool:
    token: NumberToken | None = parse_number(text)
    return token is not None and bool(wanted & set(token.candidates))


def _same_unit(words: str, row_unit: str | None) -> bool:
    """No unit after the label's number, or the row's own unit (in any of its catalogue spellings)."""
    words = words.strip()
    return not words or (row_unit is not None and unit_code(words) == row_unit)


@dataclass(frozen=True)
class LabelUnit:
    unit: str  # the catalogue unit the row's unit and the label's words make together (the row's own when missing)
    words: str  # the label's per-unit words, e.g. "đầu người | /năm"
    missing: str | None = None  # a dimension the label states and the catalogue has no unit for ("year")


@dataclass(frozen=True)
class _Completion:
    words: str
    pattern: re.Pattern[str]
    per: str  # the dimension the words add: year, person, hectare
    unit: str  # the unit it completes to


@cache
def _completions() -> dict[str, tuple[_Completion, ...]]:
    """Reported unit -> its completions, from schemas/unit_conversions.csv: the conversions whose
    rule is unit_completed_from_label list the label words that add their dimension (column per)."""
    completions: dict[str, list[_Completion]] = {}
    for row in table("unit_conversions.csv"):
        if row["rule"] != "unit_completed_from_label":
            continue
        for words in filter(None, (w.strip() for w in row["label_words"].split("|"))):
            completions.setdefault(row["from_unit"], []).append(
                _Completion(words, _words_pattern(words), row["per"], row["to_unit"]))
    return {unit: tuple(found) for unit, found in completions.items()}


def _words_pattern(words: str) -> re.Pattern[str]:
    key = match_key(words)
    start = r"(?<![^\W\d_])" if key[0].isalnum() else ""  # "/ha" may follow a word: "nghiệp/ha"
    return re.compile(rf"{start}{re.escape(key)}(?![^\W\d_])")


@cache
def _per_unit_words() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """Every per-unit word the catalogue knows, with its dimension, whatever unit it completes."""
    seen = {(c.words, c.per): c.pattern for found in _completions().values() for c in found}
    return tuple((words, pattern, per) for (words, per), pattern in seen.items())


def unit_in_label(labels: tuple[str, ...], row_unit: str | None) -> LabelUnit | None:
    """The catalogue unit the row's unit becomes with the per-unit words of its label, or None.

    Each per-unit word adds its own dimension ("/năm", "mỗi năm" per year; "/người", "đầu
    người" per person; "/ha" per hectare): "triệu đồng" under "Thu nhập bình quân đầu người/năm"
    is million đồng per person per year. Labels are tried in order: the row's own, then its
    parent's ("- Vùng thấp" under "Giá trị sản xuất nông nghiệp/ha"). When the label states a
    dimension the catalogue has no unit for (a hectare per year), the row keeps its reported unit
    and `missing` names the dimension, rather than guessing a unit.
    """
    if any(len(label) > MAX_REMEMBERED_LENGTH for label in labels):
        return _unit_in_label.__wrapped__(labels, row_unit)
    return _unit_in_label(labels, row_unit)


@lru_cache(maxsize=4096)  # the same few labels and units in every workbook of a table
def _unit_in_label(labels: tuple[str, ...], row_unit: str | None) -> LabelUnit | None:
    if row_unit is None:
        return None
    for label in labels:
        text = match_key(label)
        unit, used, added = row_unit, [], set()
        while step := next((c for c in _completions().get(unit, ()) if c.per not in added and c.pattern.search(text)),
                           None):
            unit, added = step.unit, added | {step.per}
            used.append(step.words)
        # a dimension the label states that no step could add from where the unit got to; a unit
        # with a completion for that dimension from other words chose not to take these ("mỗi năm"
        # beside a bare %: a share reached every year)
        offered = {c.per for c in _completions().get(unit, ())}
        stated = [(words, per) for words, pattern, per in _per_unit_words()
                  if per not in added and per not in offered and pattern.search(text)
                  and not _dimension_in_unit(unit, per)]
        if stated:
            return LabelUnit(row_unit, stated[0][0], stated[0][1])
        if used:
            return LabelUnit(unit, " | ".join(used))
    return None


_PER_WORDS = {"year": "per year", "person": "per person", "hectare": "per hectare"}


def _dimension_in_unit(unit: str, per: str) -> bool:
    """Whether a unit already carries a dimension, by its English name in schemas/units.csv
    ("litre per person per day" carries per person; "% per year" per year)."""
    known = units().get(unit)  # the cached catalogue: this runs for every label of every row
    return known is not None and _PER_WORDS.get(per, f"per {per}") in known.name_en
