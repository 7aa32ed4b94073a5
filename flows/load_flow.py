"""The nightly load as a Prefect flow: discover -> extract -> validate -> load -> publish."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows import warehouse as wh
from flows.findings import ERROR, WARNING
from flows.indicators import map_indicators as map_to_catalogue
from flows.reference import load_reference_tables
from flows.validate import rows_frame, validate_rows as validate_frame
from flows.workbook import WorkbookResult, discover_files, district_of, process_workbook

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse/haquang.duckdb")


@dataclass
class LoadSummary:
    load_id: int
    status: str
    warehouse: Path
    files_seen: int
    files_loaded: int
    files_rejected: int
    rows_by_district: dict[str, int]
    rows_rejected: int
    findings_by_severity: dict[str, int]
    errors: list[dict] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when everything loaded (warnings allowed), 1 when any file or row was rejected."""
        return 1 if self.findings_by_severity.get(ERROR, 0) else 0


def _retry_on_io_error(task, task_run, state) -> bool:
    """Retry only when the file system failed us (a share hiccup), never on bad content."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(cache_policy=NO_CACHE)
def discover_workbooks(raw_dir: Path) -> list[Path]:
    """Every file that arrived under raw/<district>/."""
    return discover_files(raw_dir)


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error, cache_policy=NO_CACHE)
def extract_workbook(path: Path, raw_dir: Path) -> WorkbookResult:
    """Read one workbook, find its table and parse its rows."""
    return process_workbook(path, raw_dir)


@task(cache_policy=NO_CACHE)
def validate_rows(results: list[WorkbookResult]) -> tuple[pd.DataFrame, list[dict]]:
    """Check every parsed row against the pandera models: (accepted rows, findings)."""
    records = [record for result in results if result.loaded for record in result.records]
    accepted, findings = validate_frame(rows_frame(records))
    for result in results:
        findings.extend(f.as_record(result.source_district, result.source_file) for f in result.findings)
    return accepted, findings


@task(cache_policy=NO_CACHE)
def map_indicators(accepted: pd.DataFrame, findings: list[dict]) -> tuple[pd.DataFrame, list[dict]]:
    """Give every row its catalogue indicator; labels the crosswalk does not know get a warning."""
    mapped, unmapped = map_to_catalogue(accepted)
    return mapped, findings + unmapped


@task(cache_policy=NO_CACHE)
def build_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the staging, intermediate and analyst views from sql/."""
    return wh.build_views(con)


@task(cache_policy=NO_CACHE)
def load_rows(
    warehouse: Path, raw_dir: Path, started_at: dt.datetime,
    results: list[WorkbookResult], accepted: pd.DataFrame, findings: list[dict],
) -> LoadSummary:
    """Append this run to a copy of the warehouse, rebuild the views and publish it atomically."""
    con = wh.open_next_version(warehouse)
    try:
        load_reference_tables(con)
        load_id = wh.next_load_id(con)
        summary = _summarise(load_id, warehouse, results, accepted, findings)
        wh.append_frame(con, "landing_indicator_rows", accepted.assign(load_id=load_id))
        wh.append_frame(con, "landing_dq_findings", pd.DataFrame(findings, dtype=object).assign(load_id=load_id))
        wh.append_frame(con, "landing_load_files", _files_frame(results, accepted).assign(load_id=load_id))
        wh.append_frame(con, "landing_load_runs", _run_frame(summary, raw_dir, started_at))
        build_views(con)
        wh.publish(con, warehouse)
    except BaseException:
        wh.discard(con, warehouse)
        raise
    return summary


@task(cache_policy=NO_CACHE)
def publish_artifacts(summary: LoadSummary, findings: list[dict]) -> None:
    """The load summary (markdown) and the data-quality findings (table) for the Prefect UI."""
    create_markdown_artifact(key="load-summary", markdown=summary_markdown(summary), description="Load summary")
    counts = Counter((f["check_name"], f["severity"]) for f in findings)
    table = [{"check_name": c, "severity": s, "findings": n} for (c, s), n in sorted(counts.items())]
    create_table_artifact(key="data-quality", table=table or [{"check_name": "none", "severity": "", "findings": 0}],
                          description="Data-quality findings of this load by check")


@flow(name="load-warehouse")
def load_warehouse(raw_dir: Path = DEFAULT_RAW_DIR, warehouse: Path = DEFAULT_WAREHOUSE) -> LoadSummary:
    """Load every workbook under raw_dir into the DuckDB warehouse and publish it."""
    started_at = dt.datetime.now(dt.timezone.utc)
    paths = discover_workbooks(raw_dir)
    futures = [(path, extract_workbook.submit(path, raw_dir)) for path in paths]
    results = [_result_or_rejection(future, path, raw_dir) for path, future in futures]
    accepted, findings = validate_rows(results)
    accepted, findings = map_indicators(accepted, findings)
    summary = load_rows(warehouse, raw_dir, started_at, results, accepted, findings)
    publish_artifacts(summary, findings)
    return summary


