"""Exports, the data dictionary and the dashboard page, read back the way their users read them."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flows.core.messages import say
from flows.publish.docs import collect
from flows.publish.exports import analyst_views
from flows.publish.outputs import dashboard_file, docs_dir, exports_dir, write_outputs
from tests.conftest import REPO, sql

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = REPO / "warehouse" / "test-artifacts" / "dashboard.png"


def test_every_analyst_view_is_exported_and_matches_row_for_row(loaded_warehouse):
    exports = exports_dir(loaded_warehouse)
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["load_id"] == sql(loaded_warehouse, "select max(load_id) from load_runs")[0][0]
    assert {f["view"] for f in manifest["files"]} == set(analyst_views())
    with duckdb.connect(str(loaded_warehouse), read_only=True) as con:
        for entry in manifest["files"]:
            path = exports / entry["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
            view = entry["view"]
            assert [(c["name"], c["type"]) for c in entry["columns"]] == [
                (c[0], c[1]) for c in con.execute(f"describe {view}").fetchall()]
            count = con.execute(f"select count(*) from {view}").fetchone()[0]
            assert entry["rows"] == count
            if entry["format"] == "parquet":
                assert len(pd.read_parquet(path)) == count
                differences = con.execute(
                    f"select count(*) from ((select * from {view} except all select * from read_parquet(?)) "
                    f"union all (select * from read_parquet(?) except all select * from {view}))",
                    [str(path), str(path)]).fetchone()[0]
                assert differences == 0, view
            else:
                assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Vietnamese
                frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
                assert len(frame) == count and list(frame.columns) == [c["name"] for c in entry["columns"]]


def test_csv_exports_neutralise_formulas_and_parquet_keeps_the_text(loaded_warehouse):
    exports = exports_dir(loaded_warehouse)
    frame = pd.read_csv(exports / "indicator_results.csv", encoding="utf-8-sig", dtype=str)
    assert "'- Vùng thấp" in set(frame["row_label"])
    assert "- Vùng thấp" in set(pd.read_parquet(exports / "indicator_results.parquet")["row_label"])


def test_data_dictionary_documents_every_view_column_and_lineage(loaded_warehouse):
    docs = collect(loaded_warehouse)
    assert {d.name for d in docs} == set(analyst_views())
    for doc in docs:
        assert doc.description, doc.name
        assert all(meaning for _, _, meaning in doc.columns), doc.name
        assert doc.lineage[-1] == doc.name
    results = next(d for d in docs if d.name == "indicator_results")
    assert any(step.startswith("landing.landing_indicator_rows (raw/<district>/*.xlsx") for step in results.lineage)
    page = (docs_dir(loaded_warehouse) / "data_dictionary.md").read_text(encoding="utf-8")
    assert "## `merged_district_indicators`" in page and "| `attainment_pct` | DOUBLE |" in page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed here (make test installs it "
                    "with apt-get when run as root); the dashboard's browser test needs it")
def test_dashboard_shows_the_loaded_figures_in_a_real_browser(loaded_warehouse, tmp_path):
    from playwright.sync_api import sync_playwright

    page_file = dashboard_file(loaded_warehouse)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(page_file.as_uri())
            grain = page.locator("#ha_quang-grain_output td")
            assert grain.get_attribute("data-value") == "17889"
            assert "17.889 tấn / ≥ 17.680" in grain.inner_text()
            assert "13.100 tấn / > 13.000" in page.locator("#thong_nong-grain_output td").inner_text()  # ">13.000 tấn": strict
            merged = page.locator("#merged-grain_output td").inner_text()
            assert "30.989 tấn" in merged and "✓ đạt" in merged
            # met / not met / undetermined come from the view, with the reason where it cannot be decided
            malnutrition = page.locator("#ha_quang-child_malnutrition_reduction")
            assert malnutrition.get_attribute("class") == "undetermined"
            reason_vi = sql(loaded_warehouse, "select status_reason_vi from target_attainment where district = 'ha_quang' "
                                              "and indicator_code = 'child_malnutrition_reduction'")[0][0]
            assert reason_vi in malnutrition.inner_text() and "✓" not in malnutrition.inner_text()
            # old Hà Quảng alone reported it: the merged row is partial and shows the figure as old Hà Quảng's
            partial = page.locator("#merged-child_malnutrition_reduction")
            assert partial.get_attribute("class") == "partial"
            assert "Huyện Hà Quảng (cũ): 3,92" in partial.inner_text() and "✓" not in partial.inner_text()
            assert "Kỳ số liệu khác nhau" in page.locator("#merged-grain_output").inner_text()
            counts = dict(sql(loaded_warehouse, "select status, count(*) from target_attainment "
                                                "where district = 'merged' group by all"))
            headline = page.locator("#headline-merged").inner_text()
            assert all(f"{n} " in headline for n in counts.values())
            assert "lower is better" in page.locator("#thong_nong-natural_population_growth").inner_text()
            assert page.locator(".attainment svg.bar").count() > 40
            assert "kỳ số liệu khác nhau" in page.locator("#not-comparable").inner_text()
            # findings by severity, each in its Vietnamese message: warnings before the info readings
            issues = page.locator("#dq-issues").inner_text()
            messages = sql(loaded_warehouse, "select severity, message_vi from dq_issues")
            assert all(vi in issues for _, vi in messages)
            last_warning = max(issues.index(vi) for severity, vi in messages if severity == "warning")
            assert all(issues.index(vi) > last_warning for severity, vi in messages if severity == "info")
            assert "Lần nạp dữ liệu gần nhất" in page.locator("#last-load").inner_text()
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            # from a phone to a wide screen, nothing scrolls sideways
            for width in (360, 768, 1280, 1920):
                page.set_viewport_size({"width": width, "height": 900})
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        finally:
            browser.close()
    shutil.copy(tmp_path / "dashboard.png", SCREENSHOT)
    assert SCREENSHOT.stat().st_size > 10_000


def test_a_run_with_nothing_new_rewrites_only_the_run_views(prefect_harness, raw_copy, tmp_path, monkeypatch):
    from flows.orchestration import quiet_night
    from flows.orchestration.load_flow import run_load as load_warehouse

    warehouse = tmp_path / "w.duckdb"
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    exports = exports_dir(warehouse)

    def written() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in [*exports.iterdir(), *exports.parent.rglob("*.html"),
                                                       *exports.parent.rglob("*.md")]}

    before = written()
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)  # no version built: its outputs are in place
    assert written() == before
    write_outputs(warehouse)  # `haquang dashboard`: every file written again, in place or not
    rewritten = written()
    assert all(rewritten[name] != before[name] for name in before)
    before = rewritten
    # A new release with nothing new to read builds a version: only the run views change.
    monkeypatch.setattr(quiet_night, "build_inputs_digest", lambda: "a new release")
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    after = {p.name: p.stat().st_mtime_ns for p in exports.iterdir()}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"load_runs.parquet", "load_runs.csv", "file_events.parquet", "file_events.csv",
                       "manifest.json", "datapackage.json"}
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["load_id"] == 2
    assert len(pd.read_parquet(exports / "load_runs.parquet")) == 2
    for entry in manifest["files"]:
        assert hashlib.sha256((exports / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]


def test_the_dashboard_lists_the_first_issues_and_counts_them_all(loaded_warehouse, tmp_path, monkeypatch):
    """A province's night can leave a hundred thousand warnings: the page stays readable."""
    from flows.publish import dashboard

    monkeypatch.setattr(dashboard, "ISSUES_LISTED", 2)
    page = dashboard.write_dashboard(exports_dir(loaded_warehouse), tmp_path / "index.html").read_text()
    issues_table = page.split("<div id=\"dq-issues\">")[1].split("</section>")[0]
    total = sql(loaded_warehouse, "select count(*) from dq_issues")[0][0]
    assert issues_table.count("<tr class=") == 2
    assert f"{total - 2} more are in the full list" in page
    ambiguous = sql(loaded_warehouse, "select count(*) from dq_issues where check_name = 'ambiguous_number'")[0][0]
    assert re.search(rf"<tr class='\w+' data-check='ambiguous_number'>.*?<td>{ambiguous}</td>", page)


