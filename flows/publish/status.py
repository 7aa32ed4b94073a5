"""`haquang status`: what the last load did, for the person on call, read from the warehouse.

Two forms of the same facts (`status_facts`):

- `status_report`: text for a person. Counts first, then the first ten names of each list and
  how many more (`--all` prints them all), so a load of 2,000 new workbooks still fits a screen.
- `status_json`: for monitoring, every list whole. Its shape (`"format": 1`; a key is added,
  never renamed or removed, without changing that number):

      format            1
      warehouse         absolute path of the warehouse read
      now               when the status was taken (ISO 8601, UTC)
      ok                false while an error is open in the warehouse (what makes every load exit 1)
      exit_status       1 while an error is open, else 0: `haquang status` exits with it, as a load would
      last_load         null before any load, else an object:
          load_id, mode (full | incremental | withdraw), status (succeeded | succeeded_with_errors),
          started_at, finished_at (ISO 8601, UTC), age_seconds (now - finished_at),
          files {seen, unchanged, loaded, rejected, pending, missing},
          rows {loaded, rejected, figures_unread}: rows loaded; rows with an error that were not
          loaded (`rejected`); figures that could not be read on rows that were loaded (the row is in
          the views, that figure empty); findings {error, warning} (of that load)
      changes           {new, updated, rejected, pending, missing, restored, withdrawn, ignored, gone}: each the
                        list of [{file, rows_loaded}] of the last load's file_events, by name
      errors            the error findings open in the warehouse (what was not loaded, and what
                        keeps every load exiting 1 until it is resolved), found by the last load
                        or left open by an earlier one; each {file, sheet, row, column,
                        check_name, message, load_id (the load that found it), new (true when
                        that is the last load, no night since found nothing new, and the same
                        finding (file, sheet, row, column, check, raw value) was not open in the
                        version before it), message_vi (the message in Vietnamese: where, what, what
                        to do)}, the last load's first; [] when none is open
      next_steps        one per file of `errors`: {file, current_rows, action}: action `correct`
                        (send a corrected workbook; `feedback` names the feedback workbook's path),
                        `withdraw_or_correct` (nothing of it is in the views: a corrected workbook,
                        or `command` withdraws it if it should not be in raw/) or `wait` (pending:
                        the next run reads it again)
      pending           files not read yet, of any load, each {file, check_name, message, message_vi}
      open_issues       {error, warning, info}: findings in dq_issues by severity (info: a reading
                        resolved with evidence, nothing to do)
      published_data    {last_changed_at, age_seconds}: the last load that changed figures (null if none)
      last_night        null, or the last night that found nothing new and built no version since
                        last_load (flows/orchestration/quiet_night.py): {finished_at, age_seconds};
                        monitoring that a load ran every night reads the newer of the two

  File names and messages are the text as stored; the JSON escapes every non-ASCII character,
  so the output is plain ASCII whatever a file name holds.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from flows.core.names import show_name
from flows.core.reader_format import local, moment
from flows.publish.advice import advice_lines
from flows.publish.outputs import feedback_file, outputs_root
from flows.core.messages import LANGUAGES, in_both, say
from flows.publish.wording import (age, beside, counts, error_lines, lines_in_both, per_language, rows_in_both,
                                   word)
from flows.warehouse.build import new_finding_sql
from flows.warehouse.commands import PROGRAM, haquang_command, withdraw_command
from flows.warehouse.last_night import read_last_night
from flows.warehouse.connection import as_published, connect
from flows.warehouse.query_sandbox import WarehouseUnreadable
from flows.warehouse.open_files import FileState, file_states

SHOWN = 10  # names per list in the text report without --all
ADVICE_SHOWN = 3  # files whose advice the text report gives without --all: two lines each, in both languages
CHANGES = ("new", "updated", "rejected", "pending", "missing", "restored", "withdrawn", "ignored",
           "gone")  # file_events.change
STATUS_FORMAT = 1


def status_report(warehouse: Path, now: dt.datetime | None = None, show_all: bool = False,
                  facts: dict | None = None) -> str:
    """Last run: when, what changed, what was rejected and why, and how old the published data is."""
    return _text(facts or status_facts(warehouse, now), warehouse, show_all)


def status_json(warehouse: Path, now: dt.datetime | None = None, facts: dict | None = None) -> str:
    return json.dumps(facts or status_facts(warehouse, now), indent=2, ensure_ascii=True)


def status_facts(warehouse: Path, now: dt.datetime | None = None) -> dict:
    """The facts of both forms, in the JSON shape of the module's docstring."""
    now = now or dt.datetime.now(dt.timezone.utc)
    # A truncated file is refused before this, by the command line's check (flows/cli.py).
    try:
        with as_published(warehouse) as readable, connect(readable, read_only=True) as con:  # the layers' search path
            con.execute("set TimeZone = 'UTC'")
            return _facts(con, warehouse, now)
    except duckdb.Error as exc:  # corrupt blocks show only when they are read
        raise WarehouseUnreadable(warehouse, exc, "read") from exc


