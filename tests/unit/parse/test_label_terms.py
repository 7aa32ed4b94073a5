"""A row's label finishes what its cells say: a bound word before the target's number, and
per-unit words ("/ha", "/năm", "đầu người", "mỗi năm") the unit column lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.parse.label_terms import bound_in_label, unit_in_label
from flows.parse.values import read_text
from flows.parse.workbook import process_workbook
from tests.conftest import RAW
from tests.layout_variants import Grid

HQ_FILE = RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx"
TN_FILE = RAW / "thong_nong" / "chi_tieu_ktxh_2015_2019.xlsx"


def rows_by_label(path: Path, raw_dir: Path) -> dict[str, dict]:
    result = process_workbook(path, raw_dir)
    assert result.loaded, [f.message for f in result.findings]
    return {r["row_label"]: r for r in result.records}


def target_findings(path: Path, raw_dir: Path, source_row: int) -> list[str]:
    """Findings on a row's target cell (column D in the Hà Quảng table)."""
    return [f.check_name for f in process_workbook(path, raw_dir).findings
            if f.source_row == source_row and f.source_column == "D"]


def relabel(source: Path, tmp_path: Path, changes: dict[str, tuple[str, object | None]]) -> Path:
    """The committed workbook with some rows' label (and, when given, unit cell) rewritten."""
    grid = Grid.read(source)
    header = grid.cells[grid.header_row()]
    unit_col = next(i for i, v in enumerate(header)
                    if isinstance(v, str) and v.strip().lower() in ("đvt", "đơn vị tính"))
    found = set()
    for row in grid.cells:
        for col, value in enumerate(row):
            if isinstance(value, str) and value.strip() in changes:
                label, unit = changes[value.strip()]
                row[col] = label
                if unit is not None:
                    row[unit_col] = unit
                found.add(value.strip())
    assert found == set(changes), set(changes) - found
    return grid.write(tmp_path / source.parent.name / source.name)


# --- bound words -------------------------------------------------------------------------------

def test_raw_rows_whose_label_ends_with_tren_are_at_least_targets():
    rows = rows_by_label(HQ_FILE, RAW)
    for label, low in [("Thu ngân sách trên địa bàn mỗi năm tăng trên", 10),
                       ("Giảm tỷ lệ hộ nghèo mỗi năm trên", 4),
                       ("Tập huấn, đào tạo nghề mỗi năm trên", 800)]:
        row = rows[label]
        assert (row["target_raw"], row["target_kind"], row["target_low"], row["target_high"]) == (
            str(low), "at_least", low, None)
        assert row["target_note"] == "bound stated in the label: 'trên'"
        assert target_findings(HQ_FILE, RAW, row["source_row"]) == []  # what the source says: nothing to fix


def test_raw_bound_words_that_qualify_the_name_leave_the_target_exact():
    rows = rows_by_label(HQ_FILE, RAW)
    # "HTTNV trở lên": party cells rated 'completing tasks well' or better; 80 % of them, exactly
    assert (rows["Số cơ sở đảng HTTNV trở lên"]["target_kind"], rows["Số cơ sở đảng HTTNV trở lên"]["target_high"]) \
        == ("exact", 80)
    # "trên địa bàn" (in the district) is no bound; the bound is only the label's last word
    tn = rows_by_label(TN_FILE, RAW)["Thu ngân sách trên địa bàn bình quân mỗi năm"]
    assert (tn["target_kind"], tn["target_note"]) == ("exact", None)


def test_variant_labels_that_repeat_the_target_number_bound_it(tmp_path):
    written = relabel(HQ_FILE, tmp_path, {
        "Thu ngân sách trên địa bàn mỗi năm tăng trên": ("Thu ngân sách trên địa bàn mỗi năm tăng trên 10 %", None),
        "Giảm tỷ lệ hộ nghèo mỗi năm trên": ("Tỷ lệ hộ nghèo giảm mỗi năm không quá 4%", None),
        "Tập huấn, đào tạo nghề mỗi năm trên": ("Tập huấn, đào tạo nghề mỗi năm 800 người trở lên", None),
        "Trồng rừng kinh tế": ("Trồng rừng kinh tế tối thiểu 500 ha", None),
        # another number, or the same number in another unit, says nothing about this target
        "- Tổng đàn bò mỗi năm tăng": ("- Tổng đàn bò mỗi năm tăng trên 6 %", None),
        "- Tổng đàn trâu mỗi năm tăng": ("- Tổng đàn trâu mỗi năm tăng trên 4 con", None),
    })
    rows = {r["source_row"]: r for r in process_workbook(written, tmp_path).records}
    kinds = {row: (rows[row]["target_kind"], rows[row]["target_low"], rows[row]["target_high"])
             for row in (24, 25, 26, 18, 21, 22)}
    assert kinds == {24: ("at_least", 10, None), 25: ("at_most", None, 4), 26: ("at_least", 800, None),
                     18: ("at_least", 500, None), 21: ("exact", 5, 5), 22: ("exact", 4, 4)}
    assert rows[25]["target_note"] == "bound stated in the label: 'không quá 4%'"
    assert rows[26]["target_note"] == "bound stated in the label: '800 người trở lên'"