def test_outputs_go_where_the_user_says_and_nothing_beside_the_warehouse(prefect_harness, raw_copy, tmp_path, capsys):
    """`--outputs DIR` for every command that writes them: load, withdraw and dashboard."""
    from bench.synth import write_corpus
    from flows.cli import main
    from tests.conftest import RAW

    write_corpus(3, raw_copy, RAW, seed=3)  # commune workbooks beside the two district tables
    warehouse, outputs = tmp_path / "big" / "big.duckdb", tmp_path / "for analysts"
    warehouse.parent.mkdir()
    assert main(["load", "--raw", str(raw_copy), "--warehouse", str(warehouse), "--outputs", str(outputs)]) == 0
    summary = capsys.readouterr().out
    assert f"Exports, dashboard, data dictionary and the clerks' feedback workbooks: {outputs.resolve()}/" in summary

    def beside_the_warehouse() -> set[str]:
        return {p.name for p in warehouse.parent.iterdir() if p.is_dir() or not p.name.startswith(warehouse.name)}

    def manifest_load() -> int:
        return json.loads((exports_dir(warehouse, outputs) / "manifest.json").read_text(encoding="utf-8"))["load_id"]

    assert beside_the_warehouse() == set()
    assert manifest_load() == 1
    exported = {p.name for p in exports_dir(warehouse, outputs).iterdir()}
    assert {view + ".parquet" for view in analyst_views()} <= exported
    assert dashboard_file(warehouse, outputs).is_file()
    assert (docs_dir(warehouse, outputs) / "data_dictionary.md").is_file()
    assert dashboard_file(warehouse, outputs) == outputs / "dashboard" / "index.html"

    synthetic = sql(warehouse, "select source_file from file_events where source_file like '%bao_cao.xlsx' "
                               "limit 1")[0][0]
    assert main(["withdraw", synthetic, "--warehouse", str(warehouse), "--outputs", str(outputs), "--yes"]) == 0
    assert manifest_load() == 2 and beside_the_warehouse() == set()
    shutil.rmtree(outputs / "dashboard")
    assert main(["dashboard", "--warehouse", str(warehouse), "--outputs", str(outputs)]) == 0
    assert f"file://{dashboard_file(warehouse, outputs).resolve()}" in capsys.readouterr().out
    assert dashboard_file(warehouse, outputs).is_file() and beside_the_warehouse() == set()

    # Without --outputs they go where they were last written, not to a second set nothing reads.
    shutil.rmtree(outputs / "dashboard")
    assert main(["dashboard", "--warehouse", str(warehouse)]) == 0
    assert f"file://{dashboard_file(warehouse, outputs).resolve()}" in capsys.readouterr().out
    assert dashboard_file(warehouse, outputs).is_file() and beside_the_warehouse() == set()
    assert main(["withdraw", "thong_nong/chi_tieu_ktxh_2015_2019.xlsx", "--warehouse", str(warehouse), "--yes"]) == 0
    assert manifest_load() == 3 and beside_the_warehouse() == set()
    # Named as the warehouse's own folder, they go back beside it, and stay there after.
    assert main(["dashboard", "--warehouse", str(warehouse), "--outputs", str(warehouse.parent)]) == 0
    assert beside_the_warehouse() == {"exports", "dashboard", "docs", "feedback"}
    shutil.rmtree(warehouse.parent / "dashboard")
    assert main(["dashboard", "--warehouse", str(warehouse)]) == 0
    assert (warehouse.parent / "dashboard" / "index.html").is_file()


