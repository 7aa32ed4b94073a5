"""`haquang withdraw FILE`: take a workbook's figures out of the current warehouse, keeping history.

A withdrawal first says what it would do (WithdrawalPreview): how many current rows leave the views,
which files' figures it had taken over come back, and which figures of the merged units (successors:
the views merged_district_indicators and target_attainment) change. It is worked out by doing the
withdrawal on the next version beside the published file (the same steps, the models built) and
comparing its successor figures with the published ones; without `apply` that version is discarded,
so the published warehouse is not touched (its bytes stay the same).

The preview is read by the person on call: for a file whose rows are loaded and whose errors are on
cells or rows it first gives the load summary's advice (a corrected workbook; a withdrawal takes out
every current row of the file), and it names units and indicators, coverage and statuses in words,
listing a figure only where what a reader sees of it changes. A name the warehouse does not know is
refused (UnknownFile: bad usage) with the names that could be meant; a file already withdrawn is
said so (AlreadyWithdrawn).
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flows.core import reader_format
from flows.core.messages import LANGUAGES, counted_in_both, in_both, message, say
from flows.core.names import show_name
from flows.orchestration.publishing import ExportsNotWritten, outputs_of_published
from flows.publish.advice import advice
from flows.publish.outputs import write_outputs
from flows.warehouse.build import WarehouseBuild
from flows.warehouse.lock import writer_lock
from flows.warehouse.open_files import file_states

LISTED = 10  # names an unknown-file message lists of each kind (a warehouse may hold thousands)
CLOSE_LISTED = 5  # names an unknown-file message gives as close to the one typed
SUCCESSORS_LISTED = 10  # successor figures a preview lists (then how many more)

# The successor figures a person reads: the merged unit's value, and its coverage (merged_district_indicators)
# or whether its target was met (target_attainment); units and indicators by their names.
_UNIT_NAMES = """(select successor, any_value(successor_name_vi) as unit_vi, any_value(successor_name_en) as unit_en
                  from boundary_changes group by successor)"""
_SUCCESSOR_FIGURES = {
    "merged_district_indicators": f"""
        select successor, indicator_code, period_round, value::double, coverage_status,
               coalesce(unit_vi, successor), coalesce(unit_en, successor),
               coalesce(name_vi, indicator_code), coalesce(name_en, name_vi, indicator_code)
        from merged_district_indicators left join {_UNIT_NAMES} as units using (successor)""",
    "target_attainment": f"""
        select district, indicator_code, period_end, value::double, status,
               coalesce(unit_vi, district), coalesce(unit_en, district),
               coalesce(name_vi, indicator_code), coalesce(name_en, name_vi, indicator_code)
        from target_attainment inner join {_UNIT_NAMES} as units on units.successor = target_attainment.district""",
}
# The words of a figure's state, by view: coverage of a merged figure, the verdict on its target
_STATE_WORDS = {
    "merged_district_indicators": {"full": "oncall.withdraw.coverage.full",
                                   "partial": "oncall.withdraw.coverage.partial"},
    "target_attainment": {"met": "dashboard.status.met", "not_met": "dashboard.status.not_met",
                          "undetermined": "dashboard.status.undetermined", "partial": "dashboard.status.partial"},
}
# The sentence of a changed figure, by (value changed, state changed) and view
_CHANGE_SENTENCES = {
    (True, False): {"merged_district_indicators": "oncall.withdraw.change.value",
                    "target_attainment": "oncall.withdraw.change.value"},
    (False, True): {"merged_district_indicators": "oncall.withdraw.change.coverage",
                    "target_attainment": "oncall.withdraw.change.status"},
    (True, True): {"merged_district_indicators": "oncall.withdraw.change.value_coverage",
                   "target_attainment": "oncall.withdraw.change.value_status"},
}


class UnknownFile(Exception):
    """The warehouse has neither current figures nor open findings from that file: bad usage (exit 2).
    `lines`: what the person reads, Vietnamese then English, with the names they may have meant."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


class AlreadyWithdrawn(Exception):
    """The file was withdrawn by an earlier load and nothing of it came back since: nothing to do."""

    def __init__(self, source_file: str, load_id: int):
        super().__init__(source_file, load_id)
        self.source_file, self.load_id = source_file, load_id

    def lines(self) -> list[str]:
        return in_both("oncall.withdraw.already", file=show_name(self.source_file), load_id=self.load_id)


class NotWithdrawn(Exception):
    """Raised inside the build of a preview, so that the version is discarded, never published."""


@dataclass(frozen=True)
class SuccessorFigure:
    value: float | None
    state: str | None  # coverage_status or status: what the view says of the figure
    unit: dict  # the merged unit's name, {language: name}
    indicator: dict  # the indicator's name, {language: name}


