"""Loaders for the reviewed data files in this folder (units, districts, table layouts)."""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flows.core.text import match_key

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Unit:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class HeaderRole:
    name: str
    title: str
    exact: tuple[str, ...]
    contains: tuple[str, ...]

    def matches(self, header_key: str) -> bool:
        return header_key in self.exact or any(word in header_key for word in self.contains)


@dataclass(frozen=True)
class Layout:
    roles: tuple[HeaderRole, ...]
    required: tuple[str, ...]

    def role(self, name: str) -> HeaderRole:
        return next(r for r in self.roles if r.name == name)


def _rows(name: str) -> list[dict[str, str]]:
    with open(HERE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(row for row in handle if not row.startswith("#")))


@cache
def units() -> dict[str, Unit]:
    """Unit catalogue keyed by code."""
    return {r["code"]: Unit(r["code"], r["name_vi"], r["name_en"]) for r in _rows("units.csv")}


@cache
def unit_aliases() -> dict[str, str]:
    """Normalised unit text (as written in workbooks) -> unit code."""
    aliases: dict[str, str] = {}
    for row in _rows("units.csv"):
        for alias in [row["name_vi"], *row["aliases"].split("|")]:
            aliases[_unit_key(alias)] = row["code"]
    return aliases


def _unit_key(text: str) -> str:
    return match_key(text).replace(" /", "/").replace("/ ", "/")


def unit_code(text: str) -> str | None:
    """The catalogue code for a unit as written, or None when the catalogue does not know it."""
    return unit_aliases().get(_unit_key(text)) if text.strip() else None


@dataclass(frozen=True)
class PlausibilityRule:
    rule: str
    unit: str
    label_contains: str
    min: float
    max: float
    hint: str
    fix_factor: float | None
    fix_rule: str


@cache
def plausibility_rules() -> tuple[PlausibilityRule, ...]:
    """Ranges a result must stay within for what it measures (schemas/plausibility.csv)."""
    return tuple(
        PlausibilityRule(r["rule"], r["unit"], match_key(r["label_contains"]), float(r["min"]), float(r["max"]),
                         r["hint"], float(r["fix_factor"]) if r["fix_factor"] else None, r["fix_rule"])
        for r in _rows("plausibility.csv")
    )


def broken_rule(unit: str | None, label: str, value: float) -> PlausibilityRule | None:
    """The first plausibility rule that value breaks for a row of this unit and label, if any."""
    key = match_key(label)
    return next((r for r in plausibility_rules()
                 if r.unit == unit and r.label_contains in key and not r.min <= value <= r.max), None)


VERDICT_STATUSES = ("met", "not_met", "hedged")


@cache
def verdict_words() -> dict[str, str]:
    """Each word that answers a target without a figure -> what it says: met, not_met or hedged
    (schemas/verdict_words.csv), in the catalogue's order."""
    return {r["word"]: r["status"] for r in _rows("verdict_words.csv")}


@cache
def districts() -> dict[str, dict[str, str]]:
    """Former districts keyed by the raw/ folder name that holds their workbooks."""
    return {r["code"]: r for r in _rows("districts.csv")}


def table(name: str) -> list[dict[str, str]]:
    """A reviewed data file of this folder as rows (comment lines starting with # skipped)."""
    return _rows(name)


@cache
def indicators() -> dict[str, dict[str, str]]:
    """The indicator catalogue keyed by indicator_code."""
    return {r["indicator_code"]: r for r in _rows("indicators.csv")}


@dataclass(frozen=True)
class CrosswalkEntry:
    indicator_code: str
    definition_variant: str | None


@cache
def crosswalk() -> dict[tuple[str, str, str], CrosswalkEntry]:
    """(source_district or "", parent label key or "", label key) -> catalogue indicator."""
    from flows.core.labels import label_key

    entries = {}
    for r in _rows("indicator_crosswalk.csv"):
        key = (r["source_district"], label_key(r["parent_label"]), label_key(r["label"]))
        entries[key] = CrosswalkEntry(r["indicator_code"], r["definition_variant"] or None)
    return entries


@cache
def layout() -> Layout:
    """Header words that identify each column of an indicator table."""
    data = tomllib.loads((HERE / "layouts.toml").read_text(encoding="utf-8"))
    roles = tuple(
        HeaderRole(
            r["name"], r["title"],
            tuple(match_key(w) for w in r.get("exact", [])),
            tuple(match_key(w) for w in r.get("contains", [])),
        )
        for r in data["role"]
    )
    return Layout(roles, tuple(data["required"]))