def _facts(con: duckdb.DuckDBPyConnection, warehouse: Path, now: dt.datetime) -> dict:
    facts = {"format": STATUS_FORMAT, "warehouse": str(warehouse.resolve()), "now": _iso(now), "ok": True,
             "exit_status": 0, "last_load": None,
             "changes": {change: [] for change in CHANGES}, "errors": [], "next_steps": [], "pending": [],
             "open_issues": {"error": 0, "warning": 0, "info": 0},
             "published_data": {"last_changed_at": None, "age_seconds": None}, "last_night": None}
    run = con.execute("""
        select load_id, mode, status, started_at, finished_at, files_seen, files_skipped, files_loaded,
               files_rejected, files_pending, files_missing, rows_loaded, rows_rejected, errors, warnings
        from load_runs order by load_id desc limit 1""").fetchone()
    if run is None:
        return facts
    load_id = run[0]
    facts["last_load"] = {
        "load_id": load_id, "mode": run[1], "status": run[2], "started_at": _iso(run[3]), "finished_at": _iso(run[4]),
        "age_seconds": _seconds(now - run[4]),
        "files": dict(zip(("seen", "unchanged", "loaded", "rejected", "pending", "missing"), run[5:11])),
        "rows": {"loaded": run[11], **_row_errors(con, load_id)}, "findings": {"error": run[13], "warning": run[14]},
    }
    night = read_last_night(warehouse, load_id)
    if night is not None:
        finished = dt.datetime.fromisoformat(night["finished_at"])
        facts["last_night"] = {"finished_at": _iso(finished), "age_seconds": _seconds(now - finished)}
    newest = None if night is not None else load_id  # after a night that read nothing, no finding is new
    for change, name, rows in con.execute("select change, source_file, rows_loaded from file_events "
                                          "where load_id = ? order by source_file", [load_id]).fetchall():
        facts["changes"].setdefault(change, []).append({"file": name, "rows_loaded": rows})
    # What monitoring must see is what fails the night: every error still open, not only the new ones
    # (a rejected file stays an error, load after load, until it is corrected or withdrawn).
    facts["errors"] = [dict(zip(("file", "sheet", "row", "column", "check_name", "message", "load_id", "new", "message_vi"), error))
                       for error in con.execute(f"""
        select source_file, source_sheet, source_row, source_column, check_name, message, load_id,
               {new_finding_sql(con)}, message_vi
        from dq_issues as d where severity = 'error'
        order by load_id = ? desc, source_file, source_sheet, source_row, check_name""",
                                                [newest, load_id]).fetchall()]
    states = file_states(con, list(dict.fromkeys(e["file"] for e in facts["errors"])))
    facts["next_steps"] = [_next_step(name, state, warehouse) for name, state in states.items()]
    facts["pending"] = [dict(zip(("file", "check_name", "message", "message_vi"), row)) for row in con.execute("""
        select status.source_file, issues.check_name, issues.message, issues.message_vi
        from int_file_status as status
        left join dq_issues as issues
            on issues.source_file = status.source_file and issues.load_id = status.last_event_load_id
        where status.last_action = 'pending' order by 1, 2""").fetchall()]
    facts["open_issues"].update(con.execute("select severity, count(*) from dq_issues group by all").fetchall())
    # the verdict a load's exit status gives: not ok while an error is open, whoever found it
    facts["ok"] = facts["open_issues"]["error"] == 0
    facts["exit_status"] = 0 if facts["ok"] else 1
    last_change = con.execute("select max(r.finished_at) from load_runs r join file_events e using (load_id) "
                              "where e.change in ('new', 'updated', 'withdrawn')").fetchone()[0]
    if last_change is not None:
        facts["published_data"] = {"last_changed_at": _iso(last_change), "age_seconds": _seconds(now - last_change)}
    return facts


