"""A night with nothing new builds no version: no copy of the warehouse, only a record that it looked.

Every version is built beside the published file, from a copy of it, and renamed over it: a copy
whose cost grows with the whole history, and which fails every night on a disk with room for the
published file and its previous version but not one more. When tonight's raw/ holds nothing to read
(no new, changed, pending or unreadable file), nothing went missing or came back, no entry is to be
named, and the published version was built from today's SQL, catalogues and code
(`landing_build_inputs`, written by every version), a new version would be the published one with
one more run row. None is built: the night's summary is the published version's, and the night is
recorded beside it (flows/warehouse/last_night.py), where `haquang status` reads it. `--full` and
any change of code or catalogue build a version as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.warehouse.build import OpenIssues, open_issues
from flows.warehouse.connection import as_published, connect
from flows.warehouse.layers import qualified
from flows.warehouse.versions import cleared_for_writing
from flows.warehouse.state import LoadPlan, build_inputs_digest

RUN_FIELDS = ("load_id", "status")


@dataclass(frozen=True)
class PublishedVersion:
    """What a quiet night reports: the published version's last run and what it holds open."""

    run: dict  # RUN_FIELDS of its last landing_load_runs row
    open: OpenIssues


def nothing_to_do(plan: LoadPlan) -> bool:
    """Whether tonight's plan reads, names or changes nothing (files unchanged or still withdrawn only)."""
    return not (plan.to_parse or plan.unreadable or plan.restored or plan.missing or plan.ignored
                or plan.ignored_gone)


def unchanged_version(warehouse: Path) -> PublishedVersion | None:
    """The published version, when it was built from today's inputs; None when a version must be built
    (none published yet, one written before its inputs were recorded, other code or catalogues)."""
    if not warehouse.exists() or cleared_for_writing(warehouse) is not None:
        return None  # a damaged warehouse: building a version refuses it, and says why
    try:
        with as_published(warehouse) as readable, connect(readable, read_only=True) as con:  # the layers' search path
            # qualified: a version of the older layout (everything in main) has none there, and is moved
            # by building a version (models.move_older_layout) whatever inputs it was built from
            built_from = con.execute(f"select digest from {qualified('landing_build_inputs')}").fetchone()
            if built_from is None or built_from[0] != build_inputs_digest():
                return None
            run = con.execute(f"select {', '.join(RUN_FIELDS)} from landing_load_runs "
                              "order by load_id desc limit 1").fetchone()
            if run is None:
                return None
            return PublishedVersion(dict(zip(RUN_FIELDS, run)), open_issues(con, load_id=None))
    except duckdb.Error:  # not readable as expected: the usual path builds a version, and says what is wrong
        return None
