"""The DuckDB warehouse: build the next version beside the published one, then swap it in.

Readers keep the previous complete file until `publish` renames the new one over it, so a
failed or killed load never leaves a half-written warehouse behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

if TYPE_CHECKING:  # `haquang sql` imports this module and must start without pandas (about 1.5 s)
    import pandas as pd

from flows.core.names import shell_argument, show_name
from flows.core.checks import CHECKS
from flows.warehouse import model_tests
from flows.warehouse.lock import WarehouseBusy

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
VIEW_LAYERS = ("staging", "intermediate", "marts")
MACRO_DIR = SQL_DIR / "macros"
SCHEMAS_DIR = SQL_DIR.parent / "schemas"
MATERIALIZED_AS_TABLE = re.compile(r"^-- materialized: table\s*$", re.M)
# The warehouse's catalogue, laid out as dbt lays one out: the analyst views (sql/marts/) alone in
# DuckDB's default schema, so that `show tables` in any client (haquang sql, the duckdb CLI,
# Harlequin, DBeaver) lists them and nothing else; every other relation in a schema of its layer.
MART_SCHEMA = "main"
LANDING_SCHEMA = "landing"
LAYER_SCHEMAS = {"landing": "landing", "staging": "staging", "intermediate": "intermediate", "marts": MART_SCHEMA}
REFERENCE_SCHEMA = "reference"  # the ref_* tables: catalogues and reference files (flows/warehouse/reference.py)
REFERENCE_PREFIX = "ref_"
BOOKKEEPING_SCHEMA = "bookkeeping"  # what the loader records about its own builds
BOOKKEEPING_TABLES = frozenset({"stored_model_sources", "tested_model_sources", "checked_catalogue_sources",
                                "landing_build_inputs", "landing_previously_open"})
INTERNAL_SCHEMAS = ("landing", "staging", "intermediate", REFERENCE_SCHEMA, BOOKKEEPING_SCHEMA)
logger = logging.getLogger(__name__)
T = TypeVar("T")


# DuckDB spills past this instead of growing with the warehouse. 128 MB was tried and was not
# enough to rebuild the stored models of 10,000 workbooks (out of memory, now and then).
DUCKDB_MEMORY_LIMIT = "256MB"
# The load process stages the batches and finds conflicts beside the heap of Prefect, pandas and
# the parsing; after a load that changed data, the models and exports are built in processes of
# their own with the whole limit, and the load process takes the whole limit back for what follows.
STAGING_MEMORY_LIMIT = "128MB"
# Staging runs while workbooks are parsed, which already keeps the cores busy, and each DuckDB
# thread needs buffers of its own. The models are built after the last batch on up to
# MODEL_THREADS: two fit the 256 MB at 10,000 workbooks; at 100,000 one model did not, and is
# built again alone on one thread (within_memory); more threads would share the limit in
# smaller parts still. Readers (exports, `haquang sql`) keep DuckDB's default.
BUILD_THREADS = 1
MODEL_THREADS = 2


def model_threads() -> int:
    return max(1, min(os.cpu_count() or 1, MODEL_THREADS))


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


def relation_schemas() -> dict[str, str]:
    """The schema of each relation sql/ defines (a model or a landing table), by name."""
    schemas: dict[str, str] = {}
    for layer, schema in LAYER_SCHEMAS.items():
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            if path.stem in schemas or path.stem in BOOKKEEPING_TABLES or path.stem.startswith(REFERENCE_PREFIX):
                raise ValueError(f"sql/{layer}/{path.name}: the name {path.stem} is taken by another relation of "
                                 "the warehouse; each name must belong to one relation only")
            schemas[path.stem] = schema
    return schemas


def schema_of(name: str, schemas: dict[str, str] | None = None) -> str:
    """The schema a relation of the warehouse lives in: its layer's, the reference tables', the
    bookkeeping's, or main (an analyst view)."""
    if name in BOOKKEEPING_TABLES:
        return BOOKKEEPING_SCHEMA
    if name.startswith(REFERENCE_PREFIX):
        return REFERENCE_SCHEMA
    return (relation_schemas() if schemas is None else schemas).get(name, MART_SCHEMA)


