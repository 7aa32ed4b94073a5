"""The registry of data-quality checks: every check_name a finding may carry, in one place.

Each check states its severity and which cell of a row its findings point at; what it means and what
the clerk should do are sentences of the message catalogue (schemas/messages.csv), in Vietnamese and
English. A finding takes its severity from here (flows/core/findings.py), the
warehouse serves this table as the view dq_checks, and the data dictionary lists it; a check
that is not registered cannot be raised.

It lives in flows/core, not as a catalogue in schemas/: every stage from the guard to the
warehouse build raises findings, and core is the one package all of them may import.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.core.messages import message

ERROR = "error"  # the file, sheet or row was not loaded, or a figure was left empty
WARNING = "warning"  # loaded, but a person should check it
# A reading the loader resolved with evidence the finding names (the row's reported percentage,
# the plausibility catalogue, the plan period): kept and shown, but it asks nobody to act, so it
# is never counted as an open warning nor leaves a status undetermined. Only a check the
# registry marks `resolvable` yields it, and only for a finding that carries its evidence.
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
# The cell of its row a finding points at; "figure" is whichever of target, actual and
# reported_pct the finding names. None: a finding about a whole row, sheet or file.
CELL_ROLES = ("label", "unit", "target", "actual", "reported_pct", "figure")
# Whether an unresolved finding of a check leaves a row's attainment undetermined (int_district_attainment
# reads it from dq_checks.blocks_attainment): a doubt about the figures or the row blocks the decision
# (every error, and a warning by default); a finding that does not bear on comparing the row's figures
# with its own target never does; a doubt about a figure's reading does not when the row's reported
# percentage agrees with the harmonised figures (the percentage is the evidence that decided the
# reading), nor, for an implausible value, when harmonisation changed the figures and the percentage
# agrees with the result. An 'info' finding (a resolved reading) never blocks, whatever its check.
BLOCKS_ALWAYS = "always"
BLOCKS_NEVER = "never"
BLOCKS_UNLESS_PCT_AGREES = "unless_pct_agrees"
BLOCKS_UNLESS_HARMONISED_PCT_AGREES = "unless_harmonised_pct_agrees"
BLOCKING_RULES = (BLOCKS_ALWAYS, BLOCKS_NEVER, BLOCKS_UNLESS_PCT_AGREES, BLOCKS_UNLESS_HARMONISED_PCT_AGREES)


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    cell: str | None  # one of CELL_ROLES, or None
    # Whether a finding that names the evidence resolving it is information (INFO) rather than
    # this check's severity: a reading the loader settled, not a doubt left for a person.
    resolvable: bool = False
    blocks_attainment: str = BLOCKS_ALWAYS  # one of BLOCKING_RULES; an error's is always BLOCKS_ALWAYS

    def meaning_in(self, language: str) -> str:
        """What a finding of this check says, in one sentence (the message catalogue's check.<name>.meaning)."""
        return message(f"check.{self.name}.meaning", language)

    def action_in(self, language: str) -> str:
        """What the clerk should do about it (check.<name>.action)."""
        return message(f"check.{self.name}.action", language)

    @property
    def meaning(self) -> str:
        return self.meaning_in("en")

    @property
    def action(self) -> str:
        return self.action_in("en")

    def severity_of(self, resolved_by: str | None) -> str:
        """The severity of a finding of this check: INFO when it carries resolving evidence."""
        if not resolved_by:
            return self.severity
        if not self.resolvable:
            raise UnknownCheck(f"{self.name!r} findings cannot be marked resolved: declare the check resolvable "
                               "in flows/core/checks.py")
        return INFO

    @property
    def default_message(self) -> str:
        """A message for a finding whose raiser has nothing more specific to say."""
        return f"{self.meaning}. {self.action}"


class UnknownCheck(ValueError):
    """A check name that is not in the registry: a fault in the loader's code."""


def _error(name: str, cell: str | None) -> Check:
    return Check(name, ERROR, cell)


def _warning(name: str, cell: str | None, resolvable: bool = False, blocks_attainment: str = BLOCKS_ALWAYS) -> Check:
    return Check(name, WARNING, cell, resolvable, blocks_attainment)


_REGISTRY = (
    # The file as a whole: rejected before or while it is read.
    _error("file_too_large", None),
    _error("legacy_or_encrypted", None),
    _error("not_a_workbook", None),
    _error("damaged_workbook", None),
    _error("zip_bomb", None),
    _error("xml_entities", None),
    _error("sheet_too_large", None),
    _error("cell_too_long", None),
    _error("unsupported_file", None),
    _error("unreadable_workbook", None),
    _error("invalid_file_name", None),
    _error("unknown_district", None),
    _error("link_outside_folder", None),
    _error("unknown_reporting_unit", None),
    _error("district_mismatch", None),
    _error("header_not_found", None),
    _error("empty_table", None),
    # Pending: not read this time for a reason outside the file's content; the next run reads it again.
    _error("file_vanished", None),
    _error("file_changed_during_load", None),
    _error("not_a_file", None),
    _error("file_unreadable", None),
    _error("processing_failed", None),
    # The reader's sandbox (flows/ingest/sandbox.py): pending the first time, rejected when the same
    # content does it again on the next run, so that one file never costs every night.
    _error("reader_crashed", None),
    _error("reader_limit_exceeded", None),
    _warning("superseded_figures_restored", None),
    _warning("file_ignored", None, resolvable=True),
    _warning("file_missing", None),
    # A sheet.
    _error("header_not_recognised", None),
    _warning("excel_percent_format", None, resolvable=True),
    _warning("excel_number_format", "figure"),
    _error("period_conflict", None),
    _warning("hidden_sheet", None, blocks_attainment=BLOCKS_NEVER),
    _warning("mixed_encoding", None),
    _warning("legacy_encoding_converted", None, blocks_attainment=BLOCKS_NEVER),
    _warning("period_missing", None),
    _warning("period_assumed", None, blocks_attainment=BLOCKS_NEVER),
    # A row and its cells, as the parser reads them.
    _error("missing_label", "label"),
    _warning("row_without_label", "label"),
    _error("duplicate_indicator_row", "label"),
    _warning("hidden_row", "label", blocks_attainment=BLOCKS_NEVER),
    _error("formula_without_value", "figure"),
    _warning("unexpected_cell_type", "figure"),
    _warning("unit_dimension_unknown", "unit"),
    _warning("missing_unit", "unit", blocks_attainment=BLOCKS_NEVER),  # the row is read in one unit, whichever it is
    _warning("unexpected_unit", "reported_pct"),
    _warning("figure_unit_differs", "figure"),
    _error("unreadable_figure", "figure"),
    _warning("ambiguous_number", "figure", resolvable=True, blocks_attainment=BLOCKS_UNLESS_PCT_AGREES),
    _warning("missing_value", "actual"),
    _warning("compound_value", "figure", resolvable=True, blocks_attainment=BLOCKS_UNLESS_PCT_AGREES),
    _warning("bound_as_result", "actual"),
    _warning("range_as_result", "actual"),
    # A row as the pandera models judge it (schemas/indicator_rows.py): IndicatorRow's failures
    # reject the row, IndicatorRowDoubts' warn. A failure of a column's own checks is reported
    # as invalid_<column> when that is registered as an error, else as invalid_row.
    _error("target_bounds_reversed", "target"),
    _error("qualitative_with_value", "actual"),
    _error("invalid_row_label", "label"),
    _error("invalid_reported_pct", "reported_pct"),
    _error("invalid_source_district", None),
    _error("invalid_source_file", None),
    _error("invalid_source_sheet", None),
    _error("invalid_source_row", None),
    _error("invalid_row_kind", None),
    _error("invalid_row", None),
    # figures whose units do not convert into one another are undetermined by the unit rule instead (is_unit_mix)
    _warning("invalid_unit", "unit", blocks_attainment=BLOCKS_NEVER),
    _warning("attainment_mismatch", "reported_pct", resolvable=True, blocks_attainment=BLOCKS_UNLESS_PCT_AGREES),
    _warning("implausible_value", "actual", resolvable=True,
             blocks_attainment=BLOCKS_UNLESS_HARMONISED_PCT_AGREES),
    # Mapping and the warehouse.
    _warning("unmapped_indicator", "label"),
    _warning("conflicting_files", "label"),
    # Raised once per file by the warehouse build (flows/warehouse/build.py), not by a reader: only
    # the row versions of every file tell that none of this file's figures is current any more.
    _warning("superseded_file", None),
)
CHECKS: dict[str, Check] = {c.name: c for c in _REGISTRY}


def check(name: str) -> Check:
    """The registered check of this name; UnknownCheck when there is none."""
    try:
        return CHECKS[name]
    except KeyError:
        raise UnknownCheck(f"{name!r} is not a registered data-quality check: add it to flows/core/checks.py "
                           "with its severity, and its meaning and action to schemas/messages.csv") from None
