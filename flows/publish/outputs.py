"""Where a published warehouse's readable outputs go: a folder the user names (`--outputs DIR`),
by default the warehouse's own folder.

Every writer and reader of the outputs asks here, with the same (warehouse, outputs) pair, so
that a load, `haquang dashboard`, a withdrawal and a recovery all write the same files.
"""

from __future__ import annotations

from pathlib import Path

from flows.publish.dashboard import write_dashboard
from flows.publish.docs import write_docs
from flows.publish.exports import export_views


def outputs_root(warehouse: Path, outputs: Path | None = None) -> Path:
    """The folder holding exports/, dashboard/ and docs/: `outputs`, else beside the warehouse."""
    return Path(outputs) if outputs is not None else Path(warehouse).parent


def exports_dir(warehouse: Path, outputs: Path | None = None) -> Path:
    return outputs_root(warehouse, outputs) / "exports"


def dashboard_file(warehouse: Path, outputs: Path | None = None) -> Path:
    return outputs_root(warehouse, outputs) / "dashboard" / "index.html"


def docs_dir(warehouse: Path, outputs: Path | None = None) -> Path:
    return outputs_root(warehouse, outputs) / "docs"


def write_outputs(warehouse: Path, nothing_new: bool = False, outputs: Path | None = None) -> Path:
    """Exports first (the dashboard reads only them), then the page and the data dictionary.

    The dictionary is kept only when the exports' data files were (they held the load before a
    run with nothing new): outputs left by a load that stopped half-way are all written again.
    """
    exports, docs = exports_dir(warehouse, outputs), docs_dir(warehouse, outputs)
    page = dashboard_file(warehouse, outputs)
    manifest = export_views(warehouse, exports, nothing_new)
    write_dashboard(exports, page)
    if manifest["kept_from_load"] is None or not (docs / "data_dictionary.md").exists():
        write_docs(warehouse, docs)
    return page
