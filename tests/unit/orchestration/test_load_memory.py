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
        for _ in range(3):
            left_behind = _in_a_cycle()
            free_staged_batch()
            assert left_behind() is None
    assert gc.get_freeze_count() == 0  # nothing stays frozen for what runs after the parsing


def test_what_was_alive_before_the_batches_and_dropped_meanwhile_is_freed_afterwards(no_automatic_collection):
    held = _Held()
    cycle = {"held": held}
    cycle["self"] = cycle  # alive when the batches start (so frozen), garbage by the time they end
    before = weakref.ref(held)
    del held
    with batches_freed_as_staged() as free_staged_batch:
        del cycle
        free_staged_batch()
    assert before() is None


def test_nothing_stays_frozen_when_a_batch_fails(no_automatic_collection):
    with pytest.raises(RuntimeError):
        with batches_freed_as_staged():
            raise RuntimeError("a batch's staging failed")
    assert gc.get_freeze_count() == 0


def test_a_load_with_nothing_to_read_freezes_nothing(monkeypatch):
    monkeypatch.setattr(gc, "freeze", lambda: pytest.fail("froze with no batch to come"))
    with batches_freed_as_staged(batches_to_come=False) as free_staged_batch:
        free_staged_batch()


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
    def counted(*args):
        with freed_as_staged(*args) as free_staged_batch:
            def free_and_count() -> None:
                free_staged_batch()
                still_alive.append(sum(batch() is not None for batch in staged[:-1]))  # the last: the loop's
            yield free_and_count

    for workbook in list(raw_copy.rglob("*.xlsx")):  # 16 workbooks, four times as many as are ever in flight
        for copy in range(7):
            shutil.copy(workbook, workbook.with_name(f"{workbook.stem}_{copy}.xlsx"))
    monkeypatch.setattr(load_flow, "_extracted_batches", remembered)
    monkeypatch.setattr(load_flow, "batches_freed_as_staged", counted)
    load_flow.run_load(raw_dir=raw_copy, warehouse=tmp_path / "w.duckdb", batch_size=1)
    assert still_alive == [0] * 16  # one batch per workbook, none kept once staged
