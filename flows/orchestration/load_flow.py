"""The nightly load as a Prefect flow.

lock -> fingerprint -> plan (what changed) -> extract -> validate -> map -> load -> publish
"""


import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State
from prefect.utilities.annotations import quote

from flows.warehouse.build import OpenIssues, WarehouseBuild
from flows.core.findings import ERROR, INFO, WARNING
from flows.orchestration.batch import (ParsedBatch, concat_batches, gone_batch, ignored_batch, parse_batch,
                                      summarise_batch, unreadable_batch)
from flows.orchestration.defaults import DEFAULT_BATCH_SIZE, DEFAULT_LOCK_WAIT_SECONDS, DEFAULT_RAW_DIR, DEFAULT_WAREHOUSE
from flows.core.own_process import in_own_process
from flows.orchestration.memory import batches_freed_as_staged
from flows.orchestration.progress import load_progress
from flows.orchestration.quiet_night import PublishedVersion, nothing_to_do, unchanged_version
from flows.orchestration.publishing import ExportsNotWritten, outputs_of_published
from flows.warehouse.commands import PROGRAM, haquang_command
from flows.warehouse.last_night import record_quiet_night
from flows.warehouse.lock import writer_lock
from flows.publish.outputs import dashboard_file, outputs_current, outputs_root, remember_outputs, write_outputs
from flows.publish.advice import advice_lines
from flows.publish.wording import (beside, counted, counts, error_lines, lines_in_both, literal_markdown,
                                   rows_in_both, word)
from flows.ingest.fingerprint import SeenFile, fingerprint_files
from flows.ingest.paths import source_name
from flows.ingest.raw_files import ignored_entries
from flows.warehouse.state import LoadPlan, parser_version, plan_load, read_file_state
from flows.parse.workbook import WorkbookResult
from flows.core.messages import in_both
from flows.core.names import show_name

MAX_BATCHES_IN_FLIGHT = 4
SUMMARY_FILES_SHOWN = 10
SUMMARY_ERRORS_SHOWN = 20


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
    files_pending: list[str] = field(default_factory=list)  # could not be read; the next run tries again
    conflicts: list[str] = field(default_factory=list)
    checks: dict[tuple[str, str], int] = field(default_factory=dict)  # findings of this load by check
    outputs: Path | None = None  # where exports/, dashboard/ and docs/ went; None: beside the warehouse
    open: OpenIssues = field(default_factory=OpenIssues)  # dq_issues after this load: what is still to fix
    # False for a night with nothing new that built no version (flows/orchestration/quiet_night.py):
    # load_id and status are then the published load's
    new_version: bool = True
    figures_unread: int = 0  # errors on a cell of a loaded row: the row is in the views, that figure empty

    @property
    def open_issues(self) -> dict[str, int]:
        """Open findings in the warehouse after this load, by severity."""
        return self.open.by_severity

    @property
    def exit_code(self) -> int:
        """0 when this load found no error and none is open in the warehouse; else 1.

        An error stays open until it is resolved (its file resubmitted and read, or withdrawn), so a
        night with nothing new after a rejected file still exits 1: monitoring on the exit code keeps
        firing. Warnings, open or new, never fail a night: the figures were loaded.
        """
        return 1 if self.findings_by_severity.get(ERROR, 0) or self.open_issues.get(ERROR, 0) else 0

    @property
    def nothing_new(self) -> bool:
        return not (self.files_loaded or self.files_rejected or self.files_pending or self.files_missing
                    or self.files_restored)


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
    started = time.monotonic()
    seen = fingerprint_files(raw_dir)
    get_run_logger().info("Fingerprinted %d files under %s in %.1f s", len(seen), raw_dir, time.monotonic() - started)
    return seen


@task(cache_policy=NO_CACHE)
def plan_changes(seen: list[SeenFile], warehouse: Path, full_reload: bool, raw_dir: Path | None = None) -> LoadPlan:
    """Compare tonight's files with what the published warehouse last read; name the entries not read."""
    ignored = [] if raw_dir is None else [(path, kind, source_name(path.relative_to(raw_dir))[0])
                                          for path, kind in ignored_entries(raw_dir)]
    plan = plan_load(seen, read_file_state(warehouse), parser_version(), full_reload, ignored)
    get_run_logger().info(
        "To read: %d new or changed%s; %d unchanged (skipped), %d unreadable (pending), %d missing from the raw "
        "folder, %d back as last read", len(plan.to_parse), " (full reload)" if full_reload else "",
        len(plan.skipped) + len(plan.still_withdrawn), len(plan.unreadable), len(plan.missing), len(plan.restored))
    return plan


