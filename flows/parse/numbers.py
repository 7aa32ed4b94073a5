"""Vietnamese number tokens: a dot groups thousands, a comma marks decimals.

"17.889" is 17889 and "7,40" is 7.4. A dot followed by anything but groups of three digits
("17.68", "1.95", "21.00") fits neither that convention nor a valid thousands grouping: the
token is *ambiguous* and gets two candidate readings (the decimal one, and the thousands one with
digits lost) for the row resolver to choose between with evidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# A number as written in these tables: digits with optional dot/comma/space groupings.
NUMBER_PATTERN = r"\d{1,3}(?:[ .]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)*"
_NUMBER = re.compile(rf"^[+-]?(?:{NUMBER_PATTERN})$")
_GROUPS_OF_THREE = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_SPACE_GROUPS = re.compile(r"^\d{1,3}(?: \d{3})+(?:,\d+)?$")


@dataclass(frozen=True)
class NumberToken:
    """One number as written: its readings (one when clear, several when ambiguous)."""

    text: str
    candidates: tuple[float, ...]
    ambiguity: str | None = None  # why the text has more than one reading
    # Readings under the English convention ("1,466" as 1466), tried only when the local
    # reading contradicts the row's own reported percentage.
    foreign: tuple[float, ...] = ()

    @property
    def is_ambiguous(self) -> bool:
        return len(self.candidates) > 1

    @property
    def value(self) -> float | None:
        """The single reading, or None while the token is still ambiguous."""
        return self.candidates[0] if len(self.candidates) == 1 else None


def parse_number(text: str) -> NumberToken | None:
    """Read one number token written the Vietnamese way; None when it is not a number."""
    token = text.strip()
    if not _NUMBER.match(token):
        return None
    sign = -1.0 if token.startswith("-") else 1.0
    body = token.lstrip("+-")
    readings = _unsigned_readings(body)
    if readings is None:
        return None
    values, ambiguity = readings
    foreign = _foreign_readings(body) if ambiguity is None else ()
    return NumberToken(token, tuple(sign * v for v in values), ambiguity, tuple(sign * v for v in foreign))


def _foreign_readings(body: str) -> tuple[float, ...]:
    """The English reading of a number that is valid, and different, under the local convention."""
    if re.match(r"^\d{1,3}\.\d{3}$", body):  # "17.889": 17889 here, 17.889 in English
        return (float(body),)
    if re.match(r"^\d{1,3},\d{3}$", body):  # "1,466": 1.466 here, 1466 in English
        return (float(body.replace(",", "")),)
    return ()


def _unsigned_readings(body: str) -> tuple[tuple[float, ...], str | None] | None:
    has_dot, has_comma = "." in body, "," in body
    if _SPACE_GROUPS.match(body):  # "1 500": a space groups thousands
        return (float(body.replace(" ", "").replace(",", ".")),), None
    if not has_dot and not has_comma:
        return (float(body),), None
    if has_comma and not has_dot:
        if body.count(",") == 1:  # "7,40": comma decimal
            return (float(body.replace(",", ".")),), None
        # "1,234,567": commas grouping thousands is the English habit, not the local one
        if re.match(r"^\d{1,3}(?:,\d{3})+$", body):
            return (float(body.replace(",", "")),), "commas group thousands (English convention)"
        return None
    if has_dot and not has_comma:
        if _GROUPS_OF_THREE.match(body):  # "17.889": dot thousands
            return (float(body.replace(".", "")),), None
        if body.count(".") == 1:
            whole, fraction = body.split(".")
            as_decimal = float(body)
            # A thousands group always has three digits; fewer means digits were lost ("17.68x").
            as_thousands = float(whole) * 1000 + float(fraction.ljust(3, "0")[:3])
            if len(fraction) > 3:
                return (as_decimal,), "a dot used as a decimal point"
            return (as_decimal, as_thousands), "a dot followed by fewer than three digits"
        return None
    # both separators: "1.234,5" is local; "1,234.5" is English
    whole, _, fraction = body.rpartition(",")
    if _GROUPS_OF_THREE.match(whole) and fraction.isdigit():
        return (float(whole.replace(".", "") + "." + fraction),), None
    whole, _, fraction = body.rpartition(".")
    if re.match(r"^\d{1,3}(?:,\d{3})+$", whole) and fraction.isdigit():
        return (float(whole.replace(",", "") + "." + fraction),), "commas group thousands (English convention)"
    return None


def format_number(value: float) -> str:
    """A figure for messages, in the local style: 17.889 for 17889, 7,4 for 7.4."""
    if not math.isfinite(value):  # a percentage of a result near the largest double overflows
        return {math.inf: "∞", -math.inf: "-∞"}.get(value, "NaN")
    sign, value = ("-" if value < 0 else ""), abs(value)
    whole, _, fraction = f"{value:.4f}".rstrip("0").rstrip(".").partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + ("," + fraction if fraction else "")
