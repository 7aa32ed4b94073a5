"""`haquang recover`: put a readable warehouse back after the published file was damaged.

Every publish keeps the version it replaces as `<warehouse>.previous` (a hard link, see
flows/warehouse/versions.py). Recovery puts that version back when it opens cleanly; otherwise it sets
the damaged file aside, and the next load rebuilds the warehouse from raw/. Damaged files are
never deleted: they are renamed `<name>.damaged-<time>` for whoever wants to look at them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flows.orchestration.publishing import ExportsNotWritten, outputs_of_published
from flows.publish.outputs import write_outputs
from flows.warehouse import connection, damage_checks, versions
from flows.warehouse.commands import haquang_command
from flows.warehouse.lock import writer_lock


@dataclass
class Recovery:
    outcome: str  # "healthy" (nothing done), "restored", "set_aside" (the next load rebuilds), "nothing"
    message: str
    exports_error: str | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.exports_error else 0


def recover_warehouse(warehouse: Path, lock_wait_seconds: float, outputs: Path | None = None) -> Recovery:
    """Restore the previous complete version of a damaged warehouse, or set the damaged file aside.

    The restored version's exports go to `outputs` (default: the folder they were last written to), as a
    load's do.
    """
    with writer_lock(warehouse, lock_wait_seconds):  # no load may copy the file while it is swapped
        if warehouse.exists():
            # a stale write-ahead log alone is set aside, not "damage"
            damage = damage_checks.sound_or_why_not(warehouse)
            if damage is None:
                _, load = _last_load(warehouse)
                return Recovery("healthy", f"{warehouse} opens cleanly ({load}); nothing to recover.")
        else:
            damage = "the file is missing"
        previous = versions.previous_version_path(warehouse)
        previous_damage = damage_checks.damage(previous) if previous.exists() else "there is none"
        if previous_damage is None:
            return _restore(warehouse, previous, damage, outputs)
        return _set_aside(warehouse, previous, damage, previous_damage)


def _restore(warehouse: Path, previous: Path, damage: str, outputs: Path | None) -> Recovery:
    """Swap the previous version in, in one rename: readers see the damaged file, then the restored one."""
    linking = previous.with_name(previous.name + ".tmp")
    linking.unlink(missing_ok=True)
    _link_or_copy(previous, linking)  # `.previous` stays, should the restored file be damaged in turn
    aside = _aside_name(warehouse) if warehouse.exists() else None
    if aside is not None:
        _link_or_copy(warehouse, aside)
        _move_wal(warehouse, aside)
    os.replace(linking, warehouse)
    load_id, load = _last_load(warehouse)
    lines = [f"{warehouse} could not be read ({damage}).",
             f"Restored the previous complete version ({previous.name}): {load}."]
    if aside is not None:
        lines.append(f"The damaged file is kept as {aside} for inspection; delete it when done.")
    lines.append(f"Loads after that one are not in the restored warehouse: the next `{_load_command(warehouse)}` "
                 "reads again every workbook that changed in raw/ since then.")
    exports_error = _rewrite_outputs(warehouse, load_id, lines, outputs)
    return Recovery("restored", "\n".join(lines), exports_error)


def _set_aside(warehouse: Path, previous: Path, damage: str, previous_damage: str) -> Recovery:
    """No readable earlier version: move the damaged files out of the way for a rebuild from raw/."""
    if not warehouse.exists():
        return Recovery("nothing", f"There is no warehouse at {warehouse} and no previous version to restore "
                        f"({previous.name}: {previous_damage}); `{_load_command(warehouse)}` builds one from raw/.")
    lines = [f"{warehouse} could not be read ({damage}), and there is no previous complete version to restore "
             f"({previous.name}: {previous_damage})."]
    aside = _aside_name(warehouse)
    os.replace(warehouse, aside)
    _move_wal(warehouse, aside)
    lines.append(f"The damaged file is now {aside}, kept for inspection; delete it when done.")
    if previous.exists():
        previous_aside = _aside_name(previous)
        os.replace(previous, previous_aside)
        lines.append(f"The damaged previous version is now {previous_aside}.")
    lines += [
        f"The next `{_load_command(warehouse)}` rebuilds the warehouse from the workbooks in raw/. The history of "
        "earlier loads is gone: load_runs, file_events and indicator_results_history start again from that load; figures of "
        "workbooks no longer in raw/ are gone; workbooks withdrawn with `haquang withdraw` that are still in raw/ "
        "come back and must be withdrawn again.",
        "Until then the exports and the dashboard show the figures of the last load that wrote them.",
    ]
    return Recovery("set_aside", "\n".join(lines))


def _rewrite_outputs(warehouse: Path, load_id: int | None, lines: list[str], outputs: Path | None) -> str | None:
    """Exports, dashboard and dictionary of the restored version, so that readers see what it holds."""
    try:
        with outputs_of_published(load_id, warehouse=warehouse, outputs=outputs):
            write_outputs(warehouse, outputs=outputs)
    except ExportsNotWritten as exc:
        lines.append(f"Writing the exports of the restored warehouse failed ({exc.reason}); run "
                     f"`{exc.rewrite_command}` (the next load also rewrites them).")
        return exc.reason
    lines.append("The exports, the dashboard page and the data dictionary now show the restored warehouse.")
    return None


def _load_command(warehouse: Path) -> str:
    """The load that rebuilds or catches up this warehouse, as a person pastes it."""
    return haquang_command("load", warehouse=warehouse)


def _aside_name(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate, n = path.with_name(f"{path.name}.damaged-{stamp}"), 1
    while candidate.exists():  # two recoveries in one second keep both files
        n += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return candidate


def _move_wal(path: Path, aside: Path) -> None:
    """A write-ahead log belongs to the damaged file: replayed onto the restored one it would corrupt it."""
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + ".wal"))


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, target)


def _last_load(warehouse: Path) -> tuple[int | None, str]:
    """The id of the warehouse's last load, and the load in words."""
    with connection.connect(warehouse, read_only=True) as con:
        run = con.execute("select load_id, finished_at from landing_load_runs order by load_id desc limit 1").fetchone()
    return (None, "no load yet") if run is None else (run[0], f"load {run[0]}, finished {run[1]:%Y-%m-%d %H:%M}")
