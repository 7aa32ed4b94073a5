"""One file's fault stays with that file: the rest of its batch and of the night loads, and a
file that could not be read for a reason outside its content is read again by the next run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows.ingest.raw_files import LinkOutsideFolder, open_regular
from tests.conftest import RAW, sql
from tests.fixtures.write_malformed_workbooks import ROWS, table, write_grid

FIGURES = """select source_file, source_row, indicator_code, target_low, target_high, actual_value, reported_pct
             from indicator_results where source_file in (?, ?) order by source_file, source_row"""
RAW_FILES = [p.relative_to(RAW).as_posix() for p in sorted(RAW.glob("*/*.xlsx"))]


def _load(raw: Path, warehouse: Path, **options):
    from flows.orchestration.load_flow import run_load as load_warehouse

    return load_warehouse(raw_dir=raw, warehouse=warehouse, **options)


def _events(warehouse: Path, load_id: int) -> dict[str, str]:
    return dict(sql(warehouse, "select source_file, change from file_events where load_id = ?", [load_id]))


def _small_tables(raw: Path, count: int) -> list[str]:
    """Workbooks of other years than the real tables, so their figures never compete with them."""
    names = []
    for year in range(2001, 2001 + count):
        write_grid(raw / "thong_nong" / f"bang_{year}.xlsx", table(year))
        names.append(f"thong_nong/bang_{year}.xlsx")
    return names


def test_a_file_that_fails_the_loader_costs_only_itself_and_loads_next_run(
        prefect_harness, loaded_warehouse, raw_copy, tmp_path, monkeypatch):
    from flows.parse import workbook

    names = _small_tables(raw_copy, 4)
    victim = names[1]
    read_tables = workbook.read_tables

    def fails_on_the_victim(contexts):  # the batch's tables are read at once, then each workbook's alone
        if any(ctx.source_file == victim for ctx in contexts):
            raise MemoryError("simulated: the machine ran out of memory on this file")
        return read_tables(contexts)

    monkeypatch.setattr(workbook, "read_tables", fails_on_the_victim)
    warehouse = tmp_path / "w.duckdb"
    first = _load(raw_copy, warehouse, batch_size=3)  # the victim shares its batch with two others
    assert first.exit_code == 1 and first.files_pending == [victim]
    events = _events(warehouse, first.load_id)
    assert events.pop(victim) == "pending" and set(events.values()) == {"new"} and len(events) == 5
    assert sql(warehouse, "select check_name, severity, message like '%MemoryError%' from dq_issues "
                          "where source_file = ?", [victim]) == [("processing_failed", "error", True)]
    assert sql(warehouse, FIGURES, RAW_FILES) == sql(loaded_warehouse, FIGURES, RAW_FILES)

    monkeypatch.undo()
    second = _load(raw_copy, warehouse)  # no --full: the pending file is read, the others are not
    assert _events(warehouse, second.load_id) == {victim: "new"}
    assert second.files_skipped == 5 and second.exit_code == 0
    assert sql(warehouse, "select count(*) from dq_issues where severity = 'error'") == [(0,)]


def test_a_batch_whose_worker_died_is_read_again_a_file_at_a_time(prefect_harness, raw_copy, tmp_path, monkeypatch):
    from flows.orchestration import load_flow

    names = _small_tables(raw_copy, 3)
    victim = names[0]
    parse_batch = load_flow.parse_batch

    def worker_dies_with_the_victim(files, raw_dir):
        if any(f.source_file == victim for f in files):  # as if the reader had killed the process
            raise SystemError("simulated: the worker process stopped")
        return parse_batch(files, raw_dir)

    monkeypatch.setattr(load_flow, "parse_batch", worker_dies_with_the_victim)
    warehouse = tmp_path / "w.duckdb"
    summary = _load(raw_copy, warehouse)  # one batch of five
    events = _events(warehouse, summary.load_id)
    assert events.pop(victim) == "pending" and set(events.values()) == {"new"} and len(events) == 4
    assert sql(warehouse, "select check_name from dq_issues where severity = 'error'") == [("processing_failed",)]


def _after_the_fingerprints(monkeypatch, change) -> None:
    """Make `change` to raw/ between the fingerprints and the parse, as a copy or a clerk would."""
    from flows.orchestration import load_flow

    fingerprint = load_flow.fingerprint_files

    def fingerprint_then_change(raw_dir):
        seen = fingerprint(raw_dir)
        change()
        return seen

    monkeypatch.setattr(load_flow, "fingerprint_files", fingerprint_then_change)


def test_a_file_gone_between_fingerprint_and_parse_is_pending_then_loads(prefect_harness, raw_copy, tmp_path,
                                                                           monkeypatch):
    (name,) = _small_tables(raw_copy, 1)
    kept = tmp_path / "kept.xlsx"
    _after_the_fingerprints(monkeypatch, lambda: (raw_copy / name).rename(kept))
    warehouse = tmp_path / "w.duckdb"
    first = _load(raw_copy, warehouse)
    assert first.files_pending == [name] and [e["check_name"] for e in first.errors] == ["file_vanished"]
    monkeypatch.undo()
    kept.rename(raw_copy / name)
    second = _load(raw_copy, warehouse)
    assert _events(warehouse, second.load_id) == {name: "new"}
    assert sql(warehouse, "select count(*) from indicator_results where source_file = ?", [name]) == [(3,)]


def test_a_file_still_being_copied_is_read_when_the_copy_has_finished(prefect_harness, raw_copy, tmp_path,
                                                                      monkeypatch):
    (name,) = _small_tables(raw_copy, 1)
    complete = (raw_copy / name).read_bytes()
    (raw_copy / name).write_bytes(complete[: len(complete) // 2])  # half-copied when the night starts
    _after_the_fingerprints(monkeypatch, lambda: (raw_copy / name).write_bytes(complete))
    warehouse = tmp_path / "w.duckdb"
    first = _load(raw_copy, warehouse)
    assert first.files_pending == [name] and [e["check_name"] for e in first.errors] == ["file_changed_during_load"]
    monkeypatch.undo()
    second = _load(raw_copy, warehouse)  # the file is complete and unchanged since: it is read all the same
    assert _events(warehouse, second.load_id) == {name: "new"} and second.exit_code == 0


def test_a_file_back_as_it_was_last_read_is_restored_not_read(prefect_harness, raw_copy, tmp_path, monkeypatch):
    (name,) = _small_tables(raw_copy, 1)
    original = (raw_copy / name).read_bytes()
    warehouse = tmp_path / "w.duckdb"
    _load(raw_copy, warehouse)
    (raw_copy / name).write_bytes(b"PK\x03\x04 half a new version")  # a resubmission, still arriving
    _after_the_fingerprints(monkeypatch, lambda: (raw_copy / name).write_bytes(original))  # the old file put back
    assert _load(raw_copy, warehouse).files_pending == [name]
    monkeypatch.undo()
    third = _load(raw_copy, warehouse)
    assert _events(warehouse, third.load_id) == {name: "restored"} and third.exit_code == 0
    assert sql(warehouse, "select count(*) from dq_issues where source_file = ? and severity = 'error'",
               [name]) == [(0,)]
    assert sql(warehouse, "select count(*) from indicator_results where source_file = ?", [name]) == [(3,)]


def test_entries_that_are_not_files_get_a_finding_and_do_not_stop_the_load(prefect_harness, loaded_warehouse,
                                                                           raw_copy, tmp_path):
    district = raw_copy / "thong_nong"
    os.mkfifo(district / "pipe.xlsx")  # opening a pipe for reading would wait forever
    (district / "zero.xlsx").symlink_to("/dev/zero")  # endless bytes, and outside raw/: not even opened
    (district / "dangling.xlsx").symlink_to("nowhere.xlsx")
    (district / "loop").symlink_to(raw_copy)  # a folder link back to raw/: never walked, never opened
    bad_name = Path(os.fsdecode(bytes(district) + b"/b\xe1o c\xe1o.xlsx"))  # a legacy code page name
    write_grid(bad_name, table(2002))
    infinite = [row[:] for row in ROWS]
    infinite[0][3] = 1e308  # formatting its percentage once overflowed to infinity and raised
    write_grid(district / "lon.xlsx", table(2003, infinite))

    warehouse = tmp_path / "w.duckdb"
    summary = _load(raw_copy, warehouse)
    findings = dict(sql(warehouse, "select source_file, check_name from dq_issues where severity = 'error'"))
    assert findings == {
        "thong_nong/pipe.xlsx": "file_unreadable", "thong_nong/zero.xlsx": "link_outside_folder",
        "thong_nong/dangling.xlsx": "file_unreadable", "thong_nong/loop": "link_outside_folder",
        "thong_nong/b\\xe1o c\\xe1o.xlsx": "invalid_file_name",
    }
    assert sorted(summary.files_pending) == ["thong_nong/dangling.xlsx", "thong_nong/pipe.xlsx"]
    assert sql(warehouse, "select actual_value from indicator_results where source_file = 'thong_nong/lon.xlsx' "
                          "and source_row = 4") == [(1e308,)]
    assert sql(warehouse, FIGURES, RAW_FILES) == sql(loaded_warehouse, FIGURES, RAW_FILES)
    # the next night the rejected entries are not read again; the entries that are not files are
    again = _load(raw_copy, warehouse)
    assert sorted(again.files_pending) == sorted(summary.files_pending)
    judged = {"thong_nong/b\\xe1o c\\xe1o.xlsx", "thong_nong/zero.xlsx", "thong_nong/loop"}
    assert judged.isdisjoint(_events(warehouse, again.load_id))


def test_a_link_is_followed_only_inside_the_folder_that_holds_it(prefect_harness, loaded_warehouse, raw_copy, tmp_path):
    """The folder says whose figures a file holds: a link into another district's folder would load that
    district's workbook as this one's, and a link out of raw/ would publish a file nobody sent."""
    (theirs,) = (raw_copy / "thong_nong").glob("*.xlsx")
    (raw_copy / "ha_quang" / "muon.xlsx").symlink_to(Path("..") / "thong_nong" / theirs.name)
    outside = tmp_path / "elsewhere" / "bao_cao.xlsx"
    outside.parent.mkdir()
    outside.write_bytes(theirs.read_bytes())
    (raw_copy / "ha_quang" / "ngoai.xlsx").symlink_to(outside)
    warehouse = tmp_path / "w.duckdb"
    first = _load(raw_copy, warehouse)
    refused = ["ha_quang/muon.xlsx", "ha_quang/ngoai.xlsx"]
    assert sql(warehouse, "select source_file, check_name, severity from dq_issues where source_file in (?, ?) "
               "order by 1", refused) == [(name, "link_outside_folder", "error") for name in refused]
    assert first.files_pending == []
    assert sql(warehouse, FIGURES, RAW_FILES) == sql(loaded_warehouse, FIGURES, RAW_FILES)
    assert sql(warehouse, "select count(*) from indicator_results where source_file in (?, ?)", refused) == [(0,)]
    assert not _load(raw_copy, warehouse).new_version  # judged once: the next night has nothing to read


def test_a_link_to_a_file_beside_it_opens_and_one_to_any_other_folder_does_not(tmp_path):
    """Not even a folder below: raw/thong_nong/01363/2020-06/ holds a commune's figures of a month, and a link
    to them from raw/thong_nong/ would publish them as the district's."""
    folder = tmp_path / "thong_nong"
    (folder / "01363" / "2020-06").mkdir(parents=True)
    (folder / "a.xlsx").write_bytes(b"beside")
    (folder / "01363" / "2020-06" / "xa.xlsx").write_bytes(b"a commune's")
    (tmp_path / "b.xlsx").write_bytes(b"outside")
    link = folder / "latest.xlsx"
    link.symlink_to("a.xlsx")
    with open_regular(link, confined_to=folder) as handle:
        assert handle.read() == b"beside"
    for elsewhere in (Path("01363") / "2020-06" / "xa.xlsx", Path("..") / "b.xlsx", Path(".")):
        link.unlink()
        link.symlink_to(elsewhere)
        with pytest.raises(LinkOutsideFolder):
            open_regular(link, confined_to=folder)


