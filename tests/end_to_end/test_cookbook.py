"""The documentation's queries run: every `haquang sql` written in README.md and docs/*.md is run against a
warehouse loaded from raw/, as the command runs it, and where the page prints the output beside the query
(a plain ``` block right after the ```sh block), that output must be exactly what the command prints today.

docs/cookbook.md promises its outputs come from a real `make run` on the committed raw/; without this test
they drift as the rules change. A query whose output is wrong is corrected in the page, never here.
Nothing is normalised: the printed queries name no load time, and the load ids are those of a fresh
warehouse (1, and 2 after the resubmission).
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.cli import main
from tests.conftest import RAW, REPO
from tests.layout_variants import Grid

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COOKBOOK = REPO / "docs" / "cookbook.md"
COMMAND = ".venv/bin/haquang sql"
# Written in the page just before a query that asks about the night after the clerk's resubmission
# (its prose says what the clerk changed; second_night_warehouse below makes that change).
SECOND_NIGHT = "<!-- cookbook: after the resubmission -->"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    arguments: tuple[str, ...]  # after `haquang sql`
    printed: str | None  # the output the page prints beside it, if any
    second_night: bool

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def commands_in(block: str) -> list[tuple[int, tuple[str, ...]]]:
    """Each `haquang sql` command of a shell block, by its line offset: its quoted query may span lines,
    and a shell redirection (`> file.csv`) ends it."""
    lines = block.split("\n")
    found = []
    for start, line in enumerate(lines):
        if not line.startswith(COMMAND):
            continue
        for end in range(start + 1, len(lines) + 1):
            try:
                words = shlex.split("\n".join(lines[start:end])[len(COMMAND):], comments=True)
            except ValueError:  # the query's closing quote is on a later line
                continue
            break
        else:
            raise AssertionError(f"unclosed quote in: {line}")
        if ">" in words:
            words = words[:words.index(">")]
        if words[-1:] != ["QUERY"]:  # the command line's synopsis, not a query
            found.append((start, tuple(words)))
    return found


def examples_in(page: Path) -> list[Example]:
    text = page.read_text(encoding="utf-8")
    blocks = list(FENCE.finditer(text))
    examples = []
    for index, block in enumerate(blocks):
        if block.group(1) != "sh":
            continue
        commands = commands_in(block.group(2))
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        printed = None
        if following is not None and following.group(1) == "" and following.start() == block.end():
            assert len(commands) == 1, f"{page.name}: an output block follows a block of {len(commands)} queries"
            printed = following.group(2).rstrip("\n")
        second_night = text[:block.start()].rstrip().endswith(SECOND_NIGHT)
        first_line = text.count("\n", 0, block.start()) + 2
        examples += [Example(page.relative_to(REPO).as_posix(), first_line + offset, words, printed, second_night)
                     for offset, words in commands]
    return examples


EXAMPLES = [example for page in PAGES for example in examples_in(page)]


@pytest.fixture(scope="module")
def second_night_warehouse(loaded_warehouse, tmp_path_factory) -> Path:
    """The night after `make run`, as the cookbook tells it: the Hà Quảng clerk resubmitted the workbook with
    the grain output corrected to 18.020 tonnes and a new row, "Diện tích lúa nước", inserted above it."""
    folder = tmp_path_factory.mktemp("second_night")
    raw, warehouse = folder / "raw", folder / "haquang.duckdb"
    shutil.copytree(RAW, raw)
    shutil.copyfile(loaded_warehouse, warehouse)
    workbook = raw / "ha_quang" / "chi_tieu_ktxh_2015_2020.xlsx"
    grid = Grid.read(workbook)
    grain = next(i for i, row in enumerate(grid.cells) if "Tổng sản lượng lương thực có hạt" in row)
    grid.cells[grain][4] = "18.020"  # the result column
    grid.cells.insert(grain, [None, "Diện tích lúa nước", "ha", "300", "310", "103"])
    grid.write(workbook)
    assert main(["load", "--raw", str(raw), "--warehouse", str(warehouse)]) == 0
    return warehouse


def test_the_pages_hold_the_cookbook_and_every_cookbook_query_prints_its_output():
    cookbook = [example for example in EXAMPLES if example.page == "docs/cookbook.md"]
    assert cookbook, "no `haquang sql` found in docs/cookbook.md: has the page or its code blocks moved?"
    assert [str(e) for e in cookbook if e.printed is None] == []
    assert COOKBOOK.read_text(encoding="utf-8").count(SECOND_NIGHT) == sum(e.second_night for e in cookbook)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_a_documented_query_prints_what_its_page_says(example, loaded_warehouse, request, capsys):
    warehouse = request.getfixturevalue("second_night_warehouse") if example.second_night else loaded_warehouse
    capsys.readouterr()  # the second night's load summary, when this test's request made it
    assert main(["sql", "--warehouse", str(warehouse), *example.arguments]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out.rstrip("\n")
    if example.printed is not None:
        assert printed == example.printed
