"""`haquang`: load the warehouse, query it read-only, and look after the nightly load.

    haquang load [--raw DIR] [--warehouse FILE] [--outputs DIR] [--full] [--wait SECONDS] [--workers N]
                 [--task-runner KIND] [--dask-address ADDRESS] [--batch-size N]
    haquang sql [--warehouse FILE] [--csv] [--limit N] [--max-width N] "QUERY"
    haquang status [--warehouse FILE] [--all | --json]
    haquang withdraw FILE [--warehouse FILE] [--outputs DIR] [--wait SECONDS] [--yes | --dry-run]
    haquang serve [--raw DIR] [--warehouse FILE] [--outputs DIR] [--port PORT] [--api-url URL]
    haquang docs [--warehouse FILE] [--out DIR]
    haquang dashboard [--warehouse FILE] [--outputs DIR]
    haquang recover [--warehouse FILE] [--outputs DIR] [--wait SECONDS]

--outputs DIR: where exports/, dashboard/ and docs/ go (default: the folder they were last written to,
remembered beside the warehouse; at first the warehouse's folder).

Every command that prints ends quietly, with its own exit status, when its reader closes the pipe
(`haquang load | head -1`).

Exit status: 0 success (warnings allowed), 1 something was rejected or failed (for a load: an error
found by it or still open in the warehouse), 2 bad usage (`haquang withdraw` without --yes or
--dry-run: it says what it would change, and changes nothing; `withdraw` or `feedback` given a name
that is no file the warehouse knows).
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import sys
from pathlib import Path

# Light imports only: `haquang sql` must start in well under half a second, so Prefect, pandas and
# pandera are imported inside the commands that use them.
from flows.cli_format import (DEFAULT_LIMIT, DEFAULT_MAX_WIDTH, csv_cell, format_table, single_precision_marked,
                              show_name, stdout_closed_quietly)
from flows.core.findings import exception_reason
from flows.warehouse.commands import haquang_command
from flows.orchestration.defaults import (DEFAULT_BATCH_SIZE, DEFAULT_LOCK_WAIT_SECONDS, DEFAULT_RAW_DIR,
                                          DEFAULT_SERVE_PORT, DEFAULT_WAREHOUSE)

# This machine has no internet: keep Prefect from phoning home. Prefect's own loggers (client,
# events, runner, server) say only what went wrong; the flow's and its tasks' loggers say at INFO
# what each run read, rejected and published, and how long each step took: those lines are the
# run's logs in the Prefect UI (`prefect flow-run logs ID`) and the output of a served process
# (journalctl for the systemd unit). The logger names are Prefect's (its logging.yml); the
# variable names are its override rule: PREFECT_LOGGING_ + the key's path, non-alphanumerics as _.
_QUIET_PREFECT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
}
# A load run by hand answers on the terminal itself: its summary, or one line saying what failed
# and what was still published. Prefect's console copy of the same (the run's INFO lines, a task's
# traceback for a full disk) would bury that line; the run's logs still reach the Prefect API and UI.
_QUIET_CONSOLE = {"PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL"}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "load":
        return _load(args)
    if args.command == "status":
        return _status(args.warehouse, args.all, args.json)
    if args.command == "withdraw":
        return _withdraw(args.warehouse, args.file, args.wait, args.outputs, args.yes, args.dry_run)
    if args.command == "serve":
        return _serve(args)
    if args.command == "docs":
        return _docs(args.warehouse, args.out)
    if args.command == "dashboard":
        return _dashboard(args.warehouse, args.outputs)
    if args.command == "recover":
        return _recover(args.warehouse, args.wait, args.outputs)
    if args.command == "feedback":
        return _feedback(args.warehouse, args.file, args.raw, args.out, args.outputs)
    return _sql(args.warehouse, args.query, args.csv, args.limit, args.max_width)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="haquang", description="Hà Quảng district indicator warehouse")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load raw/ workbooks into the warehouse (Prefect flow)")
    load.add_argument("--raw", type=Path, default=DEFAULT_RAW_DIR, help="folder of incoming workbooks (raw/)")
    load.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to publish")
    _outputs_option(load)
    load.add_argument("--full", action="store_true", help="read every file again, changed or not")
    load.add_argument("--wait", type=float, default=DEFAULT_LOCK_WAIT_SECONDS, metavar="SECONDS",
                      help="how long to wait for another load to finish (default %(default)s)")
    load.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="parallel workers (default: cores)")
    load.add_argument("--task-runner", choices=["auto", "threads", "processes", "dask"], default="auto",
                      help="auto (default: processes for a raw folder of many files, else threads), threads, "
                           "processes, or dask (a local Dask cluster of --workers processes)")
    load.add_argument("--dask-address", metavar="ADDRESS",
                      help="run the parsing on this running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                           "(its workers need this package installed and the raw folder at the same path)")
    load.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                      help="workbooks per extraction task (default %(default)s)")
    sql = commands.add_parser("sql", help="run one read-only SQL query against the warehouse")
    sql.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to query")
    sql.add_argument("--csv", action="store_true",
                     help="print CSV instead of a table: every row (unless --limit), numbers in full, text uncut")
    sql.add_argument("--limit", type=_count, default=None, metavar="N",
                     help=f"rows to print, 0 for all (default: {DEFAULT_LIMIT} for a table, all for --csv); "
                          "the rows left out are counted below the table")
    sql.add_argument("--max-width", type=_count, default=DEFAULT_MAX_WIDTH, metavar="N",
                     help="display width at which a table's cell is cut with an ellipsis, 0 for none "
                          "(default %(default)s)")
    sql.add_argument("query", help="the SQL query, in quotes")
    status = commands.add_parser("status", help="what the last load did and how old the published data is")
    status.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to read")
    shape = status.add_mutually_exclusive_group()
    shape.add_argument("--all", action="store_true", help="list every file and error (default: the first ten of each)")
    shape.add_argument("--json", action="store_true",
                       help="the same facts as JSON for monitoring, every list whole (shape: flows/publish/status.py)")
    withdraw = commands.add_parser("withdraw", help="take a workbook's figures out of the current warehouse")
    withdraw.add_argument("file", help="the workbook as source_file shows it, e.g. ha_quang/chi_tieu.xlsx")
    withdraw.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to change")
    _outputs_option(withdraw)
    withdraw.add_argument("--wait", type=float, default=DEFAULT_LOCK_WAIT_SECONDS, metavar="SECONDS",
                          help="how long to wait for a running load (default %(default)s)")
    confirm = withdraw.add_mutually_exclusive_group()
    confirm.add_argument("--yes", action="store_true",
                         help="withdraw it (without --yes it only says what would change, and exits 2)")
    confirm.add_argument("--dry-run", action="store_true",
                         help="say what would change (current rows, merged-unit figures) and change nothing")
    serve = commands.add_parser("serve", help="start a local Prefect server and serve the nightly deployment")
    serve.add_argument("--raw", type=Path, default=DEFAULT_RAW_DIR, help="folder of incoming workbooks")
    serve.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to publish")
    _outputs_option(serve)
    serve.add_argument("--port", type=int, default=DEFAULT_SERVE_PORT,
                       help="port of the local Prefect server (127.0.0.1)")
    serve.add_argument("--api-url", help="use this existing Prefect server instead of starting one")
    docs = commands.add_parser("docs", help="write the data dictionary (Markdown and HTML) from the warehouse")
    docs.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to describe")
    docs.add_argument("--out", type=Path, default=None, help="folder for the pages (default: warehouse/docs)")
    dashboard = commands.add_parser("dashboard", help="write the exports and the dashboard page")
    dashboard.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="published DuckDB file")
    _outputs_option(dashboard)
    recover = commands.add_parser("recover", help="put back the previous complete warehouse after the published "
                                  "file was damaged (or set it aside, so that the next load rebuilds it)")
    recover.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="the damaged DuckDB file")
    _outputs_option(recover)
    recover.add_argument("--wait", type=float, default=DEFAULT_LOCK_WAIT_SECONDS, metavar="SECONDS",
                         help="how long to wait for a running load (default %(default)s)")
    feedback = commands.add_parser("feedback", help="write the clerk's feedback workbook of one file: its cells "
                                   "with a finding marked and commented, and a first sheet listing the findings")
    feedback.add_argument("file", help="the workbook as source_file shows it, e.g. ha_quang/chi_tieu.xlsx")
    feedback.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="published DuckDB file")
    feedback.add_argument("--raw", type=Path, default=None,
                          help="folder of incoming workbooks (default: the one the published load read)")
    feedback.add_argument("--out", type=Path, default=None,
                          help="file to write (default: feedback/<file> in the outputs folder)")
    _outputs_option(feedback)
    return parser


def _outputs_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--outputs", type=Path, default=None, metavar="DIR",
                         help="folder for exports/, dashboard/ and docs/ (default: the folder they were last "
                              "written to, at first the warehouse's)")


def _count(text: str) -> int:
    """--limit and --max-width: a whole number, 0 meaning no bound (argparse makes a bad one exit 2)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no bound) or more: {text}")
    return number


