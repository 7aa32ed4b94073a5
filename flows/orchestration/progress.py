"""How far a running load is: workbooks read of those it has to read, for whoever watches it.

- A person at a terminal (`haquang load` with stderr on a TTY) sees one line redrawn on stderr:
  files done of total, rate and time left, drawn by rich.progress (installed with Prefect).
  Only when the load reads more than a handful of files: a two-file load is over before a bar
  would say anything. A pipe or a log file gets nothing: redrawn lines would only litter it.
- A served run (started from a deployment: nobody at its terminal) keeps a Prefect progress
  artifact up to date, which the UI shows on the run's page.
- Anything else (tests, a flow called from Python) reports nothing.

The command line says where its terminal is (`terminal_progress`); the flow asks `load_progress`
for the reporter of this run. Progress moves when a batch of workbooks is done (one Prefect
task per batch), by the batch's number of files; after the reading, the display names the step
the load is in (building the warehouse, writing exports) until it ends.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as Bar
from rich.text import Text

TERMINAL_MIN_FILES = 10  # "more than a handful": fewer are read before a bar could show a rate
ARTIFACT_KEY = "load-progress"

_terminal: TextIO | None = None  # set by the command line while a load runs by hand
_terminal_guard = threading.Lock()


class Progress:
    """Reports nothing (the default); the reporters below say it somewhere."""

    def advance(self, files: int) -> None:
        pass

    def phase(self, step: str) -> None:
        """The load has read its workbooks and is now at `step`."""

    def close(self) -> None:
        pass


@contextmanager
def terminal_progress(stream: TextIO):
    """Inside, a load in this process draws its progress on `stream` when it is a terminal."""
    global _terminal
    with _terminal_guard:
        previous, _terminal = _terminal, stream if _is_terminal(stream) else None
    try:
        yield
    finally:
        with _terminal_guard:
            _terminal = previous


@contextmanager
def load_progress(total: int):
    """The reporter for a load that reads `total` files; closed (the bar ended) when the block ends."""
    progress = _reporter(total)
    try:
        yield progress
    finally:
        progress.close()


def _reporter(total: int) -> Progress:
    if _terminal is not None and total > TERMINAL_MIN_FILES:
        return TerminalProgress(total, _terminal)
    if _served_run():
        return ArtifactProgress(total)
    return Progress()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


def _served_run() -> bool:
    """A run started from a deployment (`haquang serve`, `prefect deployment run`), not by hand."""
    from prefect.runtime import deployment

    return deployment.id is not None


class _RateColumn(ProgressColumn):
    """Files per second over the last half-minute (rich's own estimate), blank until known."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:.1f} files/s" if task.speed else "", style="progress.data.speed")


class TerminalProgress(Progress):
    """One line redrawn on the terminal; it stays on screen, above the summary, when the load ends."""

    def __init__(self, total: int, stream: TextIO):
        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                        _RateColumn(), TimeRemainingColumn(), TextColumn("left"), console=Console(file=stream))
        self._task = self._bar.add_task("reading workbooks", total=total)
        self._bar.start()

    def advance(self, files: int) -> None:
        self._bar.advance(self._task, files)

    def phase(self, step: str) -> None:
        self._bar.update(self._task, description=f"{step} (workbooks read)")

    def close(self) -> None:
        self._bar.stop()


class ArtifactProgress(Progress):
    """A Prefect progress artifact (0-100 %) on the served run, updated after each batch."""

    def __init__(self, total: int):
        from prefect.artifacts import create_progress_artifact

        self._total, self._done, self._step = total, 0, ""
        self._id = create_progress_artifact(progress=100.0 if total == 0 else 0.0, key=ARTIFACT_KEY,
                                            description=self._description())

    def advance(self, files: int) -> None:
        from prefect.artifacts import update_progress_artifact

        self._done += files
        update_progress_artifact(self._id, progress=100.0 * self._done / self._total,
                                 description=self._description())

    def phase(self, step: str) -> None:
        from prefect.artifacts import update_progress_artifact

        self._step = step
        update_progress_artifact(self._id, progress=100.0 * self._done / self._total if self._total else 100.0,
                                 description=self._description())

    def _description(self) -> str:
        read = f"Workbooks read: {self._done} of {self._total}"
        return f"{read}; {self._step}" if self._step else read