def _page_rows(page: str) -> dict[str, str]:
    """Each attainment row of the page by its id ('merged-grain_output'), as HTML."""
    rows = {}
    for chunk in page.split("<tr id='")[1:]:
        row_id, _, rest = chunk.partition("'")
        rows[row_id] = rest.split("</tr>")[0]
    return rows


def _printed_pct(row: str) -> float | None:
    import re

    found = re.search(r"<b>([0-9.,]+) %</b>", row)
    return None if found is None else float(found.group(1).replace(".", "").replace(",", "."))


def test_the_printed_percentage_never_contradicts_the_status(loaded_warehouse):
    """Rounding never flips a status: a result short of 100 % not met never prints "100%"."""
    from flows.publish.dashboard import _pct_on_status_side

    rows = _page_rows(dashboard_file(loaded_warehouse).read_text(encoding="utf-8"))
    attainment = sql(loaded_warehouse, "select district || '-' || indicator_code, status, direction, attainment_pct, "
                                       "value from target_attainment")
    printed = 0
    for row_id, status, direction, pct, value in attainment:
        shown = _printed_pct(rows[row_id])
        if status in ("undetermined", "partial"):  # no reading was made: no bar, no percentage, the reason instead
            assert shown is None and "<svg" not in rows[row_id] and "class='reason'" in rows[row_id], row_id
        elif shown is not None:
            printed += 1
            assert _pct_on_status_side(shown, status, direction), (row_id, shown, status)
            assert abs(shown - pct) < 0.5, row_id  # the figure's own value, only rounded
        elif value is not None:  # a percentage the status overrules is not printed: the reason says why
            assert "class='reason'" in rows[row_id], row_id
    assert printed > 40
    # the auditor's row: 99.8 % of an at-least-100 target, not met
    assert "<b>99,8 %</b> ✗" in rows["ha_quang-party_members_completing_duties"]


