"""Steps run in a process of their own (flows/core/own_process.py): result, failure and memory."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest

from flows.core.own_process import OwnProcessFailed, in_own_process
from flows.warehouse import model_build
from flows.warehouse.model_tests import Failure, ModelTest, ModelTestFailed
from tests.conftest import REPO


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


@pytest.mark.load
def test_a_load_that_changed_data_builds_the_models_in_their_own_process(tmp_path, monkeypatch):
    from flows.warehouse.build import WarehouseBuild

    def not_here(*args, **kwargs):
        raise AssertionError("the models were built in the load's process")

    monkeypatch.setattr(model_build, "build_views", not_here)  # the models' own process imports the real one
    build = WarehouseBuild(tmp_path / "w.duckdb")
    try:
        build.finish(dt.datetime.now(dt.timezone.utc), "full")
        assert "indicator_results" in build.build_models(data_changed=True)
        assert build.con.execute("select count(*) from stored_model_sources").fetchone()[0] > 0  # reopened on them
    finally:
        build.discard()


class NeedsTwoArguments(Exception):
    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")  # args hold one text: the class cannot be rebuilt from them


def fails_with_an_exception_that_cannot_travel() -> None:
    raise NeedsTwoArguments("/x/w.duckdb", "disk error")


def flows_package() -> str:
    import flows

    return flows.__file__


def test_an_exception_that_cannot_be_rebuilt_comes_back_as_its_text():
    with pytest.raises(RuntimeError, match="NeedsTwoArguments: /x/w.duckdb: disk error"):
        in_own_process(fails_with_an_exception_that_cannot_travel)


def test_the_step_imports_the_load_s_code_whatever_the_working_folder_holds(tmp_path, monkeypatch):
    other = tmp_path / "flows"  # another checkout's package in the folder the load was started from
    other.mkdir()
    (other / "__init__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    import flows

    assert in_own_process(flows_package) == flows.__file__


@pytest.mark.load
def test_a_night_with_nothing_new_rebuilds_stale_stored_models_in_their_own_process(tmp_path, monkeypatch):
    from flows.warehouse.build import WarehouseBuild

    build = WarehouseBuild(tmp_path / "w.duckdb")
    build.finish(dt.datetime.now(dt.timezone.utc), "full")
    build.build_models(data_changed=True)
    build.publish()
    again = WarehouseBuild(tmp_path / "w.duckdb")
    try:
        again.finish(dt.datetime.now(dt.timezone.utc), "incremental")
        assert model_build.stale_stored_models(again.con) == []
        again.con.execute("update stored_model_sources set sql_sha256 = 'an older SQL'")
        assert "int_current_rows" in model_build.stale_stored_models(again.con)
        monkeypatch.setattr(model_build, "build_views", lambda *args: pytest.fail("built in the load's process"))
        assert "indicator_results" in again.build_models(data_changed=False)
        assert model_build.stale_stored_models(again.con) == []  # rebuilt, and recorded so
    finally:
        again.discard()


def sleeps_after_writing_its_pid(path: str) -> None:
    import time
    from pathlib import Path

    Path(path).write_text(str(os.getpid()))
    time.sleep(300)


def test_a_step_s_process_ends_when_the_load_is_killed(tmp_path):
    """A load killed by the system (SIGKILL) must not leave its step running beside the next load."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    pid_file = tmp_path / "step.pid"
    program = ("import sys; from flows.core.own_process import in_own_process; "
               "from tests.unit.core.test_own_process import sleeps_after_writing_its_pid; "
               f"in_own_process(sleeps_after_writing_its_pid, {str(pid_file)!r})")
    load = subprocess.Popen([sys.executable, "-c", program], cwd=REPO, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the step never started"
            time.sleep(0.1)
        step = int(pid_file.read_text())
        load.kill()
        load.wait()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{step}").exists() and "zombie" not in Path(f"/proc/{step}/status").read_text().lower():
            assert time.monotonic() < deadline, "the step's process outlived the load"
            time.sleep(0.1)
    finally:
        try:
            os.killpg(load.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
