"""The message catalogue (schemas/messages.csv): every sentence the warehouse says to a person, in
Vietnamese and in English, looked up by its id.

Vietnamese comes first: it is the language of everyone who reads the figures. A sentence is never put
together from pieces per language in code: each language's whole sentence is in the catalogue.

It lives in flows/core, as the check registry does: every stage says things to people, and core is
the one package all of them may import. The file itself is a catalogue, so it sits in schemas/.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "schemas" / "messages.csv"
LANGUAGES = ("vi", "en")  # the reader's language first


class UnknownMessage(KeyError):
    """A message id the catalogue does not hold: a fault in the loader's code or the catalogue."""


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """message_id -> {language: text}, read once per process."""
    with open(CATALOGUE, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["message_id"]: {language: row[language] for language in LANGUAGES} for row in rows}


def message(message_id: str, language: str = "vi") -> str:
    """The catalogue's text of a message in a language."""
    try:
        return catalogue()[message_id][language]
    except KeyError:
        raise UnknownMessage(f"{message_id!r} in {language!r} is not in {CATALOGUE.name}: add it, in every "
                             f"language ({', '.join(LANGUAGES)})") from None


def say(message_id: str, language: str = "vi", **values) -> str:
    """A catalogue message with its {placeholders} filled, numbers and dates in the reader's format.

    The whole sentence comes from the catalogue in each language; only the values are put in. A
    value given as {language: text} (a unit's Vietnamese and English names) is put in by language.
    """
    from flows.core import reader_format

    def shown(value) -> str:
        if isinstance(value, dict):  # a value with a word per language, e.g. a unit's name
            value = value[language]
        if isinstance(value, bool) or value is None:
            return str(value)
        if isinstance(value, reader_format.Percent):
            return reader_format.percent(value, language)
        if isinstance(value, (int, float)):
            return reader_format.number(value, language)
        if isinstance(value, dt.datetime):
            return reader_format.moment(value, language)
        if isinstance(value, dt.date):
            return reader_format.date(value, language)
        return str(value)

    return message(message_id, language).format(**{name: shown(value) for name, value in values.items()})


def counted_say(message_id: str, count: int, language: str = "vi", **values) -> str:
    """A sentence about a count: `<id>.one` for exactly one, `<id>.other` for any other number (English
    agrees its noun with the number; Vietnamese writes the same words either way)."""
    return say(f"{message_id}.{'one' if count == 1 else 'other'}", language, count=count, **values)


def in_both(message_id: str, **values) -> list[str]:
    """The sentence in every language, the reader's (Vietnamese) first: the lines of a bilingual report."""
    return [say(message_id, language, **values) for language in LANGUAGES]


def counted_in_both(message_id: str, count: int, **values) -> list[str]:
    """counted_say in every language, Vietnamese first."""
    return [counted_say(message_id, count, language, **values) for language in LANGUAGES]
