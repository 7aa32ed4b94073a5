"""What is in raw/ tonight: every entry's content hash, size and modification time."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from flows.ingest.paths import district_of, source_name
from flows.ingest.raw_files import discover_files, open_regular


@dataclass(frozen=True)
class SeenFile:
    path: Path
    source_file: str  # relative to the raw folder, forward slashes
    source_district: str | None
    sha256: str | None  # None when the file could not be read (see problem)
    size_bytes: int
    modified_at: dt.datetime | None
    problem: str | None = None  # why it could not be fingerprinted; it is then read by the next run


def fingerprint(path: Path, raw_dir: Path) -> SeenFile:
    """Hash one file in blocks (a large file costs no memory); an unreadable one says why."""
    relative = path.relative_to(raw_dir)
    name, _ = source_name(relative)
    try:
        with open_regular(path) as handle:
            info = os.fstat(handle.fileno())
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return SeenFile(path, name, district_of(relative), None, 0, None, problem=str(exc.strerror or exc))
    return SeenFile(path, name, district_of(relative), digest, info.st_size,
                    dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc))


def fingerprint_files(raw_dir: Path) -> list[SeenFile]:
    """Content hash, size and modification time of every file under raw_dir."""
    return [fingerprint(path, raw_dir) for path in discover_files(raw_dir)]
