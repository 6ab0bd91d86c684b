"""sql/core/statement_integrity.sql on hand-made postings.

Each test writes a few postings (times with their offset, money as text) and
states the findings worked out by hand from them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from fundtrail import sqlrun
from fundtrail.ingest import STATEMENT_SUMMARY_SCHEMA

COLUMNS = "kind, source, before_row, after_row, expected_balance, actual_balance, missing_amount"


def D(text: str) -> Decimal:
    return Decimal(text)


def build(postings: list[tuple], quarantined: list[tuple] = (), summaries: list[dict] = ()) -> duckdb.DuckDBPyConnection:
    """postings: (source, source_row, account_no, ts, amount, balance[, is_duplicate]); file_order follows first use."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    sqlrun.set_parameters(con, {"case_tz": "Asia/Shanghai"})
    con.execute(
        "create table postings (posting_id VARCHAR, source VARCHAR, source_row BIGINT, file_order BIGINT, "
        "account_no VARCHAR, ts TIMESTAMPTZ, amount DECIMAL(18,2), balance DECIMAL(18,2), is_duplicate BOOLEAN)"
    )
    order: dict[str, int] = {}
    for source, row, account, ts, amount, balance, *dup in postings:
        order.setdefault(source, len(order) + 1)
        con.execute(
            "insert into postings values (?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::DECIMAL(18,2), ?::DECIMAL(18,2), ?)",
            [f"{source}:{row}", source, row, order[source], account, ts, amount, balance, bool(dup and dup[0])],
        )
    con.execute("create table landing_quarantine (source VARCHAR, source_row BIGINT, \"column\" VARCHAR, value VARCHAR, reason VARCHAR)")
    for source, row in quarantined:
        con.execute("insert into landing_quarantine values (?, ?, 'ts', 'x', 'bad time')", [source, row])
    frame = pl.DataFrame(list(summaries), schema=STATEMENT_SUMMARY_SCHEMA)
    con.register("summaries", frame)
    con.execute("create table statement_summaries as select * from summaries")
    sqlrun.build(con, ["statement_integrity"])
    return con


def findings(con: duckdb.DuckDBPyConnection, columns: str = COLUMNS) -> list[tuple]:
    return con.execute(f"select {columns} from statement_integrity order by all").fetchall()


def test_newest_first_file_break_located_between_chronological_neighbours():
    # Newest first. Chronologically: row 5 (bal 100), row 4 +50 -> 150, row 3 -30 -> 120 expected,
    # but row 3 shows 100: 20.00 left the account in rows missing between 4 and 3.
    con = build([
        ("a.csv", 3, "A", "2024-01-03 10:00:00+08", "-30.00", "100.00"),
        ("a.csv", 4, "A", "2024-01-02 10:00:00+08", "50.00", "150.00"),
        ("a.csv", 5, "A", "2024-01-01 10:00:00+08", "100.00", "100.00"),
    ])
    assert findings(con) == [("balance_break", "a.csv", "a.csv:4", "a.csv:3", D("120.00"), D("100.00"), D("-20.00"))]
    assert "newest-first" in con.execute("select detail from statement_integrity").fetchone()[0]


def test_order_is_decided_by_the_balances_when_times_tie():
    # Same timestamp on every row: read top-down, 10 + 5 = 15, 15 - 3 = 12 all chain; bottom-up would break.
    con = build([
        ("a.csv", 2, "A", "2024-01-01 10:00:00+08", "10.00", "10.00"),
        ("a.csv", 3, "A", "2024-01-01 10:00:00+08", "5.00", "15.00"),
        ("a.csv", 4, "A", "2024-01-01 10:00:00+08", "-3.00", "12.00"),
    ])
    assert findings(con) == []


