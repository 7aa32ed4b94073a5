"""Every flow module imports, and every SQL file builds in an empty in-memory DuckDB."""

from __future__ import annotations

import importlib
import pkgutil

import duckdb
import pytest

import flows
from flows.warehouse import connection, landing, layers, model_build, model_sql
from flows.warehouse.reference import load_reference_tables


def test_every_flow_module_imports():
    names = [module.name for module in pkgutil.walk_packages(flows.__path__, "flows.")]
    assert len(names) > 40
    for name in names:
        importlib.import_module(name)


@pytest.mark.slow  # every model built: make test runs it, make test-fast leaves it out
def test_every_sql_file_builds_and_each_mart_has_its_contract_columns():
    con = duckdb.connect()
    landing.create_landing_tables(con)
    load_reference_tables(con)
    views = model_build.build_views(con)
    files = sorted(p.stem for layer in layers.VIEW_LAYERS for p in (layers.SQL_DIR / layer).glob("*.sql"))
    assert sorted(views) == files
    columns = {name: {c[0] for c in con.execute(f"describe {name}").fetchall()}
               for name in ("indicator_results", "dq_issues", "load_runs")}
    assert {"source_district", "source_file", "source_sheet", "source_row", "row_label", "parent_label", "row_kind",
            "unit", "unit_raw", "target_raw", "actual_raw", "reported_pct_raw", "target_low", "target_high",
            "actual_value", "actual_text", "reported_pct", "computed_pct", "period_end", "is_estimate", "dq_flags",
            "load_id"} <= columns["indicator_results"]
    assert {"load_id", "source_district", "source_file", "source_sheet", "source_row", "source_column",
            "check_name", "severity", "message", "raw_value"} <= columns["dq_issues"]
    assert {"load_id", "started_at", "finished_at", "status", "files_seen", "files_loaded", "files_rejected",
            "rows_loaded", "rows_rejected"} <= columns["load_runs"]


def test_a_warehouse_whose_models_were_views_is_rebuilt_with_the_stored_ones(loaded_warehouse, tmp_path):
    """Warehouses written before a model became a stored table still load: the view gives way."""
    copy = tmp_path / "older.duckdb"
    copy.write_bytes(loaded_warehouse.read_bytes())
    stored = [name for name, sql in layers.view_sources().items() if model_sql.MATERIALIZED_AS_TABLE.search(sql)]
    with connection.connect(copy) as con:
        current = con.execute("select * from indicator_results order by all").fetchall()
        for name in stored:  # as the older code left them
            con.execute(f"create temp table kept_{name} as select * from {name}")
            con.execute(f"drop table {name}")
            con.execute(f"create view {layers.qualified(name)} as select * from kept_{name}")
        model_build.build_views(con)
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables "
                                 "where table_schema in ('intermediate', 'main')").fetchall())
        assert stored and {kinds[name] for name in stored} == {"BASE TABLE"}
        assert con.execute("select * from indicator_results order by all").fetchall() == current


def test_stored_models_are_kept_when_nothing_changed_and_rebuilt_when_their_sql_did(loaded_warehouse, tmp_path):
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(loaded_warehouse.read_bytes())
    with connection.connect(copy) as con:
        rows = con.execute("select count(*) from int_current_rows").fetchone()[0]
        con.execute("delete from int_current_rows")  # so that a recomputation shows
        con.execute("delete from int_harmonised_rows")  # and the rows over them: the model tests check they agree
        model_build.build_views(con, data_changed=False)
        assert con.execute("select count(*) from int_current_rows").fetchone()[0] == 0
        con.execute("update stored_model_sources set sql_sha256 = 'an older query' where model = 'int_current_rows'")
        model_build.build_views(con, data_changed=False)
        assert con.execute("select count(*) from int_current_rows").fetchone()[0] == rows
        con.execute("delete from int_current_rows")
        model_build.build_views(con)
        assert con.execute("select count(*) from int_current_rows").fetchone()[0] == rows == 66


def test_an_edit_upstream_of_a_stored_model_rebuilds_it_on_a_night_with_nothing_new(loaded_warehouse, tmp_path,
                                                                                     monkeypatch):
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(loaded_warehouse.read_bytes())
    sources = layers.view_sources()
    edited = {**sources, "int_current_rows": sources["int_current_rows"] + "\n-- edited by a new release\n"}
    with connection.connect(copy) as con:
        rows = con.execute("select count(*) from int_harmonised_rows").fetchone()[0]
        con.execute("delete from int_harmonised_rows")  # stored downstream of int_current_rows
        monkeypatch.setattr(model_build, "view_sources", lambda: edited)
        model_build.build_views(con, data_changed=False)
        assert con.execute("select count(*) from int_harmonised_rows").fetchone()[0] == rows > 0
