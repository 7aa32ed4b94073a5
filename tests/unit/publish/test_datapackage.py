"""The exports as a Frictionless Tabular Data Package, validated by frictionless itself, as a data portal would."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from frictionless import Resource, validate

from flows.publish import datapackage, exports as ex
from flows.publish.exports import analyst_views
from flows.publish.outputs import exports_dir
from flows.warehouse.model_tests import key_of
from flows.warehouse.layers import SQL_DIR
from tests.conftest import sql


def _errors(report) -> list[str]:
    return [f"{task.name}: {error.type}: {error.message}" for task in report.tasks for error in task.errors]


def _package(warehouse: Path) -> dict:
    return json.loads((exports_dir(warehouse) / "datapackage.json").read_text(encoding="utf-8"))


def test_the_exports_validate_as_a_frictionless_data_package(loaded_warehouse):
    report = validate(exports_dir(loaded_warehouse) / "datapackage.json")
    assert report.valid, _errors(report)[:20]
    assert {task.name for task in report.tasks} == set(analyst_views())  # every view was read, row by row
    read = {task.name: task.stats.get("rows", 0) for task in report.tasks}  # no "rows" when a view is empty
    assert read == {view: sql(loaded_warehouse, f"select count(*) from {view}")[0][0] for view in analyst_views()}
    assert sum(read.values()) > 0


def test_the_package_says_what_the_warehouse_says(loaded_warehouse):
    """Types, meanings, keys and required columns come from the warehouse and its models' headers."""
    package, manifest = _package(loaded_warehouse), json.loads(
        (exports_dir(loaded_warehouse) / "manifest.json").read_text(encoding="utf-8"))
    assert package["haquang:load_id"] == manifest["load_id"] == sql(loaded_warehouse,
                                                                     "select max(load_id) from load_runs")[0][0]
    parquet_entries = {e["view"]: e for e in manifest["files"] if e["format"] == "parquet"}
    keys = 0
    for resource in package["resources"]:
        view = resource["name"]
        columns = sql(loaded_warehouse, "select column_name, data_type, comment from duckdb_columns() "
                                        "where table_name = ? order by column_index", [view])
        fields = resource["schema"]["fields"]
        assert [(f["name"], f["description"]) for f in fields] == [(name, comment) for name, _, comment in columns]
        assert all(f["description"] for f in fields), view
        assert [f["type"] for f in fields] == [datapackage.field_type(kind)["type"] for _, kind, _ in columns]
        key = key_of(view, (SQL_DIR / "marts" / f"{view}.sql").read_text(encoding="utf-8"))
        assert resource["schema"].get("primaryKey") == (list(key) if key else None), view
        keys += key is not None
        twin = resource["haquang:parquet"]
        assert twin["hash"] == f"sha256:{parquet_entries[view]['sha256']}" and twin["rows"] == resource["haquang:rows"]
        # the Parquet file carries the same meanings in its Arrow field metadata
        schema = pq.read_schema(exports_dir(loaded_warehouse) / twin["path"])
        assert [(f.name, (f.metadata or {}).get(b"description", b"").decode()) for f in schema] == [
            (name, comment) for name, _, comment in columns]
    assert keys >= len(package["resources"]) - 1  # only dq_issues says why it has no key
    results = next(r for r in package["resources"] if r["name"] == "indicator_results")
    assert results["schema"]["primaryKey"] == ["source_file", "source_sheet", "source_row"]
    types = {f["name"]: f for f in results["schema"]["fields"]}
    assert (types["source_row"]["type"], types["actual_value"]["type"], types["period_end"]["type"],
            types["is_estimate"]["type"], types["dq_flags"]["type"]) == ("integer", "number", "date", "boolean", "array")
    assert types["row_label"]["constraints"] == {"required": True}