def qualified(name: str, schemas: dict[str, str] | None = None) -> str:
    """schema.name, as a stored view or DDL names a relation of the warehouse."""
    return f"{schema_of(name, schemas)}.{name}"


def next_version_path(published: Path) -> Path:
    return published.with_name(published.name + ".next")


def previous_version_path(published: Path) -> Path:
    """The version published before the current one, kept for `haquang recover`."""
    return published.with_name(published.name + ".previous")


def _build_leftovers(published: Path) -> tuple[Path, ...]:
    building = next_version_path(published)
    linking = previous_version_path(published)
    return (building, building.with_name(building.name + ".wal"), linking.with_name(linking.name + ".tmp"))


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


def landing_tables() -> list[str]:
    return sorted(path.stem for path in (SQL_DIR / "landing").glob("*.sql"))


def open_next_version(published: Path) -> duckdb.DuckDBPyConnection:
    """A writable copy of the published warehouse (or a new one), with the landing tables in place.

    A damaged published file is refused before it is copied (DamagedWarehouse), and a copy that
    fails half-way is removed: a failed load never leaves a `.next` file behind.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    reason = cleared_for_writing(published) if published.exists() else _remove_build_leftovers(published)
    if reason is not None:
        raise DamagedWarehouse(published, reason)
    building = next_version_path(published)
    try:
        if published.exists():
            shutil.copyfile(published, building)
        con = connect(building, threads=BUILD_THREADS, memory_limit=STAGING_MEMORY_LIMIT)
        try:
            create_landing_tables(con)
        except BaseException:
            con.close()
            raise
    except BaseException:
        _remove_build_leftovers(published)
        raise
    return con


def cleared_for_writing(published: Path) -> str | None:
    """What a writer does first, whether or not it builds a version: remove what a build killed mid-way
    left, set aside a log no writer owns (sound_or_why_not); why the published file cannot be built on,
    or None."""
    _remove_build_leftovers(published)
    return sound_or_why_not(published)


def _remove_build_leftovers(published: Path) -> None:
    for leftover in _build_leftovers(published):
        leftover.unlink(missing_ok=True)


def create_landing_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the layers' schemas and the landing tables in theirs, and add columns a newer version
    of sql/landing/ declares; the connection then has the layers on its search path.

    Warehouses outlive code versions: history written by an older loader stays, with the new
    columns empty for its rows, and its landing tables move out of main (move_older_layout).
    """
    use_layer_schemas(con, create=True)
    move_older_layout(con)
    for path in sorted((SQL_DIR / "landing").glob("*.sql")):
        ddl = path.read_text(encoding="utf-8")
        existing = _columns_of(con, LANDING_SCHEMA, path.stem)
        con.execute(_in_schema(ddl, path.stem, LANDING_SCHEMA))
        if existing:
            for name, column_type in _declared_columns(ddl, path.stem):
                if name not in existing:
                    con.execute(f'alter table {LANDING_SCHEMA}.{path.stem} add column "{name}" {column_type}')


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
    in_main = _relations_in(con, MART_SCHEMA)
    moving = [table for table in landing_tables() if in_main.get(table) == "table"]
    dropping = sorted(name for name in BOOKKEEPING_TABLES if in_main.get(name) == "table")
    if not moving and not dropping:
        return
    con.execute("begin transaction")
    try:
        for table in moving:
            if table in _relations_in(con, LANDING_SCHEMA):
                raise ValueError(f"the warehouse holds {table} both in main and in {LANDING_SCHEMA}: "
                                 "not moved, so that no row is lost or doubled")
            con.execute(_in_schema((SQL_DIR / "landing" / f"{table}.sql").read_text(encoding="utf-8"), table,
                                   LANDING_SCHEMA))
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


