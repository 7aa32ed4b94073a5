"""Two workbooks of one run reporting the same indicator for the same unit and period."""

from __future__ import annotations

import pandas as pd

from flows.core.findings import Finding

FACT_KEY = ["source_district", "reporting_unit", "period_end", "fact_key"]


def fact_keys(rows: pd.DataFrame) -> pd.Series:
    """What a row is a figure of: its catalogue indicator, or its label when it has none."""
    return rows["indicator_code"].fillna(rows["label_key"])


def find_conflicts(rows: pd.DataFrame, modified_at: dict[str, object]) -> list[dict]:
    """A warning on each row that another file of the same run also reports.

    The warehouse publishes the most recently modified file's figure (sql/intermediate/
    int_row_versions.sql orders versions the same way); both files' rows stay in dq_issues.
    """
    if rows.empty:
        return []
    keyed = rows.assign(fact_key=fact_keys(rows), period_end=rows["period_end"].astype("string").fillna(""))
    files_per_key = keyed.groupby(FACT_KEY, dropna=False)["source_file"].transform("nunique")
    clashing = keyed[files_per_key > 1]
    findings = []
    for _, group in clashing.groupby(FACT_KEY, dropna=False):
        files = sorted(group["source_file"].unique(), key=lambda f: (modified_at.get(f), f))
        newest = files[-1]
        for row in group.itertuples():
            others = ", ".join(f for f in files if f != row.source_file)
            findings.append(Finding(
                "conflicting_files", f"{row.row_label!r} for {row.reporting_unit} is also reported by {others} in "
                f"the same load; the most recently modified file ({newest}) is published. Withdraw or correct the "
                "file that is wrong", row.source_sheet, int(row.source_row), row.label_column, row.row_label,
            ).as_record(row.source_district, row.source_file))
    return findings
