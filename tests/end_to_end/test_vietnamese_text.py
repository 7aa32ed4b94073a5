"""What a Vietnamese reader reads (the dashboard, the views' Vietnamese columns) holds none of the loader's
internal words and no English-written number: no check name or unit code, no file path, no view name, and
"87,06" never "87.06". The codes come from the registries and catalogues, so a new one is checked as well."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser

from flows.core.checks import CHECKS
from flows.publish.exports import analyst_views
from tests.conftest import REPO, sql
from tests.unit.publish.test_outputs import dashboard_file

# the columns of the views written for a Vietnamese reader
VIETNAMESE_COLUMNS = [("target_attainment", "status_reason_vi"), ("merger_contributions", "status_reason_vi"),
                      ("district_comparison", "comparable_reason_vi"), ("dq_issues", "message_vi"),
                      ("merged_district_indicators", "array_to_string(caveats_vi, ' | ')"),
                      ("harmonised_results", "array_to_string(harmonisation_notes_vi, ' | ')"),
                      ("target_attainment", "array_to_string(harmonisation_notes_vi, ' | ')"),
                      ("merger_contributions", "array_to_string(harmonisation_notes_vi, ' | ')")]
PATHS = re.compile(r"raw/|exports/|\.xlsx?\b|\.sql\b|\.csv\b|\.parquet\b")
# a cell's own text, or an example of how a cell may be written, quoted as written ('17.68' is the point there)
QUOTED = re.compile(r"“[^”]*”|«[^»]*»|'[^']*'")
NUMBER = re.compile(r"(?<![\w.,])\d[\d.,]*\d(?!\w)")
VIETNAMESE_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")  # 17.889; 1.234,5


def _codes() -> set[str]:
    """Check names, unit codes (former districts, successors, communes) and indicator and method codes."""
    codes = set(CHECKS)
    for name, column in (("districts.csv", "code"), ("indicators.csv", "code"), ("aggregation_methods.csv", "method"),
                         ("boundary_changes.csv", "successor"), ("boundary_changes.csv", "predecessor")):
        with open(REPO / "schemas" / name, encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(line for line in handle if not line.startswith("#"))
            codes |= {row[column] for row in rows if row.get(column)}
    return {code for code in codes if not code.isdigit()}  # a GSO number is a number, read as one


def english_numbers(text: str) -> list[str]:
    """Numbers written the English way: a dot between digits that is not Vietnamese thousands grouping."""
    text = QUOTED.sub("", text)
    return [n for n in NUMBER.findall(text) if "." in n and not VIETNAMESE_GROUPED.fullmatch(n)]


def internal_words(text: str) -> list[str]:
    words = [p for p in PATHS.findall(text)]
    words += [code for code in _codes() | set(analyst_views()) if re.search(rf"(?<![\w/]){re.escape(code)}(?![\w/])", text)]
    return words


class _Visible(HTMLParser):
    """The page's visible text, the Vietnamese apart from the English lines (span class en)."""

    def __init__(self):
        super().__init__()
        self.vi, self.en, self._stack = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ("br", "meta", "rect", "line"):
            self._stack.append((tag, dict(attrs).get("class", "")))

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if any(tag in ("style", "title", "script") for tag, _ in self._stack):
            return
        (self.en if any(cls == "en" for _, cls in self._stack) else self.vi).append(data)


def test_the_checks_can_tell_english_from_vietnamese():
    assert english_numbers("Thực hiện 87.06 % so với 17.889 tấn") == ["87.06"]
    assert english_numbers("1.234,5 và 3,92; 1.02 và 12.5") == ["1.02", "12.5"]
    assert english_numbers("Nội dung ô: “9.2”") == []
    assert "attainment_mismatch" in internal_words("cần kiểm tra attainment_mismatch")
    assert internal_words("ha_quang/chi_tieu.xlsx")


def test_the_vietnamese_columns_hold_no_code_path_view_or_english_number(loaded_warehouse):
    for view, column in VIETNAMESE_COLUMNS:
        for (text,) in sql(loaded_warehouse, f"select {column} from {view} where {column} is not null"):
            said = QUOTED.sub("", text)
            assert not internal_words(said), (view, text)
            assert not english_numbers(text), (view, text)


