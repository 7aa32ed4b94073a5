"""Read untrusted workbooks in a bounded process: the guard and the cell reader run in a child
with a memory limit set by this process and a time limit this process enforces.

The guard (flows/ingest/guard.py) predicts what python-calamine will read and what it will cost;
where the two read a file differently the prediction is wrong, and a reader that allocates half a
terabyte aborts whatever process it runs in. Here that process is a sandbox: it may abort, be
killed at its limit or hang, and it costs one workbook, which gets a finding (reader_crashed,
reader_limit_exceeded) while the load goes on with a new sandbox.

A sandbox is long-lived: one child per reading thread reads workbook after workbook (its start,
about 0.3 s of imports, is paid once, not per file) and is replaced when it dies. The child is
started without the loader's heavy imports (pandas, Prefect): only the guard and the reader.
Its answers come back pickled; they are unpickled with only the classes a reading can hold, so a
child whose reader was subverted by a hostile file cannot hand this process anything else.
"""

from __future__ import annotations

import atexit
import datetime as dt
import io
import json
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from flows.ingest.extract import SheetGrid, WorkbookError
from flows.ingest.guard import SheetFacts, UnsafeWorkbook

MEGABYTE = 2**20
# Address space of the child: Python with the reader takes about 150 MB before a file; the largest
# workbook the guard lets through (50 MB, 300,000 cells) reads in well under 1 GB. Overridable for a
# machine that needs it (HAQUANG_READER_MEMORY_MB).
DEFAULT_MEMORY_MB = 2048
# A district workbook reads in well under a second; the guard's limits keep a legitimate one under
# about 10 s on a busy 2-core machine (HAQUANG_READER_SECONDS).
DEFAULT_SECONDS = 60
START_SECONDS = 120  # the child's start, imports included, on a machine as busy as a night can make it
_FRAME = struct.Struct(">Q")


class ReaderFault(Exception):
    """The sandbox died or was stopped on a workbook: check_name is reader_crashed or reader_limit_exceeded."""

    def __init__(self, check_name: str, message: str):
        super().__init__(message)
        self.check_name = check_name


@dataclass(frozen=True)
class ReaderLimits:
    memory_bytes: int
    seconds: float

    @classmethod
    def from_environment(cls) -> "ReaderLimits":
        memory_mb = int(os.environ.get("HAQUANG_READER_MEMORY_MB", DEFAULT_MEMORY_MB))
        return cls(memory_mb * MEGABYTE, float(os.environ.get("HAQUANG_READER_SECONDS", DEFAULT_SECONDS)))


def read_in_sandbox(content: bytes) -> tuple[dict[int, SheetFacts], list[SheetGrid]]:
    """The guard's facts and the reader's grids for a workbook's bytes, read in this thread's sandbox.

    Raises UnsafeWorkbook or WorkbookError as the guard and reader would, and ReaderFault when the
    sandbox crashed, ran out of memory or time on the file.
    """
    sandbox = getattr(_THREAD, "sandbox", None)
    if sandbox is None:
        sandbox = _THREAD.sandbox = Sandbox(ReaderLimits.from_environment())
    return sandbox.read(content)


_THREAD = threading.local()


def guard_and_read(content: bytes) -> tuple[dict[int, SheetFacts], list[SheetGrid]]:
    """What the child does with a workbook: the guard's verdict and facts, then the reader's grids."""
    from flows.ingest.extract import read_workbook
    from flows.ingest.guard import inspect_workbook

    return inspect_workbook(content), read_workbook(content)


