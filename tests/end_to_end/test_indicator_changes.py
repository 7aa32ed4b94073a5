"""indicator_changes: the figures that changed between consecutive versions, and nothing else.

Each test starts from the session's warehouse of raw/ (load 1), edits workbooks of a copy of
raw/ as a clerk would, and loads again (load 2).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flows.cli import main
from tests.conftest import sql
from tests.layout_variants import Grid

HQ_FILE = "ha_quang/chi_tieu_ktxh_2015_2020.xlsx"
TN_FILE = "thong_nong/chi_tieu_ktxh_2015_2019.xlsx"
GRAIN = "Tổng sản lượng lương thực có hạt"
LABEL, UNIT, TARGET, ACTUAL = 1, 2, 3, 4  # columns of the Hà Quảng table (0-based)
CHANGES = """select change_kind, changed_fields, source_file, row_label, old_load_id, new_load_id,
                    old_source_row, new_source_row, old_actual_value, new_actual_value, old_unit, new_unit
             from indicator_changes order by new_load_id, source_file, coalesce(new_source_row, old_source_row)"""


def second_night(loaded_warehouse: Path, raw: Path, tmp_path: Path, *extra: str) -> Path:
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(loaded_warehouse, warehouse)
    assert main(["load", "--raw", str(raw), "--warehouse", str(warehouse), *extra]) == 0
    return warehouse


def row_index(grid: Grid, label: str) -> int:
    return next(i for i, r in enumerate(grid.cells) if len(r) > LABEL and r[LABEL] == label)


def test_the_first_load_and_a_load_with_nothing_new_change_nothing(loaded_warehouse):
    assert sql(loaded_warehouse, "select count(*) from indicator_results_history")[0][0] == 66
    assert sql(loaded_warehouse, "select count(*) from indicator_changes")[0][0] == 0


def test_one_changed_cell_is_one_change_with_its_old_and_new_value_and_loads(loaded_warehouse, raw_copy, tmp_path):
    grid = Grid.read(raw_copy / HQ_FILE)
    old_text = grid.cells[row_index(grid, GRAIN)][ACTUAL]
    grid.cells[row_index(grid, GRAIN)][ACTUAL] = "18.020"
    grid.write(raw_copy / HQ_FILE)
    warehouse = second_night(loaded_warehouse, raw_copy, tmp_path)
    # the whole file got new versions, and the view finds the one that differs
    assert sql(warehouse, "select count(*) from indicator_results_history where load_id = 2")[0][0] == 44
    assert sql(warehouse, CHANGES) == [
        ("changed", ["actual_value"], HQ_FILE, GRAIN, 1, 2, 13, 13, 17889.0, 18020.0, "tonne", "tonne")]
    assert sql(warehouse, "select old_actual_raw, new_actual_raw, changed_at = (select finished_at from load_runs "
                          "where load_id = 2) from indicator_changes") == [(old_text, "18.020", True)]
    # reading every workbook again with the same figures changes nothing more
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse), "--full"]) == 0
    assert sql(warehouse, "select count(*) from indicator_results_history where load_id = 3")[0][0] == 66
    assert sql(warehouse, "select count(*) from indicator_changes")[0][0] == 1


def test_a_moved_row_is_the_same_figure_and_rows_added_or_removed_say_so(loaded_warehouse, raw_copy, tmp_path):
    grid = Grid.read(raw_copy / HQ_FILE)
    grain_row = row_index(grid, GRAIN)
    grid.cells[grain_row][ACTUAL] = "18.020"
    removed = grid.cells.pop(row_index(grid, "Trồng rừng kinh tế"))
    # a new indicator above the grain row: every row down to the removed one moves one down
    grid.cells.insert(grain_row, [None, "Diện tích lúa nước", "ha", "300", "310", "103"])
    assert all(r0 < grain_row for r0, _, _, _ in grid.merged)  # the header's merges stay where they are
    grid.write(raw_copy / HQ_FILE)
    warehouse = second_night(loaded_warehouse, raw_copy, tmp_path)
    first_night = dict(sql(loaded_warehouse, "select row_label, source_row from indicator_results "
                                             "where source_file = ?", [HQ_FILE]))
    second = dict(sql(warehouse, "select row_label, source_row from indicator_results where source_file = ?",
                      [HQ_FILE]))
    assert sum(second[label] != row for label, row in first_night.items() if label in second) == 5
    assert sql(warehouse, CHANGES) == [
        ("added", [], HQ_FILE, "Diện tích lúa nước", None, 2, None, 13, None, 310.0, None, "hectare"),
        ("changed", ["actual_value"], HQ_FILE, GRAIN, 1, 2, 13, 14, 17889.0, 18020.0, "tonne", "tonne"),
        ("removed", [], HQ_FILE, removed[LABEL], 1, 2, 18, None, 426.1, None, "hectare", None),
    ]


def test_a_unit_changes_in_its_own_column_and_in_the_targets_text(loaded_warehouse, raw_copy, tmp_path):
    grid = Grid.read(raw_copy / HQ_FILE)
    grid.cells[row_index(grid, "Diện tích trồng ngô hàng hoá")][UNIT] = "tấn"
    grid.write(raw_copy / HQ_FILE)
    grid = Grid.read(raw_copy / TN_FILE)  # Thông Nông writes the unit in the target: "05 trường"
    school_row = grid.cells[row_index(grid, "Xây dựng trường đạt chuẩn Quốc gia")]
    school_row[2] = school_row[2].replace("trường", "xã")
    grid.write(raw_copy / TN_FILE)
    warehouse = second_night(loaded_warehouse, raw_copy, tmp_path)
    changes = sql(warehouse, "select source_file, row_label, old_unit, new_unit, list_contains(changed_fields, 'unit'), "
                             "old_actual_value = new_actual_value from indicator_changes order by source_file")
    assert changes == [(HQ_FILE, "Diện tích trồng ngô hàng hoá", "hectare", "tonne", True, True),
                       (TN_FILE, "Xây dựng trường đạt chuẩn Quốc gia", "school", "commune", True, True)]


def test_a_corrected_workbook_under_a_new_name_changes_only_the_corrected_figure(
        loaded_warehouse, raw_copy, tmp_path):
    corrected = "thong_nong/chi_tieu_ktxh_2015_2019_sua.xlsx"
    grid = Grid.read(raw_copy / TN_FILE)
    grid.cells[row_index(grid, "Thu nhập bình quân đầu người")][3] = "21,5"
    grid.write(raw_copy / corrected)
    warehouse = second_night(loaded_warehouse, raw_copy, tmp_path)
    assert sql(warehouse, "select change_kind, changed_fields, old_source_file, new_source_file, old_actual_value, "
                          "new_actual_value from indicator_changes") == [
        ("changed", ["actual_value", "dq_flags"], TN_FILE, corrected, 21.0, 21.5, )]


def test_a_withdrawn_workbook_ends_each_of_its_figures(loaded_warehouse, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(loaded_warehouse, warehouse)
    assert main(["withdraw", TN_FILE, "--warehouse", str(warehouse), "--yes"]) == 0
    assert sql(warehouse, "select change_kind, source_file, old_load_id, new_load_id, count(*), "
                          "count(new_source_file) from indicator_changes group by all") == [
        ("withdrawn", TN_FILE, 1, 2, 22, 0)]


def test_history_follows_load_order_when_the_clock_was_set_back(loaded_warehouse, tmp_path):
    """Hand-made: the first load's figures replaced by a second load recorded as finishing a day earlier (a
    clock set back). Every version's interval still ends after it starts, and an as-of query finds one."""
    from flows.warehouse import connection, model_build

    copy = tmp_path / "clock.duckdb"
    shutil.copyfile(loaded_warehouse, copy)
    with connection.connect(copy) as con:
        con.execute("insert into landing_load_runs by name select * replace (2 as load_id, "
                    "finished_at - interval 1 day as finished_at, started_at - interval 1 day as started_at) "
                    "from landing_load_runs where load_id = 1")
        for table in ("landing_load_files", "landing_indicator_rows", "landing_dq_findings"):
            con.execute(f"insert into {table} by name select * replace (2 as load_id) from {table} where load_id = 1")
        model_build.build_views(con)
        inverted = con.execute("select count(*) from indicator_results_history where valid_to < valid_from").fetchone()
        first_end = con.execute("select finished_at from load_runs where load_id = 1").fetchone()[0]
        as_of = con.execute("select count(*) from indicator_results_history where valid_from <= ? "
                            "and (valid_to is null or valid_to > ?)", [first_end, first_end]).fetchone()
    assert inverted == (0,) and as_of == (66,)