@pytest.mark.parametrize(("pct", "status", "direction", "text"), [
    (99.8, "not_met", "higher_is_better", "99,8"),
    (99.96, "not_met", "higher_is_better", "99,96"),
    (99.999996, "not_met", "higher_is_better", "99,9999"),  # past four decimals, cut below 100
    (100.04, "met", "higher_is_better", "100"),
    (85.2, "not_met", "higher_is_better", "85"),
    (100.3, "not_met", "lower_is_better", "100,3"),  # the mirror case
    (99.97, "met", "lower_is_better", "100"),
    (100.02, "not_met", "within_range", "100,02"),
    (99.6, "not_met", "within_range", "99,6"),
    (100.0, "met", "within_range", "100"),
    (100.0, "not_met", "higher_is_better", None),  # a percentage the figures overruled is not printed
    (103.0, "not_met", "higher_is_better", None),
    (92.0, "undetermined", "higher_is_better", None),
    (None, "met", "higher_is_better", None),
])
def test_a_percentage_keeps_as_many_decimals_as_its_status_needs(pct, status, direction, text):
    from flows.publish.dashboard import _pct_text

    assert _pct_text(pct, status, direction) == text


def _merged_row(code: str, status: str, reported_by: str, **figures) -> dict:
    row = {"district": "merged", "indicator_code": code, "name_vi": code, "name_en": code, "unit": "percent",
           "unit_name_vi": "%",
           "count_base": None, "count_base_label": None, "value": 10.0, "target_low": 10.0, "target_high": 10.0,
           "direction": "higher_is_better", "attainment_pct": 100.0, "status": status, "coverage": 1.0,
           "period_basis": "aligned", "status_reason": f"English reason of {code}",
           "status_reason_vi": f"reason of {code}", "shortfall_pct": 0.0,
           "reported_by": reported_by}
    return row | figures


