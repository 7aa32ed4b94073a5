"""What is in raw/ tonight: every entry's content hash, size and modification time."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from flows.ingest.guard import MAX_FILE_BYTES
from flows.ingest.paths import district_of, source_name
from flows.ingest.raw_files import LinkOutsideFolder, discover_files, open_regular


@dataclass(frozen=True)
class SeenFile:
    path: Path
    source_file: str  # relative to the raw folder, forward slashes
    source_district: str | None
    sha256: str | None  # None when the file could not be read (see problem)
    size_bytes: int
    modified_at: dt.datetime | None
    problem: str | None = None  # why it could not be fingerprinted; it is then read by the next run
    # the reader's sandbox failed on this very content last run (reader_crashed, reader_limit_exceeded):
    # failing again, it is rejected rather than left pending for every night
    reader_failed_before: bool = False


def fingerprint(path: Path, raw_dir: Path) -> SeenFile:
    """Hash one file in blocks (a large file costs no memory); an unreadable one says why."""
    relative = path.relative_to(raw_dir)
    name, _ = source_name(relative)
    try:
        # a link may lead only into the folder that holds it (flows/ingest/raw_files.py)
        with open_regular(path, confined_to=path.parent) as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > MAX_FILE_BYTES:
                # Rejected for its size without being read: hashing a 1 TB sparse file would take an
                # hour every night. Its size and time stand for its content, to notice a change.
                digest = hashlib.sha256(f"not read: {info.st_size} bytes, {info.st_mtime_ns}".encode()).hexdigest()
            else:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except LinkOutsideFolder:
        # Not read, and not left pending either: the reading rejects it. Where it points stands for its
        # content, so it is judged once, and again only when it is pointed elsewhere.
        digest = hashlib.sha256(f"a link to {_link_text(path)}".encode("utf-8", "surrogateescape")).hexdigest()
        return SeenFile(path, name, district_of(relative), digest, 0, None)
    except OSError as exc:
        return SeenFile(path, name, district_of(relative), None, 0, None, problem=str(exc.strerror or exc))
    return SeenFile(path, name, district_of(relative), digest, info.st_size,
                    dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc))


def _link_text(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:  # a folder above it is the link, or it changed meanwhile
        return os.path.realpath(path)


def fingerprint_files(raw_dir: Path) -> list[SeenFile]:
    """Content hash, size and modification time of every file under raw_dir."""
    return _distinct_names([fingerprint(path, raw_dir) for path in discover_files(raw_dir)])


def _distinct_names(seen: list[SeenFile]) -> list[SeenFile]:
    """Two entries whose names are stored alike (a name that is not UTF-8, shown with escapes, can
    read like another's) would be one file to the warehouse. The first keeps the name; each other
    is left unread with a problem that says so, under a name of its own."""
    taken: set[str] = set()
    distinct = []
    for file in seen:
        if file.source_file in taken:
            name = f"{file.source_file} (another entry {len(distinct) + 1})"
            file = replace(file, source_file=name, sha256=None, problem="its name, shown with escapes for the "
                           "bytes that are not UTF-8, is the same as another file's; rename it")
        taken.add(file.source_file)
        distinct.append(file)
    return distinct
