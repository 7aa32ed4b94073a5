"""What changed since the last load: tonight's fingerprints against the warehouse's file history.

A file is re-read only when its content hash or the parser that read it changed, so a night
with nothing new costs little more than hashing the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import duckdb

from flows.ingest.fingerprint import SeenFile
from flows.warehouse.connection import connect

_PROJECT = Path(__file__).resolve().parents[2]
# What decides how a workbook becomes rows: the stages up to mapping, and the catalogues. The
# warehouse, publishing, orchestration and the CLI do not: editing them re-reads nothing.
RULES = ("flows/core", "flows/ingest", "flows/parse", "flows/quality", "flows/mapping")
CATALOGUES = ("*.py", "*.csv", "*.toml")  # in schemas/ (not schemas/reference/: facts the marts join)
PARSED = ("loaded", "rejected")  # events where the file's content was decided on
# Events after which the file is expected in raw/. A pending file (it could not be read: it
# vanished, was still being copied, a disk or the loader failed) is read again by the next run.
PRESENT = ("loaded", "rejected", "restored", "pending")


READER_FAULTS = ("reader_crashed", "reader_limit_exceeded")


@dataclass(frozen=True)
class FileState:
    last_action: str
    parsed_sha256: str | None
    parser_version: str | None
    reader_fault_sha256: str | None = None  # the content the reader's sandbox failed on, when that was the last event
    had_figures: bool = True  # some version of it loaded rows: gone from the raw folder, they stay published


@dataclass
class LoadPlan:
    to_parse: list[SeenFile] = field(default_factory=list)
    unreadable: list[SeenFile] = field(default_factory=list)  # could not be fingerprinted: pending
    skipped: list[SeenFile] = field(default_factory=list)
    restored: list[SeenFile] = field(default_factory=list)
    still_withdrawn: list[SeenFile] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # entries of raw/ that are not read (flows/ingest/raw_files.py ignored_entries), not named by an earlier run
    ignored: list[tuple[Path, str]] = field(default_factory=list)
    # entries named as not read by an earlier run, and files that never brought a figure (rejected,
    # pending), that are no longer there: a `gone` event closes their findings
    ignored_gone: list[str] = field(default_factory=list)


@cache
def parser_version() -> str:
    """A hash of the code and catalogues that turn a workbook into rows (RULES, CATALOGUES).

    When it changes (a new release, an edited catalogue) every file is read again, so the
    warehouse never mixes rows parsed by two versions of the rules.
    """
    return rules_digest(_PROJECT)


def rules_digest(project: Path) -> str:
    paths = [path for folder in RULES for path in (project / folder).rglob("*.py")]
    paths += [path for pattern in CATALOGUES for path in (project / "schemas").glob(pattern)]
    return _digest(project, paths)


# What a version of the warehouse is built from beside the rows read: the SQL models, every catalogue
# and reference file, and the code (the loader's, the checks' registry, the build's, the publishing's).
# A night with nothing new to read, whose published version was built from these very inputs, builds
# no version at all (flows/orchestration/quiet_night.py).
BUILD_INPUTS = ("sql", "schemas", "flows")
BUILD_INPUT_FILES = ("*.sql", "*.py", "*.csv", "*.toml")


@cache
def build_inputs_digest() -> str:
    paths = [path for folder in BUILD_INPUTS for pattern in BUILD_INPUT_FILES
             for path in (_PROJECT / folder).rglob(pattern)]
    return _digest(_PROJECT, paths)


def _digest(project: Path, paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(project).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read_file_state(warehouse: Path) -> dict[str, FileState]:
    """Each known file's latest event and the content last read, from the published warehouse."""
    if not warehouse.exists():
        return {}
    try:
        with connect(warehouse, read_only=True) as con:  # the landing tables in main or landing
            rows = con.execute("""
                with faults as (
                    select distinct load_id, source_file from landing_dq_findings where check_name in ?
                )
                select
                    files.source_file,
                    arg_max(files.action, files.load_id),
                    arg_max(files.sha256, files.load_id) filter (where files.action in ?),
                    arg_max(runs.parser_version, files.load_id) filter (where files.action in ?),
                    arg_max(case when faults.load_id is not null then files.sha256 end, files.load_id),
                    coalesce(bool_or(files.action = 'loaded' and files.rows_loaded > 0), false)
                from landing_load_files as files
                inner join landing_load_runs as runs using (load_id)
                left join faults using (load_id, source_file)
                group by files.source_file
            """, [list(READER_FAULTS), list(PARSED), list(PARSED)]).fetchall()
    except duckdb.Error:  # a warehouse written before file events existed: read everything again
        return {}
    return {name: FileState(action, sha, version, fault, had) for name, action, sha, version, fault, had in rows}


def plan_load(seen: list[SeenFile], previous: dict[str, FileState], version: str, full_reload: bool,
              ignored: list[tuple[Path, str, str]] = ()) -> LoadPlan:
    """Sort the files of tonight into read, skip, restore; list the known files that vanished, and the
    entries not read (path, why, name as stored) that no earlier run named."""
    tonight = {name for _, _, name in ignored}
    plan = LoadPlan(ignored=[(path, kind) for path, kind, name in ignored
                             if name not in previous or previous[name].last_action != "ignored"],
                    ignored_gone=sorted(name for name, state in previous.items()
                                        if state.last_action == "ignored" and name not in tonight))
    for file in seen:
        state = previous.get(file.source_file)
        same_content = state is not None and state.parsed_sha256 == file.sha256
        if file.sha256 is None:
            plan.unreadable.append(file)
        elif same_content and state.last_action == "withdrawn":
            plan.still_withdrawn.append(file)
        elif state is not None and state.last_action == "pending" and state.reader_fault_sha256 == file.sha256:
            plan.to_parse.append(replace(file, reader_failed_before=True))
        elif same_content and state.parser_version == version and not full_reload:
            # back as it was last read, after a night it was gone or could not be read
            (plan.restored if state.last_action in ("missing", "pending") else plan.skipped).append(file)
        else:
            plan.to_parse.append(file)
    present = {file.source_file for file in seen}
    vanished = [name for name, state in previous.items() if state.last_action in PRESENT and name not in present]
    plan.missing = sorted(name for name in vanished if previous[name].had_figures)
    # a file that never brought a figure (rejected, pending) and left: nothing of it stays, its findings close
    plan.ignored_gone = sorted(plan.ignored_gone + [name for name in vanished if not previous[name].had_figures])
    return plan
