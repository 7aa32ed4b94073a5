"""How query results reach the analyst's screen: an aligned text table, CSV cells that cannot run
as formulas, and output to a pipe that closes early."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from flows.core.names import show_name

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """A plain aligned text table, NULL shown as NULL, with the row count below."""
    cells = [[_show(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda values: " | ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    out = [line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _show(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return show_name(str(value))


@contextmanager
def stdout_closed_quietly():
    """Output to a reader that stops early (`| head -1`) ends quietly instead of with a traceback.

    The reader has what it asked for, so this is not a failure. stdout then points at /dev/null:
    Python flushes stdout again at exit and would complain a second time.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