def drop_older_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Drop from main what an older version left there besides the analyst views: its staging and
    intermediate models and ref_* tables (this version builds and loads them in their schemas)."""
    schemas = relation_schemas()
    for name, kind in _relations_in(con, MART_SCHEMA).items():
        if schema_of(name, schemas) != MART_SCHEMA:
            con.execute(f"drop {kind} {MART_SCHEMA}.{name}")


def _relations_in(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, str]:
    """The tables and views of a schema of the warehouse, with their kind ('table' or 'view')."""
    return dict(con.execute(
        "select table_name, 'table' from duckdb_tables() where database_name = current_database() "
        "and schema_name = $1 and not temporary union all "
        "select view_name, 'view' from duckdb_views() where database_name = current_database() "
        "and schema_name = $1 and not internal and not temporary", [schema]).fetchall())


def _declared_columns(ddl: str, table: str) -> list[tuple[str, str]]:
    """Column names and types a CREATE TABLE statement declares (built in a scratch database)."""
    with duckdb.connect() as scratch:
        scratch.execute(ddl)
        return [(r[0], r[1]) for r in scratch.execute(f"describe {table}").fetchall()]


def build_models_at(building: Path, data_changed: bool = True) -> list[str]:
    """build_views over the version being built, in its file, closed after: for a process of its
    own (flows/warehouse/build.py), which imports this module and duckdb, nothing more."""
    con = connect(building)
    try:
        prepare_for_models(con)
        built = build_views(con, data_changed)
        con.execute("checkpoint")
        return built
    finally:
        con.close()


def prepare_for_models(con: duckdb.DuckDBPyConnection) -> None:
    """Every batch is staged: the models may use more threads (a model that runs out of memory on
    them is built again on one: within_memory). A stored model's rows have no order of their own,
    so DuckDB need not keep the order they were made in, which lets it write a large CREATE TABLE
    AS in parts."""
    con.execute("set preserve_insertion_order = false")
    con.execute(f"set threads = {model_threads()}")


def build_views(con: duckdb.DuckDBPyConnection, data_changed: bool = True) -> list[str]:
    """(Re)create every model of sql/<layer>/<name>.sql, each after the models it reads from, then test them.

    A model is a view unless its header says `-- materialized: table`: the few heavy
    intermediate models (versions, current rows, harmonised figures) are computed once per load,
    in the copy being built, so the analyst views over them answer from stored rows. When the
    load changed no data (`data_changed` False), a stored model built from the same SQL is kept:
    the nightly run with nothing new does not recompute it. The tests each header declares
    (flows/warehouse/model_tests.py) run last; any failure raises ModelTestFailed, so the copy
    being built is never published.

    Each model is made in its layer's schema (LAYER_SCHEMAS: the marts in main), and the SQL stored
    names every relation it reads with its schema (qualified_sql), so that the views answer in any
    DuckDB client opened on the file, whatever its search path.
    """
    macros, sources, order, digests = _model_plan()
    use_layer_schemas(con, create=True)
    drop_older_layout(con)  # before anything below reads a model by its name on the search path
    for macro in macros:
        con.execute(macro)
    schemas = relation_schemas()
    stored_sql = qualified_sql(sources, schemas)  # a model it cannot qualify fails first
    con.execute(f"create table if not exists {BOOKKEEPING_SCHEMA}.stored_model_sources "
                "(model varchar primary key, sql_sha256 varchar)")
    con.execute(f"comment on table {BOOKKEEPING_SCHEMA}.stored_model_sources is 'the SQL (SHA-256) each stored model was last built "
                "from, its upstream models, the macros and the reference tables included; the loader uses it to "
                "know when a stored model must be rebuilt'")
    tests = {name: model_tests.declared_tests(name, sql) for name, sql in sources.items()}  # a bad one fails first
    stale = set(_stale_stored_models(con, sources, order, digests))
    kept: set[str] = set()
    for name in order:
        kind = "table" if MATERIALIZED_AS_TABLE.search(sources[name]) else "view"
        digest = digests[name]
        if kind == "table" and not data_changed and name not in stale:
            kept.add(name)
            continue
        _drop_other_kind(con, name, kind)
        target = qualified(name, schemas)
        create = f"create or replace {kind} {target} as\n{stored_sql[name]}"
        within_memory(con, f"building {name}", lambda: con.execute(create))
        apply_comments(con, target, sources[name], kind)
        if kind == "table":
            con.execute(f"insert or replace into {BOOKKEEPING_SCHEMA}.stored_model_sources values (?, ?)",
                        [name, digest])
    _test_models(con, sources, order, tests, digests, data_changed, kept)
    return order


def _model_plan() -> tuple[list[str], dict[str, str], list[str], dict[str, str]]:
    """(the macros, each model's SQL, the order to build them in, each model's digest)."""
    macros = macro_statements()
    sources = view_sources()
    order = build_order(sources)
    # The macros, the reference tables (schemas/ and the check registry) and DuckDB's version go into
    # every digest: a stored model built from an older admin-units file must not be kept by a night
    # with nothing new, nor a model's tests be taken as passed.
    digests = _upstream_digests(sources, order, "".join(macros) + definitions_sha256() + duckdb.__version__
                                + repr([vars(registered) for registered in CHECKS.values()]))
    return macros, sources, order, digests


def macro_statements() -> list[str]:
    """The macros the models use, in the order to create them: those written from a Python rule
    (flows/warehouse/rule_macros.py) first, then the files of sql/macros/."""
    from flows.warehouse.rule_macros import generated_macros

    return generated_macros() + [path.read_text(encoding="utf-8") for path in sorted(MACRO_DIR.glob("*.sql"))]


def stale_stored_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The stored models that even a night with nothing new must build again: missing, or built
    from other SQL, an other upstream model, macros or reference tables than today's."""
    _, sources, order, digests = _model_plan()
    return _stale_stored_models(con, sources, order, digests)


