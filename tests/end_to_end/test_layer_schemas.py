"""The analyst's catalogue: the analyst views alone in main, each layer in a schema of its own, views that
answer in a plain DuckDB client, and a warehouse of the older layout (everything in main) moved without
losing a row. Rules: flows/warehouse/layers.py (relation_schemas), model_sql.py (qualified_sql), landing.py
(move_older_layout)."""

from __future__ import annotations

import duckdb
import pytest

from flows.publish.exports import analyst_views
from flows.warehouse import damage_checks, landing, layers, model_sql, query_sandbox
from flows.warehouse.reference import CATALOGUES
from tests.conftest import RAW

LANDING_ROWS = "select * from {} order by all"  # every row of them is of load 1


def plain(warehouse):
    """What the duckdb CLI, Harlequin or DBeaver opens: no setting at all."""
    return duckdb.connect(str(warehouse), read_only=True)


def test_show_tables_lists_exactly_the_analyst_views(loaded_warehouse):
    with plain(loaded_warehouse) as con:
        assert [r[0] for r in con.execute("show tables").fetchall()] == analyst_views()
        assert [r[0] for r in con.execute("select table_name from information_schema.tables "
                                          "where table_schema = 'main' order by 1").fetchall()] == analyst_views()


def test_every_relation_is_in_the_schema_of_its_layer(loaded_warehouse):
    with plain(loaded_warehouse) as con:
        listed = con.execute("select table_name, table_schema from information_schema.tables").fetchall()
    found = dict(listed)
    assert len(found) == len(listed)  # no name in two schemas
    expected = {**layers.relation_schemas(), **{name: "reference" for name in [*CATALOGUES, "ref_dq_checks",
                                                                             "ref_reference_sources"]},
                **{name: "bookkeeping" for name in layers.BOOKKEEPING_TABLES}}
    assert found == expected, set(found) ^ set(expected)
    assert {found[name] for name in layers.landing_tables()} == {"landing"}
    assert {schema for name, schema in found.items() if name.startswith("stg_")} == {"staging"}
    assert {schema for name, schema in found.items() if name.startswith("int_")} == {"intermediate"}


def test_a_plain_client_reads_every_view_with_no_search_path(loaded_warehouse):
    with plain(loaded_warehouse) as con:
        assert con.execute("select current_setting('search_path')").fetchone()[0] == ""
        for view in analyst_views():
            con.execute(f"select * from {view}").fetchall()
        # the layers' views too, by their qualified names
        for schema, view in con.execute("select schema_name, view_name from duckdb_views() where not internal "
                                        "and schema_name <> 'main'").fetchall():
            con.execute(f"select * from {schema}.{view}").fetchall()
        assert con.execute("select count(*) from staging.stg_indicator_rows").fetchone()[0] == 66
        # a client whose default schema is another still reads the marts
        con.execute("use staging")
        con.execute("select * from main.indicator_results").fetchall()


def test_haquang_sql_lists_the_analyst_views_and_reads_qualified_layers(loaded_warehouse):
    columns, rows, _, _ = query_sandbox.query(loaded_warehouse, "show tables")
    assert [r[0] for r in rows] == analyst_views()
    assert query_sandbox.query(loaded_warehouse, "select count(*) from staging.stg_indicator_rows")[1] == [(66,)]
    assert query_sandbox.query(loaded_warehouse, "select count(*) from landing.landing_load_runs")[1] == [(1,)]
    with pytest.raises(duckdb.CatalogException, match="staging.stg_indicator_rows"):  # DuckDB names the schema
        query_sandbox.query(loaded_warehouse, "select count(*) from stg_indicator_rows")


def test_the_sql_stored_names_the_schema_of_what_it_reads_and_nothing_else():
    schemas = {"stg_units": "staging", "stg_indicators": "staging", "indicators": "main"}
    sql = ("-- reads stg_units, from stg_indicators\n"
           "with stg_units as (select 1 as stg_indicators, 'from stg_indicators' as note)\n"
           "select stg_indicators, note, \"stg_indicators\".unit, u.stg_indicators as n, 'Việt' as t\n"
           "from stg_units as u, \"stg_indicators\" join ref_units using (unit)\n"
           "where unit in (select unit from stg_indicators) and exists (from indicators)")
    assert model_sql.qualified_sql({"m": sql}, schemas)["m"] == (
        "-- reads stg_units, from stg_indicators\n"
        "with stg_units as (select 1 as stg_indicators, 'from stg_indicators' as note)\n"
        "select stg_indicators, note, \"stg_indicators\".unit, u.stg_indicators as n, 'Việt' as t\n"
        "from stg_units as u, staging.\"stg_indicators\" join reference.ref_units using (unit)\n"
        "where unit in (select unit from staging.stg_indicators) and exists (from main.indicators)")
    with pytest.raises(model_sql.UnqualifiableModel, match="reads stg_nowhere"):
        model_sql.qualified_sql({"m": "select * from stg_nowhere"}, schemas)


