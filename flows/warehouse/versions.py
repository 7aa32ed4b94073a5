"""The warehouse's versions on disk: build the next one beside the published one, then swap it in.

Readers keep the previous complete file until `publish` renames the new one over it, so a
failed or killed load never leaves a half-written warehouse behind.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from flows.warehouse.connection import BUILD_THREADS, STAGING_MEMORY_LIMIT, connect
from flows.warehouse.damage_checks import DamagedWarehouse, sound_or_why_not
from flows.warehouse.landing import create_landing_tables


def next_version_path(published: Path) -> Path:
    return published.with_name(published.name + ".next")


def previous_version_path(published: Path) -> Path:
    """The version published before the current one, kept for `haquang recover`."""
    return published.with_name(published.name + ".previous")


def _build_leftovers(published: Path) -> tuple[Path, ...]:
    building = next_version_path(published)
    linking = previous_version_path(published)
    return (building, building.with_name(building.name + ".wal"), linking.with_name(linking.name + ".tmp"))


def open_next_version(published: Path) -> duckdb.DuckDBPyConnection:
    """A writable copy of the published warehouse (or a new one), with the landing tables in place.

    A damaged published file is refused before it is copied (DamagedWarehouse), and a copy that
    fails half-way is removed: a failed load never leaves a `.next` file behind.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    reason = cleared_for_writing(published) if published.exists() else _remove_build_leftovers(published)
    if reason is not None:
        raise DamagedWarehouse(published, reason)
    building = next_version_path(published)
    try:
        if published.exists():
            shutil.copyfile(published, building)
        con = connect(building, threads=BUILD_THREADS, memory_limit=STAGING_MEMORY_LIMIT)
        try:
            create_landing_tables(con)
        except BaseException:
            con.close()
            raise
    except BaseException:
        _remove_build_leftovers(published)
        raise
    return con


def cleared_for_writing(published: Path) -> str | None:
    """What a writer does first, whether or not it builds a version: remove what a build killed mid-way
    left, set aside a log no writer owns (sound_or_why_not); why the published file cannot be built on,
    or None."""
    _remove_build_leftovers(published)
    return sound_or_why_not(published)


def _remove_build_leftovers(published: Path) -> None:
    for leftover in _build_leftovers(published):
        leftover.unlink(missing_ok=True)


def publish(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Make the built version the published one in one atomic rename, keeping the one it replaces."""
    con.execute("checkpoint")
    con.close()
    keep_previous_version(published)
    os.replace(next_version_path(published), published)


def keep_previous_version(published: Path) -> None:
    """Hard-link the published file as `<warehouse>.previous` before a new version replaces it.

    `haquang recover` puts it back when the published file is damaged. A link copies nothing;
    the old version's disk space is held until the next publish. Linked under a temporary name
    and renamed, so `.previous` is always one whole version.
    """
    previous = previous_version_path(published)
    if not published.exists() or (previous.exists() and os.path.samefile(published, previous)):
        return  # nothing to keep, or kept already (after a recovery both names are one file)
    linking = _build_leftovers(published)[2]
    linking.unlink(missing_ok=True)
    try:
        os.link(published, linking)
    except OSError:  # a file system without hard links: a copy costs time but keeps the promise
        shutil.copyfile(published, linking)
    os.replace(linking, previous)  # rename(2) does nothing if both names are one file: hence the check above


def discard(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Drop a build that failed; the published warehouse is untouched."""
    try:
        con.close()
    finally:
        _remove_build_leftovers(published)
