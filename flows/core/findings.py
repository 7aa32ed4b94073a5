"""A data-quality finding: what a clerk must look at, where, and why."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field, fields
from textwrap import shorten

from flows.core.checks import ERROR, INFO, WARNING, check
from flows.core.messages import say

__all__ = ["ERROR", "WARNING", "INFO", "FINDING_COLUMNS", "Finding", "exception_reason", "said"]  # the severities, for callers

# A finding as the warehouse stores it (landing_dq_findings), in this order.
FINDING_COLUMNS = ["source_district", "source_file", "source_sheet", "source_row", "source_column", "check_name",
                   "severity", "message", "raw_value", "detail_vi"]
MAX_REASON_LENGTH = 300  # an exception's text in a message; some quote whole inputs
# What a finding stores of its message and raw value. A label or a cell's text is quoted in full
# up to this length; beyond it the text is cut with an ellipsis, so that no finding, however the
# text reached it, carries megabytes into the warehouse (the guard already refuses cells longer
# than Excel allows, 32,767 characters).
MAX_STORED_TEXT = 1_000


@dataclass
class Finding:
    """A finding of a registered check (flows/core/checks.py), which decides its severity.

    No caller states a severity: one that differed from the registry's would be a bug. A caller
    of a resolvable check may pass `resolved_by`, the evidence that settled the reading; the
    registry then makes the finding INFO, and the evidence is written into its message.
    """

    check_name: str
    message: str
    source_sheet: str | None = None
    source_row: int | None = None  # 1-based, as the spreadsheet shows it
    source_column: str | None = None  # spreadsheet letter
    raw_value: str | None = None
    resolved_by: InitVar[str | None] = None  # the evidence that resolved the reading, in words
    # What is wrong in this very finding, in Vietnamese, from the message catalogue (`said()`): it
    # takes the place of the check's general meaning in dq_issues.message_vi and the feedback
    # workbook. None: the check's meaning says it all (schemas/messages.csv check.<name>.meaning).
    detail_vi: str | None = None
    severity: str = field(init=False)

    def __post_init__(self, resolved_by: str | None) -> None:
        self.severity = check(self.check_name).severity_of(resolved_by)
        if self.severity == INFO:
            self.message = f"{self.message}. Resolved by the loader: {resolved_by}; nothing to do"
        self.message = _capped(self.message)
        self.raw_value = _capped(self.raw_value)
        self.detail_vi = _capped(self.detail_vi)

    def as_record(self, source_district: str | None, source_file: str) -> dict:
        # Field by field: dataclasses.asdict deep-copies, a tenth of a load's findings cost.
        return {"source_district": source_district, "source_file": source_file,
                **{f.name: getattr(self, f.name) for f in _FIELDS}}


_FIELDS = fields(Finding)


def said(check_name: str, message_id: str, source_sheet: str | None = None, source_row: int | None = None,
         source_column: str | None = None, raw_value: str | None = None, **values) -> Finding:
    """A finding whose words are the catalogue's message `message_id`, in English and in Vietnamese,
    with its values put in (numbers in each language's format)."""
    return Finding(check_name, say(message_id, "en", **values), source_sheet, source_row, source_column, raw_value,
                   detail_vi=say(message_id, "vi", **values))


def exception_reason(exc: BaseException) -> str:
    """An exception as a message may quote it: its kind and text, shortened."""
    return shorten(f"{type(exc).__name__}: {exc}", MAX_REASON_LENGTH, placeholder=" …")


def _capped(text: str | None) -> str | None:
    """text, cut to MAX_STORED_TEXT characters (the last one an ellipsis) when longer."""
    if text is None or len(text) <= MAX_STORED_TEXT:
        return text
    return text[:MAX_STORED_TEXT - 1] + "…"
