"""The registry of data-quality checks: every check_name a finding may carry, in one place.

Each check states its severity, what it means, what the clerk should do, and which cell of a
row its findings point at. A finding takes its severity from here (flows/core/findings.py), the
warehouse serves this table as the view dq_checks, and the data dictionary lists it; a check
that is not registered cannot be raised.

It lives in flows/core, not as a catalogue in schemas/: every stage from the guard to the
warehouse build raises findings, and core is the one package all of them may import.
"""

from __future__ import annotations

from dataclasses import dataclass

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
_MAINTAINERS = "Send the file to the warehouse's maintainers: this is a fault of the loader, not of the workbook"


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    cell: str | None  # one of CELL_ROLES, or None
    meaning: str  # what a finding of this check says, in one sentence
    action: str  # what the clerk should do about it
    # Whether a finding that names the evidence resolving it is information (INFO) rather than
    # this check's severity: a reading the loader settled, not a doubt left for a person.
    resolvable: bool = False

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


def _error(name: str, cell: str | None, meaning: str, action: str) -> Check:
    return Check(name, ERROR, cell, meaning, action)


def _warning(name: str, cell: str | None, meaning: str, action: str, resolvable: bool = False) -> Check:
    return Check(name, WARNING, cell, meaning, action, resolvable)


