"""The folders of flows/ follow the data flow, and no stage reaches forward into a later one."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import REPO

# The stages in the order data passes through them; schemas/ (the catalogues and pandera
# models) sits just above the core, which is all it may use of flows/.
STAGES = ["core", "schemas", "ingest", "parse", "quality", "mapping", "warehouse", "publish", "orchestration", "cli"]


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "schemas":
        return "schemas"
    if parts[0] != "flows" or len(parts) < 2:
        return None
    return "cli" if parts[1] in ("cli", "cli_format") else parts[1]


def imported_modules(path: Path, with_names: bool = False) -> set[str]:
    """Every module a file imports, at its top or inside a function; `from a.b import c` names a.b, and
    a.b.c too when `with_names` (c may be a module) or a is flows."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if with_names or node.module == "flows":
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(p for folder in ("flows", "schemas") for p in (REPO / folder).rglob("*.py")
                 if p.parent.name != "flows" or p.stem != "__init__")


def test_every_module_of_flows_sits_in_a_stage_folder():
    loose = [p.name for p in (REPO / "flows").glob("*.py") if p.stem not in ("__init__", "cli", "cli_format")]
    assert loose == []
    assert {p.name for p in (REPO / "flows").iterdir() if p.is_dir() and p.name != "__pycache__"} == \
        set(STAGES) - {"schemas", "cli"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_module_imports_from_a_later_stage(path):
    module = ".".join(path.relative_to(REPO).with_suffix("").parts)
    own = STAGES.index(stage_of(module))
    later = {name for name in imported_modules(path)
             if stage_of(name) in STAGES and STAGES.index(stage_of(name)) > own}
    assert later == set()


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path, known: set[str]) -> set[str]:
    """The modules of flows/ and schemas/ a file imports, at its top or inside a function."""
    return imported_modules(path, with_names=True) & known


def test_no_modules_of_flows_import_each_other_in_a_circle():
    """A circle of imports, even inside functions, means a piece of one module belongs in a third (as the
    Prefect server's start and health did between flows/orchestration/runners.py and serve.py)."""
    known = {module_name(p) for p in MODULES}
    graph = {module_name(p): project_imports(p, known) - {module_name(p)} for p in MODULES}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as circle:
        pytest.fail("modules import each other in a circle: " + " -> ".join(circle.args[1]))


def test_the_tests_are_in_folders_of_their_tier_and_stage():
    """tests/unit/<stage>/ (a stage of flows/), tests/models/ (one SQL model on hand-made rows),
    tests/end_to_end/ (mostly loads); nothing but this file and the shared fixtures loose in tests/."""
    tests = REPO / "tests"
    unit = {p.name for p in (tests / "unit").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert unit and unit <= set(STAGES), unit - set(STAGES)
    assert [p.name for p in tests.glob("test_*.py")] == ["test_layout.py"]
    assert all((folder / "__init__.py").exists() for folder in [tests / "unit", tests / "models",
                                                               tests / "end_to_end", *(tests / "unit" / s for s in unit)])
