"""Every layout variation of a raw table gives the same facts as the table itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.parse.workbook import process_workbook
from tests.conftest import RAW
from tests.layout_variants import (
    Grid,
    with_blank_column,
    with_columns_reversed,
    with_nfd_text,
    with_numeric_cells,
    with_title_lines,
    stacked,
    with_header_repeated_midway,
    with_unrecognisable_header,
    without_merges,
)

RAW_FILES = sorted(RAW.glob("*/*.xlsx"))
FACT_FIELDS = ("row_label", "parent_label", "row_kind", "unit", "target_low", "target_high", "actual_value",
               "reported_pct", "period_end", "is_estimate")


def facts(path: Path, raw_dir: Path) -> list[tuple]:
    result = process_workbook(path, raw_dir)
    assert result.loaded, [f.message for f in result.findings]
    return [tuple(r[f] for f in FACT_FIELDS) for r in result.records]


def finding_kinds(path: Path, raw_dir: Path) -> list[tuple[str, str]]:
    return sorted((f.check_name, f.severity) for f in process_workbook(path, raw_dir).findings)


VARIANTS = {
    "title lines above": (with_title_lines, None),
    "cover sheet before": (lambda g: g, ["BÁO CÁO", "Ủy ban nhân dân huyện", "Tháng 6 năm 2020"]),
    "blank column at the left": (lambda g: with_blank_column(g, 0), None),
    "blank column in the middle": (lambda g: with_blank_column(g, 3), None),
    "columns in reverse order": (with_columns_reversed, None),
    "header cells not merged": (without_merges, None),
    "numbers typed as number cells": (with_numeric_cells, None),
    "NFD Unicode text": (with_nfd_text, None),
    "header repeated midway, as printed pages": (with_header_repeated_midway, None),
}


@pytest.mark.parametrize("source", RAW_FILES, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("variant", VARIANTS, ids=str)
def test_variant_gives_same_facts(tmp_path, source, variant):
    transform, cover = VARIANTS[variant]
    district = source.parent.name
    written = transform(Grid.read(source)).write(tmp_path / district / source.name, cover=cover)
    assert facts(written, tmp_path) == facts(source, RAW)
    assert finding_kinds(written, tmp_path) == finding_kinds(source, RAW)


def test_numeric_cells_still_keep_ambiguous_text_flagged(tmp_path):
    source = RAW / "ha_quang" / RAW_FILES[0].name
    written = with_numeric_cells(Grid.read(source)).write(tmp_path / "ha_quang" / source.name)
    result = process_workbook(written, tmp_path)
    grain = next(r for r in result.records if r["row_label"] == "Tổng sản lượng lương thực có hạt")
    assert grain["actual_raw"] == "17889"  # now a number cell
    assert grain["target_raw"] == "17.68"  # still text, still ambiguous
    assert any(f.check_name == "ambiguous_number" and f.source_row == grain["source_row"] for f in result.findings)


@pytest.mark.parametrize("source", RAW_FILES, ids=lambda p: p.parent.name)
def test_unrecognisable_header_is_rejected_with_a_clear_message(tmp_path, source):
    district = source.parent.name
    written = with_unrecognisable_header(Grid.read(source)).write(tmp_path / district / source.name)
    result = process_workbook(written, tmp_path)
    assert not result.loaded and result.records == []
    errors = [f for f in result.findings if f.severity == "error"]
    assert errors and errors[0].check_name == "header_not_recognised"
    assert errors[0].source_sheet == Grid.read(source).name
    assert "Thực hiện" in errors[0].message and "row " in errors[0].message


def test_sheet_without_any_table_rejects_the_workbook(tmp_path):
    written = Grid("Trống", [["Ghi chép"], ["không có bảng"]]).write(tmp_path / "ha_quang" / "empty.xlsx")
    result = process_workbook(written, tmp_path)
    assert not result.loaded
    assert [f.check_name for f in result.findings] == ["header_not_found"]


def _retitled(grid: Grid, words: dict[str, str]) -> Grid:
    """The table of another year: words of its title and header replaced (the figures stay: a test needs no more)."""
    header = grid.header_row() + 2  # the two header rows at most

    def retitled(text: str) -> str:
        for old, new in words.items():
            text = text.replace(old, new)
        return text
    cells = [[retitled(v) if isinstance(v, str) and i < header else v for v in row] for i, row in enumerate(grid.cells)]
    return Grid(grid.name, cells, grid.merged)


@pytest.mark.parametrize("source", RAW_FILES, ids=lambda p: p.parent.name)
def test_a_second_table_below_the_first_is_read_with_its_own_columns(tmp_path, source):
    """The same district's table of another year pasted below, its columns in another order: each row must
    come out as it does when its table is alone on the sheet, with its own period, and no header loads as a row."""
    district, top = source.parent.name, Grid.read(source)
    below = with_columns_reversed(_retitled(top, {"2015- 2020": "2015- 2018", "năm 2020": "năm 2018",
                                                   "năm 2019": "năm 2018"}))
    alone_top = top.write(tmp_path / "alone" / district / "top.xlsx")
    alone_below = below.write(tmp_path / "alone" / district / "below.xlsx")
    both = stacked(top, below).write(tmp_path / "both" / district / "both.xlsx")
    assert facts(both, tmp_path / "both") == facts(alone_top, tmp_path / "alone") + \
        facts(alone_below, tmp_path / "alone")
    assert finding_kinds(both, tmp_path / "both") == sorted(
        finding_kinds(alone_top, tmp_path / "alone") + finding_kinds(alone_below, tmp_path / "alone"))


def test_an_untrusted_header_below_a_table_ends_it_and_its_rows_are_not_loaded(tmp_path):
    ha_quang, thong_nong = (Grid.read(p) for p in RAW_FILES)
    below = with_unrecognisable_header(thong_nong)
    both = stacked(ha_quang, below).write(tmp_path / "ha_quang" / "both.xlsx")
    alone = ha_quang.write(tmp_path / "alone" / "ha_quang" / "top.xlsx")
    assert facts(both, tmp_path) == facts(alone, tmp_path / "alone")
    header_row = len(ha_quang.cells) + 1 + below.header_row() + 1  # 1-based, after one blank row
    refused = [f for f in process_workbook(both, tmp_path).findings if f.check_name == "header_not_recognised"]
    assert [(f.severity, f.source_row) for f in refused] == [("error", header_row)]
    assert f"row {header_row} down were not loaded" in refused[0].message and "Thực hiện" in refused[0].message