class Sandbox:
    """One child process that reads workbooks one after another, replaced when it dies.

    reader names the function the child runs on each workbook's bytes ("module:function"): the
    guard and the reader, unless a test puts a reader that dies in a given way in their place.
    """

    def __init__(self, limits: ReaderLimits, reader: str = f"{__name__}:guard_and_read"):
        self.limits = limits
        self.reader = reader
        self._child: subprocess.Popen | None = None
        self._stderr = None
        atexit.register(self.close)

    def read(self, content: bytes):
        child = self._running_child()
        try:
            _write_frame(child.stdin, content)
            answer = _read_frame(child.stdout.fileno(), time.monotonic() + self.limits.seconds)
        except TimeoutError:
            self._stop()
            raise ReaderFault("reader_limit_exceeded", f"reading the workbook took more than "
                              f"{self.limits.seconds:g} s (the time limit); it was stopped") from None
        except (BrokenPipeError, EOFError, OSError):
            raise self._fault_of_dead_child() from None
        kind, *payload = _restricted_loads(answer)
        if kind == "ok":
            return payload[0], payload[1]
        if kind == "unsafe":
            raise UnsafeWorkbook(*payload)
        if kind == "unreadable":
            raise WorkbookError(payload[0])
        self._stop()  # "memory": the child ran out of its limit in Python and ends
        raise ReaderFault("reader_limit_exceeded", f"reading the workbook needed more than "
                          f"{self.limits.memory_bytes // MEGABYTE} MB of memory (the limit); it was stopped")

    def close(self) -> None:
        self._stop()

    def _running_child(self) -> subprocess.Popen:
        if self._child is not None and self._child.poll() is None:
            return self._child
        self._stop()
        # What the child says on dying (Rust's "memory allocation of N bytes failed") goes to a file
        # read when it dies: a pipe nobody reads could fill and stall it.
        self._stderr = tempfile.TemporaryFile()
        self._child = subprocess.Popen(
            [sys.executable, "-I", "-c", _START, json.dumps(sys.path), str(os.getpid()), self.reader],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, close_fds=True,
            env={**os.environ, "RUST_BACKTRACE": "0"})  # the reader's own words, not a backtrace
        # Set here, by the reading process, before the child is sent a byte of a workbook: no core
        # file for an abort, and the address space the reader may use.
        resource.prlimit(self._child.pid, resource.RLIMIT_CORE, (0, 0))
        resource.prlimit(self._child.pid, resource.RLIMIT_AS, (self.limits.memory_bytes, self.limits.memory_bytes))
        # the time limit is the reading's: the child's start (its imports, slower on a busy machine) is waited
        # for apart, and a child that cannot start is the loader's fault, not a workbook's
        try:
            _read_frame(self._child.stdout.fileno(), time.monotonic() + START_SECONDS)
        except (TimeoutError, EOFError, OSError) as exc:
            said = self._said()
            self._stop()
            raise RuntimeError(f"the reader's sandbox did not start ({type(exc).__name__}"
                               f"{'; ' + _last_line(said) if said else ''})") from None
        return self._child

    def _fault_of_dead_child(self) -> ReaderFault:
        child = self._child
        try:
            status = child.wait(timeout=5) if child is not None else None
        except subprocess.TimeoutExpired:
            status = None
        said = self._said()
        self._stop()
        if "memory allocation" in said or "MemoryError" in said:
            return ReaderFault("reader_limit_exceeded", f"reading the workbook needed more than "
                               f"{self.limits.memory_bytes // MEGABYTE} MB of memory (the limit); the reader was "
                               f"stopped ({_last_line(said)})")
        how = (f"signal {signal.Signals(-status).name}" if status is not None and status < 0
               else f"exit status {status}")
        return ReaderFault("reader_crashed", f"the spreadsheet reader crashed on this workbook "
                           f"({how}{'; ' + _last_line(said) if said else ''})")

    def _said(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read(20_000).decode("utf-8", "replace")

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _last_line(text: str) -> str:
    """The line of what the child said on dying that says why: a failed allocation, a panic, or its last."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    telling = [line for line in lines if "memory allocation" in line or "panicked" in line or "Error" in line]
    return (telling or lines or [""])[-1][:300]


def _write_frame(stream, data: bytes) -> None:
    stream.write(_FRAME.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_frame(fd: int, deadline: float) -> bytes:
    (size,) = _FRAME.unpack(_read_exactly(fd, _FRAME.size, deadline))
    return _read_exactly(fd, size, deadline)


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    chunks, left = [], size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# What an answer may hold: the reader's grids, the guard's facts, and the cell types of a grid.
_ALLOWED = {
    ("flows.ingest.extract", "SheetGrid"): SheetGrid,
    ("flows.ingest.guard", "SheetFacts"): SheetFacts,
    ("datetime", "date"): dt.date,
    ("datetime", "datetime"): dt.datetime,
    ("datetime", "time"): dt.time,
    ("datetime", "timedelta"): dt.timedelta,
    ("datetime", "timezone"): dt.timezone,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(f"the reader's answer holds {module}.{name}, which no reading holds")
        return allowed


def _restricted_loads(data: bytes):
    return _RestrictedUnpickler(io.BytesIO(data)).load()


# The child: -I keeps the working folder and PYTHONPATH out; the reading process's import path is
# passed, so that it reads with this checkout's guard and reader.
_START = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
          f"from {__name__} import _serve; _serve(int(sys.argv[2]), sys.argv[3])")


def _serve(parent: int, reader: str) -> None:
    """The child's loop: a workbook's bytes in, the reading's answer out, until stdin closes."""
    _die_with(parent)
    import importlib

    module, function = reader.split(":")
    read = getattr(importlib.import_module(module), function)

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing the reader prints may corrupt the answers
    _write_frame(sink, b"ready")
    while True:
        header = source.read(_FRAME.size)
        if len(header) < _FRAME.size:
            return
        content = source.read(_FRAME.unpack(header)[0])
        try:
            answer = ("ok", *read(content))
        except UnsafeWorkbook as exc:
            answer = ("unsafe", exc.check_name, str(exc))
        except WorkbookError as exc:
            answer = ("unreadable", str(exc))
        except MemoryError:
            answer = ("memory",)
        _write_frame(sink, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        if answer[0] == "memory":
            return


def _die_with(parent: int) -> None:
    """End this child when the reading process dies (Linux), even by SIGKILL."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)