def _contribution(code: str, predecessor: str, name: str, value: float, **more) -> dict:
    return {"successor": "merged", "indicator_code": code, "predecessor": predecessor, "predecessor_name_vi": name,
            "predecessor_name_en": name, "value": value, "value_text": None, "target_low": 12.0, "target_high": None,
            "unit_name_vi": "%",
            "is_estimate": False, "period_end": None} | more


def test_the_merged_panel_shows_partial_figures_as_their_predecessors_on_a_variant():
    """Hand-made rows the committed data does not all have (a count, an undetermined row with a percentage,
    partial figures of either predecessor, mixed periods): the page reads status, coverage, count_base and
    merger_contributions, not district names."""
    import datetime as dt

    from flows.publish.dashboard import _district_section

    rows = [_merged_row("both_met", "met", "a + b", period_basis="mixed"),
            _merged_row("b_short", "not_met", "a + b", value=9.996, attainment_pct=99.96),
            _merged_row("communes", "not_met", "a + b", unit="commune", unit_name_vi="xã", value=40.0,
                        target_low=41.0, target_high=41.0, attainment_pct=40 / 41 * 100, count_base=45,
                        count_base_label="pre-2020 communes"),
            _merged_row("doubted", "undetermined", "a + b", unit="tonne", unit_name_vi="tấn", attainment_pct=180.0),
            # exactly on a strict bound ("trên 10"), not met on the letter: no "100%" beside "not met"
            _merged_row("on_strict_bound", "not_met", "a + b"),
            _merged_row("b_alone", "partial", "b", value=None, attainment_pct=None, coverage=0.41),
            _merged_row("a_alone", "partial", "a", value=None, attainment_pct=None, coverage=0.59)]
    contributions = {
        ("merged", "both_met"): [
            _contribution("both_met", "a", "Huyện A (cũ)", 11.0, is_estimate=True, period_end=dt.date(2020, 12, 31)),
            _contribution("both_met", "b", "Huyện B (cũ)", 9.0, period_end=dt.date(2019, 12, 31))],
        ("merged", "b_alone"): [_contribution("b_alone", "b", "Huyện B (cũ)", 7.5)],
        ("merged", "a_alone"): [_contribution("a_alone", "a", "Huyện A (cũ)", 13.0)],
    }
    page = _district_section("merged", "Huyện mới", "merged district", rows, contributions)
    headline = page.split("id='headline-merged'>")[1].split("</ul>")[0]
    assert "<b>1</b> Đạt / trên tổng số 5 chỉ tiêu" in headline and "of 5" in headline  # full figures only
    assert "<b>3</b> Không đạt / trên tổng số 5" in headline and "<b>2</b> Số liệu chưa đầy đủ" in headline
    assert "English reason" not in page
    by_id = _page_rows(page)
    assert "Huyện B (cũ): 7,5 % / ≥ 12" in by_id["merged-b_alone"] and "41 %" in by_id["merged-b_alone"]
    assert "Huyện A (cũ): 13 %" in by_id["merged-a_alone"] and "<svg" not in by_id["merged-a_alone"]
    assert "reason of a_alone" in by_id["merged-a_alone"]
    assert "Huyện A (cũ) ước thực hiện đến 31/12/2020; Huyện B (cũ) thực hiện đến 31/12/2019" in by_id["merged-both_met"]
    assert "Kỳ số liệu" not in by_id["merged-b_short"]
    assert "<b>99,96 %</b>" in by_id["merged-b_short"]
    assert "40 / ≥ 41 xã" in by_id["merged-communes"] and "of 45 pre-2020 communes" in by_id["merged-communes"]
    assert "<b>97,5" not in by_id["merged-communes"] and "<b>98 %</b>" in by_id["merged-communes"]
    on_bound = by_id["merged-on_strict_bound"]
    assert "<svg" not in on_bound and "100 %" not in on_bound and "100%" not in on_bound and "reason of on_strict_bound" in on_bound
    assert "reason of b_short" not in by_id["merged-b_short"]  # its figures and percentage say it
    doubted = by_id["merged-doubted"]
    assert "<svg" not in doubted and "%" not in doubted.split("</th>")[1] and "reason of doubted" in doubted


