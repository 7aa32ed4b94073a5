"""The landing tables (sql/landing/): made and widened in each version, moved out of main from an
older layout, and written by the load."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # only the load appends frames; the readers of this module need no pandas
    import pandas as pd

from flows.warehouse.connection import use_layer_schemas
from flows.warehouse.layers import BOOKKEEPING_TABLES, LANDING_SCHEMA, MART_SCHEMA, landing_sql, landing_tables, relations_in

logger = logging.getLogger(__name__)


def create_landing_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the layers' schemas and the landing tables in theirs, and add columns a newer version
    of sql/landing/ declares; the connection then has the layers on its search path.

    Warehouses outlive code versions: history written by an older loader stays, with the new
    columns empty for its rows, and its landing tables move out of main (move_older_layout).
    """
    use_layer_schemas(con, create=True)
    move_older_layout(con)
    for table in landing_tables():
        ddl = landing_sql(table)
        existing = _columns_of(con, LANDING_SCHEMA, table)
        con.execute(_in_schema(ddl, table, LANDING_SCHEMA))
        if existing:
            for name, column_type in _declared_columns(ddl, table):
                if name not in existing:
                    con.execute(f'alter table {LANDING_SCHEMA}.{table} add column "{name}" {column_type}')


def _columns_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    return dict(con.execute("select column_name, data_type from information_schema.columns "
                            "where table_schema = ? and table_name = ? order by ordinal_position",
                            [schema, table]).fetchall())


def _in_schema(ddl: str, table: str, schema: str) -> str:
    """A landing table's CREATE TABLE (sql/landing/), creating it in `schema`.

    The file's statement starts a line with `create table [if not exists] <table>`: that head,
    found exactly once, gains the schema; nothing else of the statement is touched.
    """
    head = re.compile(rf"^(\s*create\s+table\s+(?:if\s+not\s+exists\s+)?){re.escape(table)}\b", re.I | re.M)
    qualified_ddl, found = head.subn(rf"\g<1>{schema}.{table}", ddl)
    if found != 1:
        raise ValueError(f"sql/landing/{table}.sql: expected one `create table {table}` at the start of a line, "
                         f"found {found}")
    return qualified_ddl


def move_older_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Move a warehouse written before the layers had schemas (everything in main) to this layout.

    The landing tables, the history, move to the landing schema with every row and column (a
    column the files no longer declare is kept), in one transaction: the version being built has
    either the old layout or the new one. The bookkeeping tables of main are dropped: the load
    writes them again in their schema (its stored models rebuilt, its tests and catalogue checks
    run again, once). The models and ref_* tables left in main stay until this version's are built
    (drop_older_layout): until then the previous version's views still read them, as the findings
    open in it are remembered (flows/warehouse/build.py remember_open_findings).
    """
    in_main = relations_in(con, MART_SCHEMA)
    moving = [table for table in landing_tables() if in_main.get(table) == "table"]
    dropping = sorted(name for name in BOOKKEEPING_TABLES if in_main.get(name) == "table")
    if not moving and not dropping:
        return
    con.execute("begin transaction")
    try:
        for table in moving:
            if table in relations_in(con, LANDING_SCHEMA):
                raise ValueError(f"the warehouse holds {table} both in main and in {LANDING_SCHEMA}: "
                                 "not moved, so that no row is lost or doubled")
            con.execute(_in_schema(landing_sql(table), table, LANDING_SCHEMA))
            declared = _columns_of(con, LANDING_SCHEMA, table)
            for name, column_type in _columns_of(con, MART_SCHEMA, table).items():
                if name not in declared:
                    con.execute(f'alter table {LANDING_SCHEMA}.{table} add column "{name}" {column_type}')
            con.execute(f"insert into {LANDING_SCHEMA}.{table} by name select * from {MART_SCHEMA}.{table}")
            con.execute(f"drop table {MART_SCHEMA}.{table}")
        for table in dropping:
            con.execute(f"drop table {MART_SCHEMA}.{table}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    logger.info("moved the landing tables (%s) of a warehouse written before the layers had schemas to the "
                "schema %s", ", ".join(moving), LANDING_SCHEMA)


def _declared_columns(ddl: str, table: str) -> list[tuple[str, str]]:
    """Column names and types a CREATE TABLE statement declares (built in a scratch database)."""
    with duckdb.connect() as scratch:
        scratch.execute(ddl)
        return [(r[0], r[1]) for r in scratch.execute(f"describe {table}").fetchall()]


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(load_id), 0) + 1 from landing_load_runs").fetchone()[0]


def last_parsed_event(con: duckdb.DuckDBPyConnection, source_file: str) -> dict:
    """The file's identity as last read (district, hash, size, time), for events about it."""
    row = con.execute("""
        select source_district, sha256, size_bytes, modified_at from landing_load_files
        where source_file = ? and action in ('loaded', 'rejected') order by load_id desc limit 1
    """, [source_file]).fetchone()
    district, sha256, size, modified = row if row else (None, None, None, None)
    return {"source_district": district, "source_file": source_file, "sha256": sha256, "size_bytes": size,
            "modified_at": modified}


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
