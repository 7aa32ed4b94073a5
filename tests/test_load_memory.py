"""A load's memory stays flat: what a staged batch leaves behind is freed before the next one.

The automatic collector is switched off in these tests, so what is freed is what the load frees
itself; on a real night it seldom ran a full pass and every batch stayed in memory.
"""

from __future__ import annotations

import gc
import shutil
import weakref
from contextlib import contextmanager
from pathlib import Path

import pytest

from flows.orchestration import load_flow
from flows.orchestration.memory import batches_freed_as_staged
from flows.warehouse.staging import ParsedBatch


@pytest.fixture
def no_automatic_collection():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Held:
    """Something a reference cycle keeps alive, like a batch in a Prefect future's state."""


def _in_a_cycle() -> weakref.ref:
    held, cycle = _Held(), {}
    cycle["self"], cycle["held"] = cycle, held
    return weakref.ref(held)


def test_what_each_batch_leaves_in_reference_cycles_is_freed(no_automatic_collection):
    with batches_freed_as_staged() as free_staged_batch:
        for _ in range(3):  # the first call freezes what was alive before; later ones must still free
            left_behind = _in_a_cycle()
            free_staged_batch()
            assert left_behind() is None
    assert gc.get_freeze_count() == 0  # nothing stays frozen for the next load of a served process


def test_nothing_is_frozen_by_a_load_with_nothing_to_read():
    with batches_freed_as_staged():
        pass
    assert gc.get_freeze_count() == 0


def test_a_load_keeps_no_batch_once_it_is_staged(prefect_harness, raw_copy: Path, tmp_path, monkeypatch,
                                                  no_automatic_collection):
    staged: list[weakref.ref] = []
    still_alive: list[int] = []
    extracted_batches, freed_as_staged = load_flow._extracted_batches, load_flow.batches_freed_as_staged

    def remembered(*args):
        for parsed in extracted_batches(*args):
            staged.append(weakref.ref(parsed))
            yield parsed

    @contextmanager
    def counted():
        with freed_as_staged() as free_staged_batch:
            def free_and_count() -> None:
                free_staged_batch()
                still_alive.append(sum(batch() is not None for batch in staged[:-1]))  # the last: the loop's
            yield free_and_count

    for workbook in list(raw_copy.rglob("*.xlsx")):  # 16 workbooks, four times as many as are ever in flight
        for copy in range(7):
            shutil.copy(workbook, workbook.with_name(f"{workbook.stem}_{copy}.xlsx"))
    monkeypatch.setattr(load_flow, "_extracted_batches", remembered)
    monkeypatch.setattr(load_flow, "batches_freed_as_staged", counted)
    load_flow.load_warehouse(raw_dir=raw_copy, warehouse=tmp_path / "w.duckdb", batch_size=1)
    assert len(still_alive) == 16  # one batch per workbook
    # A batch the threads finished a moment ago may still be referenced there; none accumulates.
    assert max(still_alive) <= load_flow.MAX_BATCHES_IN_FLIGHT, still_alive
