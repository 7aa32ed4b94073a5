"""Build the models of sql/<layer>/ in the version being built: views, stored tables, their tests.

A stored model is rebuilt only when its digest (its SQL, its upstream models', the macros', the
reference tables' and DuckDB's version) changed or the load changed data.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from flows.core.checks import CHECKS
from flows.warehouse import model_tests
from flows.warehouse.connection import connect, use_layer_schemas
from flows.warehouse.layers import (BOOKKEEPING_SCHEMA, MART_SCHEMA, definitions_sha256, kind_of, macro_statements,
                                    qualified, relation_schemas, relations_in, schema_of, view_sources)
from flows.warehouse.model_sql import (MATERIALIZED_AS_TABLE, apply_comments, build_order, model_graph, qualified_sql,
                                       reads_from)

logger = logging.getLogger(__name__)
T = TypeVar("T")

# The models are built after the last batch is staged on up to MODEL_THREADS: two fit the 256 MB
# (flows/warehouse/connection.py DUCKDB_MEMORY_LIMIT) at 10,000 workbooks; at 100,000 one model did
# not, and is built again alone on one thread (within_memory); more threads would share the limit
# in smaller parts still.
MODEL_THREADS = 2


def model_threads() -> int:
    return max(1, min(os.cpu_count() or 1, MODEL_THREADS))


def drop_older_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Drop from main what an older version left there besides the analyst views: its staging and
    intermediate models and ref_* tables (this version builds and loads them in their schemas)."""
    schemas = relation_schemas()
    for name, kind in relations_in(con, MART_SCHEMA).items():
        if schema_of(name, schemas) != MART_SCHEMA:
            con.execute(f"drop {kind} {MART_SCHEMA}.{name}")


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


def stale_stored_models(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The stored models that even a night with nothing new must build again: missing, or built
    from other SQL, an other upstream model, macros or reference tables than today's."""
    _, sources, order, digests = _model_plan()
    return _stale_stored_models(con, sources, order, digests)


def _stale_stored_models(con: duckdb.DuckDBPyConnection, sources: dict[str, str], order: list[str],
                         digests: dict[str, str]) -> list[str]:
    stored = [name for name in order if MATERIALIZED_AS_TABLE.search(sources[name])]
    if kind_of(con, "stored_model_sources") != "table":
        return stored
    built = dict(con.execute(f"select model, sql_sha256 from {BOOKKEEPING_SCHEMA}.stored_model_sources").fetchall())
    return [name for name in stored if built.get(name) != digests[name] or kind_of(con, name) != "table"]


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
    graph, found = reads_from(sources), set()
    for name in build_order(sources):  # each model after what it reads
        if any(read in RUN_RECORD_TABLES or (read in found and read not in kept) for read in graph[name] - {name}):
            found.add(name)
    return found


def _upstream_digests(sources: dict[str, str], order: list[str], shared: str) -> dict[str, str]:
    """Each model's SQL hashed with the digests of the models it reads (and what all share).

    A stored model is kept on a night with nothing new only when this is unchanged: an edit to any
    model upstream of it (a view or another stored model) rebuilds it too, never leaving it stale.
    """
    graph = model_graph(sources)
    digests: dict[str, str] = {}
    for name in order:
        upstream = "".join(digests[dependency] for dependency in sorted(graph[name]))
        digests[name] = hashlib.sha256((shared + sources[name] + upstream).encode()).hexdigest()
    return digests


def _drop_other_kind(con: duckdb.DuckDBPyConnection, name: str, kind: str) -> None:
    """A model that changed between view and table since the warehouse was written."""
    existing = kind_of(con, name)
    if existing and existing != kind:
        con.execute(f"drop {existing} {qualified(name)}")