def _stale_stored_models(con: duckdb.DuckDBPyConnection, sources: dict[str, str], order: list[str],
                         digests: dict[str, str]) -> list[str]:
    stored = [name for name in order if MATERIALIZED_AS_TABLE.search(sources[name])]
    if _kind_of(con, "stored_model_sources") != "table":
        return stored
    built = dict(con.execute(f"select model, sql_sha256 from {BOOKKEEPING_SCHEMA}.stored_model_sources").fetchall())
    return [name for name in stored if built.get(name) != digests[name] or _kind_of(con, name) != "table"]


def within_memory(con: duckdb.DuckDBPyConnection, doing: str, step: Callable[[], T]) -> T:
    """One model's step on the connection's threads; again on one thread if they run out of memory.

    DuckDB gives each thread buffers of its own under one memory limit: at 100,000 workbooks
    int_current_rows ran out of the 256 MB on two threads (after 4 s) and fitted on one (15 s).
    Retrying that model alone keeps what was built before it; retrying the whole build, as was
    done before, took 225 s instead of about 120.
    """
    try:
        return step()
    except duckdb.OutOfMemoryException:
        threads = con.execute("select current_setting('threads')").fetchone()[0]
        if threads <= 1:
            raise
        logger.warning("%s ran out of DuckDB's memory on %d threads; doing it again on one", doing, threads)
        con.execute("set threads = 1")
        try:
            return step()
        finally:
            con.execute(f"set threads = {threads}")


# What a load that changed no data still writes: its own record.
RUN_RECORD_TABLES = frozenset({"landing_load_runs"})