@pytest.mark.parametrize(("label", "target", "unit", "expected"), [
    ("Tăng trên", "10", "percent", "at_least"),
    ("Tăng trên", "> 10", "percent", None),  # the cell states its own bound
    ("Tăng trên", "8-10", "percent", None),  # a range is already what it is
    ("Tỷ lệ hộ nghèo dưới", "5%", "percent", "at_most"),
    ("Nâng độ che phủ rừng lên", "49", "percent", None),
    ("Nâng độ che phủ rừng từ", "49", "percent", None),  # "từ 45 % lên 49 %": where a change starts
    ("Số hộ tăng trên 1.500 hộ", "1500", "household", "at_least"),
    ("Số hộ tăng trên 1.500 hộ", "1500", "person", None),
])
def test_bound_in_label(label, target, unit, expected):
    bound = bound_in_label(label, read_text(target), unit)
    assert (bound.kind if bound else None) == expected


# --- units stated in the label ----------------------------------------------------------------

def test_raw_rows_whose_label_states_the_per_unit_get_that_unit():
    rows = rows_by_label(HQ_FILE, RAW)
    units = {label: (rows[label]["unit_raw"], rows[label]["unit"]) for label in (
        "Thu nhập bình quân đầu người/năm", "Giá trị sản xuất nông nghiệp/ha", "- Vùng thấp", "- Vùng cao",
        "- Xây dựng nhà văn hoá mỗi năm", "Kết nạp đảng viên mỗi năm",
        "Tốc độ tăng trưởng kinh tế bình quân mỗi năm", "Số hộ đạt gia đình văn hoá mỗi năm")}
    assert units == {
        "Thu nhập bình quân đầu người/năm": ("triệu đồng", "million_vnd_per_person_per_year"),
        "Giá trị sản xuất nông nghiệp/ha": ("triệu đồng", "million_vnd_per_ha"),
        "- Vùng thấp": ("triệu đồng", "million_vnd_per_ha"),  # under the "/ha" row
        "- Vùng cao": ("triệu đồng", "million_vnd_per_ha"),
        "- Xây dựng nhà văn hoá mỗi năm": ("nhà", "house_per_year"),
        "Kết nạp đảng viên mỗi năm": ("đảng viên", "party_member_per_year"),
        # "mỗi năm" beside a bare % is a yearly rate here and a share reached each year below:
        # the label cannot tell, so the % stays (harmonised_results completes it per indicator)
        "Tốc độ tăng trưởng kinh tế bình quân mỗi năm": ("%", "percent"),
        "Số hộ đạt gia đình văn hoá mỗi năm": ("%", "percent"),
    }
    tn = rows_by_label(TN_FILE, RAW)["Thu nhập bình quân đầu người"]
    # the target said per year, the label per head
    assert (tn["unit_raw"], tn["unit"]) == ("triệu đồng/năm", "million_vnd_per_person_per_year")


