"""Write every analyst view to warehouse/exports/ after a load: Parquet, CSV and a manifest.

Dashboard tools read these files without knowing DuckDB. Each file is written beside its
final name and renamed into place, so a reader never sees half a file; the manifest is
written last and names the load the files came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import duckdb

from flows.warehouse import SQL_DIR, connect

FORMULA_START_PATTERN = "^[=+\\-@\t\r]"  # what flows/cli_format.py neutralises
APOSTROPHE = "'"


def analyst_views() -> list[str]:
    """The views of sql/marts: the warehouse's contract with its readers."""
    return sorted(path.stem for path in (SQL_DIR / "marts").glob("*.sql"))


RUN_VIEWS = {"load_runs", "file_events"}  # what a run with nothing new changes


def export_views(warehouse: Path, exports_dir: Path, nothing_new: bool = False) -> dict:
    """Export each analyst view of the published warehouse; returns the manifest written.

    After a run with nothing new only the run views are written again; the other files, and
    their manifest entries, are those of the last load that changed something.
    """
    exports_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_entries(exports_dir) if nothing_new else {}
    with connect(warehouse, read_only=True) as con:
        run = con.execute("select load_id, finished_at from load_runs order by load_id desc limit 1").fetchone()
        files = []
        for view in analyst_views():
            if view in previous and view not in RUN_VIEWS:
                files += previous[view]
                continue
            columns = [{"name": c[0], "type": c[1]} for c in con.execute(f"describe {view}").fetchall()]
            parquet = _write_atomically(exports_dir / f"{view}.parquet", lambda tmp, v=view: con.execute(
                f"copy (select * from {v}) to {_literal(str(tmp))} (format parquet)"))
            # The CSV and the row count read the Parquet file just written: the view is computed once.
            written = f"read_parquet({_literal(str(parquet))})"
            text = _write_atomically(exports_dir / f"{view}.csv", lambda tmp, w=written: _write_csv(con, w, tmp))
            rows = con.execute(f"select count(*) from {written}").fetchone()[0]
            for path, kind in ((parquet, "parquet"), (text, "csv")):
                files.append({"view": view, "format": kind, "file": path.name, "rows": rows,
                              "sha256": _sha256(path), "columns": columns})
    manifest = {
        "load_id": run[0] if run else None,
        "load_finished_at": run[1].isoformat() if run else None,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "warehouse": str(warehouse.resolve()),
        "files": files,
    }
    _write_atomically(exports_dir / "manifest.json",
                      lambda tmp: tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"))
    return manifest


def _previous_entries(exports_dir: Path) -> dict[str, list[dict]]:
    """The last manifest's entries by view, for views whose files are all still in place."""
    try:
        manifest = json.loads((exports_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries: dict[str, list[dict]] = {}
    for entry in manifest.get("files", []):
        entries.setdefault(entry["view"], []).append(entry)
    return {view: group for view, group in entries.items()
            if all((exports_dir / e["file"]).exists() for e in group)}


def _write_csv(con: duckdb.DuckDBPyConnection, source: str, path: Path) -> None:
    """UTF-8 with BOM (Excel then shows Vietnamese right), formula-like text neutralised.

    DuckDB writes the CSV (fast); the select neutralises text the way flows/cli_format.py does
    for `haquang sql --csv`, and lists are written as JSON.
    """
    columns = []
    for name, column_type, *_ in con.execute(f"describe select * from {source}").fetchall():
        quoted = '"' + name.replace('"', '""') + '"'
        if column_type == "VARCHAR":
            columns.append(f"case when regexp_matches({quoted}, {_literal(FORMULA_START_PATTERN)}) "
                           f"then {_literal(APOSTROPHE)} || {quoted} else {quoted} end as {quoted}")
        elif column_type.endswith("[]") or column_type.startswith(("STRUCT", "MAP")):
            columns.append(f"to_json({quoted})::varchar as {quoted}")
        else:
            columns.append(quoted)
    body = path.with_name(path.name + ".body")
    con.execute(f"copy (select {', '.join(columns)} from {source}) to {_literal(str(body))} (header, delimiter ',')")
    with open(path, "wb") as out, open(body, "rb") as written:
        out.write(b"\xef\xbb\xbf")
        for block in iter(lambda: written.read(1 << 20), b""):
            out.write(block)
    body.unlink()


def _write_atomically(target: Path, write) -> Path:
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.unlink(missing_ok=True)
    write(temporary)
    os.replace(temporary, target)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
