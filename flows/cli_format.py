"""How query results reach the analyst's screen: an aligned text table sized by display width,
exact numbers, CSV cells that cannot run as formulas, and output to a pipe that closes early.

Imported by `haquang sql` on every call, so it imports nothing heavy (no pandas, no Prefect):
the whole command starts in a fraction of a second.
"""

from __future__ import annotations

import os
import re
import struct
import sys
import unicodedata
from contextlib import contextmanager
from decimal import Decimal

from rich.cells import cell_len  # East Asian wide characters count 2, combining marks 0

from flows.core.names import show_name

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_MAX_WIDTH = 50  # display cells per column: a long status_reason no longer makes 650-character lines
DEFAULT_LIMIT = 100  # rows a table shows unless --limit says otherwise
ELLIPSIS = "…"
# Floats between these print in plain positional notation (the bounds JavaScript's Number#toString
# uses); a figure beyond them is no ordinary magnitude and keeps Python's exponent form.
_PLAIN_FLOATS = (1e-6, 1e21)


class Real(float):
    """A value of a FLOAT (REAL, 4-byte) column: DuckDB hands it over widened to a double, so 0.1
    arrives as 0.10000000149011612. Marked, it prints as the shortest text that reads back to the
    same single-precision number (0.1), as DuckDB's own client prints it."""


_FLOAT_TYPE = re.compile(r"FLOAT(\[\d*\])*")  # FLOAT and lists or arrays of it; REAL and FLOAT4 are named FLOAT


def single_precision_marked(types: list[str], rows: list[tuple]) -> list[tuple]:
    """rows with the floats of FLOAT columns (and of FLOAT lists) marked as Real; others as they are.

    types are the DuckDB type names of the columns (the cursor's description). A FLOAT inside a
    STRUCT or MAP stays at double precision: its field's type is not told apart here.
    """
    single = [bool(_FLOAT_TYPE.fullmatch(str(t))) for t in types]
    if not any(single):
        return rows
    return [tuple(_as_real(v) if one else v for v, one in zip(row, single)) for row in rows]


def _as_real(value: object) -> object:
    if isinstance(value, list):
        return [_as_real(v) for v in value]
    return Real(value) if isinstance(value, float) else value


def _shortest_single(value: float) -> str:
    """The fewest significant digits that read back, at single precision, to the same number."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):  # 9 significant digits always round-trip a float32
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return text
    return repr(single)


def blob_text(value: bytes) -> str:
    """A BLOB as DuckDB writes one as text: printable ASCII kept, other bytes (and \\ ' ") as \\xHH."""
    return "".join(chr(b) if 32 <= b <= 126 and b not in b"\\'\"" else f"\\x{b:02X}" for b in value)


def neutralise_formula(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def number_text(value: int | float | Decimal) -> str:
    """A number exactly as stored, never rounded to six digits (`1.23457e+06`).

    Floats give the shortest text that reads back to the same float (Python's repr), written
    without an exponent for ordinary magnitudes; a whole float drops its ".0", as an integer
    does. DECIMAL values keep their scale (12.50 stays 12.50).
    """
    if isinstance(value, bool):
        return "true" if value else "false"  # as SQL writes them, not Python's True/False
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)  # nan, inf, -inf
    shortest = _shortest_single(value) if isinstance(value, Real) else repr(float(value))
    if value != 0 and not _PLAIN_FLOATS[0] <= abs(value) < _PLAIN_FLOATS[1]:
        return repr(float(shortest))
    text = format(Decimal(shortest), "f")  # the shortest digits, placed without an exponent
    return text[:-2] if text.endswith(".0") else text


def is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def csv_cell(value: object) -> object:
    """A value for the CSV writer: numbers exact (as number_text), text as stored but formula-safe."""
    if value is None:
        return None  # the csv module writes an empty field
    if is_number(value):
        return number_text(value)
    if isinstance(value, (list, dict, bool, bytes)):
        return neutralise_formula(_plain(value))
    # Text as stored, NFD included: CSV is data, and normalising would change the bytes a
    # program compares (the table on screen shows NFC; docs/cookbook.md, "haquang sql").
    return neutralise_formula(value)


def _plain(value: object) -> str:
    """A value as text, numbers exact, nested lists and structs included."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return number_text(value)
    if isinstance(value, bytes):
        return blob_text(value)
    if is_number(value):
        return number_text(value)
    if isinstance(value, list):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def display_text(value: object) -> str:
    """A value as one line of screen text: NFC (so NFD and NFC text measure and look alike), with
    control and invisible characters escaped (a cell cannot forge a row or colour the terminal)."""
    return show_name(unicodedata.normalize("NFC", _plain(value)))


def cut(text: str, max_width: int) -> str:
    """`text` within max_width display cells, cut with an ellipsis when longer (0: never cut).

    Cut between characters, never inside one: a combining mark stays with its letter.
    """
    if max_width <= 0 or cell_len(text) <= max_width:
        return text
    kept, used = [], 0
    for ch in text:
        width = cell_len(ch)
        if used + width > max_width - 1:
            break
        kept.append(ch)
        used += width
    return "".join(kept) + ELLIPSIS


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - cell_len(text))
    return gap + text if right else text + gap


def format_table(columns: list[str], rows: list[tuple], left_out: int = 0,
                 max_width: int = DEFAULT_MAX_WIDTH) -> str:
    """An aligned text table, NULL shown as NULL, with the row count (or the rows left out) below.

    Columns are as wide as their widest cell on screen (display cells, not characters: NFD text
    and wide characters line up), at most max_width; numeric columns are right-aligned.
    """
    header = [cut(display_text(c), max_width) for c in columns]
    cells = [[cut(display_text(v), max_width) for v in row] for row in rows]
    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in cells]) for i, h in enumerate(header)]
    numeric = [any(row[i] is not None for row in rows) and all(row[i] is None or is_number(row[i]) for row in rows)
               for i in range(len(columns))]

    def line(values: list[str], align: bool = True) -> str:
        return " | ".join(_pad(v, w, align and right) for v, w, right in zip(values, widths, numeric)).rstrip()

    out = [line(header, align=False), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    if left_out:
        out.append(f"({left_out} more row{'s' if left_out != 1 else ''} not shown; --limit 0 for all)")
    else:
        out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


@contextmanager
def stdout_closed_quietly():
    """Output to a reader that stops early (`| head -1`) ends quietly instead of with a traceback.

    The reader has what it asked for, so this is not a failure: the command exits with the status
    of its own work (0 for a query, a load's own status), as `head` expects of the command before it. stdout then points at /dev/null: Python flushes stdout
    again at exit and would complain a second time.
    """
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
