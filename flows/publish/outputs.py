"""Where a published warehouse's readable outputs go: a folder the user names (`--outputs DIR`),
else the folder they were last written to, else the warehouse's own folder.

Every writer and reader of the outputs asks here, with the same (warehouse, outputs) pair, so
that a load, `haquang dashboard`, a withdrawal and a recovery all write the same files. The
folder last written to is remembered in a small file beside the warehouse (`<warehouse>.outputs`,
its absolute path): a `haquang withdraw` without --outputs after `haquang load --outputs DIR`
rewrites DIR, not a second set of exports beside the warehouse that nothing reads. An explicit
--outputs always wins and becomes the remembered folder.
"""

from __future__ import annotations

from pathlib import Path

from flows.publish.dashboard import write_dashboard
from flows.publish.docs import write_docs
from flows.publish.exports import export_views, exports_current
from flows.publish.feedback import write_all_feedback


def outputs_root(warehouse: Path, outputs: Path | None = None) -> Path:
    """The folder holding exports/, dashboard/ and docs/: `outputs`, else the one last written
    to (remembered beside the warehouse), else the warehouse's folder."""
    if outputs is not None:
        return Path(outputs)
    return remembered_outputs(warehouse) or Path(warehouse).parent


def remembered_file(warehouse: Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".outputs")


def remembered_outputs(warehouse: Path) -> Path | None:
    """The outputs folder last written for this warehouse (None: none remembered, or unreadable)."""
    try:
        text = remembered_file(warehouse).read_text(encoding="utf-8").strip("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return Path(text) if text else None


def remember_outputs(warehouse: Path, root: Path) -> None:
    """Record `root` as the warehouse's outputs folder; beside the warehouse needs no record."""
    note = remembered_file(warehouse)
    root = Path(root).resolve()
    if root == Path(warehouse).resolve().parent:
        note.unlink(missing_ok=True)
        return
    spare = note.with_name(note.name + ".tmp")  # written whole, then renamed: never half a path
    spare.write_text(str(root) + "\n", encoding="utf-8")
    spare.replace(note)


def exports_dir(warehouse: Path, outputs: Path | None = None) -> Path:
    return outputs_root(warehouse, outputs) / "exports"


def dashboard_file(warehouse: Path, outputs: Path | None = None) -> Path:
    return outputs_root(warehouse, outputs) / "dashboard" / "index.html"


def docs_dir(warehouse: Path, outputs: Path | None = None) -> Path:
    return outputs_root(warehouse, outputs) / "docs"


def feedback_dir(warehouse: Path, outputs: Path | None = None) -> Path:
    """The clerks' feedback workbooks: feedback/<path under raw/>, e.g. feedback/ha_quang/chi_tieu.xlsx."""
    return outputs_root(warehouse, outputs) / "feedback"


def feedback_file(warehouse: Path, source_file: str, outputs: Path | None = None) -> Path:
    """Where the feedback workbook of a file under raw/ (its source_file) is written."""
    return feedback_dir(warehouse, outputs) / source_file


def _written_after(first: Path, then: Path) -> bool:
    """Whether `then` was written after `first` (a load stopped between the two left it older)."""
    try:
        return then.stat().st_mtime_ns >= first.stat().st_mtime_ns
    except OSError:
        return False


def outputs_current(warehouse: Path, outputs: Path | None = None) -> bool:
    """Whether the outputs in place are all those of the published load (flows/publish/exports.py
    exports_current): the page is written after every export, the dictionary kept with the data files."""
    outputs = outputs_root(warehouse, outputs)
    return (_written_after(exports_dir(warehouse, outputs) / "manifest.json", dashboard_file(warehouse, outputs))
            and (docs_dir(warehouse, outputs) / "data_dictionary.md").is_file()
            and exports_current(warehouse, exports_dir(warehouse, outputs)))


def write_outputs(warehouse: Path, nothing_new: bool = False, outputs: Path | None = None) -> Path:
    """Exports first (the dashboard reads only them), the clerks' feedback workbooks, then the page and
    the data dictionary.

    The dictionary is kept only when the exports' data files were (they held the load before a
    run with nothing new): outputs left by a load that stopped half-way are all written again.
    """
    outputs = outputs_root(warehouse, outputs)  # decided once: the remembered folder cannot change under us
    exports, docs = exports_dir(warehouse, outputs), docs_dir(warehouse, outputs)
    page = dashboard_file(warehouse, outputs)
    manifest = export_views(warehouse, exports, nothing_new)
    write_all_feedback(warehouse, feedback_dir(warehouse, outputs))
    write_dashboard(exports, page)
    if manifest["kept_from_load"] is None or not (docs / "data_dictionary.md").exists():
        write_docs(warehouse, docs)
    remember_outputs(warehouse, outputs)  # after the files: a failed write leaves the last good folder named
    return page
