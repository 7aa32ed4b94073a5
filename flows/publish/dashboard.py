"""The dashboard page: a static HTML report built from the exports alone.

A static page (inline SVG, no JavaScript, no server) because district officials open it from a
shared folder or an e-mail on machines without internet, and because it is written by the same
load that writes the exports, so it never shows a half-finished night. Labels are Vietnamese
with the English beside them. Whether a target was met is the view target_attainment's decision,
made once in SQL; the page only groups, counts and orders it.

Every sentence is the message catalogue's (schemas/messages.csv, dashboard.*), Vietnamese first and the
English after it, smaller; reasons are the views' Vietnamese columns (status_reason_vi, comparable_reason_vi,
message_vi); numbers and dates are written by flows/core/reader_format. No check name, district code, file
path or view name is visible text: a clerk cannot act on them (the codes stay in data- attributes and titles).
The page never scrolls sideways, from a 360 px phone to a 1,920 px screen: long reasons wrap.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from pathlib import Path

import duckdb

from flows.core import reader_format
from flows.core.messages import message, say

# The groups of each unit, in reading order: what was missed comes first; a successor's partial
# figures (too little of it reported: no status of its own) last.
STATUSES = tuple((status, message(f"dashboard.status.{status}", "vi"), message(f"dashboard.status.{status}", "en"))
                 for status in ("not_met", "undetermined", "met", "partial"))
HEADLINE_ORDER = ("met", "not_met", "undetermined", "partial")
DECIDED = ("met", "not_met", "undetermined")  # a full figure's statuses: the headline's "of N"
DIRECTIONS = ("lower_is_better", "within_range")  # a higher-is-better indicator needs no mark
SEVERITIES = ("error", "warning", "info")  # the findings in this order: what was not loaded, what to check, what was resolved
ISSUES_LISTED = 200  # the page lists the first issues, errors first; all of them are in dq_issues
BAR_SCALE_PCT = 150.0  # bars run from 0 to 150 % of target, the tick marks 100 %
PCT_DECIMALS = 4  # as figure_text / reader_format: a percentage needing more is cut toward its own side


def format_number(value: float) -> str:
    """A figure as the reader's language writes it (17.889; 87,06): reader_format, the SQL macro's twin."""
    return reader_format.number(value, "vi")


def _both(message_id: str, **values) -> str:
    """A catalogue sentence, Vietnamese first and the English after it, smaller (escaped: values may be a cell's text)."""
    vi = html.escape(say(message_id, "vi", **values))
    en = html.escape(say(message_id, "en", **values))
    return f"{vi} <span class='en'>{en}</span>"


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
        # every finding, grouped by severity on the page; the check meanings name each check in Vietnamese
        # errors first, then warnings, info (readings resolved with evidence: nothing to do) last
        severity_order = "list_position(['error', 'warning', 'info'], severity)"
        issues = read("dq_issues", f"select * from t order by {severity_order}, source_file, source_sheet, "
                      f"source_row limit {ISSUES_LISTED}")
        checks = read("dq_checks", "select check_name, meaning_vi, meaning from t")
        meanings = {c["check_name"]: (c["meaning_vi"], c["meaning"]) for c in checks}
        by_check = [c | {"meaning_vi": meanings.get(c["check_name"], ("", ""))[0],
                         "meaning_en": meanings.get(c["check_name"], ("", ""))[1]}
                    for c in read("dq_issues", f"select severity, check_name, count(*) as n from t group by severity, check_name "
                                               f"order by {severity_order}, check_name")]
        names = {c["predecessor"]: c["predecessor_name_vi"] for c in read("boundary_changes")}
    out_file.parent.mkdir(parents=True, exist_ok=True)
    page = _page(manifest, attainment, comparison, issues, by_check, units, contributions, names)
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


def _local_time(iso: str | None, language: str = "vi") -> str:
    return "—" if not iso else reader_format.moment(dt.datetime.fromisoformat(iso), language)


def _figure(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{format_number(round(value, 2))} {unit}".strip()


def _target(low: float | None, high: float | None, strict: bool = False, direction: str | None = None) -> str:
    """The target as a bound the result is judged on: "< 2" for "dưới 2", "≤ 2" for "không quá 2", "> 70" for
    "trên 70", "650-700" for a range (both ends). A bare figure ("34") is a bound in the indicator's
    direction, written as one: "≥ 34" where more is better, "≤ 2" where less is."""
    if low is not None and high is not None and low != high:
        return f"{_figure(low)}-{_figure(high)}"
    if high is not None and (low is None or direction == "lower_is_better"):
        return f"{'<' if strict else '≤'} {_figure(high)}"
    if low is not None and (high is None or direction == "higher_is_better"):
        return f"{'>' if strict else '≥'} {_figure(low)}"
    return _figure(low)


def _pct_on_status_side(shown: float, status: str, direction: str | None) -> bool:
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
    if pct is None or not math.isfinite(pct) or not _pct_on_status_side(pct, status, direction):
        return None
    for decimals in range(PCT_DECIMALS + 1):
        if _pct_on_status_side(round(pct, decimals), status, direction):
            return format_number(round(pct, decimals))
    step = 10 ** PCT_DECIMALS
    cut = (math.floor if pct < 100 else math.ceil)(pct * step) / step
    return format_number(cut) if _pct_on_status_side(cut, status, direction) else None


def _bar(pct: float | None, status: str, direction: str | None) -> str:
    """A bullet bar: attainment against a tick at 100 %, coloured by the view's status.

    An undetermined row draws no bar and no percentage whatever attainment_pct holds: the source
    contradicts itself or a figure is in doubt, so any length would be a reading nobody made."""
    verdict = _both(f"dashboard.verdict.{status if status in ('met', 'not_met') else 'undetermined'}")
    text = _pct_text(pct, status, direction)
    if text is None:
        return f"<span class='verdict'>{verdict}</span>"
    width = max(0.0, min(pct, BAR_SCALE_PCT)) / BAR_SCALE_PCT * 160
    tick = 100.0 / BAR_SCALE_PCT * 160
    colour = {"met": "#2e7d32", "not_met": "#c62828"}.get(status, "#9e9e9e")
    shown = f"{text} %"  # as reader_format.percent writes a Vietnamese percentage: a space before the sign
    return (f"<svg class='bar' width='170' height='16' role='img' aria-label='{shown}'>"
            f"<rect x='0' y='3' width='160' height='10' fill='#eee'/>"
            f"<rect x='0' y='3' width='{width:.1f}' height='10' fill='{colour}'/>"
            f"<line x1='{tick:.1f}' x2='{tick:.1f}' y1='0' y2='16' stroke='#333'/></svg>"
            f" <span class='verdict'><b>{shown}</b> {verdict}</span>")


def _date(value) -> str:
    return reader_format.date(value, "vi")


def _contribution(c: dict, direction: str | None = None) -> str:
    """One predecessor's own figure, named as its own: "Hà Quảng (cũ): 934 ha / ≥ 800"."""
    e = html.escape
    figure = _figure(c["value"], e(c["unit_name_vi"] or "")) if c["value"] is not None else e(c["value_text"] or "—")
    has_target = c["target_low"] is not None or c["target_high"] is not None
    target = f" / {_target(c['target_low'], c['target_high'], bool(c.get('target_strict')), direction)}" if has_target else ""
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
    target = _target(r.get("target_low_reported"), r.get("target_high_reported"), bool(r.get("target_strict")),
                     r.get("direction"))
    if unit_unread:
        return (f"<div class='reported'>{_both('dashboard.unit_unread', figures=f'{_figure(reported[0])} / {target}', unit=r['unit_reported'])}</div>")
    unit = r.get("unit_reported") or ""
    figures = f"{_figure(reported[0], unit)} / {target} {unit}".strip()
    return f"<div class='reported'>{_both('dashboard.as_reported', figures=figures)}</div>"


def _periods(r: dict, contributions: list[dict]) -> str:
    """Beside a successor's figure whose predecessors' periods differ: each one's period, in words."""
    e = html.escape
    if r.get("period_basis") != "mixed":
        return ""
    def part(c: dict, language: str) -> str:
        kind = "estimate" if c["is_estimate"] else "actual"
        return say(f"reason.period.{kind}", language, unit=c[f"predecessor_name_{language}"],
                   date=c["period_end"]) if c["period_end"] else say(f"reason.period.{kind}", language,
                   unit=c[f"predecessor_name_{language}"], date=message("reason.period.unknown", language))
    vi = e(say("dashboard.periods", "vi", periods="; ".join(part(c, "vi") for c in contributions)))
    en = e(say("dashboard.periods", "en", periods="; ".join(part(c, "en") for c in contributions)))
    return f"<div class='period'>{vi} <span class='en'>{en}</span></div>"


def _result(r: dict, contributions: list[dict]) -> str:
    """Result / target; a count of administrative units names the base it counted against; a partial
    successor figure shows each reporting predecessor's own figure, as that predecessor's."""
    e = html.escape
    if r["status"] == "partial":
        return "<br>".join(_contribution(c, r["direction"]) for c in contributions) or "—"
    if r["value"] is None:
        return e(r["status_reason_vi"] if r["status"] != "undetermined" else "—")
    target = _target(r["target_low"], r["target_high"], bool(r.get("target_strict")), r["direction"])
    unit = r["unit_name_vi"] or ""  # the row's own unit: a count of communes is not the indicator's %
    if r.get("count_base") is None:
        return f"{_figure(r['value'], unit)} / {target}"
    # "27 / 28 of 30 pre-2020 communes": the base is the units the predecessors counted, not today's
    base = _figure(r["count_base"])
    return (f"{_figure(r['value'])} / {target} {e(unit)} {e(say('dashboard.count_base', 'vi', base=r['count_base']))} "
            f"<span class='en'>{e(say('dashboard.count_base', 'en', base=r['count_base']))} "
            f"{e(r['count_base_label'] or '')}</span>")


def _attainment_row(r: dict, contributions: dict) -> str:
    e = html.escape
    code, status = r["indicator_code"], r["status"]
    direction = _both(f"dashboard.direction.{r['direction']}") if r["direction"] in DIRECTIONS else None
    own = contributions.get((r["district"], code), [])
    result = _result(r, own) + _as_reported(r, "value")
    badge = "" if status != "partial" else (
        f"<br><span class='only'>{_both('dashboard.partial_badge', coverage=round(r['coverage'] * 100))}</span>")
    raw = "" if r["value"] is None else f" data-value='{r['value']:g}'"
    # the reason where the figures alone do not carry the status: undetermined, partial, or a percentage
    # the status overrules (a value exactly on a strict bound "trên 70" is 100 % and not met on the letter)
    unexplained = r["value"] is not None and _pct_text(r["attainment_pct"], status, r["direction"]) is None
    reason = (f"<div class='reason'>{e(r['status_reason_vi'])}</div>"
              if status in ("undetermined", "partial") or unexplained else "")
    bar = "" if status == "partial" else _bar(r["attainment_pct"], status, r["direction"])
    return (f"<tr id='{e(r['district'])}-{e(code)}' class='{e(status)}'>"
            f"<th><span class='vi'>{e(r['name_vi'])}</span><br><span class='en'>{e(r['name_en'])}</span>"
            f"{f'<br><span class=direction>{direction}</span>' if direction else ''}{badge}</th>"
            f"<td{raw}><div class='figures'>{result}</div>{bar}{_periods(r, own)}{reason}</td></tr>")


def _district_section(district: str, vi: str, en: str, rows: list[dict],
                      contributions: dict | None = None) -> str:
    counts = {status: sum(r["status"] == status for r in rows) for status, _, _ in STATUSES}
    # a successor's headline counts its full figures only ("8 met of 16"); its partial ones apart
    decided = sum(counts[s] for s in DECIDED)
    of = _both("dashboard.headline.of", total=decided)

    def item(status: str, svi: str, sen: str) -> str:
        if status == "partial":
            return (f"<li class='partial'><b>{counts[status]}</b> {svi} <span class='en'>{sen}</span></li>"
                    if counts[status] else "")
        return f"<li class='{status}'><b>{counts[status]}</b> {svi} / {of}</li>"

    headline = "".join(item(s, svi, sen)
                       for s, svi, sen in sorted(STATUSES, key=lambda status: HEADLINE_ORDER.index(status[0])))
    # how many of a unit's indicators are a full figure of every unit it was made of (coverage 1): for a former
    # district, every row of its own; for the new district, those both former districts reported in full
    full = sum(r["status"] != "partial" and (r.get("coverage") or 0) >= 1 - 1e-9 for r in rows)
    full_line = (f"<p class='full' id='full-{district}'>{_both('dashboard.headline.full', full=full, total=len(rows))}</p>"
                 if counts["partial"] else "")
    groups = []
    for status, svi, sen in STATUSES:
        members = [r for r in rows if r["status"] == status]
        if members:
            # each group folds (open at first: a page opened from e-mail shows everything, printing included)
            groups.append(f"<details open><summary><h3>{svi} "
                          f"<span class='en'>{sen} ({len(members)})</span></h3></summary>"
                          f"<table class='attainment {status}'>"
                          f"{''.join(_attainment_row(r, contributions or {}) for r in members)}</table></details>")
    return (f"<section id='district-{district}'><h2>{vi} <span class='en'>{en}</span></h2>"
            f"<ul class='headline' id='headline-{district}'>{headline}</ul>{full_line}{''.join(groups)}</section>")


def _issue_row(i: dict, names: dict) -> str:
    """One finding: whose report it is (the former district by name) and the Vietnamese message, which says
    where (cell, row, sheet), what it means and what to do. The check's name and the file's path are for the
    warehouse's people: kept in attributes, not shown."""
    e = html.escape
    unit = names.get(i["source_district"] or "", "")
    return (f"<tr class='{e(i['severity'])}' data-check='{e(i['check_name'])}' title='{e(i['source_file'])}'>"
            f"<td>{e(unit)}</td><td>{e(i['message_vi'])}</td></tr>")


def _page(manifest, attainment, comparison, issues, by_check, units, contributions, names=None) -> str:
    e = html.escape
    names = names or {}
    by_successor: dict[tuple[str, str], list[dict]] = {}
    for c in contributions:
        by_successor.setdefault((c["successor"], c["indicator_code"]), []).append(c)
    sections = "".join(_district_section(d, vi, en, [r for r in attainment if r["district"] == d], by_successor)
                       for d, vi, en in units)
    index = "".join(f"<li><a href='#district-{e(d)}'>{e(vi)}</a></li>" for d, vi, _ in units)
    # indicators every predecessor reported that still cannot be compared one to one
    shown = {code for code, _, _ in units}
    not_comparable = [r for r in comparison if not r["comparable"] and r["successor"] in shown
                      and len((r["reported_by"] or "").split(" + ")) == r["predecessor_count"]]
    counts = {s: sum(c["n"] for c in by_check if c["severity"] == s) for s in SEVERITIES}
    issue_groups = []
    for severity in SEVERITIES:  # errors first, then warnings, info last; each group folds
        rows = [i for i in issues if i["severity"] == severity]
        if rows:
            issue_groups.append(
                f"<details open id='issues-{severity}'><summary><h3>"
                f"{_both(f'dashboard.severity.{severity}')} ({format_number(len(rows))})</h3></summary>"
                f"<table class='issues'><tr><th>{_both('dashboard.column.where')}</th>"
                f"<th>{_both('dashboard.column.message')}</th></tr>"
                + "".join(_issue_row(i, names) for i in rows)
                + "</table></details>")
    check_rows = "".join(f"<tr class='{e(c['severity'])}' data-check='{e(c['check_name'])}'>"
                         f"<td class='severity'>{e(message('dashboard.severity.' + c['severity'], 'vi'))}</td>"
                         f"<td>{e(c['meaning_vi'])}</td><td>{format_number(c['n'])}</td></tr>" for c in by_check)
    unlisted = sum(counts.values()) - len(issues)
    more = (f"<p id='more-issues'>{_both('dashboard.more_issues', listed=len(issues), more=unlisted)}</p>"
            if unlisted > 0 else "")
    comparable_rows = "".join(
        f"<tr><td>{e(r['name_vi'])} <span class='en'>{e(r['name_en'])}</span></td>"
        f"<td>{e(r.get('comparable_reason_vi') or '')}</td></tr>" for r in not_comparable)
    last_load = (f"{_both('dashboard.last_load', load=manifest['load_id'], when=dt.datetime.fromisoformat(manifest['load_finished_at']))}"
                 if manifest.get("load_finished_at") else "—")
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{e(message('dashboard.title', 'vi'))} / {e(message('dashboard.title', 'en'))}</title>
<style>
/* No horizontal scroll at any width: every cell may wrap, even a long word or figure */
*{{box-sizing:border-box}} body{{font-family:system-ui,sans-serif;margin:1.5rem auto;padding:0 1rem;color:#222;max-width:75rem;overflow-wrap:anywhere}}
table{{border-collapse:collapse;width:100%;table-layout:fixed}}
td,th{{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}}
th .en,.en{{color:#666;font-weight:normal;font-size:.85em;display:block}} h1 .en,h2 .en,h3 .en,.headline .en,.verdict .en{{display:inline}}
.direction{{color:#6a1b9a;font-weight:normal;font-size:.85em}}
table.attainment th{{width:45%}} .reason{{color:#555;font-size:.85em}}
.none{{color:#999}} .bar{{vertical-align:middle;max-width:100%}} tr.error td.severity{{color:#c62828;font-weight:bold}}
tr.warning td.severity{{color:#b26a00}} .only{{display:inline-block;margin-top:.2rem;padding:0 .3rem;
 border:1px solid #b26a00;border-radius:.2rem;color:#7a4a00;font-size:.85em;font-weight:normal}} .stamp{{color:#555}}
.headline{{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}}
.headline li{{border:1px solid #ddd;border-radius:.3rem;padding:.3rem .6rem}} .headline b{{font-size:1.4em}}
.headline .met b{{color:#2e7d32}} .headline .not_met b{{color:#c62828}} .headline .undetermined b{{color:#616161}} .period{{color:#6a1b9a;font-size:.85em}} .reported{{color:#555;font-size:.85em}}
section{{margin-bottom:2rem}} summary h3{{display:inline}} summary{{cursor:pointer;margin:.6rem 0}}
table.issues th:first-child,table.issues td:first-child{{width:25%}} #dq-checks td:first-child{{width:20%}} #dq-checks td:last-child{{width:15%}}
nav ul{{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding-left:1.2rem}}
@media (max-width:600px){{body{{margin:.6rem auto;padding:0 .6rem}}
 table.attainment,table.attainment tbody,table.attainment tr,table.attainment th,table.attainment td{{display:block;width:auto}}
 table.attainment th{{border-bottom:none;padding-bottom:0}}}}
</style></head><body>
<h1>{_both('dashboard.heading')}</h1>
<p class="stamp" id="last-load">{last_load}</p>
<p>{_both('dashboard.intro')}</p>
<nav id="contents"><b>{_both('dashboard.contents')}</b><ul>{index}
<li><a href="#not-comparable-section">{e(message('dashboard.not_comparable', 'vi'))}</a></li>
<li><a href="#issues">{e(message('dashboard.by_check', 'vi'))}</a></li></ul></nav>
{sections}
<section id="not-comparable-section"><details open><summary><h2>{_both('dashboard.not_comparable')}</h2></summary>
<table id="not-comparable"><tr><th>{_both('dashboard.column.indicator')}</th><th>{_both('dashboard.column.reason')}</th></tr>
{comparable_rows}
</table></details></section>
<section id="issues"><h2>{_both('dashboard.issues', errors=counts['error'], warnings=counts['warning'])}</h2>
<p id="resolved-readings">{_both('dashboard.resolved', info=counts['info'])}</p>
<details open><summary><h3>{_both('dashboard.by_check')}</h3></summary>
<table id="dq-checks"><tr><th>{_both('dashboard.column.severity')}</th>
<th>{_both('dashboard.column.check')}</th><th>{_both('dashboard.column.count')}</th></tr>{check_rows}</table></details>
{more}
<div id="dq-issues">{''.join(issue_groups)}</div>
</section>
</body></html>
"""
