"""The nightly load as a Prefect flow.

lock -> fingerprint -> plan (what changed) -> extract -> validate -> map -> load -> publish
"""


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
from flows.conflicts import find_conflicts
from flows.findings import ERROR, WARNING
from flows.indicators import map_indicators as map_to_catalogue
from flows.lock import writer_lock
from flows.outputs import write_outputs
from flows.reference import load_reference_tables
from flows.state import LoadPlan, SeenFile, fingerprint_files, parser_version, plan_load, read_file_state
from flows.validate import rows_frame, validate_rows as validate_frame
from flows.workbook import WorkbookResult, process_workbook

DEFAULT_RAW_DIR = Path("raw")
DEFAULT_WAREHOUSE = Path("warehouse/haquang.duckdb")
DEFAULT_LOCK_WAIT_SECONDS = 600.0


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
    files_skipped: int = 0
    files_new: list[str] = field(default_factory=list)
    files_updated: list[str] = field(default_factory=list)
    files_missing: list[str] = field(default_factory=list)
    files_restored: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    open_issues: dict[str, int] = field(default_factory=dict)  # dq_issues after this load, by severity

    @property
    def exit_code(self) -> int:
        """0 when everything loaded (warnings allowed), 1 when any file or row was rejected."""
        return 1 if self.findings_by_severity.get(ERROR, 0) else 0

    @property
    def nothing_new(self) -> bool:
        return not (self.files_loaded or self.files_rejected or self.files_missing or self.files_restored)


def _retry_on_io_error(task, task_run, state) -> bool:
    """Retry only when the file system failed us (a share hiccup), never on bad content."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error)
def fingerprint_workbooks(raw_dir: Path) -> list[SeenFile]:
    """Hash every file under raw/<district>/."""
    return fingerprint_files(raw_dir)


@task(cache_policy=NO_CACHE)
def plan_changes(seen: list[SeenFile], warehouse: Path, full_reload: bool) -> LoadPlan:
    """Compare tonight's files with what the published warehouse last read."""
    return plan_load(seen, read_file_state(warehouse), parser_version(), full_reload)


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error, cache_policy=NO_CACHE)
def extract_workbook(file: SeenFile, raw_dir: Path) -> WorkbookResult:
    """Read one workbook, find its table and parse its rows."""
    return process_workbook(file.path, raw_dir, expected_sha256=file.sha256)


@task(cache_policy=NO_CACHE)
def validate_rows(results: list[WorkbookResult]) -> tuple[pd.DataFrame, list[dict]]:
    """Check every parsed row against the pandera models: (accepted rows, findings)."""
    records = [record for result in results if result.loaded for record in result.records]
    accepted, findings = validate_frame(rows_frame(records))
    for result in results:
        findings.extend(f.as_record(result.source_district, result.source_file) for f in result.findings)
    return accepted, findings


@task(cache_policy=NO_CACHE)
def map_indicators(accepted: pd.DataFrame, findings: list[dict], results: list[WorkbookResult]):
    """Give every row its catalogue indicator; flag unknown labels and files of one run that clash."""
    mapped, unmapped = map_to_catalogue(accepted)
    conflicts = find_conflicts(mapped, {r.source_file: r.modified_at for r in results})
    return mapped, findings + unmapped + conflicts


