"""One SQL model built alone from a few hand-made rows, the way dbt's unit tests give `given` rows and
`expect` rows: a rule written in SQL is tested in seconds, with no workbook and no Prefect load.

    rows = build_model("int_district_attainment", {
        "int_harmonised_rows": [{"indicator_code": "forest_cover", "harmonised_actual": 47.5, ...}],
        "stg_indicators": [{"indicator_code": "forest_cover", "direction": "higher_is_better"}],
    })

Only the relations the model reads directly (its FROM and JOIN, as models.lineage finds them) are
made, as tables of their real columns and types; a relation not given is empty, and a column a row
leaves out is NULL. The columns and types are the build's own: the landing tables, the reference tables
and each model a test reaches (with what it reads) created once per session in a scratch DuckDB from
the same files and stored SQL flows/warehouse/model_build.py builds from, over empty landing tables.
A given column that the real relation lacks fails loudly (UnknownColumn), so that a rename in the SQL
cannot leave a test quietly comparing NULLs. A relation named in `catalogue` is filled instead with
its real rows, built from the reference files of schemas/ (stg_messages, stg_units, ...): the words
of a reason come from the catalogue, not from a test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

import duckdb

from flows.warehouse import landing, layers, model_sql
from flows.warehouse.reference import load_reference_tables


class UnknownColumn(KeyError):
    """A hand-made row names a column its relation does not have."""


class NotRead(KeyError):
    """Rows given for a relation the model does not read: they could not change its result."""


def _macros() -> list[str]:
    """The macros as the build creates them: those written from Python rules, then sql/macros/."""
    return layers.macro_statements()


@lru_cache(maxsize=1)
def _empty_warehouse() -> duckdb.DuckDBPyConnection:
    """The landing tables (empty) and reference tables (full) as the build makes them, and the macros;
    the models are added as they are asked for (_ensure_built)."""
    con = duckdb.connect()
    landing.create_landing_tables(con)
    load_reference_tables(con)
    for macro in _macros():
        con.execute(macro)
    # Only the columns and types are wanted: the binder gives them; the optimizer would double the
    # seconds a large model (int_district_attainment) takes to plan, for no row.
    con.execute("pragma disable_optimizer")
    return con


def _ensure_built(relation: str) -> None:
    """Make a model (and what it reads) in the scratch warehouse, each as a table of its stored SQL
    computed over the empty landing tables: the columns and types a load's build gives it."""
    sources = layers.view_sources()
    if relation not in sources:
        return  # a landing or reference table: there already
    con, schemas = _empty_warehouse(), layers.relation_schemas()
    if con.execute("select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
                   [layers.schema_of(relation, schemas), relation]).fetchone()[0]:
        return
    for upstream in sorted(model_sql.lineage()[relation]):
        _ensure_built(upstream)
    stored = model_sql.qualified_sql(sources, schemas)[relation]
    con.execute(f"create table {layers.qualified(relation, schemas)} as\n{stored}")


@lru_cache(maxsize=None)
def columns_of(relation: str) -> tuple[tuple[str, str], ...]:
    """(name, DuckDB type) of each column of a relation of the warehouse, in order."""
    _ensure_built(relation)
    found = _empty_warehouse().execute(
        "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
        "order by column_index", [layers.schema_of(relation), relation]).fetchall()
    if not found:
        raise KeyError(f"{relation} is no relation of the warehouse (sql/, the reference tables)")
    return tuple(found)


def reads_of(model: str) -> set[str]:
    """The relations a model reads directly (models.lineage: DuckDB's parse of its FROM and JOIN)."""
    lineage = model_sql.lineage()
    if model not in lineage:
        raise KeyError(f"{model} is no model of sql/")
    return lineage[model]


def _rows(given) -> list[dict]:
    if hasattr(given, "to_dict"):  # a small DataFrame: its missing cells (NaN, NaT, None) are NULL
        return given.astype(object).where(given.notna(), None).to_dict("records")
    return [dict(row) for row in given]


def build_model(model: str, given: Mapping[str, Iterable[Mapping] | object],
                catalogue: Iterable[str] = ()) -> list[dict]:
    """The rows of `model` computed from `given` ({relation: rows}) alone, each a dict by column name,
    in the model's own order. `catalogue` names relations read with their real reference rows."""
    reads, catalogue = reads_of(model), set(catalogue)
    for relation in set(given) | catalogue:
        if relation not in reads:
            raise NotRead(f"{model} does not read {relation} (it reads {', '.join(sorted(reads))})")
    if both := set(given) & catalogue:
        raise ValueError(f"{', '.join(sorted(both))}: given rows and catalogue rows at once")
    schemas = layers.relation_schemas()
    with duckdb.connect() as con:
        for schema in set(schemas.values()) | {layers.REFERENCE_SCHEMA, layers.BOOKKEEPING_SCHEMA}:
            con.execute(f"create schema if not exists {schema}")
        for macro in _macros():
            con.execute(macro)
        for relation in sorted(reads):
            table = layers.qualified(relation, schemas)
            columns = columns_of(relation)
            con.execute(f"create table {table} (" + ", ".join(f'"{c}" {t}' for c, t in columns) + ")")
            if relation in catalogue:
                _copy_real_rows(con, relation, table, [c for c, _ in columns])
            _insert(con, relation, table, dict(columns), _rows(given.get(relation, ())))
        stored = model_sql.qualified_sql(layers.view_sources(), schemas)[model]
        cursor = con.execute(stored)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _insert(con, relation: str, table: str, types: dict[str, str], rows: list[dict]) -> None:
    for number, row in enumerate(rows, 1):
        unknown = sorted(set(row) - set(types))
        if unknown:
            raise UnknownColumn(f"{relation} has no column {', '.join(unknown)} (row {number} of the given rows; "
                                f"its columns: {', '.join(types)})")
        if not row:
            con.execute(f"insert into {table} default values")
            continue
        names = list(row)
        con.execute(f"insert into {table} (" + ", ".join(f'"{c}"' for c in names) + ") values ("
                    + ", ".join(f"?::{types[c]}" for c in names) + ")", [row[c] for c in names])


def _copy_real_rows(con, relation: str, table: str, columns: list[str]) -> None:
    _ensure_built(relation)
    real = _empty_warehouse().execute(f"select * from {layers.qualified(relation)}")
    names = [d[0] for d in real.description]
    rows = real.fetchall()
    if names != columns:
        raise AssertionError(f"{relation}: columns {names} where the empty build has {columns}")
    if rows:
        con.executemany(f"insert into {table} values (" + ", ".join("?" for _ in names) + ")", rows)
