"""Text typed in the legacy Vietnamese encodings TCVN3 (ABC, .VnTime fonts) and VNI (VNI-Times).

Both store Vietnamese letters in the Latin-1 range, so a workbook typed with those fonts reads
as "Tæng s¶n l­îng" (TCVN3) or "Toång saûn löôïng" (VNI) once the font is gone. The reader
gives no font names, so the encoding is told from character statistics over a whole sheet:
each encoding has marker characters that Vietnamese Unicode text never contains, and in VNI a
marker always follows the vowel it modifies. A sheet whose evidence points both ways is
flagged and left as it is, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# TCVN3 (TCVN 5712:1993, VN3): one byte per precomposed lower-case letter, plus the seven
# upper-case letters with a shape mark. Upper-case letters with tones came from the .VnTimeH
# fonts, which reuse the lower-case codes.
_TCVN3 = {
    "\xb5": "à", "\xb8": "á", "\xb6": "ả", "\xb7": "ã", "\xb9": "ạ",
    "\xa8": "ă", "\xbb": "ằ", "\xbe": "ắ", "\xbc": "ẳ", "\xbd": "ẵ", "\xc6": "ặ",
    "\xa9": "â", "\xc7": "ầ", "\xca": "ấ", "\xc8": "ẩ", "\xc9": "ẫ", "\xcb": "ậ",
    "\xae": "đ", "\xcc": "è", "\xd0": "é", "\xce": "ẻ", "\xcf": "ẽ", "\xd1": "ẹ",
    "\xaa": "ê", "\xd2": "ề", "\xd5": "ế", "\xd3": "ể", "\xd4": "ễ", "\xd6": "ệ",
    "\xd7": "ì", "\xdd": "í", "\xd8": "ỉ", "\xdc": "ĩ", "\xde": "ị",
    "\xdf": "ò", "\xe3": "ó", "\xe1": "ỏ", "\xe2": "õ", "\xe4": "ọ",
    "\xab": "ô", "\xe5": "ồ", "\xe8": "ố", "\xe6": "ổ", "\xe7": "ỗ", "\xe9": "ộ",
    "\xac": "ơ", "\xea": "ờ", "\xed": "ớ", "\xeb": "ở", "\xec": "ỡ", "\xee": "ợ",
    "\xef": "ù", "\xf3": "ú", "\xf1": "ủ", "\xf2": "ũ", "\xf4": "ụ",
    "\xad": "ư", "\xf5": "ừ", "\xf8": "ứ", "\xf6": "ử", "\xf7": "ữ", "\xf9": "ự",
    "\xfa": "ỳ", "\xfd": "ý", "\xfb": "ỷ", "\xfc": "ỹ", "\xfe": "ỵ",
    "\xa1": "Ă", "\xa2": "Â", "\xa7": "Đ", "\xa3": "Ê", "\xa4": "Ô", "\xa5": "Ơ", "\xa6": "Ư",
}

# VNI: a base letter followed by a mark character. Built from the rules rather than typed out.
_TONES = {"acute": "\u0301", "grave": "\u0300", "hook": "\u0309", "tilde": "\u0303", "dot": "\u0323"}
_VNI_TONE_MARK = {"acute": "ù", "grave": "ø", "hook": "û", "tilde": "õ", "dot": "ï"}
_VNI_HAT_TONE_MARK = {None: "â", "acute": "á", "grave": "à", "hook": "å", "tilde": "ã", "dot": "ä"}  # â ê ô
_VNI_BREVE_TONE_MARK = {None: "ê", "acute": "é", "grave": "è", "hook": "ú", "tilde": "ü", "dot": "ë"}  # ă
_VNI_I = {"acute": "í", "grave": "ì", "hook": "æ", "tilde": "ó", "dot": "ò"}  # one character each


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {"ñ": "đ", "ô": "ơ", "ö": "ư", "î": "ỵ"}
    for tone, mark in _VNI_TONE_MARK.items():
        for base, vni_base in (("a", "a"), ("e", "e"), ("o", "o"), ("u", "u"), ("y", "y"), ("ơ", "ô"), ("ư", "ö")):
            table[vni_base + mark] = unicodedata.normalize("NFC", base + _TONES[tone])
    for tone, mark in _VNI_HAT_TONE_MARK.items():
        for base in "aeo":
            table[base + mark] = unicodedata.normalize("NFC", base + "\u0302" + (_TONES[tone] if tone else ""))
    for tone, mark in _VNI_BREVE_TONE_MARK.items():
        table["a" + mark] = unicodedata.normalize("NFC", "a\u0306" + (_TONES[tone] if tone else ""))
    for tone, letter in _VNI_I.items():
        table[letter] = unicodedata.normalize("NFC", "i" + _TONES[tone])
    del table["y" + _VNI_TONE_MARK["dot"]]  # ỵ is the single character î
    upper = {key.upper(): value.upper() for key, value in table.items()}
    return {**table, **upper}


_VNI = _vni_table()
_VNI_PATTERN = re.compile("|".join(sorted(map(re.escape, _VNI), key=len, reverse=True)))
# Letters only Unicode Vietnamese has (outside Latin-1, where the legacy encodings live).
_VIETNAMESE_ONLY = re.compile(r"[ăđĩũơưĂĐĨŨƠƯ\u1ea0-\u1ef9]")
_UNICODE_LATIN1_LETTERS = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_VNI_CHARACTERS = {ch for key in _VNI for ch in key if not ch.isascii()}
# VNI marks that only ever follow the vowel they modify, and are never Unicode Vietnamese.
_VNI_TRAILING_MARKS = set("øûïåäëüØÛÏÅÄËÜ")
# TCVN3 letters that VNI never uses and Unicode Vietnamese never contains.
_TCVN3_ONLY = set(_TCVN3) - _VNI_CHARACTERS - _UNICODE_LATIN1_LETTERS
_VOWELS = set("aeiouyAEIOUYôöÔÖ")
# The same sets as character classes: the regex engine counts them far faster than a Python loop.
_TCVN3_ONLY_CHARACTER = re.compile("[" + re.escape("".join(sorted(_TCVN3_ONLY))) + "]")
_VNI_TRAILING_MARK = re.compile("[" + re.escape("".join(sorted(_VNI_TRAILING_MARKS))) + "]")
MIN_MARKERS = 3  # fewer legacy characters in a sheet is not evidence
VNI_AFTER_VOWEL_SHARE = 0.8


@dataclass(frozen=True)
class Verdict:
    encoding: str  # unicode | tcvn3 | vni | mixed
    evidence: str


def detect(texts: list[str]) -> Verdict:
    """Which encoding a sheet's text cells were typed in."""
    joined = "\n".join(texts)
    tcvn_only = len(_TCVN3_ONLY_CHARACTER.findall(joined))
    marks = [match.start() for match in _VNI_TRAILING_MARK.finditer(joined)]
    if tcvn_only + len(marks) < MIN_MARKERS:
        return Verdict("unicode", "")
    after_vowel = sum(1 for i in marks if i > 0 and joined[i - 1] in _VOWELS) / len(marks) if marks else 0.0
    evidence = (f"{tcvn_only} characters only TCVN3 uses, {len(marks)} VNI marks of which "
                f"{after_vowel:.0%} follow a vowel")
    if _VIETNAMESE_ONLY.search(joined):
        return Verdict("mixed", evidence + ", beside Unicode Vietnamese letters")
    if tcvn_only >= MIN_MARKERS and after_vowel < VNI_AFTER_VOWEL_SHARE:
        return Verdict("tcvn3", evidence)
    if tcvn_only == 0 and len(marks) >= MIN_MARKERS and after_vowel >= VNI_AFTER_VOWEL_SHARE:
        return Verdict("vni", evidence)
    return Verdict("mixed", evidence)


def to_unicode(text: str, encoding: str) -> str:
    """Convert one cell's text; all-capital cells stay capital (the .VnTimeH / VNI caps fonts)."""
    if encoding == "tcvn3":
        converted = "".join(_TCVN3.get(ch, ch) for ch in text)
    elif encoding == "vni":
        converted = _VNI_PATTERN.sub(lambda m: _VNI[m.group(0)], text)
    else:
        return text
    ascii_letters = [ch for ch in text if ch.isascii() and ch.isalpha()]
    if ascii_letters and all(ch.isupper() for ch in ascii_letters) and len(ascii_letters) > 1:
        converted = converted.upper()
    return unicodedata.normalize("NFC", converted)


def from_unicode(text: str, encoding: str) -> str:
    """The reverse mapping, for writing legacy-encoded test workbooks."""
    table = {v: k for k, v in (_TCVN3 if encoding == "tcvn3" else _VNI).items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in table:
            out.append(table[ch])
        elif ch.lower() in table and encoding == "tcvn3":  # a capital with a tone: the caps font's code
            out.append(table[ch.lower()])
        else:
            out.append(ch)
    return "".join(out)
