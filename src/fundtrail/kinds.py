"""Canonical columns of every source kind (case-format.md, "Kinds and canonical columns").

The kinds are declared once, in ``kinds.toml`` beside this file (its header
says what each key means); this module reads it. The loader checks headers
against it and parses each column by its type, ``staged_columns`` is what
landing and staging hold, and ``fundtrail.staging`` makes the staging views,
their expectation suites and the docs' column tables from it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fundtrail.seeds import seed_values

ColumnType = Literal["text", "ts", "date", "money", "direction", "row"]

SCHEMA_FILE = Path(__file__).with_name("kinds.toml")
COLUMN_KEYS = {"name", "type", "required", "needed", "identifier", "keep_text", "values", "seed", "meaning"}
CELL_TYPES = ("text", "ts", "date", "money", "direction")
# DuckDB types of staged columns; "row" is source_row, the physical row a loaded row came from.
SQL_TYPES = {"text": "VARCHAR", "ts": "TIMESTAMPTZ", "date": "DATE", "money": "DECIMAL(18,2)", "row": "BIGINT"}
# Suffix of a staged column holding a cell's text as written (keep_text).
TEXT_SUFFIX = "_text"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    identifier: bool = False
    keep_text: bool = False
    values: tuple[str, ...] = ()
    needed: str = ""
    meaning: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    grain: str
    columns: tuple[Column, ...]


def _read_schema(path: Path) -> dict[str, Kind]:
    declared = tomllib.loads(path.read_text(encoding="utf-8"))
    kinds = {}
    for name, body in declared.items():
        columns = []
        for spec in body["columns"]:
            unknown = set(spec) - COLUMN_KEYS
            if unknown or spec["type"] not in CELL_TYPES:
                raise ValueError(f"{path}: {name}.{spec['name']}: unknown keys {unknown} or type {spec['type']!r}")
            seed = spec.pop("seed", None)
            values = seed_values(seed) if seed else tuple(spec.get("values", ()))
            columns.append(Column(**{**spec, "values": values}))
        kinds[name] = Kind(name, body["grain"], tuple(columns))
    return kinds


SCHEMA: dict[str, Kind] = _read_schema(SCHEMA_FILE)
KINDS: dict[str, tuple[Column, ...]] = {name: kind.columns for name, kind in SCHEMA.items()}
ROW_IDENTITY = (Column("source", "text", required=True), Column("source_row", "row", required=True))


def column(kind: str, name: str) -> Column:
    for col in KINDS[kind]:
        if col.name == name:
            return col
    raise KeyError(f"{kind} has no column {name}")


def required_columns(kind: str) -> list[str]:
    return [c.name for c in KINDS[kind] if c.required]


def staged_columns(kind: str) -> tuple[Column, ...]:
    """What landing_<kind> and stg_<kind> hold, in order: the row identity, every canonical
    column but ``direction`` (bank amounts are signed: + in, - out), then the kept texts."""
    kept = tuple(Column(c.name + TEXT_SUFFIX, "text") for c in KINDS[kind] if c.keep_text)
    return (*ROW_IDENTITY, *(c for c in KINDS[kind] if c.type != "direction"), *kept)


def money_column(kind: str) -> str | None:
    """The money column a kind's control totals sum: ``amount``, else its first money column, if any."""
    names = [c.name for c in KINDS[kind] if c.type == "money"]
    if "amount" in names:
        return "amount"
    return names[0] if names else None


def signed_money(kind: str) -> bool:
    """Whether the kind's money is signed, + in and − out: its amount may be read with a direction."""
    return any(c.type == "direction" for c in KINDS[kind])


ROLES = column("roster", "role").values
UNIT_KINDS = column("units", "kind").values
RECORD_CATEGORIES = column("records", "category").values
DECISION_ACTIONS = column("decisions", "action").values
CURRENCY_ALIASES = {"CNY", "RMB", "人民币", "¥", "￥", "元"}