@pytest.mark.parametrize("spoil, error", [
    ("a byte changed", "hash-count"),
    ("a key row twice", "primary-key"),
    ("text in an integer column", "type-error"),
])
def test_frictionless_catches_files_that_disagree_with_the_package(loaded_warehouse, tmp_path, spoil, error):
    """The control: the validation reads the files, so a package that lies about them fails."""
    exports = shutil.copytree(exports_dir(loaded_warehouse), tmp_path / "exports")
    package = _package(loaded_warehouse)
    resource = next(r for r in package["resources"] if r["name"] == "indicator_results")
    path = exports / resource["path"]
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    if spoil == "a byte changed":
        lines[1] = lines[1].replace("ha_quang", "ha_quanG", 1)
    elif spoil == "a key row twice":
        lines.append(lines[1])
    else:
        row = lines[1].split(",")
        position = [f["name"] for f in resource["schema"]["fields"]].index("source_row")
        assert row[position].isdigit()
        row[position] = "mười hai"
        lines[1] = ",".join(row)
    path.write_bytes(b"\xef\xbb\xbf" + "".join(lines).encode("utf-8"))
    if spoil != "a byte changed":  # the package is told the new length and hash: only the content is wrong
        resource.update({"bytes": path.stat().st_size, "hash": f"sha256:{ex._sha256(path)}"})
    package["resources"] = [resource]
    (exports / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    report = validate(exports / "datapackage.json")
    assert not report.valid and error in {e.type for task in report.tasks for e in task.errors}, _errors(report)


def test_every_duckdb_type_written_by_the_exports_reads_back_in_frictionless(tmp_path):
    """A table of its own (NULLs, lists, structs, time zones, decimals, Vietnamese, formula-like text), written
    by the exports' CSV and Parquet writers and read by frictionless against the Table Schema the package gives."""
    con = duckdb.connect()
    con.execute("""create view sample as select * from (values
        (1::bigint, 2::integer, 1.5::double, 12.345::decimal(18,3), true, date '2020-12-31',
         timestamp '2020-06-30 08:00:00', timestamptz '2020-06-30 08:00:00.123456+07', 'Hà Quảng, "Đạt"',
         '=1+1', ['a', 'b, c'], [{'code': 'x', 'score': 0.5}], {'k': 1}),
        (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, [], NULL)
    ) t(id, small, ratio, amount, flag, day, moment, moment_tz, label, formula, tags, matches, detail)""")
    described = con.execute("describe sample").fetchall()
    columns = [{"name": name, "type": kind, "description": f"meaning of {name}"} for name, kind, *_ in described]
    assert {datapackage.field_type(c["type"])["type"] for c in columns} == {
        "integer", "number", "boolean", "date", "datetime", "string", "array", "object"}
    ex._write_parquet(con, "sample", {"columns": columns, "description": "a sample"}, tmp_path / "sample.parquet")
    ex._write_csv(con, f"read_parquet('{tmp_path / 'sample.parquet'}')", tmp_path / "sample.csv")
    assert pq.read_schema(tmp_path / "sample.parquet").field("amount").metadata == {b"description": b"meaning of amount"}
    resource = Resource({"name": "sample", "path": "sample.csv", "format": "csv", "encoding": "utf-8",
                         "schema": datapackage.table_schema(columns, ["id"], {"id", "matches"})}, basepath=str(tmp_path))
    report = resource.validate()
    assert report.valid, _errors(report)
    rows = resource.read_rows()
    assert [row["id"] for row in rows] == [1, 2]
    first, second = rows
    assert first["label"] == 'Hà Quảng, "Đạt"' and first["formula"] == "'=1+1"  # neutralised in the CSV only
    assert first["tags"] == ["a", "b, c"] and first["matches"] == [{"code": "x", "score": 0.5}]
    assert first["detail"] == {"k": 1} and str(first["amount"]) == "12.345" and first["flag"] is True
    assert first["moment_tz"] == dt.datetime(2020, 6, 30, 1, 0, 0, 123456, tzinfo=dt.timezone.utc)
    assert second["small"] is None and second["moment_tz"] is None and second["tags"] is None and second["matches"] == []
