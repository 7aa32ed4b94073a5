"""The SQL models: the tests their headers declare, the order they are built in, and the two districts they are written for."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from flows.publish import dashboard
from flows.warehouse import model_tests
from flows.warehouse import landing, layers, model_build, model_sql, versions
from flows.warehouse.model_tests import ModelTestFailed
from flows.warehouse.reference import load_reference_tables
from tests.conftest import REPO, in_this_process

RUN = ("insert into landing_load_runs (load_id, started_at, finished_at, status, raw_dir, mode, files_seen, "
       "files_loaded, files_rejected, rows_loaded, rows_rejected, warnings, errors) "
       "values (?, now(), now(), ?, 'raw', ?, 1, 1, 0, 0, 0, 0, 0)")
FILE_EVENT = ("insert into landing_load_files (load_id, source_district, source_file, action, loaded, rows_loaded) "
              "values (?, 'ha_quang', ?, 'loaded', true, 0)")


@pytest.fixture
def sql_copy(tmp_path, monkeypatch):
    """A copy of sql/ that the build reads instead, for a test to break one model in it."""
    copy = tmp_path / "sql"
    shutil.copytree(layers.SQL_DIR, copy)
    monkeypatch.setattr(layers, "SQL_DIR", copy)
    monkeypatch.setattr(layers, "MACRO_DIR", copy / "macros")
    in_this_process(monkeypatch)  # the models' own process would read sql/ itself
    return copy


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def warehouse_with_a_run(mode: str | None = "full", status: str = "succeeded") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    landing.create_landing_tables(con)
    load_reference_tables(con)
    con.execute(RUN, [1, status, mode])
    con.execute(FILE_EVENT, [1, "ha_quang/a.xlsx"])
    return con


@pytest.mark.slow
def test_a_join_that_doubles_a_key_fails_the_build_naming_the_model_test_and_keys(sql_copy):
    # A join on a unit prefix: "percent" also matches "percent_per_year", so those indicators double.
    edit(sql_copy / "marts" / "indicators.sql", "left join units using (unit)",
         "left join units on units.unit like indicators.unit || '%'")
    con = warehouse_with_a_run()
    with pytest.raises(ModelTestFailed) as failed:
        model_build.build_views(con)
    doubled = [r[0] for r in con.execute(  # the models stay built in the copy that is not published
        "select indicator_code from stg_indicators i where (select count(*) from stg_units u "
        "where u.unit like i.unit || '%') > 1 order by 1").fetchall()]
    assert len(doubled) > 3
    message = str(failed.value)
    assert f"model indicators, test unique (indicator_code): {len(doubled)} key value(s) on more than one row, " \
           f"e.g. {doubled[0]!r}" in message
    assert [f.test.model for f in failed.value.failures] == ["indicators"]  # nothing else is affected


@pytest.mark.slow
def test_a_null_in_a_not_null_column_fails_the_build_with_the_rows_keys(sql_copy):
    # Dropping the default that older warehouses need: their runs have no mode.
    edit(sql_copy / "staging" / "stg_load_runs.sql", "coalesce(mode, 'full') as mode", "mode")
    con = warehouse_with_a_run(mode=None)
    with pytest.raises(ModelTestFailed) as failed:
        model_build.build_views(con)
    assert "model stg_load_runs, test not_null (load_id, started_at, status, mode): NULL in mode (1 rows); " \
           "rows (load_id), e.g. 1" in str(failed.value)
    assert "model load_runs, test not_null (started_at, status, mode): NULL in mode (1 rows); rows (load_id), " \
           "e.g. 1" in str(failed.value)


@pytest.mark.slow
def test_a_dangling_reference_fails_the_build_with_the_values_that_name_nothing(sql_copy):
    # A filter in a parent model orphans its children: the run's file events and findings.
    edit(sql_copy / "staging" / "stg_load_runs.sql", "    from source\n", "    from source\n    where status = 'succeeded'\n")
    con = warehouse_with_a_run(status="succeeded_with_errors")
    con.execute(FILE_EVENT, [1, "ha_quang/b.xlsx"])
    with pytest.raises(ModelTestFailed) as failed:
        model_build.build_views(con)
    assert "model stg_load_files, test references (load_id) -> stg_load_runs (load_id): 2 row(s) name no row of " \
           "stg_load_runs, e.g. 1" in str(failed.value)
    assert "model file_events, test references (load_id) -> load_runs (load_id)" in str(failed.value)


@pytest.mark.slow
def test_the_same_models_pass_their_tests_and_the_tests_stay_out_of_the_comments():
    con = warehouse_with_a_run()
    model_build.build_views(con)
    comments = [r[0] for r in con.execute("select comment from duckdb_views() where comment is not null").fetchall()]
    assert comments and not any(re.search(r"\b(unique|not_null|references|no_unique_key):", c) for c in comments)


def test_a_failed_model_test_fails_load_and_withdraw_and_leaves_the_published_warehouse(
        prefect_harness, raw_copy, tmp_path, sql_copy, capsys):
    from flows.cli import main

    warehouse = tmp_path / "w.duckdb"
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse)]) == 0
    published = warehouse.read_bytes()
    edit(sql_copy / "marts" / "indicators.sql", "left join units using (unit)",
         "left join units on units.unit like indicators.unit || '%'")
    capsys.readouterr()
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse), "--full"]) == 1
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("haquang load:")]  # not Prefect's log
    assert len(said) == 1
    assert said[0].startswith("haquang load: the load failed (ModelTestFailed: 1 model test(s) failed: model "
                              "indicators, test unique (indicator_code): ")
    assert said[0].endswith("the published warehouse is the last complete one")
    assert main(["withdraw", "ha_quang/chi_tieu_ktxh_2015_2020.xlsx", "--warehouse", str(warehouse), "--yes"]) == 1
    assert "haquang withdraw: the withdrawal failed (1 model test(s) failed: model indicators" in capsys.readouterr().err
    assert warehouse.read_bytes() == published
    assert not versions.next_version_path(warehouse).exists()


@pytest.mark.parametrize("model", sorted(layers.view_sources()))
def test_every_model_declares_its_key_or_says_why_it_has_none(model):
    sql = layers.view_sources()[model]
    assert (model_tests.key_of(model, sql) is None) == model_tests.says_why_no_key(sql), \
        f"{model}: declare `-- unique: ...` or `-- no_unique_key: why` (not both) in its header"
    for test in model_tests.declared_tests(model, sql):
        if test.kind == "references":
            assert test.target in layers.view_sources(), f"{model}: {test} names no model of sql/"


@pytest.mark.parametrize("declaration", ["-- references: load_id stg_load_runs.load_id",
                                         "-- references: load_id, source_file -> stg_load_files.load_id",
                                         "-- unique:", "-- no_unique_key:"])
def test_an_unreadable_declaration_is_refused_before_anything_is_built(declaration):
    with pytest.raises(model_tests.BadDeclaration, match="file_events"):
        model_tests.declared_tests("file_events", f"-- grain: one row\n{declaration}\nselect 1")


def test_dependencies_come_from_the_parse_not_from_words():
    sql = """-- reads stg_units (a comment names it, the query does not)
        with stg_indicators as (select * from ref_indicators),
        counted as (select count(*) as n from stg_indicators)
        select 1 as stg_load_runs, 'from landing_load_runs' as text, n
        from counted
        where exists (select 1 from stg_districts where gso_code = '045')
            and n > (select count(*) from main.stg_indicators)"""
    assert model_sql.reads_from({"m": sql})["m"] == {"ref_indicators", "stg_districts", "stg_indicators"}  # main.: the model


def test_the_build_order_is_topological_and_lineage_is_exact():
    order = model_sql.build_order(layers.view_sources())  # the order build_views builds in (_model_plan)
    graph = model_sql.lineage()
    assert sorted(order) == sorted(graph)
    for position, model in enumerate(order):
        assert graph[model] & set(order) <= set(order[:position]), f"{model} is built before what it reads"
    assert graph["merged_district_indicators"] == {"int_successor_figures", "stg_boundary_changes", "stg_indicators",
                                                   "stg_aggregation_methods", "stg_messages", "stg_units"}  # caveats_vi
    assert graph["int_predecessor_figures"] == {"stg_boundary_changes", "int_harmonised_rows", "int_district_attainment",
                                                "stg_indicators", "stg_aggregation_methods", "int_predecessor_weights"}
    # superseded rows close; the Vietnamese is the checks' and the message catalogue's
    assert graph["dq_issues"] == {"stg_dq_findings", "int_file_status", "int_row_versions", "stg_dq_checks",
                                  "stg_messages"}
    assert graph["unmapped_labels"] == {"int_current_rows", "stg_indicators", "stg_indicator_crosswalk"}
    assert graph["int_predecessor_weights"] == {"stg_district_figures", "stg_boundary_changes",
                                                "stg_districts"}  # its CTEs are not tables
    assert graph["stg_load_runs"] == {"landing_load_runs"}


def test_no_reporting_unit_is_named_in_sql_or_the_dashboard():
    """A merger is data (schemas/boundary_changes.csv): no model, macro or page names a predecessor or successor."""
    with open(REPO / "schemas" / "boundary_changes.csv", encoding="utf-8") as handle:
        changes = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    with open(REPO / "schemas" / "districts.csv", encoding="utf-8") as handle:
        districts = [row["code"] for row in csv.DictReader(line for line in handle if not line.startswith("#"))]
    codes = set(districts) | {row["predecessor"] for row in changes} | {row["successor"] for row in changes}
    assert {"ha_quang", "thong_nong", "merged"} <= codes
    texts = {path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
             for path in [*layers.SQL_DIR.glob("*/*.sql"), Path(dashboard.__file__)]}
    # a code as a value ('ha_quang', "merged") or a predecessor's code as a column's prefix (ha_quang_value)
    named = {(name, code) for name, text in texts.items() for code in codes
             if re.search(rf"'{code}'|\"{code}\"" + (rf"|\b{code}_\w+" if code in districts else ""), text)}
    assert named == set()


def _tested_models(monkeypatch) -> list[str]:
    """The models whose declared tests the next builds run, in order."""
    tested: list[str] = []
    check = model_tests.check

    def recording(con, model, sql):
        tested.append(model)
        return check(con, model, sql)

    monkeypatch.setattr(model_tests, "check", recording)
    return tested


@pytest.mark.slow
def test_a_load_that_changed_no_data_tests_again_only_what_its_run_record_reaches(sql_copy, monkeypatch):
    con = warehouse_with_a_run()
    model_build.build_views(con)  # a load that read files: every model's tests pass and are recorded
    tested = _tested_models(monkeypatch)
    con.execute(RUN, [2, "succeeded", "incremental"])  # the next night: its run record, nothing else
    model_build.build_views(con, data_changed=False)
    # read the run record through views only; the marts over the kept stored models are not computed again
    assert {"stg_load_runs", "load_runs", "indicator_changes"} <= set(tested)
    assert not {"target_attainment", "merged_district_indicators", "indicators", "dq_issues"} & set(tested)
    assert set(tested) == model_build._reading_changed_rows(layers.view_sources(), {"int_current_rows", "int_harmonised_rows",
                                                                       "int_row_versions"})


@pytest.mark.slow
def test_a_load_that_changed_no_data_still_tests_a_model_whose_sql_changed(sql_copy, monkeypatch):
    con = warehouse_with_a_run()
    model_build.build_views(con)
    edit(sql_copy / "marts" / "indicators.sql", "left join units using (unit)",
         "left join units on units.unit like indicators.unit || '%'")  # doubles a key, as above
    tested = _tested_models(monkeypatch)
    with pytest.raises(ModelTestFailed) as failed:
        model_build.build_views(con, data_changed=False)
    assert [f.test.model for f in failed.value.failures] == ["indicators"]
    assert "indicators" in tested and "target_attainment" in tested  # downstream of the edit: its digest changed


@pytest.mark.slow
def test_a_load_that_changed_no_data_tests_the_run_record_it_wrote(sql_copy):
    con = warehouse_with_a_run()
    model_build.build_views(con)
    edit(sql_copy / "staging" / "stg_load_runs.sql", "coalesce(mode, 'full') as mode", "mode")
    model_build.build_views(con, data_changed=False)  # the edit is harmless on the first run (it has a mode) ...
    con.execute(RUN, [2, "succeeded", None])  # ... and not on this night's record
    with pytest.raises(ModelTestFailed, match="model stg_load_runs, test not_null"):
        model_build.build_views(con, data_changed=False)


@pytest.mark.slow
def test_a_stored_model_is_rebuilt_on_a_night_with_nothing_new_when_a_reference_file_changed(tmp_path,
                                                                                           monkeypatch):
    con = warehouse_with_a_run()
    model_build.build_views(con)
    built = dict(con.execute("select model, sql_sha256 from stored_model_sources").fetchall())
    model_build.build_views(con, data_changed=False)  # nothing changed: every stored model kept as it was
    assert dict(con.execute("select model, sql_sha256 from stored_model_sources").fetchall()) == built
    schemas = tmp_path / "schemas"
    shutil.copytree(layers.SCHEMAS_DIR, schemas)
    admin_units = schemas / "reference" / "cao_bang_admin_units.csv"
    admin_units.write_text(admin_units.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a new release of it
    monkeypatch.setattr(layers, "SCHEMAS_DIR", schemas)
    model_build.build_views(con, data_changed=False)
    rebuilt = dict(con.execute("select model, sql_sha256 from stored_model_sources").fetchall())
    assert rebuilt.keys() == built.keys() and all(rebuilt[model] != built[model] for model in built)


def test_a_step_that_runs_out_of_memory_on_two_threads_is_done_again_on_one():
    con = duckdb.connect()
    con.execute("set threads = 2")
    threads_tried = []

    def short_of_memory_on_two():
        threads_tried.append(con.execute("select current_setting('threads')").fetchone()[0])
        if threads_tried[-1] > 1:
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block of size 256.0 KiB")
        return "built"

    assert model_build.within_memory(con, "building a model", short_of_memory_on_two) == "built"
    assert threads_tried == [2, 1]
    assert con.execute("select current_setting('threads')").fetchone()[0] == 2  # the next model has both again

    def short_of_memory():
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block of size 256.0 KiB")

    con.execute("set threads = 1")
    with pytest.raises(duckdb.OutOfMemoryException):  # one thread is all there is to fall back on
        model_build.within_memory(con, "building a model", short_of_memory)


@pytest.mark.slow
def test_a_model_short_of_memory_is_built_again_alone_and_the_build_completes(tmp_path, monkeypatch):
    """At 100,000 workbooks int_current_rows ran out of memory on two threads: that model is built
    again on one, the models before it are kept, the ones after it have two threads again."""
    from flows.warehouse.build import WarehouseBuild

    within_memory, steps = model_build.within_memory, []

    def short_of_memory(con, doing, step):
        def tried():
            threads = con.execute("select current_setting('threads')").fetchone()[0]
            assert con.execute("select current_setting('preserve_insertion_order')").fetchone()[0] is False
            steps.append((doing, threads))
            if doing == "building int_current_rows" and threads > 1:
                raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block of size 256.0 KiB")
            return step()
        return within_memory(con, doing, tried)

    monkeypatch.setattr(model_build, "within_memory", short_of_memory)
    monkeypatch.setattr(model_build, "model_threads", lambda: 2)
    in_this_process(monkeypatch)  # the models' own process would not see the patches
    build = WarehouseBuild(tmp_path / "w.duckdb")
    try:
        build.finish(dt.datetime.now(dt.timezone.utc), "full")
        assert "indicator_results" in build.build_models()
    finally:
        build.discard()
    built = [doing for doing, _ in steps if doing.startswith("building ")]
    assert built.count("building int_current_rows") == 2 and len(built) == len(set(built)) + 1  # that one alone
    assert steps[steps.index(("building int_current_rows", 2)) + 1] == ("building int_current_rows", 1)
    after = steps[steps.index(("building int_current_rows", 1)) + 1:]
    assert after and all(threads == 2 for _, threads in after)
