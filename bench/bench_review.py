"""Time the `unvalidated` mart (rules.md §9 reasons) at the scale of a large case.

Not a test. Run: .venv/bin/python bench/bench_review.py [entries] [payments] [unvalidated_share]

Synthetic tables stand in for what the pipeline builds before the marts: `deposit_entries`,
`case_payments`, `entries` (status), `entry_matches`, `decision_pairs`. Amounts are drawn so a
third are a handful of round values (1,000, 5,000 ...), the rest spread over 100..50,000 in
whole yuan: the round ones are what would make a same-amount cross join explode. Times spread
over a year; payments are spread over 150 files of 20,000 rows. The matching is faked (validated
entries take payments in row order), so some unvalidated entries have a free candidate and no
reason: the count of NULL reasons here says nothing about the rule, only the time does.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from fundtrail import sqlrun


def build(con: duckdb.DuckDBPyConnection, entries: int, payments: int, unvalidated_share: float) -> None:
    con.execute("SET VARIABLE amount_tolerance = 0.00::DECIMAL(18, 2)")
    con.execute("SET VARIABLE window_minutes = 30")
    amount = """(case when random() < 0.33
                     then [1000, 2000, 3000, 5000, 10000, 20000][1 + floor(random() * 6)::INT]
                     else 100 + floor(random() * 49900) end)::DECIMAL(18, 2)"""
    con.execute(
        f"""
        create table case_payments as
        select 'bank/f' || (i // 20000) || '.csv:' || (i % 20000 + 2) as payment_id,
               'V' || (i % 50000) as victim_id, 'A' || (i % 50000) as from_account, 'G' || (i % 300) as to_account,
               timestamptz '2023-01-01 00:00:00+00' + to_seconds((random() * 365 * 86400)::BIGINT) as ts,
               {amount} as amount, 'x' as sources
        from range({payments}) as t(i)
        """
    )
    con.execute(
        f"""
        create table deposit_entries as
        select 'deposit/s' || (i // 50000) || '.csv:' || (i % 50000 + 2) as entry_id,
               timestamptz '2023-01-01 00:00:00+00' + to_seconds((random() * 365 * 86400)::BIGINT) as ts,
               {amount} as amount,
               case when random() < 0.3 then 'G' || floor(random() * 300)::INT end as receiving_account,
               null::VARCHAR as victim_ref
        from range({entries}) as t(i)
        """
    )
    con.execute(
        f"create table entries as select entry_id, case when random() < {unvalidated_share} "
        "then 'unvalidated' else 'validated' end as status from deposit_entries"
    )
    # every validated entry took some payment: pair them in row order (payment ids stay unique)
    con.execute(
        """
        create table entry_matches as
        with v as (select entry_id, row_number() over () as n from entries where status = 'validated'),
             p as (select payment_id, row_number() over () as n from case_payments)
        select v.entry_id, p.payment_id, 'single' as match_kind from v join p using (n)
        """
    )
    con.execute(
        "create table decision_pairs (decision_id VARCHAR, action VARCHAR, entry_id VARCHAR, payment_id VARCHAR)"
    )


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    payments = int(sys.argv[2]) if len(sys.argv) > 2 else 3_000_000
    share = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        con.execute("SET TimeZone = 'UTC'")
        started = time.perf_counter()
        build(con, entries, payments, share)
        print(f"built {entries:,} entries, {payments:,} payments in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        sqlrun.execute_file(con, sqlrun.models()["unvalidated"])
        took = time.perf_counter() - started
        counts = con.execute("select reason, count(*) from unvalidated group by 1 order by 2 desc").fetchall()
        print(f"unvalidated: {took:.1f} s for {sum(n for _, n in counts):,} entries: {counts}")


if __name__ == "__main__":
    main()
