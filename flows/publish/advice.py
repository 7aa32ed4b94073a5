"""What the person on call should do about each file with an open error, said once for the load summary
and `haquang status`.

A withdrawal takes a file's current figures out of every view, and with them the merged district's
figures made from them. It is the right answer for a file that should not be in raw/ at all, never
for an error on a cell or row of a workbook whose other rows are loaded: there the answer is a
corrected workbook, and the feedback workbook (flows/publish/outputs.py feedback_file) says which
cells. So the advice depends on what the file has in the views:

- current rows and errors on its cells or rows: send a corrected workbook (feedback workbook named);
- current rows of an earlier version, its latest version rejected: the same, never withdraw;
- no current rows (rejected, nothing loaded): a corrected workbook, or, if it should not be there,
  `haquang withdraw FILE` (nothing in the views changes);
- pending (not read for a reason outside its content): the next run reads it again.
"""

from __future__ import annotations

from pathlib import Path

from flows.core.messages import in_both
from flows.core.names import shell_argument, show_name
from flows.publish.outputs import feedback_file, outputs_root
from flows.warehouse.commands import PROGRAM, withdraw_command
from flows.warehouse.open_files import FileState


def advice(name: str, state: FileState, warehouse: Path, outputs: Path | None) -> list[str]:
    """The lines (Vietnamese, then English) saying what to do about one file with an open error."""
    shown = show_name(name)
    if state.pending:
        return in_both("oncall.advice.pending", file=shown)
    if state.current_rows:
        feedback = shell_argument(str(feedback_file(warehouse, name, outputs_root(warehouse, outputs)).resolve()))
        which = "oncall.advice.correct_cells" if state.row_errors else "oncall.advice.correct_version"
        return in_both(which, file=shown, rows=state.current_rows, feedback=feedback)
    command = withdraw_command(name, warehouse, outputs_root(warehouse, outputs), program=PROGRAM)
    return in_both("oncall.advice.rejected", file=shown, command=command)


def advice_lines(files: list[str], states: dict[str, FileState], warehouse: Path, outputs: Path | None,
                 shown: int | None, indent: str) -> list[str]:
    """The heading, then each file's advice (the first `shown`, or all for None), then how many more."""
    if not files:
        return []
    lines = [indent + " / ".join(in_both("oncall.advice.heading"))]  # a heading short enough for one line
    listed = files if shown is None else files[:shown]
    for name in listed:
        state = states.get(name, FileState(0, False, False))
        lines += [f"{indent}  {line}" for line in advice(name, state, warehouse, outputs)]
    if len(files) > len(listed):
        lines.append(f"{indent}  " + " / ".join(in_both("oncall.advice.more", count=len(files) - len(listed))))
    return lines
