"""Text normalisation shared by every stage: one place decides what "the same text" means."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u200b]+")


MAX_REMEMBERED_LENGTH = 256  # caches keep short texts only, so a hostile sheet cannot fill memory


def clean_text(value: str) -> str:
    """NFC, non-breaking and repeated spaces folded to one space, trimmed: text as an analyst reads it."""
    return _clean_remembered(value) if len(value) <= MAX_REMEMBERED_LENGTH else _clean(value)


def _clean(value: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


# Every cell passes here, and a province's workbooks repeat their words.
_clean_remembered = lru_cache(maxsize=1 << 16)(_clean)


def match_key(value: str) -> str:
    """Lower-case cleaned text, used to compare header words and units, never shown to users."""
    return clean_text(value).lower()


@lru_cache(maxsize=1024)  # asked for every field of every row
def column_letter(index: int) -> str:
    """0-based column index to the spreadsheet letter a clerk sees ("A", "AB")."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
