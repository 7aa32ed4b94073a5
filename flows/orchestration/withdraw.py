"""`haquang withdraw FILE`: take a workbook's figures out of the current warehouse, keeping history."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flows.orchestration.publishing import ExportsNotWritten, outputs_of_published
from flows.publish.outputs import write_outputs
from flows.warehouse.build import WarehouseBuild
from flows.warehouse.lock import writer_lock

LISTED = 10  # names an unknown-file message lists of each kind (a warehouse may hold thousands)


class UnknownFile(Exception):
    """The warehouse has neither current figures nor open findings from that file."""


@dataclass(frozen=True)
class Withdrawal:
    load_id: int
    source_file: str  # the name as the warehouse stores it (the one typed may differ in Unicode form)
    rows: int  # current figures it took out of the views; 0 for a file only ever rejected
    restored: dict[str, int] = field(default_factory=dict)  # figures of files it had taken over, current again

    @property
    def message(self) -> str:
        from flows.core.names import show_name

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
                  outputs: Path | None = None) -> Withdrawal:
    """Record the withdrawal as a load of its own and publish it as a load is.

    Raises ExportsNotWritten (flows/orchestration/publishing.py), its `summary` the Withdrawal,
    when the withdrawal was published but its exports (in `outputs`, default the folder the
    outputs were last written to) could not be written.
    """
    started_at = dt.datetime.now(dt.timezone.utc)
    with writer_lock(warehouse, lock_wait_seconds):
        with WarehouseBuild(warehouse) as build:  # published when the block ends, discarded if it raises
            current = build.current_files()
            matches = [name for name in current if _key(name) == _key(source_file)]
            if not matches:
                raise UnknownFile(_unknown(source_file, warehouse, build.files_with_figures(), current))
            name = source_file if source_file in matches else matches[0]
            rows = build.current_rows(name)
            restored = build.restore_taken_over(name)
            build.withdraw(name)
            build.finish(started_at, "withdraw")
            build.build_models()
        done = Withdrawal(build.load_id, name, rows, restored)
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
