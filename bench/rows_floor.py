"""The row reading of a batch, row by row and column-wise, against what any reading must pay.

    .venv/bin/python bench/rows_floor.py DIR [N]

Takes the first N (default 250) workbooks under DIR, guards, reads and locates their tables
once, then times on the same tables, best of three rounds, per workbook:
  row by row      flows.parse.rows.parse_table, the reference: every row with the full judgement;
  column-wise     flows.parse.table_columns.read_tables, as the loader reads a batch: records
                  (as a frame) and findings;
  gather          each table's value cells gathered into one column per role for the whole
                  batch: the Python any column-wise reading keeps, since python-calamine hands
                  back rows of Python objects;
  gather + read   that, plus every distinct text of the figure columns read once
                  (read_text_shared) and its kind and first number spread back over the rows
                  with pandas: a column-wise reading without its rules.
The share of rows that need judgement (read row by row even column-wise) is printed too.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from flows.ingest.extract import read_workbook  # noqa: E402
from flows.ingest.fingerprint import fingerprint_files  # noqa: E402
from flows.ingest.guard import SheetFacts, inspect_workbook  # noqa: E402
from flows.parse.locate import HeaderError, locate_table  # noqa: E402
from flows.parse import table_columns  # noqa: E402
from flows.parse.rows import TableContext, parse_table  # noqa: E402
from flows.parse.rows import cell_text  # noqa: E402
from flows.parse.values import read_text_shared  # noqa: E402
from flows.parse.workbook import table_period  # noqa: E402
from schemas.catalogues import layout  # noqa: E402

FIGURE_ROLES = ("target", "actual", "reported_pct")


def located_tables(raw: Path, count: int) -> tuple[int, list[TableContext]]:
    files = fingerprint_files(raw)[:count]
    tables = []
    for seen in files:
        try:
            content = seen.path.read_bytes()
            facts, sheets = inspect_workbook(content), read_workbook(content)
        except Exception:  # a file the load rejects (damaged, unsafe, unreadable) has no table to time
            continue
        for sheet in sheets:
            try:
                location = locate_table(sheet, layout())
            except HeaderError:
                continue
            if location is not None:
                tables.append(TableContext(seen.source_district or "", seen.source_file, sheet, location,
                                           table_period(location), facts.get(sheet.name, SheetFacts())))
    return len(files), tables


def row_by_row(tables: list[TableContext]) -> None:
    for ctx in tables:
        parse_table(ctx)


def column_wise(tables: list[TableContext]) -> None:
    table_columns.read_tables(tables)


def gather(tables: list[TableContext]) -> dict[str, list]:
    roles = {role for ctx in tables for role in ctx.location.columns}
    columns: dict[str, list] = {role: [] for role in roles}
    for ctx in tables:
        rows = ctx.sheet.rows[ctx.location.data_start:]
        for role in roles:
            column = ctx.location.columns.get(role)
            columns[role].extend([None] * len(rows) if column is None else
                                 [row[column] if column < len(row) else None for row in rows])
    return columns


def gather_and_read(tables: list[TableContext]) -> dict:
    frame = pd.DataFrame(gather(tables))
    read = {}
    for role in FIGURE_ROLES:
        if role in frame:
            codes, texts = pd.factorize(frame[role].map(cell_text))
            readings = [read_text_shared(text) for text in texts]
            kinds = pd.Series([r.kind if r else None for r in readings], dtype="string")
            first = pd.Series([r.numbers[0].candidates[0] if r and r.numbers else None for r in readings],
                              dtype="float64")
            read[role] = (kinds.take(codes).to_numpy(), first.take(codes).to_numpy())
    return read


def judged_share(tables: list[TableContext]) -> tuple[int, int]:
    """(rows read with judgement, records) of one column-wise reading."""
    judged, read_row = [], table_columns.read_row
    table_columns.read_row = lambda *args: judged.append(1) or read_row(*args)
    try:
        records = len(table_columns.read_tables(tables).rows)
        return len(judged), records
    finally:
        table_columns.read_row = read_row


def main() -> int:
    raw, count = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 250
    workbooks, tables = located_tables(raw, count)
    judged, records = judged_share(tables)
    print(f"{workbooks} workbooks, {len(tables)} tables, {records} records, {judged} read with judgement")
    for name, step in (("row by row", row_by_row), ("column-wise", column_wise), ("gather", gather),
                       ("gather + read", gather_and_read)):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            step(tables)
            best = min(best, time.perf_counter() - started)
        print(f"{name:14s} {best / workbooks * 1000:.3f} ms a workbook (best of 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
