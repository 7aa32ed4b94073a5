"""The one way a new warehouse version is made: opened beside the published file, changed, published.

A nightly load and a withdrawal by hand go through the same steps, so that every version has
its run row written the same way and its models built before it replaces the published file:

    with writer_lock(warehouse, wait), WarehouseBuild(warehouse) as build:
        ...  # stage batches (a load) or record a withdrawal
        build.finish(started_at, mode, plan, raw_dir)  # the run row of landing_load_runs
        build.build_models(data_changed)
    # published by one atomic rename on leaving the block; discarded if anything in it raised

Batches of parsed workbooks are appended to the landing tables as they arrive, so a night of
ten thousand workbooks never sits in memory at once; only counts are kept here. The exports
are written after publishing, by the caller (flows/orchestration/publishing.py).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from flows.core.own_process import in_own_process
# Called through their modules: tests put a failing open_next_version or build_views in their place.
from flows.warehouse import model_build, versions
from flows.warehouse.connection import BUILD_THREADS, DUCKDB_MEMORY_LIMIT, connect
from flows.warehouse.landing import append_frame, last_parsed_event, next_load_id
from flows.warehouse.layers import qualified
from flows.quality.conflicts import find_conflicts
from flows.core.findings import ERROR, FINDING_COLUMNS, WARNING, Finding
from flows.warehouse.reference import load_reference_tables
from flows.warehouse.state import LoadPlan, build_inputs_digest, parser_version
from flows.warehouse.staging import ParsedBatch
from flows.warehouse.commands import withdraw_command
from flows.warehouse.open_files import FileState, file_states


MAX_ERRORS_KEPT = 200  # for the summary; dq_issues has them all


@dataclass
class Tally:
    files_loaded: list[str] = field(default_factory=list)
    files_rejected: int = 0
    files_pending: list[str] = field(default_factory=list)
    rows_by_district: Counter = field(default_factory=Counter)
    rows_rejected: int = 0  # rows with an error that were not loaded (their row is in no batch's rows)
    figures_unread: int = 0  # errors on a cell of a loaded row: the row loaded, that figure left empty
    severities: Counter = field(default_factory=Counter)
    checks: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)

    def count(self, findings: pd.DataFrame) -> None:
        self.severities.update(findings["severity"].value_counts().to_dict())
        self.checks.update(findings.groupby(["check_name", "severity"]).size().to_dict())
        errors = findings[findings["severity"] == ERROR]
        room = MAX_ERRORS_KEPT - len(self.errors)
        if room > 0:
            self.errors += errors.head(room).to_dict("records")


@dataclass(frozen=True)
class OpenCheck:
    check_name: str
    severity: str
    open: int  # findings of this check in dq_issues
    new: int  # of which this load made


@dataclass(frozen=True)
class OpenIssues:
    """What the view dq_issues holds once a version is built: what a night is judged on."""

    by_severity: dict[str, int] = field(default_factory=dict)
    by_check: list[OpenCheck] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # the open errors, this load's first (rows of dq_issues + new)
    files: dict[str, FileState] = field(default_factory=dict)  # what the views hold of each file of `errors`


class UnfinishedVersion(RuntimeError):
    """A version was about to be published without its run row or its models."""


class WarehouseBuild:
    """The next version of the warehouse, open for writing beside the published one.

    Used as a context manager, it publishes the version when the block ends and discards it when
    anything in the block raised: the published warehouse is then untouched.
    """

    def __init__(self, warehouse: Path):
        self.warehouse = warehouse
        self.run: dict | None = None  # the row of landing_load_runs, once finish() wrote it
        self.models_built = False
        self.con: duckdb.DuckDBPyConnection = versions.open_next_version(warehouse)
        try:
            load_reference_tables(self.con)
            self.load_id = next_load_id(self.con)
            remember_open_findings(self.con)
        except BaseException:  # the flow's clean-up starts after this: leave no `.next` copy behind
            self.discard()
            raise
        self.tally = Tally()

    def __enter__(self) -> WarehouseBuild:
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        if exc_type is not None:
            self.discard()
            return False
        try:
            self.publish()
        except BaseException:
            self.discard()
            raise
        return False

    def stage(self, batch: ParsedBatch) -> None:
        """Append one batch: its rows, its findings and an event per file."""
        append_frame(self.con, "landing_indicator_rows", batch.rows.assign(load_id=self.load_id))
        self._add_findings(batch.findings)
        self._count_row_errors(batch)
        append_frame(self.con, "landing_load_files", batch.events.assign(load_id=self.load_id))
        action = batch.events["action"]
        self.tally.files_loaded += sorted(batch.events[action == "loaded"]["source_file"])
        self.tally.files_pending += sorted(batch.events[action == "pending"]["source_file"])
        self.tally.files_rejected += int((action == "rejected").sum())
        if not batch.rows.empty:
            self.tally.rows_by_district.update(batch.rows["source_district"].value_counts().to_dict())

    def _count_row_errors(self, batch: ParsedBatch) -> None:
        """An error on a row is a row not loaded when the row is not among the batch's rows, else a figure
        that could not be read (the row loaded with that figure empty): counted as what they are."""
        findings = batch.findings
        if findings.empty:
            return
        on_rows = findings[(findings["severity"] == ERROR) & findings["source_row"].notna()]
        if on_rows.empty:
            return
        key = ["source_file", "source_sheet", "source_row"]
        found = on_rows[key].astype({"source_row": "int64"}).astype(str).agg("\x1f".join, axis=1)
        loaded = set() if batch.rows.empty else set(
            batch.rows[key].astype({"source_row": "int64"}).astype(str).agg("\x1f".join, axis=1))
        in_loaded = found.isin(loaded)
        self.tally.figures_unread += int(in_loaded.sum())
        self.tally.rows_rejected += int(found[~in_loaded].nunique())

    def add_conflicts(self) -> None:
        """Files of this load that report the same figures (found once every batch is in)."""
        clashing = self.con.execute("""
            with this_load as (
                select *, coalesce(indicator_code, label_key) as fact_key
                from landing_indicator_rows where load_id = ?
            ),
            keys as (
                select source_district, reporting_unit, period_end, fact_key
                from this_load group by all having count(distinct source_file) > 1
            )
            select this_load.* exclude (fact_key)
            from this_load inner join keys using (source_district, reporting_unit, period_end, fact_key)
        """, [self.load_id]).df()
        if clashing.empty:
            return
        modified = dict(self.con.execute("select source_file, modified_at from landing_load_files where load_id = ?",
                                         [self.load_id]).fetchall())
        findings = pd.DataFrame(find_conflicts(clashing, modified), columns=FINDING_COLUMNS, dtype=object)
        self._add_findings(findings)
        self.tally.conflicts.update(findings["source_file"])

    def withdraw(self, source_file: str) -> None:
        """Take a file's figures out of the current views; the history keeps them."""
        self._add_events([dict(last_parsed_event(self.con, source_file), action="withdrawn", loaded=False,
                               rows_loaded=0)])

    def restore_taken_over(self, source_file: str) -> dict[str, int]:
        """Before `source_file` is withdrawn: the figures it had taken over from other files become current
        again, as versions of this load (their rows and row findings copied from the load that last read
        them), each such file with a `restored` event and a finding that says so. A file withdrawn itself
        stays out; one missing from the raw folder comes back as its other figures stay: marked missing.
        Returns the rows restored per file."""
        if not self._has_relation("int_row_versions"):
            return {}
        self.con.execute("""
            create or replace temp table taken_over as
            with taken as (
                select distinct load_id, source_district, reporting_unit, period_end, fact_key
                from int_row_versions where source_file = ? and superseded_by_load_id is null
            )
            select earlier.load_id, earlier.source_file, earlier.source_sheet, earlier.source_row,
                   taken.load_id as taken_in_load
            from int_row_versions as earlier
            inner join taken
                on taken.source_district = earlier.source_district
                and taken.reporting_unit = earlier.reporting_unit
                and taken.period_end is not distinct from earlier.period_end
                and taken.fact_key = earlier.fact_key
                and earlier.superseded_by_load_id = taken.load_id
            inner join int_file_status as status on status.source_file = earlier.source_file
            where earlier.source_file <> ? and status.last_action <> 'withdrawn'
        """, [source_file, source_file])
        for table in ("landing_indicator_rows", "landing_dq_findings"):
            self.con.execute(f"""
                insert into {table} by name
                select * replace ({self.load_id} as load_id) from {table}
                where (load_id, source_file, source_sheet, source_row) in (
                    select (load_id, source_file, source_sheet, source_row) from taken_over)
            """)
        files = self.con.execute("select source_file, count(*), any_value(taken_in_load) from taken_over "
                                 "group by all order by 1").fetchall()
        self._add_events([dict(last_parsed_event(self.con, name), action="restored", loaded=True, rows_loaded=rows)
                          for name, rows, _ in files])
        self._add_findings(pd.DataFrame([Finding(
            "superseded_figures_restored", f"{rows} figures of this file that {source_file} had taken over in load "
            f"{taken_in} are current again, as {source_file} was withdrawn (load {self.load_id}); check that they "
            "are the figures to publish, or send the corrected file again"
        ).as_record(last_parsed_event(self.con, name)["source_district"], name) for name, rows, taken_in in files]))
        return {name: rows for name, rows, _ in files}

    def current_files(self) -> list[str]:
        """Files whose figures the published views show (none before a load first built them)."""
        if not self._has_relation("int_file_status"):
            return []
        return [r[0] for r in self.con.execute(
            "select source_file from int_file_status where last_action <> 'withdrawn' order by 1").fetchall()]

    def withdrawn_files(self) -> dict[str, int]:
        """Files whose latest event is a withdrawal, and the load that withdrew each."""
        if not self._has_relation("int_file_status"):
            return {}
        return dict(self.con.execute(
            "select source_file, last_event_load_id from int_file_status where last_action = 'withdrawn'").fetchall())

    def files_with_figures(self) -> list[str]:
        """Files whose rows the current views show (a rejected file that never loaded has none)."""
        if not self._has_relation("int_current_rows"):
            return []
        return [r[0] for r in self.con.execute("select distinct source_file from int_current_rows order by 1").fetchall()]

    def current_rows(self, source_file: str) -> int:
        """How many rows of the file the current views show."""
        if not self._has_relation("int_current_rows"):
            return 0
        return self.con.execute("select count(*) from int_current_rows where source_file = ?", [source_file]).fetchone()[0]

    def _has_relation(self, name: str) -> bool:
        # Before a load first built the models, a version has only its landing tables.
        return self.con.execute("select 1 from duckdb_tables() where table_name = ? "
                                "union all select 1 from duckdb_views() where view_name = ?", [name, name]).fetchone() \
            is not None

    def finish(self, started_at: dt.datetime, mode: str, plan: LoadPlan | None = None,
               raw_dir: Path | None = None) -> dict:
        """Record the vanished and restored files and the run; returns the run row.

        mode is 'incremental' or 'full' for a load of raw_dir by plan, 'withdraw' for a withdrawal
        (no folder read, no plan): every count comes from what this version staged, never typed in.
        """
        plan = plan or LoadPlan()
        self._add_events([dict(last_parsed_event(self.con, name), action="missing", loaded=False, rows_loaded=0)
                          for name in plan.missing])
        self._add_events([{"source_district": f.source_district, "source_file": f.source_file, "sha256": f.sha256,
                           "size_bytes": f.size_bytes, "modified_at": f.modified_at, "action": "restored",
                           "loaded": False, "rows_loaded": 0} for f in plan.restored])
        self._add_findings(pd.DataFrame([Finding(
            "file_missing", "the file is no longer in the raw folder; its figures stay published, marked as from a "
            f"missing file, until someone runs `{withdraw_command(name, self.warehouse)}`",
        ).as_record(name.split("/")[0], name) for name in plan.missing], columns=FINDING_COLUMNS, dtype=object))
        tally = self.tally
        run = {
            "load_id": self.load_id, "started_at": started_at, "finished_at": dt.datetime.now(dt.timezone.utc),
            "status": "succeeded_with_errors" if tally.severities[ERROR] else "succeeded",
            # absolute, so that a later command run from another folder (haquang feedback) finds the files
            "raw_dir": "" if raw_dir is None else str(Path(raw_dir).resolve()),
            "mode": mode, "parser_version": parser_version(),
            "files_seen": len(plan.to_parse) + len(plan.unreadable) + len(plan.skipped) + len(plan.restored)
            + len(plan.still_withdrawn),
            "files_skipped": len(plan.skipped) + len(plan.still_withdrawn), "files_missing": len(plan.missing),
            "files_restored": len(plan.restored), "files_loaded": len(tally.files_loaded),
            "files_rejected": tally.files_rejected, "files_pending": len(tally.files_pending),
            "rows_loaded": sum(tally.rows_by_district.values()),
            "rows_rejected": tally.rows_rejected, "warnings": tally.severities[WARNING],
            "errors": tally.severities[ERROR],
        }
        append_frame(self.con, "landing_load_runs", pd.DataFrame([run]))
        # Write the staged rows out of memory before the stored models are built from them:
        # under the memory limit, unwritten blocks cannot be evicted and the build would fail.
        self.con.execute("checkpoint")
        self.run = run
        return run

    def build_models(self, data_changed: bool = True) -> list[str]:
        """Create the views and stored models of sql/ (stored models are kept when no data changed).

        Then the run's status is settled on what the version holds: errors left open by an
        earlier run (a rejected file not yet resubmitted, a pending file) make it
        succeeded_with_errors too, so that a quiet night after a bad one does not read as a good one.
        """
        built = self._build_views_within_memory(data_changed)
        self.models_built = True
        self._add_superseded_files()
        self.open = self.open_issues()  # what the version holds open, read once: the load's summary reports it
        if self.run is not None and self.run["status"] == "succeeded" and self.open.by_severity.get(ERROR):
            self.con.execute("update landing_load_runs set status = 'succeeded_with_errors' where load_id = ?",
                             [self.load_id])
            self.run["status"] = "succeeded_with_errors"
        return built

    def _build_views_within_memory(self, data_changed: bool) -> list[str]:
        """The models under DuckDB's memory limit (models.prepare_for_models, models.within_memory).

        When stored models are to be built (a load that changed data, or SQL or reference tables
        changed since they were), in a process of their own on the version's file, with the whole
        limit: the load process's heap and the models' DuckDB buffers are then never added up in
        one process (flows/core/own_process.py). Otherwise, a night with nothing new, only the
        views are made, in place.
        """
        # From here on (models, superseded files, open issues over dq_issues) this connection has
        # DuckDB's whole limit: at 100,000 workbooks the open issues ran out of the staging limit.
        if not data_changed and not model_build.stale_stored_models(self.con):
            self.con.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
            model_build.prepare_for_models(self.con)
            return model_build.build_views(self.con, data_changed)
        building = versions.next_version_path(self.warehouse)
        self.con.execute("checkpoint")
        self.con.close()
        try:
            return in_own_process(model_build.build_models_at, building, data_changed)
        finally:
            self.con = connect(building, threads=BUILD_THREADS)

    def _add_superseded_files(self) -> None:
        """A superseded_file warning, once, for each file in the raw folder none of whose figures is current.

        Read from the row versions the models just built (int_row_versions decides what supersedes
        what), so that this rule and the current views never disagree. A file is wholly superseded
        when every row of its latest loaded version was replaced by a later load's version of the
        same figure: its row findings close in dq_issues, and this one says why and what to do.
        A conflict's loser (replaced within its own load) is not: conflicting_files says that.
        A file missing from the raw folder has its file_missing warning instead.
        """
        superseded = self.con.execute("""
            with versions as (
                select *, max(load_id) over (partition by source_file) as latest_load_id from int_row_versions
            ),
            latest as (
                select versions.* from versions
                inner join int_file_status using (source_file)
                where versions.load_id = versions.latest_load_id
                    and int_file_status.last_action not in ('missing', 'withdrawn')
            ),
            whole as (
                select source_district, source_file, load_id from latest group by all
                having bool_and(coalesce(superseded_by_load_id > load_id, false))
            ),
            taken_by as (
                select whole.source_district, whole.source_file, max(latest.superseded_by_load_id) as by_load_id,
                       list_sort(list_distinct(list(newer.source_file))) as by_files
                from whole
                inner join latest using (source_file)
                inner join int_row_versions as newer
                    on newer.load_id = latest.superseded_by_load_id
                    and newer.source_file <> latest.source_file
                    and newer.source_district = latest.source_district
                    and newer.reporting_unit is not distinct from latest.reporting_unit
                    and newer.period_end is not distinct from latest.period_end
                    and newer.fact_key = latest.fact_key
                group by all
            )
            select source_district, source_file, by_load_id, by_files from taken_by
            where not exists (  -- said once: not again while the finding made since its last reading stands
                select 1 from stg_dq_findings as said
                where said.source_file = taken_by.source_file and said.check_name = 'superseded_file'
                    and said.load_id > (select last_read_load_id from int_file_status as s
                                        where s.source_file = taken_by.source_file))
            order by source_file""").fetchall()
        if not superseded:
            return
        findings = [Finding(
            "superseded_file", f"every figure of this file was taken over by {', '.join(by_files)} (load {by_load_id}), "
            "so none of them is current and its findings on rows are closed; it still sits in the raw folder: run "
            f"`{withdraw_command(name, self.warehouse)}`, then it may be "
            "removed from the raw folder",
        ).as_record(district, name) for district, name, by_load_id, by_files in superseded]
        self._add_findings(pd.DataFrame(findings, columns=FINDING_COLUMNS, dtype=object))
        if self.run is not None:  # this load's count of warnings includes them
            self.run["warnings"] = self.tally.severities[WARNING]
            self.con.execute("update landing_load_runs set warnings = ? where load_id = ?",
                             [self.run["warnings"], self.load_id])

    def loaded_files_by_change(self) -> dict[str, list[str]]:
        """This load's loaded files by their file_events change ('new' or 'updated'): one definition for both."""
        changes: dict[str, list[str]] = {}
        for change, name in self.con.execute("select change, source_file from file_events where load_id = ? "
                                             "and change in ('new', 'updated') order by source_file",
                                             [self.load_id]).fetchall():
            changes.setdefault(change, []).append(name)
        return changes

    def open_issues(self, errors_listed: int = MAX_ERRORS_KEPT) -> OpenIssues:
        """The findings still open in this version (the view dq_issues), and which this load made."""
        return open_issues(self.con, self.load_id, errors_listed)

    def publish(self) -> None:
        """Replace the published warehouse by this version: only a whole one, run row and models built."""
        if self.run is None or not self.models_built:
            lacking = [what for what, done in (("its run row (finish)", self.run is not None),
                                               ("its models (build_models)", self.models_built)) if not done]
            raise UnfinishedVersion(f"load {self.load_id} was not published: it lacks {' and '.join(lacking)}")
        # what this version was built from, so that a night with nothing new can tell it needs none
        self.con.execute(f"create or replace table {qualified('landing_build_inputs')} as select ?::varchar as digest",
                         [build_inputs_digest()])
        versions.publish(self.con, self.warehouse)

    def discard(self) -> None:
        versions.discard(self.con, self.warehouse)

    def _add_events(self, events: list[dict]) -> None:
        if events:
            append_frame(self.con, "landing_load_files", pd.DataFrame(events).assign(load_id=self.load_id))

    def _add_findings(self, findings: pd.DataFrame) -> None:
        if not findings.empty:
            append_frame(self.con, "landing_dq_findings", findings.assign(load_id=self.load_id))
            self.tally.count(findings)


