"""The registry of data-quality checks: the only source of check names and severities."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from flows.core import checks as registry
from flows.core.checks import CHECKS, ERROR, WARNING, UnknownCheck
from flows.core.findings import Finding
from flows.quality import validate
from flows.quality.validate import rows_frame, structure_check, validate_rows
from schemas.catalogue_models import CheckRegistry, check_registry
from schemas.indicator_rows import IndicatorRow, IndicatorRowDoubts
from tests.conftest import REPO, sql
from tests.unit.schemas.test_schemas import row

SOURCES = sorted((REPO / "flows").rglob("*.py"))


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}


def _takes_check_name(trees) -> set[str]:
    """Names of the functions and classes of flows/ whose first argument is a check name.

    A function whose first parameter (after self) is `check_name`, a class whose __init__ has
    it, or a dataclass whose first field is it: Finding, UnsafeWorkbook, reject, defer, flag.
    """
    def first_parameter(function: ast.FunctionDef) -> str | None:
        names = [a.arg for a in function.args.posonlyargs + function.args.args if a.arg not in ("self", "cls")]
        return names[0] if names else None

    found = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and first_parameter(node) == "check_name":
                found.add(node.name)
            if isinstance(node, ast.ClassDef):
                init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
                fields = [n.target.id for n in node.body if isinstance(n, ast.AnnAssign)
                          and isinstance(n.target, ast.Name)]
                if (init is not None and first_parameter(init) == "check_name") or fields[:1] == ["check_name"]:
                    found.add(node.name)
    found.discard("__init__")
    return found


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def raised_in_source(trees) -> dict[str, list[tuple[str, str]]]:
    """Every check name written literally as the first argument of a call that takes one -> (callee, where)."""
    takers = _takes_check_name(trees)
    raised: dict[str, list[tuple[str, str]]] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node) not in takers:
                continue
            argument = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg == "check_name"), None)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                raised.setdefault(argument.value, []).append(
                    (_called_name(node), f"{path.relative_to(REPO)}:{node.lineno}"))
    return raised


def _dataframe_checks(model: type[pa.DataFrameModel]) -> list[str]:
    return [c.name for c in model.to_schema().checks]


def test_the_registry_is_valid_and_names_each_check_once():
    assert len(CHECKS) == len(registry._REGISTRY)  # a second entry of one name would hide the first
    CheckRegistry.validate(check_registry(), lazy=True)
    assert {c.severity for c in CHECKS.values()} == {ERROR, WARNING}


def test_an_error_that_would_not_block_attainment_is_refused():
    frame = check_registry()
    frame.loc[frame["severity"] == ERROR, "blocks_attainment"] = registry.BLOCKS_NEVER
    with pytest.raises(pa.errors.SchemaErrors) as raised:
        CheckRegistry.validate(frame, lazy=True)
    assert "an_error_always_blocks_attainment" in str(raised.value.failure_cases["check"].tolist())


def test_every_check_name_in_the_source_of_flows_is_registered():
    trees = _trees()
    assert {"Finding", "UnsafeWorkbook", "reject", "defer", "flag"} <= _takes_check_name(trees)
    raised = raised_in_source(trees)
    # every way of raising a finding is seen: the guard, a workbook, a row, mapping, the warehouse
    assert {"zip_bomb", "header_not_found", "file_vanished", "hidden_row", "unmapped_indicator",
            "conflicting_files", "file_missing"} <= set(raised)
    unknown = {name: where for name, where in raised.items() if name not in CHECKS}
    assert unknown == {}
    # what rejects a file or leaves it pending is an error, whatever the registry said of a warning
    rejecting = {name for name, calls in raised.items() for callee, _ in calls
                 if callee in ("reject", "defer", "UnsafeWorkbook")}
    assert len(rejecting) > 10 and {name for name in rejecting if CHECKS[name].severity != ERROR} == set()


def test_every_registered_check_can_be_raised():
    """No entry outlives the code that raised it: each is in flows/ or is a pandera check's name."""
    from_models = {*_dataframe_checks(IndicatorRow), *_dataframe_checks(IndicatorRowDoubts)}
    from_columns = {structure_check("isin", column).name for column in IndicatorRow.to_schema().columns}
    assert set(CHECKS) - set(raised_in_source(_trees())) - from_models - from_columns == set()