def _quiet_prefect() -> None:
    """Defaults for every Prefect process a command starts; a value already set wins."""
    from flows.orchestration.runners import PATIENT_PREFECT  # a temporary API server may start slowly here

    for name, value in {**_QUIET_PREFECT, **PATIENT_PREFECT}.items():
        os.environ.setdefault(name, value)


def _unreadable(command: str, warehouse: Path, check_damage: bool = True) -> int | None:
    """The check before any command reads a warehouse: None when it can go on, else the exit status.

    Says, in one line, that there is no warehouse yet (2: bad usage) or that the file is damaged
    or held by another process, with what to do about it (1). `haquang sql` makes the damage check
    on its own query's connection instead (check_damage=False), to start faster.
    """
    from flows.warehouse.damage_checks import WarehouseInUse, damage
    from flows.warehouse.query_sandbox import WarehouseUnreadable

    if not warehouse.exists():
        print(f"haquang {command}: no warehouse at {show_name(str(warehouse))}; run "
              f"`{haquang_command('load', warehouse=warehouse)}` first", file=sys.stderr)
        return 2
    if not check_damage:
        return None
    # A truncated warehouse still opens and answers every query that misses its lost blocks; the
    # load's own check of the file says whether it is whole.
    try:
        reason = damage(warehouse)
    except WarehouseInUse as exc:
        reason = exc.reason  # WarehouseUnreadable says "in use by another process", not "damaged"
    if reason is not None:
        print(f"haquang {command}: {WarehouseUnreadable(warehouse, reason)}", file=sys.stderr)
        return 1
    return None


