"""Indicator labels as matching keys: the same label typed differently gives the same key."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from flows.core.text import clean_text

# Vietnamese tone marks as combining characters. Old and new spelling put them on different
# vowels ("hoà" / "hòa"); the key moves each syllable's tone to its end so both agree.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_LEADING_MARK = re.compile(r"^[\s\-+•*–—.]+")
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)  # labels repeat across thousands of workbooks of one layout
def label_key(text: str) -> str:
    """Lower case, NFC, tone placement, punctuation and a leading "-"/"+" folded away."""
    words = _WORD.findall(_LEADING_MARK.sub("", clean_text(text).lower()))
    return " ".join(_syllable_key(word) for word in words)


def _syllable_key(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = "".join(c for c in decomposed if c in _TONES)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return base + tones