def test_rows_without_balance_add_their_amounts_to_the_next_balance():
    # 100 -> (+10, no balance) -> (+5, shows 115): 100 + 10 + 5 = 115, no break.
    # then -> (-1, shows 110): 115 - 1 = 114 expected, 110 shown: -4.00 missing.
    con = build([
        ("a.csv", 2, "A", "2024-01-01 10:00:00+08", "100.00", "100.00"),
        ("a.csv", 3, "A", "2024-01-01 11:00:00+08", "10.00", None),
        ("a.csv", 4, "A", "2024-01-01 12:00:00+08", "5.00", "115.00"),
        ("a.csv", 5, "A", "2024-01-01 13:00:00+08", "-1.00", "110.00"),
    ])
    assert findings(con) == [("balance_break", "a.csv", "a.csv:4", "a.csv:5", D("114.00"), D("110.00"), D("-4.00"))]


def test_quarantined_rows_between_a_break_are_named():
    # Row 3 (a -25.00 row with a bad time) was quarantined: the chain misses it between rows 2 and 4.
    con = build(
        [
            ("a.csv", 2, "A", "2024-01-01 10:00:00+08", "100.00", "100.00"),
            ("a.csv", 4, "A", "2024-01-01 12:00:00+08", "-5.00", "70.00"),
        ],
        quarantined=[("a.csv", 3), ("b.csv", 3)],
    )
    assert findings(con) == [("balance_break", "a.csv", "a.csv:2", "a.csv:4", D("95.00"), D("70.00"), D("-25.00"))]
    assert con.execute("select detail from statement_integrity").fetchone()[0].endswith("1 quarantined row(s) lie between them")


def test_each_account_of_a_multi_account_file_is_its_own_chain():
    con = build([
        ("q.csv", 2, "A", "2024-01-01 10:00:00+08", "10.00", "10.00"),
        ("q.csv", 3, "B", "2024-01-01 10:05:00+08", "7.00", "7.00"),
        ("q.csv", 4, "A", "2024-01-01 10:10:00+08", "1.00", "11.00"),
        ("q.csv", 5, "B", "2024-01-01 10:15:00+08", "1.00", "9.00"),  # 7 + 1 = 8 expected
    ])
    assert findings(con) == [("balance_break", "q.csv", "q.csv:3", "q.csv:5", D("8.00"), D("9.00"), D("1.00"))]


def test_gap_between_statements_with_and_without_balance_carrying_over():
    # Jan statement ends 01-10 at 100; Feb statement starts 02-05 with +10 at 110: 100 + 10 = 110, nothing
    # missing, but 01-11 .. 02-04 (25 days) is covered by no statement.
    # Mar statement starts 03-01 with -5 at 90: 110 - 5 = 105 expected: -15.00 missing; 02-06 .. 02-28 uncovered.
    con = build([
        ("jan.csv", 2, "A", "2024-01-10 10:00:00+08", "100.00", "100.00"),
        ("feb.csv", 2, "A", "2024-02-05 10:00:00+08", "10.00", "110.00"),
        ("mar.csv", 2, "A", "2024-03-01 10:00:00+08", "-5.00", "90.00"),
    ])
    assert findings(con) == [
        ("statement_gap", "feb.csv", "jan.csv:2", "feb.csv:2", D("110.00"), D("110.00"), D("0.00")),
        ("statement_gap", "mar.csv", "feb.csv:2", "mar.csv:2", D("105.00"), D("90.00"), D("-15.00")),
    ]
    details = [r[0] for r in con.execute("select detail from statement_integrity order by source").fetchall()]
    assert "covers 2024-01-11 to 2024-02-04 (25 day(s))" in details[0]
    assert "nothing is missing" in details[0]
    assert "-15.00 unaccounted for" in details[1]


