"""`python -m bench.synth --workbooks N --out DIR`: a deterministic corpus of commune workbooks for load and scale tests.

Each workbook is one commune's monthly report, in its former district's layout, made from the
real tables in raw/ (so every value form the parser meets is there): title lines vary, the
result column is rescaled, a few files carry an extra blank column or numbers typed as number
cells, and a small share is malformed (truncated). Files go to
<out>/<district>/<commune GSO code>/<YYYY-MM>/bao_cao.xlsx.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from flows.ingest.extract import read_workbook
from flows.parse.locate import locate_table
from flows.parse.numbers import NUMBER_PATTERN, format_number, parse_number
from flows.core.text import column_letter
from bench.xlsx_writer import xlsx_bytes
from schemas.catalogues import HERE, districts, layout

MALFORMED_SHARE = 0.005
EXTRA_COLUMN_SHARE = 0.1
NUMBER_CELLS_SHARE = 0.1
FIRST_YEAR = 2016
_YEAR = re.compile(r"năm \d{4}")
# Part of the corpus folder's name: a corpus written by an older version of this module is not reused.
CORPUS_VERSION = 2
_PLAIN = re.compile(rf"^(?:{NUMBER_PATTERN})$")


@dataclass(frozen=True)
class Template:
    district: str
    header: list[list[object]]
    rows: list[list[object]]
    merged: list[str]
    result_column: int
    pct_column: int  # rescaled with the result, so the reported percentage stays true


def communes_by_district() -> dict[str, list[str]]:
    """Pre-2020 commune codes of each former district, from the reference file."""
    gso = {row["gso_code"]: code for code, row in districts().items()}
    with open(HERE / "reference" / "cao_bang_admin_units.csv", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        found: dict[str, list[str]] = {}
        for row in rows:
            if row["period"] == "pre2020" and row["level"] == "commune" and row["parent_code"] in gso:
                found.setdefault(gso[row["parent_code"]], []).append(row["code"])
    return found


def load_templates(raw_dir: Path) -> list[Template]:
    """The district tables in raw/, split into title, header and body rows."""
    templates = []
    for district in sorted(districts()):
        for path in sorted((raw_dir / district).glob("*.xlsx"))[:1]:
            grid = read_workbook(path.read_bytes())[0]
            where = locate_table(grid, layout())
            header = [list(r) for r in grid.rows[where.header_row:where.data_start]]
            body = [list(r) for r in grid.rows[where.data_start:]]
            merged = [_area(m) for m in grid.merged if m[0][0] >= where.header_row]
            templates.append(Template(district, header, body, merged, where.columns["actual"],
                                      where.columns["reported_pct"]))
    return templates


def _area(merged) -> str:
    (r0, c0), (r1, c1) = merged
    return f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"


def write_corpus(count: int, out: Path, raw_dir: Path, seed: int = 2020) -> list[Path]:
    """count workbooks under out/, the same files for the same seed."""
    rng = random.Random(seed)
    templates = load_templates(raw_dir)
    communes = communes_by_district()
    slots = [(t, commune) for t in templates for commune in communes[t.district]]
    written = []
    for index in range(count):
        template, commune = slots[index % len(slots)]
        month = index // len(slots)
        year, month_number = FIRST_YEAR + month // 12, month % 12 + 1
        path = out / template.district / commune / f"{year}-{month_number:02d}" / "bao_cao.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        content = xlsx_bytes([_sheet(template, commune, year, month_number, rng)])
        if rng.random() < MALFORMED_SHARE:
            content = content[: len(content) // 2]  # a copy that never finished
        path.write_bytes(content)
        written.append(path)
    return written


def _sheet(template: Template, commune: str, year: int, month: int, rng: random.Random):
    factor = rng.uniform(0.8, 1.2)
    numbers_as_cells = rng.random() < NUMBER_CELLS_SHARE
    title = [["Báo cáo kết quả thực hiện chỉ tiêu kinh tế - xã hội"],
             [f"Xã {commune}, tháng {month:02d} năm {year} (số liệu tính đến hết tháng {month:02d}/{year})"]]
    title = title[: rng.randint(0, 2)] + [[]]
    rows = [_rescaled_row(row, template, factor, numbers_as_cells) for row in template.rows]
    # the header's own year is the report's ("Ước thực hiện đến hết năm 2020" in a report of 2023 would
    # contradict its month folder, and the loader refuses such a table: period_conflict)
    header = [[_YEAR.sub(f"năm {year}", cell) if isinstance(cell, str) else cell for cell in row]
              for row in template.header]
    grid = title + header + rows
    shift = len(title)
    merged = [_shift(m, shift) for m in template.merged]
    if rng.random() < EXTRA_COLUMN_SHARE:
        grid = [[None] + row for row in grid]
        merged = [_shift(m, 0, 1) for m in merged]
    return "Báo cáo", grid, merged


def _rescaled_row(row: list[object], template: Template, factor: float, numbers_as_cells: bool) -> list[object]:
    """The result rescaled, and the reported percentage with it only when the result was, so a
    percentage that agreed with its figures still does (the anomalies are the template's own)."""
    out = list(row)
    if _rescale(out, template.result_column, factor, numbers_as_cells):
        _rescale(out, template.pct_column, factor, numbers_as_cells)
    return out


def _rescale(row: list[object], column: int, factor: float, numbers_as_cells: bool) -> bool:
    """One plain figure cell rescaled in place, written the way it was (comma decimals, dot thousands)."""
    value = row[column] if column < len(row) else None
    if not (isinstance(value, str) and _PLAIN.match(value.strip()) and (token := parse_number(value))
            and not token.ambiguity):
        return False
    decimals = len(value.split(",")[1]) if "," in value else 0
    scaled = round(token.candidates[0] * factor, decimals)
    row[column] = scaled if numbers_as_cells else format_number(scaled)
    return True


def _shift(area: str, rows: int, cols: int = 0) -> str:
    def move(ref: str) -> str:
        letters, number = re.match(r"([A-Z]+)(\d+)", ref).groups()
        index = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(letters))) - 1
        return f"{column_letter(index + cols)}{int(number) + rows}"

    return ":".join(move(ref) for ref in area.split(":"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, required=True, help="how many workbooks")
    parser.add_argument("--out", type=Path, required=True, help="folder to write raw/<district>/... into")
    parser.add_argument("--seed", type=int, default=2020, help="the same seed writes the same files")
    parser.add_argument("--templates", type=Path, default=Path("raw"), help="raw folder with the district tables")
    args = parser.parse_args(argv)
    written = write_corpus(args.workbooks, args.out, args.templates, args.seed)
    print(f"Wrote {len(written)} workbooks under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
