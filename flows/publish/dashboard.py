"""The dashboard page: a static HTML report built from the exports alone.

A static page (inline SVG, no JavaScript, no server) because district officials open it from a
shared folder or an e-mail on machines without internet, and because it is written by the same
load that writes the exports, so it never shows a half-finished night. Labels are Vietnamese
with the English beside them.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from flows.parse.numbers import format_number

# The two former districts the merge models of sql/ are written for (their ha_quang_* and thong_nong_*
# columns); a third district needs those models changed first (README: "How the two former districts
# are combined"), and tests/test_models.py fails until schemas/districts.csv and this agree with them.
DISTRICTS = (("ha_quang", "Hà Quảng (cũ)", "former Hà Quảng"), ("thong_nong", "Thông Nông (cũ)", "former Thông Nông"))
ISSUES_LISTED = 200  # the page lists the first issues, errors first; all of them are in dq_issues
BAR_SCALE_PCT = 150.0  # bars run from 0 to 150 % of target, the tick marks 100 %
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
METHODS = {
    "not_aggregable": "không cộng gộp được / not aggregable",
    "single_source": "một nguồn / one source",
}


def write_dashboard(exports_dir: Path, out_file: Path) -> Path:
    """Render the page from warehouse/exports/*.parquet and manifest.json."""
    manifest = json.loads((exports_dir / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect() as con:
        def read(view: str, query: str = "select * from t") -> list[dict]:
            relation = con.read_parquet(str(exports_dir / f"{view}.parquet"))
            cursor = relation.query("t", query)
            return [dict(zip(cursor.columns, row)) for row in cursor.fetchall()]

        comparison = read("district_comparison")
        merged = {r["indicator_code"]: r for r in read("merged_district_indicators")}
        indicators = read("indicators")
        directions = {r["indicator_code"]: r["direction"] for r in indicators}
        unit_names = {r["indicator_code"]: r["unit_name_vi"] or "" for r in indicators}
        issues = read("dq_issues", f"select * from t order by severity, source_file, source_row limit {ISSUES_LISTED}")
        by_check = read("dq_issues", "select severity, check_name, count(*) as n from t group by all order by all")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    page = _page(manifest, comparison, merged, directions, unit_names, issues, by_check)
    temporary = out_file.with_name(f".{out_file.name}.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out_file)
    return out_file


def _local_time(iso: str | None) -> str:
    if not iso:
        return "—"
    return dt.datetime.fromisoformat(iso).astimezone(LOCAL_ZONE).strftime("%d/%m/%Y %H:%M")


def _met(pct: float | None, direction: str) -> bool | None:
    if pct is None:
        return None
    return pct <= 100.0 if direction == "lower_is_better" else pct >= 100.0 - 1e-9


def _figure(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{format_number(round(value, 2))} {unit}".strip()


def _bar(pct: float | None, met: bool | None) -> str:
    """A bullet bar: attainment against a tick at 100 %."""
    if pct is None:
        return "<span class='none'>không có / n.a.</span>"
    width = max(0.0, min(pct, BAR_SCALE_PCT)) / BAR_SCALE_PCT * 160
    tick = 100.0 / BAR_SCALE_PCT * 160
    colour = "#2e7d32" if met else "#c62828"
    return (f"<svg class='bar' width='170' height='16' role='img' aria-label='{pct:.0f}%'>"
            f"<rect x='0' y='3' width='160' height='10' fill='#eee'/>"
            f"<rect x='0' y='3' width='{width:.1f}' height='10' fill='{colour}'/>"
            f"<line x1='{tick:.1f}' x2='{tick:.1f}' y1='0' y2='16' stroke='#333'/></svg>"
            f" <span class='verdict'><b>{format_number(round(pct))}%</b> "
            f"{'✓ đạt / met' if met else '✗ chưa đạt / not met'}</span>")


def _cell(actual, target_low, target_high, pct, direction, unit, text=None) -> str:
    if text:
        return f"<td>{html.escape(text)}</td>"
    target = target_high if target_high is not None else target_low
    met = _met(pct, direction)
    raw = "" if actual is None else f" data-value='{actual:g}'"
    return (f"<td class='{'met' if met else 'unmet' if met is False else ''}'{raw}>"
            f"<div>{_figure(actual, unit)} / {_figure(target, '')}</div>{_bar(pct, met)}</td>")


def _page(manifest, comparison, merged, directions, unit_names, issues, by_check) -> str:
    e = html.escape
    rows = []
    for r in comparison:
        code, direction, unit = r["indicator_code"], directions.get(r["indicator_code"], ""), unit_names.get(
            r["indicator_code"], "")
        m = merged.get(code, {})
        cells = [_cell(r[f"{d}_actual"], r[f"{d}_target_low"], r[f"{d}_target_high"], r[f"{d}_computed_pct"],
                       direction, unit, r[f"{d}_actual_text"]) if r[f"{d}_label"] else "<td class='none'>—</td>"
                 for d, _, _ in DISTRICTS]
        merged_cell = _cell(m.get("value"), m.get("target"), None, m.get("attainment_pct"), direction, unit) \
            if m.get("value") is not None else f"<td class='none'>{e(METHODS.get(m.get('method'), '—'))}</td>"
        rows.append(f"<tr id='{e(code)}'><th><span class='vi'>{e(r['name_vi'])}</span><br>"
                    f"<span class='en'>{e(r['name_en'])}</span></th>{''.join(cells)}{merged_cell}</tr>")
    not_comparable = [r for r in comparison if not r["comparable"] and r["ha_quang_label"] and r["thong_nong_label"]]
    issue_rows = [f"<tr class='{e(i['severity'])}'><td>{e(i['severity'])}</td><td>{e(i['check_name'])}</td>"
                  f"<td>{e(i['source_file'])}</td><td>{e(i['source_sheet'] or '')}</td>"
                  f"<td>{e((i['source_column'] or '') + str(i['source_row'] or ''))}</td>"
                  f"<td>{e(i['message'])}</td></tr>" for i in issues]
    counts = {s: sum(c["n"] for c in by_check if c["severity"] == s) for s in ("error", "warning")}
    check_rows = "".join(f"<tr class='{e(c['severity'])}'><td>{e(c['severity'])}</td><td>{e(c['check_name'])}</td>"
                         f"<td>{c['n']}</td></tr>" for c in by_check)
    unlisted = sum(counts.values()) - len(issues)
    more = (f"<p id='more-issues'>{len(issues)} vấn đề đầu tiên được liệt kê; còn {unlisted} vấn đề khác "
            f"<span class='en'>The first {len(issues)} issues are listed; {unlisted} more are in "
            "exports/dq_issues.csv and the view dq_issues</span></p>") if unlisted > 0 else ""
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Hà Quảng: kết quả thực hiện chỉ tiêu / target attainment</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}} th .en,.en{{color:#666;font-weight:normal;font-size:.85em}}
.none{{color:#999}} .bar{{vertical-align:middle}} tr.error td:first-child{{color:#c62828;font-weight:bold}}
tr.warning td:first-child{{color:#b26a00}} .stamp{{color:#555}} .verdict{{white-space:nowrap}}
</style></head><body>
<h1>Huyện Hà Quảng: kết quả thực hiện chỉ tiêu 2015-2020 <span class="en">Hà Quảng district: target attainment 2015-2020</span></h1>
<p class="stamp" id="last-load">Lần nạp dữ liệu gần nhất / last load: số {manifest['load_id']},
{e(_local_time(manifest['load_finished_at']))} (giờ Việt Nam / Vietnam time)</p>
<h2>Mức đạt chỉ tiêu <span class="en">Target attainment (result / target; the tick is 100 %)</span></h2>
<table id="attainment"><tr><th>Chỉ tiêu <span class="en">indicator</span></th>
{''.join(f"<th>{vi} <span class='en'>{en}</span></th>" for _, vi, en in DISTRICTS)}
<th>Huyện Hà Quảng (mới) <span class="en">merged district</span></th></tr>
{''.join(rows)}</table>
<h2>Chỉ tiêu không so sánh được <span class="en">Indicators that are not comparable, and why</span></h2>
<table id="not-comparable"><tr><th>Chỉ tiêu <span class="en">indicator</span></th><th>Lý do <span class="en">reason</span></th></tr>
{''.join(f"<tr><td>{e(r['name_vi'])} <span class='en'>{e(r['name_en'])}</span></td><td>{e(r['comparable_reason'] or '')}</td></tr>" for r in not_comparable)}
</table>
<h2>Vấn đề chất lượng dữ liệu <span class="en">Open data-quality issues: {counts['error']} errors, {counts['warning']} warnings</span></h2>
<table id="dq-checks"><tr><th>mức / severity</th><th>kiểm tra / check</th><th>số / count</th></tr>{check_rows}</table>
{more}
<table id="dq-issues"><tr><th>mức / severity</th><th>kiểm tra / check</th><th>tệp / file</th><th>trang / sheet</th>
<th>ô / cell</th><th>nội dung / message</th></tr>
{''.join(issue_rows)}</table>
</body></html>
"""