@task(cache_policy=NO_CACHE, cache_result_in_memory=False)
def extract_workbooks(files: list[SeenFile], raw_dir: Path) -> ParsedBatch:
    """Read, parse, validate and map a batch of workbooks.

    One task per batch, not per workbook, keeps the orchestrator's cost small beside the parsing.
    No retries: a file that cannot be read is a pending finding of its own, read again next run.
    """
    started = time.monotonic()
    parsed = parse_batch(files, raw_dir)
    _log_batch(parsed, time.monotonic() - started)
    return parsed


def _log_batch(parsed: ParsedBatch, seconds: float) -> None:
    """One line per batch, and a warning per file that was not loaded (with its first error)."""
    logger = get_run_logger()
    actions = parsed.events["action"].value_counts()
    logger.info("Read %d workbooks in %.1f s: %d loaded (%d rows), %d rejected, %d pending", len(parsed.events),
                seconds, actions.get("loaded", 0), len(parsed.rows), actions.get("rejected", 0),
                actions.get("pending", 0))
    errors = parsed.findings[parsed.findings["severity"] == ERROR].drop_duplicates("source_file")
    for event in parsed.events[parsed.events["action"] != "loaded"].head(SUMMARY_FILES_SHOWN).itertuples():
        first = errors[errors["source_file"] == event.source_file].head(1).to_dict("records")
        reason = f"{first[0]['check_name']}: {first[0]['message']}" if first else "see dq_issues"
        logger.warning("%s %s: %s", event.action.capitalize(), show_name(event.source_file), show_name(reason))


@task(cache_policy=NO_CACHE)
def load_rows(build: WarehouseBuild, batch: ParsedBatch) -> None:
    """Append one batch to the next version of the warehouse."""
    started = time.monotonic()
    build.stage(batch)
    get_run_logger().info("Staged %d rows and %d findings in %.1f s", len(batch.rows), len(batch.findings),
                          time.monotonic() - started)


@task(cache_policy=NO_CACHE)
def build_views(build: WarehouseBuild, data_changed: bool) -> list[str]:
    """Create the views and stored models of sql/ (stored models are kept when no data changed)."""
    started = time.monotonic()
    built = build.build_models(data_changed)
    get_run_logger().info("Built %d models of sql/%s in %.1f s", len(built),
                          "" if data_changed else " (stored ones kept: no data changed)", time.monotonic() - started)
    return built


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=1, retry_condition_fn=_retry_on_io_error)
def publish_exports(warehouse: Path, nothing_new: bool, outputs: Path | None = None) -> Path:
    """Exports, dashboard page and data dictionary of the warehouse just published.

    After a load that changed data, written in a process of their own (as the models are built:
    flows/core/own_process.py), so that this process's heap and DuckDB's buffers for the exports
    are not added up; a night with nothing new rewrites little and keeps the process's start-up.
    """
    started = time.monotonic()
    if outputs_current(warehouse, outputs):  # after a night that built no version: nothing to write
        remember_outputs(warehouse, outputs_root(warehouse, outputs))
        page = dashboard_file(warehouse, outputs)
    else:
        page = write_outputs(warehouse, nothing_new, outputs) if nothing_new else \
            in_own_process(write_outputs, warehouse, nothing_new, outputs)
    get_run_logger().info("Wrote the exports, dashboard and data dictionary of %s to %s in %.1f s", warehouse,
                          outputs_root(warehouse, outputs), time.monotonic() - started)
    return page


@task(cache_policy=NO_CACHE)
def publish_artifacts(summary: LoadSummary) -> None:
    """The load summary (markdown) and the open data-quality issues by check (table) for the Prefect UI."""
    create_markdown_artifact(key="load-summary", markdown=summary_artifact(summary), description="Load summary")
    create_table_artifact(key="data-quality", table=data_quality_table(summary),
                          description="Data-quality issues open in the warehouse after this load, by check "
                                      "(open: in the view dq_issues; new: found by this load)")


