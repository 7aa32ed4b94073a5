"""Words of the reports a person reads (status, the load summary, the dashboard)."""

from __future__ import annotations

import re

from flows.core.messages import LANGUAGES, counted_say, in_both, say


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


def lines_in_both(message_id: str, prefix: str = "", **values) -> list[str]:
    """A sentence of a report as two lines, Vietnamese first, each after the same prefix (a bullet, an indent)."""
    return [prefix + line for line in in_both(message_id, **values)]


def beside(message_id: str, **values) -> str:
    """A short label or list item on one line: the Vietnamese, then the English after a slash."""
    return " / ".join(in_both(message_id, **values))


def per_language(build) -> dict[str, str]:
    """A value put into a sentence by language ({language: text}), each built by `build(language)`."""
    return {language: build(language) for language in LANGUAGES}


def word(message_id: str) -> dict[str, str]:
    """A catalogue word in every language, for a {placeholder} of a sentence."""
    return per_language(lambda language: say(message_id, language))


def counts(message_id: str, count: int) -> dict[str, str]:
    """`3 lỗi` / `3 errors`: a counted phrase in every language, for a {placeholder} of a sentence."""
    return per_language(lambda language: counted_say(message_id, count, language))


def age(delta) -> dict[str, str]:
    """How long ago, in every language: minutes under an hour, hours and minutes under two days, else days."""
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if minutes < 60:
        return per_language(lambda language: say("oncall.age.minutes", language, minutes=minutes))
    if hours < 48:
        return per_language(lambda language: say("oncall.age.hours", language, hours=hours, minutes=rest))
    return per_language(lambda language: say("oncall.age.days", language, days=hours // 24))


def error_lines(error: dict, last_load: int | None, prefix: str) -> list[str]:
    """An open error (a row of dq_issues) in two lines, Vietnamese then English, each with its own message.

    (new): made by the last load and not open before it; (open before load N): the last load found again
    a finding already open (an unchanged file read again); (since load N) otherwise, and always after a
    night that built no version (last_load None: nothing was read since). File and sheet names and the
    messages come from whoever sent the workbook: show_name keeps a newline in one from forging a line.
    """
    from flows.core.names import show_name

    which = ("oncall.error.new" if error["new"] else
             "oncall.error.open_before" if last_load is not None and error["load_id"] == last_load else
             "oncall.error.since")
    row, column, sheet = error.get("source_row"), error.get("source_column"), error.get("source_sheet")
    places = [("oncall.where.sheet", {"sheet": show_name(str(sheet))}) if sheet else None,
              ("oncall.where.cell", {"cell": f"{column or ''}{row}"}) if row and column else
              ("oncall.where.row", {"row": str(row)}) if row else None]
    lines = []
    for language in LANGUAGES:
        where = ", ".join([show_name(str(error["source_file"]))]
                          + [say(place, language, **values) for place, values in filter(None, places)])
        text = error.get("message_vi") if language == "vi" and error.get("message_vi") else error["message"]
        lines.append(prefix + say(which, language, check=error["check_name"], where=where, load_id=error["load_id"],
                                  message=show_name(str(text))))
    return lines
