"""Map each parsed row to its catalogue indicator through the label crosswalk."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from flows.core.findings import Finding, said
from flows.core.labels import label_key
from schemas.catalogues import CrosswalkEntry, crosswalk, indicators, units


@lru_cache(maxsize=1 << 16)  # a province's workbooks repeat the same few hundred labels
def lookup(district: str, parent_label: str | None, label: str) -> CrosswalkEntry | None:
    """Most specific entry first: district and parent, district, parent, label alone."""
    entries = crosswalk()
    label_k = label_key(label)
    parent_k = label_key(parent_label) if isinstance(parent_label, str) else ""  # NaN from pandas: no parent
    for key in ((district, parent_k, label_k), (district, "", label_k), ("", parent_k, label_k), ("", "", label_k)):
        if key in entries:
            return entries[key]
    return None


def map_indicators(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Add indicator_code and definition_variant; a reported row with no entry gets a warning.

    Group rows (headings without figures) are not indicators and are left unmapped silently.
    """
    if frame.empty:
        return frame.assign(indicator_code=None, definition_variant=None), []
    entries = [lookup(*key) for key in zip(frame["source_district"], frame["parent_label"], frame["row_label"])]
    mapped = frame.assign(
        indicator_code=[e.indicator_code if e else None for e in entries],
        definition_variant=[e.definition_variant if e else None for e in entries],
    )
    findings = [
        Finding(
            "unmapped_indicator", f"the label {r.row_label!r} is not in the indicator crosswalk "
            "(schemas/indicator_crosswalk.csv); it is loaded without an indicator. See the view unmapped_labels for "
            "the closest indicators", r.source_sheet, int(r.source_row), r.label_column, r.row_label,
        ).as_record(r.source_district, r.source_file)
        for r in frame[mapped["indicator_code"].isna() & (frame["row_kind"] != "group")].itertuples()
    ]
    return mapped, findings + _missing_units(mapped)


def _missing_units(frame: pd.DataFrame) -> list[dict]:
    """A warning for each row with a figure but no unit anywhere (unit cell, figure cells, label).

    Its figures are still read, in the unit of its indicator in the catalogue when it has one (which
    the finding names), so the row can be judged against its own target; adding it to another
    district's figure waits for a unit (int_successor_figures refuses a figure without one).
    """
    figures = frame["actual_value"].notna() | frame["target_low"].notna() | frame["target_high"].notna()
    findings = []
    for r in frame[figures & frame["unit"].isna() & frame["unit_raw"].isna()].itertuples():
        indicator = indicators().get(r.indicator_code) if isinstance(r.indicator_code, str) else None
        unit = units().get(indicator["unit"]) if indicator else None
        where = (r.source_sheet, int(r.source_row), r.unit_column, None)
        finding = (said("missing_unit", "finding.missing_unit.catalogue_unit", *where,
                        unit={"vi": unit.name_vi, "en": unit.name_en}) if unit
                   else said("missing_unit", "finding.missing_unit.no_unit", *where))
        findings.append(finding.as_record(r.source_district, r.source_file))
    return findings