PREVIOUSLY_OPEN = "landing_previously_open"  # the findings open in the version a build started from
FINDING_KEY = ("source_file", "source_sheet", "source_row", "source_column", "check_name", "raw_value")


def remember_open_findings(con: duckdb.DuckDBPyConnection) -> None:
    """Keep, in the next version, the findings open in the version it is built from (its dq_issues):
    a finding is new to a person only when the same finding was not open before (flows/publish/status.py
    and the load summary read it). None before the first version with views."""
    has_view = con.execute("select 1 from duckdb_views() where view_name = 'dq_issues'").fetchone() is not None
    source = f"select distinct {', '.join(FINDING_KEY)} from dq_issues" if has_view else \
        ("select null::varchar as source_file, null::varchar as source_sheet, null::integer as source_row, "
         "null::varchar as source_column, null::varchar as check_name, null::varchar as raw_value where false")
    con.execute(f"create or replace table {qualified(PREVIOUSLY_OPEN)} as {source}")


def new_finding_sql(con: duckdb.DuckDBPyConnection, alias: str = "d") -> str:
    """A SQL condition, over dq_issues as `alias` and a load id parameter, true for a finding made by that
    load that was not open (the same file, sheet, row, column, check and raw value) in the version before
    it: an unchanged file read again (a new release, --full) brings back old findings, not new ones."""
    found = con.execute("select schema_name from duckdb_tables() where table_name = ? and not temporary "
                        "order by schema_name = 'main'", [PREVIOUSLY_OPEN]).fetchone()
    if found is None:  # a version built before this was recorded
        return f"({alias}.load_id is not distinct from ?)"
    same = " and ".join(f"p.{column} is not distinct from {alias}.{column}" for column in FINDING_KEY)
    return (f"({alias}.load_id is not distinct from ? and not exists "
            f"(select 1 from {found[0]}.{PREVIOUSLY_OPEN} as p where {same}))")


