"""Load the reviewed catalogues, the registry of data-quality checks and the official reference
files into the warehouse as ref_* tables.

Every value is stored as text here; sql/staging casts it. The source lines at the top of each
reference file go to ref_reference_sources so the warehouse cites what it holds.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from schemas.catalogue_models import check_registry, validate_catalogues
from schemas.catalogues import HERE, table

REFERENCE_DIR = HERE / "reference"
CATALOGUES = {
    "ref_indicators": "indicators.csv",
    "ref_indicator_crosswalk": "indicator_crosswalk.csv",
    "ref_units": "units.csv",
    "ref_unit_conversions": "unit_conversions.csv",
    "ref_districts": "districts.csv",
    "ref_admin_units": "reference/cao_bang_admin_units.csv",
    "ref_district_figures": "reference/district_figures.csv",
}


def load_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Replace every ref_* table with the current contents of its file (checked first)."""
    validate_catalogues()
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
        con.execute(f"create or replace table {name} as select * from reference_frame")
    finally:
        con.unregister("reference_frame")
