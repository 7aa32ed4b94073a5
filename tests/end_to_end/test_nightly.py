"""Nightly loads: incremental, with history, safe for readers, crashes and a second writer."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.publish.outputs import exports_dir
from flows.warehouse import versions
from tests.conftest import REPO, sql
from tests.layout_variants import Grid, with_title_lines

HQ_FILE = "ha_quang/chi_tieu_ktxh_2015_2020.xlsx"
TN_FILE = "thong_nong/chi_tieu_ktxh_2015_2019.xlsx"
GRAIN = "Tổng sản lượng lương thực có hạt"
CURRENT_FACTS = """select * exclude (load_id) from indicator_results
                   order by source_district, source_file, source_sheet, source_row"""


def load(raw: Path, warehouse: Path, *extra: str) -> int:
    return main(["load", "--raw", str(raw), "--warehouse", str(warehouse), *extra])


def set_cell(path: Path, label: str, column: int, text: str) -> None:
    """Rewrite one cell of the row with this label, as a clerk's correction would."""
    grid = Grid.read(path)
    row = next(r for r in grid.cells if len(r) > 1 and r[1] == label)
    row[column] = text
    grid.write(path)


def test_unchanged_files_are_skipped_and_the_facts_stay_identical(prefect_harness, raw_copy, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    assert load(raw_copy, warehouse) == 0
    before = sql(warehouse, CURRENT_FACTS)
    capsys.readouterr()
    published = warehouse.stat()
    assert load(raw_copy, warehouse) == 0
    assert capsys.readouterr().out.split("\n", 1)[0].endswith(" / Nothing new: no version built; the warehouse stays load 1: "
                                                            "succeeded")
    assert sql(warehouse, CURRENT_FACTS) == before
    # no copy of the warehouse was built, the published file not even rewritten
    assert (warehouse.stat().st_ino, warehouse.stat().st_mtime_ns) == (published.st_ino, published.st_mtime_ns)
    runs = sql(warehouse, "select files_seen, files_skipped, files_loaded, rows_loaded from load_runs order by load_id")
    assert runs == [(2, 0, 2, 66)]
    assert sql(warehouse, "select count(*) from indicator_results_history")[0][0] == 66


def test_a_resubmitted_workbook_updates_the_figure_and_keeps_the_old_one(prefect_harness, raw_copy, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load(raw_copy, warehouse)
    first_night = sql(warehouse, "select finished_at from load_runs")[0][0]
    set_cell(raw_copy / HQ_FILE, GRAIN, 4, "18.020")
    assert load(raw_copy, warehouse) == 0
    assert sql(warehouse, "select actual_value from indicator_results where source_file = ? and row_label = ?",
               [HQ_FILE, GRAIN]) == [(18020.0,)]
    history = sql(warehouse, "select actual_value, load_id, superseded_by_load_id, is_current "
                             "from indicator_results_history where source_file = ? and row_label = ? order by load_id",
                  [HQ_FILE, GRAIN])
    assert history == [(17889.0, 1, 2, False), (18020.0, 2, None, True)]
    on_first_night = sql(warehouse, "select actual_value from indicator_results_history where row_label = ? "
                                    "and source_file = ? and valid_from <= ? and (valid_to is null or valid_to > ?)",
                         [GRAIN, HQ_FILE, first_night, first_night])
    assert on_first_night == [(17889.0,)]
    assert sql(warehouse, "select change from file_events where load_id = 2") == [("updated",)]
    # the other district's file was not read again and its rows are unchanged
    assert sql(warehouse, "select distinct load_id from indicator_results where source_district = 'thong_nong'") == [(1,)]


def test_a_corrected_file_under_a_new_name_supersedes_the_old_file(prefect_harness, raw_copy, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load(raw_copy, warehouse)
    corrected = raw_copy / "thong_nong" / "chi_tieu_ktxh_2015_2019_sua.xlsx"
    shutil.copy(raw_copy / TN_FILE, corrected)
    set_cell(corrected, "Thu nhập bình quân đầu người", 3, "21,5")
    assert load(raw_copy, warehouse) == 0
    current = sql(warehouse, "select distinct source_file from indicator_results where source_district = 'thong_nong'")
    assert current == [("thong_nong/chi_tieu_ktxh_2015_2019_sua.xlsx",)]
    assert sql(warehouse, "select actual_value from indicator_results where source_district = 'thong_nong' "
                          "and indicator_code = 'income_per_capita'") == [(21.5,)]
    assert sql(warehouse, "select count(*) from indicator_results where source_district = 'thong_nong'")[0][0] == 22


def _open_by_severity(warehouse: Path) -> dict[str, int]:
    return dict(sql(warehouse, "select severity, count(*) from dq_issues group by all"))


@pytest.mark.parametrize("source, relaid", [(HQ_FILE, None), (TN_FILE, with_title_lines)],
                         ids=["committed copy", "re-laid variant"])
def test_a_wholly_superseded_file_closes_its_row_findings_and_says_so_once(
        prefect_harness, raw_copy, tmp_path, capsys, source, relaid):
    warehouse = tmp_path / "w.duckdb"
    assert load(raw_copy, warehouse) == 0
    before = _open_by_severity(warehouse)
    assert sql(warehouse, "select count(*) from dq_issues where source_file = ? and source_row is not null",
               [source])[0][0] > 0  # the old file has row findings to close
    newer = (raw_copy / source).with_name("ban_moi.xlsx")
    if relaid is None:  # the same bytes under a new name
        shutil.copy(raw_copy / source, newer)
    else:  # the same figures, laid out another way: other row numbers
        relaid(Grid.read(raw_copy / source)).write(newer)
    newer_name = newer.relative_to(raw_copy).as_posix()
    assert load(raw_copy, warehouse) == 0
    district = source.split("/")[0]
    assert sql(warehouse, "select distinct source_file from indicator_results where source_district = ?",
               [district]) == [(newer_name,)]

    # No open finding on a row whose figure is no longer current: the old file's row findings closed.
    stale = sql(warehouse, """select count(*) from dq_issues d inner join indicator_results_history h
                              using (load_id, source_file, source_sheet, source_row) where not h.is_current""")
    assert stale == [(0,)]
    said = sql(warehouse, "select load_id, severity, message from dq_issues where source_file = ?", [source])
    assert [(load_id, severity) for load_id, severity, _ in said] == [(2, "warning")]
    assert newer_name in said[0][2] and f"withdraw {source} --warehouse {warehouse.resolve()}" in said[0][2]
    # The new file's findings replace the old file's: one more warning, the superseded_file one.
    assert _open_by_severity(warehouse) == {**before, "warning": before["warning"] + 1}
    assert "warning superseded_file: 1 open (1 new)" in capsys.readouterr().out
    assert sql(warehouse, "select warnings from load_runs where load_id = 2")[0][0] >= 1

    # Said once: a night with nothing new keeps it open, from the load that made it.
    assert load(raw_copy, warehouse) == 0
    assert sql(warehouse, "select load_id from dq_issues where source_file = ?", [source]) == [(2,)]
    assert sql(warehouse, "select count(*) from landing_dq_findings where check_name = 'superseded_file'") == [(1,)]
    # Withdrawn, the old file leaves dq_issues: the counts are those of the first night.
    assert main(["withdraw", source, "--warehouse", str(warehouse), "--yes"]) == 0
    assert _open_by_severity(warehouse) == before


def test_two_files_for_the_same_figures_in_one_run_are_a_conflict(prefect_harness, raw_copy, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    second = raw_copy / "thong_nong" / "ban_sao.xlsx"
    shutil.copy(raw_copy / TN_FILE, second)
    set_cell(second, "Thu nhập bình quân đầu người", 3, "22")
    os.utime(second, (time.time() + 60, time.time() + 60))  # the newer of the two
    assert load(raw_copy, warehouse) == 0
    out = capsys.readouterr().out
    assert "In conflict, same figures in one load" in out and "thong_nong/ban_sao.xlsx" in out
    files = {r[0] for r in sql(warehouse, "select distinct source_file from dq_issues "
                                          "where check_name = 'conflicting_files'")}
    assert files == {TN_FILE, "thong_nong/ban_sao.xlsx"}
    assert sql(warehouse, "select source_file, actual_value from indicator_results "
                          "where indicator_code = 'income_per_capita' and source_district = 'thong_nong'") == [
        ("thong_nong/ban_sao.xlsx", 22.0)]


def test_a_vanished_file_stays_until_withdrawn(prefect_harness, raw_copy, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    load(raw_copy, warehouse)
    (raw_copy / TN_FILE).unlink()
    assert load(raw_copy, warehouse) == 0
    statuses = sql(warehouse, "select distinct file_status from indicator_results where source_district = 'thong_nong'")
    assert statuses == [("missing_from_raw",)]
    assert sql(warehouse, "select check_name from dq_issues where source_file = ? and check_name = 'file_missing'",
               [TN_FILE]) == [("file_missing",)]
    assert main(["withdraw", TN_FILE, "--warehouse", str(warehouse), "--yes"]) == 0
    assert sql(warehouse, "select count(*) from indicator_results where source_district = 'thong_nong'")[0][0] == 0
    assert sql(warehouse, "select count(*) from indicator_results_history where source_file = ?", [TN_FILE])[0][0] == 22
    capsys.readouterr()
    assert main(["withdraw", TN_FILE, "--warehouse", str(warehouse), "--yes"]) == 0  # already withdrawn: nothing to do
    assert f"{TN_FILE} was already withdrawn in load 3; nothing was changed." in capsys.readouterr().out
    assert main(["status", "--warehouse", str(warehouse)]) == 0
    report = capsys.readouterr().out
    assert "(withdraw)" in report and f" / withdrawn (1):\n    {TN_FILE}\n" in report


def _runs(warehouse: Path) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("select * from load_runs order by load_id")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def test_a_withdrawal_is_recorded_and_published_as_a_load_is(loaded_warehouse, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(loaded_warehouse, warehouse)
    assert main(["withdraw", f"raw/{TN_FILE}", "--warehouse", str(warehouse), "--yes"]) == 0
    # what it changes first (the preview), then what it did
    assert f"\nWithdrew {TN_FILE} in load 2: its figures (22 rows) are in " in capsys.readouterr().out
    load, withdrawal = _runs(warehouse)
    # The same code wrote both rows: every column a load fills, the withdrawal fills too ...
    assert [column for column, value in withdrawal.items() if value is None and load[column] is not None] == []
    # ... with counts of its own: it read no folder and loaded nothing.
    assert load["files_loaded"] == 2 and load["rows_loaded"] == 66 and load["raw_dir"] != ""
    assert {column: value for column, value in withdrawal.items() if column.startswith(("files_", "rows_"))} == \
        dict.fromkeys(["files_seen", "files_skipped", "files_missing", "files_restored", "files_loaded",
                       "files_rejected", "files_pending", "rows_loaded", "rows_rejected"], 0)
    assert (withdrawal["load_id"], withdrawal["mode"], withdrawal["status"], withdrawal["raw_dir"]) == \
        (2, "withdraw", "succeeded", "")
    assert (withdrawal["warnings"], withdrawal["errors"]) == (0, 0)
    assert load["finished_at"] < withdrawal["started_at"] <= withdrawal["finished_at"]
    assert withdrawal["parser_version"] == load["parser_version"]
    assert sql(warehouse, "select load_id, change from file_events where source_file = ? order by load_id",
               [TN_FILE]) == [(1, "new"), (2, "withdrawn")]
    manifest = json.loads((exports_dir(warehouse) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["load_id"] == 2  # the exports show the warehouse without the withdrawn file
    assert versions.previous_version_path(warehouse).exists() and not versions.next_version_path(warehouse).exists()


def test_a_withdrawal_whose_exports_fail_says_it_was_published_as_a_load_does(
        loaded_warehouse, tmp_path, monkeypatch, capsys):
    from flows.publish import exports

    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(loaded_warehouse, warehouse)

    def disk_full(con, source, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "_write_csv", disk_full)
    assert main(["withdraw", TN_FILE, "--warehouse", str(warehouse), "--yes"]) == 1
    out, error = capsys.readouterr()
    assert f"\nWithdrew {TN_FILE} in load 2: " in out
    assert error == ("haquang withdraw: load 2 was published; writing the exports failed (OSError: [Errno 28] "
                     "No space left on device); they will be rewritten by the next run, or now with "
                     f"`haquang dashboard --warehouse {warehouse.resolve()}`\n")
    assert [run["mode"] for run in _runs(warehouse)] == ["incremental", "withdraw"]
    assert sql(warehouse, "select count(*) from indicator_results where source_file = ?", [TN_FILE]) == [(0,)]
    monkeypatch.undo()
    assert main(["dashboard", "--warehouse", str(warehouse)]) == 0
    manifest = json.loads((exports_dir(warehouse) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["load_id"] == 2


def test_a_version_without_its_run_row_or_its_models_is_never_published(tmp_path):
    from flows.warehouse.build import UnfinishedVersion, WarehouseBuild

    warehouse = tmp_path / "w.duckdb"
    with pytest.raises(UnfinishedVersion, match="lacks its run row .* and its models"):
        with WarehouseBuild(warehouse):
            pass
    with pytest.raises(UnfinishedVersion, match="lacks its models"):
        with WarehouseBuild(warehouse) as build:
            build.finish(dt.datetime.now(dt.timezone.utc), "incremental", raw_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # discarded: no `.next` copy, nothing published


def cli_load(raw: Path, warehouse: Path, home: Path, *extra: str) -> subprocess.Popen:
    """`haquang load` in its own process, with its own Prefect home (as two cron jobs would be)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PREFECT_LOGGING_")}
    env["PREFECT_HOME"] = str(home)  # and Prefect's logging as the command sets it, not as the suite does
    env.pop("PREFECT_API_URL", None)
    # Its own session, so that killing the group also kills the Prefect server it starts.
    return subprocess.Popen([str(Path(sys.executable).with_name("haquang")), "load", "--raw", str(raw),
                             "--warehouse", str(warehouse), *extra],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_a_load_killed_halfway_leaves_the_published_warehouse_intact(prefect_harness, raw_copy, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load(raw_copy, warehouse)
    published = warehouse.read_bytes()
    building = warehouse.with_name(warehouse.name + ".next")
    process = cli_load(raw_copy, warehouse, tmp_path / "home", "--full")
    deadline = time.monotonic() + 120
    while not building.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)  # the whole process group, as a power cut would
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL and building.exists(), "the kill must land mid-build"
    assert warehouse.read_bytes() == published
    assert sql(warehouse, "select count(*) from indicator_results")[0][0] == 66
    assert load(raw_copy, warehouse) == 0  # the next run clears the half-built copy and completes
    assert not building.exists()
    assert sql(warehouse, "select count(*) from load_runs")[0][0] == 1  # it had nothing new: no version of its own


@pytest.mark.load
def test_two_loads_started_together_end_in_one_consistent_warehouse(raw_copy, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    processes = [cli_load(raw_copy, warehouse, tmp_path / f"home{i}") for i in range(2)]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    # By hand the terminal shows the summary and nothing else: the runs' INFO lines go to the API only.
    headings = sorted(out.split("\n")[0].split(" / ", 1)[1] for out, _ in outputs)  # the English of each heading
    assert headings == ["Load 1: succeeded", "Nothing new: no version built; the warehouse stays load 1: succeeded"]
    assert [err for _, err in outputs] == ["", ""]
    runs = sql(warehouse, "select load_id, files_loaded, files_skipped from load_runs order by load_id")
    assert runs == [(1, 2, 0)]  # the second waited, then found nothing new: no version of its own
    assert sql(warehouse, "select count(*) from indicator_results")[0][0] == 66


def test_readers_query_throughout_a_running_load(prefect_harness, raw_copy, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    load(raw_copy, warehouse)
    process = cli_load(raw_copy, warehouse, tmp_path / "home", "--full")
    answers = 0
    while process.poll() is None:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute("select count(*) from indicator_results").fetchone()[0] == 66
        answers += 1
        time.sleep(0.01)
    assert process.returncode == 0, process.communicate()
    assert answers > 10
    assert sql(warehouse, "select count(*) from load_runs")[0][0] == 2


@pytest.fixture
def prefect_server_settings(tmp_path):
    """A free loopback port and an environment with its own PREFECT_HOME, for a real server."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {name: value for name, value in os.environ.items() if not name.startswith("PREFECT_LOGGING_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect_home")  # and Prefect's logging as `haquang` sets it
    env.pop("PREFECT_API_URL", None)
    return port, env


@pytest.mark.load
def test_serve_schedules_the_nightly_deployment_and_runs_it(prefect_server_settings, raw_copy, tmp_path):
    """The served deployment end to end: its runs' logs and artifacts, the server's log file, and a
    night with nothing new after a rejected file that still reports the open error."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.orchestration.prefect_server import wait_until_healthy

    port, env = prefect_server_settings
    warehouse = tmp_path / "served.duckdb"
    output = tmp_path / "serve.out"  # what journalctl shows for the systemd unit
    with output.open("w") as out:
        serve = subprocess.Popen([str(Path(sys.executable).with_name("haquang")), "serve", "--port", str(port),
                                  "--raw", str(raw_copy), "--warehouse", str(warehouse)],
                                 env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, text=True,
                                 start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_until_healthy(api, timeout_seconds=120)
        with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
            deployment = None
            deadline = time.monotonic() + 60
            while deployment is None and time.monotonic() < deadline:
                try:
                    deployment = client.read_deployment_by_name("load-warehouse/nightly")
                except Exception:  # not registered yet
                    time.sleep(0.5)
            assert deployment is not None
            schedule = deployment.schedules[0].schedule
            assert (schedule.cron, schedule.timezone) == ("0 2 * * *", "Asia/Ho_Chi_Minh")
            assert deployment.global_concurrency_limit.limit == 1

            def night(state: str = "COMPLETED") -> tuple[dict, list[str]]:
                run = run_deployment("load-warehouse/nightly", timeout=180)
                # a night with an open error is a Failed run in the UI, after everything was published
                assert run.state.type.value == state, run.state
                return _artifacts(client, run.id), _logs(client, run.id)

            # The first night is started by the command serve prints, pasted as printed into a shell whose
            # PATH has no venv and whose environment names no Prefect API: it reaches this serve's server.
            english = next(line for line in output.read_text(encoding="utf-8").splitlines()
                           if line.startswith("Start a run now, on this serve's own Prefect server: "))
            command = english.split(": ", 1)[1]
            bare = {"PATH": "/usr/bin:/bin", "HOME": env.get("HOME", "/root"), "PREFECT_HOME": env["PREFECT_HOME"]}
            triggered = subprocess.run(["sh", "-c", command], env=bare, cwd=tmp_path, capture_output=True,
                                       text=True, timeout=120)
            assert triggered.returncode == 0, triggered.stderr
            run_id = re.search(r"UUID: ([0-9a-f-]{36})", triggered.stdout).group(1)
            assert "database is locked" not in triggered.stdout + triggered.stderr
            deadline = time.monotonic() + 180
            while not (run := client.read_flow_run(run_id)).state.is_final() and time.monotonic() < deadline:
                time.sleep(1)
            assert run.state.is_completed(), run.state
            good, logs = _artifacts(client, run.id), _logs(client, run.id)
            # Nobody watches a served run's terminal: the UI shows a progress artifact instead.
            assert float(good["load-progress"]) == 100.0
            assert "# Lần nạp 1: thành công / Load 1: succeeded" in good["load-summary"]
            assert "Open errors" not in good["load-summary"]
            assert {"check_name": "ambiguous_number", "severity": "info", "open": 5, "new": 5} in good["data-quality"]
            assert any(m.startswith("Read 2 workbooks in ") for m in logs)  # a task's line, at INFO
            assert any(m.startswith("Load 1 succeeded: ") and m.endswith("exit status 0") for m in logs)

            (raw_copy / "thong_nong" / "notes.docx").write_bytes(b"not a workbook")
            bad, logs = night("FAILED")
            assert any(m.startswith("Rejected thong_nong/notes.docx: unsupported_file") for m in logs)
            assert {"check_name": "unsupported_file", "severity": "error", "open": 1, "new": 1} in bad["data-quality"]

            morning_after, logs = night("FAILED")  # nothing new: the error is still open, and says so
            assert morning_after["load-summary"].split("\n", 1)[0].endswith(
                " / Nothing new: no version built; the warehouse stays load 2: succeeded_with_errors")
            assert "ERROR unsupported_file in thong_nong/notes.docx (since load 2)" in morning_after["load-summary"]
            assert {"check_name": "unsupported_file", "severity": "error", "open": 1, "new": 0} in \
                morning_after["data-quality"]
            assert any(m.startswith("Nothing new, no version built: load 2 stays succeeded_with_errors") for m in logs)
        assert sql(warehouse, "select count(*) from indicator_results")[0][0] == 66
        # The served process's output carries the runs' lines, and none of Prefect's own below WARNING.
        printed = output.read_text(encoding="utf-8", errors="replace")
        assert "Read 2 workbooks in " in printed and "exit status 1" in printed
        others = re.findall(r"\| (?:DEBUG|INFO) +\| (\S+) - ", printed)  # a run's lines say "Flow run 'name'"
        assert [name for name in others if not name.startswith(("prefect.flow_runs", "prefect.task_runs"))] == []
        server_log = Path(env["PREFECT_HOME"]) / "logs" / "prefect-server.log"
        assert f"{server_log}" in printed and server_log.stat().st_size > 0  # `prefect server start`'s banner
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()


def _artifacts(client, run_id) -> dict:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    return {a.key: json.loads(a.data) if a.type == "table" and isinstance(a.data, str) else a.data for a in found}


def _logs(client, run_id) -> list[str]:
    """The run's log lines as the API keeps them (`prefect flow-run logs ID`), once the run's process sent them."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + 30
    while True:  # the run's process sends its last batch of lines as it exits
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        messages = [log.message for log in logs]
        if any("; exit status " in m for m in messages) or time.monotonic() > deadline:  # the run's last line
            return messages
        time.sleep(0.5)


def test_withdrawing_a_file_that_took_over_another_brings_the_other_back(prefect_harness, raw_copy, tmp_path,
                                                                          capsys):
    """Night 1 loads a.xlsx, night 2 a corrected b.xlsx that takes over all its figures; withdrawing b.xlsx makes
    a.xlsx's figures current again (an event and a finding say so) instead of leaving the district empty."""
    warehouse = tmp_path / "w.duckdb"
    first = raw_copy / HQ_FILE
    load(raw_copy, warehouse)
    row_findings = "select check_name, source_row from dq_issues where source_file = ? and source_row is not null"
    findings_before = sql(warehouse, row_findings, [HQ_FILE])
    second = first.with_name("bao_cao_sua.xlsx")
    shutil.copyfile(first, second)
    load(raw_copy, warehouse)
    taken = sql(warehouse, "select distinct source_file from indicator_results where source_district = 'ha_quang'")
    assert taken == [(f"ha_quang/{second.name}",)]
    capsys.readouterr()
    assert main(["withdraw", f"ha_quang/{second.name}", "--warehouse", str(warehouse), "--yes"]) == 0
    assert f"The figures of {HQ_FILE} it had taken over (44 rows) are current again." in capsys.readouterr().out
    back = sql(warehouse, "select source_file, count(*) from indicator_results where source_district = 'ha_quang' "
                          "group by all")
    assert back == [(HQ_FILE, 44)]
    # the merged district is made of both former districts again, not of old Thông Nông alone
    assert sql(warehouse, "select count(*) from merged_district_indicators where coverage_status = 'full' "
                          "and reported_by = 'ha_quang + thong_nong'") == [(16,)]
    assert sql(warehouse, "select change from file_events where source_file = ? order by load_id", [HQ_FILE]) == \
        [("new",), ("restored",)]
    assert sql(warehouse, "select severity from dq_issues where source_file = ? and "
                          "check_name = 'superseded_figures_restored'", [HQ_FILE]) == [("warning",)]
    assert findings_before and sql(warehouse, row_findings, [HQ_FILE]) == findings_before  # back with their rows
    # the next night reads nothing again and keeps them
    assert load(raw_copy, warehouse) == 0
    assert sql(warehouse, "select count(*) from indicator_results where source_file = ?", [HQ_FILE]) == [(44,)]
