"""What is made from the declared kinds (kinds.toml): staging views, their suites' column checks, the docs' tables.

- ``view_sql(kind)``: the SQL of ``stg_<kind>``, a view over ``landing_<kind>`` that casts
  each staged column to its type. ``sqlrun`` lists these views among the models, so they are
  built like any file under sql/ (docs/design.md says why the layer stays).
- ``staged_money_sql()``: the view ``staged_money``, every staged row's file and money, over
  all the stg views (``staged_files`` counts it against what ingest loaded).
- ``suite(kind, own_checks)``: the expectation suite ``expectations/stg_<kind>.json``: the
  checks every kind gets from its columns (exact columns and types, required columns never
  empty, row identity, ``values``), then the kind's own checks written in the file by hand.
- ``column_table(kind)``: the kind's column table in docs/case-format.md.
- ``with_seeded_values(name, suite)``: a mart suite whose value checks list what a seed lists
  (roles, bases, tiers, categories: ``SEEDED_CHECKS``), those lists made from the seed.

The suites and the docs are checked-in files (GX reads suites from expectations/, users read
docs/); ``python -m fundtrail.staging`` rewrites what of them comes from kinds.toml and the
seeds, and the tests fail while a file differs from what it would write.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from fundtrail.kinds import KINDS, ROW_IDENTITY, SCHEMA, SQL_TYPES, Column, money_column, signed_money, staged_columns
from fundtrail.seeds import seed_values

# How DuckDB's DESCRIBE names each staged type (regular expressions, as the check matches them).
DESCRIBED_TYPES = {
    "VARCHAR": "VARCHAR",
    "BIGINT": "BIGINT",
    "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
    "DATE": "DATE",
    "DECIMAL(18,2)": r"DECIMAL\(18,2\)",
}
REPO = Path(__file__).resolve().parents[2]
# The mart suites' checks whose values are a seed's: (suite, check) → seed (sql/seeds/<seed>.csv).
# A check lists them in its value_set, or in its query's `not in (...)`, and its description.
SEEDED_CHECKS = {
    ("defendants", "roles_known"): "roles",
    ("defendants", "liable_basis_in_set"): "liability_bases",
    ("defendants", "tier_in_set"): "fraud_tiers",
    ("info_defendants", "tier_in_set"): "info_tiers",
    ("info_records", "category_in_set"): "record_categories",
}
SEEDED_SUITES = tuple(dict.fromkeys(suite for suite, _ in SEEDED_CHECKS))


def view_sql(kind: str) -> str:
    header = (
        f"-- stg_{kind}: {SCHEMA[kind].grain}.\n"
        f"-- Inputs: landing_{kind} (written by ingest from the case's {kind} sources).\n"
        "-- Made by fundtrail.staging from src/fundtrail/kinds.toml: each staged column cast to its type;\n"
        "-- parsing and quarantine happened in ingest.\n"
    )
    columns = ",\n".join(f"    {c.name}::{SQL_TYPES[c.type]} as {c.name}" for c in staged_columns(kind))
    return header + f"create or replace view stg_{kind} as\nselect\n{columns}\nfrom landing_{kind};\n"


def staged_money_sql() -> str:
    header = (
        "-- staged_money: one row per staged row of every kind: its file, its money and whether that money\n"
        "-- is signed (+ in, - out). The money is the column ingest sums (kinds.money_column: amount, else\n"
        "-- the kind's only money column); null where the kind has none.\n"
        "-- Inputs: every stg_<kind>. Made by fundtrail.staging from src/fundtrail/kinds.toml.\n"
    )
    selects = []
    for kind in KINDS:
        signed = "true" if signed_money(kind) else "false"
        money = f"{money_column(kind) or 'null'}::{SQL_TYPES['money']}"
        selects.append(f"select source, {signed} as signed, {money} as money from stg_{kind}")
    union = "\nunion all\n".join(selects)
    return header + f"create or replace view staged_money as\n{union};\n"


def suite(kind: str, own_checks: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole suite of stg_<kind>: the checks its columns imply, then ``own_checks``."""
    staged = staged_columns(kind)
    types = ", ".join(f"('{c.name}', '{DESCRIBED_TYPES[SQL_TYPES[c.type]]}')" for c in staged)
    derived = [
        _check(
            "columns",
            "expect_table_columns_to_match_ordered_list",
            {"column_list": [c.name for c in staged]},
            "The table has exactly these columns, in this order.",
        ),
        _check(
            "column_types",
            "unexpected_rows_expectation",
            {
                "unexpected_rows_query": "with batch_rows as (select * from {batch}) select e.column_name, "
                f"e.expected_type, d.column_type from (values {types}) as e(column_name, expected_type) "
                "left join (describe select * from batch_rows) as d using (column_name) "
                "where d.column_type is null or not regexp_full_match(d.column_type, e.expected_type)"
            },
            "Every column has its contract type (money DECIMAL(18,2), times TIMESTAMPTZ, days DATE).",
        ),
        *(
            _check(f"{c.name}_not_null", "expect_column_values_to_not_be_null", {"column": c.name},
                   f"{c.name} is never empty.")
            for c in staged
            if c.required
        ),
        _check(
            "source_row_min",
            "expect_column_values_to_be_between",
            {"column": "source_row", "min_value": 1},
            "source_row is at least 1.",
        ),
        _check(
            "row_identity_unique",
            "expect_compound_columns_to_be_unique",
            {"column_list": [c.name for c in ROW_IDENTITY]},
            "A file row is loaded at most once (source, source_row).",
        ),
        *(
            _check(f"{c.name}_in_set", "expect_column_values_to_be_in_set",
                   {"column": c.name, "value_set": list(c.values)}, f"{c.name} is one of: {', '.join(c.values)}.")
            for c in staged
            if c.values
        ),
    ]
    names = {c["meta"]["check"] for c in derived}
    clashing = sorted(names & {c["meta"]["check"] for c in own_checks})
    if clashing:
        raise ValueError(f"stg_{kind}: checks {clashing} come from kinds.toml and cannot be written by hand")
    return {
        "name": f"stg_{kind}",
        "meta": {
            "key_columns": [c.name for c in ROW_IDENTITY],
            "purpose": f"{kind} rows as loaded (renamed and cast, nothing dropped).",
        },
        "expectations": [*derived, *own_checks],
    }


