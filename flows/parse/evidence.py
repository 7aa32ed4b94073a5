"""Choose between the readings of ambiguous numbers using the row's own evidence.

"17.68" tonnes may be 17,68 or 17.68x thousand. The row says which: the reported percentage
must come out of result / target, and a target is of the same order of magnitude as its result.
Without such evidence the number stays unresolved (NULL) rather than guessed.

A number that is valid in the local convention keeps its local reading unless that reading
contradicts the reported percentage and its English reading ("1,466" as 1466) matches it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from flows.core.attainment import pct_or_none
from flows.parse.numbers import NumberToken, format_number

# The readings of an ambiguous token differ by 1000x, so a loose window still discriminates.
PCT_EVIDENCE_WINDOW = (0.8, 1.25)
MAGNITUDE_WINDOW = 10.0
MAX_AMBIGUOUS_TOKENS = 6  # 2**6 combinations at most; more in one row is not a table row


@dataclass(frozen=True)
class Choice:
    """The value chosen for each token (None when unresolved) and the evidence for it."""

    values: dict[int, float | None]  # id(token) -> value
    evidence: str
    reinterpreted: frozenset[int] = frozenset()  # tokens read in the English convention


def resolve(
    target: tuple[NumberToken, ...], target_kind: str, actual: NumberToken | None, reported: NumberToken | None
) -> Choice:
    """Pick one reading per token of target (bounds), actual and reported percentage."""
    tokens = [t for t in (*target, actual, reported) if t is not None]
    ambiguous = [t for t in tokens if t.is_ambiguous]
    plain = {id(t): t.candidates[0] for t in tokens if not t.is_ambiguous}
    if len(ambiguous) > MAX_AMBIGUOUS_TOKENS:
        return Choice({**plain, **{id(t): None for t in ambiguous}}, "too many ambiguous numbers in one row")
    readings = {id(t): t.candidates for t in ambiguous}
    local = _best_by_pct(target, target_kind, actual, reported, tokens, readings)
    if local is not None:
        return local if ambiguous else Choice(local.values, "")
    foreign = {id(t): t.candidates + t.foreign for t in tokens if t.foreign} if _has_pct_evidence(
        target, actual, reported) else {}
    if foreign:
        choice = _best_by_pct(target, target_kind, actual, reported, tokens, {**readings, **foreign})
        if choice is not None:
            switched = frozenset(i for i in foreign if choice.values[i] not in _local(tokens, i))
            return Choice(choice.values, choice.evidence, switched)
    if not ambiguous:
        return Choice(plain, "")
    by_magnitude = [v for v in _combinations(tokens, readings)
                    if (r := _value(v, actual)) and (ref := _reference(target, target_kind, v)) and r > 0 and ref > 0
                    and 1 / MAGNITUDE_WINDOW <= r / ref <= MAGNITUDE_WINDOW]
    if len(by_magnitude) == 1:
        return Choice(by_magnitude[0], "only this reading puts result and target in the same order of magnitude")
    return Choice({**plain, **{id(t): None for t in ambiguous}}, "no percentage or target to decide by")


def _combinations(tokens: list[NumberToken], readings: dict[int, tuple[float, ...]]):
    """Every assignment of a value to each token: its listed readings, else its only one."""
    options = [readings.get(id(t), t.candidates[:1]) for t in tokens]
    for combo in itertools.product(*options):
        yield {id(t): v for t, v in zip(tokens, combo)}


def _best_by_pct(target, target_kind, actual, reported, tokens, readings) -> Choice | None:
    """The assignment whose computed percentage is nearest the reported one, if near enough."""
    best = None
    for values in _combinations(tokens, readings):
        low, high = target_bounds(target, target_kind, values)
        computed, pct = pct_or_none(_value(values, actual), low, high), _value(values, reported)
        if computed and pct and computed > 0 and pct > 0 and \
                PCT_EVIDENCE_WINDOW[0] <= computed / pct <= PCT_EVIDENCE_WINDOW[1]:
            distance = abs(math.log(computed / pct))
            if best is None or distance < best[0]:
                best = (distance, values, computed)
    if best is None:
        return None
    return Choice(best[1], f"the reported percentage matches ({format_number(round(best[2], 1))}% computed)")


def _has_pct_evidence(target, actual, reported) -> bool:
    return bool(target) and actual is not None and reported is not None


def _local(tokens: list[NumberToken], token_id: int) -> tuple[float, ...]:
    return next(t.candidates for t in tokens if id(t) == token_id)


def _value(values: dict[int, float | None], token: NumberToken | None) -> float | None:
    return values.get(id(token)) if token is not None else None


def _reference(target, target_kind, values) -> float | None:
    low, high = target_bounds(target, target_kind, values)
    return high if high is not None else low


def target_bounds(target: tuple[NumberToken, ...], kind: str, values: dict[int, float | None]):
    """(low, high) of a target from its chosen token values: "> 95" is (95, None)."""
    numbers = [values.get(id(t)) for t in target]
    if not numbers:
        return None, None
    if kind == "range":
        return numbers[0], numbers[1]
    if kind == "at_least":
        return numbers[0], None
    if kind == "at_most":
        return None, numbers[0]
    return numbers[0], numbers[0]