def data_quality_table(summary: LoadSummary) -> list[dict]:
    """One row per check with open findings; an all-clear row when there are none, so the table is never empty."""
    table = [{"check_name": c.check_name, "severity": c.severity, "open": c.open, "new": c.new}
             for c in summary.open.by_check]
    return table or [{"check_name": "(no open issues)", "severity": "", "open": 0, "new": 0}]


@flow(name="load-warehouse")
def load_warehouse(
    raw_dir: Path = DEFAULT_RAW_DIR,
    warehouse: Path = DEFAULT_WAREHOUSE,
    full_reload: bool = False,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    outputs_dir: Path | None = None,
) -> LoadSummary | State:
    """Load what changed under raw_dir into the DuckDB warehouse and publish it.

    Exports, dashboard and data dictionary go to outputs_dir, by default beside the warehouse.
    Returns the LoadSummary; a night that leaves an error open returns it inside a Failed state
    (read it with `summary_of`).
    """
    logger = get_run_logger()
    started_at = dt.datetime.now(dt.timezone.utc)
    mode = "full" if full_reload else "incremental"
    logger.info("Loading %s into %s (%s)", raw_dir, warehouse, mode)
    waited = time.monotonic()
    with writer_lock(warehouse, lock_wait_seconds):
        if (seconds := time.monotonic() - waited) >= 1:
            logger.info("Waited %.0f s for another load to release the warehouse", seconds)
        seen = fingerprint_workbooks(raw_dir)
        # Quoted: Prefect would walk every file of the list, and of each parsed batch below, looking for
        # futures (about 2 s at 10,000 workbooks, most of a night with nothing new). Not for a task
        # submitted to a runner: a Dask worker would receive the quote, not the list.
        plan = plan_changes(quote(seen), warehouse, full_reload, raw_dir)
        published = None if full_reload or not nothing_to_do(plan) else unchanged_version(warehouse)
        # One progress display from the first workbook to the exports: after reading, it says which
        # step the load is in, so a long build or export does not look like a load that hangs.
        with load_progress(len(plan.to_parse)) as progress:
            if published is not None:
                summary = _quiet_night(published, plan, warehouse, started_at)
            else:
                summary = _new_version(plan, raw_dir, warehouse, started_at, mode, batch_size, progress)
                logger.info("Published load %d as %s", summary.load_id, warehouse)
            summary.outputs = outputs_dir
            progress.phase("writing exports")
            try:
                with outputs_of_published(summary.load_id, summary, warehouse, outputs_dir):
                    # a night that built no version keeps the outputs of the published load (flows/publish/outputs.py)
                    publish_exports(warehouse, summary.nothing_new and summary.new_version, outputs_dir)
            except ExportsNotWritten as exc:
                logger.error("%s", exc)
                publish_artifacts(summary)
                raise
    publish_artifacts(summary)
    (logger.warning if summary.exit_code else logger.info)("%s; exit status %d", _outcome(summary), summary.exit_code)
    if summary.exit_code:
        # A night fails while an error is open (docs/operations.md, "On call"), and the Prefect UI should say so as the
        # exit status does: a red Failed run, not a green Completed one that only its last log line
        # contradicts. A custom-named Completed state would still be drawn green (the UI colours by
        # state type) and Prefect's automations and `prefect flow-run ls --state FAILED` would miss it.
        # Everything is published before this point: the warehouse, the exports and the artifacts; the
        # state's message says so, and its data is the summary (summary_of), so that `haquang load` still
        # prints it and exits 1, as documented. No retries are configured on the flow, so Failed here
        # never runs the load twice.
        return Failed(message=" ".join(in_both("oncall.state.open_errors", load_id=summary.load_id,
                                              errors=summary.open_issues.get(ERROR, 0),
                                              exit_status=summary.exit_code)), data=summary)
    return summary


