"""Write every analyst view to warehouse/exports/ after a load: Parquet, CSV, a data package, a manifest.

Dashboard tools read these files without knowing DuckDB. Each file is written beside its
final name and renamed into place, so a reader never sees half a file. `datapackage.json`
describes them for any reader (Frictionless Tabular Data Package: types, column meanings,
keys); `manifest.json`, written last, is this project's own record of the load the files
came from, which decides whether a run with nothing new may keep them. Both are built from the
same entries, so they never disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from flows.publish import datapackage
from flows.warehouse.connection import connect
from flows.warehouse.layers import SQL_DIR, definitions_sha256

FORMULA_START_PATTERN = "^[=+\\-@\t\r]"  # what flows/cli_format.py neutralises
APOSTROPHE = "'"


def analyst_views() -> list[str]:
    """The views of sql/marts: the warehouse's contract with its readers."""
    return sorted(path.stem for path in (SQL_DIR / "marts").glob("*.sql"))


RUN_VIEWS = {"load_runs", "file_events"}  # what a run with nothing new changes

# How the files are written (Parquet field metadata, data package, manifest entries). Files that
# another version wrote are never kept by a run with nothing new: raise it when that changes.
EXPORT_FORMAT = 2
# Rows held at once while a view streams into its Parquet file (one row group each). Writing the
# exports of 10,000 workbooks alone peaked at 520-550 MB with 100,000 and 460-475 MB with 20,000,
# in the same time.
PARQUET_BATCH_ROWS = 20_000


def export_views(warehouse: Path, exports_dir: Path, nothing_new: bool = False) -> dict:
    """Export each analyst view of the published warehouse; returns the manifest written.

    After a run with nothing new only the run views are written again, provided the exports in
    place hold the data of the load just before it (their manifest names that load) computed by
    the same SQL and reference tables; the other files, and their manifest entries, are kept.
    Exports of any other load (a load killed, or whose exports failed, after it published), or
    without a readable manifest, are all rewritten. The manifest's `kept_from_load` names the
    load whose files were kept, or is null. (A night that built no version writes none of them:
    flows/publish/outputs.py outputs_current.)
    """
    exports_dir.mkdir(parents=True, exist_ok=True)
    models = models_sha256()
    with connect(warehouse, read_only=True) as con:
        latest = con.execute("select load_id, finished_at from load_runs order by load_id desc limit 2").fetchall()
        run = latest[0] if latest else None
        before = latest[1] if len(latest) > 1 else None
        previous = _previous_entries(exports_dir, before, models) if nothing_new and before else {}
        files = []
        for view in analyst_views():
            if view in previous and view not in RUN_VIEWS:
                files += previous[view]
                continue
            described = _describe(con, view)
            columns = described["columns"]
            parquet = _write_atomically(exports_dir / f"{view}.parquet",
                                        lambda tmp, v=view, d=described: _write_parquet(con, v, d, tmp))
            # The CSV and the row count read the Parquet file just written: the view is computed once.
            written = f"read_parquet({_literal(str(parquet))})"
            text = _write_atomically(exports_dir / f"{view}.csv", lambda tmp, w=written: _write_csv(con, w, tmp))
            rows = con.execute(f"select count(*) from {written}").fetchone()[0]
            for path, kind in ((parquet, "parquet"), (text, "csv")):
                files.append({"view": view, "format": kind, "file": path.name, "rows": rows,
                              "bytes": path.stat().st_size, "sha256": _sha256(path), "columns": columns,
                              "view_description": described["description"],
                              "primary_key": described["primary_key"], "required": described["required"]})
    manifest = {
        "export_format": EXPORT_FORMAT,
        "load_id": run[0] if run else None,
        "load_finished_at": run[1].isoformat() if run else None,
        "kept_from_load": before[0] if previous else None,
        "models_sha256": models,
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "warehouse": str(warehouse.resolve()),
        "files": files,
    }
    package = datapackage.build(manifest, PACKAGE_TITLE, PACKAGE_DESCRIPTION)
    _write_atomically(exports_dir / "datapackage.json", lambda tmp: _write_json(package, tmp))
    _write_atomically(exports_dir / "manifest.json", lambda tmp: _write_json(manifest, tmp))
    return manifest


