"""Names from outside (file, sheet and folder names, cell text) as a person may safely see them:
printed with nothing hidden, and quoted for a shell in commands we suggest."""

from __future__ import annotations

import shlex


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
