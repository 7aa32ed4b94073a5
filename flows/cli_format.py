"""How things reach a person's screen: an aligned text table, CSV cells that cannot run as formulas,
names with nothing hidden in them, and command arguments that are safe to paste into a shell."""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import contextmanager

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


# Short, familiar escapes for the invisible characters clerks' files actually carry.
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def show_name(text: str) -> str:
    """A file or sheet name (or any text from outside) as it can safely be printed for a person.

    Every character Python calls non-printable (control characters such as newline, carriage return
    and ESC, format characters such as the bidi override U+202E and zero-width spaces, line and
    paragraph separators, spaces other than the plain one, and undecodable bytes) is written as a
    visible escape (\\n, \\x1b, \\u202e), so a name cannot forge a line, colour the terminal or read
    backwards. Vietnamese letters, in NFC or NFD, are printable and stay as they are. Backslashes
    are left alone: messages carry shell-quoted commands whose backslashes must survive.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _NAMED_ESCAPES.get(ch) or _code_escape(ch) for ch in text)


def _code_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shell_argument(text: str) -> str:
    """`text` quoted for a POSIX shell, for commands we suggest a person paste (`haquang withdraw NAME`).

    A printable name gets shlex.quote's single quotes, in which `$(...)`, backticks and `;` are
    plain text. A name with invisible characters cannot be pasted literally (a newline would end
    the command), so it is written in bash's $'...' form with each such character as the \\xHH
    bytes of its UTF-8 encoding (an undecodable byte of the original name as itself): the shell
    rebuilds exactly the name's bytes, whatever its locale.
    """
    if text.isprintable():
        return shlex.quote(text)
    return "$'" + "".join(_ansi_c_escape(ch) for ch in text) + "'"


def _ansi_c_escape(ch: str) -> str:
    if ch in "\\'":
        return "\\" + ch
    if ch.isprintable():
        return ch
    return "".join(f"\\x{byte:02x}" for byte in ch.encode("utf-8", "surrogateescape"))


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