PACKAGE_TITLE = "Hà Quảng district warehouse: analyst views"
PACKAGE_DESCRIPTION = ("The 2015-2020 socio-economic indicators of the former Hà Quảng and Thông Nông districts "
                       "(Cao Bằng), merged in 2020, as loaded into the project's DuckDB warehouse: each analyst "
                       "view as Parquet (exact types) and CSV. haquang:load_id names the load the files hold.")


def _write_json(document: dict, path: Path) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")


def _describe(con: duckdb.DuckDBPyConnection, view: str) -> dict:
    """The view's columns (name, DuckDB type, meaning), its meaning, key and required columns.

    Meanings are the warehouse's COMMENT ON text; the key and required columns are the model's
    declared tests (`-- unique:`, `-- not_null:`), which every build has just checked.
    """
    meanings = dict(con.execute("select column_name, comment from duckdb_columns() where table_name = ?",
                                [view]).fetchall())
    columns = [{"name": name, "type": kind, "description": meanings.get(name) or ""}
               for name, kind, *_ in con.execute(f"describe {view}").fetchall()]
    described = next(iter(con.execute("select comment from duckdb_views() where view_name = ?", [view]).fetchall()), None)
    key, required = datapackage.view_declarations((SQL_DIR / "marts" / f"{view}.sql").read_text(encoding="utf-8"), view)
    return {"columns": columns, "description": (described[0] if described else None) or "",
            "primary_key": key, "required": sorted(required)}


def _write_parquet(con: duckdb.DuckDBPyConnection, view: str, described: dict, path: Path) -> None:
    """The view as Parquet, each column's meaning in its Arrow field metadata (`description`).

    DuckDB's COPY writes file-level key-value metadata only, so pyarrow writes the file from
    DuckDB's Arrow stream, batch by batch (the view is never held whole in memory).
    """
    reader = con.sql(f"select * from {view}").to_arrow_reader(PARQUET_BATCH_ROWS)
    meanings = {c["name"]: c["description"] for c in described["columns"]}
    schema = pa.schema([field.with_metadata({"description": meanings.get(field.name, "")}) for field in reader.schema],
                       metadata={"description": described["description"], "view": view})
    with pq.ParquetWriter(path, schema) as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))


def exports_current(warehouse: Path, exports_dir: Path) -> bool:
    """Whether the exports in place are those of the published load, by today's SQL and reference tables,
    every file of them there: a night that built no version then has nothing to write."""
    with connect(warehouse, read_only=True) as con:
        run = con.execute("select load_id, finished_at from load_runs order by load_id desc limit 1").fetchone()
    if run is None or not (exports_dir / "datapackage.json").is_file():
        return False
    kept = _previous_entries(exports_dir, run, models_sha256())
    return set(kept) >= set(analyst_views())


def exports_hold(exports_dir: Path, load: tuple[int, dt.datetime]) -> bool:
    """Whether the manifest in place names this load (its id and finish time: ids repeat after a recovery)."""
    manifest = _read_manifest(exports_dir)
    try:
        finished = dt.datetime.fromisoformat(manifest["load_finished_at"])
        return manifest["load_id"] == load[0] and finished == load[1]
    except (KeyError, TypeError, ValueError):
        return False


def _read_manifest(exports_dir: Path) -> dict:
    try:
        manifest = json.loads((exports_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def models_sha256() -> str:
    """What the views compute from besides the landing rows: the SQL and the reference tables.

    A release that changes either is read by a run with nothing new in raw/ (parsing code is
    covered by the parser version, which makes that run read every file again).
    """
    return definitions_sha256()


def _previous_entries(exports_dir: Path, load: tuple[int, dt.datetime], models: str) -> dict[str, list[dict]]:
    """The manifest's entries by view, when it names `load` and `models`, for views whose files are still in place."""
    manifest = _read_manifest(exports_dir)
    if (not exports_hold(exports_dir, load) or manifest.get("models_sha256") != models
            or manifest.get("export_format") != EXPORT_FORMAT):
        return {}
    entries: dict[str, list[dict]] = {}
    try:
        for entry in manifest["files"]:
            entries.setdefault(entry["view"], []).append(entry)
        return {view: group for view, group in entries.items() if all(_in_place(exports_dir, e) for e in group)}
    except (KeyError, TypeError, AttributeError):  # a manifest of another shape: write everything again
        return {}


def _in_place(exports_dir: Path, entry: dict) -> bool:
    """The file is there with the length the manifest gives (a cheap stand-in for its SHA-256)."""
    path = exports_dir / entry["file"]
    return path.is_file() and path.stat().st_size == entry["bytes"]


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
