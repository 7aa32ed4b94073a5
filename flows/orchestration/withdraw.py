"""`haquang withdraw FILE`: take a workbook's figures out of the current warehouse, keeping history.

A withdrawal first says what it would do (WithdrawalPreview): how many current rows leave the views,
which files' figures it had taken over come back, and which figures of the merged units (successors:
the views merged_district_indicators and target_attainment) change. It is worked out by doing the
withdrawal on the next version beside the published file (the same steps, the models built) and
comparing its successor figures with the published ones; without `apply` that version is discarded,
so the published warehouse is not touched (its bytes stay the same).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flows.core.messages import in_both
from flows.core.names import show_name
from flows.orchestration.publishing import ExportsNotWritten, outputs_of_published
from flows.publish.outputs import write_outputs
from flows.warehouse.build import WarehouseBuild
from flows.warehouse.lock import writer_lock

LISTED = 10  # names an unknown-file message lists of each kind (a warehouse may hold thousands)
SUCCESSORS_LISTED = 10  # successor figures a preview lists (then how many more)

# The successor figures a person reads: the merged unit's value, and whether its target was met.
_SUCCESSOR_FIGURES = {
    "merged_district_indicators": """
        select successor, indicator_code, period_round, value::double, coverage_status
        from merged_district_indicators""",
    "target_attainment": """
        select district, indicator_code, period_end::varchar, value::double, status
        from target_attainment where district in (select successor from merged_district_indicators)""",
}


class UnknownFile(Exception):
    """The warehouse has neither current figures nor open findings from that file."""


class NotWithdrawn(Exception):
    """Raised inside the build of a preview, so that the version is discarded, never published."""


@dataclass(frozen=True)
class SuccessorChange:
    view: str
    unit: str
    indicator: str
    period: str
    before: tuple  # (value, status) before the withdrawal; (None, None): the row appears
    after: tuple  # after it; (None, None): the row goes


@dataclass(frozen=True)
class WithdrawalPreview:
    """What withdrawing a file would change, worked out on a version that is then discarded."""

    source_file: str
    rows: int  # current rows that would leave the views
    findings: int  # open findings of the file that would close
    restored: dict[str, int] = field(default_factory=dict)
    successors: list[SuccessorChange] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Vietnamese, then English, sentence by sentence (schemas/messages.csv, oncall.withdraw.*)."""
        name = show_name(self.source_file)
        lines = in_both("oncall.withdraw.rows", file=name, rows=self.rows) if self.rows else \
            in_both("oncall.withdraw.no_rows", file=name, findings=self.findings)
        for other, rows in self.restored.items():
            lines += in_both("oncall.withdraw.restored", other=show_name(other), rows=rows)
        if not self.successors:
            return lines + in_both("oncall.withdraw.no_successors")
        lines += in_both("oncall.withdraw.successors", count=len(self.successors))
        for change in self.successors[:SUCCESSORS_LISTED]:
            lines += [f"  {line}" for line in in_both(
                "oncall.withdraw.successor", unit=change.unit, indicator=change.indicator, period=change.period,
                value_before=_shown(change.before[0]), value_after=_shown(change.after[0]),
                status_before=_shown(change.before[1]), status_after=_shown(change.after[1]))]
        if len(self.successors) > SUCCESSORS_LISTED:
            lines += [f"  {line}" for line in in_both("oncall.withdraw.successor_more",
                                                      count=len(self.successors) - SUCCESSORS_LISTED)]
        return lines


def _shown(value):
    """A figure as the reader's language writes it (say formats numbers), a word as it is, "—" for none."""
    if value is None:
        return "—"
    return value if isinstance(value, (int, float)) else show_name(str(value))


def successor_figures(con) -> dict[tuple, tuple]:
    """(view, unit, indicator, period) -> (value, status) of every successor figure a version shows."""
    figures = {}
    for view, query in _SUCCESSOR_FIGURES.items():
        for unit, indicator, period, value, status in con.execute(query).fetchall():
            figures[(view, unit, indicator, period)] = (value, status)
    return figures


def successor_changes(before: dict[tuple, tuple], after: dict[tuple, tuple]) -> list[SuccessorChange]:
    gone = (None, None)
    return [SuccessorChange(*key, before.get(key, gone), after.get(key, gone))
            for key in sorted(set(before) | set(after), key=lambda k: tuple(str(p) for p in k))
            if before.get(key, gone) != after.get(key, gone)]


@dataclass(frozen=True)
class Withdrawal:
    load_id: int
    source_file: str  # the name as the warehouse stores it (the one typed may differ in Unicode form)
    rows: int  # current figures it took out of the views; 0 for a file only ever rejected
    restored: dict[str, int] = field(default_factory=dict)  # figures of files it had taken over, current again
    preview: WithdrawalPreview | None = None

    @property
    def message(self) -> str:
        back = "".join(f" The figures of {show_name(name)} it had taken over ({rows} rows) are current again."
                       for name, rows in self.restored.items())
        if self.rows:
            return (f"Withdrew {show_name(self.source_file)} in load {self.load_id}: its figures ({self.rows} rows) "
                    f"are in indicator_results_history only.{back}")
        return (f"Withdrew {show_name(self.source_file)} in load {self.load_id}: it had no current figures; its "
                "open findings are closed.")


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
                    raise UnknownFile(_unknown(source_file, warehouse, build.files_with_figures(), current))
                name = source_file if source_file in matches else matches[0]
                rows = build.current_rows(name)
                findings = build.con.execute("select count(*) from dq_issues where source_file = ?",
                                             [name]).fetchone()[0]
                before = successor_figures(build.con)
                restored = build.restore_taken_over(name)
                build.withdraw(name)
                build.finish(started_at, "withdraw")
                build.build_models()
                preview = WithdrawalPreview(name, rows, findings, restored,
                                            successor_changes(before, successor_figures(build.con)))
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


def _unknown(source_file: str, warehouse: Path, with_figures: list[str], current: list[str]) -> str:
    """Why nothing was withdrawn, and what could be: files with figures, files with only open findings."""
    figures = set(with_figures)
    findings_only = [name for name in current if name not in figures]

    def listed(names: list[str]) -> str:
        more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
        return (", ".join(names[:LISTED]) or "none") + more

    text = f"{source_file!r} has no current figures or open findings in {warehouse}; files with current figures: "
    text += listed(with_figures)
    if findings_only:  # rejected or pending: nothing to take out of the views, but errors to close
        text += f"; files with open findings only (rejected or not read yet): {listed(findings_only)}"
    return text
