"""Words of the reports a person reads (status, the load summary, the dashboard)."""

from __future__ import annotations


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`1 error`, `2 errors`, `0 errors`: the noun agrees with the number."""
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"
