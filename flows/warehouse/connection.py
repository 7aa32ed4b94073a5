"""How the project opens the warehouse: DuckDB's memory bound, the layers' schemas on the search
path, and the published file as a reader must see it."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import duckdb

from flows.warehouse.layers import INTERNAL_SCHEMAS, MART_SCHEMA

# DuckDB spills past this instead of growing with the warehouse. 128 MB was tried and was not
# enough to rebuild the stored models of 10,000 workbooks (out of memory, now and then).
DUCKDB_MEMORY_LIMIT = "256MB"
# The load process stages the batches and finds conflicts beside the heap of Prefect, pandas and
# the parsing; after a load that changed data, the models and exports are built in processes of
# their own with the whole limit, and the load process takes the whole limit back for what follows.
STAGING_MEMORY_LIMIT = "128MB"
# Staging runs while workbooks are parsed, which already keeps the cores busy, and each DuckDB
# thread needs buffers of its own: one thread. The models are built on more
# (flows/warehouse/model_build.py MODEL_THREADS). Readers (exports, `haquang sql`) keep DuckDB's default.
BUILD_THREADS = 1


def connect(path: Path | str, read_only: bool = False, threads: int | None = None,
            memory_limit: str = DUCKDB_MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """A connection with the project's memory bound, so a load's footprint does not grow with history,
    and the layers' schemas on its search path (use_layer_schemas)."""
    con = duckdb.connect(str(path), read_only=read_only)
    # DuckDB draws its own progress bar on stdout for a query past two seconds: it would land in the
    # load's summary and in whatever a pipe feeds (the load's own progress is drawn on a terminal only)
    con.execute("set enable_progress_bar = false")
    con.execute(f"set memory_limit = '{memory_limit}'")
    if threads is not None:
        con.execute(f"set threads = {threads}")
    use_layer_schemas(con)
    return con


def use_layer_schemas(con: duckdb.DuckDBPyConnection, create: bool = False) -> None:
    """Put main and the layers' schemas (those the file has; all of them, made, when `create`) on the
    connection's search path.

    The project's own code names the warehouse's relations unqualified (landing_load_runs,
    int_file_status, stg_indicator_rows), as the SQL files do: each name belongs to one layer only
    (relation_schemas() refuses two), so the search path finds the same relation a qualified name
    would, in a warehouse of this layout or of the older one with everything in main (read before
    the next load moves it). The setting is this connection's alone: the views stored in the file
    never depend on it (build_views qualifies what they read), and `haquang sql` does not set it,
    so that the analyst's `show tables` lists the analyst views only.
    """
    if create:
        for schema in INTERNAL_SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
    present = {r[0] for r in con.execute(
        "select schema_name from duckdb_schemas() where database_name = current_database()").fetchall()}
    path = [MART_SCHEMA] + [schema for schema in INTERNAL_SCHEMAS if schema in present]
    con.execute(f"set search_path = '{','.join(path)}'")


@contextmanager
def as_published(warehouse: Path):
    """The path a reader opens the published warehouse by: the file itself, or, while a write-ahead log
    someone else's writer left lies beside it, a hard link to it in a folder of its own, so that a
    read-only reader (haquang sql, haquang status) never replays that log: it would show changes nobody
    published, or fail. A load or `haquang recover` sets the log aside; readers leave it where it is."""
    wal = warehouse.with_name(warehouse.name + ".wal")
    if not wal.exists():
        yield warehouse
        return
    with tempfile.TemporaryDirectory(dir=warehouse.parent, prefix=".haquang-read-") as folder:
        linked = Path(folder) / warehouse.name
        try:
            os.link(warehouse, linked)
        except OSError:  # a file system without hard links: read as it is
            linked = warehouse
        yield linked
