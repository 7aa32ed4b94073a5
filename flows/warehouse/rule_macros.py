"""SQL macros written from the Python definition of a rule, so that the rule has one home.

A tolerance or a list of words that both the parser (Python) and the models (SQL) apply is
defined once, where its stage is: the tolerance of a reported percentage in flows/core/attainment.py,
the verdict words and what each says in the catalogue schemas/verdict_words.csv. The build creates
these macros with the files of sql/macros/ (models.macro_statements), before the models; their
text goes into every stored model's digest, so a changed rule rebuilds what it decides.
"""

from __future__ import annotations

import re


def generated_macros() -> list[str]:
    return [pct_within_rounding_macro(), verdict_status_macro()]


def pct_within_rounding_macro() -> str:
    """close_to of flows/core/attainment.py: a computed percentage within rounding of the reported one."""
    from flows.core.attainment import TOLERANCE_POINTS, TOLERANCE_SHARE  # numpy: only when the models are built

    return ("-- Generated from flows/core/attainment.py (TOLERANCE_POINTS, TOLERANCE_SHARE) by flows/warehouse/rule_macros.py:\n"
            "-- whether a computed percentage is within rounding of the reported one; NULL when either is.\n"
            "create or replace macro pct_within_rounding(computed, reported) as\n"
            f"    abs(computed - reported) <= {float(TOLERANCE_POINTS)!r} + {float(TOLERANCE_SHARE)!r} * abs(reported);")


def verdict_status_macro() -> str:
    """What a verdict word in a result or percentage cell says about its target: the status the
    catalogue gives the word the cell starts with ('met', 'not_met', 'hedged'), NULL for any other text."""
    from schemas.catalogues import verdict_words

    words = verdict_words()
    # the longest word first, so that a word that starts another ("đạt", "đạt yêu cầu") never hides it
    pattern = "|".join(_regex_literal(w) for w in sorted(words, key=len, reverse=True))
    statuses = ", ".join(f"'{_sql_text(w)}': '{_sql_text(s)}'" for w, s in words.items())
    return ("-- Generated from schemas/verdict_words.csv by flows/warehouse/rule_macros.py: the status the verdict word\n"
            "-- a cell starts with says, NULL for any other text. A word counts only whole (\"Đạtx\" is no verdict);\n"
            "-- the text is read as is_verdict (flows/parse/values.py) reads it: lower case, without end punctuation.\n"
            "create or replace macro verdict_status(t) as\n"
            f"    map {{{statuses}}}[regexp_extract(lower(trim(nfc_normalize(t), ' .;:!-–')),\n"
            f"                                      '^({pattern})($|[^\\p{{L}}])', 1)];")


def _regex_literal(word: str) -> str:
    """A catalogue word as a literal in a regular expression inside a SQL string."""
    return _sql_text(re.escape(word))


def _sql_text(text: str) -> str:
    return text.replace("'", "''")
