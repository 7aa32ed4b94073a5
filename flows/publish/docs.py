"""`haquang docs`: the data dictionary, written from the warehouse's own COMMENT ON text, and its
list of data-quality checks from the warehouse's dq_checks (the registry the load used)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.publish.exports import analyst_views
from flows.warehouse.layers import MART_SCHEMA, relation_schemas, schema_of
from flows.warehouse.model_sql import lineage

RAW_ORIGIN = {
    "landing_indicator_rows": "raw/<district>/*.xlsx, read and checked by flows/ (extract, locate, rows, validate)",
    "landing_dq_findings": "the loader's checks on raw/ workbooks",
    "landing_load_files": "the loader's fingerprint of each raw/ file",
    "landing_load_runs": "one row per run of the loader",
    "ref_dq_checks": "the registry of data-quality checks, flows/core/checks.py",
}


@dataclass
class ViewDoc:
    name: str
    description: str
    columns: list[tuple[str, str, str]]  # name, type, meaning
    lineage: list[str]  # from the raw files up to the view


def collect(warehouse: Path) -> list[ViewDoc]:
    """Every analyst view with its comment, columns and lineage, as the warehouse states them."""
    graph = lineage()
    docs = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for view in analyst_views():
            # a mart is a view, or a stored table where its SQL is heavy to plan (`-- materialized: table`)
            comment = con.execute("select comment from duckdb_views() where view_name = $name union all "
                                  "select comment from duckdb_tables() where table_name = $name",
                                  {"name": view}).fetchone()
            columns = con.execute("select column_name, data_type, comment from duckdb_columns() "
                                  "where table_name = ? order by column_index", [view]).fetchall()
            docs.append(ViewDoc(view, (comment or [""])[0] or "", [(n, t, c or "") for n, t, c in columns],
                                _chain(view, graph)))
    return docs


@dataclass
class CheckDoc:
    name: str
    severity: str
    meaning: str
    action: str


def collect_checks(warehouse: Path) -> list[CheckDoc]:
    """Every data-quality check the warehouse's findings may name, errors first."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select check_name, severity, meaning, action from dq_checks "
                           "order by severity, check_name").fetchall()
    return [CheckDoc(*row) for row in rows]


def _chain(view: str, graph: dict[str, set[str]]) -> list[str]:
    """The view's ancestors in build order, each source table with where its rows come from; each named
    as a query names it (the layers' relations with their schema: staging.stg_indicator_rows)."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        for parent in sorted(graph.get(name, ())):
            if parent not in ordered:
                visit(parent)
        if name not in ordered:
            ordered.append(name)

    visit(view)
    schemas = relation_schemas()
    shown = {name: name if schema_of(name, schemas) == MART_SCHEMA else f"{schema_of(name, schemas)}.{name}"
             for name in ordered}
    return [f"{shown[name]} ({RAW_ORIGIN[name]})" if name in RAW_ORIGIN else
            f"{shown[name]} (schemas/ catalogue or reference file)" if name.startswith("ref_") else shown[name]
            for name in ordered]


def write_docs(warehouse: Path, out_dir: Path) -> tuple[Path, Path]:
    """Markdown and HTML pages of the data dictionary; returns their paths."""
    docs, checks = collect(warehouse), collect_checks(warehouse)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown, page = out_dir / "data_dictionary.md", out_dir / "data_dictionary.html"
    markdown.write_text(to_markdown(docs, checks), encoding="utf-8")
    page.write_text(to_html(docs, checks), encoding="utf-8")
    return markdown, page


CHECKS_INTRO = ("Every `check_name` a row of `dq_issues` may carry (the view `dq_checks`; the registry is "
                "flows/core/checks.py). An error means the file, sheet or row was not loaded, or a figure was left "
                "empty; a warning means it was loaded and a person should check it. A third severity, info, is "
                "never a check's own: a finding of a resolvable check (dq_checks.resolvable; its meaning says when) "
                "that names the evidence which settled the reading (the row's reported percentage, the "
                "plausibility catalogue, the plan period) is info. It stays in dq_issues with that evidence in its "
                "message, asks nobody to act, is not counted among open warnings and never makes a target "
                "attainment undetermined.")


def to_markdown(docs: list[ViewDoc], checks: list[CheckDoc]) -> str:
    lines = ["# Data dictionary: the Hà Quảng district warehouse", "",
             "Written by `haquang docs` from the warehouse's own `COMMENT ON` text.", ""]
    for doc in docs:
        lines += [f"## `{doc.name}`", "", doc.description, "", "Lineage: " + " → ".join(f"`{s}`" for s in doc.lineage),
                  "", "| column | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{n}` | {t} | {c.replace('|', '/')} |" for n, t, c in doc.columns]
        lines.append("")
    lines += ["## Data-quality checks", "", CHECKS_INTRO, "", "| check | severity | meaning | what to do |",
              "| --- | --- | --- | --- |"]
    lines += [f"| `{c.name}` | {c.severity} | {c.meaning.replace('|', '/')} | {c.action.replace('|', '/')} |"
              for c in checks]
    lines.append("")
    return "\n".join(lines)


def to_html(docs: list[ViewDoc], checks: list[CheckDoc]) -> str:
    e = html.escape
    parts = ["<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>Data dictionary</title>",
             "<style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;text-align:left;"
             "vertical-align:top}code{background:#f4f4f4}</style></head><body>",
             "<h1>Data dictionary: the Hà Quảng district warehouse</h1>",
             "<p>Written by <code>haquang docs</code> from the warehouse's own COMMENT ON text.</p>"]
    for doc in docs:
        parts += [f"<h2 id='{e(doc.name)}'><code>{e(doc.name)}</code></h2><p>{e(doc.description)}</p>",
                  "<p>Lineage: " + " → ".join(f"<code>{e(s)}</code>" for s in doc.lineage) + "</p>",
                  "<table><tr><th>column</th><th>type</th><th>meaning</th></tr>"]
        parts += [f"<tr><td><code>{e(n)}</code></td><td>{e(t)}</td><td>{e(c)}</td></tr>" for n, t, c in doc.columns]
        parts.append("</table>")
    parts += ["<h2 id='dq-checks'>Data-quality checks</h2>", f"<p>{e(CHECKS_INTRO).replace('`', '')}</p>",
              "<table><tr><th>check</th><th>severity</th><th>meaning</th><th>what to do</th></tr>"]
    parts += [f"<tr><td><code>{e(c.name)}</code></td><td>{e(c.severity)}</td><td>{e(c.meaning)}</td>"
              f"<td>{e(c.action)}</td></tr>" for c in checks]
    parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
