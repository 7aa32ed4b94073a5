"""Model tests, dbt style: what each SQL model promises about its rows, declared in its header.

    -- unique: source_file, source_sheet, source_row     the model's key: no two rows share it
    -- no_unique_key: why                                 a model whose rows have no key, and why not
    -- not_null: load_id, source_file                     columns that are never NULL
    -- references: indicator_code -> stg_indicators.indicator_code
    -- references: load_id, source_file -> stg_load_files.load_id, source_file

A key is compared as a whole, NULL parts included (two rows with the same key and a NULL in it
are still two rows for one key). A reference holds for every row whose referring columns are
all set, as in dbt's `relationships`. Every build checks them after the models are built and
before anything is published, so a model whose grain broke fails the load instead of publishing
doubled or orphaned figures. A model's tests cost one query over its rows; the offending keys are
looked up only when a test fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

DECLARATION = re.compile(r"^--\s*(unique|not_null|references|no_unique_key):\s*(.*?)\s*$")
REFERENCE = re.compile(r"^(?P<columns>[\w\s,]+?)\s*->\s*(?P<model>\w+)\.(?P<target>[\w\s,]+)$")
EXAMPLES = 3  # offending keys named in the error; the query in it finds them all


class BadDeclaration(ValueError):
    """A model's header declares a test that cannot be read."""


@dataclass(frozen=True)
class ModelTest:
    model: str
    kind: str  # unique | not_null | references
    columns: tuple[str, ...]
    target: str = ""  # the referenced model (references only)
    target_columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        said = f"{self.kind} ({', '.join(self.columns)})"
        return said + (f" -> {self.target} ({', '.join(self.target_columns)})" if self.kind == "references" else "")

    def failing_counts(self, rows: str) -> list[str]:
        """Scalar subqueries over `rows` (the model's rows): the failing keys (unique), rows per
        column (not_null) or rows (references); all zero when the test holds."""
        if self.kind == "unique":
            return [f"(select count(*) from (select 1 from {rows} group by {_columns(self.columns)} "
                    "having count(*) > 1))"]
        if self.kind == "not_null":
            return [f'(select count(*) filter (where "{c}" is null) from {rows})' for c in self.columns]
        return [f"(select count(*) from {rows} as m where {self._dangling()})"]

    def failing_query(self) -> str:
        """One row of counts (failing_counts) over the model itself."""
        return "select " + ", ".join(self.failing_counts(self.model))

    def examples_query(self, key: tuple[str, ...]) -> str:
        """A few offending key values (run only when the test failed)."""
        if self.kind == "unique":
            return (f"select {_columns(self.columns)} from {self.model} group by all having count(*) > 1 "
                    f"order by all limit {EXAMPLES}")
        if self.kind == "not_null":
            nulls = " or ".join(f'"{c}" is null' for c in self.columns)
            return f"select distinct {_columns(key)} from {self.model} where {nulls} order by all limit {EXAMPLES}"
        return (f"select distinct {_columns(self.columns, 'm')} from {self.model} as m where {self._dangling()} "
                f"order by all limit {EXAMPLES}")

    def _dangling(self) -> str:
        """Rows whose referring columns are all set and name no row of the target."""
        match = " and ".join(f'r."{t}" = m."{c}"' for c, t in zip(self.columns, self.target_columns))
        present = " and ".join(f'm."{c}" is not null' for c in self.columns)
        return f"{present} and not exists (select 1 from {self.target} as r where {match})"


