"""What sql/ and schemas/ define, and the schema each relation of the warehouse lives in.

The files are read when asked for, through this module's SQL_DIR, MACRO_DIR and SCHEMAS_DIR, so
that pointing those at a copy (as tests do) changes what every reader of the definitions sees.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
VIEW_LAYERS = ("staging", "intermediate", "marts")
MACRO_DIR = SQL_DIR / "macros"
SCHEMAS_DIR = SQL_DIR.parent / "schemas"
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


def landing_tables() -> list[str]:
    return sorted(path.stem for path in (SQL_DIR / "landing").glob("*.sql"))


def landing_sql(table: str) -> str:
    """The CREATE TABLE of a landing table, as sql/landing/<table>.sql writes it."""
    return (SQL_DIR / "landing" / f"{table}.sql").read_text(encoding="utf-8")


def relations_in(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, str]:
    """The tables and views of a schema of the warehouse, with their kind ('table' or 'view')."""
    return dict(con.execute(
        "select table_name, 'table' from duckdb_tables() where database_name = current_database() "
        "and schema_name = $1 and not temporary union all "
        "select view_name, 'view' from duckdb_views() where database_name = current_database() "
        "and schema_name = $1 and not internal and not temporary", [schema]).fetchall())


def macro_statements() -> list[str]:
    """The macros the models use, in the order to create them: those written from a Python rule
    (flows/warehouse/rule_macros.py) first, then the files of sql/macros/."""
    from flows.warehouse.rule_macros import generated_macros

    return generated_macros() + [path.read_text(encoding="utf-8") for path in sorted(MACRO_DIR.glob("*.sql"))]


def definitions_sha256() -> str:
    """What the models compute from besides the landing rows: the SQL and the reference tables (schemas/)."""
    digest = hashlib.sha256()
    for folder, pattern in ((SCHEMAS_DIR, "*.csv"), (SQL_DIR, "*.sql")):  # each may be moved apart (tests do)
        for path in sorted(folder.rglob(pattern)):
            digest.update(f"{folder.name}/{path.relative_to(folder).as_posix()}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def kind_of(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """'table' or 'view' for a relation of the warehouse in its schema (schema_of), None when it is not there."""
    return relations_in(con, schema_of(name)).get(name)


def view_sources() -> dict[str, str]:
    """Every view's SQL, keyed by view name (the file name)."""
    return {path.stem: path.read_text(encoding="utf-8") for layer in VIEW_LAYERS
            for path in sorted((SQL_DIR / layer).glob("*.sql"))}
