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
    assert "rows loaded from ha_quang: 44" in printed and "rows loaded from thong_nong: 22" in printed
    assert str(warehouse.resolve()) in printed and "haquang sql" in printed

    query = "select actual_value from indicator_results where row_label = 'Tổng sản lượng lương thực có hạt' " \
            "and source_district = 'ha_quang'"
    assert main(["sql", "--warehouse", str(warehouse), query]) == 0
    table = capsys.readouterr().out
    assert "17889" in table and "(1 row)" in table
    assert main(["sql", "--warehouse", str(warehouse), "--csv", query]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [["actual_value"], ["17889"]]

    # read-only: a write is refused, and the view is still there
    assert main(["sql", "--warehouse", str(warehouse), "drop view indicator_results"]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main(["sql", "--warehouse", str(warehouse), "select count(*) from indicator_results"]) == 0


def test_load_exits_1_when_a_file_is_rejected(prefect_harness, raw_copy, tmp_path, capsys):
    (raw_copy / "ha_quang" / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0legacy")
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(tmp_path / "w.duckdb")]) == 1
    out = capsys.readouterr().out
    assert "ERROR unsupported_file in ha_quang/old.xls" in out and "rows loaded from thong_nong: 22" in out


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