def _prefect_home_problem(exc: OSError) -> str:
    """One line for a start that failed on the file system: most often PREFECT_HOME, which the loader's
    Prefect server writes its logs and database under."""
    home = os.environ.get("PREFECT_HOME") or "~/.prefect"
    return (f"Prefect could not start: {exception_reason(exc)}; PREFECT_HOME ({show_name(home)}) must be a folder "
            "this user may create and write (set PREFECT_HOME to one), and then run the load again")


def _load(args: argparse.Namespace) -> int:
    raw_dir, warehouse = args.raw, args.warehouse
    if not raw_dir.is_dir():
        print(f"haquang load: raw folder {raw_dir} does not exist", file=sys.stderr)
        return 2
    if args.workers < 1 or args.batch_size < 1:
        print("haquang load: --workers and --batch-size must be at least 1", file=sys.stderr)
        return 2
    _quiet_prefect()
    for name, value in _QUIET_CONSOLE.items():
        os.environ.setdefault(name, value)
    # SIGTERM (a service stop, a timeout) unwinds like Ctrl-C: the half-built copy is discarded and
    # the temporary Prefect server is stopped instead of being orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from flows.orchestration.runners import (PrefectApiUnavailable, api_for_worker_processes, chosen_task_runner,
                                             prefect_api_for_load, task_runner)

    try:
        # The API is chosen (a temporary server started, before Prefect itself is imported) before
        # the heavy imports, so that the server's start-up, about 3 s of one core, overlaps them.
        api = prefect_api_for_load()
        from flows.orchestration.load_flow import load_warehouse, summary_markdown, summary_of  # Prefect reads its settings
        from flows.orchestration.progress import terminal_progress
        from flows.orchestration.publishing import ExportsNotWritten
        from flows.warehouse.lock import WarehouseBusy
        from flows.warehouse.damage_checks import DamagedWarehouse

        api.wait_until_ready()
    except PrefectApiUnavailable as exc:
        print(f"haquang load: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # Prefect's home (logs, database, settings) cannot be made or written
        print(f"haquang load: {_prefect_home_problem(exc)}", file=sys.stderr)
        return 1
    runner = chosen_task_runner(args.task_runner, raw_dir, args.workers, args.dask_address)
    flow = load_warehouse.with_options(task_runner=task_runner(runner, args.workers, args.dask_address))
    try:
        # Progress on stderr when it is a terminal; stdout keeps only the summary.
        with api_for_worker_processes(runner, args.dask_address), terminal_progress(sys.stderr):
            # the state, not the result: a night with open errors ends its run Failed, and is still published
            summary = summary_of(flow(raw_dir=raw_dir, warehouse=warehouse, full_reload=args.full,
                                      lock_wait_seconds=args.wait, batch_size=args.batch_size,
                                      outputs_dir=args.outputs, return_state=True))
    except (WarehouseBusy, DamagedWarehouse) as exc:
        print(f"haquang load: {exc}", file=sys.stderr)
        return 1
    except ExportsNotWritten as exc:  # the warehouse was published; only its exports are behind
        with stdout_closed_quietly():
            print(summary_markdown(exc.summary))
        print(f"haquang load: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the flow failed before publishing: the published warehouse is unchanged
        print(f"haquang load: the load failed ({type(exc).__name__}: {exc}); the published warehouse is the "
              "last complete one", file=sys.stderr)
        return 1
    # `haquang load | head -1`: the load is done whatever the reader took; exit with its own status.
    with stdout_closed_quietly():
        print(summary_markdown(summary))
    return summary.exit_code


def _status(warehouse: Path, show_all: bool, as_json: bool) -> int:
    from flows.publish.status import status_facts, status_json, status_report
    from flows.warehouse.query_sandbox import WarehouseUnreadable

    if (refused := _unreadable("status", warehouse)) is not None:
        return refused
    try:
        facts = status_facts(warehouse)
    except WarehouseUnreadable as exc:
        print(f"haquang status: {exc}", file=sys.stderr)
        return 1
    report = status_json(warehouse, facts=facts) if as_json else status_report(warehouse, show_all=show_all,
                                                                                facts=facts)
    with stdout_closed_quietly():
        print(report)
    return facts["exit_status"]  # 1 while an error is open, as every load exits: monitoring reads either


def _withdraw(warehouse: Path, source_file: str, wait: float, outputs: Path | None, yes: bool = False,
              dry_run: bool = False) -> int:
    """Say what withdrawing the file changes; withdraw it only with --yes. Without --yes or --dry-run,
    exit 2 (bad usage: the confirmation is missing) having changed nothing."""
    from flows.core.messages import in_both
    from flows.orchestration.publishing import ExportsNotWritten
    from flows.orchestration.withdraw import AlreadyWithdrawn, UnknownFile, withdraw_file
    from flows.publish.outputs import outputs_root
    from flows.warehouse.commands import PROGRAM, withdraw_command
    from flows.warehouse.lock import WarehouseBusy
    from flows.warehouse.model_tests import ModelTestFailed
    from flows.warehouse.damage_checks import DamagedWarehouse

    if (refused := _unreadable("withdraw", warehouse)) is not None:
        return refused
    exports_error = None
    try:
        done = withdraw_file(warehouse, source_file.removeprefix("raw/"), wait, outputs, apply=yes)
    except UnknownFile as exc:  # a name the warehouse does not know is bad usage: nothing was changed
        print("\n".join(exc.lines), file=sys.stderr)
        return 2
    except AlreadyWithdrawn as exc:  # what was asked is already so
        with stdout_closed_quietly():
            print("\n".join(exc.lines()))
        return 0
    except (WarehouseBusy, DamagedWarehouse) as exc:
        print(f"haquang withdraw: {show_name(str(exc))}", file=sys.stderr)
        return 1
    except ModelTestFailed as exc:  # raised before publishing: the published warehouse is unchanged
        print(f"haquang withdraw: the withdrawal failed ({show_name(str(exc))}); the published warehouse is the "
              "last complete one", file=sys.stderr)
        return 1
    except ExportsNotWritten as exc:  # the withdrawal was published; only its exports are behind
        done, exports_error = exc.summary, exc
    if not yes:
        command = withdraw_command(done.source_file, warehouse, outputs_root(warehouse, outputs), program=PROGRAM)
        with stdout_closed_quietly():
            print("\n".join(done.preview.lines()))
            print("\n".join(in_both("oncall.withdraw.dry_run") if dry_run else
                            in_both("oncall.withdraw.confirm", command=f"{command} --yes")))
        return 0 if dry_run else 2
    with stdout_closed_quietly():
        if done.preview is not None:
            print("\n".join(done.preview.lines()))
        print("\n".join(done.lines()))
    if exports_error is not None:
        print(f"haquang withdraw: {exports_error}", file=sys.stderr)
        return 1
    return 0


def _docs(warehouse: Path, out: Path | None) -> int:
    from flows.publish.docs import write_docs
    from flows.publish.outputs import docs_dir

    if (refused := _unreadable("docs", warehouse)) is not None:
        return refused
    markdown, page = write_docs(warehouse, out or docs_dir(warehouse))
    with stdout_closed_quietly():
        print(f"Data dictionary: {markdown.resolve()} and {page.resolve()}")
    return 0


def _dashboard(warehouse: Path, outputs: Path | None) -> int:
    from flows.publish.outputs import write_outputs
    from flows.warehouse.lock import WarehouseBusy, writer_lock

    if (refused := _unreadable("dashboard", warehouse)) is not None:
        return refused
    try:
        # As a load does: a load publishing meanwhile would otherwise find its exports overwritten
        # by those of the version it replaced.
        with writer_lock(warehouse, DEFAULT_LOCK_WAIT_SECONDS):
            page = write_outputs(warehouse, outputs=outputs)
    except WarehouseBusy as exc:
        print(f"haquang dashboard: {exc}", file=sys.stderr)
        return 1
    with stdout_closed_quietly():
        print(f"Dashboard: file://{page.resolve()} (open it in a browser)")
    return 0


def _feedback(warehouse: Path, source_file: str, raw: Path | None, out: Path | None, outputs: Path | None) -> int:
    """Exit 0 with the workbook written, or when the file has no open finding; 2 (bad usage) for a name
    the warehouse does not know, with the names it knows that are close to it."""
    from flows.core.messages import say
    from flows.publish.feedback import write_one_feedback
    from flows.publish.outputs import feedback_file

    if (refused := _unreadable("feedback", warehouse)) is not None:
        return refused
    outcome, written, close = write_one_feedback(warehouse, source_file,
                                                 out or feedback_file(warehouse, source_file, outputs), raw)
    with stdout_closed_quietly():
        said = {"written": "feedback.cli.written", "clean": "feedback.cli.clean", "unknown": "feedback.cli.unknown"}
        for language in ("vi", "en"):
            print(say(said[outcome], language, file=show_name(source_file), path=show_name(str(written or ""))),
                  file=sys.stdout if outcome != "unknown" else sys.stderr)
            if close:
                print("  " + say("oncall.unknown.close", language, files=", ".join(map(show_name, close))),
                      file=sys.stderr)
    return 2 if outcome == "unknown" else 0


def _recover(warehouse: Path, wait: float, outputs: Path | None) -> int:
    from flows.warehouse.lock import WarehouseBusy
    from flows.orchestration.recover import recover_warehouse

    try:
        recovery = recover_warehouse(warehouse, wait, outputs)
    except WarehouseBusy as exc:
        print(f"haquang recover: {exc}", file=sys.stderr)
        return 1
    with stdout_closed_quietly():
        print(recovery.message)
    return recovery.exit_code


def _serve(args: argparse.Namespace) -> int:
    _quiet_prefect()
    from flows.orchestration.serve import ServerDidNotStart, serve_nightly

    try:
        return serve_nightly(args.raw, args.warehouse, args.port, args.api_url, args.outputs)
    except ServerDidNotStart as exc:
        print(f"haquang serve: {exc}; is port {args.port} free (--port) and the machine not overloaded?",
              file=sys.stderr)
        return 1


CSV_BOM = "\ufeff"


def _sql(warehouse: Path, query: str, as_csv: bool, limit: int | None, max_width: int) -> int:
    import duckdb

    from flows.warehouse.query_sandbox import QueryRefused, WarehouseUnreadable
    from flows.warehouse.query_sandbox import query as run_query

    if (refused := _unreadable("sql", warehouse, check_damage=False)) is not None:
        return refused
    if limit is None:
        limit = 0 if as_csv else DEFAULT_LIMIT  # CSV feeds other programs: all of it unless asked
    try:
        columns, rows, left_out, types = run_query(warehouse, query, limit or None)
        rows = single_precision_marked(types, rows)
    except QueryRefused as exc:
        print(f"haquang sql: refused: {exc}", file=sys.stderr)
        return 2
    except WarehouseUnreadable as exc:
        print(f"haquang sql: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        # DuckDB's first paragraph on one line ("Parser Error: syntax error at or near ..., Candidate
        # bindings: ..."), then its drawing of where in the query, as it gives it: "LINE 1: select nope"
        # and the carets under the place (each line escaped: the query is the user's text).
        reason, _, where = str(exc).partition("\n\n")
        print(f"haquang sql: {show_name(' '.join(reason.splitlines()))}", file=sys.stderr)
        for line in where.splitlines() if where.lstrip().startswith("LINE ") else ():
            print(f"  {show_name(line)}", file=sys.stderr)
        return 2
    with stdout_closed_quietly():  # `haquang sql ... | head -1`: exit 0, no traceback
        if as_csv:
            # UTF-8 with a byte-order mark, as the exports are: Excel on Windows then reads Vietnamese right
            sys.stdout.write(CSV_BOM)
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([csv_cell(v) for v in row] for row in rows)
            if left_out:  # on stderr: the CSV itself stays data only
                print(f"haquang sql: {left_out} more row{'s' if left_out != 1 else ''} not written; --limit 0 for "
                      "all", file=sys.stderr)
        else:
            print(format_table(columns, rows, left_out, max_width))
    return 0


if __name__ == "__main__":
    sys.exit(main())
