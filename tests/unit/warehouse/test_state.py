"""Deciding what a run reads, and the writer lock: pure logic, no Prefect."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from flows.ingest.fingerprint import SeenFile
from flows.warehouse.lock import WarehouseBusy, writer_lock
from flows.warehouse.state import FileState, plan_load
from tests.conftest import REPO

NOW = dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc)


def seen(name: str, sha: str) -> SeenFile:
    return SeenFile(Path(name), name, name.split("/")[0], sha, 10, NOW)


@pytest.mark.parametrize(
    ("state", "sha", "version", "full", "bucket"),
    [
        (None, "a", "v1", False, "to_parse"),  # new file
        (FileState("loaded", "a", "v1"), "a", "v1", False, "skipped"),
        (FileState("rejected", "a", "v1"), "a", "v1", False, "skipped"),  # still broken: not read again
        (FileState("loaded", "a", "v1"), "b", "v1", False, "to_parse"),  # resubmitted
        (FileState("loaded", "a", "v1"), "a", "v2", False, "to_parse"),  # the parser changed
        (FileState("loaded", "a", "v1"), "a", "v1", True, "to_parse"),  # --full
        (FileState("missing", "a", "v1"), "a", "v1", False, "restored"),
        (FileState("withdrawn", "a", "v1"), "a", "v1", True, "still_withdrawn"),
        (FileState("withdrawn", "a", "v1"), "b", "v1", False, "to_parse"),  # a new version after withdrawal
    ],
)
def test_plan_puts_each_file_in_one_bucket(state, sha, version, full, bucket):
    previous = {"ha_quang/x.xlsx": state} if state else {}
    plan = plan_load([seen("ha_quang/x.xlsx", sha)], previous, version, full)
    buckets = {name: [f.source_file for f in getattr(plan, name)]
               for name in ("to_parse", "skipped", "restored", "still_withdrawn")}
    assert buckets[bucket] == ["ha_quang/x.xlsx"]
    assert sum(len(files) for files in buckets.values()) == 1


def test_plan_lists_known_files_that_vanished():
    previous = {"ha_quang/a.xlsx": FileState("loaded", "a", "v1"), "ha_quang/b.xlsx": FileState("missing", "b", "v1"),
                "ha_quang/c.xlsx": FileState("withdrawn", "c", "v1"), "ha_quang/d.xlsx": FileState("rejected", "d", "v1")}
    plan = plan_load([], previous, "v1", False)
    assert plan.missing == ["ha_quang/a.xlsx", "ha_quang/d.xlsx"]  # already missing or withdrawn: no new event


def test_a_file_that_never_brought_a_figure_is_gone_not_missing_when_it_leaves():
    """An .xls the clerk moved out, as its finding advised: its error closes, no 'figures kept' warning."""
    previous = {"thong_nong/cu.xls": FileState("rejected", "x", "v1", had_figures=False),
                "thong_nong/treo.xlsx": FileState("pending", None, None, had_figures=False),
                "thong_nong/a.xlsx": FileState("rejected", "a2", "v1", had_figures=True)}  # its first version loaded
    plan = plan_load([], previous, "v1", False)
    assert plan.missing == ["thong_nong/a.xlsx"]
    assert plan.ignored_gone == ["thong_nong/cu.xls", "thong_nong/treo.xlsx"]


def test_second_writer_waits_then_gives_up_with_a_clear_message(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with writer_lock(warehouse, 1):
        with pytest.raises(WarehouseBusy, match=r"another load is writing .*\(pid \d+"):
            with writer_lock(warehouse, 0.3):
                pass
    with writer_lock(warehouse, 0.3):  # released when the first holder left
        pass


def test_discovery_skips_lock_files_and_system_files(tmp_path):
    from flows.ingest.raw_files import discover_files

    for name in ("ha_quang/a.xlsx", "ha_quang/~$a.xlsx", "ha_quang/Thumbs.db", "ha_quang/desktop.ini",
                 "ha_quang/.DS_Store", ".git/config", "thong_nong/b.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in discover_files(tmp_path)] == [
        "ha_quang/a.xlsx", "thong_nong/b.csv"]


@pytest.mark.parametrize(("edited", "rereads"), [
    ("flows/parse/values.py", True), ("flows/ingest/guard.py", True), ("flows/quality/validate.py", True),
    ("flows/mapping/indicators.py", True), ("flows/core/text.py", True), ("schemas/indicator_crosswalk.csv", True),
    ("schemas/layouts.toml", True), ("flows/publish/dashboard.py", False), ("flows/cli.py", False),
    ("flows/orchestration/load_flow.py", False), ("flows/warehouse/model_build.py", False),
    ("schemas/reference/district_figures.csv", False), ("sql/marts/dq_issues.sql", False),
])
def test_only_what_decides_how_a_workbook_is_read_makes_every_file_read_again(tmp_path, edited, rereads):
    from flows.warehouse.state import rules_digest

    project = tmp_path / "project"
    for folder in ("flows", "schemas", "sql"):
        shutil.copytree(REPO / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    before = rules_digest(project)
    with open(project / edited, "a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    assert (rules_digest(project) != before) == rereads
