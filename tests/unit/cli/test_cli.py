"""The `haquang` command line: load exit codes, read-only queries, usage errors."""

from __future__ import annotations

import csv
import io

import pytest

from flows.cli import main


def test_load_then_query_as_table_and_csv(prefect_harness, raw_copy, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse)]) == 0
    printed = capsys.readouterr().out
    assert "Rows loaded from ha_quang: 44." in printed and "Rows loaded from thong_nong: 22." in printed
    assert "Số dòng được nạp từ ha_quang: 44." in printed  # each line in Vietnamese first
    assert str(warehouse.resolve()) in printed and "haquang sql" in printed

    query = "select actual_value from indicator_results where row_label = 'Tổng sản lượng lương thực có hạt' " \
            "and source_district = 'ha_quang'"
    assert main(["sql", "--warehouse", str(warehouse), query]) == 0
    table = capsys.readouterr().out
    assert "17889" in table and "(1 row)" in table
    assert main(["sql", "--warehouse", str(warehouse), "--csv", query]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [["\ufeffactual_value"], ["17889"]]

    # read-only: a write is refused, and the view is still there
    assert main(["sql", "--warehouse", str(warehouse), "drop view indicator_results"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main(["sql", "--warehouse", str(warehouse), "select count(*) from indicator_results"]) == 0


def test_load_exits_1_when_a_file_is_rejected(prefect_harness, raw_copy, tmp_path, capsys):
    (raw_copy / "ha_quang" / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0legacy")
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(tmp_path / "w.duckdb")]) == 1
    out = capsys.readouterr().out
    assert "ERROR unsupported_file in ha_quang/old.xls" in out and "Rows loaded from thong_nong: 22." in out
    assert "LỖI unsupported_file tại ha_quang/old.xls (mới): " in out


@pytest.mark.parametrize(
    "argv", [[], ["frobnicate"], ["sql"], ["load", "--raw"], ["load", "--raw", "/nonexistent/raw"]]
)
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        raise SystemExit(main(argv))
    assert raised.value.code == 2


# Every command that reads a warehouse, with what it needs besides --warehouse.
READERS = {"sql": ["select 1"], "status": [], "docs": [], "dashboard": [], "withdraw": ["ha_quang/a.xlsx"]}


@pytest.mark.parametrize("command", READERS)
def test_every_reader_without_a_warehouse_says_to_load_first(command, tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    assert main([command, "--warehouse", str(missing), *READERS[command]]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    # The hint names the warehouse it was asked about: pasted as printed, it creates that one.
    assert printed.err == \
        f"haquang {command}: no warehouse at {missing}; run `haquang load --warehouse {missing}` first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created, not even a lock file


@pytest.mark.parametrize("command", READERS)
def test_every_reader_of_a_damaged_warehouse_says_so_in_one_line(command, tmp_path, capsys):
    damaged = tmp_path / "w.duckdb"
    damaged.write_bytes(b"this is not a database\n" * 1000)
    assert main([command, "--warehouse", str(damaged), *READERS[command]]) == 1
    printed = capsys.readouterr()
    assert printed.out == "" and len(printed.err.splitlines()) == 1
    assert printed.err.startswith(f"haquang {command}: the warehouse {damaged} could not be opened (")
    assert f"may be damaged. Run `haquang recover --warehouse {damaged}`" in printed.err
    assert damaged.read_bytes() == b"this is not a database\n" * 1000


def test_the_morning_after_names_each_open_error_and_the_command_that_withdraws_its_file(
        prefect_harness, raw_copy, tmp_path, capsys):
    """Files rejected by one load and still open the next night: the summary gives, per file, the
    withdraw command pasted as printed (name quoted, this warehouse, these outputs); status lists
    them; a withdrawal typed in NFD finds the file and writes to the outputs the load used."""
    import json
    import re
    import shlex
    import unicodedata

    from tests.conftest import sql
    from tests.layout_variants import Grid, with_unrecognisable_header

    docx = "thong_nong/ghi chú's.docx"
    (raw_copy / docx).write_bytes(b"not a workbook")
    variant = raw_copy / "ha_quang" / "bản sao.xlsx"  # a workbook whose header the parser cannot place
    with_unrecognisable_header(Grid.read(next((raw_copy / "ha_quang").glob("*.xlsx")))).write(variant)
    warehouse, outputs = tmp_path / "w h" / "w.duckdb", tmp_path / "out put"
    warehouse.parent.mkdir()
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse), "--outputs", str(outputs)]) == 1
    capsys.readouterr()
    # The next night, without --outputs: nothing new, the two errors still open.
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse)]) == 1
    summary = capsys.readouterr().out
    rejected = sorted(r[0] for r in sql(warehouse, "select distinct source_file from dq_issues where severity = 'error'"))
    assert rejected == sorted([docx, "ha_quang/bản sao.xlsx"])
    assert f"Exports, dashboard, data dictionary and the clerks' feedback workbooks: {outputs.resolve()}/" in summary  # the folder remembered
    commands = re.findall(r"withdraw it \(no figure changes\): (\.venv/bin/haquang withdraw .*)$", summary, re.M)
    assert len(commands) == len(rejected)
    words = [shlex.split(command) for command in commands]
    assert sorted(w[2] for w in words) == rejected
    assert {tuple(w[3:]) for w in words} == {("--warehouse", str(warehouse.resolve()), "--outputs", str(outputs.resolve()))}
    assert "'thong_nong/ghi chú'\"'\"'s.docx'" in summary

    assert main(["status", "--warehouse", str(warehouse)]) == 1  # errors open: as a load exits
    report = capsys.readouterr().out
    assert "Thay đổi đêm qua: không có gì mới.\nWhat changed last night: nothing new.\nThay đổi của lần nạp 1: " in report
    assert "\nWhat load 1 changed: " in report
    assert "Open errors (every load exits 1 until each is resolved): 2 in 2 files." in report
    assert "2 lỗi trong 2 tệp." in report
    for name in rejected:
        assert re.search(rf"^  ERROR \w+ in {re.escape(name)}.* \(since load 1\): ", report, re.M)
        assert re.search(rf"^  LỖI \w+ tại {re.escape(name)}.* \(từ lần nạp 1\): ", report, re.M)
    assert "1 errors" not in report and "1 warnings" not in report
    assert main(["status", "--warehouse", str(warehouse), "--json"]) == 1
    facts = json.loads(capsys.readouterr().out)
    assert (facts["ok"], facts["exit_status"]) == (False, 1)
    assert sorted((e["file"], e["load_id"], e["new"]) for e in facts["errors"]) == [(n, 1, False) for n in rejected]
    assert len(facts["errors"]) == facts["open_issues"]["error"]

    # Typed as a Mac sends it (NFD), without --outputs: the stored name is withdrawn, the exports
    # rewritten where the loads wrote them. A rejected file had no figures, and is told so.
    typed = unicodedata.normalize("NFD", docx)
    assert typed != docx
    assert main(["withdraw", typed, "--warehouse", str(warehouse), "--yes"]) == 0
    said = capsys.readouterr().out
    assert f"{docx} has no current rows: withdrawing it only closes its 1 open finding; no figure changes." in said
    assert f"{docx} không có dòng nào đang công bố: rút tệp chỉ đóng 1 vấn đề còn mở của tệp (lỗi hoặc cảnh báo)" in said
    assert f"\nWithdrew {docx} in load 2: it had no current figures" in said
    assert "indicator_results_history" not in said
    assert main(["status", "--warehouse", str(warehouse)]) == 1
    assert "Open data-quality issues: 1 error, " in capsys.readouterr().out  # the xlsx variant's, still open
    manifest = json.loads((outputs / "exports" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["load_id"] == 2 and not (warehouse.parent / "exports").exists()
    # Withdrawn already: said so, with the load that withdrew it; nothing to do, exit 0.
    assert main(["withdraw", docx, "--warehouse", str(warehouse), "--yes"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == [f"Tệp {docx} đã rút ở lần nạp 2; không có gì thay đổi.",
                    f"{docx} was already withdrawn in load 2; nothing was changed."]
    # Nothing to withdraw: a name the warehouse does not know is bad usage (exit 2), said in Vietnamese then
    # English; the files with figures listed exclude the rejected one, named apart.
    published = warehouse.read_bytes()
    for name in ("thong_nong/nope.xlsx", "/etc/passwd", "../../etc/passwd", "ha_quang", "ha_quang/", ""):
        assert main(["withdraw", name, "--warehouse", str(warehouse), "--yes"]) == 2, name
        refused = capsys.readouterr().err
        vi, en = refused.split("\nThe warehouse has no current figures or open findings of ")
        assert vi.startswith(f"Kho dữ liệu không có số liệu đang công bố hay lỗi, cảnh báo còn mở nào của tệp “{name}”")
        with_figures, findings_only = en.split("Files with current figures: ", 1)[1].split(
            "\n  Files with open findings only (rejected or not read yet): ", 1)
        assert "bản sao" not in with_figures and "chi_tieu" in with_figures
        assert "ha_quang/bản sao.xlsx" in findings_only and "ghi chú" not in refused
        assert "Tệp có số liệu đang công bố: " in vi and "Tệp chỉ có lỗi, cảnh báo còn mở" in vi
    assert warehouse.read_bytes() == published
    # A name one letter off: the close names come first.
    typo = "ha_quang/ban sao.xlsx"
    assert main(["withdraw", typo, "--warehouse", str(warehouse)]) == 2
    assert "\n  Close names: ha_quang/bản sao.xlsx\n" in capsys.readouterr().err
    assert main(["feedback", typo, "--warehouse", str(warehouse)]) == 2
    refused = capsys.readouterr().err
    assert refused.startswith(f"Kho dữ liệu chưa từng đọc tệp {typo}; ")
    assert "\n  Close names: ha_quang/bản sao.xlsx\n" in refused