def summary_of(state: State) -> LoadSummary:
    """The LoadSummary of a finished run of load_warehouse (called with return_state=True): the run's
    result, or the data of the Failed state a night with open errors ends in. A run that failed by an
    exception (nothing published, or the exports not written) raises it, as calling the flow would."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, LoadSummary):
        return result
    if isinstance(result, BaseException):
        raise result
    return state.result()


def run_load(**parameters) -> LoadSummary:
    """Run the flow (with parameters of load_warehouse, and `task_runner`) and return its LoadSummary,
    whatever state the night ended in; a load that failed raises, as the flow itself does."""
    runner = parameters.pop("task_runner", None)
    flow_ = load_warehouse if runner is None else load_warehouse.with_options(task_runner=runner)
    return summary_of(flow_(**parameters, return_state=True))


def _new_version(plan: LoadPlan, raw_dir: Path, warehouse: Path, started_at: dt.datetime, mode: str,
                 batch_size: int, progress) -> LoadSummary:
    """Read what the plan names into a new version of the warehouse, build its models and publish it."""
    with WarehouseBuild(warehouse) as build:  # published when the block ends, discarded if it raises
        if plan.unreadable:
            load_rows(build, quote(unreadable_batch(plan.unreadable)))
        if plan.ignored:
            load_rows(build, quote(ignored_batch(plan.ignored, raw_dir)))
        if plan.ignored_gone:
            load_rows(build, quote(gone_batch(plan.ignored_gone)))
        with batches_freed_as_staged(bool(plan.to_parse)) as free_batch:
            for parsed in _extracted_batches(plan.to_parse, raw_dir, batch_size):
                load_rows(build, quote(parsed))
                progress.advance(len(parsed.events))  # one event per workbook read
                free_batch()
        progress.phase("building the warehouse")
        build.add_conflicts()
        run = build.finish(started_at, mode, plan, raw_dir)
        summary = _summary(build, plan, run)
        build_views(build, data_changed=not summary.nothing_new)
        summary.status = build.run["status"]  # settled on the errors still open (WarehouseBuild.build_models)
        _after_models(summary, build)
        summary.open = build.open
    return summary


def _quiet_night(published: PublishedVersion, plan: LoadPlan, warehouse: Path, started_at: dt.datetime) -> LoadSummary:
    """The summary of a night that read nothing and builds no version (flows/orchestration/quiet_night.py):
    the published load's status and open findings, nothing found tonight."""
    unchanged = len(plan.skipped) + len(plan.still_withdrawn)
    summary = LoadSummary(published.run["load_id"], published.run["status"], warehouse, files_seen=unchanged,
                          files_loaded=0, files_rejected=0, rows_by_district={}, rows_rejected=0,
                          findings_by_severity={ERROR: 0, WARNING: 0, INFO: 0}, files_skipped=unchanged,
                          open=published.open, new_version=False)
    not_recorded = record_quiet_night(warehouse, started_at, summary.load_id, summary.files_seen)
    logger = get_run_logger()
    logger.info("Nothing new: no version built; the published warehouse stays load %d", summary.load_id)
    if not_recorded:
        logger.warning("The night's record beside the warehouse was not written (%s); nothing else depends on it",
                       not_recorded)
    return summary


def _outcome(summary: LoadSummary) -> str:
    """The load and its status, with this load's findings and those still open, in one line."""
    found, still = summary.findings_by_severity, summary.open_issues
    load = f"Load {summary.load_id} {summary.status}{' (nothing new)' if summary.nothing_new else ''}" \
        if summary.new_version else f"Nothing new, no version built: load {summary.load_id} stays {summary.status}"
    return (f"{load}: this load found "
            f"{counted(found.get(ERROR, 0), 'error')}, {counted(found.get(WARNING, 0), 'warning')}; open in the "
            f"warehouse: {counted(still.get(ERROR, 0), 'error')}, {counted(still.get(WARNING, 0), 'warning')}")


def _extracted_batches(files: list[SeenFile], raw_dir: Path, batch_size: int):
    """(batch, results) in order, with at most a few batches in flight so memory stays flat."""
    batches = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]
    in_flight: list = []
    for batch in batches:
        in_flight.append((batch, extract_workbooks.submit(batch, raw_dir)))
        if len(in_flight) >= MAX_BATCHES_IN_FLIGHT:
            yield _done(*in_flight.pop(0), raw_dir)
    while in_flight:
        yield _done(*in_flight.pop(0), raw_dir)