def _row_errors(con: duckdb.DuckDBPyConnection, load_id: int) -> dict:
    """Of a load's errors on rows: rows that were not loaded, and figures left empty on rows that were
    (counted from its findings and rows, not from load_runs.rows_rejected, which versions before
    this one counted as every error on a row)."""
    not_loaded, unread = con.execute("""
        with errors as (
            select f.source_file, f.source_sheet, f.source_row,
                   exists (select 1 from landing_indicator_rows as r where r.load_id = f.load_id
                           and r.source_file = f.source_file and r.source_sheet = f.source_sheet
                           and r.source_row = f.source_row) as row_loaded
            from landing_dq_findings as f
            where f.load_id = ? and f.severity = 'error' and f.source_row is not null
        )
        select count(distinct (source_file, source_sheet, source_row)) filter (where not row_loaded),
               count(*) filter (where row_loaded)
        from errors""", [load_id]).fetchone()
    return {"rejected": int(not_loaded or 0), "figures_unread": int(unread or 0)}


def _next_step(name: str, state: FileState, warehouse: Path) -> dict:
    step = {"file": name, "current_rows": state.current_rows}
    if state.pending:
        return {**step, "action": "wait"}
    if state.current_rows:
        return {**step, "action": "correct",
                "feedback": str(feedback_file(warehouse, name, outputs_root(warehouse)).resolve())}
    return {**step, "action": "withdraw_or_correct",
            "command": withdraw_command(name, warehouse, outputs_root(warehouse), program=PROGRAM)}


