"""Run one heavy step of a load in a fresh Python process of its own, and hand back its outcome.

The load process holds Prefect, pandas, pandera and what the parsing left in its heap (about
300 MB at 10,000 workbooks); building the models or writing the exports fills DuckDB's buffers up
to their limit (256 MB) on top. Run apart, in a process that imports only what the step needs
(duckdb: about 40 MB), the two are never added up in one process.

The step's process imports from the load's own import path (passed to it, in isolated mode):
started from another checkout's folder, it must not build the models with that checkout's SQL.
It reads a pickled (module, function, arguments) from a file and writes the pickled (True,
result) or (False, exception) to another. Files, not the standard streams: the step's own output
and log lines go to the load's console as they come.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class OwnProcessFailed(RuntimeError):
    """The process of a step ended without an outcome (killed, or out of memory in the system)."""


def in_own_process(function: Callable[..., T], *args) -> T:
    """function(*args) in a process of its own: its result, or its exception raised here."""
    with tempfile.TemporaryDirectory(prefix="haquang-step-") as folder:
        call, outcome = Path(folder) / "call.pickle", Path(folder) / "outcome.pickle"
        call.write_bytes(pickle.dumps((function.__module__, function.__qualname__, args)))
        # Ends with the load: a load killed by the system must not leave its models being built beside the next.
        ended = subprocess.run([sys.executable, "-I", "-c", _START, json.dumps(sys.path), str(call), str(outcome)],
                               check=False, preexec_fn=end_with_this_process())
        if not outcome.exists():
            raise OwnProcessFailed(f"{function.__qualname__} stopped in its own process (exit status "
                                   f"{ended.returncode}) before it finished")
        succeeded, value = pickle.loads(outcome.read_bytes())
    if succeeded:
        return value
    raise value


def end_with_this_process() -> Callable[[], None] | None:
    """A preexec function that makes the child receive SIGTERM when this process dies.

    Linux's PR_SET_PDEATHSIG fires even when this process is SIGKILLed, which no atexit or
    signal handler survives. It is tied to the thread that starts the child, which must outlive
    it: start servers from the main thread (a step's process is waited for by the thread that
    started it). prctl is looked up here, before the fork, so that the child runs
    nothing but two system calls before exec. Elsewhere there is no equivalent: None.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect: nobody will signal us
            os._exit(1)

    return die_with_parent


# -I: neither the working folder nor PYTHONPATH comes first; the load's import path does.
_START = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); from pathlib import Path; "
          f"from {__name__} import _run; _run(Path(sys.argv[2]), Path(sys.argv[3]))")


def _run(call: Path, outcome: Path) -> None:
    module, name, args = pickle.loads(call.read_bytes())
    try:
        result = (True, getattr(importlib.import_module(module), name)(*args))
    except BaseException as exc:  # noqa: BLE001 (every failure goes back to the load, as it would in process)
        result = (False, exc)
    try:
        written = pickle.dumps(result)
        pickle.loads(written)  # an exception whose class cannot be rebuilt from its args fails here, not there
    except Exception as exc:  # what cannot travel goes back as its text
        written = pickle.dumps((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]} ({exc})")))
    finishing = outcome.with_suffix(".part")  # whole or absent: a process killed while writing leaves none
    finishing.write_bytes(written)
    finishing.replace(outcome)
