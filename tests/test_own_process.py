"""Steps run in a process of their own (flows/core/own_process.py): result, failure and memory."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest

from flows.core.own_process import OwnProcessFailed, in_own_process
from flows.warehouse import models as wh
from flows.warehouse.model_tests import Failure, ModelTest, ModelTestFailed


def answer(value: int) -> dict:
    import sys

    return {"value": value * 2, "pid": os.getpid(), "pandas": "pandas" in sys.modules}


def fails_its_tests() -> None:
    raise ModelTestFailed([Failure(ModelTest("indicator_results", "unique", ("x",)), "2 duplicates", [("a",)])])


def killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_step_returns_its_result_from_a_lean_process_of_its_own():
    found = in_own_process(answer, 21)
    assert found["value"] == 42 and found["pid"] != os.getpid()
    assert not found["pandas"]  # the step's process imports what the step needs, not the load's stack


def test_a_step_that_fails_raises_its_own_exception_here():
    with pytest.raises(ModelTestFailed) as raised:
        in_own_process(fails_its_tests)
    assert raised.value.failures[0].test.model == "indicator_results"


def test_a_step_whose_process_dies_says_so():
    with pytest.raises(OwnProcessFailed, match="killed stopped in its own process"):
        in_own_process(killed)


def test_a_load_that_changed_data_builds_the_models_in_their_own_process(tmp_path, monkeypatch):
    from flows.warehouse.build import WarehouseBuild

    def not_here(*args, **kwargs):
        raise AssertionError("the models were built in the load's process")

    monkeypatch.setattr(wh, "build_views", not_here)  # the models' own process imports the real one
    build = WarehouseBuild(tmp_path / "w.duckdb")
    try:
        build.finish(dt.datetime.now(dt.timezone.utc), "full")
        assert "indicator_results" in build.build_models(data_changed=True)
        assert build.con.execute("select count(*) from stored_model_sources").fetchone()[0] > 0  # reopened on them
    finally:
        build.discard()