@pytest.mark.parametrize("grown_by", [1, 10 * 2**20])
def test_the_size_limit_is_judged_before_reading(tmp_path, monkeypatch, grown_by):
    import tracemalloc

    from flows.parse import workbook

    monkeypatch.setattr(workbook, "MAX_FILE_BYTES", 2**20)
    big = tmp_path / "thong_nong" / "lon.xlsx"
    big.parent.mkdir()
    with open(big, "wb") as handle:  # sparse: costs no disk
        handle.truncate(2**20 + grown_by)
    tracemalloc.start()
    result = workbook.process_workbook(big, tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [f.check_name for f in result.findings] == ["file_too_large"] and not result.pending
    assert peak < 2**20  # not one byte of the file was read


def test_nothing_under_raw_is_left_out_without_a_word(prefect_harness, raw_copy, tmp_path):
    """Hidden, lock-named and system entries are not read, and each is named once with a finding: information for
    Excel's lock file and files that are no workbook, a warning for a workbook hidden by its name."""
    workbook = (RAW / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx").read_bytes()
    district = raw_copy / "ha_quang"
    (district / ".bao_cao.xlsx").write_bytes(workbook)
    (district / "~$bao_cao.xlsx").write_bytes(b"\x07tran van a" + b" " * 150)  # as Excel writes one: 165 bytes
    (district / "~$ban_sao.xlsx").write_bytes(workbook)
    (district / "desktop.ini").write_text("[.ShellClassInfo]")
    (district / ".cu").mkdir()
    (district / ".cu" / "bao_cao_cu.xlsx").write_bytes(workbook)
    warehouse = tmp_path / "w.duckdb"
    first = _load(raw_copy, warehouse)
    ignored = sql(warehouse, "select e.source_file, i.severity from file_events e join dq_issues i using (source_file) "
                             "where e.change = 'ignored' and i.check_name = 'file_ignored' order by 1")
    assert ignored == [("ha_quang/.bao_cao.xlsx", "warning"), ("ha_quang/.cu", "warning"),
                       ("ha_quang/desktop.ini", "info"), ("ha_quang/~$ban_sao.xlsx", "warning"),
                       ("ha_quang/~$bao_cao.xlsx", "info")]
    lock = sql(warehouse, "select message from dq_issues where source_file = 'ha_quang/~$bao_cao.xlsx'")[0][0]
    assert lock.startswith("Excel's lock file: someone had the workbook of that name open")
    assert first.files_loaded == 2  # the two committed workbooks, nothing else
    second = _load(raw_copy, warehouse)
    assert second.nothing_new and not second.new_version  # named once: the next night has nothing to do
    assert len(sql(warehouse, "select * from dq_issues where check_name = 'file_ignored'")) == 5
    # the workbook closed (its lock file gone) and the hidden copy deleted: their findings close
    (district / "~$bao_cao.xlsx").unlink()
    (district / ".bao_cao.xlsx").unlink()
    third = _load(raw_copy, warehouse)
    assert _events(warehouse, third.load_id) == {"ha_quang/.bao_cao.xlsx": "gone", "ha_quang/~$bao_cao.xlsx": "gone"}
    assert [name for (name,) in sql(warehouse, "select source_file from dq_issues where check_name = 'file_ignored' "
                                               "order by 1")] == ["ha_quang/.cu", "ha_quang/desktop.ini",
                                                                  "ha_quang/~$ban_sao.xlsx"]
