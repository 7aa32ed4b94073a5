"""The morning after a bad night, as the person on call reads it: what to do about each file (a corrected
workbook for an error inside a loaded workbook, withdraw only for a file nothing of which is in the views),
counts in true words, "new" only for what was not open before, a withdrawal that says first what it
changes, and a Prefect flow run that is not green while an error is open."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from flows.cli import main
from flows.publish.outputs import feedback_file
from flows.warehouse.commands import PROGRAM, withdraw_command
from tests.conftest import REPO, sql
from tests.end_to_end.test_nightly import set_cell

HQ_FILE = "ha_quang/chi_tieu_ktxh_2015_2020.xlsx"
GRAIN = "Tổng sản lượng lương thực có hạt"
DOCX = "thong_nong/notes.docx"


def bad_night(raw: Path, warehouse: Path) -> None:
    """A figure that does not read in the Hà Quảng table (its row still loads) and a file that should not
    be in raw/ at all."""
    set_cell(raw / HQ_FILE, GRAIN, 3, "1O2")
    (raw / DOCX).write_bytes(b"not a workbook")


def test_the_morning_after_says_what_to_do_in_true_words(prefect_harness, raw_copy, tmp_path, capsys):
    from flows.orchestration.load_flow import load_warehouse, summary_markdown, summary_of

    warehouse = tmp_path / "w.duckdb"
    bad_night(raw_copy, warehouse)
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse)]) == 1
    summary = capsys.readouterr().out
    unread = sql(warehouse, "select count(*) from dq_issues where check_name = 'unreadable_figure'")[0][0]
    assert unread == 1 and sql(warehouse, "select count(*) from indicator_results")[0][0] == 66  # the row loaded
    # True counts: the row with the unreadable figure is loaded; no row was rejected.
    assert "- Rows: 66 loaded; 0 rows not loaded; 1 figure could not be read (its row is loaded, the figure " \
           "left empty)." in summary
    assert "- Số dòng: 66 dòng được nạp; 0 dòng không được nạp; 1 số liệu không đọc được" in summary
    assert "rows rejected: 1" not in summary
    # What to do: a corrected workbook for the loaded one, its feedback workbook named; no withdraw of it.
    feedback = str(feedback_file(warehouse, HQ_FILE).resolve())
    assert f"{HQ_FILE}: errors in cells or rows of a loaded workbook; its other rows are loaded (44 current " \
           f"rows). Send a corrected workbook under the same name; the cells to correct are in {feedback}." in summary
    assert withdraw_command(HQ_FILE, warehouse, warehouse.parent, program=PROGRAM) not in summary
    # Withdraw only for the file that has nothing in the views.
    assert f"{DOCX}: not loaded, no figures in the views. Send a corrected workbook; or, if the file should not be " \
           f"in the raw folder at all, withdraw it (no figure changes): " \
           f"{withdraw_command(DOCX, warehouse, warehouse.parent, program=PROGRAM)}" in summary
    assert summary.index("Việc cần làm, theo từng tệp:") < summary.index("What to do, file by file:")

    # haquang status: the same advice and counts; --json the same facts for monitoring.
    assert main(["status", "--warehouse", str(warehouse)]) == 1
    report = capsys.readouterr().out
    assert "Rows: 66 loaded; 0 rows not loaded; 1 figure could not be read" in report
    assert f"the cells to correct are in {feedback}" in report
    assert "Resolve each by a corrected file read by a load, or take its file out, e.g." not in report
    assert main(["status", "--warehouse", str(warehouse), "--json"]) == 1
    facts = json.loads(capsys.readouterr().out)
    assert facts["last_load"]["rows"] == {"loaded": 66, "rejected": 0, "figures_unread": 1}
    steps = {step["file"]: step for step in facts["next_steps"]}
    assert (steps[HQ_FILE]["action"], steps[HQ_FILE]["current_rows"], steps[HQ_FILE]["feedback"]) == \
        ("correct", 44, feedback)
    assert steps[DOCX]["action"] == "withdraw_or_correct" and steps[DOCX]["current_rows"] == 0

    # The preview of withdrawing the loaded file says first what the summary says (send a corrected
    # workbook; withdrawing takes out all its 44 current rows), in Vietnamese then English; the rejected
    # file, with nothing in the views, gets no such advice.
    assert main(["withdraw", HQ_FILE, "--warehouse", str(warehouse)]) == 2
    preview = capsys.readouterr().out.splitlines()
    assert preview[0].startswith(f"{HQ_FILE}: tệp đã được nạp nhưng còn lỗi ở một số ô hoặc dòng; ")
    assert preview[0].endswith("Không rút tệp: rút tệp sẽ bỏ cả 44 dòng đang công bố.")
    assert preview[1].startswith(f"{HQ_FILE}: errors in cells or rows of a loaded workbook; ")
    assert f"the cells to correct are in {feedback}. Do not withdraw it" in preview[1]
    assert preview[2].startswith(f"Rút {HQ_FILE} sẽ bỏ 44 dòng đang dùng")
    assert main(["withdraw", DOCX, "--warehouse", str(warehouse)]) == 2
    assert capsys.readouterr().out.startswith(f"{DOCX} không có dòng nào đang công bố: ")

    # Read again with nothing changed (--full, as a new release does): the same findings, none of them new.
    state = load_warehouse(raw_dir=raw_copy, warehouse=warehouse, full_reload=True, return_state=True)
    again = summary_of(state)
    assert again.new_version and again.load_id == 2
    assert [e["new"] for e in again.open.errors] == [False, False]
    assert all(c.new == 0 for c in again.open.by_check)
    text = summary_markdown(again)
    assert "(1 new)" not in text and "(new)" not in text and "(open before load 2)" in text
    assert main(["status", "--warehouse", str(warehouse), "--json"]) == 1
    assert [e["new"] for e in json.loads(capsys.readouterr().out)["errors"]] == [False, False]

    # The bad night is visibly not green in Prefect, and was published all the same.
    assert state.is_failed() and state.type.value == "FAILED"
    assert "Load 2 was published; errors open in the warehouse: 2; the load ends with exit status 1." in state.message
    assert sql(warehouse, "select max(load_id) from load_runs") == [(2,)]

    # A good night stays Completed.
    shutil.copyfile(REPO / "raw" / HQ_FILE, raw_copy / HQ_FILE)
    (raw_copy / DOCX).unlink()
    assert main(["withdraw", DOCX, "--warehouse", str(warehouse), "--yes"]) == 0
    capsys.readouterr()
    assert load_warehouse(raw_dir=raw_copy, warehouse=warehouse, return_state=True).is_completed()


def test_withdraw_says_what_it_would_change_and_needs_yes(loaded_warehouse, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(loaded_warehouse, warehouse)
    published = warehouse.read_bytes()
    argv = ["withdraw", HQ_FILE, "--warehouse", str(warehouse)]

    assert main(argv) == 2  # no --yes: the preview, nothing changed
    said = capsys.readouterr().out
    assert f"Withdrawing {HQ_FILE} takes 44 current rows out of the views (the history keeps them)." in said
    assert said.index(f"Rút {HQ_FILE} sẽ bỏ 44 dòng đang dùng") < said.index(f"Withdrawing {HQ_FILE}")
    assert "Figures of merged units (successors) that change: " in said
    # a merged-district figure made with this file's half loses its value and turns partial; the unit and
    # the indicator by name, numbers as the reader's language writes them (30,989 in English)
    assert re.search(r"^  new Hà Quảng district · [a-z][^·_]+ · plan period: value [0-9][0-9,.]* -> —; "
                     r"coverage full -> partial$", said, re.M)
    assert re.search(r"^  Huyện Hà Quảng \(mới\) · [A-ZĐ][^·_]+ · giai đoạn kế hoạch: giá trị [0-9][0-9,.]* → —; "
                     r"số liệu đầy đủ → chưa đầy đủ$", said, re.M)
    changes = [line for line in said.splitlines() if line.startswith("  ") and " · " in line]
    assert changes and len(changes) % 2 == 0  # each in Vietnamese, then English
    for line in changes:  # only what a reader sees change; no code; coverage is no verdict ("đánh giá")
        assert "— → —" not in line and "— -> —" not in line and "đánh giá" not in line, line
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|merged", line), line
    shown = int(re.search(r"Figures of merged units \(successors\) that change: (\d+)", said).group(1))
    more = re.search(r"… and (\d+) more figures\.", said)
    assert shown == len(changes) // 2 + (int(more.group(1)) if more else 0)
    assert said.rstrip().endswith(f"Nothing was changed. To withdraw it, run again with --yes: "
                                  f"{withdraw_command(HQ_FILE, warehouse, warehouse.parent, program=PROGRAM)} --yes")
    assert warehouse.read_bytes() == published

    assert main([*argv, "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "takes 44 current rows out of the views" in said and "Dry run (--dry-run): nothing was changed." in said
    assert warehouse.read_bytes() == published
    assert sql(warehouse, "select count(*) from indicator_results where source_file = ?", [HQ_FILE]) == [(44,)]
    assert not list(tmp_path.glob("w.duckdb.next*"))  # the version worked out on was discarded

    assert main([*argv, "--yes"]) == 0
    said = capsys.readouterr().out
    assert "takes 44 current rows out of the views" in said and f"Withdrew {HQ_FILE} in load 2" in said
    assert said.index(f"Đã rút {HQ_FILE} ở lần nạp 2: 44 dòng") < said.index(f"Withdrew {HQ_FILE} in load 2")
    assert sql(warehouse, "select count(*) from indicator_results where source_file = ?", [HQ_FILE]) == [(0,)]
