"""The on-call view of a large load: `haquang status` summarised (`--all`, `--json`), progress on a
terminal and not on a pipe, and printed commands that act on the warehouse they were printed for."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench.synth import write_corpus
from flows.cli import main
from flows.publish.status import SHOWN
from flows.warehouse.commands import haquang_command
from tests.conftest import RAW, REPO, sql

WORKBOOKS, NOT_WORKBOOKS, STILL_COPYING = 40, 12, 12  # every list of the status longer than it shows


def _drain(fd: int, into: list[bytes]) -> threading.Thread:
    """Read what a load writes to a terminal or pipe as it writes it (a full buffer would block it)."""
    def read():
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal's other side closed
                return
            if not chunk:
                return
            into.append(chunk)
    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _load_with_stderr_on(kind: str, argv: list[str], monkeypatch) -> tuple[int, str, str]:
    """`haquang load` with its stderr on a pseudo-terminal or a pipe: (exit status, stdout, stderr)."""
    reader, writer = os.openpty() if kind == "pty" else os.pipe()
    received: list[bytes] = []
    thread = _drain(reader, received)
    stream = open(writer, "w", encoding="utf-8", closefd=True)
    out = io.StringIO()
    monkeypatch.setenv("TERM", "xterm-256color")  # a real terminal type, not what the test runner has
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", stream)
    try:
        code = main(argv)
    finally:
        stream.close()
        monkeypatch.undo()
    thread.join(timeout=10)
    os.close(reader)
    return code, out.getvalue(), b"".join(received).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def many(prefect_harness, tmp_path_factory):
    """A raw folder of synthetic commune workbooks, non-workbooks and files still being copied,
    loaded twice through the command line: with stderr on a pipe, then (--full) on a terminal."""
    root = tmp_path_factory.mktemp("many")
    raw = root / "raw"
    write_corpus(WORKBOOKS, raw, RAW, seed=13)
    for index in range(NOT_WORKBOOKS):
        (raw / "ha_quang" / f"khong_phai_{index:02}.xlsx").write_bytes(b"not a workbook")
    for index in range(STILL_COPYING):  # a pipe is not a file: pending, read again by the next run
        os.mkfifo(raw / "thong_nong" / f"dang_chep_{index:02}.xlsx")
    warehouse = root / "w" / "many.duckdb"
    warehouse.parent.mkdir()
    argv = ["load", "--raw", str(raw), "--warehouse", str(warehouse), "--batch-size", "8"]
    piped = _load_with_stderr_on("pipe", argv, pytest.MonkeyPatch())
    on_terminal = _load_with_stderr_on("pty", argv + ["--full"], pytest.MonkeyPatch())
    return {"raw": raw, "warehouse": warehouse, "pipe": piped, "pty": on_terminal}


def regular_workbooks(raw: Path) -> int:
    return sum(1 for p in raw.rglob("*.xlsx") if p.is_file())


def test_progress_is_drawn_on_a_terminal_and_absent_on_a_pipe(many):
    code, _, drawn = many["pty"]
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)  # the terminal's colours and cursor moves
    assert code == 1  # the non-workbooks are rejected
    total = regular_workbooks(many["raw"])  # the pipes are never read: not counted as work to do
    assert total > 10
    assert "reading workbooks" in drawn
    # after the reading, the line names the step the load is in, with every workbook read
    assert re.search(rf"writing exports \(workbooks read\) .*\b{total}/{total} files\b", drawn)
    assert "files/s" in drawn and "left" in drawn
    assert re.search(rf"\b\d+/{total} files\b", drawn.replace(f"{total}/{total}", "")), "no frame before the last"
    code, _, piped = many["pipe"]
    assert code == 1
    assert "reading workbooks" not in piped and "files/s" not in piped and "\x1b[" not in piped


def test_status_counts_everything_and_names_the_first_ten_of_each_list(many, capsys):
    warehouse = many["warehouse"]
    assert main(["status", "--warehouse", str(warehouse)]) == 1  # errors open
    text = capsys.readouterr().out
    load_id = sql(warehouse, "select max(load_id) from load_runs")[0][0]
    changes = dict(sql(warehouse, "select change, count(*) from file_events where load_id = ? group by all", [load_id]))
    assert sum(changes.values()) > 3 * SHOWN
    for change, count in changes.items():
        after = text.split(f" / {change} ({count}):\n", 1)[1].splitlines()  # its heading, Vietnamese first
        block = list(itertools.takewhile(lambda line: line.startswith("    "), after))
        names = [line for line in block if "… and " not in line]
        assert len(names) == min(count, SHOWN)
        assert [line.split(" / ")[1] for line in block[len(names):]] == \
            ([f"… and {count - SHOWN} more files"] if count > SHOWN else [])
    errors = sql(warehouse, "select count(*) from dq_issues where severity = 'error'")[0][0]  # open, of any load
    assert errors > SHOWN and f"Open errors (every load exits 1 until each is resolved): {errors} in " in text
    assert f"  … và {errors - SHOWN} lỗi khác / … and {errors - SHOWN} more errors\n" in text
    assert f"Pending (not read yet; the next run tries again): {STILL_COPYING}." in text
    assert len(text.splitlines()) < 120  # a few screens, not one line per file
    # The hint to see the rest names this warehouse, and run as printed it lists everything.
    hint = re.search(r"^Every name: (.*) \(or --json", text, re.M).group(1)
    assert hint == f".venv/bin/haquang status --all --warehouse {warehouse.resolve()}"
    everything = subprocess.run(hint, shell=True, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert everything.returncode == 1, everything.stderr  # errors open (the pending files)
    assert "more files" not in everything.stdout and "more errors" not in everything.stdout
    for (name,) in sql(warehouse, "select source_file from file_events where load_id = ?", [load_id]):
        assert f"    {name}" in everything.stdout


def test_status_all_lists_every_file_and_error(many, capsys):
    warehouse = many["warehouse"]
    assert main(["status", "--warehouse", str(warehouse), "--all"]) == 1
    text = capsys.readouterr().out
    load_id = sql(warehouse, "select max(load_id) from load_runs")[0][0]
    for change, name in sql(warehouse, "select change, source_file from file_events where load_id = ?", [load_id]):
        assert re.search(rf"^    {re.escape(name)}( \(\d+ dòng / \d+ rows\))?$", text, re.M), (change, name)
    errors = sql(warehouse, "select count(*) from dq_issues where severity = 'error'")[0][0]
    block = text.split("Open errors (every load exits 1 until each is resolved):", 1)[1].split("\nPending", 1)[0]
    listed, advice = block.split("\n  Việc cần làm", 1)
    assert len(listed.strip().splitlines()) == 1 + 2 * errors  # the count, then each error in Vietnamese and English
    assert "…" not in advice  # then what to do about every file, none left out
    assert "… and" not in text and "Every name:" not in text


def test_status_json_has_every_list_whole_and_the_counts(many, capsys):
    warehouse = many["warehouse"]
    assert main(["status", "--warehouse", str(warehouse), "--json"]) == 1
    facts = json.loads(capsys.readouterr().out)
    assert facts["format"] == 1 and facts["warehouse"] == str(warehouse.resolve())
    load_id, seen, mode = sql(warehouse, "select load_id, files_seen, mode from load_runs order by load_id desc "
                                         "limit 1")[0]
    assert (facts["last_load"]["load_id"], facts["last_load"]["files"]["seen"], facts["last_load"]["mode"]) == \
        (load_id, seen, mode)
    events = sql(warehouse, "select change, source_file, rows_loaded from file_events where load_id = ?", [load_id])
    assert sorted((c, e["file"], e["rows_loaded"]) for c, listed in facts["changes"].items() for e in listed) == \
        sorted(events)
    assert set(facts["changes"]) == {"new", "updated", "rejected", "pending", "missing", "restored", "withdrawn",
                                     "ignored", "gone"}
    # new: found by this load and not open before it (the same cell's finding of the load before is not)
    errors = sql(warehouse, """
        select d.source_file, d.check_name, d.load_id, d.load_id = ? and not exists (
            select 1 from staging.stg_dq_findings as before
            where before.load_id = ? - 1 and before.source_file = d.source_file and before.check_name = d.check_name
              and before.source_sheet is not distinct from d.source_sheet
              and before.source_row is not distinct from d.source_row
              and before.source_column is not distinct from d.source_column
              and before.raw_value is not distinct from d.raw_value)
        from dq_issues as d where severity = 'error'""", [load_id, load_id])
    assert sorted((e["file"], e["check_name"], e["load_id"], e["new"]) for e in facts["errors"]) == sorted(errors)
    assert len(facts["errors"]) == facts["open_issues"]["error"]
    assert sorted(p["file"] for p in facts["pending"]) == \
        sorted(f"thong_nong/dang_chep_{i:02}.xlsx" for i in range(STILL_COPYING))
    assert facts["open_issues"] == {"error": 0, "warning": 0, "info": 0} | dict(
        sql(warehouse, "select severity, count(*) from dq_issues group by all"))
    assert facts["published_data"]["age_seconds"] >= 0 and facts["last_load"]["age_seconds"] >= 0


def test_the_example_query_of_the_summary_runs_as_printed_on_the_loaded_warehouse(many, capsys):
    _, summary, _ = many["pty"]
    warehouse = many["warehouse"]
    example = summary.split("Query it, for example:\n", 1)[1].strip()
    assert f"--warehouse {warehouse.resolve()}" in example
    printed = subprocess.run(example, shell=True, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    query = shlex.split(example)[2]
    assert main(["sql", "--warehouse", str(warehouse), query]) == 0
    assert printed.stdout == capsys.readouterr().out  # the same rows: it read this warehouse
    assert "(5 rows)" in printed.stdout


def test_hints_name_the_warehouse_unless_it_is_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert haquang_command("status", "--all", warehouse=Path("warehouse/haquang.duckdb")) == "haquang status --all"
    assert haquang_command("load", warehouse=tmp_path / "warehouse" / "haquang.duckdb") == "haquang load"
    elsewhere = tmp_path / "a b" / "x;y.duckdb"
    assert haquang_command("load", warehouse=elsewhere) == f"haquang load --warehouse '{elsewhere}'"
    assert shlex.split(haquang_command("dashboard", warehouse=elsewhere, outputs=tmp_path / "o")) == \
        ["haquang", "dashboard", "--warehouse", str(elsewhere), "--outputs", str(tmp_path / "o")]
    assert haquang_command("dashboard", warehouse=elsewhere, outputs=elsewhere.parent) == \
        f"haquang dashboard --warehouse '{elsewhere}'"


def test_the_issues_query_status_suggests_lists_what_asks_for_action_first(loaded_warehouse, capsys):
    assert main(["status", "--warehouse", str(loaded_warehouse)]) == 0
    report = capsys.readouterr().out
    # Both ends of the run to the second, in the same form.
    assert re.search(r"^  Chạy từ \d\d:\d\d:\d\d ngày \d\d/\d\d/\d{4} đến \d\d:\d\d:\d\d ngày \d\d/\d\d/\d{4} "
                     r"\(giờ Việt Nam\)", report, re.M)
    assert re.search(r"^  Ran \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d to \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \(Vietnam time\)",
                     report, re.M)
    hint = report.split("errors first, with:\n", 1)[1].splitlines()[0].strip()
    query = shlex.split(hint)[2]
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--csv", query]) == 0
    severities = [line.split(",", 1)[0] for line in capsys.readouterr().out.splitlines()[1:]]
    rank = {"error": 0, "warning": 1, "info": 2}
    assert {"warning", "info"} <= set(severities)  # the committed workbooks give both
    assert [rank[s] for s in severities] == sorted(rank[s] for s in severities)
    assert len(severities) == sql(loaded_warehouse, "select count(*) from dq_issues")[0][0]


@pytest.mark.parametrize(("number", "text"), [(0, "0 errors"), (1, "1 error"), (2, "2 errors"), (21, "21 errors")])
def test_a_count_agrees_with_its_noun(number, text):
    from flows.publish.wording import counted

    assert counted(number, "error") == text
