"""The dashboard page: a static HTML report built from the exports alone.

A static page (inline SVG, no JavaScript, no server) because district officials open it from a
shared folder or an e-mail on machines without internet, and because it is written by the same
load that writes the exports, so it never shows a half-finished night. Labels are Vietnamese
with the English beside them. Whether a target was met is the view target_attainment's decision,
made once in SQL; the page only groups, counts and orders it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from flows.parse.numbers import format_number
from flows.publish.wording import counted

# The groups of each unit, in reading order: what was missed comes first; a successor's partial
# figures (too little of it reported: no status of its own) last.
STATUSES = (
    ("not_met", "Chưa đạt", "not met"),
    ("undetermined", "Chưa xác định được", "undetermined"),
    ("met", "Đạt", "met"),
    ("partial", "Số liệu chưa đầy đủ", "partial figure, no status"),
)
HEADLINE_ORDER = ("met", "not_met", "undetermined", "partial")
DECIDED = ("met", "not_met", "undetermined")  # a full figure's statuses: the headline's "of N"
DIRECTIONS = {
    "lower_is_better": "↓ càng thấp càng tốt / lower is better",
    "within_range": "↔ trong khoảng / within a range",
}
ISSUES_LISTED = 200  # the page lists the first issues, errors first; all of them are in dq_issues
BAR_SCALE_PCT = 150.0  # bars run from 0 to 150 % of target, the tick marks 100 %
PCT_DECIMALS = 4  # as figure_text / format_number: a percentage needing more is cut toward its own side
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def write_dashboard(exports_dir: Path, out_file: Path) -> Path:
    """Render the page from warehouse/exports/*.parquet and manifest.json."""
    manifest = json.loads((exports_dir / "manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect() as con:
        def read(view: str, query: str = "select * from t") -> list[dict]:
            relation = con.read_parquet(str(exports_dir / f"{view}.parquet"))
            cursor = relation.query("t", query)
            return [dict(zip(cursor.columns, row)) for row in cursor.fetchall()]

        # met / not met is the view's decision; the page only orders it: the largest shortfall first
        attainment = read("target_attainment",
                          "select * from t order by district, status, shortfall_pct desc nulls last, indicator_code")
        comparison = read("district_comparison")
        # the sections: each district-level successor, then its predecessors (schemas/boundary_changes.csv)
        units = _district_units(read("boundary_changes", "select * from t where level = 'district' "
                                                         "order by change_code, predecessor"))
        contributions = read("merger_contributions", "select * from t where is_reported order by predecessor")
        # the issues someone must act on; an info row (a reading resolved with evidence) is only counted
        issues = read("dq_issues", "select * from t where severity <> 'info' "
                      f"order by severity, source_file, source_row limit {ISSUES_LISTED}")
        by_check = read("dq_issues", "select severity, check_name, count(*) as n from t group by all order by all")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    page = _page(manifest, attainment, comparison, issues, by_check, units, contributions)
    temporary = out_file.with_name(f".{out_file.name}.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out_file)
    return out_file


def _district_units(changes: list[dict]) -> list[tuple[str, str, str]]:
    """(code, Vietnamese name, English name) of each successor, each followed by its predecessors."""
    units = [unit for change in changes for unit in (
        (change["successor"], change["successor_name_vi"], change["successor_name_en"]),
        (change["predecessor"], change["predecessor_name_vi"], change["predecessor_name_en"]))]
    return list(dict.fromkeys(units))  # each once, where it first appears


def _local_time(iso: str | None) -> str:
    if not iso:
        return "—"
    return dt.datetime.fromisoformat(iso).astimezone(LOCAL_ZONE).strftime("%d/%m/%Y %H:%M")


def _figure(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{format_number(round(value, 2))} {unit}".strip()


def _target(low: float | None, high: float | None, strict: bool = False) -> str:
    """The target as the source wrote it: "< 2" for "dưới 2", "≤ 2" for "không quá 2"."""
    if low is not None and high is not None and low != high:
        return f"{_figure(low)}-{_figure(high)}"
    if low is None and high is not None:
        return f"{'<' if strict else '≤'} {_figure(high)}"
    if high is None and low is not None:
        return f"{'>' if strict else '≥'} {_figure(low)}"
    return _figure(low)


def _pct_agrees(shown: float, status: str, direction: str | None) -> bool:
    """Whether a percentage of target, as printed, says what the status says about the 100 % bar.

    100 % is the bound reached: met for an at-least or at-most target (and inside a range), so a
    higher-is-better result not met must print below 100, a lower-is-better one above it, and a
    within-range one anything but 100 (it may miss on either side)."""
    if status == "not_met":
        return {"higher_is_better": shown < 100, "lower_is_better": shown > 100}.get(direction, shown != 100)
    if status == "met":
        return {"higher_is_better": shown >= 100, "lower_is_better": shown <= 100}.get(direction, True)
    return False  # an undetermined row has no percentage to show


def _pct_text(pct: float | None, status: str, direction: str | None) -> str | None:
    """The percentage with as few decimals as keep it on the status's side of 100 %, or None.

    Rounding must never flip a status: 99.8 % not met prints "99,8", never "100"; 100.04 % met over
    an at-least bound prints "100". Past PCT_DECIMALS it is cut toward its own side of 100 rather
    than rounded onto it. None where even the exact figure disagrees with the status (a reported
    percentage the view overruled on the figures) or the row is undetermined: the page then shows
    the figures and the status, never a percentage that says otherwise."""
    if pct is None or not math.isfinite(pct) or not _pct_agrees(pct, status, direction):
        return None
    for decimals in range(PCT_DECIMALS + 1):
        if _pct_agrees(round(pct, decimals), status, direction):
            return format_number(round(pct, decimals))
    step = 10 ** PCT_DECIMALS
    cut = (math.floor if pct < 100 else math.ceil)(pct * step) / step
    return format_number(cut) if _pct_agrees(cut, status, direction) else None


def _bar(pct: float | None, status: str, direction: str | None) -> str:
    """A bullet bar: attainment against a tick at 100 %, coloured by the view's status.

    An undetermined row draws no bar and no percentage whatever attainment_pct holds: the source
    contradicts itself or a figure is in doubt, so any length would be a reading nobody made."""
    verdict = {"met": "✓ đạt / met", "not_met": "✗ chưa đạt / not met"}.get(status, "? chưa xác định / undetermined")
    text = _pct_text(pct, status, direction)
    if text is None:
        return f"<span class='verdict'>{verdict}</span>"
    width = max(0.0, min(pct, BAR_SCALE_PCT)) / BAR_SCALE_PCT * 160
    tick = 100.0 / BAR_SCALE_PCT * 160
    colour = {"met": "#2e7d32", "not_met": "#c62828"}.get(status, "#9e9e9e")
    return (f"<svg class='bar' width='170' height='16' role='img' aria-label='{text}%'>"
            f"<rect x='0' y='3' width='160' height='10' fill='#eee'/>"
            f"<rect x='0' y='3' width='{width:.1f}' height='10' fill='{colour}'/>"
            f"<line x1='{tick:.1f}' x2='{tick:.1f}' y1='0' y2='16' stroke='#333'/></svg>"
            f" <span class='verdict'><b>{text}%</b> {verdict}</span>")


def _date(value) -> str:
    return "—" if value is None else f"{value:%d/%m/%Y}"


def _contribution(c: dict) -> str:
    """One predecessor's own figure, named as its own: "Hà Quảng (cũ): 934 ha / ≥ 800"."""
    e = html.escape
    figure = _figure(c["value"], e(c["unit_name_vi"] or "")) if c["value"] is not None else e(c["value_text"] or "—")
    has_target = c["target_low"] is not None or c["target_high"] is not None
    target = f" / {_target(c['target_low'], c['target_high'])}" if has_target else ""
    return f"{e(c['predecessor_name_vi'])}: {figure}{target}{_as_reported(c, 'value')}"


def _as_reported(r: dict, value_key: str) -> str:
    """The sheet's own figures and unit cell, where what is shown differs from them: "95 %" of
    communes shown as at least 11 of 11, "44 nhà" in five years shown as 8,8 a year, a unit cell
    "0" that is no unit, so the figures are shown without one."""
    e = html.escape
    reported = (r.get("value_reported"), r.get("target_low_reported"), r.get("target_high_reported"))
    if all(figure is None for figure in reported):
        return ""
    unit_unread = r.get("unit_name_vi") is None and bool(r.get("unit_reported"))
    if reported == (r[value_key], r["target_low"], r["target_high"]) and not unit_unread:
        return ""
    target = _target(r.get("target_low_reported"), r.get("target_high_reported"), bool(r.get("target_strict")))
    if unit_unread:
        return (f"<div class='reported'>Báo cáo ghi: {_figure(reported[0])} / {target}; ô đơn vị ghi "
                f"«{e(r['unit_reported'])}», không phải một đơn vị <span class='en'>as reported; the unit cell "
                f"says «{e(r['unit_reported'])}», which is no unit</span></div>")
    unit = e(r.get("unit_reported") or "")
    return (f"<div class='reported'>Báo cáo ghi: {_figure(reported[0], unit)} / {target} {unit}"
            f" <span class='en'>as reported</span></div>")


def _periods(r: dict, contributions: list[dict]) -> str:
    """Beside a successor's figure whose predecessors' periods differ: each one's period, in words."""
    e = html.escape
    if r.get("period_basis") != "mixed":
        return ""
    parts_vi = [f"{e(c['predecessor_name_vi'])} {'ước thực hiện' if c['is_estimate'] else 'thực hiện'} "
                f"đến {_date(c['period_end'])}" for c in contributions]
    parts_en = [f"{e(c['predecessor_name_en'])} {'estimate' if c['is_estimate'] else 'actual'} "
                f"to {_date(c['period_end'])}" for c in contributions]
    return (f"<div class='period'>Kỳ số liệu khác nhau: {'; '.join(parts_vi)} "
            f"<span class='en'>periods differ: {'; '.join(parts_en)}</span></div>")


def _result(r: dict, contributions: list[dict]) -> str:
    """Result / target; a count of administrative units names the base it counted against; a partial
    successor figure shows each reporting predecessor's own figure, as that predecessor's."""
    e = html.escape
    if r["status"] == "partial":
        return "<br>".join(_contribution(c) for c in contributions) or "—"
    if r["value"] is None:
        return e(r["status_reason"] if r["status"] != "undetermined" else "—")
    target = _target(r["target_low"], r["target_high"], bool(r.get("target_strict")))
    unit = r["unit_name_vi"] or ""  # the row's own unit: a count of communes is not the indicator's %
    if r.get("count_base") is None:
        return f"{_figure(r['value'], unit)} / {target}"
    # "27 / 28 of 30 pre-2020 communes": the base is the units the predecessors counted, not today's
    base = _figure(r["count_base"])
    return (f"{_figure(r['value'])} / {target} {e(unit)} trên tổng {base} "
            f"<span class='en'>of {base} {e(r['count_base_label'] or '')}</span>")


def _attainment_row(r: dict, contributions: dict) -> str:
    e = html.escape
    code, status = r["indicator_code"], r["status"]
    direction = DIRECTIONS.get(r["direction"])
    own = contributions.get((r["district"], code), [])
    result = _result(r, own) + _as_reported(r, "value")
    badge = "" if status != "partial" else (
        f"<br><span class='only'>chưa đủ số liệu: {round(r['coverage'] * 100)} % "
        f"<span class='en'>partial: {round(r['coverage'] * 100)} % covered</span></span>")
    raw = "" if r["value"] is None else f" data-value='{r['value']:g}'"
    # the reason where the figures alone do not carry the status: undetermined, partial, or a percentage
    # the status overrules (a value exactly on a strict bound "trên 70" is 100 % and not met on the letter)
    unexplained = r["value"] is not None and _pct_text(r["attainment_pct"], status, r["direction"]) is None
    reason = (f"<div class='reason'>{e(r['status_reason'])}</div>"
              if status in ("undetermined", "partial") or unexplained else "")
    bar = "" if status == "partial" else _bar(r["attainment_pct"], status, r["direction"])
    return (f"<tr id='{e(r['district'])}-{e(code)}' class='{e(status)}'>"
            f"<th><span class='vi'>{e(r['name_vi'])}</span><br><span class='en'>{e(r['name_en'])}</span>"
            f"{f'<br><span class=direction>{e(direction)}</span>' if direction else ''}{badge}</th>"
            f"<td{raw}><div class='figures'>{result}</div>{bar}{_periods(r, own)}{reason}</td></tr>")


def _district_section(district: str, vi: str, en: str, rows: list[dict],
                      contributions: dict | None = None) -> str:
    counts = {status: sum(r["status"] == status for r in rows) for status, _, _ in STATUSES}
    # a successor's headline counts its full figures only ("8 met of 16"); its partial ones apart
    decided = sum(counts[s] for s in DECIDED)

    def item(status: str, svi: str, sen: str) -> str:
        if status == "partial":
            return (f"<li class='partial'><b>{counts[status]}</b> {svi} <span class='en'>{sen}</span></li>"
                    if counts[status] else "")
        return (f"<li class='{status}'><b>{counts[status]}</b> {svi} / {decided} "
                f"<span class='en'>{sen} of {decided}</span></li>")

    headline = "".join(item(s, svi, sen)
                       for s, svi, sen in sorted(STATUSES, key=lambda status: HEADLINE_ORDER.index(status[0])))
    groups = []
    for status, svi, sen in STATUSES:
        members = [r for r in rows if r["status"] == status]
        if members:
            groups.append(f"<h3>{svi} <span class='en'>{sen} ({len(members)})</span></h3>"
                          f"<table class='attainment {status}'>"
                          f"{''.join(_attainment_row(r, contributions or {}) for r in members)}</table>")
    return (f"<section id='district-{district}'><h2>{vi} <span class='en'>{en}</span></h2>"
            f"<ul class='headline' id='headline-{district}'>{headline}</ul>{''.join(groups)}</section>")


def _page(manifest, attainment, comparison, issues, by_check, units, contributions) -> str:
    e = html.escape
    by_successor: dict[tuple[str, str], list[dict]] = {}
    for c in contributions:
        by_successor.setdefault((c["successor"], c["indicator_code"]), []).append(c)
    sections = "".join(_district_section(d, vi, en, [r for r in attainment if r["district"] == d], by_successor)
                       for d, vi, en in units)
    # indicators every predecessor reported that still cannot be compared one to one
    shown = {code for code, _, _ in units}
    not_comparable = [r for r in comparison if not r["comparable"] and r["successor"] in shown
                      and len((r["reported_by"] or "").split(" + ")) == r["predecessor_count"]]
    issue_rows = [f"<tr class='{e(i['severity'])}'><td>{e(i['severity'])}</td><td>{e(i['check_name'])}</td>"
                  f"<td>{e(i['source_file'])}</td><td>{e(i['source_sheet'] or '')}</td>"
                  f"<td>{e((i['source_column'] or '') + str(i['source_row'] or ''))}</td>"
                  f"<td>{e(i['message'])}</td></tr>" for i in issues]
    counts = {s: sum(c["n"] for c in by_check if c["severity"] == s) for s in ("error", "warning", "info")}
    check_rows = "".join(f"<tr class='{e(c['severity'])}'><td>{e(c['severity'])}</td><td>{e(c['check_name'])}</td>"
                         f"<td>{c['n']}</td></tr>" for c in by_check)
    unlisted = counts["error"] + counts["warning"] - len(issues)
    more = (f"<p id='more-issues'>{len(issues)} vấn đề đầu tiên được liệt kê; còn {unlisted} vấn đề khác "
            f"<span class='en'>The first {len(issues)} issues are listed; {unlisted} more are in "
            "exports/dq_issues.csv and the view dq_issues</span></p>") if unlisted > 0 else ""
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Hà Quảng: kết quả thực hiện chỉ tiêu / target attainment</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:75rem}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top;overflow-wrap:break-word}}
th .en,.en{{color:#666;font-weight:normal;font-size:.85em}} .direction{{color:#6a1b9a;font-weight:normal;font-size:.85em}}
table.attainment{{table-layout:fixed}} table.attainment th{{width:45%}} .reason{{color:#555;font-size:.85em}} .figures{{white-space:nowrap}}
.none{{color:#999}} .bar{{vertical-align:middle;max-width:100%}} tr.error td:first-child{{color:#c62828;font-weight:bold}}
tr.warning td:first-child{{color:#b26a00}} .only{{display:inline-block;margin-top:.2rem;padding:0 .3rem;
 border:1px solid #b26a00;border-radius:.2rem;color:#7a4a00;font-size:.85em;font-weight:normal}} .stamp{{color:#555}} .verdict{{white-space:nowrap}}
.headline{{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}}
.headline li{{border:1px solid #ddd;border-radius:.3rem;padding:.3rem .6rem}} .headline b{{font-size:1.4em}}
.headline .met b{{color:#2e7d32}} .headline .not_met b{{color:#c62828}} .headline .undetermined b{{color:#616161}} .period{{color:#6a1b9a;font-size:.85em}} .reported{{color:#555;font-size:.85em}}
section{{margin-bottom:2rem}} .wide{{overflow-x:auto}}
@media (max-width:600px){{body{{margin:.6rem}} .figures{{white-space:normal}}
 table.attainment,table.attainment tbody,table.attainment tr,table.attainment th,table.attainment td{{display:block;width:auto}}
 table.attainment th{{border-bottom:none;padding-bottom:0}}}}
</style></head><body>
<h1>Huyện Hà Quảng: kết quả thực hiện chỉ tiêu 2015-2020 <span class="en">Hà Quảng district: target attainment 2015-2020</span></h1>
<p class="stamp" id="last-load">Lần nạp dữ liệu gần nhất / last load: số {manifest['load_id']},
{e(_local_time(manifest['load_finished_at']))} (giờ Việt Nam / Vietnam time)</p>
<p>Đạt hay chưa đạt do kho dữ liệu quyết định (view target_attainment): so sánh kết quả với chỉ tiêu theo chiều của chỉ tiêu;
chưa xác định khi nguồn tự mâu thuẫn hoặc số liệu cần người kiểm tra.
<span class="en">Met or not met is decided by the warehouse (view target_attainment): the result against the target in the
indicator's direction; undetermined where the source contradicts itself or a figure needs a person to check it.
Bars show result / target, the tick is 100 %.</span></p>
{sections}
<h2>Chỉ tiêu không so sánh được <span class="en">Indicators that are not comparable, and why</span></h2>
<table id="not-comparable"><tr><th>Chỉ tiêu <span class="en">indicator</span></th><th>Lý do <span class="en">reason</span></th></tr>
{''.join(f"<tr><td>{e(r['name_vi'])} <span class='en'>{e(r['name_en'])}</span></td><td>{e(r['comparable_reason'] or '')}</td></tr>" for r in not_comparable)}
</table>
<h2>Vấn đề chất lượng dữ liệu <span class="en">Open data-quality issues: {counted(counts['error'], 'error')}, {counted(counts['warning'], 'warning')}</span></h2>
<p id="resolved-readings">{counts['info']} cách đọc số đã được xác định có căn cứ (info, không cần xử lý)
<span class="en">{counts['info']} readings the loader resolved with evidence (info: nothing to do; listed in the view dq_issues)</span></p>
<table id="dq-checks"><tr><th>mức / severity</th><th>kiểm tra / check</th><th>số / count</th></tr>{check_rows}</table>
{more}
<div class="wide"><table id="dq-issues"><tr><th>mức / severity</th><th>kiểm tra / check</th><th>tệp / file</th><th>trang / sheet</th>
<th>ô / cell</th><th>nội dung / message</th></tr>
{''.join(issue_rows)}</table></div>
</body></html>
"""
