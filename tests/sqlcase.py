"""Build a case database straight from a few literal rows, skipping ingest.

SQL rules are tested on 3-10 row tables: each test names the rows of the
landing tables it needs (times as text with their offset, money as text),
then runs the pipeline steps after loading.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from fundtrail import ingest, pipeline, review, sqlrun
from fundtrail.config import parse_case
from fundtrail.kinds import KINDS

TYPES = {"text": "VARCHAR", "ts": "TIMESTAMPTZ", "date": "DATE", "money": "DECIMAL(18, 2)"}


def build_case(tmp_path: Path, tables: dict[str, list[dict]], case: dict | None = None):
    """Landing tables from rows, then every step up to the marts; returns (connection, case, paths)."""
    config = parse_case({"case": {"id": "t", "timezone": "Asia/Shanghai"}, **(case or {})}, tmp_path)
    paths = pipeline.start_run(tmp_path / "out")
    with pipeline._connect(config, paths) as con:
        sources: dict[str, str] = {}
        for kind, columns in KINDS.items():
            ddl = ", ".join(f'"{c.name}" {TYPES[c.type]}' for c in columns if c.type != "direction")
            con.execute(f"create table landing_{kind} (source VARCHAR, source_row BIGINT, {ddl})")
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
        con.execute(
            "create table landing_quarantine (source VARCHAR, source_row BIGINT, \"column\" VARCHAR, value VARCHAR, reason VARCHAR)"
        )
        files = pl.DataFrame(
            {
                "path": list(sources),
                "sha256": [f"sha-{p}" for p in sources],
                "kind": list(sources.values()),
                "source_index": [1] * len(sources),
                "file_order": list(range(1, len(sources) + 1)),
                "rows_read": [0] * len(sources),
                "rows_quarantined": [0] * len(sources),
            }
        )
        con.register("files", files)
        con.execute(
            """create table input_files as select *, 0::DECIMAL(18,2) as amount_in, 0::DECIMAL(18,2) as amount_out,
               0::DECIMAL(18,2) as amount_quarantined, 0::BIGINT as placeholder_cells, null::VARCHAR as duplicate_of from files"""
        )
        # What ingest would have counted: every row inserted is read and loaded, with its money
        # (the column ingest sums: amount, else the kind's money column; statements split in and out).
        for kind, columns in KINDS.items():
            money = [c.name for c in columns if c.type == "money"]
            money = "amount" if "amount" in money else (money[0] if money else None)
            in_out = ("0", "0")
            if money and kind == "bank_statement":
                in_out = (f"sum({money}) filter (where {money} > 0)", f"-sum({money}) filter (where {money} < 0)")
            elif money:
                in_out = (f"sum({money})", "0")
            con.execute(
                f"""update input_files set rows_read = l.n, amount_in = coalesce(l.money_in, 0), amount_out = coalesce(l.money_out, 0)
                    from (select source, count(*) as n, {in_out[0]} as money_in, {in_out[1]} as money_out
                          from landing_{kind} group by source) as l
                    where l.source = input_files.path"""
            )
        pipeline._create_table(con, "statement_summaries", ingest.statement_summaries([]))
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