def test_the_dashboard_reads_without_codes_paths_or_english_numbers(loaded_warehouse):
    visible = _Visible()
    visible.feed(dashboard_file(loaded_warehouse).read_text(encoding="utf-8"))
    vi, en = " ".join(visible.vi), " ".join(visible.en)
    assert "Đạt" in vi and en  # both languages were read
    assert not internal_words(QUOTED.sub("", vi)), internal_words(QUOTED.sub("", vi))
    assert not english_numbers(vi), english_numbers(vi)
    # the English lines name no code or file either (their numbers are English, as they should be)
    assert not [w for w in internal_words(QUOTED.sub("", en)) if "_" in w or w.startswith((".", "raw/", "exports/"))], internal_words(en)


def test_every_caveat_of_a_merged_figure_is_said_in_vietnamese(loaded_warehouse):
    """caveats_vi says each caveat, in the same order, the arithmetic of a harmonisation too (the last caveat,
    'thong_nong: result 100 % of 11 ...', each unit by its name). Weights name each unit and its figure."""
    rows = sql(loaded_warehouse, "select indicator_code, method, caveats, caveats_vi from merged_district_indicators")
    with open(REPO / "schemas" / "districts.csv", encoding="utf-8", newline="") as handle:
        names = [row["name_vi"] for row in csv.DictReader(line for line in handle if not line.startswith("#"))]
    assert any(caveats for _, _, caveats, _ in rows)
    for code, method, caveats, caveats_vi in rows:
        assert len(caveats_vi) == len(caveats), (code, caveats, caveats_vi)
        if caveats and caveats[-1].split(":", 1)[0] in ("ha_quang", "thong_nong"):
            assert caveats_vi[-1].startswith(tuple(f"{name}: " for name in names)), caveats_vi[-1]
            assert _figures(caveats_vi[-1], "vi") == _figures(caveats[-1], "en"), (caveats[-1], caveats_vi[-1])
        if method.endswith("weighted_mean"):
            weights = next(c for c in caveats_vi if c.startswith("Trọng số: "))
            english = next(c for c in caveats if c.startswith("weights: "))
            # each weighted unit by its Vietnamese name, as many as the English names by code
            assert sum(name in weights for name in names) == sum(code in english for code in ("ha_quang", "thong_nong"))


def _figures(text: str, language: str) -> list[float]:
    """The numbers a sentence says, in order, read the way its language writes them (1.020,5 / 1020.5); a
    text quoted from a cell and a base's period ('pre-2020 communes': the Vietnamese names the unit alone) are
    no figure of the arithmetic."""
    text = re.sub(r"pre-\d{4}", "", QUOTED.sub("", text))
    found = re.findall(r"(?<![\w.,])-?\d[\d.,]*\d(?!\w)|(?<![\w.,])-?\d(?![\w.,]*\d)", text)
    if language == "vi":
        return [float(n.replace(".", "").replace(",", ".")) for n in found]
    return [float(n.replace(",", "")) for n in found]


def test_the_vietnamese_harmonisation_notes_say_the_same_arithmetic(loaded_warehouse):
    """Each harmonised row's notes in Vietnamese: as many as the English, each with the same figures in the same
    order, written the Vietnamese way (10,45; 1.020); and a reason that quotes the English notes quotes these."""
    rows = sql(loaded_warehouse, "select harmonisation_notes, harmonisation_notes_vi from harmonised_results "
                                 "where len(harmonisation_notes) > 0")
    # raw/ holds a plan total, a share of communes made a count, a count kept, a suspected slip and a unit cell '0'
    assert len(rows) >= 5
    for english, vietnamese in rows:
        assert len(vietnamese) == len(english), (english, vietnamese)
        for en, vi in zip(english, vietnamese):
            assert _figures(vi, "vi") == _figures(en, "en"), (en, vi)
            assert not english_numbers(vi), vi
    assert any("10,45" in note for _, notes in rows for note in notes)  # 95 % of 11 communes, the Vietnamese way
    assert any("1.020" in note for _, notes in rows for note in notes)  # a plan total, grouped the Vietnamese way
    quoted = sql(loaded_warehouse, "select status_reason, status_reason_vi, harmonisation_notes, harmonisation_notes_vi "
                                   "from target_attainment where len(harmonisation_notes) > 0")
    assert any(all(n in reason for n in notes) for reason, _, notes, _ in quoted)
    for reason, reason_vi, notes, notes_vi in quoted:
        assert all(n in reason for n in notes) == all(n in reason_vi for n in notes_vi), (reason, reason_vi)