def _test_models(con: duckdb.DuckDBPyConnection, sources: dict[str, str], order: list[str], tests: dict,
                 digests: dict[str, str], data_changed: bool, kept: set[str]) -> None:
    """Run the models' declared tests; raise ModelTestFailed on any failure.

    A load that changed no data tests again only the models whose rows it may have changed: those
    that read its run record other than through a stored model it kept, and those whose SQL or
    reference tables (schemas/) changed since their tests last passed in this warehouse. The
    others hold the rows their tests passed on: at 10,000 workbooks the marts take seconds to
    compute, which was most of a night with nothing new.
    """
    con.execute(f"create table if not exists {BOOKKEEPING_SCHEMA}.tested_model_sources "
                "(model varchar primary key, sha256 varchar)")
    con.execute(f"comment on table {BOOKKEEPING_SCHEMA}.tested_model_sources is 'the SQL, upstream models and reference tables "
                "(SHA-256) each model last passed its declared tests on; the loader uses it to know which "
                "tests a load that changed no data must run again'")
    passed = dict(con.execute(f"select model, sha256 from {BOOKKEEPING_SCHEMA}.tested_model_sources").fetchall())
    changed = set(order) if data_changed else _reading_changed_rows(sources, kept)
    to_test = [name for name in order if tests[name] and (name in changed or passed.get(name) != digests[name])]
    failures = [failure for name in to_test for failure in
                within_memory(con, f"testing {name}", lambda name=name: model_tests.check(con, name, sources[name]))]
    if failures:
        raise model_tests.ModelTestFailed(failures)
    con.executemany(f"insert or replace into {BOOKKEEPING_SCHEMA}.tested_model_sources values (?, ?)",
                    [[n, digests[n]] for n in to_test])


def _reading_changed_rows(sources: dict[str, str], kept: set[str]) -> set[str]:
    """The models that read a run-record table, directly or through models other than the kept stored ones."""
    graph, found = _reads_from(sources), set()
    for name in build_order(sources):  # each model after what it reads
        if any(read in RUN_RECORD_TABLES or (read in found and read not in kept) for read in graph[name] - {name}):
            found.add(name)
    return found


