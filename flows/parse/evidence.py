"""Choose between the readings of ambiguous numbers using the row's own evidence.

"17.68" tonnes may be 17,68 or 17.68x thousand. The row says which: the reported percentage
must come out of result / target, and a target is of the same order of magnitude as its result.
Without such evidence the number stays unresolved (NULL) rather than guessed.

A number that is valid in the local convention keeps its local reading unless that reading
contradicts the reported percentage and its English reading ("1,466" as 1466) matches it.

A reading the row's unit and label rule out (the plausibility catalogue, schemas/plausibility.csv:
"70.0" % is never 70.000 %) is dropped before the others are weighed. A token's reading is
*settled* when evidence the finding can name decides it: every other reading is ruled out, or
the reported percentage agrees with this reading and with no other. A reading picked by order of
magnitude, by the English convention or by no evidence at all is not settled: it stays a doubt.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

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
    # id(token) -> the evidence that settles its reading, for the ambiguous tokens it settles
    settled: dict[int, str] = field(default_factory=dict)
    # what decided the reading, for the finding's Vietnamese sentence: "pct" (the reported percentage),
    # "magnitude" (result and target in one order of magnitude), "none" (nothing: left empty),
    # "too_many" (too many ambiguous numbers in one row: left empty), "" (nothing was ambiguous)
    basis: str = ""


# Why a reading is impossible for the row (its unit and label), or None when it is possible.
RulesOut = Callable[[float], str | None]


def resolve(
    target: tuple[NumberToken, ...], target_kind: str, actual: NumberToken | None, reported: NumberToken | None,
    rules_out: RulesOut | None = None,
) -> Choice:
    """Pick one reading per token of target (bounds), actual and reported percentage.

    rules_out judges a reading of a target or result token against the row's unit and label.
    """
    tokens = [t for t in (*target, actual, reported) if t is not None]
    # readings: the possible readings of each ambiguous token (one, when the others are ruled out)
    readings, ruled_out = _possible_readings(tokens, reported, rules_out)
    ambiguous = [t for t in tokens if len(readings.get(id(t), ())) > 1]
    ambiguous_ids = {id(t) for t in ambiguous}
    plain = {id(t): readings.get(id(t), t.candidates)[0] for t in tokens if id(t) not in ambiguous_ids}
    if len(ambiguous) > MAX_AMBIGUOUS_TOKENS:
        return Choice({**plain, **{id(t): None for t in ambiguous}}, "too many ambiguous numbers in one row",
                      settled=dict(ruled_out), basis="too_many")
    local = _best_by_pct(target, target_kind, actual, reported, tokens, readings)
    if local is not None:
        if not ruled_out and not ambiguous:
            return Choice(local.values, "")
        # a reading the catalogue left alone is also the one the percentage agrees with
        settled = {i: "; ".join(filter(None, (ruled_out.get(i), local.settled.get(i)
                                              or (local.evidence if i in ruled_out else None))))
                   for i in {*ruled_out, *local.settled}}
        return Choice(local.values, local.evidence, settled=settled, basis="pct")
    foreign = {id(t): t.candidates + t.foreign for t in tokens if t.foreign} if _has_pct_evidence(
        target, actual, reported) else {}
    if foreign:
        choice = _best_by_pct(target, target_kind, actual, reported, tokens, {**readings, **foreign})
        if choice is not None:
            switched = frozenset(i for i in foreign if choice.values[i] not in _local(tokens, i))
            return Choice(choice.values, choice.evidence, switched, settled=dict(ruled_out), basis="pct")
    if not ambiguous:
        return Choice(plain, "", settled=dict(ruled_out))
    by_magnitude = [v for v in _combinations(tokens, readings)
                    if (r := _value(v, actual)) and (ref := _reference(target, target_kind, v)) and r > 0 and ref > 0
                    and 1 / MAGNITUDE_WINDOW <= r / ref <= MAGNITUDE_WINDOW]
    if len(by_magnitude) == 1:
        return Choice(by_magnitude[0], "only this reading puts result and target in the same order of magnitude",
                      settled=dict(ruled_out), basis="magnitude")
    return Choice({**plain, **{id(t): None for t in ambiguous}}, "no percentage or target to decide by",
                  settled=dict(ruled_out), basis="none")


def _possible_readings(tokens, reported, rules_out):
    """(id -> readings still possible, for ambiguous tokens; id -> why the others are not).

    A reported percentage is a share of the target, not a figure in the row's unit: it is never
    judged. When every reading is ruled out, none is: the catalogue cannot decide between them.
    """
    readings: dict[int, tuple[float, ...]] = {}
    ruled_out: dict[int, str] = {}
    for token in tokens:
        if not token.is_ambiguous:
            continue
        reasons = {v: (rules_out(v) if rules_out is not None and token is not reported else None)
                   for v in token.candidates}
        possible = tuple(v for v in token.candidates if reasons[v] is None)
        if possible and len(possible) < len(token.candidates):
            readings[id(token)] = possible
            ruled_out[id(token)] = "; ".join(f"the other reading, {format_number(v)}, is impossible here ({why})"
                                             for v, why in reasons.items() if why is not None)
        else:
            readings[id(token)] = token.candidates
    return readings, ruled_out


def _combinations(tokens: list[NumberToken], readings: dict[int, tuple[float, ...]]):
    """Every assignment of a value to each token: its listed readings, else its only one."""
    options = [readings.get(id(t), t.candidates[:1]) for t in tokens]
    for combo in itertools.product(*options):
        yield {id(t): v for t, v in zip(tokens, combo)}


def _best_by_pct(target, target_kind, actual, reported, tokens, readings) -> Choice | None:
    """The assignment whose computed percentage is nearest the reported one, if near enough.

    A token's reading is settled by the percentage when every assignment near enough gives it
    the same value: the percentage agrees with that reading and with no other.
    """
    matches = []
    for values in _combinations(tokens, readings):
        low, high = target_bounds(target, target_kind, values)
        computed, pct = pct_or_none(_value(values, actual), low, high), _value(values, reported)
        if within_evidence_window(computed, pct):
            matches.append((abs(math.log(computed / pct)), values, computed))
    if not matches:
        return None
    _, best, computed = min(matches, key=lambda m: m[0])
    evidence = f"the reported percentage matches ({format_number(round(computed, 1))}% computed)"
    settled = {i: f"{evidence}, and no other reading of it does" for i, options in readings.items()
               if len(options) > 1 and len({m[1][i] for m in matches}) == 1}
    return Choice(best, evidence, settled=settled, basis="pct")


def within_evidence_window(computed: float | None, reported: float | None) -> bool:
    """Whether a computed percentage is near enough the reported one to be evidence for a reading."""
    return bool(computed and reported and computed > 0 and reported > 0
                and PCT_EVIDENCE_WINDOW[0] <= computed / reported <= PCT_EVIDENCE_WINDOW[1])


def _has_pct_evidence(target, actual, reported) -> bool:
    return bool(target) and actual is not None and reported is not None


def _local(tokens: list[NumberToken], token_id: int) -> tuple[float, ...]:
    return next(t.candidates for t in tokens if id(t) == token_id)


def _value(values: dict[int, float | None], token: NumberToken | None) -> float | None:
    return values.get(id(token)) if token is not None else None


def _reference(target, target_kind, values) -> float | None:
    low, high = target_bounds(target, target_kind, values)
    return high if high is not None else low


# Which of a target's numbers each bound is, by the target's kind: "> 95" is (95, None), "650-700" is
# (650, 700), "100" is (100, 100). The row reader (target_bounds) and the column-wise reader
# (flows/parse/table_columns.py) both read it; None: that side is open.
BOUND_NUMBERS: dict[str, tuple[int | None, int | None]] = {
    "range": (0, 1), "at_least": (0, None), "at_most": (None, 0), "exact": (0, 0),
}


def target_bounds(target: tuple[NumberToken, ...], kind: str, values: dict[int, float | None]):
    """(low, high) of a target from its chosen token values (BOUND_NUMBERS; any other kind as exact)."""
    numbers = [values.get(id(t)) for t in target]
    if not numbers:
        return None, None
    return tuple(None if at is None else numbers[at] for at in BOUND_NUMBERS.get(kind, BOUND_NUMBERS["exact"]))
