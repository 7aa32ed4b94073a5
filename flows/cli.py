"""`haquang`: load the warehouse, or query it read-only.

    haquang load [--raw DIR] [--warehouse FILE]
    haquang sql [--warehouse FILE] [--csv] "QUERY"

Exit status: 0 loaded (warnings allowed), 1 something was rejected or failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse/haquang.duckdb")

# This machine has no internet: keep Prefect from phoning home and from chatting on stdout.
_QUIET_PREFECT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "load":
        return _load(args.raw, args.warehouse)
    return _sql(args.warehouse, args.query, args.csv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haquang", description="Hà Quảng district indicator warehouse")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load raw/ workbooks into the warehouse (Prefect flow)")
    load.add_argument("--raw", type=Path, default=DEFAULT_RAW_DIR, help="folder of incoming workbooks (raw/)")
    load.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to publish")
    sql = commands.add_parser("sql", help="run one read-only SQL query against the warehouse")
    sql.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to query")
    sql.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sql.add_argument("query", help="the SQL query, in quotes")
    return parser


def _load(raw_dir: Path, warehouse: Path) -> int:
    if not raw_dir.is_dir():
        print(f"haquang load: raw folder {raw_dir} does not exist", file=sys.stderr)
        return 2
    for name, value in _QUIET_PREFECT.items():
        os.environ.setdefault(name, value)
    from flows.load_flow import load_warehouse, summary_markdown  # Prefect reads its settings at import

    try:
        summary = load_warehouse(raw_dir=raw_dir, warehouse=warehouse)
    except Exception as exc:  # the flow failed as a whole: the published warehouse is unchanged
        print(f"haquang load: the load failed and nothing was published ({type(exc).__name__}: {exc})",
              file=sys.stderr)
        return 1
    print(summary_markdown(summary))
    return summary.exit_code


def _sql(warehouse: Path, query: str, as_csv: bool) -> int:
    import duckdb

    from flows.warehouse import query as run_query

    if not warehouse.exists():
        print(f"haquang sql: no warehouse at {warehouse}; run `haquang load` first", file=sys.stderr)
        return 2
    try:
        columns, rows = run_query(warehouse, query)
    except duckdb.Error as exc:
        print(f"haquang sql: {exc}", file=sys.stderr)
        return 2
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print(format_table(columns, rows))
    return 0


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """A plain aligned text table, NULL shown as NULL, with the row count below."""
    cells = [[_show(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda values: " | ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    out = [line(columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _show(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value).replace("\n", " ")


if __name__ == "__main__":
    sys.exit(main())