def _text(facts: dict, warehouse: Path, show_all: bool) -> str:
    """The report: each sentence in Vietnamese, then English (lines_in_both); a list's short heading and
    its items once, the two languages beside each other (beside)."""
    run = facts["last_load"]
    if run is None:
        return "\n".join(in_both("oncall.status.no_load", warehouse=show_name(str(warehouse))))
    now = _local(dt.datetime.fromisoformat(facts["now"]))
    started, finished = (_local(dt.datetime.fromisoformat(run[k])) for k in ("started_at", "finished_at"))
    files, rows, findings = run["files"], run["rows"], run["findings"]
    # File and sheet names, and the messages that quote them, come from whoever wrote the workbook:
    # show_name keeps a newline in one from forging a line of this report.
    lines = []
    quiet = facts["last_night"] is not None
    if quiet:
        looked = _local(dt.datetime.fromisoformat(facts["last_night"]["finished_at"]))
        lines += lines_in_both("oncall.status.quiet_night", when=looked, age=age(now - looked), load_id=run["load_id"])
    lines += lines_in_both("oncall.status.last_load", load_id=run["load_id"], mode=word(f"oncall.load_mode.{run['mode']}"),
                           status=word(f"oncall.load_status.{run['status']}"))
    # both ends to the second: a load takes seconds
    lines += lines_in_both("oncall.status.ran", "  ", age=age(now - finished),
                           **{name: per_language(lambda language, when=when: moment(when, language, seconds=True))
                              for name, when in (("started", started), ("finished", finished))})
    lines += lines_in_both("oncall.status.files", "  ", seen=files["seen"], unchanged=files["unchanged"],
                           loaded=files["loaded"], rejected=files["rejected"], pending=files["pending"],
                           missing=files["missing"])
    lines += [f"  {line}" for line in _rows_in_both(rows)]
    lines += lines_in_both("oncall.status.findings", "  ", errors=counts("oncall.count.errors", findings["error"]),
                           warnings=counts("oncall.count.warnings", findings["warning"]))
    changes = {change: events for change, events in facts["changes"].items() if events}
    if quiet:
        lines += lines_in_both("oncall.status.nothing_new_last_night")
    listed = per_language(lambda language: ", ".join(
        say("oncall.status.change_count", language, count=len(events), change=word(f"oncall.change.{change}"))
        for change, events in changes.items()))
    if quiet:
        lines += lines_in_both("oncall.status.load_changed" if changes else "oncall.status.load_changed_nothing",
                               load_id=run["load_id"], changes=listed)
    else:
        lines += lines_in_both("oncall.status.changed" if changes else "oncall.status.changed_nothing", changes=listed)
    cut = False
    for change, events in changes.items():
        lines.append(f"  {beside('oncall.status.change_heading', change=word(f'oncall.change.{change}'), count=len(events))}:")
        shown, more = _first(events, show_all)
        lines += [f"    {show_name(e['file'])}"
                  + (f" ({beside('oncall.status.file_rows', rows=e['rows_loaded'])})" if e["rows_loaded"] else "")
                  for e in shown]
        cut |= _more(lines, more, "oncall.list.more_files", "    ")
    if facts["errors"]:
        in_files = len({e["file"] for e in facts["errors"]})
        lines += lines_in_both("oncall.status.open_errors", count=len(facts["errors"]),
                               files=counts("oncall.count.files", in_files))
        shown, more = _first(facts["errors"], show_all)
        for e in shown:
            lines += error_lines({"source_file": e["file"], "source_sheet": e["sheet"], "source_row": e["row"],
                                  "source_column": e["column"], **e}, run["load_id"] if not quiet else None, "  ")
        cut |= _more(lines, more, "oncall.list.more_errors", "  ")
        files = list(dict.fromkeys(e["file"] for e in facts["errors"]))
        states = {s["file"]: FileState(s["current_rows"], any(e["row"] for e in facts["errors"] if e["file"] == s["file"]),
                                       s["action"] == "wait") for s in facts["next_steps"]}
        # a pending file has its own list below, which says the next run reads it again
        files = [name for name in files if not (name in states and states[name].pending)]
        lines += advice_lines(files, states, warehouse, None, None if show_all else ADVICE_SHOWN, "  ")
        cut |= not show_all and len(files) > ADVICE_SHOWN
    if facts["pending"]:
        lines += lines_in_both("oncall.status.pending", count=len(facts["pending"]))
        shown, more = _first(facts["pending"], show_all)
        for p in shown:  # in each language its own message (a pending file from before has no message_vi)
            said = {"vi": p.get("message_vi") or p["message"] or "", "en": p["message"] or ""}
            lines += [f"  {say('oncall.status.pending_file', language, file=show_name(p['file']), check=p['check_name'], message=show_name(said[language]))}"
                      for language in LANGUAGES]
        cut |= _more(lines, more, "oncall.list.more_files", "  ")
    published = facts["published_data"]
    if published["last_changed_at"] is not None:
        changed = _local(dt.datetime.fromisoformat(published["last_changed_at"]))
        lines += lines_in_both("oncall.status.published", age=age(now - changed), when=changed)
    issues = facts["open_issues"]
    lines += lines_in_both("oncall.status.open_issues", errors=counts("oncall.count.errors", issues["error"]),
                           warnings=counts("oncall.count.warnings", issues["warning"]),
                           info=counts("oncall.count.readings", issues["info"]))
    lines.append(f"  {haquang_command('sql', _ISSUES_QUERY, warehouse=warehouse, program=PROGRAM)}")
    if cut:
        lines += lines_in_both("oncall.status.every_name",
                               command=haquang_command("status", "--all", warehouse=warehouse, program=PROGRAM))
    return "\n".join(lines)


# What asks for action first: errors (not loaded), then warnings (loaded; look), then info (nothing to do).
_ISSUES_QUERY = ('"select severity, check_name, source_file, source_row, message from dq_issues order by '
                 "case severity when 'error' then 0 when 'warning' then 1 else 2 end, check_name, source_file, "
                 'source_row"')


def _first(items: list, show_all: bool) -> tuple[list, int]:
    return (items, 0) if show_all else (items[:SHOWN], max(0, len(items) - SHOWN))


def _more(lines: list[str], more: int, message_id: str, indent: str) -> bool:
    if more:
        lines.append(f"{indent}{beside(message_id, count=more)}")
    return bool(more)


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:  # DuckDB hands timestamps without a zone as UTC
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat()


def _local(moment: dt.datetime) -> dt.datetime:
    return local(moment)  # the district's clock, as every time a person reads (flows/core/reader_format.py)


def _rows_in_both(rows: dict) -> list[str]:
    return rows_in_both(rows["loaded"], rows["rejected"], rows.get("figures_unread", 0))


def _seconds(delta: dt.timedelta) -> int:
    return int(delta.total_seconds())
