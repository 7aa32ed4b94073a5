"""Where a published warehouse's readable outputs go, beside the warehouse file."""

from __future__ import annotations

from pathlib import Path

from flows.publish.dashboard import write_dashboard
from flows.publish.docs import write_docs
from flows.publish.exports import export_views


def exports_dir(warehouse: Path) -> Path:
    return warehouse.parent / "exports"


def dashboard_file(warehouse: Path) -> Path:
    return warehouse.parent / "dashboard" / "index.html"


def docs_dir(warehouse: Path) -> Path:
    return warehouse.parent / "docs"


def write_outputs(warehouse: Path, nothing_new: bool = False) -> Path:
    """Exports first (the dashboard reads only them), then the page and the data dictionary.

    The dictionary is kept only when the exports' data files were (they held the load before a
    run with nothing new): outputs left by a load that stopped half-way are all written again.
    """
    manifest = export_views(warehouse, exports_dir(warehouse), nothing_new)
    write_dashboard(exports_dir(warehouse), dashboard_file(warehouse))
    if manifest["kept_from_load"] is None or not (docs_dir(warehouse) / "data_dictionary.md").exists():
        write_docs(warehouse, docs_dir(warehouse))
    return dashboard_file(warehouse)
