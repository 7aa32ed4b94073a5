"""The message catalogue (schemas/messages.csv): every registered check in Vietnamese and English, and the
Vietnamese meant for officials and clerks free of the loader's internal words."""

from __future__ import annotations

import re

import pytest

from flows.core.checks import CHECKS
from flows.core.messages import LANGUAGES, UnknownMessage, catalogue, message
from tests.conftest import REPO, sql

# What a clerk cannot act on: a file path of the project, a view or check name, a command.
INTERNAL = re.compile(r"schemas/|\.csv|\.py|\bhaquang\b|\b[a-z]+_[a-z_]+\b|dq_issues|unmapped_labels")


def test_every_check_says_what_it_means_and_what_to_do_in_every_language():
    for check in CHECKS.values():
        for language in LANGUAGES:
            assert check.meaning_in(language).strip() and check.action_in(language).strip(), (check.name, language)


def test_the_catalogue_holds_no_message_nobody_says():
    said = {f"check.{name}.{part}" for name in CHECKS for part in ("meaning", "action")}
    # every other message is named whole, in quotes, where it is said: never built from pieces; a
    # counted sentence is named without its .one and .other forms, which the count chooses; an id a
    # view or an f-string completes from a row ('reason.basis.' || coverage_basis) says every message under it
    for folder, pattern in (("sql", "*.sql"), ("flows", "*.py")):
        for path in (REPO / folder).rglob(pattern):
            for found in re.findall(r"""['"]([a-z_]+(?:\.[a-z_]+)*\.?)['"{]""", path.read_text(encoding="utf-8")):
                if found.endswith("."):
                    said |= {message_id for message_id in catalogue() if message_id.startswith(found)}
                elif "." in found:
                    said |= {found} if found in catalogue() else {f"{found}.{form}" for form in ("one", "other")
                                                                   if f"{found}.{form}" in catalogue()}
    assert set(catalogue()) == said


def test_every_template_has_the_same_places_in_every_language():
    for message_id, texts in catalogue().items():
        places = {language: sorted(re.findall(r"\{(\w+)\}", text)) for language, text in texts.items()}
        assert len(set(map(tuple, places.values()))) == 1, (message_id, places)


@pytest.mark.parametrize("message_id", sorted(catalogue()))
def test_the_vietnamese_names_no_path_view_or_code(message_id):
    vi = message(message_id, "vi")
    assert not INTERNAL.search(re.sub(r"\{\w+\}", "", vi)), vi  # its {places} are filled with the row's values
    assert vi != message(message_id, "en")  # written in Vietnamese, not copied


def test_a_message_the_catalogue_lacks_is_a_clear_fault():
    with pytest.raises(UnknownMessage, match="not in messages.csv"):
        message("check.no_such_check.meaning")


def test_every_finding_reads_in_vietnamese_where_what_and_what_to_do(loaded_warehouse):
    rows = sql(loaded_warehouse, "select check_name, source_sheet, source_row, source_column, raw_value, severity, "
                                 "problem_vi, message_vi from dq_issues")
    assert rows and all(vi for *_, vi in rows)
    for check_name, sheet, row, column, raw_value, severity, problem, vi in rows:
        check = CHECKS[check_name]
        where = f"Ô {column}{row} (trang tính “{sheet}”)" if row and column else \
            f"Dòng {row} (trang tính “{sheet}”)" if row else f"Trang tính “{sheet}”" if sheet else "Cả tệp"
        assert vi.startswith(f"{where}: {problem}. "), vi
        # what is wrong: the finding's own sentence where its check has one for the case, else the check's
        assert problem == check.meaning_in("vi") or check_name in (
            "attainment_mismatch", "implausible_value", "ambiguous_number", "period_conflict", "district_mismatch")
        assert vi.endswith(f"Cách xử lý: {check.action_in('vi')}."), vi
        assert (f"Nội dung ô: “{raw_value}”" in vi) == (raw_value is not None)


def test_the_analysts_see_each_check_in_vietnamese(loaded_warehouse):
    rows = sql(loaded_warehouse, "select check_name, meaning_vi, action_vi from dq_checks")
    assert {name for name, *_ in rows} == set(CHECKS)
    assert dict((name, vi) for name, vi, _ in rows)["unreadable_figure"] == CHECKS["unreadable_figure"].meaning_in("vi")


def test_a_findings_own_sentence_writes_its_figures_the_vietnamese_way(loaded_warehouse):
    rows = sql(loaded_warehouse, "select problem_vi, raw_value from dq_issues "
                                 "where check_name = 'attainment_mismatch' and severity = 'warning'")
    assert rows  # raw/ holds two percentages the report computed from other figures
    for problem, raw_value in rows:
        assert f"là {raw_value} %" in problem, problem  # the sheet's percentage, as Vietnamese writes it
        assert not re.search(r"\d\.\d{1,2}(?!\d)", problem), problem  # no English decimal point