def test_every_model_of_sql_is_stored_qualified():
    sources = layers.view_sources()
    stored = model_sql.qualified_sql(sources, layers.relation_schemas())
    reads = model_sql._parse_trees(stored)
    for name, tree in reads.items():
        unqualified = {t["table_name"] for t in model_sql._base_tables(tree["statements"], frozenset())
                       if not t["schema_name"]}
        assert unqualified == set(), name
    # and the lineage (the names read) is the files' own
    assert {n: {t.split(".")[-1] for t in r} for n, r in model_sql.reads_from(stored).items()} == model_sql.reads_from(sources)


def to_older_layout(warehouse) -> None:
    """The warehouse as the version before the layers had schemas left it: every relation in main, the
    views' SQL unqualified."""
    with duckdb.connect(str(warehouse)) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "where schema_name <> 'main'").fetchall()
        for schema, table in tables:
            if schema == "landing":  # with its constraints, as sql/landing/ made it
                con.execute((layers.SQL_DIR / "landing" / f"{table}.sql").read_text(encoding="utf-8"))
                con.execute(f"insert into main.{table} by name select * from landing.{table}")
            else:
                con.execute(f"create table main.{table} as select * from {schema}.{table}")
        sources = layers.view_sources()
        for name in model_sql.build_order(sources):
            if not model_sql.MATERIALIZED_AS_TABLE.search(sources[name]):
                con.execute(f"create or replace view main.{name} as\n{sources[name]}")
        for schema in layers.INTERNAL_SCHEMAS:
            con.execute(f"drop schema {schema} cascade")
        assert con.execute("select count(*) from duckdb_schemas() where schema_name in ?",
                           [list(layers.INTERNAL_SCHEMAS)]).fetchone()[0] == 0
        con.execute("checkpoint")


def test_a_warehouse_of_the_older_layout_is_read_and_moved_by_the_next_load_with_every_row(
        loaded_warehouse, tmp_path, prefect_harness):
    from flows.orchestration.load_flow import run_load
    from flows.publish.status import status_facts
    from flows.warehouse.state import read_file_state

    warehouse = tmp_path / "older.duckdb"
    warehouse.write_bytes(loaded_warehouse.read_bytes())
    to_older_layout(warehouse)
    with plain(warehouse) as con:
        before = {table: con.execute(LANDING_ROWS.format(table)).fetchall() for table in layers.landing_tables()}
        results = con.execute("select * from indicator_results order by all").fetchall()
    assert all(before.values())
    # read as it is before the next load: sound, its files known, its status and the analyst's queries
    assert damage_checks.damage(warehouse) is None
    assert set(read_file_state(warehouse)) == {f"{path.parent.name}/{path.name}" for path in RAW.glob("*/*.xlsx")}
    assert status_facts(warehouse)["ok"]
    assert query_sandbox.query(warehouse, "select count(*) from indicator_results")[1] == [(len(results),)]

    summary = run_load(raw_dir=RAW, warehouse=warehouse)
    assert summary.exit_code == 0
    with plain(warehouse) as con:
        assert [r[0] for r in con.execute("show tables").fetchall()] == analyst_views()
        for table, rows in before.items():  # every row of the history, in its schema now
            assert con.execute(f"select * from landing.{table} where load_id = 1 order by all").fetchall() == rows
        assert con.execute("select max(load_id) from landing.landing_load_runs").fetchone()[0] == 2
        assert con.execute("select * from indicator_results order by all").fetchall() == results
        # the landing tables left main; the tables there now are the marts stored as tables
        stored_marts = sorted(name for name, sql in layers.view_sources().items()
                              if model_sql.MATERIALIZED_AS_TABLE.search(sql) and name in analyst_views())
        assert [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main' "
                                          "order by 1").fetchall()] == stored_marts
    assert damage_checks.damage(warehouse) is None


def test_the_move_is_one_transaction_and_keeps_a_column_the_files_no_longer_declare(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        for table in layers.landing_tables():
            con.execute((layers.SQL_DIR / "landing" / f"{table}.sql").read_text(encoding="utf-8"))
        con.execute("alter table landing_load_files add column retired_note varchar")
        con.execute("insert into landing_load_files (load_id, source_district, source_file, action, loaded, "
                    "rows_loaded, retired_note) values (1, 'ha_quang', 'ha_quang/a.xlsx', 'loaded', true, 3, 'kept')")
        con.execute("create table stored_model_sources (model varchar primary key, sql_sha256 varchar)")
        landing.create_landing_tables(con)
        con.execute("checkpoint")
        assert con.execute("select retired_note, rows_loaded from landing.landing_load_files").fetchall() == [("kept", 3)]
        assert con.execute("select count(*) from duckdb_tables() where schema_name = 'main'").fetchone()[0] == 0
        assert damage_checks.damage_seen_by(con, tmp_path / "w.duckdb") is None
