"""`haquang sql`: one read-only query of the warehouse, in a connection that can reach nothing else.

This module and what it imports must stay free of pandas and Prefect: `haquang sql` starts in a
fraction of a second (tests/end_to_end/test_sql_client.py checks it in a fresh process).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from flows.core.names import shell_argument, show_name
from flows.warehouse.connection import DUCKDB_MEMORY_LIMIT, as_published
from flows.warehouse.damage_checks import damage_seen_by


class QueryRefused(ValueError):
    """A query `haquang sql` will not run; the message says why, in one line for the analyst."""


class WarehouseUnreadable(Exception):
    """The warehouse file could not be opened or read; the message says why and what to do next."""

    def __init__(self, warehouse: Path, reason: duckdb.Error | str, step: str = "opened"):
        self.warehouse, self.reason = warehouse, reason
        said = show_name(" ".join(str(reason).split("\n\n")[0].splitlines()))
        if "Conflicting lock" in str(reason):  # another process writes it: busy, not damaged
            text = f"the warehouse {show_name(str(warehouse))} is in use by another process ({said}); try again " \
                   "when it has finished"
        else:
            text = f"the warehouse {show_name(str(warehouse))} could not be {step} ({said}); the file may be " \
                   f"damaged. Run `haquang recover --warehouse {shell_argument(str(warehouse))}` to put back the " \
                   "previous complete version (or to learn how to rebuild it from raw/)"
        super().__init__(text)
ALLOWED_QUERY = "haquang sql runs one read-only query (SELECT, FROM, WITH, DESCRIBE, SUMMARIZE, PIVOT) of the " \
                "warehouse's views"
# What the analyst's connection may do is settled before their SQL runs, by DuckDB itself: no file
# but the warehouse (read_csv, read_text, glob, COPY, ATTACH, replacement scans of '/path'), no
# extension installed or loaded behind their back, and the configuration locked so that no
# statement can undo any of it.
SANDBOX_SETTINGS = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "memory_limit": DUCKDB_MEMORY_LIMIT,
    "lock_configuration": True,
}
# SELECT covers FROM-first queries, CTEs, VALUES, DESCRIBE, SHOW and SUMMARIZE; DuckDB's parser turns a
# PIVOT without an IN list into a MULTI statement (it lists the values first). Every other type is refused,
# and the settings above hold even if one slipped through.
ALLOWED_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.MULTI}
WRITES = {"INSERT", "UPDATE", "DELETE", "MERGE_INTO", "CREATE", "CREATE_FUNC", "DROP", "ALTER", "VACUUM"}
# Said with every refused write: the analyst's next question is how the data does change.
WRITES_COME_FROM = "haquang sql opens it read-only; only `haquang load` (and `haquang withdraw`) write it, from " \
                   "the workbooks in raw/"
# What the analyst typed, where DuckDB's type name says something else.
STATEMENT_WORDS = {"LOAD": "INSTALL or LOAD", "CALL": "CALL or CHECKPOINT", "PRAGMA": "PRAGMA or IMPORT",
                   "SET": "SET, RESET or USE", "VACUUM": "VACUUM or ANALYZE", "DELETE": "DELETE or TRUNCATE",
                   "ALTER": "ALTER or COMMENT ON", "TRANSACTION": "BEGIN, COMMIT or ROLLBACK"}
FETCH_ROWS = 10_000  # rows fetched at a time while counting those a limit leaves out


def query(warehouse: Path, sql: str, limit: int | None = None) -> tuple[list[str], list[tuple], int, list[str]]:
    """Run one read-only query of the warehouse, and nothing else: (column names, rows, rows left out,
    column types as DuckDB names them: a FLOAT arrives widened to a Python float, only its type tells).

    With a limit, at most that many rows are returned and the rest are only counted, a batch at a
    time, so a query of millions of rows does not fill memory to print a hundred.

    Raises QueryRefused for anything but one query (DuckDB's own parser counts and types the
    statements; a write is told the warehouse is read-only), WarehouseUnreadable when the file
    cannot be opened or read or damage() finds it damaged, duckdb.Error for a query DuckDB rejects.
    """
    with as_published(warehouse) as readable:
        try:
            con = duckdb.connect(str(readable), read_only=True, config=SANDBOX_SETTINGS)
        except duckdb.Error as exc:
            raise WarehouseUnreadable(warehouse, exc) from exc
    with con:
        # The check every reader makes first, on this same connection (a second one would cost a
        # tenth of a second): a truncated file still opens and answers queries that miss its lost blocks.
        try:
            reason = damage_seen_by(con, warehouse)
        except duckdb.Error as exc:
            reason = str(exc)
        if reason is not None:
            raise WarehouseUnreadable(warehouse, reason)
        statements = con.extract_statements(sql)
        if not statements:
            raise QueryRefused(f"the query is empty: {ALLOWED_QUERY}, e.g. \"select * from load_runs\"")
        if len(statements) > 1:
            raise QueryRefused(f"the query holds {len(statements)} statements: {ALLOWED_QUERY}; run them one "
                               "at a time")
        statement = statements[0]
        try:
            statement_type = statement.type
        except ValueError as exc:  # a type the Python API cannot name (UPDATE EXTENSIONS in duckdb 2.0)
            raise QueryRefused(f"that kind of statement is not allowed: {ALLOWED_QUERY}") from exc
        if statement_type not in ALLOWED_STATEMENTS:
            kind = statement_type.name
            words = STATEMENT_WORDS.get(kind, kind.replace("_", " "))
            if kind in WRITES:
                raise QueryRefused(f"the warehouse is read-only: {words} statements are refused; {WRITES_COME_FROM}. "
                                   f"{ALLOWED_QUERY}")
            raise QueryRefused(f"{words} statements are not allowed: {ALLOWED_QUERY}")
        try:
            cursor = con.execute(statement)  # the very statement checked above, not the text again
            columns = [d[0] for d in cursor.description or []]
            types = [str(d[1]) for d in cursor.description or []]
            if limit is None:
                return columns, cursor.fetchall(), 0, types
            rows = cursor.fetchmany(limit) if limit > 0 else []
            left_out = 0
            while batch := cursor.fetchmany(FETCH_ROWS):
                left_out += len(batch)
            return columns, rows, left_out, types
        except duckdb.PermissionException as exc:
            raise QueryRefused(f"the query reaches outside the warehouse ({str(exc).splitlines()[0]}): "
                               f"{ALLOWED_QUERY}") from exc
        except duckdb.Error as exc:
            if _is_damage(exc):
                raise WarehouseUnreadable(warehouse, exc, "read") from exc
            raise


def _is_damage(exc: duckdb.Error) -> bool:
    """A read of the warehouse file failed: truncated (an IO error: no other file is reachable) or a
    block whose checksum does not match (DuckDB raises that as a bare Error)."""
    return isinstance(exc, duckdb.IOException) or str(exc).startswith("Corrupt database file")
