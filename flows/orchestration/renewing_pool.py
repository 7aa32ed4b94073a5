"""Worker processes that outlive the death of one of them.

Python's process pool is broken for good once any worker dies (killed by the kernel's OOM killer
or by hand, a crash below Python): every task still running or submitted after fails with
BrokenProcessPool. The night would lose every workbook after the first death, the innocent ones
read again alone included. This runner starts a new pool, with the same workers, for the next
task submitted after a death, so only the tasks that were running when it happened fail, and the
load reads their workbooks again one per task (flows/orchestration/load_flow.py).
"""

from __future__ import annotations

import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from prefect.task_runners import ProcessPoolTaskRunner

# One for every runner of the process, not one per runner: Prefect pickles the runner with the tasks it
# sends to the workers, and a lock cannot be pickled.
_RENEWING = threading.Lock()


class RenewingProcessPoolTaskRunner(ProcessPoolTaskRunner):
    """Prefect's process-pool runner, with a broken pool replaced before the next task is submitted."""

    def _resolve_futures_and_submit(self, *args, **kwargs):
        # Prefect submits from a thread of its own per task; the pool is renewed by the first to see it broken.
        self._renew_if_broken()
        try:
            return super()._resolve_futures_and_submit(*args, **kwargs)
        except BrokenProcessPool:  # it broke between the look and the submit
            self._renew_if_broken()
            return super()._resolve_futures_and_submit(*args, **kwargs)

    def _renew_if_broken(self) -> None:
        with _RENEWING:
            broken = self._executor
            # `_broken` is how CPython's pool records a dead worker (3.8 to 3.13): the one sign there is
            if broken is None or not getattr(broken, "_broken", False):
                return
            self._executor = ProcessPoolExecutor(
                max_workers=broken._max_workers, mp_context=broken._mp_context,
                initializer=broken._initializer, initargs=broken._initargs)
        broken.shutdown(wait=False, cancel_futures=True)
