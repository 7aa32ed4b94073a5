"""The landing zone as a file system: which entries are there, and opening one safely.

Everything under raw/ arrives from outside (a shared folder, a sync job, a clerk's copy), so an
entry may be a link, a pipe, a device, unreadable, or gone by the time it is opened. Each of
these must become a finding on that entry, never an exception that stops the night.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

# Files the operating system leaves in shared folders; never data.
SYSTEM_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db"}


class NotARegularFile(OSError):
    """A pipe, device, socket or link to a folder where a workbook was expected."""


def discover_files(raw_dir: Path) -> list[Path]:
    """Every entry under raw/ that is not a folder, except hidden ones, Excel's "~$" lock files
    and OS thumbnails. Links to folders are listed, not followed (a link to / would walk the
    whole disk, a link to its parent would never end), so that they get a finding."""
    return sorted(_entries(raw_dir))


def ignored_entries(raw_dir: Path) -> list[tuple[Path, str]]:
    """The entries discover_files leaves out, each with why: "hidden" (a name beginning with "."),
    "lock" (a name beginning with "~$", as Excel names its lock files), "system" (thumbs.db,
    desktop.ini), "hidden_folder" (a folder so named: named, not walked; a .git may hold thousands)."""
    ignored = []
    for folder, subfolders, names in os.walk(raw_dir, onerror=lambda _error: None):
        base = Path(folder)
        ignored += [(base / d, "hidden_folder") for d in subfolders if d.startswith((".", "~$"))]
        subfolders[:] = [d for d in subfolders if not d.startswith((".", "~$"))]
        for name in names:
            kind = ("lock" if name.startswith("~$") else "hidden" if name.startswith(".")
                    else "system" if name.lower() in SYSTEM_FILES else None)
            if kind:
                ignored.append((base / name, kind))
    return sorted(ignored)


def holds_at_least(raw_dir: Path, count: int) -> bool:
    """Whether discover_files would list at least `count` entries; stops walking once it has seen them."""
    return sum(1 for _ in islice(_entries(raw_dir), count)) >= count


def _entries(raw_dir: Path) -> Iterator[Path]:
    unlisted: list[Path] = []
    # A folder that cannot be listed is listed itself: opening it fails, and says why.
    for folder, subfolders, names in os.walk(raw_dir, onerror=lambda error: unlisted.append(Path(error.filename))):
        yield from unlisted
        unlisted.clear()
        base = Path(folder)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith((".", "~$")))
        yield from (base / n for n in names if not n.startswith((".", "~$")) and n.lower() not in SYSTEM_FILES)
        yield from (base / d for d in subfolders if (base / d).is_symlink())
    yield from unlisted


class LinkOutsideFolder(OSError):
    """A link whose file lies outside the folder that holds the link."""


def open_regular(path: Path, confined_to: Path | None = None):
    """Open a regular file for reading (following links), or raise OSError.

    Opened without blocking and checked on the open descriptor, so a pipe cannot hang the load
    and an entry swapped for a device after it was listed is still refused. With confined_to, a
    link is followed only to a file in that folder itself: the folder a file sits in says which
    district, commune and month its figures are about, and a link to another folder (another unit's,
    a month's below it, any file on the machine) would load it under the wrong one, or publish what
    was never sent.
    """
    if confined_to is not None:
        target = _inside(path, confined_to)
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(descriptor)
        if confined_to is not None and not os.path.samestat(info, os.stat(target)):
            raise LinkOutsideFolder("a link whose file changed while it was opened")  # swapped meanwhile
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a pipe, device or socket"
            raise NotARegularFile(f"{kind}, not a file")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _inside(path: Path, folder: Path) -> str:
    """The file a path leads to, following every link; LinkOutsideFolder unless it sits in folder itself.

    Not in a folder below it either: raw/<district>/<commune>/<month>/ says whose figures and when, so
    a link from the district's folder to a commune's report would publish the commune's as the district's.
    """
    target = os.path.realpath(path)
    if os.path.dirname(target) != os.path.realpath(folder):
        raise LinkOutsideFolder("a link to a file outside the folder that holds it")
    return target
