"""The "Kiểm tra" sheet a feedback workbook starts with (flows/publish/feedback.py), known by the loader.

A clerk sends the feedback workbook back with its cells corrected and this sheet still in it: the
sheet lists findings, not figures, and its columns ("STT", "Chỉ tiêu") would read as an indicator
table, so the loader skips it (flows/parse/workbook.py). It is known by two things together, both
the message catalogue's: its name and the title in its first cell; a clerk's own sheet that happens
to be called "Kiểm tra" is read as any other.
"""

from __future__ import annotations

import re

from flows.core.messages import LANGUAGES, message

SHEET_NAME_ID = "feedback.sheet_name"
TITLE_ID = "feedback.title"


def sheet_name(language: str = "vi") -> str:
    return message(SHEET_NAME_ID, language)


def title(language: str = "vi") -> str:
    return message(TITLE_ID, language)


def is_feedback_sheet(name: str, first_cell: object) -> bool:
    """Whether a sheet is a feedback workbook's own "Kiểm tra" sheet (in any language of the catalogue).

    Its name may carry a number after it ("Kiểm tra1"): where the clerk's workbook already has a sheet
    called "Kiểm tra", the feedback's own sheet takes the next free name."""
    return isinstance(first_cell, str) and any(
        re.fullmatch(re.escape(sheet_name(language)) + r"\d*", name) and first_cell.strip() == title(language)
        for language in LANGUAGES)
