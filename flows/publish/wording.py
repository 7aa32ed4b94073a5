"""Words of the reports a person reads (status, the load summary, the dashboard)."""

from __future__ import annotations

import re

from flows.core.messages import LANGUAGES, counted_say, say


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`1 error`, `2 errors`, `0 errors`: the noun agrees with the number."""
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"


def literal_markdown(text: str) -> str:
    """Text a Markdown renderer (Prefect's UI) shows exactly as written, whatever it holds.

    A fenced code block is never read as Markdown or HTML: a cell ``![b](http://host/x.png)`` stays
    text and nobody's browser fetches the address; a file name cannot make a link. The fence is
    longer than any run of backticks in the text, so the text cannot close it (CommonMark).
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def rows_in_both(loaded: int, not_loaded: int, unread: int) -> list[str]:
    """Rows loaded, rows not loaded (an error on the row) and figures that could not be read (an error on a
    cell of a loaded row: the row is in the views, that figure empty), in true words: Vietnamese, then English."""
    return [say("oncall.count.rows", language, loaded=loaded,
                not_loaded=counted_say("oncall.count.rows_not_loaded", not_loaded, language),
                unread=counted_say("oncall.count.figures_unread", unread, language)) for language in LANGUAGES]