def test_the_merged_panel_on_the_committed_data_shows_partial_figures_and_count_bases(loaded_warehouse):
    page = dashboard_file(loaded_warehouse).read_text(encoding="utf-8")
    rows = _page_rows(page)
    merged = sql(loaded_warehouse, "select indicator_code, status, count_base, count_base_label "
                                   "from target_attainment where district = 'merged'")
    names = dict(sql(loaded_warehouse, "select predecessor, predecessor_name_vi from boundary_changes "
                                       "where successor = 'merged'"))
    reporters = {code: reported_by.split(" + ") for code, reported_by in sql(
        loaded_warehouse, "select indicator_code, reported_by from merged_district_indicators where successor = 'merged'")}
    assert sum(status == "partial" for _, status, _, _ in merged) == 31
    for code, status, count_base, label in merged:
        row = rows[f"merged-{code}"]
        assert (say("dashboard.status.partial", "vi") in row) == (status == "partial"), code
        if status == "partial":  # each reporting predecessor's own figure, under its own name
            assert all(f"{names[p]}:" in row for p in reporters[code]) and "<svg" not in row, code
        if count_base is not None:
            assert f"of {count_base} {label}" in row, code
    headline = page.split("id='headline-merged'>")[1].split("</ul>")[0]
    decided = sum(r[1] != "partial" for r in merged)
    for status in ("met", "not_met", "undetermined"):
        item = headline.split(f"<li class='{status}'>")[1].split("</li>")[0]
        assert f"<b>{sum(r[1] == status for r in merged)}</b>" in item and f"trên tổng số {decided} chỉ tiêu" in item
    assert "of 30 pre-2020 communes" in rows["merged-communes_health_standard"]


def test_target_attainment_says_whose_figures_each_row_is(loaded_warehouse):
    """reported_by: the former districts whose figures a merged row is made from."""
    mismatched = sql(loaded_warehouse, """
        with own as (
            select indicator_code, string_agg(district, ' + ' order by district) as districts
            from target_attainment where district <> 'merged' group by indicator_code
        )
        select t.district, t.indicator_code, t.reported_by, own.districts
        from target_attainment t left join own using (indicator_code)
        where t.reported_by is distinct from (case when t.district = 'merged' then own.districts else t.district end)
    """)
    assert mismatched == []
    kinds = {r[0] for r in sql(loaded_warehouse, "select reported_by from target_attainment where district = 'merged'")}
    assert kinds == {"ha_quang", "thong_nong", "ha_quang + thong_nong"}
    # a merged row of one former district's figure is partial: no value, no percentage, no status of its own
    single = sql(loaded_warehouse, """
        select status, value, attainment_pct, coverage < 2 / 3 from target_attainment
        where district = 'merged' and reported_by not like '% + %'""")
    assert single and set(single) == {("partial", None, None, True)}


def test_the_dashboard_writes_a_strict_bound_as_the_source_does():
    from flows.publish.dashboard import _target

    assert (_target(None, 2.0, strict=True), _target(None, 2.0)) == ("< 2", "≤ 2")  # "dưới 2" / "không quá 2"
    assert (_target(70.0, None, strict=True), _target(70.0, None)) == ("> 70", "≥ 70")
    # a bare figure is a bound in the indicator's direction; a range keeps both ends
    assert (_target(34.0, 34.0, direction="higher_is_better"), _target(2.0, 2.0, direction="lower_is_better")) == \
        ("≥ 34", "≤ 2")
    assert _target(650.0, 700.0, direction="within_range") == "650-700"
    assert _target(650.0, 700.0, strict=True) == "650-700"