@dataclass(frozen=True)
class SuccessorChange:
    view: str
    unit: dict  # {language: name}
    indicator: dict  # {language: name}
    period: object  # 'plan' or a date
    before: tuple  # (value, state) before the withdrawal; (None, None): the row appears
    after: tuple  # after it; (None, None): the row goes

    def lines(self) -> list[str]:
        """The change in both languages as a reader sees it; none when what they see is the same."""
        value_changed = any(reader_format.number(self.before[0], language)
                            != reader_format.number(self.after[0], language) for language in LANGUAGES)
        state_changed = self.before[1] != self.after[1]
        if not (value_changed or state_changed):
            return []
        words = _STATE_WORDS[self.view]
        period = ({language: message("oncall.withdraw.period.plan", language) for language in LANGUAGES}
                  if self.period == "plan" else _as_date(self.period))
        return in_both(_CHANGE_SENTENCES[value_changed, state_changed][self.view], unit=self.unit,
                       indicator=self.indicator, period=period,
                       value_before=_figure(self.before[0]), value_after=_figure(self.after[0]),
                       state_before=_state(words, self.before[1]), state_after=_state(words, self.after[1]))


def _figure(value):
    """A figure, which say writes as the reader's language does; "—" for none."""
    return "—" if value is None else value


def _state(words: dict[str, str], state: str | None):
    """A state in the reader's words ({language: word}); "—" for a figure that is not there."""
    if state is None:
        return "—"
    if state not in words:  # a state this module does not know yet: said as the view stores it
        return show_name(state)
    return {language: message(words[state], language) for language in LANGUAGES}


def _as_date(period):
    """A round's period as a date when it is one (a monthly round's ISO date), else as it is."""
    if isinstance(period, dt.date):
        return period
    try:
        return dt.date.fromisoformat(str(period))
    except ValueError:
        return show_name(str(period))


@dataclass(frozen=True)
class WithdrawalPreview:
    """What withdrawing a file would change, worked out on a version that is then discarded."""

    source_file: str
    rows: int  # current rows that would leave the views
    findings: int  # open findings of the file that would close
    restored: dict[str, int] = field(default_factory=dict)
    successors: list[SuccessorChange] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)  # the load summary's advice on the file (flows/publish/advice.py)

    def lines(self) -> list[str]:
        """Vietnamese, then English, sentence by sentence (schemas/messages.csv, oncall.withdraw.*).

        A file whose other rows are loaded and whose errors are on cells or rows is usually answered by
        a corrected workbook, not a withdrawal: that advice comes first, as the load summary gives it."""
        name = show_name(self.source_file)
        lines = list(self.advice)
        lines += in_both("oncall.withdraw.rows", file=name, rows=self.rows) if self.rows else \
            counted_in_both("oncall.withdraw.no_rows", self.findings, file=name)
        for other, rows in self.restored.items():
            lines += in_both("oncall.withdraw.restored", other=show_name(other), rows=rows)
        changes = [change_lines for change in self.successors if (change_lines := change.lines())]
        if not changes:
            return lines + in_both("oncall.withdraw.no_successors")
        lines += in_both("oncall.withdraw.successors", count=len(changes))
        for change_lines in changes[:SUCCESSORS_LISTED]:
            lines += [f"  {line}" for line in change_lines]
        if len(changes) > SUCCESSORS_LISTED:
            lines += [f"  {line}" for line in in_both("oncall.withdraw.successor_more",
                                                      count=len(changes) - SUCCESSORS_LISTED)]
        return lines


def successor_figures(con) -> dict[tuple, SuccessorFigure]:
    """(view, unit, indicator, period) -> SuccessorFigure of every successor figure a version shows."""
    figures = {}
    for view, query in _SUCCESSOR_FIGURES.items():
        for unit, indicator, period, value, state, unit_vi, unit_en, name_vi, name_en in con.execute(query).fetchall():
            figures[(view, unit, indicator, period)] = SuccessorFigure(value, state, {"vi": unit_vi, "en": unit_en},
                                                                       {"vi": name_vi, "en": name_en})
    return figures


def successor_changes(before: dict[tuple, SuccessorFigure],
                      after: dict[tuple, SuccessorFigure]) -> list[SuccessorChange]:
    """The figures whose value or state differs (or that appear or go), in the order of their keys."""
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: tuple(str(p) for p in k)):
        old, new = before.get(key), after.get(key)
        old_shown = (old.value, old.state) if old else (None, None)
        new_shown = (new.value, new.state) if new else (None, None)
        if old_shown != new_shown:
            named = old or new
            changes.append(SuccessorChange(key[0], named.unit, named.indicator, key[3], old_shown, new_shown))
    return changes