def with_seeded_values(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Suite ``name`` with the values of each of its SEEDED_CHECKS made from the seed, in seed order."""
    expectations = []
    for check in data["expectations"]:
        seed = SEEDED_CHECKS.get((name, check["meta"]["check"]))
        if seed is not None:
            values = seed_values(seed)
            kwargs = dict(check["kwargs"])
            if "value_set" in kwargs:
                kwargs["value_set"] = list(values)
            else:
                quoted = ", ".join(f"'{value}'" for value in values)
                kwargs["unexpected_rows_query"] = re.sub(
                    r"not in \('[^)]*'\)", f"not in ({quoted})", kwargs["unexpected_rows_query"]
                )
            description = re.sub(r"one of: [^.]*\.", f"one of: {', '.join(values)}.", check["description"])
            check = {**check, "kwargs": kwargs, "description": description}
        expectations.append(check)
    return {**data, "expectations": expectations}


def own_checks(kind: str, written: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks of a suite file that its kind's columns do not imply: the ones written by hand."""
    derived = {c["meta"]["check"] for c in suite(kind, [])["expectations"]}
    return [c for c in written.get("expectations", []) if c.get("meta", {}).get("check") not in derived]


def suite_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _check(name: str, type_: str, kwargs: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": type_, "kwargs": kwargs, "description": description, "meta": {"check": name}}


def column_table(kind: str) -> str:
    lines = ["| column | type | required | meaning |", "|---|---|---|---|"]
    for col in KINDS[kind]:
        cells = [f"`{col.name}`", col.type, col.needed or ("yes" if col.required else "no"), _meaning(col)]
        lines.append("| " + " | ".join(cells).rstrip() + " |")
    return "\n".join(lines) + "\n"


def _meaning(col: Column) -> str:
    if not col.values:
        return col.meaning
    *rest, last = (f"`{v}`" for v in col.values)
    return col.meaning.replace("{values}", f"{', '.join(rest)} or {last}" if rest else last)


def with_column_tables(doc: str) -> str:
    """docs/case-format.md with the first table under each kind's heading (### `kind`) made from kinds.toml."""
    for kind in KINDS:
        heading = re.search(rf"^### `{kind}`\n", doc, flags=re.M)
        if heading is None:
            raise ValueError(f"case-format.md has no heading ### `{kind}`")
        table = re.compile(r"^\|.*\|\n(?:\|.*\|\n)*", flags=re.M).search(doc, heading.end())
        if table is None:
            raise ValueError(f"case-format.md: no column table under ### `{kind}`")
        doc = doc[: table.start()] + column_table(kind) + doc[table.end() :]
    return doc


def write_files(repo: Path = REPO) -> list[Path]:
    """Rewrite the suites and the docs' column tables from kinds.toml and the seeds; returns the files that changed."""
    changed = []
    for kind in KINDS:
        path = repo / "expectations" / f"stg_{kind}.json"
        written = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        changed += _write(path, suite_text(suite(kind, own_checks(kind, written))))
    for name in SEEDED_SUITES:
        path = repo / "expectations" / f"{name}.json"
        changed += _write(path, suite_text(with_seeded_values(name, json.loads(path.read_text(encoding="utf-8")))))
    doc = repo / "docs" / "case-format.md"
    changed += _write(doc, with_column_tables(doc.read_text(encoding="utf-8")))
    return changed


def _write(path: Path, text: str) -> list[Path]:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return []
    path.write_text(text, encoding="utf-8")
    return [path]


if __name__ == "__main__":
    if not (REPO / "docs" / "case-format.md").is_file():
        sys.exit("python -m fundtrail.staging rewrites files of a fundtrail checkout; none found here")
    for written_path in write_files():
        print(f"wrote {written_path.relative_to(REPO)}")