def definitions_sha256() -> str:
    """What the models compute from besides the landing rows: the SQL and the reference tables (schemas/)."""
    digest = hashlib.sha256()
    for folder, pattern in ((SCHEMAS_DIR, "*.csv"), (SQL_DIR, "*.sql")):  # each may be moved apart (tests do)
        for path in sorted(folder.rglob(pattern)):
            digest.update(f"{folder.name}/{path.relative_to(folder).as_posix()}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build_order(sources: dict[str, str]) -> list[str]:
    """The models in an order where each comes after every model it reads."""
    return list(TopologicalSorter(_model_graph(sources)).static_order())


def _model_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    return {name: (reads - {name}) & sources.keys() for name, reads in _reads_from(sources).items()}


def _upstream_digests(sources: dict[str, str], order: list[str], shared: str) -> dict[str, str]:
    """Each model's SQL hashed with the digests of the models it reads (and what all share).

    A stored model is kept on a night with nothing new only when this is unchanged: an edit to any
    model upstream of it (a view or another stored model) rebuilds it too, never leaving it stale.
    """
    graph = _model_graph(sources)
    digests: dict[str, str] = {}
    for name in order:
        upstream = "".join(digests[dependency] for dependency in sorted(graph[name]))
        digests[name] = hashlib.sha256((shared + sources[name] + upstream).encode()).hexdigest()
    return digests


def _kind_of(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """'table' or 'view' for a relation of the warehouse in its schema (schema_of), None when it is not there."""
    return _relations_in(con, schema_of(name)).get(name)


def _drop_other_kind(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> None:
    """A model that changed between view and table since the warehouse was written."""
    existing = _kind_of(con, name)
    if existing and existing != kind:
        con.execute(f"drop {existing} {qualified(name)}")


def apply_comments(con: duckdb.DuckDBPyConnection, view: str, sql: str, kind: str = "view") -> None:
    """COMMENT ON the view (or table; its name qualified or not) and its columns from the file's header lines.

    `-- column NAME: text` documents a column; the other header lines describe the model. Run
    after every CREATE OR REPLACE, which drops the comments a model had.
    """
    description, columns = [], {}
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        text = line[2:].strip()
        if match := re.match(r"column (\w+): (.+)", text):
            columns[match.group(1)] = match.group(2)
        elif text and not MATERIALIZED_AS_TABLE.match(line) and not model_tests.is_declaration(line):
            description.append(text)
    if description:
        con.execute(f"comment on {kind} {view} is {_literal(' '.join(description))}")
    for column, text in columns.items():
        con.execute(f'comment on column {view}."{column}" is {_literal(text)}')


def _literal(text: str) -> str:
    """A SQL string literal; COMMENT ON takes no bound parameters."""
    return "'" + text.replace("'", "''") + "'"


def view_sources() -> dict[str, str]:
    """Every view's SQL, keyed by view name (the file name)."""
    return {path.stem: path.read_text(encoding="utf-8") for layer in VIEW_LAYERS
            for path in sorted((SQL_DIR / layer).glob("*.sql"))}


def lineage() -> dict[str, set[str]]:
    """What each view reads: other views, landing tables (the loader's) and ref_ tables (catalogues)."""
    return {name: reads - {name} for name, reads in _reads_from(view_sources()).items()}


def _reads_from(sources: dict[str, str]) -> dict[str, set[str]]:
    """The tables and views each model's SQL reads, as DuckDB's own parser sees them.

    Every FROM and JOIN of the parse tree, subqueries included; a name bound by a WITH clause
    (a CTE) is the model's own and is not a dependency where that clause is in scope. Names
    in comments and strings are not read at all.
    """
    return {name: set(reads) for name, reads in _parsed_reads(tuple(sorted(sources.items()))).items()}


@lru_cache(maxsize=4)  # a build asks for the graph several times; parsing every model costs 0.1 s
def _parsed_reads(sources: tuple[tuple[str, str], ...]) -> dict[str, frozenset[str]]:
    trees = _parsed_trees(sources)
    return {name: frozenset(_table_references(tree["statements"], frozenset())) for name, tree in trees.items()}


@lru_cache(maxsize=4)  # the graph and qualified_sql read the same trees (not to be changed by either)
def _parsed_trees(sources: tuple[tuple[str, str], ...]) -> dict[str, dict]:
    return _parse_trees(dict(sources))


def _parse_trees(sources: dict[str, str]) -> dict[str, dict]:
    """Each model's parse tree, as DuckDB's json_serialize_sql gives it; a model it cannot parse raises."""
    with duckdb.connect() as scratch:
        trees = {name: json.loads(scratch.execute("select json_serialize_sql(?)", [sql]).fetchone()[0])
                 for name, sql in sources.items()}
    broken = {name: tree.get("error_message", "") for name, tree in trees.items() if tree["error"]}
    if broken:
        raise ValueError("DuckDB cannot parse " + "; ".join(f"sql model {n}: {m}" for n, m in broken.items()))
    return trees


def _table_references(node, ctes: frozenset[str]) -> set[str]:
    """Base tables named anywhere in a json_serialize_sql tree, except the CTEs in scope."""
    return {table["table_name"].lower() for table in _base_tables(node, ctes)}


def _base_tables(node, ctes: frozenset[str]):
    """The BASE_TABLE nodes of a json_serialize_sql tree (every FROM and JOIN, subqueries included),
    except those that name a CTE in scope."""
    if isinstance(node, list):
        for item in node:
            yield from _base_tables(item, ctes)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "BASE_TABLE":
        if node["table_name"].lower() not in ctes or node.get("schema_name"):
            yield node
        return
    if node.get("type") == "RECURSIVE_CTE_NODE":  # its parts read the CTE itself
        ctes = ctes | {node["cte_name"].lower()}
    for entry in (node.get("cte_map") or {}).get("map", []):
        yield from _base_tables(entry["value"], ctes)  # a CTE sees the ones written before it
        ctes = ctes | {entry["key"].lower()}
    for key, value in node.items():
        if key != "cte_map":
            yield from _base_tables(value, ctes)


class UnqualifiableModel(ValueError):
    """A model's SQL whose reads cannot all be named with their schema by qualified_sql."""


def qualified_sql(sources: dict[str, str], schemas: dict[str, str]) -> dict[str, str]:
    """Each model's SQL with each relation of the warehouse it reads named schema.name, as dbt's ref() does.

    A stored view binds its unqualified names with the search path of whoever queries it, so a view
    of main reading `stg_x` of the schema staging fails in a client that has not set one. The
    places are DuckDB's own parser's (json_serialize_sql: each table reference with its byte offset
    in the text), the CTEs in scope left out: the schema goes in front of those references and
    nowhere else, so that a CTE, a column, a string or a comment that spells the same name is
    never touched, and the file's text (comments, layout) is stored otherwise as written. The
    result is parsed again and must be the same tree but for the schemas. A table the warehouse
    does not define (a name of no layer, nor a reference or bookkeeping table) is refused: the view
    would depend on the search path. Macros stay in main, on every client's default search path.
    """
    return _qualified_sql(tuple(sorted(sources.items())), tuple(sorted(schemas.items())))


@lru_cache(maxsize=4)  # a build asks once or twice; parsing every model twice costs 0.1 s
def _qualified_sql(sources: tuple[tuple[str, str], ...], schemas: tuple[tuple[str, str], ...]) -> dict[str, str]:
    trees = _parsed_trees(sources)
    known, sources = dict(schemas), dict(sources)
    rewritten = {}
    for model, sql in sources.items():
        text = sql.encode("utf-8")  # the parser's offsets are in bytes
        inserts = []
        for table in _base_tables(trees[model]["statements"], frozenset()):
            if table.get("schema_name") or table.get("catalog_name"):
                continue
            name = table["table_name"]
            if name not in known and not name.startswith(REFERENCE_PREFIX) and name not in BOOKKEEPING_TABLES:
                raise UnqualifiableModel(f"sql model {model} reads {name}, which no layer of sql/ defines nor the "
                                         "reference tables: a view must name only relations of the warehouse")
            start = table.get("query_location")  # where the reference starts (its length includes an alias)
            written = text[start:start + len(name.encode()) + 2].decode("utf-8", "replace") \
                if isinstance(start, int) else ""
            if not re.match(rf'(?:"{re.escape(name)}"|{re.escape(name)}(?!\w))', written, re.I):
                raise UnqualifiableModel(f"sql model {model}: the parser places the table {name} at {start!r}, "
                                         f"where the text says {written!r}")
            inserts.append((start, schema_of(name, known)))
        for start, schema in sorted(inserts, reverse=True):
            text = text[:start] + f"{schema}.".encode() + text[start:]
        rewritten[model] = text.decode("utf-8")
    again = _parse_trees(rewritten)
    for model, tree in trees.items():
        if _but_for_schemas(again[model]) != _but_for_schemas(tree):
            raise UnqualifiableModel(f"sql model {model}: naming its tables' schemas changed more than the schemas")
    return rewritten


def _but_for_schemas(node):
    """A parse tree without what qualifying its tables changes: their schema and the text's offsets."""
    if isinstance(node, list):
        return [_but_for_schemas(item) for item in node]
    if not isinstance(node, dict):
        return node
    dropped = {"query_location", "query_location_length"}
    if node.get("type") == "BASE_TABLE":
        dropped |= {"schema_name", "qualified_name"}
    return {key: _but_for_schemas(value) for key, value in node.items() if key not in dropped}


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


def publish(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Make the built version the published one in one atomic rename, keeping the one it replaces."""
    con.execute("checkpoint")
    con.close()
    keep_previous_version(published)
    os.replace(next_version_path(published), published)


def keep_previous_version(published: Path) -> None:
    """Hard-link the published file as `<warehouse>.previous` before a new version replaces it.

    `haquang recover` puts it back when the published file is damaged. A link copies nothing;
    the old version's disk space is held until the next publish. Linked under a temporary name
    and renamed, so `.previous` is always one whole version.
    """
    previous = previous_version_path(published)
    if not published.exists() or (previous.exists() and os.path.samefile(published, previous)):
        return  # nothing to keep, or kept already (after a recovery both names are one file)
    linking = _build_leftovers(published)[2]
    linking.unlink(missing_ok=True)
    try:
        os.link(published, linking)
    except OSError:  # a file system without hard links: a copy costs time but keeps the promise
        shutil.copyfile(published, linking)
    os.replace(linking, previous)  # rename(2) does nothing if both names are one file: hence the check above


def discard(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Drop a build that failed; the published warehouse is untouched."""
    try:
        con.close()
    finally:
        _remove_build_leftovers(published)


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
