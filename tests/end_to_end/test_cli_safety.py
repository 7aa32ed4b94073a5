"""`haquang sql` reads the warehouse and nothing else; names reach screens and shells safely; a
damaged warehouse, a bad query or a closed pipe ends with one clear line, never a traceback."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from flows.core.names import shell_argument, show_name
from tests.conftest import REPO, sql

HOSTILE_NAMES = [
    "a\nLoad 99: succeeded.xlsx",
    "$(rm -rf ~).xlsx",
    "`id`.xlsx",
    "x'; echo pwned; '.xlsx",
    "carriage\rreturn.xlsx",
    "tab\there.xlsx",
    "\x1b[31mred\x1b[0m.xlsx",
    "\x1b]0;title\x07bell.xlsx",
    "invoice_\u202excod.xlsx",  # reads as "invoice_xlsx.doc" on screen
    "zero\u200bwidth\ufeffbom.xlsx",
    "line\u2028separator.xlsx",
    "nbsp\u00a0name.xlsx",
    "c1\x85next\x9bline.xlsx",
    "tag\U000e0041chars.xlsx",
    "back\\slash\\n'quote\n.xlsx",
    "undecodable\udcffbyte.xlsx",  # a byte that is not UTF-8, as os.fsdecode gives it
]


def run_sql(warehouse: Path, query: str, *extra: str) -> int:
    return main(["sql", "--warehouse", str(warehouse), *extra, query])


def one_line(text: str) -> str:
    """The one line that says why; under it only DuckDB's drawing of where in the query, when it gives one
    ("  LINE 1: <the query>", then carets under the place)."""
    why, *where = text.splitlines()
    assert not where or (len(where) == 2 and where[0].startswith("  LINE ") and set(where[1].strip()) == {"^"}), text
    return why


# --- 1. a sandboxed `haquang sql` ----------------------------------------------------------------

@pytest.fixture(scope="module")
def secrets(tmp_path_factory) -> Path:
    """Readable files outside the warehouse that a query must not reach, and a folder it must not write."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.csv").write_text("password\ntopsecret-csv\n")
    (folder / "secret.txt").write_text("topsecret-txt\n")
    with duckdb.connect(str(folder / "other.duckdb")) as con:
        con.execute("create table secret as select 'topsecret-duckdb' as password")
        con.execute(f"copy secret to '{folder / 'secret.parquet'}' (format parquet)")
    (folder / "writes").mkdir()
    return folder


