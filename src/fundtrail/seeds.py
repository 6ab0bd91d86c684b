"""The seed tables, ``sql/seeds/<name>.csv``: data the rules read, kept once.

Roles, liability bases, tiers and record categories live there. ``sqlrun``
makes each seed a table when a model uses it; Python reads the same rows with
``seed_rows``. This module needs nothing of fundtrail's but ``resources``, so
``kinds`` (which ``sqlrun`` imports) can take a column's values from a seed.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

from fundtrail.resources import resource_dir

SEED_FOLDER = "seeds"


@cache
def seed_files(sql_root: Path | None = None) -> dict[str, Path]:
    """Every ``sql/seeds/<name>.csv`` by name, in name order."""
    root = sql_root or resource_dir("sql")
    return {path.stem: path for path in sorted((root / SEED_FOLDER).glob("*.csv"))}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def seed_rows(name: str, sql_root: Path | None = None) -> list[dict[str, str]]:
    """The rows of ``sql/seeds/<name>.csv`` in file order, every value text."""
    return csv_rows(seed_files(sql_root)[name].read_text(encoding="utf-8"))


def seed_values(name: str, sql_root: Path | None = None) -> tuple[str, ...]:
    """The seed's first column, in file order: the values it lists (a role, a tier, a category)."""
    rows = seed_rows(name, sql_root)
    return tuple(next(iter(row.values())) for row in rows)
