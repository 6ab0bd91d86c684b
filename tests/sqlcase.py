"""Build a case database straight from a few literal rows, skipping ingest.

SQL rules are tested on 3-10 row tables: each test names the rows of the
landing tables it needs (times as text with their offset, money as text),
then runs the pipeline steps after loading. ``case_toml`` writes the
case.toml of the tests that go through ingest from a case folder instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from fundtrail import ingest, pipeline, review, sqlrun
from fundtrail.config import parse_case
from fundtrail.kinds import KINDS, SQL_TYPES, money_column, signed_money, staged_columns


def build_case(tmp_path: Path, tables: dict[str, list[dict]], case: dict | None = None):
    """Landing tables from rows, then every step up to the marts; returns (connection, case, paths)."""
    config = parse_case({"case": {"id": "t", "timezone": "Asia/Shanghai"}, **(case or {})}, tmp_path)
    paths = pipeline.start_run(tmp_path / "out")
    with pipeline._connect(config, paths) as con:
        sources: dict[str, str] = {}
        for kind in KINDS:
            ddl = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in staged_columns(kind))
            con.execute(f"create table landing_{kind} ({ddl})")
            rows = tables.get(kind, [])
            next_row: dict[str, int] = {}
            for row in rows:
                row = {"source": f"{kind}.csv", **row}
                next_row[row["source"]] = next_row.get(row["source"], 1) + 1  # line 1 is the header
                row["source_row"] = next_row[row["source"]]
                sources[row["source"]] = kind
                names = ", ".join(f'"{k}"' for k in row)
                marks = ", ".join("?" for _ in row)
                con.execute(f"insert into landing_{kind} ({names}) values ({marks})", list(row.values()))
        sqlrun.create_table(con, "landing_quarantine", pl.DataFrame(schema=ingest.QUARANTINE_SCHEMA))
        files = pl.DataFrame(
            [
                {"path": path, "sha256": f"sha-{path}", "kind": kind, "source_index": 1, "file_order": order,
                 "rows_read": 0, "rows_quarantined": 0, "placeholder_cells": 0, "blank_rows": 0, "footer_rows": 0}
                for order, (path, kind) in enumerate(sources.items(), start=1)
            ],
            schema=ingest.INPUT_FILES_SCHEMA,
        ).with_columns(pl.col("^amount_.*$").fill_null(0))
        sqlrun.create_table(con, "input_files", files)
        # What ingest would have counted: every row inserted is read and loaded, with its money
        # (the column ingest sums; signed money split in and out, other kinds put their sum in).
        for kind in KINDS:
            money = money_column(kind)
            money_in, money_out = ("0", "0")
            if money and signed_money(kind):
                money_in, money_out = f"sum({money}) filter (where {money} > 0)", f"-sum({money}) filter (where {money} < 0)"
            elif money:
                money_in = f"sum({money})"
            con.execute(
                f"""update input_files set rows_read = l.n, amount_in = coalesce(l.money_in, 0), amount_out = coalesce(l.money_out, 0)
                    from (select source, count(*) as n, {money_in} as money_in, {money_out} as money_out
                          from landing_{kind} group by source) as l
                    where l.source = input_files.path"""
            )
        sqlrun.create_table(con, "statement_summaries", ingest.statement_summaries([]))
        sqlrun.build(con, [f"stg_{kind}" for kind in KINDS])
        review.apply_exclusions(con)  # as pipeline.load_database does once it has loaded the landing tables
    pipeline.check_roster(config, paths)
    pipeline.build_transfers(config, paths)
    pipeline.match_entries(config, paths)
    pipeline.build_marts(config, paths)
    con = duckdb.connect(str(paths.db))
    con.execute(f"SET TimeZone = '{config.timezone}'")
    return con, config, paths


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# Accounts, organisation and row builders shared by the rule tests.
GANG = "6222000000000001"
GANG_2 = "6222000000000002"
VICTIM_A = "6217000000000011"
VICTIM_A2 = "6217000000000012"
VICTIM_B = "6217000000000022"
STRANGER = "6217000000000099"
ONWARD = "6230000000000777"
# The tracing tests' three victims and two laundering layers.
VICTIM_C = "6217000000000033"
LAYER_1 = "6230000000000101"
LAYER_2 = "6230000000000102"
VICTIMS = [
    {"victim_id": "V1", "name": "张三", "account_no": VICTIM_A},
    {"victim_id": "V2", "name": "李四", "account_no": VICTIM_B},
    {"victim_id": "V3", "name": "王五", "account_no": VICTIM_C},
]

UNITS = [
    {"unit_id": "G", "name": "gang", "kind": "gang", "parent_id": None},
    {"unit_id": "D1", "name": "dept 1", "kind": "department", "parent_id": "G"},
    {"unit_id": "G1", "name": "group 1", "kind": "group", "parent_id": "D1"},
    {"unit_id": "G2", "name": "group 2", "kind": "group", "parent_id": "D1"},
]


def statement(account, ts, amount, counterparty, ref=None, source="bank.csv", **extra):
    return {"source": source, "account_no": account, "ts": ts, "amount": amount,
            "counterparty_account": counterparty, "txn_ref": ref, **extra}


def entry(ts, amount, code="X", **extra):
    return {"ts": ts, "amount": amount, "member_code": code, **extra}


def member(defendant, code, unit, frm, to=None, role="staff", name=None):
    return {"defendant_id": defendant, "name": name or defendant, "role": role, "unit_id": unit,
            "member_code": code, "valid_from": frm, "valid_to": to}


# The organisation's sources as the file-level tests lay a case folder out.
ORG_SOURCES = [
    {"kind": "units", "path": "org/units.csv"},
    {"kind": "roster", "path": "org/roster.csv"},
    {"kind": "victims", "path": "victims.csv"},
    {"kind": "gang_accounts", "path": "gang.csv"},
]


def source_tables(sources: list[dict[str, str]]) -> str:
    """A [[source]] table per source, its keys in order (JSON strings are TOML basic strings)."""
    return "".join(
        "\n[[source]]\n" + "".join(f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in source.items())
        for source in sources
    )


def case_toml(case_id: str, sources: list[dict[str, str]]) -> str:
    """case.toml of a Shanghai case with these sources."""
    return f'[case]\nid = "{case_id}"\ntimezone = "Asia/Shanghai"\n' + source_tables(sources)