def _result_or_rejection(future, path: Path, raw_dir: Path) -> WorkbookResult:
    """A workbook whose reading kept failing is rejected; the rest of the batch goes on."""
    state = future.wait() or future.state
    if state.is_completed():
        return future.result()
    relative = path.relative_to(raw_dir)
    try:
        future.result()
        reason = "unknown failure"
    except Exception as exc:  # the task's exception, after its retries
        reason = f"{type(exc).__name__}: {exc}"
    rejected = WorkbookResult(district_of(relative), relative.as_posix(), "", 0)
    return rejected.reject("unreadable_file", f"the file could not be read ({reason}); check it is complete "
                           "and readable, then run the load again")


def _summarise(load_id, warehouse, results, accepted, findings) -> LoadSummary:
    severities = Counter(f["severity"] for f in findings)
    rows_rejected = sum(1 for f in findings if f["severity"] == ERROR and f.get("source_row") is not None)
    by_district = accepted.groupby("source_district").size().to_dict() if not accepted.empty else {}
    loaded = sum(1 for r in results if r.loaded)
    status = "succeeded" if not severities.get(ERROR) else "succeeded_with_errors"
    return LoadSummary(
        load_id, status, warehouse, len(results), loaded, len(results) - loaded,
        {k: int(v) for k, v in by_district.items()}, rows_rejected,
        {ERROR: severities.get(ERROR, 0), WARNING: severities.get(WARNING, 0)},
        [f for f in findings if f["severity"] == ERROR],
    )


def _files_frame(results: list[WorkbookResult], accepted: pd.DataFrame) -> pd.DataFrame:
    rows_per_file = accepted.groupby("source_file").size().to_dict() if not accepted.empty else {}
    return pd.DataFrame([
        {"source_district": r.source_district, "source_file": r.source_file, "sha256": r.sha256,
         "size_bytes": r.size_bytes, "loaded": r.loaded, "rows_loaded": int(rows_per_file.get(r.source_file, 0))}
        for r in results
    ], columns=["source_district", "source_file", "sha256", "size_bytes", "loaded", "rows_loaded"])


def _run_frame(summary: LoadSummary, raw_dir: Path, started_at: dt.datetime) -> pd.DataFrame:
    return pd.DataFrame([{
        "load_id": summary.load_id, "started_at": started_at, "finished_at": dt.datetime.now(dt.timezone.utc),
        "status": summary.status, "raw_dir": str(raw_dir), "files_seen": summary.files_seen,
        "files_loaded": summary.files_loaded, "files_rejected": summary.files_rejected,
        "rows_loaded": sum(summary.rows_by_district.values()), "rows_rejected": summary.rows_rejected,
        "warnings": summary.findings_by_severity.get(WARNING, 0), "errors": summary.findings_by_severity.get(ERROR, 0),
    }])


EXAMPLE_QUERY = ("select source_district, row_label, unit, target_low, target_high, actual_value, reported_pct, "
                 "dq_flags from indicator_results where row_kind = 'measured' limit 5")


def summary_markdown(summary: LoadSummary) -> str:
    """What the person on call reads: rows per district, findings, where the warehouse is."""
    lines = [
        f"# Load {summary.load_id}: {summary.status}",
        "",
        f"- files: {summary.files_seen} seen, {summary.files_loaded} loaded, {summary.files_rejected} rejected",
    ]
    for district, rows in sorted(summary.rows_by_district.items()):
        lines.append(f"- rows loaded from {district}: {rows}")
    lines.append(f"- rows rejected: {summary.rows_rejected}")
    lines.append(f"- data-quality issues: {summary.findings_by_severity.get(ERROR, 0)} errors, "
                 f"{summary.findings_by_severity.get(WARNING, 0)} warnings (see the view dq_issues)")
    for error in summary.errors[:20]:
        where = ", ".join(str(x) for x in (error["source_file"], error.get("source_sheet"),
                                          error.get("source_row") and f"row {error['source_row']}") if x)
        lines.append(f"  - ERROR {error['check_name']} in {where}: {error['message']}")
    lines += ["", f"Warehouse: {summary.warehouse.resolve()}", "", "Query it, for example:",
              f'    .venv/bin/haquang sql "{EXAMPLE_QUERY}"']
    return "\n".join(lines)
