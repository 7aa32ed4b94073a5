"""`haquang sql` as an analyst's client: exact numbers, columns sized by display width (NFC and
NFD alike), long values cut under --max-width, a default row limit that says what it left out,
one-line errors through the real entry point, and a start without pandas or Prefect. Also the
interactive alternative, Harlequin (`make shell`): optional, read-only, comments readable."""

from __future__ import annotations

import hashlib
import shlex
import struct
import subprocess
import sys
import tomllib
import unicodedata
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from flows.cli import main
from flows.cli_format import DEFAULT_LIMIT, ELLIPSIS, Real, blob_text, cut, format_table, number_text
from flows.warehouse.query_sandbox import query
from tests.conftest import REPO, sql

HAQUANG = Path(sys.executable).with_name("haquang")  # the installed entry point, as an analyst runs it
HEAVY = ("pandas", "prefect", "pandera", "pyarrow")


def nfd(value: object) -> object:
    return unicodedata.normalize("NFD", value) if isinstance(value, str) else value


def separator_columns(table: str) -> set[tuple[int, ...]]:
    """The display columns at which each line of a table (header, separator, rows) has its bars."""
    found = set()
    for line in table.splitlines()[:-1]:  # the last line is the row count
        bar = "+" if set(line) <= {"-", "+"} else "|"
        found.add(tuple(cell_len(line[:i]) for i, ch in enumerate(line) if ch == bar))
    return found


