import unicodedata

import pytest

from flows.mapping.indicators import lookup
from flows.core.labels import label_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Xây dựng nhà văn hoá", "Xây dựng nhà văn hóa"),  # old vs new tone placement
        ("Thủy lợi", "thuỷ lợi"),
        ("- Làng văn hóa mỗi năm", "Làng văn hóa mỗi năm"),  # leading sub-row mark
        ("+ Gia đình văn hóa", "gia đình văn hóa"),
        ("Đảm bảo an ninh chính trị, trật tự an toàn xã hội.....", "đảm bảo an ninh chính trị trật tự an toàn xã hội"),
        ("TỔNG SẢN LƯỢNG", "tổng sản lượng"),
        (unicodedata.normalize("NFD", "Tỷ lệ che phủ rừng"), "Tỷ lệ che phủ rừng"),
        ("Tỷ  lệ\u00a0che phủ", "Tỷ lệ che phủ"),
    ],
)
def test_same_label_same_key(a, b):
    assert label_key(a) == label_key(b)


@pytest.mark.parametrize(("a", "b"), [("hoa", "hòa"), ("Thu nhập", "Thu nhấp"), ("đảng", "dang")])
def test_different_words_differ(a, b):
    assert label_key(a) != label_key(b)


def test_generic_sub_row_label_needs_its_parent():
    assert lookup("ha_quang", "Diện tích thuốc lá", "Sản lượng").indicator_code == "tobacco_output"
    assert lookup("ha_quang", None, "Sản lượng") is None


def test_crosswalk_matches_a_label_typed_the_old_way():
    assert lookup("ha_quang", None, "- Xây dựng nhà văn hóa mỗi năm").indicator_code == "cultural_houses_built"
