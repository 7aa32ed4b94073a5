"""A row with figures and no unit anywhere is loaded with a warning that names the blank unit cell and
the unit it is read in (the indicator catalogue's), in Vietnamese and English.

A unit written where the loader reads one (the unit cell, a figure cell such as "90%") is no missing
unit; nor is a row without figures (a qualitative verdict, a heading).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows.orchestration.batch import summarise_batch
from flows.parse.workbook import process_workbook
from schemas.catalogues import indicators, units
from tests.workbooks import write_annual_table

def load(tmp_path: Path, rows: list[list[object]]):
    path = write_annual_table(tmp_path / "ha_quang" / "bao_cao.xlsx", rows, sheet_title="Phụ lục")
    return summarise_batch([process_workbook(path, tmp_path)])


@pytest.mark.parametrize("blank", [None, "", "   ", "\u00a0"])
def test_a_blank_unit_cell_of_a_row_with_figures_is_a_warning_naming_the_catalogue_unit(tmp_path, blank):
    batch = load(tmp_path, [
        [1, "Tổng sản lượng lương thực có hạt", blank, 17000, 17500, 103],  # catalogue unit: tonne
        [2, "Số trâu bò xuất chuồng chưa có trong danh mục", blank, 10, 12, 120],  # not in the catalogue
        [3, "Tỷ lệ hộ dùng điện lưới quốc gia", blank, "95%", "97%", 102],  # the unit is in the figures
        [4, "Đảm bảo an ninh chính trị", blank, "Đảm bảo", "Đảm bảo", "Đạt"],  # no figures
    ])

    missing = batch.findings[batch.findings["check_name"] == "missing_unit"]
    assert sorted(zip(missing.source_row, missing.source_column, missing.severity)) == [
        (3, "C", "warning"), (4, "C", "warning")]
    by_row = missing.set_index("source_row")
    tonne = units()[indicators()["grain_output"]["unit"]]
    assert tonne.name_vi in by_row.loc[3, "detail_vi"] and tonne.name_en in by_row.loc[3, "message"]
    assert "danh mục" in by_row.loc[4, "detail_vi"]  # not in the catalogue, so no unit is named
    rows = batch.rows.set_index("source_row")
    assert list(rows.index) == [3, 4, 5, 6]  # every row still loads, with its figures
    assert rows.loc[3, "actual_value"] == 17500 and pd.isna(rows.loc[3, "unit"])


def test_a_written_unit_is_no_missing_unit(tmp_path):
    batch = load(tmp_path, [[1, "Tổng sản lượng lương thực có hạt", "tấn", 17000, 17500, 103]])
    assert "missing_unit" not in set(batch.findings["check_name"])