# --- numbers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    (1234567.0, "1234567"),            # was 1.23457e+06
    (48.50694444444444, "48.50694444444444"),  # was 48.5069
    (0.1 + 0.2, "0.30000000000000004"),
    (17889.0, "17889"),
    (-3.5, "-3.5"),
    (1.5e-5, "0.000015"),
    (1.2345678901234567e20, "123456789012345670000"),
    (1e22, "1e+22"),                   # beyond ordinary magnitudes, the exponent stays
    (1e-7, "1e-07"),
    (0.0, "0"),
    (float("nan"), "nan"),
    (float("-inf"), "-inf"),
    (12345678901234567890, "12345678901234567890"),
    (Decimal("12.50"), "12.50"),       # DECIMAL keeps its scale
    (Decimal("1E+3"), "1000"),
    (True, "true"),                    # booleans as SQL writes them
    (False, "false"),
])
def test_numbers_are_written_exactly(value, text):
    assert number_text(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_float_reads_back_exactly_and_ordinary_ones_have_no_exponent(value):
    text = number_text(value)
    assert float(text) == value
    if value == 0 or 1e-6 <= abs(value) < 1e21:
        assert "e" not in text
        assert not text.endswith(".0")
    if value == int(value) and abs(value) < 1e21:
        assert "." not in text


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_a_real_is_the_shortest_text_that_reads_back_at_single_precision(value):
    widened = struct.unpack("f", struct.pack("f", value))[0]  # as DuckDB hands a FLOAT to Python
    text = number_text(Real(widened))
    assert float(text) == float(str(numpy.float32(widened)))  # numpy's float32 repr: the shortest (Dragon4)


@pytest.mark.parametrize("blob, text", [
    (bytes([0xAB, 0x01]) + b"ab\\c'\"~ " + bytes([0x7F]), None),  # DuckDB's own cast is the reference
    (b"", ""),
])
def test_a_blob_is_written_as_duckdb_writes_it(blob, text):
    expected = duckdb.execute("select ?::blob::varchar", [blob]).fetchone()[0]
    assert blob_text(blob) == expected and (text is None or expected == text)


def test_booleans_blobs_and_reals_print_as_sql_does(loaded_warehouse, capsys):
    query_text = ("select true as yes, false as no, '\\xAB\\x01z'::blob as bytes, 0.1::float as real, "
                  "[0.1::float, 2.5::real] as reals, 0.1::double as double, 16777217::float as big")
    assert main(["sql", "--warehouse", str(loaded_warehouse), query_text]) == 0
    row = [cell.strip() for cell in capsys.readouterr().out.splitlines()[2].split("|")]
    assert row == ["true", "false", "\\xAB\\x01z", "0.1", "[0.1, 2.5]", "0.1", "16777216"]
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--csv", query_text]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "true,false,\\xAB\\x01z,0.1,\"[0.1, 2.5]\",0.1,16777216"


def test_csv_keeps_text_as_stored_and_the_table_shows_it_as_nfc(loaded_warehouse, capsys):
    stored = unicodedata.normalize("NFD", "Thông Nông")
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--csv", f"select '{stored}' as name"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == stored  # CSV is data: not normalised
    assert main(["sql", "--warehouse", str(loaded_warehouse), f"select '{stored}' as name"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == unicodedata.normalize("NFC", stored)


def test_the_warehouses_figures_are_shown_in_full(loaded_warehouse, capsys):
    """Every non-integer figure of the merged district, in the table and in the CSV, reads back as
    the very float the warehouse holds (no six-digit rounding)."""
    query_text = "select indicator_code, value from merged_district_indicators where value is not null " \
                 "and value <> round(value) order by indicator_code"
    stored = dict(sql(loaded_warehouse, query_text))
    assert len(stored) >= 3  # forest cover and the population-weighted means
    assert main(["sql", "--warehouse", str(loaded_warehouse), query_text]) == 0
    shown = {line.split("|")[0].strip(): line.split("|")[1].strip()
             for line in capsys.readouterr().out.splitlines()[2:-1]}
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--csv", query_text]) == 0
    written = dict(line.split(",") for line in capsys.readouterr().out.splitlines()[1:])
    for code, value in stored.items():
        assert float(shown[code]) == value and float(written[code]) == value, code
        assert "e" not in shown[code] + written[code]


# --- widths --------------------------------------------------------------------------------------

def test_nfd_and_nfc_text_and_wide_characters_line_up():
    rows = [("Tổng sản lượng lương thực có hạt", 17889.0),
            (nfd("Tỷ lệ che phủ rừng"), 48.5),
            ("中文 wide", None),
            (nfd("Số hộ được công nhận gia đình văn hoá"), 1)]
    table = format_table(["row_label", "value"], rows)
    assert len(separator_columns(table)) == 1, table
    assert table == unicodedata.normalize("NFC", table)  # NFD is shown as NFC
    assert format_table(["row_label", "value"], [tuple(nfd(v) for v in row) for row in rows]) == table


def test_the_warehouses_labels_line_up_in_nfc_and_in_nfd(loaded_warehouse):
    columns, rows, _, _ = query(loaded_warehouse, "select row_label, unit, actual_value, source_district "
                                               "from indicator_results order by source_district, source_row")
    assert any(unicodedata.normalize("NFD", r[0]) != r[0] for r in rows)  # Vietnamese with marks
    table = format_table(columns, rows)
    assert len(separator_columns(table)) == 1
    assert format_table(columns, [tuple(nfd(v) for v in row) for row in rows]) == table


@pytest.mark.parametrize("text, width, expected", [
    ("short", 10, "short"),
    ("exactly10!", 10, "exactly10!"),
    ("eleven chars", 10, "eleven ch" + ELLIPSIS),
    ("中文中文中文", 6, "中文" + ELLIPSIS),                  # a wide character is never split in half
    ("aq\u0303q\u0303q\u0303", 3, "aq\u0303" + ELLIPSIS),  # a mark stays with its letter
    ("anything at all", 0, "anything at all"),              # 0: never cut
])
def test_a_long_value_is_cut_by_display_width(text, width, expected):
    assert cut(text, width) == expected
    assert width == 0 or cell_len(cut(text, width)) <= width


def test_max_width_bounds_every_column_and_zero_shows_everything(loaded_warehouse, capsys):
    query_text = "select indicator_code, status_reason from target_attainment where district = 'merged' " \
                 "order by indicator_code"
    reasons = [r[1] for r in sql(loaded_warehouse, query_text)]
    assert max(len(r) for r in reasons) > 100
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--max-width", "30", query_text]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(cell_len(line) <= 30 + 3 + 30 for line in lines)  # two columns of at most 30, and " | "
    assert sum(line.endswith(ELLIPSIS) for line in lines) == sum(len(r) > 30 for r in reasons)
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--max-width", "0", query_text]) == 0
    everything = capsys.readouterr().out
    assert all(reason in everything for reason in reasons) and ELLIPSIS not in everything


def test_numeric_columns_are_right_aligned():
    table = format_table(["n", "label"], [(5, "a"), (12345, "b"), (None, "c")])
    assert table.splitlines()[2:5] == ["    5 | a", "12345 | b", " NULL | c"]


# --- limits --------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, shown, footer", [
    ([], DEFAULT_LIMIT, f"({250 - DEFAULT_LIMIT} more rows not shown; --limit 0 for all)"),
    (["--limit", "7"], 7, "(243 more rows not shown; --limit 0 for all)"),
    (["--limit", "249"], 249, "(1 more row not shown; --limit 0 for all)"),
    (["--limit", "0"], 250, "(250 rows)"),
    (["--limit", "250"], 250, "(250 rows)"),
])
def test_a_table_shows_a_limited_number_of_rows_and_counts_the_rest(loaded_warehouse, options, shown, footer,
                                                                    capsys):
    assert main(["sql", "--warehouse", str(loaded_warehouse), *options, "select i from range(250) t(i)"]) == 0
    lines = capsys.readouterr().out.splitlines()
    width = len(str(shown - 1))  # as wide as the widest number shown
    assert lines[2:-1] == [str(i).rjust(width) for i in range(shown)] and lines[-1] == footer


def test_csv_writes_every_row_unless_limited(loaded_warehouse, capsys):
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--csv", "select i from range(250) t(i)"]) == 0
    printed = capsys.readouterr()
    # UTF-8 with a byte-order mark first, so that Excel on Windows reads Vietnamese right (the exports have one)
    assert printed.out.splitlines() == ["\ufeffi"] + [str(i) for i in range(250)] and printed.err == ""
    assert main(["sql", "--warehouse", str(loaded_warehouse), "--csv", "--limit", "10",
                 "select i from range(250) t(i)"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == ["\ufeffi"] + [str(i) for i in range(10)]
    assert printed.err == "haquang sql: 240 more rows not written; --limit 0 for all\n"


@pytest.mark.parametrize("option", ["--limit", "--max-width"])
@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_bad_limit_or_width_is_bad_usage(loaded_warehouse, option, value, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["sql", "--warehouse", str(loaded_warehouse), option, value, "select 1"])
    assert raised.value.code == 2 and option in capsys.readouterr().err


# --- the real entry point ------------------------------------------------------------------------

def run_haquang(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(HAQUANG), "sql", "--warehouse", str(warehouse), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("query_text, says", [
    ("", "haquang sql: refused: the query is empty"),
    ("  -- nothing but a comment", "haquang sql: refused: the query is empty"),
    ("select from where", "haquang sql: Parser Error: syntax error"),
    ("selec * from indicator_results", "haquang sql: Parser Error: syntax error at or near \"selec\""),
    ("select nope from indicator_results", "haquang sql: Binder Error"),
    ("select * from indicator_results where", "haquang sql: Parser Error"),
])
def test_empty_or_broken_sql_says_why_in_one_line_and_where_under_it(loaded_warehouse, query_text, says):
    done = run_haquang(loaded_warehouse, query_text)
    assert done.returncode == 2 and done.stdout == ""
    why, *where = done.stderr.splitlines()
    assert why.startswith(says), done.stderr
    if where:  # DuckDB's drawing of the place: the query's line, and carets under the word it stopped at
        line, carets = where
        assert line == f"  LINE 1: {query_text}" and set(carets.strip()) == {"^"}, done.stderr
        assert 0 <= carets.index("^") - len("  LINE 1: ") < len(query_text)
    assert where or query_text.strip() in ("", "-- nothing but a comment")  # DuckDB places every error here


@pytest.mark.parametrize("query_text", [
    "insert into indicator_results (source_file) values ('x')",  # a view: DuckDB's own words were a binder error
    "update landing_load_runs set status = 'x'",
    "drop view dq_issues",
])
def test_a_write_says_the_warehouse_is_read_only_and_where_writes_come_from(loaded_warehouse, query_text):
    done = run_haquang(loaded_warehouse, query_text)
    assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1
    line = done.stderr
    assert line.startswith("haquang sql: refused: the warehouse is read-only: ")
    assert "opens it read-only" in line and "`haquang load`" in line and "Error" not in line


@pytest.mark.parametrize("options", [["--csv"], ["--limit", "0"], []])
def test_output_cut_short_by_head_ends_quietly(loaded_warehouse, options):
    command = [str(HAQUANG), "sql", "--warehouse", str(loaded_warehouse), *options,
               "select i, 'dòng ' || i as label from range(300000) t(i)"]  # well past a pipe's buffer
    shell = " ".join(shlex.quote(part) for part in command) + ' | head -1; echo "exit=${PIPESTATUS[0]}" >&2'
    done = subprocess.run(["bash", "-c", shell], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[0].replace(" ", "") in ("\ufeffi,label", "i|label")  # CSV: a byte-order mark
    assert done.stderr == "exit=0\n"  # exit 0 as head expects: no traceback, no "Exception ignored"


def test_a_duckdb_file_that_is_not_the_warehouse_is_refused_even_for_select_1(tmp_path):
    """The readers' damage check runs on the query's own connection (one connection, for the start-up
    time): a sound DuckDB file without the landing tables would answer `select 1`, and is refused."""
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("create table t as select 1 as x")
    done = run_haquang(other, "select 1")
    assert done.returncode == 1 and done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert "without the warehouse's landing tables" in done.stderr
    assert f"haquang recover --warehouse {other}" in done.stderr


@pytest.mark.parametrize("args", [
    ["select 1"],
    ["--csv", "select * from indicator_results"],
    ["drop view dq_issues"],
    ["selec 1"],
])
def test_the_sql_path_imports_neither_pandas_nor_prefect(loaded_warehouse, args):
    """The start-up budget (well under 0.5 s): the whole `haquang sql` path, in a fresh process."""
    child = ("import sys, io, contextlib\n"
             "from flows.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
             f"    main(['sql', '--warehouse', {str(loaded_warehouse)!r}, *{args!r}])\n"
             f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", child], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_the_check_of_imports_can_fail():
    """The same child, made to import pandas, reports it: the test above is not vacuous."""
    child = f"import sys, pandas\nprint(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert "pandas" in done.stdout


# --- Harlequin, for interactive work ----------------------------------------------------------------

INIT_SCRIPT = REPO / "deploy" / "harlequin_init.sql"


def run_init_script_as_harlequin_does(con: duckdb.DuckDBPyConnection) -> None:
    """Harlequin's DuckDB adapter cuts the script at every semicolon and fetches each part's result
    (a part that is only a comment has none, and fails its start)."""
    for part in INIT_SCRIPT.read_text(encoding="utf-8").split(";"):
        if part.strip():
            con.execute(part).fetchall()


def test_harlequin_is_an_optional_group_that_make_run_and_make_test_do_not_install():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    groups = project["dependency-groups"]
    assert any(spec.startswith("harlequin") for spec in groups["shell"])
    everyday = project["project"]["dependencies"] + groups["dev"]
    assert not any(spec.startswith("harlequin") for spec in everyday)
    dry = subprocess.run(["make", "-n", "-B", "run", "test"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "uv sync" in dry.stdout and "--group shell" not in dry.stdout and "harlequin" not in dry.stdout
    shell = subprocess.run(["make", "-n", "shell"], cwd=REPO, capture_output=True, text=True, timeout=60)
    opens = [line for line in shell.stdout.splitlines() if "bin/harlequin" in line]
    assert "--group shell" in shell.stdout and len(opens) == 1
    assert "--read-only" in opens[0] and str(INIT_SCRIPT.relative_to(REPO)) in opens[0]


def test_harlequins_start_makes_the_comments_readable_without_writing(loaded_warehouse):
    digest = hashlib.sha256(loaded_warehouse.read_bytes()).hexdigest()
    with duckdb.connect(str(loaded_warehouse), read_only=True) as con:
        run_init_script_as_harlequin_does(con)
        shown = {(r, c): comment for r, kind, c, comment in con.execute("from comments").fetchall()}
        # a mart is a view, or a stored table where its SQL is heavy to plan (`-- materialized: table`)
        stored_views = dict(con.execute("select view_name, comment from duckdb_views() where not internal "
                                        "union all select table_name, comment from duckdb_tables()").fetchall())
        stored_columns = con.execute("select table_name, column_name, comment from duckdb_columns() "
                                     "where table_name = 'indicator_results'").fetchall()
    marts = [path.stem for path in (REPO / "sql" / "marts").glob("*.sql")]
    assert marts and all(shown[(mart, None)] == stored_views[mart] and shown[(mart, None)] for mart in marts)
    assert all(shown[("indicator_results", column)] == comment and comment for _, column, comment in stored_columns)
    assert hashlib.sha256(loaded_warehouse.read_bytes()).hexdigest() == digest


def test_harlequins_start_on_another_warehouse_lists_its_comments(tmp_path):
    """A variant: any DuckDB file with commented views and tables, opened read-only."""
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t (x integer, y varchar)")
        con.execute("comment on column t.x is 'the x'")
        con.execute("create view v as select x from t")
        con.execute("comment on view v is 'only x'")
    with duckdb.connect(str(path), read_only=True) as con:
        run_init_script_as_harlequin_does(con)
        rows = con.execute("from comments").fetchall()
    assert rows == [("t", "table", None, None), ("t", "column", "x", "the x"), ("t", "column", "y", None),
                    ("v", "view", None, "only x"), ("v", "column", "x", None)]