def test_variant_labels_complete_the_unit_column(tmp_path):
    written = relabel(HQ_FILE, tmp_path, {
        "Thu nhập bình quân đầu người/năm": ("Thu nhập bình quân hằng năm", None),
        "Giá trị sản xuất nông nghiệp/ha": ("Giá trị sản xuất trên 1 ha đất nông nghiệp mỗi năm", None),
        "Trồng rừng kinh tế": ("Trồng rừng kinh tế mỗi năm", None),  # hectares per year: no such unit
        "Kết nạp đảng viên mỗi năm": ("Kết nạp đảng viên/năm", "đảng viên/năm"),  # the unit cell has it
    })
    result = process_workbook(written, tmp_path)
    rows = {r["source_row"]: r for r in result.records}
    # per hectare and per year together, and hectares per year: the catalogue has no such unit, so
    # the reported unit stays and a finding says why (the sub-rows read their parent's label)
    assert {row: rows[row]["unit"] for row in (9, 10, 11, 18, 49)} == {
        9: "million_vnd_per_year", 10: "million_vnd", 11: "million_vnd", 18: "hectare",
        49: "party_member_per_year"}
    unknown = {f.source_row for f in result.findings if f.check_name == "unit_dimension_unknown"}
    assert {10, 11, 18} <= unknown and not unknown & {9, 49}


def test_variant_each_per_unit_word_adds_its_own_dimension(tmp_path):
    written = relabel(HQ_FILE, tmp_path, {
        "Thu nhập bình quân đầu người/năm": ("Thu nhập bình quân/người", None),
        "Diện tích trồng ngô hàng hoá": ("Diện tích trồng ngô hàng hoá/năm", None),
    })
    result = process_workbook(written, tmp_path)
    rows = {r["row_label"]: r for r in result.records}
    assert rows["Thu nhập bình quân/người"]["unit"] == "million_vnd_per_person"  # per person is not per year
    assert rows["Diện tích trồng ngô hàng hoá/năm"]["unit"] == "hectare"
    assert [f.check_name for f in result.findings if f.source_row == rows["Diện tích trồng ngô hàng hoá/năm"]
            ["source_row"] and f.check_name == "unit_dimension_unknown"] == ["unit_dimension_unknown"]


@pytest.mark.parametrize(("labels", "unit", "expected"), [
    (("Thu nhập bình quân đầu người/năm",), "million_vnd", "million_vnd_per_person_per_year"),
    (("Thu nhập bình quân đầu người",), "million_vnd_per_year", "million_vnd_per_person_per_year"),
    (("Thu nhập bình quân hàng năm",), "million_vnd", "million_vnd_per_year"),
    (("Tập huấn, đào tạo nghề mỗi năm trên 800 người",), "person", "person_per_year"),
    (("Số hộ đạt gia đình văn hoá mỗi năm",), "percent", None),  # a share reached each year
])
def test_unit_in_label_composes_dimensions(labels, unit, expected):
    found = unit_in_label(labels, unit)
    assert (found.unit if found else None) == expected and (found is None or found.missing is None)


def test_raw_per_head_income_and_yearly_trainees():
    rows = rows_by_label(TN_FILE, RAW)
    income = next(r for label, r in rows.items() if "đầu người" in label)
    assert income["unit"] == "million_vnd_per_person_per_year"
    trainees = next(r for label, r in rows_by_label(HQ_FILE, RAW).items() if "đào tạo nghề mỗi năm" in label)
    assert trainees["unit"] == "person_per_year"


# --- strict and inclusive bounds ---------------------------------------------------------------

@pytest.mark.parametrize(("label", "target", "expected"), [
    ("Thu ngân sách mỗi năm tăng trên", "10", ("at_least", True)),
    ("Số xã đạt chuẩn tối thiểu", "5", ("at_least", False)),
    ("Tỷ lệ hộ nghèo dưới", "2", ("at_most", True)),
    ("Tỷ lệ hộ nghèo không quá", "2", ("at_most", False)),
    ("Đào tạo nghề 800 người trở lên", "800", ("at_least", False)),
])
def test_label_bounds_say_whether_they_are_strict(label, target, expected):
    bound = bound_in_label(label, read_text(target), "person" if "người" in label else None)
    assert (bound.kind, bound.strict) == expected


def test_raw_thong_nong_strict_targets_are_recorded():
    rows = {r["source_row"]: r for r in process_workbook(TN_FILE, RAW).records}
    strict = {r["target_raw"]: r["target_strict"] for r in rows.values() if r["target_kind"] in ("at_least", "at_most")}
    assert strict.get("Trên 70%(738)") is True and strict.get(">40 triệu đồng/ha") is True, strict


def test_unit_in_label_needs_whole_words():
    assert unit_in_label(("Sản lượng/hao hụt",), "million_vnd") is None
    assert unit_in_label(("Thu nhập/người",), "million_vnd").unit == "million_vnd_per_person"
    assert unit_in_label(("Thu nhập mỗi năm",), None) is None
