"""After a version is published: its exports, dashboard and dictionary, and how their failure is told.

A load, a withdrawal and a recovery each put a new version in place (flows/warehouse/build.py
builds the first two), then write the outputs beside it. Writing them can fail (a full disk);
the version stays published all the same, and every command says so in the same words.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from flows.warehouse.commands import haquang_command


class ExportsNotWritten(Exception):
    """A version was published, then the exports beside it failed to be written."""

    def __init__(self, load_id: int | None, reason: str, summary=None, warehouse: Path | None = None,
                 outputs: Path | None = None):
        super().__init__(load_id, reason, summary, warehouse, outputs)  # all in args: the exception survives pickling
        self.load_id, self.reason, self.summary = load_id, reason, summary  # summary: a load's LoadSummary
        self.warehouse, self.outputs = warehouse, outputs  # named in the command that rewrites the exports

    def __str__(self) -> str:
        return (f"load {self.load_id} was published; writing the exports failed ({self.reason}); "
                f"they will be rewritten by the next run, or now with `{self.rewrite_command}`")

    @property
    def rewrite_command(self) -> str:
        return haquang_command("dashboard", warehouse=self.warehouse, outputs=self.outputs)


@contextmanager
def outputs_of_published(load_id: int | None, summary=None, warehouse: Path | None = None,
                         outputs: Path | None = None):
    """Write the outputs of the published load `load_id` inside: a failure becomes ExportsNotWritten.

    Exports that a failure or a kill left half-written name an older load in their manifest; the
    next run (or `haquang dashboard`) then writes them all again.
    """
    try:
        yield
    except Exception as exc:  # the version is published: say so, not that the command failed
        raise ExportsNotWritten(load_id, f"{type(exc).__name__}: {exc}", summary, warehouse, outputs) from exc
