"""Statement integrity findings: the auditor's view beside the ``statement_integrity`` suite.

A finding (a balance that does not chain, days no statement covers, two
statements that overlap, a preamble that disagrees with its rows) is a fact
about the evidence, not a fault of the run: the suite only checks the table's
shape, and this section shows the findings themselves. Counts are grouped in
DuckDB; only the grouped rows and the first FINDINGS_SHOWN findings reach
Python. Account numbers are masked (``6222 **** **** 1234``) and runs of nine or
more digits in file names, row ids and sentences are cut to their ends, as in
report.html: the validation report has no ``--unmask``; statement_integrity.csv
and case.duckdb hold the full values.
"""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

from fundtrail.reports.mask import account_expr, digit_runs_expr

TABLE = "statement_integrity"
FINDINGS_SHOWN = 200
ACCOUNTS_SHOWN = 200
# In the order the page lists them; the suite's kind_in_set check holds the same list.
KINDS = ("balance_break", "statement_gap", "statement_overlap", "summary_mismatch", "outside_stated_period")
# The connection's TimeZone stays UTC for GX; times are shown in the case zone when the caller set it.
CASE_TZ = "coalesce(getvariable('case_tz'), 'UTC')"


def statement_findings(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Findings counted by kind and by account, and the first FINDINGS_SHOWN of them, masked.

    Keys: ``findings`` (all of them), ``accounts`` (accounts with a finding), ``timezone``
    (of the times shown); ``by_kind`` (kind, findings, accounts; every known kind, 0 included,
    then any unknown one); ``by_account`` (account_no, findings, files and one count per known
    kind), cut at ACCOUNTS_SHOWN; ``listed``: findings (account_no, kind, source, before_row,
    after_row, before_time, after_time, expected_balance, actual_balance, missing_amount,
    stated, found, detail), money as exact decimal strings, cut at FINDINGS_SHOWN.
    """
    # A finding without an account (the suite reports it) still gets a row of its own below.
    [(findings, accounts, timezone)] = con.execute(
        f"select count(*), count(distinct account_no) + (count(*) > count(account_no))::INTEGER, {CASE_TZ} "
        f"from {TABLE}"
    ).fetchall()
    known = ", ".join(f"('{kind}', {order})" for order, kind in enumerate(KINDS))
    by_kind = _rows(con, f"""
        with counted as (
            select kind, count(*) as findings, count(distinct account_no) as accounts from {TABLE} group by kind
        )
        select coalesce(k.kind, c.kind) as kind, coalesce(c.findings, 0) as findings,
               coalesce(c.accounts, 0) as accounts
        from (values {known}) as k(kind, kind_order)
        full join counted as c on c.kind is not distinct from k.kind
        order by k.kind_order nulls last, c.kind
        """)
    per_kind = ", ".join(f"count(*) filter (where kind = '{kind}') as {kind}" for kind in KINDS)
    by_account = _masked(_frame(con, f"""
        select account_no, count(*) as findings, count(distinct source) as files, {per_kind}
        from {TABLE} group by account_no
        order by findings desc, account_no nulls last
        limit {ACCOUNTS_SHOWN}
        """))
    kind_order = "case kind " + " ".join(f"when '{kind}' then {n}" for n, kind in enumerate(KINDS)) + " end"
    listed = _masked(_frame(con, f"""
        select account_no, kind, source, before_row, after_row,
               strftime(timezone({CASE_TZ}, before_ts), '%Y-%m-%d %H:%M:%S') as before_time,
               strftime(timezone({CASE_TZ}, after_ts), '%Y-%m-%d %H:%M:%S') as after_time,
               expected_balance::VARCHAR as expected_balance, actual_balance::VARCHAR as actual_balance,
               missing_amount::VARCHAR as missing_amount, stated, found, detail
        from {TABLE}
        order by account_no nulls last, {kind_order} nulls last, kind, source,
                 coalesce(before_ts, after_ts), before_row, after_row
        limit {FINDINGS_SHOWN}
        """))
    return {
        "findings": findings,
        "accounts": accounts,
        "timezone": timezone,
        "by_kind": by_kind,
        "by_account": by_account,
        "listed": listed,
    }


def findings_summary(details: dict[str, Any]) -> dict[str, Any]:
    """The counts for manifest.json (its statement_integrity section lists the findings themselves)."""
    return {
        "findings": details["findings"],
        "accounts": details["accounts"],
        "by_kind": {row["kind"]: row["findings"] for row in details["by_kind"]},
    }


def _rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _frame(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    return con.sql(query).pl()


def _masked(frame: pl.DataFrame) -> list[dict[str, Any]]:
    texts = [c for c in ("source", "before_row", "after_row", "detail") if c in frame.columns]
    return frame.with_columns(
        account_expr(pl.col("account_no")).alias("account_no"),
        *(digit_runs_expr(pl.col(c)).alias(c) for c in texts),
    ).to_dicts()