ESCAPES = [
    # files outside the warehouse, by table function, replacement scan or CALL
    "select * from read_csv('{d}/secret.csv')",
    "select * from read_csv_auto(['{d}/secret.csv'])",
    "select * from read_text('{d}/secret.txt')",
    "select * from read_blob('{d}/secret.txt')",
    "select * from read_json('{d}/secret.txt')",
    "select * from glob('{d}/*')",
    "select * from glob('/etc/*')",
    "select * from read_csv('/etc/passwd')",
    "select * from read_parquet('{d}/secret.parquet')",
    "select * from parquet_metadata('{d}/secret.parquet')",
    "select * from sniff_csv('{d}/secret.csv')",
    "select * from read_duckdb('{d}/other.duckdb')",
    "from '{d}/secret.csv'",
    "select * from '{d}/secret.parquet'",
    "from '/etc/passwd'",
    "call glob('{d}/*')",
    "call read_csv('{d}/secret.csv')",
    "with t as (select * from read_text('{d}/secret.txt')) select * from t",
    "select (select content from read_text('{d}/secret.txt')) as x from indicator_results",
    # writes anywhere
    "copy (select 1) to '{d}/writes/f.csv'",
    "copy indicator_results to '{d}/writes/f.parquet' (format parquet)",
    "copy (select * from dq_issues) to '/tmp/haquang_escape_f.csv'",
    "export database '{d}/writes/export'",
    "create temp table t as select 1",
    "create table t as select 1",
    "create macro m() as 1",
    "create view v as select 1",
    "create secret s (type s3, key_id 'x', secret 'y')",
    "checkpoint",
    "force checkpoint",
    "vacuum",
    "analyze",
    "begin transaction",
    # other databases, extensions, settings
    "attach '{d}/other.duckdb' as other",
    "attach '{d}/writes/new.duckdb' as new",
    "detach memory",
    "use memory",
    "install httpfs",
    "load httpfs",
    "load '{d}/writes/evil.duckdb_extension'",
    "force install excel",
    "update extensions",
    "select * from read_xlsx('{d}/book.xlsx')",  # would autoload (and download) the excel extension
    "set enable_external_access = true",
    "set lock_configuration = false",
    "reset threads",
    "set variable x = 1",
    "pragma enable_profiling",
    "pragma show_tables",
    "import database '{d}'",
    "select * from enable_logging()",
    "explain analyze copy (select 1) to '{d}/writes/f.csv'",
    "prepare p as select 1",
    # several statements, however they are hidden
    "select 1; select 2",
    "select 1; copy (select 1) to '{d}/writes/f.csv'",
    "select 1;copy (select 1) to '{d}/writes/f.csv';",
    "select ';' as x; drop view indicator_results",
    "select 1 /* ; */ ; attach '{d}/other.duckdb' as o",
    "select 1 -- a comment\n; set threads = 1",
    "/* a comment first */ copy (select 1) to '{d}/writes/f.csv'",
    "-- a comment\ncopy (select 1) to '{d}/writes/f.csv'",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_sql_reaches_nothing_beyond_the_warehouse(loaded_warehouse, secrets, template, capsys):
    query = template.format(d=secrets)
    assert run_sql(loaded_warehouse, query) == 2
    printed = capsys.readouterr()
    assert "topsecret" not in printed.out + printed.err
    assert printed.out == ""
    assert one_line(printed.err).startswith("haquang sql: ")
    assert "Traceback" not in printed.err
    assert sorted(p.name for p in (secrets / "writes").iterdir()) == []
    assert not Path("/tmp/haquang_escape_f.csv").exists()


@pytest.mark.parametrize("query, says", [
    ("copy (select 1) to '/tmp/haquang_escape_f.csv'", "COPY statements are not allowed"),
    ("attach ':memory:' as m", "ATTACH statements are not allowed"),
    ("install httpfs", "INSTALL or LOAD statements are not allowed"),
    ("set threads = 1", "SET, RESET or USE statements are not allowed"),
    ("select 1; select 2", "holds 2 statements"),
    ("select * from read_csv('/etc/passwd')", "reaches outside the warehouse"),
])
def test_a_refusal_says_what_is_allowed(loaded_warehouse, query, says, capsys):
    assert run_sql(loaded_warehouse, query) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("haquang sql: refused: ") and says in line
    assert "one read-only query" in line and "warehouse's views" in line


@pytest.mark.parametrize("query", [
    "drop view indicator_results",
    "insert into indicator_results (source_file) values ('x')",  # a view: DuckDB would say "not a table"
    "insert into landing_load_runs (load_id) values (99)",
    "update landing_load_runs set status = 'succeeded'",
    "delete from landing_dq_findings",
    "truncate landing_dq_findings",
    "alter view indicator_results rename to gone",
    "comment on view indicator_results is 'changed'",
    "merge into landing_load_runs t using landing_load_runs s on t.load_id = s.load_id when matched then delete",
    "create or replace view dq_issues as select 1 as x",
])
def test_a_write_is_refused_because_the_warehouse_is_read_only(loaded_warehouse, query, capsys):
    assert run_sql(loaded_warehouse, query) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("haquang sql: refused: the warehouse is read-only: ")
    assert "Binder Error" not in line and "Catalog Error" not in line


def test_the_escapes_left_the_warehouse_and_its_folder_as_they_were(loaded_warehouse, secrets, capsys):
    digest = hashlib.sha256(loaded_warehouse.read_bytes()).hexdigest()
    folder = sorted(p.name for p in loaded_warehouse.parent.iterdir())
    for template in ESCAPES:
        run_sql(loaded_warehouse, template.format(d=secrets))
    capsys.readouterr()
    assert hashlib.sha256(loaded_warehouse.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in loaded_warehouse.parent.iterdir()) == folder
    assert sql(loaded_warehouse, "select count(*) from indicator_results")[0][0] == 66
    comment = sql(loaded_warehouse, "select comment from duckdb_views() where view_name = 'indicator_results'")
    assert comment[0][0] and comment[0][0] != "changed"


@pytest.mark.parametrize("query, expected", [
    ("select row_label, actual_value from indicator_results where source_district = 'ha_quang' "
     "and row_label = 'Tổng sản lượng lương thực có hạt'", "17889"),
    ("from dq_issues select count(*) > 0 as has_issues", "true"),
    ("select comment from duckdb_columns() where table_name = 'indicator_results' and column_name = 'row_label'",
     "(1 row)"),
    ("with per_district as (select source_district, count(*) as n from indicator_results group by all) "
     "select n from per_district where source_district = 'thong_nong'", "22"),
    ("select source_district, row_label, row_number() over (partition by source_district order by source_row) as k "
     "from indicator_results qualify k = 1 order by source_district", "(2 rows)"),
    ("describe indicator_results", "row_label"),
    ("summarize load_runs", "load_id"),
    ("pivot (select source_district from indicator_results) on source_district using count(*)", "44"),
    ("select 'a;b' as text_with_a_semicolon;", "a;b"),
    ("-- the analyst's note\nselect count(*) as n from load_runs /* one load */", "(1 row)"),
    ("select * from duckdb_views() where view_name = 'dq_issues'", "(1 row)"),
])
def test_the_analysts_ordinary_queries_still_run(loaded_warehouse, query, expected, capsys):
    assert run_sql(loaded_warehouse, query) == 0
    printed = capsys.readouterr()
    assert expected in printed.out and printed.err == ""


@pytest.mark.parametrize("query, says", [
    ("", "the query is empty"),
    ("   \n\t ", "the query is empty"),
    ("-- only a comment", "the query is empty"),
    (";", "the query is empty"),
    ("selec * from indicator_results", "Parser Error: syntax error at or near \"selec\""),
    ("select from where", "Parser Error"),
    ("select nope from indicator_results", "Binder Error: Referenced column \"nope\" not found"),
    ("select * from indicator_result", "Did you mean \"indicator_results\"?"),
    ("select 'x'::integer", "Conversion Error"),
    ("select $1", "Values were not provided"),
])
def test_an_empty_or_wrong_query_says_why_in_one_line(loaded_warehouse, query, says, capsys):
    assert run_sql(loaded_warehouse, query) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and says in one_line(printed.err) and "Traceback" not in printed.err


# --- 2. names shown and quoted safely ------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_is_shown_on_one_line_with_nothing_hidden(name):
    shown = show_name(name)
    assert shown.isprintable()  # no control, format (bidi), separator or undecodable character is left
    assert "\n" not in shown and "\x1b" not in shown and "\u202e" not in shown
    rest = iter(shown)  # every visible character of the name is still there, in order
    assert all(ch in rest for ch in name if ch.isprintable())


def test_show_name_escapes_visibly_and_keeps_vietnamese():
    assert show_name("a\nLoad 99: succeeded.xlsx") == "a\\nLoad 99: succeeded.xlsx"
    assert show_name("\x1b[31mred.xlsx") == "\\x1b[31mred.xlsx"
    assert show_name("invoice_\u202excod.xlsx") == "invoice_\\u202excod.xlsx"
    assert show_name("a\r\tb") == "a\\r\\tb"
    for name in ("ha_quang/Chỉ tiêu KT-XH Hà Quảng.xlsx", "thong_nong/Thông Nông 2019.xlsx",
                 "Ha\u0300 Qua\u0309ng.xlsx"):  # NFC and NFD Vietnamese
        assert show_name(name) == name


@pytest.mark.parametrize("name", HOSTILE_NAMES + ["plain.xlsx", "ha_quang/Hà Quảng 2020.xlsx", "-starts-with-dash"])
def test_a_quoted_argument_gives_the_shell_back_exactly_the_name(name, tmp_path):
    """Pasted into bash, the argument is the name's bytes and nothing runs (HOME is a scratch folder,
    so that even a broken quoting of `$(rm -rf ~)` could only empty that)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "keep").write_text("still here")
    quoted = shell_argument(name)
    assert quoted.isprintable()  # one line that can be pasted
    out = subprocess.run(["bash", "-c", f"printf %s {quoted} > given"], cwd=tmp_path, capture_output=True,
                         env={"HOME": str(home), "PATH": os.environ["PATH"]}, timeout=30)
    assert out.returncode == 0 and out.stderr == b""
    assert (tmp_path / "given").read_bytes() == name.encode("utf-8", "surrogateescape")
    assert (home / "keep").exists() and not (tmp_path / "pwned").exists()


def test_a_printable_name_is_quoted_the_way_shlex_does():
    assert shell_argument("$(rm -rf ~).xlsx") == "'$(rm -rf ~).xlsx'"
    assert shell_argument("ha_quang/chi_tieu.xlsx") == shlex.quote("ha_quang/chi_tieu.xlsx")
    assert shell_argument("a\nb") == "$'a\\x0ab'"


WORKBOOK_NAMES = ["a\nLoad 99: succeeded.xlsx", "$(touch pwned).xlsx", "`id`.xlsx", "x'; echo pwned; '.xlsx",
                  "r\re\tt.xlsx", "\x1b[31mred.xlsx", "\u202excod.xlsx"]


def test_hostile_file_names_forge_no_line_in_the_summary_the_status_or_the_withdraw_hint(
        prefect_harness, raw_copy, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    good = raw_copy / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx"
    for name in WORKBOOK_NAMES:  # each once as a real workbook, once as one the guard rejects
        shutil.copyfile(good, raw_copy / "thong_nong" / name)
        (raw_copy / "ha_quang" / name).write_bytes(b"not a workbook at all")
    main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse)])
    summary = capsys.readouterr().out
    assert main(["status", "--warehouse", str(warehouse)]) == 1  # errors open: it exits as a load would
    status = capsys.readouterr().out
    for printed in (summary, status):
        assert all(line.isprintable() for line in printed.split("\n"))
        assert not re.search(r"^\s*Load 99", printed, re.M)  # the forged line is not a line
        assert "a\\nLoad 99: succeeded.xlsx" in printed
    assert "ha_quang/\\x1b[31mred.xlsx" in status and "\\u202excod.xlsx" in status

    for name in WORKBOOK_NAMES:
        (raw_copy / "thong_nong" / name).unlink()
    main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse)])
    capsys.readouterr()
    hints = dict(sql(warehouse, "select source_file, message from dq_issues where check_name = 'file_missing'"))
    assert sorted(hints) == sorted(f"thong_nong/{name}" for name in WORKBOOK_NAMES)
    for source_file, message in hints.items():
        command = re.search(r"`(haquang withdraw .*)`$", message).group(1)  # to the last backtick
        assert command.endswith(f" --warehouse {warehouse.resolve()}")  # not the default warehouse: named
        # The hint pasted into bash hands `haquang withdraw` exactly the file's name, and runs nothing else.
        given = subprocess.run(["bash", "-c", 'haquang() { printf %s "$2"; }\n' + command], cwd=tmp_path,
                               capture_output=True, timeout=30)
        assert given.stdout == source_file.encode(), message
        assert not (tmp_path / "pwned").exists()
    name = "thong_nong/a\nLoad 99: succeeded.xlsx"
    assert main(["withdraw", name, "--warehouse", str(warehouse), "--yes"]) == 0
    capsys.readouterr()
    assert main(["status", "--warehouse", str(warehouse)]) == 1  # read after three loads; errors still open
    assert " / withdrawn (1):\n    thong_nong/a\\nLoad 99: succeeded.xlsx\n" in capsys.readouterr().out


# --- 3. a damaged warehouse, a closed pipe ------------------------------------------------------

def _damaged_copies(warehouse: Path, folder: Path) -> dict[str, Path]:
    data = warehouse.read_bytes()
    size = len(data)
    variants = {
        "empty": b"",
        "truncated_to_100_bytes": data[:100],
        "truncated_to_5000_bytes": data[:5000],
        "garbage": os.urandom(size),
        "text": b"this is not a database\n" * 100,
        "header_zeroed": bytes(8192) + data[8192:],
    }
    paths = {}
    for name, content in variants.items():
        paths[name] = folder / f"{name}.duckdb"
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize("command", ["status", "sql"])
def test_a_damaged_warehouse_gives_one_line_and_the_recovery_command(loaded_warehouse, tmp_path, command, capsys):
    for case, path in _damaged_copies(loaded_warehouse, tmp_path).items():
        argv = [command, "--warehouse", str(path)] + (["select count(*) from indicator_results"]
                                                      if command == "sql" else [])
        assert main(argv) == 1, case
        printed = capsys.readouterr()
        line = one_line(printed.err)
        assert printed.out == "" and line.startswith(f"haquang {command}: the warehouse {path} could not be opened")
        assert "may be damaged" in line and f"haquang recover --warehouse {path}" in line, line
        assert "IO Error" in line  # DuckDB's own reason


@pytest.mark.parametrize("command, damage", [("status", "cut"), ("sql", "cut"), ("sql", "overwritten")])
def test_a_damaged_warehouse_that_still_opens_is_found_damaged(loaded_warehouse, tmp_path, command, damage, capsys):
    """Blocks lost or overwritten past the file's header show only when a query reads them (sql), or
    when the file is found shorter than the blocks it holds (status, which reads only a few tables)."""
    data = loaded_warehouse.read_bytes()
    third = len(data) // 3
    damaged = tmp_path / f"{damage}.duckdb"
    damaged.write_bytes(data[:len(data) // 2] if damage == "cut" else data[:third] + b"\xa5" * third + data[2 * third:])
    views = ["indicator_results", "harmonised_results", "dq_issues", "load_runs", "indicator_results_history",
             "file_events", "district_comparison"]
    query = " union all ".join(f"select md5(string_agg(t::varchar, '')) from {view} t" for view in views)  # every cell
    assert run_sql(loaded_warehouse, query) == 0  # the same query reads the intact warehouse
    capsys.readouterr()
    assert main([command, "--warehouse", str(damaged)] + ([query] if command == "sql" else [])) == 1
    printed = capsys.readouterr()
    line = one_line(printed.err)
    assert printed.out == "" and ("could not be read" in line or "could not be opened" in line)
    assert "may be damaged" in line
    assert f"haquang recover --warehouse {damaged}" in line


def test_a_warehouse_named_oddly_is_quoted_in_the_recovery_command(loaded_warehouse, tmp_path, capsys):
    path = tmp_path / "it's $(here)" / "w\nx.duckdb"
    path.parent.mkdir()
    path.write_bytes(b"garbage")
    assert main(["status", "--warehouse", str(path)]) == 1
    line = one_line(capsys.readouterr().err)
    assert shell_argument(str(path)) in line and "w\\nx.duckdb" in line


def test_a_warehouse_another_process_writes_is_busy_not_damaged(loaded_warehouse, tmp_path, capsys):
    busy = tmp_path / "busy.duckdb"
    shutil.copyfile(loaded_warehouse, busy)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); sys.stdin.read()", str(busy)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        for argv in (["status", "--warehouse", str(busy)], ["sql", "--warehouse", str(busy), "select 1"]):
            assert main(argv) == 1
            line = one_line(capsys.readouterr().err)
            assert "in use by another process" in line and "damaged" not in line and "recover" not in line
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.parametrize("as_csv", [True, False])
def test_output_to_a_closed_pipe_ends_quietly(loaded_warehouse, as_csv):
    query = "select i, 'row ' || i as label from range(200000) t(i)"  # well past a pipe's buffer
    command = [sys.executable, "-m", "flows.cli", "sql", "--warehouse", str(loaded_warehouse)]
    command += (["--csv"] if as_csv else []) + [query]
    shell = " ".join(shlex.quote(part) for part in command) + ' | head -1; echo "exit=${PIPESTATUS[0]}" >&2'
    done = subprocess.run(["bash", "-c", shell], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.stdout == "\ufeffi,label\n" if as_csv else re.fullmatch(r"i +\| label\n", done.stdout)
    assert done.stderr == "exit=0\n"  # no traceback, no "Exception ignored", and a quiet exit


def test_every_command_that_prints_ends_quietly_with_its_own_status_on_a_closed_pipe(
        prefect_harness, loaded_warehouse, tmp_path, monkeypatch, capsys):
    """`haquang load | head -1` and the like: the reader went away before the command printed.
    The command's work is done; it exits with the status that work earned (a clean night: 0), no
    traceback. The reader's end is closed first, so every write fails, not only a late one."""
    from tests.conftest import RAW

    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(loaded_warehouse, warehouse)
    at = ["--warehouse", str(warehouse)]
    commands = [(["status", *at], 0), (["status", "--json", *at], 0), (["docs", *at], 0),
                (["dashboard", *at], 0), (["recover", *at], 0),
                (["load", "--raw", str(RAW), *at], 0),  # nothing new, nothing open: a good night
                (["withdraw", "thong_nong/chi_tieu_ktxh_2015_2019.xlsx", *at, "--yes"], 0)]
    for argv, status in commands:
        reader, writer = os.pipe()
        os.close(reader)
        closed = open(writer, "w", encoding="utf-8")
        monkeypatch.setattr(sys, "stdout", closed)
        try:
            assert main(argv) == status, argv
        finally:
            monkeypatch.undo()
            closed.close()  # what is left in its buffer goes to /dev/null, where the command pointed it
        err = capsys.readouterr().err
        assert "Traceback" not in err and "BrokenPipe" not in err, (argv, err)
    assert sql(warehouse, "select mode from load_runs order by load_id desc limit 1") == [("withdraw",)]