def _done(batch: list[SeenFile], future, raw_dir: Path) -> ParsedBatch:
    """A finished batch; one whose task failed is parsed again a file at a time.

    Every per-file fault is already a finding inside the task, so a failed task means its worker
    died (memory exhausted, killed, a lost Dask worker); when a worker process dies, every task
    running in the pool fails with it, its own or not (flows/orchestration/renewing_pool.py). Parsed
    again one by one, each in a task of its own, a batch of one file included, only a file that
    kills its worker again is lost for tonight, and it is left pending, to be tried again by the
    next run.
    """
    if _completed(future):
        return future.result()
    alone = [(file, extract_workbooks.submit([file], raw_dir)) for file in batch]
    return concat_batches([future.result() if _completed(future) else _worker_failed(file, future)
                           for file, future in alone])


def _completed(future) -> bool:
    """Whether a batch's task finished. Waiting on the task of a worker process that died raises
    (BrokenProcessPool) rather than returning a failed state: that is a failed batch too, to be
    parsed again a workbook per task, not the end of the load."""
    try:
        state = future.wait() or future.state
    except Exception:  # noqa: BLE001 (the pool's fault, whatever its type; Ctrl+C still ends the load)
        return False
    return state.is_completed()


def _worker_failed(file: SeenFile, future) -> ParsedBatch:
    try:
        future.result()
        reason: BaseException = RuntimeError("the task ended without a result")
    except BaseException as exc:  # the task's exception, after its retries
        reason = exc
    result = WorkbookResult(file.source_district, file.source_file, file.sha256, file.size_bytes, file.modified_at)
    return summarise_batch([result.fail("in the worker process that read it (it stopped)", reason)])


def _summary(build: WarehouseBuild, plan: LoadPlan, run: dict) -> LoadSummary:
    tally = build.tally
    return LoadSummary(
        run["load_id"], run["status"], build.warehouse, run["files_seen"], run["files_loaded"],
        run["files_rejected"], dict(tally.rows_by_district), tally.rows_rejected,
        {ERROR: tally.severities[ERROR], WARNING: tally.severities[WARNING], INFO: tally.severities[INFO]}, tally.errors,
        files_skipped=run["files_skipped"],
        files_missing=plan.missing,
        files_restored=[f.source_file for f in plan.restored],
        files_pending=tally.files_pending,
        conflicts=sorted(tally.conflicts),
        checks=dict(tally.checks),
        figures_unread=tally.figures_unread,
    )


def _after_models(summary: LoadSummary, build: WarehouseBuild) -> None:
    """What the models decide: new or updated as file_events says it, and the findings the build added."""
    changes = build.loaded_files_by_change()
    summary.files_new, summary.files_updated = changes.get("new", []), changes.get("updated", [])
    tally = build.tally  # the build's own findings (superseded_file) count as this load's
    summary.findings_by_severity = {severity: tally.severities[severity] for severity in (ERROR, WARNING, INFO)}
    summary.checks = dict(tally.checks)


def _next_steps(summary: LoadSummary) -> list[str]:
    """What to do about each file with an open error (flows/publish/advice.py): a corrected workbook for
    errors in a workbook whose rows are loaded, its feedback workbook named; the withdraw command only for
    a file nothing of which is in the views, pasted as printed (the file quoted for the shell, this
    warehouse and these outputs named)."""
    files = list(dict.fromkeys(error["source_file"] for error in summary.open.errors))
    return advice_lines(files, summary.open.files, summary.warehouse, summary.outputs, SUMMARY_FILES_SHOWN, "")


EXAMPLE_QUERY = ("select source_district, row_label, unit, target_low, target_high, actual_value, reported_pct, "
                 "dq_flags from indicator_results where row_kind = 'measured' limit 5")


def summary_artifact(summary: LoadSummary) -> str:
    """The summary for the Prefect UI, which renders Markdown and HTML: a heading of the loader's own words,
    then the summary as literal text, since file names and cell text quoted in it come from whoever sent
    the workbook."""
    return f"{_heading(summary)}\n\n{literal_markdown(summary_markdown(summary))}"


def _heading(summary: LoadSummary) -> str:
    """One Markdown heading (the Prefect artifact's title): the Vietnamese, then the English beside it."""
    status = word(f"oncall.load_status.{summary.status}")
    which = ("oncall.summary.heading_no_version" if not summary.new_version else
             "oncall.summary.heading_nothing_new" if summary.nothing_new else "oncall.summary.heading")
    return f"# {beside(which, load_id=summary.load_id, status=status)}"


