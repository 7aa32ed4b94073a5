"""The exports described as a Frictionless Tabular Data Package (warehouse/exports/datapackage.json).

A data portal, Frictionless (`frictionless validate datapackage.json`) or any Table Schema
reader learns from it what each file holds without knowing this project: every column's type
and meaning (the warehouse's COMMENT ON text), the view's key, and each file's length and
SHA-256, which the validator checks. It is built from the manifest alone, so the two files
always describe the same exports.
"""

from __future__ import annotations

import re

from flows.warehouse import model_tests

PROFILE = "tabular-data-package"  # Data Package v1: what data portals (CKAN, frictionless 4/5) all read

# DuckDB type -> Table Schema type. Lists and structs are written to the CSV as JSON (exports._write_csv),
# which is how Table Schema's `array` and `object` are read from text.
_SCALAR_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "integer", "SMALLINT": "integer", "INTEGER": "integer", "BIGINT": "integer", "HUGEINT": "integer",
    "UTINYINT": "integer", "USMALLINT": "integer", "UINTEGER": "integer", "UBIGINT": "integer", "UHUGEINT": "integer",
    "FLOAT": "number", "DOUBLE": "number",
    "DATE": "date", "TIME": "time",
    "TIMESTAMP": "datetime", "TIMESTAMP WITH TIME ZONE": "datetime",
    "VARCHAR": "string", "UUID": "string", "JSON": "string",
}
DUCKDB_DATETIME_NOTE = "DuckDB writes timestamps as 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH]' (a space, not 'T')"


def field_type(duckdb_type: str) -> dict:
    """The Table Schema type (and format) of a column of this DuckDB type."""
    if duckdb_type.endswith("]"):  # VARCHAR[], STRUCT(...)[], INTEGER[3]: a JSON array in the CSV
        return {"type": "array"}
    if duckdb_type.startswith(("STRUCT", "MAP", "UNION")):
        return {"type": "object"}
    if re.fullmatch(r"DECIMAL\(\d+,\s*\d+\)", duckdb_type):
        return {"type": "number"}
    kind = _SCALAR_TYPES.get(duckdb_type, "any")
    # Table Schema's default datetime is xsd:dateTime (a 'T'); `any` says "parse it leniently".
    return {"type": kind, "format": "any"} if kind == "datetime" else {"type": kind}


def table_schema(columns: list[dict], primary_key: list[str] | None, required: set[str]) -> dict:
    """A Table Schema for a view's columns (each with name, type and description)."""
    fields = []
    for column in columns:
        field = {"name": column["name"], **field_type(column["type"]), "description": column.get("description") or ""}
        if column["name"] in required:
            field["constraints"] = {"required": True}
        fields.append(field)
    schema = {"fields": fields, "missingValues": [""]}
    if primary_key:
        schema["primaryKey"] = list(primary_key)
    return schema


def view_declarations(sql: str, view: str) -> tuple[list[str] | None, set[str]]:
    """The view's `-- unique:` key (its primary key) and the columns its `-- not_null:` lines require."""
    tests = model_tests.declared_tests(view, sql)
    key = next((list(t.columns) for t in tests if t.kind == "unique"), None)
    required = {c for t in tests if t.kind == "not_null" for c in t.columns}
    return key, required


def build(manifest: dict, title: str, description: str) -> dict:
    """The data package descriptor of the files a manifest lists (custom properties name the load).

    The package's resources are the CSV files, one per view. Each names its Parquet twin (same
    rows, exact types, the same meanings in its field metadata) in `haquang:parquet`, not as a
    resource of its own: frictionless 5 reads Parquet through pandas, which turns an integer
    column with NULLs into floats and a list into a numpy array, so it fails sound files.
    """
    by_view: dict[str, dict[str, dict]] = {}
    for entry in manifest["files"]:
        by_view.setdefault(entry["view"], {})[entry["format"]] = entry
    resources = []
    for view, entries in by_view.items():
        csv, parquet = entries["csv"], entries.get("parquet")
        resource = {
            "name": view,
            "path": csv["file"],
            "profile": "tabular-data-resource",
            "title": view,
            "description": "\n\n".join(part for part in (csv.get("view_description"), CSV_NOTE) if part),
            "format": "csv",
            "mediatype": "text/csv",
            # UTF-8 with a byte-order mark, so that Excel shows Vietnamese: readers of the IANA
            # name strip it (Python's utf-8-sig, frictionless, pandas).
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True},
            "bytes": csv["bytes"],
            "hash": f"sha256:{csv['sha256']}",
            "schema": table_schema(csv["columns"], csv.get("primary_key"), set(csv.get("required", []))),
            "haquang:rows": csv["rows"],
        }
        if parquet:
            resource["haquang:parquet"] = {"path": parquet["file"], "mediatype": "application/vnd.apache.parquet",
                                           "bytes": parquet["bytes"], "hash": f"sha256:{parquet['sha256']}",
                                           "rows": parquet["rows"]}
        resources.append(resource)
    return {
        "profile": PROFILE,
        "name": "haquang-warehouse-exports",
        "title": title,
        "description": description,
        "created": manifest["exported_at"],
        "haquang:load_id": manifest["load_id"],
        "haquang:load_finished_at": manifest["load_finished_at"],
        "haquang:models_sha256": manifest["models_sha256"],
        "resources": resources,
    }


CSV_NOTE = ("CSV: UTF-8 with a byte-order mark; text starting with =, +, -, @, tab or CR has a leading "
            "apostrophe so that a spreadsheet does not run it (the Parquet file keeps the exact text); lists "
            f"are JSON; {DUCKDB_DATETIME_NOTE}.")
