"""Choose between the readings of ambiguous numbers using the row's own evidence.

"17.68" tonnes may be 17,68 or 17.68x thousand. The row says which: the reported percentage
must come out of result / target, and a target is of the same order of magnitude as its result.
Without such evidence the number stays unresolved (NULL) rather than guessed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from flows.attainment import pct_or_none
from flows.numbers import NumberToken, format_number

# The readings of an ambiguous token differ by 1000x, so a loose window still discriminates.
PCT_EVIDENCE_WINDOW = (0.8, 1.25)
MAGNITUDE_WINDOW = 10.0
MAX_AMBIGUOUS_TOKENS = 6  # 2**6 combinations at most; more in one row is not a table row


@dataclass(frozen=True)
class Choice:
    """The value chosen for each token (None when unresolved) and the evidence for it."""

    values: dict[int, float | None]  # id(token) -> value
    evidence: str


def resolve(
    target: tuple[NumberToken, ...], target_kind: str, actual: NumberToken | None, reported: NumberToken | None
) -> Choice:
    """Pick one reading per token of target (bounds), actual and reported percentage."""
    tokens = [t for t in (*target, actual, reported) if t is not None]
    ambiguous = [t for t in tokens if t.is_ambiguous]
    plain = {id(t): t.candidates[0] for t in tokens if not t.is_ambiguous}
    if not ambiguous:
        return Choice(plain, "")
    if len(ambiguous) > MAX_AMBIGUOUS_TOKENS:
        return Choice({**plain, **{id(t): None for t in ambiguous}}, "too many ambiguous numbers in one row")

    scored = []
    for combo in itertools.product(*(t.candidates for t in ambiguous)):
        values = {**plain, **{id(t): v for t, v in zip(ambiguous, combo)}}
        low, high = target_bounds(target, target_kind, values)
        result = values.get(id(actual)) if actual is not None else None
        pct = values.get(id(reported)) if reported is not None else None
        scored.append((values, low, high, result, pct))

    by_pct = [(abs(math.log(c / p)), v, c) for v, lo, hi, r, p in scored
              if (c := pct_or_none(r, lo, hi)) and p and c > 0 and p > 0
              and PCT_EVIDENCE_WINDOW[0] <= c / p <= PCT_EVIDENCE_WINDOW[1]]
    if by_pct:
        _, values, computed = min(by_pct, key=lambda x: x[0])
        return Choice(values, f"the reported percentage matches ({format_number(round(computed, 1))}% computed)")

    by_magnitude = [v for v, lo, hi, r, p in scored
                    if r and (ref := hi if hi is not None else lo) and r > 0 and ref > 0
                    and 1 / MAGNITUDE_WINDOW <= r / ref <= MAGNITUDE_WINDOW]
    if len(by_magnitude) == 1:
        return Choice(by_magnitude[0], "only this reading puts result and target in the same order of magnitude")
    return Choice({**plain, **{id(t): None for t in ambiguous}}, "no percentage or target to decide by")


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
