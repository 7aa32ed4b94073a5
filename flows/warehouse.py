"""The DuckDB warehouse: build the next version beside the published one, then swap it in.

Readers keep the previous complete file until `publish` renames the new one over it, so a
failed or killed load never leaves a half-written warehouse behind.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
VIEW_LAYERS = ("staging", "intermediate", "marts")


def next_version_path(published: Path) -> Path:
    return published.with_name(published.name + ".next")


def open_next_version(published: Path) -> duckdb.DuckDBPyConnection:
    """A writable copy of the published warehouse (or a new one), with the landing tables in place."""
    published.parent.mkdir(parents=True, exist_ok=True)
    building = next_version_path(published)
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)  # a previous run was killed mid-build
    if published.exists():
        shutil.copyfile(published, building)
    con = duckdb.connect(str(building))
    create_landing_tables(con)
    return con


def create_landing_tables(con: duckdb.DuckDBPyConnection) -> None:
    for path in sorted((SQL_DIR / "landing").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def build_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """(Re)create every view of sql/<layer>/<name>.sql, layer by layer; returns their names."""
    names = []
    for layer in VIEW_LAYERS:
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            con.execute(f"create or replace view {path.stem} as\n{path.read_text(encoding='utf-8')}")
            names.append(path.stem)
    return names


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(load_id), 0) + 1 from landing_load_runs").fetchone()[0]


def append_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-insert a frame by column name (columns the table lacks are ignored)."""
    if frame.empty:
        return
    columns = [c[0] for c in con.execute(f"describe {table}").fetchall()]
    present = [c for c in columns if c in frame.columns]
    con.register("incoming_frame", frame[present])
    try:
        column_list = ", ".join(present)
        con.execute(f"insert into {table} ({column_list}) select {column_list} from incoming_frame")
    finally:
        con.unregister("incoming_frame")


def publish(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Make the built version the published one in one atomic rename."""
    con.execute("checkpoint")
    con.close()
    os.replace(next_version_path(published), published)


def discard(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Drop a build that failed; the published warehouse is untouched."""
    try:
        con.close()
    finally:
        next_version_path(published).unlink(missing_ok=True)


def query(warehouse: Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Run one read-only query: (column names, rows)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