def summary_markdown(summary: LoadSummary) -> str:
    """What the person on call reads: what changed, rows per district, findings, where the warehouse is.

    File and sheet names, and messages that quote cell text, come from whoever sent the workbook:
    each goes through show_name, so that a newline or terminal escape in one cannot forge a line.
    """
    lines = [_heading(summary), ""]
    lines += lines_in_both("oncall.summary.files", "- ", seen=summary.files_seen, skipped=summary.files_skipped,
                           loaded=summary.files_loaded, rejected=summary.files_rejected,
                           pending=len(summary.files_pending))
    for label, names in (("oncall.summary.list.new", summary.files_new),
                         ("oncall.summary.list.updated", summary.files_updated),
                         ("oncall.summary.list.missing", summary.files_missing),
                         ("oncall.summary.list.restored", summary.files_restored),
                         ("oncall.summary.list.pending", summary.files_pending),
                         ("oncall.summary.list.conflicts", summary.conflicts)):
        if names:  # a list of names: its heading in both languages beside each other, the names once
            shown = ", ".join(show_name(name) for name in names[:SUMMARY_FILES_SHOWN])
            more = (" " + beside("oncall.list.more_files", count=len(names) - SUMMARY_FILES_SHOWN)
                    if len(names) > SUMMARY_FILES_SHOWN else "")
            lines.append(f"- {beside(label, count=len(names))}: {shown}{more}")
    for district, rows in sorted(summary.rows_by_district.items()):
        lines += lines_in_both("oncall.summary.district_rows", "- ", district=district, rows=rows)
    lines += [f"- {line}" for line in rows_in_both(sum(summary.rows_by_district.values()), summary.rows_rejected,
                                                   summary.figures_unread)]
    found, still = summary.findings_by_severity, summary.open_issues
    lines += lines_in_both("oncall.summary.findings", "- ", errors=counts("oncall.count.errors", found.get(ERROR, 0)),
                           warnings=counts("oncall.count.warnings", found.get(WARNING, 0)),
                           info=counts("oncall.count.readings", found.get(INFO, 0)))
    lines += lines_in_both("oncall.summary.open", "- ", errors=counts("oncall.count.errors", still.get(ERROR, 0)),
                           warnings=counts("oncall.count.warnings", still.get(WARNING, 0)), info=still.get(INFO, 0))
    if summary.open.by_check:
        lines.append(f"- {beside('oncall.summary.by_check_heading')}:")
    for c in summary.open.by_check:
        which = "oncall.summary.by_check_new" if c.new else "oncall.summary.by_check"
        lines.append(f"  - {beside(which, severity=word(f'oncall.severity.{c.severity}'), check=c.check_name, open=c.open, new=c.new)}")
    open_errors = summary.open_issues.get(ERROR, 0)
    if open_errors:
        lines += lines_in_both("oncall.summary.open_errors", "- ", count=open_errors)
    for error in summary.open.errors[:SUMMARY_ERRORS_SHOWN]:
        lines += error_lines(error, summary.load_id if summary.new_version else None, "  - ")
    if open_errors > SUMMARY_ERRORS_SHOWN:
        lines.append(f"  - {beside('oncall.list.more_errors', count=open_errors - SUMMARY_ERRORS_SHOWN)}")
    lines += _next_steps(summary)
    # The example names this warehouse unless it is the default: pasted as printed, it queries it.
    # Double quotes read better than shlex's around 'measured'; the query has no $, `, " or \\ in it.
    example = haquang_command("sql", f'"{EXAMPLE_QUERY}"', warehouse=summary.warehouse, program=PROGRAM)
    outputs = f"{outputs_root(summary.warehouse, summary.outputs).resolve()}/{{exports,dashboard/index.html,docs,feedback}}"
    lines += ["", *lines_in_both("oncall.summary.warehouse", path=summary.warehouse.resolve()),
              *lines_in_both("oncall.summary.outputs", path=outputs), "",
              beside("oncall.summary.example") + ":", f"    {example}"]
    return "\n".join(lines)
