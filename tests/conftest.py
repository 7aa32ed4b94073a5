"""Shared fixtures: the real raw/ tables, and one Prefect test harness for the whole session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Quiet and offline, like the CLI (set before Prefect is imported anywhere).
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# The flow's and tasks' own lines reach the API at INFO, as in `haquang load`: tests read them there.
os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "INFO")
os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "INFO")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")

# Prefect's console log handler keeps the sys.stderr it finds when Prefect is first imported. Were
# that inside a test that captures stderr (capsys), every later test would get "--- Logging error
# ---" (a write to that closed capture) in its own stderr. Imported here, it keeps the session's.
import prefect  # noqa: E402,F401

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "raw"


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for flow runs (started once: it takes seconds)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of raw/ that a test may add files to."""
    target = tmp_path / "raw"
    shutil.copytree(RAW, target)
    return target


@pytest.fixture(scope="session")
def loaded_warehouse(prefect_harness, tmp_path_factory) -> Path:
    """raw/ loaded once by the real flow; tests read it, never write it."""
    from flows.orchestration.load_flow import run_load as load_warehouse

    warehouse = tmp_path_factory.mktemp("warehouse") / "haquang.duckdb"
    summary = load_warehouse(raw_dir=RAW, warehouse=warehouse)
    assert summary.exit_code == 0
    return warehouse


@pytest.fixture(scope="module")
def macros():
    """An in-memory DuckDB with the project's SQL macros (sql/macros/ and those written from Python
    rules), as the build creates them, to test them alone."""
    import duckdb

    from flows.warehouse.layers import macro_statements

    with duckdb.connect() as con:
        for macro in macro_statements():
            con.execute(macro)
        yield con


def in_this_process(monkeypatch) -> None:
    """Run the steps a load runs in processes of their own (the models, the exports) in the test's
    process instead, so that a test's patches of them apply."""
    from flows.orchestration import load_flow
    from flows.warehouse import build

    def here(function, *args):
        return function(*args)

    monkeypatch.setattr(build, "in_own_process", here)
    monkeypatch.setattr(load_flow, "in_own_process", here)


def sql(warehouse: Path, query: str, params: list | None = None) -> list[tuple]:
    """A query of the warehouse as the project's code makes one: the layers' schemas on the search
    path (models.connect), so that tests name internal relations as the SQL files do."""
    from flows.warehouse.connection import connect

    with connect(warehouse, read_only=True) as con:
        return con.execute(query, params or []).fetchall()


# The test tiers (README, "The two commands"): a test that runs the Prefect flow (it asks for the Prefect harness,
# directly or through loaded_warehouse) or starts `haquang` or a Prefect server in a process of its own
# is an end-to-end test, marked `load` (here for the fixtures; by its own @pytest.mark.load for a process
# it starts); a test that needs no Prefect but takes many seconds is marked `slow`. `make test-fast` runs
# everything else, the inner loop of a change to a stage; `make test` runs all.
END_TO_END_FIXTURES = {"prefect_harness", "loaded_warehouse"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if END_TO_END_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.load)