def test_no_finding_is_written_by_hand_as_a_dict():
    hand_written = [f"{path.relative_to(REPO)}:{node.lineno}" for path, tree in _trees().items()
                    for node in ast.walk(tree) if isinstance(node, ast.Dict)
                    and {"check_name", "message"} <= {k.value for k in node.keys if isinstance(k, ast.Constant)}]
    assert hand_written == []


def test_a_finding_takes_its_severity_from_the_registry_and_never_states_one():
    assert Finding("hidden_row", "m").severity == WARNING
    assert Finding("unreadable_figure", "m").severity == ERROR
    with pytest.raises(TypeError):
        Finding("hidden_row", "m", severity=ERROR)
    with pytest.raises(UnknownCheck, match="flows/core/checks.py"):
        Finding("no_such_check", "m")


def test_the_pandera_models_checks_are_registered_with_what_they_do_to_the_row():
    """IndicatorRow rejects the row (an error); IndicatorRowDoubts loads it with a warning."""
    assert {name: CHECKS[name].severity for name in _dataframe_checks(IndicatorRow) if name in CHECKS} == \
        dict.fromkeys(_dataframe_checks(IndicatorRow), ERROR)
    assert {name: CHECKS[name].severity for name in _dataframe_checks(IndicatorRowDoubts) if name in CHECKS} == \
        dict.fromkeys(_dataframe_checks(IndicatorRowDoubts), WARNING)
    for column in IndicatorRow.to_schema().columns:
        assert structure_check("isin", column).severity == ERROR, column  # invalid_unit is a warning: invalid_row


def test_a_new_doubt_gets_its_message_and_cell_from_the_registry(monkeypatch):
    """A pandera check added to the doubts needs only its registry entry: no KeyError, no lost name."""
    class WithEmptyResults(IndicatorRowDoubts):
        @pa.dataframe_check(name="missing_value")
        def result_present(cls, df: pd.DataFrame) -> pd.Series:
            return df["actual_raw"].notna()

    monkeypatch.setattr(validate, "IndicatorRowDoubts", WithEmptyResults)
    accepted, findings = validate_rows(rows_frame([row(actual_raw=None, actual_value=None)]))
    assert len(accepted) == 1
    assert [(f["check_name"], f["severity"], f["source_column"], f["message"]) for f in findings] == [
        ("missing_value", WARNING, "E", CHECKS["missing_value"].default_message)]


def test_the_hostile_file_table_names_only_registered_checks():
    page = (REPO / "docs" / "raw-inputs.md").read_text(encoding="utf-8")
    header = page.index("| what arrives |")
    rows = page[page.index("| --- |", header):page.index("Nothing in a cell reaches code")]
    named = set(re.findall(r"`([a-z_]+)`", rows))
    assert len(named) > 15 and named - set(CHECKS) == set()


def test_a_real_load_of_raw_and_every_hostile_file_raises_only_registered_checks(prefect_harness, raw_copy,
                                                                                tmp_path):
    from flows.orchestration.load_flow import run_load as load_warehouse
    from flows.publish.docs import collect_checks
    from flows.publish.outputs import docs_dir
    from tests.fixtures.write_malformed_workbooks import write_all

    cases = write_all(raw_copy)
    warehouse = tmp_path / "w.duckdb"
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)
    gone = next(name for name, expected in cases.items() if not expected.rejected and not expected.pending)
    (raw_copy / gone).unlink()  # the next night it is missing: the warehouse's own finding
    load_warehouse(raw_dir=raw_copy, warehouse=warehouse)

    raised = set(sql(warehouse, "select distinct check_name, severity from landing_dq_findings"))
    # the registry's severity, or info for a resolvable check's finding that names its evidence
    assert {(name, severity if name in CHECKS and CHECKS[name].resolvable and severity == "info"
             else CHECKS[name].severity if name in CHECKS else "unregistered") for name, severity in raised} == raised
    assert len({name for name, _ in raised}) > 20 and ("file_missing", WARNING) in raised
    # an analyst's join of the open issues to the checks loses none and agrees on severity
    assert sql(warehouse, "select count(*) from dq_issues left join dq_checks using (check_name) "
                          "where dq_checks.severity is distinct from dq_issues.severity "
                          "and not (dq_checks.resolvable and dq_issues.severity = 'info')") == [(0,)]
    assert {c.name for c in collect_checks(warehouse)} == set(CHECKS)
    dictionary = (docs_dir(warehouse) / "data_dictionary.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` | {check.severity} |" in dictionary for name, check in CHECKS.items())
