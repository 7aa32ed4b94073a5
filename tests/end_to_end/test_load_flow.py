"""The whole flow on the real raw/ tables, in a Prefect test harness."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.warehouse.last_night import read_last_night
from tests.conftest import RAW, in_this_process, sql
from tests.layout_variants import Grid, with_unrecognisable_header

HQ = "ha_quang"
TN = "thong_nong"


def result(warehouse: Path, district: str, label: str) -> dict:
    rows = sql(warehouse, "select * from indicator_results where source_district = ? and row_label = ?",
               [district, label])
    assert len(rows) == 1, (district, label, rows)
    columns = [c[0] for c in sql(warehouse, "describe indicator_results")]
    return dict(zip(columns, rows[0]))


def test_every_row_of_both_tables_is_loaded(loaded_warehouse):
    counts = dict(sql(loaded_warehouse, "select source_district, count(*) from indicator_results group by all"))
    assert counts == {HQ: 44, TN: 22}
    kinds = dict(sql(loaded_warehouse, "select row_kind, count(*) from indicator_results group by all"))
    assert kinds == {"measured": 61, "qualitative": 2, "group": 3}


@pytest.mark.parametrize(
    ("district", "label", "low", "high", "actual", "reported"),
    [
        (HQ, "Tổng sản lượng lương thực có hạt", 17680, 17680, 17889, 102),
        (HQ, "Diện tích thuốc lá", 650, 700, 581.4, 83),
        (HQ, "Tốc độ tăng trưởng kinh tế bình quân mỗi năm", 7, 7, 7.4, 106),
        (HQ, "Số hộ được xem truyền hình", 95, None, 97, 102),
        (HQ, "Sản lượng", 1500, 1500, 1466, 98),
        (HQ, "Tập huấn, đào tạo nghề mỗi năm trên", 800, None, 1950, 244),  # "trên" 800: at least
        (HQ, "Số xã đạt tiêu chí quốc gia về y tế", 17, 17, 16, 94.11),
        (TN, "Thu nhập bình quân đầu người", 21, 21, 21, 100),
        (TN, "Tổng sản lượng lương thực có hạt", 13000, None, 13100, 101),
        (TN, "Di chuyển chuồng trại ra xa nhà ở", 70, None, 70, 100),
        (TN, "+ Kết nạp đảng viên mới", 110, 110, 123, 112),
    ],
)
def test_measured_rows_have_the_right_figures(loaded_warehouse, district, label, low, high, actual, reported):
    row = result(loaded_warehouse, district, label)
    assert (row["target_low"], row["target_high"]) == (pytest.approx(low), pytest.approx(high) if high else None)
    assert row["actual_value"] == pytest.approx(actual)
    assert row["reported_pct"] == pytest.approx(reported)


@pytest.mark.parametrize(
    ("district", "label", "flag", "severity"),
    [
        (HQ, "Tổng sản lượng lương thực có hạt", "ambiguous_number", "info"),  # "17.68": only 17.680 fits 102%
        (HQ, "Tập huấn, đào tạo nghề mỗi năm trên", "ambiguous_number", "info"),  # "1.95": only 1.950 fits 244%
        (TN, "Thu nhập bình quân đầu người", "ambiguous_number", "info"),  # "21.00": 21.000 per head impossible
        (TN, "Tổng sản lượng lương thực có hạt", "ambiguous_number", "info"),  # "13.10": only 13.100 fits 101%
        (HQ, "Giảm tỷ suất sinh mỗi năm", "invalid_unit", "warning"),  # unit typed "0"
        (HQ, "- Xây dựng nhà văn hoá mỗi năm", "attainment_mismatch", "info"),  # 44 vs 10 a year: 88% over 5 years
        (HQ, "Giảm tỷ lệ trẻ em suy dinh dưỡng mỗi năm", "attainment_mismatch", "warning"),  # 3,92 vs 1,5-2, 56%
        (HQ, "Kết nạp đảng viên mỗi năm", "compound_value", "info"),  # "1.020/750": 750 = 150 x 5, 136%
        (TN, "Tỷ lệ tăng dân số tự nhiên", "implausible_value", "warning"),  # 9,2 %/year, per mille typed as percent
    ],
)
def test_doubtful_figures_are_flagged_with_a_dq_issue(loaded_warehouse, district, label, flag, severity):
    row = result(loaded_warehouse, district, label)
    assert flag in row["dq_flags"]
    issues = sql(loaded_warehouse, "select severity, message, source_column from dq_issues where source_file = ? "
                 "and source_row = ? and check_name = ?", [row["source_file"], row["source_row"], flag])
    assert len(issues) == 1 and issues[0][0] == severity and issues[0][1] and issues[0][2]
    assert ("Resolved by the loader:" in issues[0][1]) == (severity == "info")


@pytest.mark.parametrize(
    ("district", "label"),
    [
        (HQ, "Tốc độ tăng trưởng kinh tế bình quân mỗi năm"),  # "7,40"
        (HQ, "Số hộ được xem truyền hình"),  # "> 95"
        (HQ, "Diện tích thuốc lá"),  # "650-700"
        (HQ, "Sản lượng"),  # "1 500" and "1.466"
        (TN, "+ Làng văn hóa"),  # ">55%"
        (TN, "Thu ngân sách trên địa bàn bình quân mỗi năm"),  # "18%/năm"
    ],
)
def test_figures_written_the_local_way_are_not_flagged(loaded_warehouse, district, label):
    assert result(loaded_warehouse, district, label)["dq_flags"] == []


def test_rows_keep_their_source_and_raw_text(loaded_warehouse):
    row = result(loaded_warehouse, HQ, "- Vùng thấp")
    assert row["source_file"] == "ha_quang/chi_tieu_ktxh_2015_2020.xlsx"
    assert row["parent_label"] == "Giá trị sản xuất nông nghiệp/ha"
    # "triệu đồng" under a parent that says "/ha": million đồng per hectare, the unit as written kept
    assert (row["unit"], row["unit_raw"], row["actual_raw"]) == ("million_vnd_per_ha", "triệu đồng", "63,70")
    sub = result(loaded_warehouse, TN, "+ Gia đình văn hóa")
    assert sub["parent_label"] == "Chỉ tiêu văn hóa:" and sub["unit"] == "percent"
    assert result(loaded_warehouse, TN, "Chỉ tiêu văn hóa:")["row_kind"] == "group"


def test_qualitative_rows_keep_text_and_no_value(loaded_warehouse):
    row = result(loaded_warehouse, HQ, "Giữ vững kết quả phổ cập giáo dục và trường đạt chuẩn quốc gia")
    assert (row["row_kind"], row["actual_value"], row["actual_text"]) == ("qualitative", None, "Giữ vững")
    # "Đạt" in the percentage column is a verdict on figures that were read: 04 levels against 4
    levels = result(loaded_warehouse, HQ, "Các cấp đều có trường đạt chuẩn quốc gia")
    assert (levels["row_kind"], levels["actual_value"], levels["reported_pct_raw"]) == ("measured", 4, "Đạt")


def test_periods_come_from_each_workbook(loaded_warehouse):
    periods = sql(loaded_warehouse, "select distinct source_district, period_end::varchar, is_estimate "
                                    "from indicator_results order by 1")
    assert periods == [(HQ, "2020-12-31", True), (TN, "2019-12-31", False)]


def test_load_run_is_recorded(loaded_warehouse):
    runs = sql(loaded_warehouse, "select status, files_seen, files_loaded, files_rejected, rows_loaded, errors "
                                 "from load_runs")
    assert runs == [("succeeded", 2, 2, 0, 66, 0)]


def test_a_bad_file_is_rejected_while_the_rest_loads(prefect_harness, raw_copy, tmp_path):
    from flows.orchestration.load_flow import run_load as load_warehouse, summary_markdown

    warehouse = tmp_path / "w.duckdb"
    first = load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    assert first.exit_code == 0
    source = next((raw_copy / HQ).glob("*.xlsx"))
    with_unrecognisable_header(Grid.read(source)).write(source)  # a broken resubmission
    (raw_copy / TN / "notes.docx").write_bytes(b"not a workbook")
    commune_file = raw_copy / TN / "01366" / "2019-12" / "bao_cao_hong.xlsx"  # a commune's own figures
    tn_grid = Grid.read(next((raw_copy / TN).glob("*.xlsx")))
    with_unrecognisable_header(tn_grid).write(commune_file)  # its first version is rejected
    second = load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    assert second.exit_code == 1 and second.files_rejected == 3
    errors = sql(warehouse, "select source_file, check_name from dq_issues where severity = 'error' "
                            "order by source_file")
    assert errors == [
        ("ha_quang/chi_tieu_ktxh_2015_2020.xlsx", "header_not_recognised"),
        ("thong_nong/01366/2019-12/bao_cao_hong.xlsx", "header_not_recognised"),
        ("thong_nong/notes.docx", "unsupported_file"),
    ]
    # The broken resubmission does not erase the figures the first load published.
    counts = dict(sql(warehouse, "select source_district, count(*) from indicator_results group by all"))
    assert counts == {HQ: 44, TN: 22}
    assert sql(warehouse, "select load_id, status from load_runs") == [(1, "succeeded"), (2, "succeeded_with_errors")]

    # The next night brings nothing new: the two errors are still open, so the night still fails.
    third = load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    assert third.nothing_new and third.findings_by_severity["error"] == 0
    assert (third.status, third.exit_code, third.open_issues["error"]) == ("succeeded_with_errors", 1, 3)
    open_errors = {(c.check_name, c.open, c.new) for c in third.open.by_check if c.severity == "error"}
    assert open_errors == {("header_not_recognised", 2, 0), ("unsupported_file", 1, 0)}
    assert [(e["source_file"], e["load_id"], e["new"]) for e in third.open.errors] == [
        ("ha_quang/chi_tieu_ktxh_2015_2020.xlsx", 2, False), ("thong_nong/01366/2019-12/bao_cao_hong.xlsx", 2, False),
        ("thong_nong/notes.docx", 2, False)]
    markdown = summary_markdown(third)
    # nothing to read and the same code: no version is built (no copy of the warehouse), the night is recorded beside it
    assert markdown.startswith("# Không có gì mới: không tạo phiên bản mới; kho dữ liệu giữ nguyên lần nạp 2: hoàn tất nhưng có "
                               "lỗi / Nothing new: no version built; the warehouse stays load 2: succeeded_with_errors\n")
    assert "- Lỗi còn mở (3): lần nạp kết thúc với mã thoát 1" in markdown and "- Open errors (3): the load exits 1" in markdown
    assert "ERROR unsupported_file in thong_nong/notes.docx (since load 2)" in markdown
    assert sql(warehouse, "select max(load_id) from load_runs") == [(2,)] and not third.new_version
    assert read_last_night(warehouse, 2)["nothing_new"]

    # Resolved: the corrected workbook is read, the stray file moved out of the raw folder as its finding
    # advises (it never brought a figure: it is gone, not missing with figures kept). Warnings stay open and pass.
    shutil.copyfile(RAW / HQ / source.name, source)
    (raw_copy / TN / "notes.docx").unlink()
    tn_grid.write(commune_file)  # corrected after its rejection
    fixed = load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    assert (fixed.status, fixed.exit_code, fixed.open_issues.get("error", 0)) == ("succeeded", 0, 0)
    assert fixed.open_issues["warning"] > 0 and fixed.open.errors == []
    # One word per file in the summary and in file_events: a file loaded before is updated, one whose
    # only earlier version was rejected (it never had figures) is new.
    events = dict(sql(warehouse, "select source_file, change from file_events where load_id = ?", [fixed.load_id]))
    assert events == {"ha_quang/chi_tieu_ktxh_2015_2020.xlsx": "updated",
                      "thong_nong/01366/2019-12/bao_cao_hong.xlsx": "new", "thong_nong/notes.docx": "gone"}
    assert sql(warehouse, "select check_name from dq_issues where source_file = 'thong_nong/notes.docx'") == []
    assert (fixed.files_updated, fixed.files_new) == (["ha_quang/chi_tieu_ktxh_2015_2020.xlsx"],
                                                      ["thong_nong/01366/2019-12/bao_cao_hong.xlsx"])
    assert "- Tệp mới (1) / New (1): thong_nong/01366/2019-12/bao_cao_hong.xlsx" in summary_markdown(fixed)


def test_a_failed_build_leaves_the_published_warehouse_untouched(prefect_harness, raw_copy, tmp_path, monkeypatch):
    from flows.warehouse import model_build, versions
    from flows.orchestration.load_flow import run_load as load_warehouse

    warehouse = tmp_path / "w.duckdb"
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    before = warehouse.read_bytes()

    def broken_views(con, data_changed=True):
        raise RuntimeError("disk full while building views")

    monkeypatch.setattr(model_build, "build_views", broken_views)
    in_this_process(monkeypatch)  # the models' own process would not see the patch
    with pytest.raises(RuntimeError, match="disk full"):
        load_warehouse(raw_dir=raw_copy, warehouse=warehouse, full_reload=True)  # a version is built
    assert warehouse.read_bytes() == before
    assert not versions.next_version_path(warehouse).exists()


def test_a_night_with_nothing_new_builds_no_version_even_on_a_disk_without_room_for_one(
        prefect_harness, raw_copy, tmp_path, monkeypatch, capsys):
    """Every version starts as a copy of the published file: on a disk with room for no more, a night that
    needed one failed, every night after. A night with nothing new to read needs none, and says so."""
    from flows.orchestration import quiet_night
    from flows.orchestration.load_flow import run_load as load_warehouse
    from flows.publish.status import status_facts, status_report
    from flows.warehouse import versions

    warehouse = tmp_path / "w.duckdb"
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    published = warehouse.read_bytes()

    def disk_full(_published):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(versions, "open_next_version", disk_full)
    quiet = load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    assert (quiet.new_version, quiet.load_id, quiet.exit_code, quiet.files_seen) == (False, 1, 0, 2)
    assert warehouse.read_bytes() == published
    facts = status_facts(warehouse)
    assert facts["last_load"]["load_id"] == 1 and facts["last_night"]["age_seconds"] < 600
    assert "nothing new to read, so no version was built; load 1 below is still the published one." in \
        status_report(warehouse)
    # what must build a version still tries to, and fails on that disk as before: a new file, a new release
    (raw_copy / "thong_nong" / "moi.xlsx").write_bytes((RAW / TN / "chi_tieu_ktxh_2015_2019.xlsx").read_bytes())
    with pytest.raises(OSError, match="No space left"):
        load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    (raw_copy / "thong_nong" / "moi.xlsx").unlink()
    monkeypatch.setattr(quiet_night, "build_inputs_digest", lambda: "a new release")
    with pytest.raises(OSError, match="No space left"):
        load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    monkeypatch.undo()
    assert load_warehouse(raw_dir=raw_copy, warehouse=warehouse, full_reload=True).load_id == 2
    assert status_facts(warehouse)["last_night"] is None  # a version since: the quiet night is history


def test_committed_raw_tables_are_what_the_fixture_script_writes(tmp_path, monkeypatch):
    from tests.fixtures import write_raw_workbooks as script

    monkeypatch.setattr(script, "REPO", tmp_path)
    script.main()
    for committed in sorted(RAW.glob("*/*.xlsx")):
        regenerated = tmp_path / "raw" / committed.relative_to(RAW)
        assert Grid.read(regenerated).cells == Grid.read(committed).cells
        assert sorted(Grid.read(regenerated).merged) == sorted(Grid.read(committed).merged)
    shutil.rmtree(tmp_path / "raw")


def test_flow_publishes_logs_summary_and_data_quality_artifacts(prefect_harness, raw_copy, tmp_path):
    import json
    import logging

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    from flows.orchestration.load_flow import load_warehouse

    (raw_copy / TN / "notes.docx").write_bytes(b"not a workbook")
    state = load_warehouse(raw_dir=raw_copy, warehouse=tmp_path / "w.duckdb", return_state=True)
    run_id = state.state_details.flow_run_id
    APILogHandler().flush()  # the logs travel to the API in batches
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    by_key = {a.key: a for a in artifacts}
    assert "Rows loaded from ha_quang: 44." in by_key["load-summary"].data
    table = by_key["data-quality"].data
    table = json.loads(table) if isinstance(table, str) else table
    assert by_key["data-quality"].type == "table"
    assert {"check_name": "unsupported_file", "severity": "error", "open": 1, "new": 1} in table
    assert {"check_name": "ambiguous_number", "severity": "info", "open": 5, "new": 5} in table

    # The run's own lines, at INFO, from the flow and from its tasks: what was read, rejected, published.
    lines = [(log.level, log.task_run_id is not None, log.message) for log in logs]
    def logged(level, in_task, start):
        return [m for lv, task, m in lines if lv == level and task == in_task and m.startswith(start)]
    assert logged(logging.INFO, False, f"Loading {raw_copy} into ")
    assert logged(logging.INFO, True, "Fingerprinted 3 files under ")
    assert logged(logging.INFO, True, "Read 3 workbooks in ")[0].endswith(": 2 loaded (66 rows), 1 rejected, 0 pending")
    assert logged(logging.WARNING, True, "Rejected thong_nong/notes.docx: unsupported_file: ")
    assert logged(logging.INFO, True, "Built ")
    assert logged(logging.INFO, False, "Published load 1 as ")
    assert logged(logging.WARNING, False, "Load 1 succeeded_with_errors: this load found 1 error, 4 warnings; open "
                                          "in the warehouse: 1 error, 4 warnings; exit status 1")


def test_a_served_run_keeps_a_progress_artifact_and_a_hand_run_none(prefect_harness, raw_copy, tmp_path,
                                                                     monkeypatch):
    """Served runs have nobody at a terminal: the Prefect UI shows how far the load is."""
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from bench.synth import write_corpus
    from flows.orchestration.load_flow import load_warehouse
    from flows.orchestration.progress import ARTIFACT_KEY

    write_corpus(5, raw_copy, RAW, seed=11)  # commune workbooks beside the two district tables
    to_read = sum(1 for p in raw_copy.rglob("*.xlsx"))

    def progress_artifacts(state) -> list:
        with get_client(sync_client=True) as client:
            return [a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]))) if a.key == ARTIFACT_KEY]

    by_hand = load_warehouse(raw_dir=raw_copy, warehouse=tmp_path / "hand.duckdb", return_state=True)
    assert by_hand.is_completed() and progress_artifacts(by_hand) == []

    # Prefect's documented way to make a run look started from a deployment, as `haquang serve` starts it.
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", str(uuid.uuid4()))
    served = load_warehouse(raw_dir=raw_copy, warehouse=tmp_path / "served.duckdb", batch_size=2, return_state=True)
    assert served.is_completed()
    [artifact] = progress_artifacts(served)
    assert artifact.type == "progress" and float(artifact.data) == 100.0
    assert artifact.description == f"Workbooks read: {to_read} of {to_read}; writing exports"  # the last step


def test_what_the_prefect_ui_shows_is_text_whatever_a_workbook_holds():
    """A file name and a cell's text quoted in the load summary, rendered as the UI renders Markdown: no image is
    fetched, no link is made, no HTML element appears, and backticks cannot close the block."""
    from markdown_it import MarkdownIt

    from flows.orchestration.load_flow import LoadSummary, summary_artifact

    hostile = ("![b](http://host/x.png) [t](javascript:alert(1)) <img src=x onerror=alert(1)> "
               "``` \n# forged heading\n````")
    summary = LoadSummary(7, "succeeded_with_errors", Path("w.duckdb"), 1, 0, 0, {}, 0, {},
                          files_pending=[f"ha_quang/{hostile}.xlsx"])
    html = MarkdownIt("commonmark").render(summary_artifact(summary))
    assert html.startswith("<h1>Lần nạp 7: hoàn tất nhưng có lỗi / Load 7: succeeded_with_errors</h1>")
    assert "<img" not in html and "<a " not in html and "<h1>" not in html.split("</h1>", 1)[1]
    assert "x.png" in html and "javascript:alert(1)" in html  # shown as text, escaped