def open_issues(con: duckdb.DuckDBPyConnection, load_id: int | None, errors_listed: int = MAX_ERRORS_KEPT
                ) -> OpenIssues:
    """The findings open in a version (the view dq_issues), and which of them load `load_id` made new (None:
    none of them is new, as on a night that built no version)."""
    new = new_finding_sql(con)
    by_check = con.execute(f"""
        select check_name, severity, count(*), count(*) filter (where {new})
        from dq_issues as d group by check_name, severity
        -- what asks for action first: errors, then warnings, then readings resolved with evidence
        order by case severity when 'error' then 0 when 'warning' then 1 else 2 end, check_name""",
        [load_id]).fetchall()
    cursor = con.execute(f"""
        select *, {new} as new from dq_issues as d where severity = ?
        order by new desc, source_file, source_sheet, source_row, check_name limit ?""",
                         [load_id, ERROR, errors_listed])
    columns = [d[0] for d in cursor.description]
    errors = [dict(zip(columns, row)) for row in cursor.fetchall()]
    by_severity = Counter()
    for _, severity, count, _ in by_check:
        by_severity[severity] += count
    files = file_states(con, list(dict.fromkeys(error["source_file"] for error in errors)))
    return OpenIssues(dict(by_severity), [OpenCheck(*row) for row in by_check], errors, files)