def test_adjacent_statements_whose_balance_does_not_carry_over():
    # 01-31 ends at 50; 02-01 first row +5 shows 60: 55 expected, 5.00 unaccounted for. No calendar gap.
    con = build([
        ("jan.csv", 2, "A", "2024-01-31 22:00:00+08", "50.00", "50.00"),
        ("feb.csv", 2, "A", "2024-02-01 09:00:00+08", "5.00", "60.00"),
    ])
    assert findings(con) == [("balance_break", "feb.csv", "jan.csv:2", "feb.csv:2", D("55.00"), D("60.00"), D("5.00"))]


def test_overlapping_statements_count_rows_inside_and_repeated():
    # First export 01-01 .. 01-05; second 01-04 .. 01-08: its rows on 01-04 and 01-05 fall inside,
    # one of them repeats the first export (is_duplicate), the other does not.
    con = build([
        ("x1.csv", 2, "A", "2024-01-01 10:00:00+08", "10.00", None),
        ("x1.csv", 3, "A", "2024-01-05 10:00:00+08", "10.00", None),
        ("x2.csv", 2, "A", "2024-01-04 10:00:00+08", "3.00", None),
        ("x2.csv", 3, "A", "2024-01-05 10:00:00+08", "10.00", None, True),
        ("x2.csv", 4, "A", "2024-01-08 10:00:00+08", "1.00", None),
    ])
    assert findings(con, "kind, source, before_row, after_row") == [("statement_overlap", "x2.csv", "x1.csv:3", "x2.csv:2")]
    assert con.execute("select detail from statement_integrity").fetchone()[0].endswith(
        "2 of its 3 rows fall inside, 1 of them repeat earlier rows"
    )


def test_stated_periods_decide_coverage():
    # Rows only on 01-05 and 02-20. Without stated periods 01-06 .. 02-19 is a gap; with the exports
    # stating 01-01..01-31 and 02-01..02-29 (Shanghai) every day is covered.
    postings = [
        ("jan.csv", 2, "A", "2024-01-05 10:00:00+08", "1.00", None),
        ("feb.csv", 2, "A", "2024-02-20 10:00:00+08", "1.00", None),
    ]
    assert findings(build(postings), "kind") == [("statement_gap",)]
    summary = {k: None for k in STATEMENT_SUMMARY_SCHEMA}
    stated = [
        {**summary, "path": "jan.csv", "account_no": "A",
         "period_start": _utc("2023-12-31 16:00:00"), "period_end": _utc("2024-01-31 15:59:59")},
        {**summary, "path": "feb.csv", "account_no": "A",
         "period_start": _utc("2024-01-31 16:00:00"), "period_end": _utc("2024-02-29 15:59:59")},
    ]
    assert findings(build(postings, summaries=stated)) == []


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def test_summary_mismatch_and_rows_outside_the_stated_period():
    summary = {k: None for k in STATEMENT_SUMMARY_SCHEMA}
    con = build(
        [
            ("w.csv", 18, "W", "2024-03-01 10:00:00+08", "-5.00", None),
            ("w.csv", 19, "W", "2024-04-02 10:00:00+08", "-6.00", None),  # after the period's end
        ],
        summaries=[{
            **summary, "path": "w.csv", "account_no": "W",
            "period_start": _utc("2024-02-29 16:00:00"), "period_end": _utc("2024-03-31 15:59:59"),
            "stated_count": 3, "rows_count": 2, "stated_out_amount": D("11.00"), "rows_out_amount": D("11.00"),
            "stated_in_count": 0, "rows_in_count": 0,
        }],
    )
    assert findings(con, "kind, source, before_row, after_row, stated, found") == [
        ("outside_stated_period", "w.csv", "w.csv:19", "w.csv:19", "2024-03-01 00:00:00 to 2024-03-31 23:59:59", "1"),
        ("summary_mismatch", "w.csv", None, None, "3", "2"),
    ]


@pytest.mark.parametrize("balance", ["100.00", None])
def test_a_single_row_statement_has_nothing_to_check(balance):
    con = build([("a.csv", 2, "A", "2024-01-01 10:00:00+08", "100.00", balance)])
    assert findings(con) == []
