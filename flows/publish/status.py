"""`haquang status`: what the last load did, for the person on call, read from the warehouse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from flows.core.names import show_name
from flows.warehouse.models import WarehouseUnreadable

LOCAL_ZONE = "Asia/Ho_Chi_Minh"


def status_report(warehouse: Path, now: dt.datetime | None = None) -> str:
    """Last run: when, what changed, what was rejected and why, and how old the published data is."""
    now = now or dt.datetime.now(dt.timezone.utc)
    # A truncated file is refused before this, by the command line's check (flows/cli.py).
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return _report(con, warehouse, now)
    except duckdb.Error as exc:  # corrupt blocks show only when they are read
        raise WarehouseUnreadable(warehouse, exc, "read") from exc


def _report(con: duckdb.DuckDBPyConnection, warehouse: Path, now: dt.datetime) -> str:
    con.execute(f"set TimeZone = '{LOCAL_ZONE}'")
    run = con.execute("""
        select load_id, started_at, finished_at, status, mode, files_seen, files_skipped, files_loaded,
               files_rejected, files_missing, rows_loaded, rows_rejected, warnings, errors, files_pending
        from load_runs order by load_id desc limit 1""").fetchone()
    if run is None:
        return f"{show_name(str(warehouse))}: no load has run yet"
    load_id = run[0]
    changes = con.execute("select change, source_file, rows_loaded from file_events where load_id = ? "
                          "order by change, source_file", [load_id]).fetchall()
    errors = con.execute("select source_file, source_sheet, source_row, check_name, message from stg_dq_findings "
                         "where load_id = ? and severity = 'error' order by source_file, source_row",
                         [load_id]).fetchall()
    last_change = con.execute("select max(r.finished_at) from load_runs r join file_events e using (load_id) "
                              "where e.change in ('new', 'updated', 'withdrawn')").fetchone()[0]
    open_issues = dict(con.execute("select severity, count(*) from dq_issues group by all").fetchall())
    pending = con.execute("""
        select status.source_file, issues.check_name, issues.message
        from int_file_status as status
        left join dq_issues as issues
            on issues.source_file = status.source_file and issues.load_id = status.last_event_load_id
        where status.last_action = 'pending' order by 1""").fetchall()

    # File and sheet names, and the messages that quote them, come from whoever wrote the workbook:
    # show_name keeps a newline in one from forging a line of this report.
    lines = [
        f"Last load {load_id} ({run[4]}): {run[3]}",
        f"  ran {run[1]:%Y-%m-%d %H:%M} to {run[2]:%H:%M:%S} {LOCAL_ZONE} time, {_age(now - run[2])} ago",
        f"  files: {run[5]} seen, {run[6]} unchanged, {run[7]} loaded, {run[8]} rejected, {run[14]} pending, "
        f"{run[9]} missing",
        f"  rows: {run[10]} loaded, {run[11]} rejected; findings: {run[13]} errors, {run[12]} warnings",
    ]
    lines.append("What changed:" if changes else "What changed: nothing new")
    lines += [f"  {change:9} {show_name(name)}" + (f" ({rows} rows)" if rows else "") for change, name, rows in changes]
    if errors:
        lines.append("Errors of this load (not loaded):")
        lines += [f"  {show_name(file)}" + (f", sheet {show_name(sheet)}" if sheet else "")
                  + (f", row {row}" if row else "") + f": {check}: {show_name(message)}"
                  for file, sheet, row, check, message in errors]
    if pending:
        lines.append("Pending (not read yet; the next run tries again):")
        lines += [f"  {show_name(file)}: {check}: {show_name(message or '')}" for file, check, message in pending]
    if last_change is not None:
        lines.append(f"Published figures last changed {_age(now - last_change)} ago ({last_change:%Y-%m-%d %H:%M}).")
    lines.append(f"Open data-quality issues: {open_issues.get('error', 0)} errors, "
                 f"{open_issues.get('warning', 0)} warnings (view dq_issues); "
                 f"{open_issues.get('info', 0)} readings resolved with evidence (info: nothing to do)")
    return "\n".join(lines)


def _age(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days"
