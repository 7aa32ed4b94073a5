"""Load the reviewed catalogues, the registry of data-quality checks and the official reference
files into the warehouse as ref_* tables, in the schema `reference`.

Every value is stored as text here; sql/staging casts it. The source lines at the top of each
reference file go to ref_reference_sources so the warehouse cites what it holds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
from pandera import __version__ as pa_version

from flows.warehouse.connection import use_layer_schemas
from flows.warehouse.layers import BOOKKEEPING_SCHEMA, REFERENCE_SCHEMA, definitions_sha256
from schemas import catalogue_models
from schemas.catalogue_models import check_registry, validate_catalogues
from schemas.catalogues import HERE, table

REFERENCE_DIR = HERE / "reference"
CATALOGUES = {
    "ref_indicators": "indicators.csv",
    "ref_indicator_crosswalk": "indicator_crosswalk.csv",
    "ref_units": "units.csv",
    "ref_unit_conversions": "unit_conversions.csv",
    "ref_districts": "districts.csv",
    "ref_boundary_changes": "boundary_changes.csv",
    "ref_aggregation_methods": "aggregation_methods.csv",
    "ref_unit_destinations": "unit_destinations.csv",
    "ref_admin_units": "reference/cao_bang_admin_units.csv",
    "ref_district_figures": "reference/district_figures.csv",
    "ref_messages": "messages.csv",
}


def load_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Replace every ref_* table with the current contents of its file (checked first)."""
    use_layer_schemas(con, create=True)
    _check_catalogues_once(con)
    for name, filename in CATALOGUES.items():
        _replace_table(con, name, pd.DataFrame(table(filename), dtype="string"))
    _replace_table(con, "ref_dq_checks", check_registry().astype("string"))
    sources = [
        {"file": path.name, "line_number": number, "text": line.lstrip("# ").rstrip()}
        for path in sorted(REFERENCE_DIR.glob("*.csv"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.startswith("#")
    ]
    _replace_table(con, "ref_reference_sources", pd.DataFrame(sources))


def _replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("reference_frame", frame)
    try:
        con.execute(f"create or replace table {REFERENCE_SCHEMA}.{name} as select * from reference_frame")
    finally:
        con.unregister("reference_frame")


def _check_catalogues_once(con: duckdb.DuckDBPyConnection) -> None:
    """validate_catalogues(), unless this warehouse records that the same catalogues passed the same checks.

    Checking builds pandera's schemas, 0.45 s (most of it pandera importing dask.dataframe for its
    Dask types), which was the largest part of a night with nothing new after Prefect's own start.
    A change to what is checked or to what checks it is checked again (_catalogues_sha256).
    """
    digest = _catalogues_sha256()
    checked = f"{BOOKKEEPING_SCHEMA}.checked_catalogue_sources"
    con.execute(f"create table if not exists {checked} (sha256 varchar)")
    con.execute(f"comment on table {checked} is 'the catalogues, check registry and catalogue "
                "models (SHA-256) that last passed the catalogue checks; the loader uses it to check them again "
                "only when one of them changed'")
    if con.execute(f"select count(*) from {checked} where sha256 = ?", [digest]).fetchall()[0][0]:
        return
    validate_catalogues()
    con.execute(f"delete from {checked}")
    con.execute(f"insert into {checked} values (?)", [digest])


def _catalogues_sha256() -> str:
    """The registry and catalogues as checked, every file of schemas/ (the checks read units and
    admin units too), the catalogue models' code and pandera's version."""
    checked = [check_registry().to_dict("records"), table("indicators.csv"), table("indicator_crosswalk.csv"),
               table("boundary_changes.csv"), table("aggregation_methods.csv"), table("verdict_words.csv")]
    digest = hashlib.sha256(json.dumps(checked, ensure_ascii=False, sort_keys=True, default=str).encode())
    digest.update(definitions_sha256().encode())
    digest.update(Path(catalogue_models.__file__).read_bytes())
    digest.update(pa_version.encode())
    return digest.hexdigest()