def _columns(columns: tuple[str, ...], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{c}"' for c in columns)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def header(sql: str) -> list[str]:
    """The comment lines a model file starts with (its header)."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line)
    return lines


def is_declaration(line: str) -> bool:
    """A header line that declares a test (not part of the model's description)."""
    return DECLARATION.match(line) is not None


def declared_tests(model: str, sql: str) -> list[ModelTest]:
    """The tests a model's header declares, in the order written."""
    tests = []
    for line in header(sql):
        if not (match := DECLARATION.match(line)):
            continue
        kind, text = match.groups()
        if kind == "no_unique_key":
            if not text:
                raise BadDeclaration(f"{model}: `-- no_unique_key:` must say why the model has no key")
            continue
        if kind == "references":
            if not (reference := REFERENCE.match(text)):
                raise BadDeclaration(f"{model}: cannot read `-- references: {text}`; write "
                                     "`-- references: column -> model.column` (or `a, b -> model.a, b`)")
            columns, target_columns = _names(reference["columns"]), _names(reference["target"])
            if len(columns) != len(target_columns):
                raise BadDeclaration(f"{model}: `-- references: {text}` pairs {len(columns)} columns with "
                                     f"{len(target_columns)}")
            tests.append(ModelTest(model, kind, columns, reference["model"], target_columns))
        elif not _names(text):
            raise BadDeclaration(f"{model}: `-- {kind}:` names no column")
        else:
            tests.append(ModelTest(model, kind, _names(text)))
    return tests


def key_of(model: str, sql: str) -> tuple[str, ...] | None:
    """The model's unique key, or None when it declares none (or says why it has none)."""
    return next((test.columns for test in declared_tests(model, sql) if test.kind == "unique"), None)


def says_why_no_key(sql: str) -> bool:
    return any((m := DECLARATION.match(line)) and m[1] == "no_unique_key" and m[2] for line in header(sql))


@dataclass(frozen=True)
class Failure:
    test: ModelTest
    what: str  # how it failed, in words
    examples: list[tuple]

    def __str__(self) -> str:
        shown = ", ".join(_show(row) for row in self.examples)
        return f"model {self.test.model}, test {self.test}: {self.what}" + (f", e.g. {shown}" if shown else "")


def _show(row: tuple) -> str:
    return repr(row[0]) if len(row) == 1 else "(" + ", ".join(repr(v) for v in row) + ")"


class ModelTestFailed(Exception):
    """A built model broke what its header promises; the build stops before anything is published."""

    def __init__(self, failures: list[Failure]):
        super().__init__(f"{len(failures)} model test(s) failed: " + "; ".join(str(f) for f in failures))
        self.failures = failures

    def __reduce__(self):  # pickled with its failures, so it survives the trip between processes
        return type(self), (self.failures,)


def check(con: duckdb.DuckDBPyConnection, model: str, sql: str) -> list[Failure]:
    """Run a built model's declared tests; the failures, each with a few offending keys.

    All of a model's tests are one query over its rows computed once (a materialized CTE of the
    columns they name): a mart over the whole warehouse costs seconds to compute, and was
    computed once per test.
    """
    failures = []
    tests = declared_tests(model, sql)
    if not tests:
        return failures
    key = key_of(model, sql) or ()
    counted = [test.failing_counts("model_rows") for test in tests]
    tested_columns = _columns(tuple(dict.fromkeys(column for test in tests for column in test.columns)))
    row = con.execute(f"with model_rows as materialized (select {tested_columns} from {model}) select "
                      + ", ".join(count for counts in counted for count in counts)).fetchone()
    position = 0
    for test, counts_sql in zip(tests, counted):
        counts = row[position:position + len(counts_sql)]
        position += len(counts_sql)
        if not any(counts):
            continue
        if test.kind == "unique":
            what = f"{counts[0]} key value(s) on more than one row"
        elif test.kind == "not_null":
            what = "NULL in " + ", ".join(f"{c} ({n} rows)" for c, n in zip(test.columns, counts) if n)
            if not key:
                failures.append(Failure(test, what, []))
                continue
            what += f"; rows ({', '.join(key)})"
        else:
            what = f"{counts[0]} row(s) name no row of {test.target}"
        examples = con.execute(test.examples_query(key)).fetchall()
        failures.append(Failure(test, what, examples))
    return failures