@dataclass(frozen=True)
class Withdrawal:
    load_id: int
    source_file: str  # the name as the warehouse stores it (the one typed may differ in Unicode form)
    rows: int  # current figures it took out of the views; 0 for a file only ever rejected
    restored: dict[str, int] = field(default_factory=dict)  # figures of files it had taken over, current again
    preview: WithdrawalPreview | None = None

    def lines(self) -> list[str]:
        """What was done, Vietnamese then English (oncall.withdraw.done*)."""
        name = show_name(self.source_file)
        if not self.rows:
            return in_both("oncall.withdraw.done_no_rows", file=name, load_id=self.load_id)
        lines = counted_in_both("oncall.withdraw.done", self.rows, file=name, load_id=self.load_id)
        for other, rows in self.restored.items():
            lines += in_both("oncall.withdraw.done_restored", other=show_name(other), rows=rows)
        return lines


def _key(name: str) -> str:
    # A Mac sends typed names decomposed (NFD), a Windows share composed (NFC): "chú" either way
    # is one file. Compared composed, matched to the name as the warehouse stores it.
    return unicodedata.normalize("NFC", name)


def withdraw_file(warehouse: Path, source_file: str, lock_wait_seconds: float,
                  outputs: Path | None = None, apply: bool = True) -> Withdrawal:
    """Record the withdrawal as a load of its own and publish it as a load is; its `preview` says what it
    changed. With apply=False, the same is worked out and the version discarded: nothing is published,
    no output written (the Withdrawal's load_id is then the one it would have had).

    Raises ExportsNotWritten (flows/orchestration/publishing.py), its `summary` the Withdrawal,
    when the withdrawal was published but its exports (in `outputs`, default the folder the
    outputs were last written to) could not be written.
    """
    started_at = dt.datetime.now(dt.timezone.utc)
    with writer_lock(warehouse, lock_wait_seconds):
        try:
            with WarehouseBuild(warehouse) as build:  # published when the block ends, discarded if it raises
                current = build.current_files()
                matches = [name for name in current if _key(name) == _key(source_file)]
                if not matches:
                    _raise_not_current(build, source_file, current)
                name = source_file if source_file in matches else matches[0]
                rows = build.current_rows(name)
                findings, errors = build.con.execute(
                    "select count(*), count(*) filter (where severity = 'error') from dq_issues where source_file = ?",
                    [name]).fetchone()
                state = file_states(build.con, [name])[name]
                # the advice the load summary gives on a file with errors (never to withdraw one with rows)
                said = advice(name, state, warehouse, outputs) if errors and state.current_rows else []
                before = successor_figures(build.con)
                restored = build.restore_taken_over(name)
                build.withdraw(name)
                build.finish(started_at, "withdraw")
                build.build_models()
                preview = WithdrawalPreview(name, rows, findings, restored,
                                            successor_changes(before, successor_figures(build.con)), said)
                done = Withdrawal(build.load_id, name, rows, restored, preview)
                if not apply:
                    raise NotWithdrawn()
        except NotWithdrawn:  # the version was discarded: the published warehouse is as it was
            return done
        try:
            with outputs_of_published(build.load_id, warehouse=warehouse, outputs=outputs):
                write_outputs(warehouse, outputs=outputs)
        except ExportsNotWritten as exc:
            exc.summary = done
            raise
    return done


def _raise_not_current(build: WarehouseBuild, source_file: str, current: list[str]) -> None:
    """AlreadyWithdrawn for a file an earlier load withdrew, else UnknownFile, naming the files that
    could be meant: close names first, then those with figures, then those with open findings only."""
    for name, load_id in build.withdrawn_files().items():
        if _key(name) == _key(source_file):
            raise AlreadyWithdrawn(name, load_id)
    with_figures = build.files_with_figures()
    figures = set(with_figures)
    findings_only = [name for name in current if name not in figures]
    close = difflib.get_close_matches(_key(source_file), [_key(name) for name in current], n=CLOSE_LISTED, cutoff=0.6)
    lines = []
    for language in LANGUAGES:
        lines.append(say("oncall.withdraw.unknown", language, file=show_name(source_file)))
        if close:
            lines.append("  " + say("oncall.unknown.close", language, files=listed(close, language)))
        lines.append("  " + say("oncall.withdraw.with_figures", language, files=listed(with_figures, language)))
        if findings_only:  # rejected or pending: nothing to take out of the views, but errors to close
            lines.append("  " + say("oncall.withdraw.findings_only", language, files=listed(findings_only, language)))
    raise UnknownFile(lines)


def listed(names: list[str], language: str, shown: int = LISTED) -> str:
    """Names for a sentence, the first `shown` of them, then how many more; "none" for none."""
    if not names:
        return message("oncall.list.none", language)
    text = ", ".join(show_name(name) for name in names[:shown])
    if len(names) > shown:
        text += " " + say("oncall.list.more_files", language, count=len(names) - shown)
    return text
