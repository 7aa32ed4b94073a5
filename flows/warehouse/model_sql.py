"""What the SQL of a model says: what it reads (lineage, build order), its header comments, and its
text with every relation it reads named by its schema. DuckDB's own parser reads it."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from graphlib import TopologicalSorter

import duckdb

from flows.warehouse import model_tests
from flows.warehouse.layers import BOOKKEEPING_TABLES, REFERENCE_PREFIX, schema_of, view_sources

MATERIALIZED_AS_TABLE = re.compile(r"^-- materialized: table\s*$", re.M)


def build_order(sources: dict[str, str]) -> list[str]:
    """The models in an order where each comes after every model it reads."""
    return list(TopologicalSorter(model_graph(sources)).static_order())


def model_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    return {name: (reads - {name}) & sources.keys() for name, reads in reads_from(sources).items()}


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


def lineage() -> dict[str, set[str]]:
    """What each view reads: other views, landing tables (the loader's) and ref_ tables (catalogues)."""
    return {name: reads - {name} for name, reads in reads_from(view_sources()).items()}


def reads_from(sources: dict[str, str]) -> dict[str, set[str]]:
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
