"""Whether the published warehouse can be built on: DuckDB's own checks, cheap enough for every load.

Imported by `haquang sql` (through flows/warehouse/query_sandbox.py): duckdb only, no pandas.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import duckdb

from flows.core.names import shell_argument, show_name
from flows.warehouse.connection import as_published, connect
from flows.warehouse.layers import LANDING_SCHEMA, MART_SCHEMA, landing_tables
from flows.warehouse.lock import WarehouseBusy

logger = logging.getLogger(__name__)


class DamagedWarehouse(Exception):
    """The published warehouse cannot be read, so no load can build on it."""

    def __init__(self, warehouse: Path, reason: str):
        super().__init__(warehouse, reason)  # both in args: the exception survives pickling between processes
        self.warehouse, self.reason = warehouse, reason

    def __str__(self) -> str:
        return (f"the published warehouse {show_name(str(self.warehouse))} is damaged and cannot be read "
                f"({show_name(self.reason)}), so nothing can be loaded into it. Run `haquang recover --warehouse "
                f"{shell_argument(str(self.warehouse))}`: it puts "
                "back the previous complete version, or, when there is none, sets the damaged file aside so that "
                "the next load rebuilds the warehouse from raw/")


class WarehouseInUse(WarehouseBusy):
    """Another process (a DuckDB shell, a notebook) holds the warehouse open for writing."""

    def __init__(self, warehouse: Path, reason: str):
        super().__init__(f"the warehouse {show_name(str(warehouse))} is open for writing by another process "
                         f"({show_name(reason.splitlines()[0])}); nothing is loaded or recovered meanwhile. Close "
                         "that process (the warehouse is only ever written by haquang) and run again")
        self.reason = reason
# A DuckDB file is three 4 KiB headers followed by its blocks; a file shorter than that was cut off.
DUCKDB_HEADER_BYTES = 3 * 4096


def damage(warehouse: Path) -> str | None:
    """Why a warehouse file cannot be built on (DuckDB's own words), or None when it opens cleanly.

    Cheap, so that it can run before every load copies the file: open it read-only, find the
    landing tables (a DuckDB file without them is not this warehouse), count their rows, and
    compare the file's length with the blocks its catalogue and tables use (a truncated file whose
    catalogue survived still opens). Corruption inside a block that nobody reads is not found here. A
    file that another process holds open for writing is not damaged: WarehouseInUse is raised.
    """
    try:
        with as_published(warehouse) as readable, connect(readable, read_only=True) as con:
            return damage_seen_by(con, warehouse)
    except duckdb.Error as exc:
        if "Conflicting lock" in str(exc):
            raise WarehouseInUse(warehouse, str(exc)) from exc
        return str(exc)


def damage_seen_by(con: duckdb.DuckDBPyConnection, warehouse: Path) -> str | None:
    """damage() on a connection already open to the warehouse; DuckDB's errors are raised.

    The landing tables are found in their schema, or in main where a warehouse written before the
    layers had schemas keeps them until its next load moves them (move_older_layout): both are sound.
    The names are qualified here, as the connection may be the analyst's, without a search path.
    """
    present: dict[str, str] = {}
    for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and table_schema in (?, ?) order by table_schema = ? desc", [LANDING_SCHEMA, MART_SCHEMA,
                                                                          LANDING_SCHEMA]).fetchall():
        present.setdefault(table, f"{schema}.{table}")
    missing = [table for table in landing_tables() if table not in present]
    if missing:
        return "a DuckDB file without the warehouse's landing tables: " + ", ".join(missing) + " missing"
    for table in landing_tables():
        con.execute(f"select count(*) from {present[table]}").fetchone()
    block_size = con.execute("select block_size from pragma_database_size()").fetchone()[0]
    expected, actual = DUCKDB_HEADER_BYTES + block_size * _blocks_in_use(con), warehouse.stat().st_size
    if actual < expected:
        return f"the file holds {actual:,} bytes where its blocks in use need {expected:,}: it was cut off"
    return None


def sound_or_why_not(published: Path) -> str | None:
    """damage(), after setting aside a write-ahead log that no writer owns.

    Loads never leave a `.wal` beside the published file (they build `.next` and checkpoint it).
    One found there while no process holds the file open was left by someone else's writer that
    died (a DuckDB shell opened read-write): published over, it would be replayed onto the new
    version and break it. It is renamed `<name>.wal.stale-<time>`, kept for inspection.
    """
    reason = damage(published)  # raises WarehouseInUse while a writer is alive
    wal = published.with_name(published.name + ".wal")
    if wal.exists():
        aside = wal.with_name(f"{wal.name}.stale-{dt.datetime.now():%Y%m%d-%H%M%S}")
        os.replace(wal, aside)
        logger.warning("set aside a write-ahead log no writer owns: %s (the warehouse is written only by haquang)",
                       show_name(str(aside)))
        reason = damage(published)
    return reason


def _blocks_in_use(con: duckdb.DuckDBPyConnection) -> int:
    """One past the highest block the file's catalogue and tables point at.

    Not the header's block count: DuckDB leaves free blocks at the end of the file unwritten, so
    a sound file can be shorter than that count (it was, by one block, once the catalogue grew).
    """
    highest = [con.execute("select max(block_id) from pragma_metadata_info()").fetchone()[0]]
    for schema, table in con.execute("select schema_name, table_name from duckdb_tables() "
                                     "where database_name = current_database()").fetchall():
        highest.append(con.execute("select max(block_id) from pragma_storage_info(?) where persistent",
                                   [f"{schema}.{table}"]).fetchone()[0])
    return max((block for block in highest if block is not None), default=-1) + 1