_REGISTRY = (
    # The file as a whole: rejected before or while it is read.
    _error("file_too_large", None, "the file is over the size limit; it was not read",
           "Send the indicator table alone"),
    _error("legacy_or_encrypted", None, "the file is an old-format .xls or a password-protected workbook; it was "
           "not read", "Open it in Excel, remove any password and save it as .xlsx (Excel Workbook)"),
    _error("not_a_workbook", None, "the file is not an .xlsx workbook (not a zip archive); it was not read",
           "Save it from Excel as .xlsx and send it again"),
    _error("damaged_workbook", None, "the workbook is damaged or incomplete (a broken zip or XML part, or parts "
           "Excel never writes); it was not read",
           "Re-save it from Excel and send it again; a half-copied file loads once the copy is complete"),
    _error("zip_bomb", None, "the workbook's parts would inflate far beyond a spreadsheet's size (a zip bomb); it "
           "was not read", "Send the indicator table alone, saved from Excel"),
    _error("xml_entities", None, "the workbook's XML declares a DTD or entities, which Excel never writes (an "
           "entity attack); it was not read", "Re-save it from Excel"),
    _error("sheet_too_large", None, "a sheet reaches beyond the rows, columns, cells, texts, merged areas or size "
           "a district table needs (the message says which limit); the workbook was not read",
           "Delete stray cells far from the table (Ctrl+End shows the last one) or send the indicator table alone"),
    _error("cell_too_long", None, "a cell or a text of the workbook holds more than 32,767 characters, which "
           "Excel cannot store (the file was not made by Excel); it was not read",
           "Re-save it from Excel, or send the indicator table alone"),
    _error("unsupported_file", None, "a file in the raw folder that is not an .xlsx workbook; it was not read",
           "Save it from Excel as .xlsx, or move it out of the raw folder"),
    _error("unreadable_workbook", None, "the spreadsheet reader could not read the workbook; it was not loaded",
           "Open it in Excel, save it again as .xlsx and send it again"),
    _error("invalid_file_name", None, "the file name is not valid Unicode (UTF-8) text; the file was not read",
           "Rename the file, typing its name again"),
    _error("unknown_district", None, "the file is not inside a former district's folder; it was not read",
           "Move it to raw/<district>/"),
    _error("link_outside_folder", None, "the entry is a link to a file outside the folder that holds it (another "
           "district's or commune's folder, or outside the raw folder); it was not read, so that no file is loaded "
           "under a unit it does not belong to", "Put a copy of the workbook itself in the folder of the unit it "
           "reports on"),
    _error("unknown_reporting_unit", None, "the file's folder names a commune code that is not in the official "
           "list of communes; it was not read", "Put the file in the folder of the commune's five-digit GSO code"),
    _error("district_mismatch", None, "the workbook's title says its figures are another former district's than "
           "the folder's; it was not loaded", "Move the file to the folder of the district it reports, or correct "
           "its title"),
    _error("header_not_found", None, "no sheet of the workbook has an indicator table header; nothing was loaded",
           "Make the header row name the columns Chỉ tiêu, Mục tiêu and Thực hiện"),
    _error("empty_table", None, "the table header was found but no indicator rows below it; nothing was loaded",
           "Fill in the table, or take the file out of the raw folder"),
    # Pending: not read this time for a reason outside the file's content; the next run reads it again.
    _error("file_vanished", None, "pending: the file was gone when the load read it (moved or renamed meanwhile); "
           "its earlier figures stay", "Nothing if it was moved on purpose; the next run reads it again"),
    _error("file_changed_during_load", None, "pending: the file changed while the load read it (still being "
           "copied?); its earlier figures stay", "Nothing: the next run reads it once the copy is complete"),
    _error("not_a_file", None, "pending: the entry is not a regular file (a folder, a link, a pipe or a device)",
           "Put the .xlsx file itself in the raw folder"),
    _error("file_unreadable", None, "pending: the entry could not be read (permissions, a disk fault, a link to "
           "nothing)", "Check that it is a complete workbook file the loader may read; the next run reads it again"),
    _error("processing_failed", None, "pending: the loader itself failed on this file; the other files were loaded",
           "If it happens again, send this file to the warehouse's maintainers"),
    # The reader's sandbox (flows/ingest/sandbox.py): pending the first time, rejected when the same
    # content does it again on the next run, so that one file never costs every night.
    _error("reader_crashed", None, "the spreadsheet reader crashed on this workbook (in its sandbox; the other files "
           "were loaded); read again by the next run, and rejected if it crashes again",
           "Open it in Excel, save it again as .xlsx and send it again; if a re-saved file crashes too, send it "
           "to the warehouse's maintainers"),
    _error("reader_limit_exceeded", None, "reading this workbook needed more memory or time than any district "
           "workbook does (the message says which limit); it was stopped, read again by the next run, and "
           "rejected if it passes the limit again",
           "Open it in Excel, delete what is not the indicator table, save it as .xlsx and send it again"),
    _warning("superseded_figures_restored", None, "a file that had taken over this file's figures was withdrawn, "
             "so they are current again", "Check that they are the figures to publish, or send the corrected file again"),
    _warning("file_ignored", None, "an entry of the raw folder that is not read: a hidden file or folder, Excel's "
             "lock file (~$), an operating system's file", "Nothing for a lock or system file; a workbook hidden by "
             "its name, or named like a lock file, loads once renamed", resolvable=True),
    _warning("file_missing", None, "the file is no longer in the raw folder; its figures stay published, marked as "
             "from a missing file", "Put the file back, or run haquang withdraw FILE to take its figures out"),
    # A sheet.
    _error("header_not_recognised", None, "a sheet's table header (or a second header below a table) names a "
           "column twice or lacks the indicator, target or result column; the sheet, or the rows below that header, "
           "were not loaded", "Correct the header row the message names"),
    _warning("excel_percent_format", None, "number cells formatted as Excel percentages (a typed 49% is stored "
             "as 0.49) were read as the percentages Excel shows", "Nothing when Excel shows the figures you meant; "
             "a figure shown as a percentage in a row whose unit is not % is flagged on its row", resolvable=True),
    _warning("excel_number_format", "figure", "a figure cell's number format makes Excel show another figure than "
             "the one stored (a scale such as #,##0, that divides by 1,000, text around the number, or nothing); the "
             "stored number was loaded", "Check the figure and type it as it is meant, without that format"),
    _error("period_conflict", None, "the month a file's folder names and the year its table's title or header "
           "states disagree; the table was not loaded", "Put the file in the folder of the month it reports, or "
           "correct its title"),
    _warning("hidden_sheet", None, "the sheet is hidden in Excel; it was loaded",
             "Unhide it, or delete it if its figures are not meant to be reported"),
    _warning("mixed_encoding", None, "the sheet mixes Unicode with legacy (TCVN3/VNI) text; it was read as it is",
             "Retype the legacy cells in Unicode"),
    _warning("legacy_encoding_converted", None, "the sheet was typed in TCVN3 or VNI and was converted to Unicode",
             "Check the converted labels; save future workbooks with a Unicode font"),
    _warning("period_missing", None, "neither the title nor the header says which year the figures refer to; "
             "period_end is empty", "Say 'đến hết năm YYYY' in the title"),
    _warning("period_assumed", None, "the year was taken from the plan period, not stated",
             "Say 'đến hết năm YYYY' in the title"),
    # A row and its cells, as the parser reads them.
    _error("missing_label", "label", "a row has figures but no indicator name; it was not loaded",
           "Add the name or delete the row"),
    _warning("row_without_label", "label", "a row has text but no indicator name and no figures; it was not loaded",
             "Delete the row, or give it a name and figures"),
    _error("duplicate_indicator_row", "label", "the same indicator appears more than once in one workbook; none of "
           "its rows was loaded", "Keep one row per indicator"),
    _warning("hidden_row", "label", "the row is hidden in Excel; it was loaded", "Unhide it or delete it"),
    _error("formula_without_value", "figure", "a figure cell holds a formula that was never calculated; the figure "
           "is left empty and the rest of the row is loaded", "Open the workbook in Excel, let it recalculate, save"),
    _warning("unexpected_cell_type", "figure", "a date or TRUE/FALSE where a figure belongs; it is not read as one",
             "Type the figure as a number or text"),
    _warning("unit_dimension_unknown", "unit", "the label states a per-unit dimension ('/năm', 'đầu người', '/ha') "
             "the unit catalogue has no unit for with the row's unit; the row keeps its reported unit",
             "Ask the maintainers to add the unit to schemas/units.csv and its completion to unit_conversions.csv, "
             "or state the unit in the unit column"),
    _warning("unexpected_unit", "reported_pct", "the percentage column holds something other than a percentage",
             "Put only the percentage in the column"),
    _error("unreadable_figure", "figure", "a figure's text cannot be read as a figure (digit look-alikes, an Excel "
           "error, words where a figure belongs); it is left empty and the rest of the row is loaded",
           "Retype the figure as a plain number, or a verdict such as Đạt where words are meant"),
    _warning("ambiguous_number", "figure", "a number whose dots and commas read two ways (e.g. '17.68'); the row's "
             "other figures decide the reading, or it is left empty; info when the reported percentage or the "
             "plausibility catalogue rules the other reading out",
             "Check the cell and retype it with dots grouping thousands and a comma for decimals", resolvable=True),
    _warning("missing_value", "actual", "the result cell of a row with a target is empty",
             "Fill it in or mark the row as not reported"),
    _warning("compound_value", "figure", "a target or result holds two numbers (e.g. '1.020/750'); the first is "
             "loaded; info when the second is the target over the plan period and the two match the reported "
             "percentage", "Report one figure and put the comparison in the notes", resolvable=True),
    _warning("bound_as_result", "actual", "the result is a bound (e.g. '> 95'), not a figure; its number is loaded",
             "Report the figure itself"),
    _warning("range_as_result", "actual", "the result is a range, not a figure", "Report the figure itself"),
    # A row as the pandera models judge it (schemas/indicator_rows.py): IndicatorRow's failures
    # reject the row, IndicatorRowDoubts' warn. A failure of a column's own checks is reported
    # as invalid_<column> when that is registered as an error, else as invalid_row.
    _error("target_bounds_reversed", "target", "the target range is written high-to-low; the row was not loaded",
           "Write it low-high (e.g. 650-700)"),
    _error("qualitative_with_value", "actual", "a qualitative row carries a numeric result; the row was not loaded",
           "Give the result either in words or as a figure"),
    _error("invalid_row_label", "label", "the indicator name is empty or longer than 500 characters; the row was "
           "not loaded", "Shorten the name and put explanations in the notes"),
    _error("invalid_reported_pct", "reported_pct", "the reported percentage is negative; the row was not loaded",
           "Correct the percentage"),
    _error("invalid_source_district", None, "the row's district is not a former district; the row was not loaded",
           _MAINTAINERS),
    _error("invalid_source_file", None, "the row has no file name; the row was not loaded", _MAINTAINERS),
    _error("invalid_source_sheet", None, "the row has no sheet name; the row was not loaded", _MAINTAINERS),
    _error("invalid_source_row", None, "the row's number is not a spreadsheet row number; the row was not loaded",
           _MAINTAINERS),
    _error("invalid_row_kind", None, "the row is neither measured, qualitative nor a group; the row was not loaded",
           _MAINTAINERS),
    _error("invalid_row", None, "a value of the row fails a structure check that has no name of its own (the "
           "message names the column and the value); the row was not loaded",
           "Correct the value the message names; if it looks right, send the file to the warehouse's maintainers"),
    _warning("invalid_unit", "unit", "the unit is not in the unit catalogue (schemas/units.csv); the row is loaded "
             "without a unit", "Write the unit, e.g. %, tấn, ha, triệu đồng"),
    _warning("attainment_mismatch", "reported_pct", "the reported percentage does not match the result against "
             "the target; info when the result as a plan-period total against a yearly target explains it",
             "Check which figures the percentage was computed from", resolvable=True),
    _warning("implausible_value", "actual", "the result is outside what its measure allows, or more than five times "
             "its target; info when it is only far beyond a yearly target and the plan-period total explains it", "Check the unit and the period (a per-mille typed as percent, a total against a yearly "
             "target)", resolvable=True),
    # Mapping and the warehouse.
    _warning("unmapped_indicator", "label", "the label is not in the indicator crosswalk "
             "(schemas/indicator_crosswalk.csv); the row is loaded without an indicator",
             "See the view unmapped_labels for the closest indicators; use the catalogue's wording or ask the "
             "maintainers to add the label"),
    _warning("conflicting_files", "label", "two files of one load report the same indicator for the same unit and "
             "period; the most recently modified file is published", "Withdraw or correct the file that is wrong"),
    # Raised once per file by the warehouse build (flows/warehouse/build.py), not by a reader: only
    # the row versions of every file tell that none of this file's figures is current any more.
    _warning("superseded_file", None, "every figure of the file was taken over by a later load of another file "
             "for the same district, unit, period and indicator; the file still sits in the raw folder, and its "
             "findings on rows are closed", "Run `haquang withdraw FILE` on it (the message gives the command), "
             "then it may be removed from the raw folder; if it is the right one, send it again as a correction"),
)
CHECKS: dict[str, Check] = {c.name: c for c in _REGISTRY}


def check(name: str) -> Check:
    """The registered check of this name; UnknownCheck when there is none."""
    try:
        return CHECKS[name]
    except KeyError:
        raise UnknownCheck(f"{name!r} is not a registered data-quality check: add it to flows/core/checks.py "
                           "with its severity, meaning and what to do") from None