@task(cache_policy=NO_CACHE)
def build_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the staging, intermediate and analyst views from sql/."""
    return wh.build_views(con)


@task(cache_policy=NO_CACHE)
def load_rows(
    warehouse: Path, raw_dir: Path, started_at: dt.datetime, mode: str, plan: LoadPlan,
    results: list[WorkbookResult], accepted: pd.DataFrame, findings: list[dict],
) -> LoadSummary:
    """Append this run to a copy of the warehouse, rebuild the views and publish it atomically."""
    con = wh.open_next_version(warehouse)
    try:
        load_reference_tables(con)
        load_id = wh.next_load_id(con)
        known = {r[0] for r in con.execute("select distinct source_file from landing_load_files").fetchall()}
        summary = _summarise(load_id, warehouse, plan, results, accepted, findings, known)
        wh.append_frame(con, "landing_indicator_rows", accepted.assign(load_id=load_id))
        wh.append_frame(con, "landing_dq_findings", pd.DataFrame(findings + _missing_findings(plan), dtype=object)
                        .assign(load_id=load_id))
        wh.append_frame(con, "landing_load_files", _file_events(plan, results, accepted, con).assign(load_id=load_id))
        wh.append_frame(con, "landing_load_runs", _run_frame(summary, raw_dir, started_at, mode, plan))
        build_views(con)
        summary.open_issues = dict(con.execute("select severity, count(*) from dq_issues group by all").fetchall())
        wh.publish(con, warehouse)
    except BaseException:
        wh.discard(con, warehouse)
        raise
    return summary


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error)
def publish_exports(warehouse: Path) -> Path:
    """Exports, dashboard page and data dictionary of the warehouse just published."""
    return write_outputs(warehouse)


@task(cache_policy=NO_CACHE)
def publish_artifacts(summary: LoadSummary, findings: list[dict]) -> None:
    """The load summary (markdown) and the data-quality findings (table) for the Prefect UI."""
    create_markdown_artifact(key="load-summary", markdown=summary_markdown(summary), description="Load summary")
    counts = Counter((f["check_name"], f["severity"]) for f in findings)
    table = [{"check_name": c, "severity": s, "findings": n} for (c, s), n in sorted(counts.items())]
    create_table_artifact(key="data-quality", table=table or [{"check_name": "none", "severity": "", "findings": 0}],
                          description="Data-quality findings of this load by check")


@flow(name="load-warehouse")
def load_warehouse(
    raw_dir: Path = DEFAULT_RAW_DIR,
    warehouse: Path = DEFAULT_WAREHOUSE,
    full_reload: bool = False,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> LoadSummary:
    """Load what changed under raw_dir into the DuckDB warehouse and publish it."""
    started_at = dt.datetime.now(dt.timezone.utc)
    with writer_lock(warehouse, lock_wait_seconds):
        seen = fingerprint_workbooks(raw_dir)
        plan = plan_changes(seen, warehouse, full_reload)
        futures = [(file, extract_workbook.submit(file, raw_dir)) for file in plan.to_parse]
        results = [_result_or_rejection(future, file) for file, future in futures]
        accepted, findings = validate_rows(results)
        accepted, findings = map_indicators(accepted, findings, results)
        mode = "full" if full_reload else "incremental"
        summary = load_rows(warehouse, raw_dir, started_at, mode, plan, results, accepted, findings)
        publish_exports(warehouse)
    publish_artifacts(summary, findings)
    return summary


def _result_or_rejection(future, file: SeenFile) -> WorkbookResult:
    """A workbook whose reading kept failing is rejected; the rest of the batch goes on."""
    state = future.wait() or future.state
    if state.is_completed():
        return future.result()
    try:
        future.result()
        reason = "unknown failure"
    except Exception as exc:  # the task's exception, after its retries
        reason = f"{type(exc).__name__}: {exc}"
    rejected = WorkbookResult(file.source_district, file.source_file, file.sha256, file.size_bytes, file.modified_at)
    return rejected.reject("unreadable_file", f"the file could not be read ({reason}); check it is complete "
                           "and readable, then run the load again")


def _summarise(load_id, warehouse, plan: LoadPlan, results, accepted, findings, known: set[str]) -> LoadSummary:
    severities = Counter(f["severity"] for f in findings)
    rows_rejected = sum(1 for f in findings if f["severity"] == ERROR and f.get("source_row") is not None)
    by_district = accepted.groupby("source_district").size().to_dict() if not accepted.empty else {}
    loaded = _loaded_files(results, accepted)
    status = "succeeded" if not severities.get(ERROR) else "succeeded_with_errors"
    return LoadSummary(
        load_id, status, warehouse, len(plan.to_parse) + len(plan.skipped) + len(plan.restored)
        + len(plan.still_withdrawn), len(loaded), len(results) - len(loaded),
        {k: int(v) for k, v in by_district.items()}, rows_rejected,
        {ERROR: severities.get(ERROR, 0), WARNING: severities.get(WARNING, 0) + len(plan.missing)},
        [f for f in findings if f["severity"] == ERROR],
        files_skipped=len(plan.skipped) + len(plan.still_withdrawn),
        files_new=sorted(f for f in loaded if f not in known),
        files_updated=sorted(f for f in loaded if f in known),
        files_missing=plan.missing,
        files_restored=[f.source_file for f in plan.restored],
        conflicts=sorted({f["source_file"] for f in findings if f["check_name"] == "conflicting_files"}),
    )


def _loaded_files(results: list[WorkbookResult], accepted: pd.DataFrame) -> set[str]:
    """Files that put at least one row in the warehouse (a file whose every row failed did not)."""
    with_rows = set(accepted["source_file"]) if not accepted.empty else set()
    return {r.source_file for r in results if r.loaded and r.source_file in with_rows}


def _missing_findings(plan: LoadPlan) -> list[dict]:
    return [{
        "source_district": name.split("/")[0], "source_file": name, "check_name": "file_missing",
        "severity": WARNING, "message": "the file is no longer in the raw folder; its figures stay published, "
        f"marked as from a missing file, until someone runs `haquang withdraw {name}`",
    } for name in plan.missing]


def _file_events(plan: LoadPlan, results, accepted, con) -> pd.DataFrame:
    rows_per_file = accepted.groupby("source_file").size().to_dict() if not accepted.empty else {}
    loaded = _loaded_files(results, accepted)
    events = [
        {"source_district": r.source_district, "source_file": r.source_file, "sha256": r.sha256,
         "size_bytes": r.size_bytes, "modified_at": r.modified_at,
         "action": "loaded" if r.source_file in loaded else "rejected", "loaded": r.source_file in loaded,
         "rows_loaded": int(rows_per_file.get(r.source_file, 0))}
        for r in results
    ]
    events += [
        {"source_district": f.source_district, "source_file": f.source_file, "sha256": f.sha256,
         "size_bytes": f.size_bytes, "modified_at": f.modified_at, "action": "restored", "loaded": False,
         "rows_loaded": 0}
        for f in plan.restored
    ]
    events += [dict(wh.last_parsed_event(con, name), action="missing", loaded=False, rows_loaded=0)
               for name in plan.missing]
    return pd.DataFrame(events, columns=["source_district", "source_file", "sha256", "size_bytes", "modified_at",
                                         "action", "loaded", "rows_loaded"])


def _run_frame(summary: LoadSummary, raw_dir: Path, started_at: dt.datetime, mode: str, plan: LoadPlan):
    return pd.DataFrame([{
        "load_id": summary.load_id, "started_at": started_at, "finished_at": dt.datetime.now(dt.timezone.utc),
        "status": summary.status, "raw_dir": str(raw_dir), "mode": mode, "parser_version": parser_version(),
        "files_seen": summary.files_seen, "files_skipped": summary.files_skipped,
        "files_missing": len(plan.missing), "files_restored": len(plan.restored),
        "files_loaded": summary.files_loaded, "files_rejected": summary.files_rejected,
        "rows_loaded": sum(summary.rows_by_district.values()), "rows_rejected": summary.rows_rejected,
        "warnings": summary.findings_by_severity.get(WARNING, 0), "errors": summary.findings_by_severity.get(ERROR, 0),
    }])


EXAMPLE_QUERY = ("select source_district, row_label, unit, target_low, target_high, actual_value, reported_pct, "
                 "dq_flags from indicator_results where row_kind = 'measured' limit 5")


def summary_markdown(summary: LoadSummary) -> str:
    """What the person on call reads: what changed, rows per district, findings, where the warehouse is."""
    lines = [f"# Load {summary.load_id}: {summary.status}" + (" (nothing new)" if summary.nothing_new else ""), ""]
    lines.append(f"- files: {summary.files_seen} seen, {summary.files_skipped} unchanged and skipped, "
                 f"{summary.files_loaded} loaded, {summary.files_rejected} rejected")
    for label, names in (("new", summary.files_new), ("updated", summary.files_updated),
                         ("missing from the raw folder (figures kept)", summary.files_missing),
                         ("back in the raw folder", summary.files_restored),
                         ("in conflict (same figures in one load; the newest file is published)", summary.conflicts)):
        if names:
            lines.append(f"- {label}: {', '.join(names)}")
    for district, rows in sorted(summary.rows_by_district.items()):
        lines.append(f"- rows loaded from {district}: {rows}")
    lines.append(f"- rows rejected: {summary.rows_rejected}")
    lines.append(f"- data-quality findings of this load: {summary.findings_by_severity.get(ERROR, 0)} errors, "
                 f"{summary.findings_by_severity.get(WARNING, 0)} warnings")
    lines.append(f"- open data-quality issues in the warehouse: {summary.open_issues.get(ERROR, 0)} errors, "
                 f"{summary.open_issues.get(WARNING, 0)} warnings (see the view dq_issues)")
    for error in summary.errors[:20]:
        cell = (error.get("source_column") or "") + str(error.get("source_row") or "")
        where = ", ".join(str(x) for x in (error["source_file"], error.get("source_sheet"),
                                          error.get("source_row") and f"cell {cell}") if x)
        lines.append(f"  - ERROR {error['check_name']} in {where}: {error['message']}")
    lines += ["", f"Warehouse: {summary.warehouse.resolve()}",
              f"Exports, dashboard and data dictionary: {summary.warehouse.resolve().parent}/"
              "{exports,dashboard/index.html,docs}", "", "Query it, for example:",
              f'    .venv/bin/haquang sql "{EXAMPLE_QUERY}"']
    return "\n".join(lines)
