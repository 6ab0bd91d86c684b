"""The run's balancing stops: figures that must tie out before anything is published (rules.md §1-§5).

Each stop compares two figures that are counted independently: what ingest read
with what the staging tables hold, the money ingest counted with the staged
money, each entry with the payments that serve it, each victim and defendant
with the rows their figures are made of. The first break stops the run with an
``InvariantError`` naming the file (or entry, payment, victim, defendant) and
both figures; the CLI prints it without a traceback and exits 1.

``check_invariants(case, paths)`` runs them all on the case database after the
marts are built (the pipeline step "check invariants" runs this function).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb

from fundtrail.config import CaseConfig
from fundtrail.errors import InvariantError
from fundtrail.messages import Phrase

if TYPE_CHECKING:
    from fundtrail.pipeline import RunPaths

Stop = Callable[[duckdb.DuckDBPyConnection, CaseConfig], None]


def check_invariants(case: CaseConfig, paths: RunPaths) -> None:
    """Every balancing stop in turn; raises InvariantError at the first that breaks."""
    con = duckdb.connect(str(paths.db))
    try:
        con.execute("SET TimeZone = 'UTC'")
        for stop in STOPS:
            stop(con, case)
    finally:
        con.close()


# ---------------------------------------------------------------- files (rules.md §1)


def file_rows_balance(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """Rows read (ingest) = rows loaded + duplicates (counted in the staging tables) + rows quarantined (ingest)."""
    broken = _first(
        con,
        """
        select path, rows_read, rows_loaded, rows_quarantined, rows_duplicate
        from file_controls
        where rows_read <> rows_loaded + rows_quarantined + rows_duplicate
        order by path
        """,
    )
    if broken:
        path, read, loaded, quarantined, duplicate = broken
        raise InvariantError(
            code="controls.file_rows", path=path, read=read, loaded=loaded, quarantined=quarantined,
            duplicate=duplicate, staged=loaded + duplicate,
        )
    stray = _first(
        con,
        "select path, rows_staged from staged_files where path not in (select path from input_files) order by path",
    )
    if stray:
        raise InvariantError(code="controls.staged_unread", path=stray[0], rows=_rows(stray[1]))


def file_quarantine_balance(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """Rows quarantined (ingest's count, review exclusions included) = the file's rows in quarantine."""
    broken = _first(
        con,
        """
        with held as (select source as path, count(*) as held from quarantine group by source)
        select coalesce(f.path, h.path), coalesce(f.rows_quarantined, 0), coalesce(h.held, 0), f.path is null
        from input_files as f
        full join held as h using (path)
        where coalesce(f.rows_quarantined, 0) <> coalesce(h.held, 0)
        order by 1
        """,
    )
    if broken:
        path, counted, held, unknown = broken
        if unknown:
            raise InvariantError(code="controls.quarantined_unread", path=path, rows=_rows(held))
        raise InvariantError(code="controls.file_quarantine", path=path, counted=counted, rows=_rows(held))


def file_money_balance(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """The money ingest counted as loaded = the money the file's staged rows hold, in and out."""
    broken = _first(
        con,
        """
        select f.path, f.amount_in, coalesce(s.staged_in, 0), f.amount_out, coalesce(s.staged_out, 0)
        from input_files as f
        left join staged_files as s using (path)
        where f.amount_in <> coalesce(s.staged_in, 0) or f.amount_out <> coalesce(s.staged_out, 0)
        order by f.path
        """,
    )
    if broken:
        path, loaded_in, staged_in, loaded_out, staged_out = broken
        if loaded_in != staged_in:
            raise InvariantError(code="controls.money_in", path=path, loaded=loaded_in, staged=staged_in)
        raise InvariantError(code="controls.money_out", path=path, loaded=loaded_out, staged=staged_out)


# ---------------------------------------------------------------- entries and payments (rules.md §2-§3)


def payments_serve_one_entry(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    reused = _first(
        con, "select payment_id, count(*) from entry_matches group by 1 having count(*) > 1 order by 1"
    )
    if reused:
        raise InvariantError(code="controls.payment_reused", payment=reused[0], entries=reused[1])


def entries_tie_to_deposit_rows(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """Each deposit sheet's staged rows are its entries, one each: same count, same money."""
    broken = _first(
        con,
        """
        with sheets as (
            select path, rows_staged, staged_in
            from staged_files
            where path in (select path from input_files where kind = 'deposit_sheet')
        ),
        listed as (select source as path, count(*) as n, sum(amount)::DECIMAL(38, 2) as amount from entries group by 1)
        select coalesce(s.path, e.path), coalesce(s.rows_staged, 0), coalesce(s.staged_in, 0),
               coalesce(e.n, 0), coalesce(e.amount, 0)
        from sheets as s
        full join listed as e using (path)
        where coalesce(s.rows_staged, 0) <> coalesce(e.n, 0) or coalesce(s.staged_in, 0) <> coalesce(e.amount, 0)
        order by 1
        """,
    )
    if broken:
        path, staged, staged_amount, listed, listed_amount = broken
        raise InvariantError(
            code="controls.entries_twice" if listed > staged else "controls.entries",
            path=path, staged=staged, staged_amount=staged_amount, listed=listed, listed_amount=listed_amount,
        )


def payments_tie_to_transfers(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """Every payment found among the transfers is one row of ``payments``, with its amount."""
    broken = _first(
        con,
        """
        with listed as (select payment_id, count(*) as n, sum(amount) as amount from payments group by 1)
        select coalesce(c.payment_id, p.payment_id), c.amount, coalesce(p.n, 0), p.amount
        from case_payments as c
        full join listed as p using (payment_id)
        where c.payment_id is null or p.payment_id is null or p.n <> 1 or p.amount <> c.amount
        order by 1
        """,
    )
    if broken:
        payment, found, rows, listed = broken
        if found is None:
            raise InvariantError(code="controls.payment_not_found", payment=payment, listed=listed)
        raise InvariantError(
            code="controls.payment_rows" if rows else "controls.payment_no_row",
            payment=payment, found=found, rows=rows, listed=listed,
        )


def validated_entries_tie_to_payments(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """A validated entry's amount = the payments serving it (within amount_tolerance); an unvalidated one has none."""
    broken = _first(
        con,
        """
        with served as (
            select entry_id, count(*) as n, sum(amount)::DECIMAL(38, 2) as amount
            from payments
            where entry_id is not null
            group by 1
        )
        select coalesce(e.entry_id, s.entry_id), e.status, e.amount, coalesce(s.n, 0), coalesce(s.amount, 0)
        from entries as e
        full join served as s using (entry_id)
        where e.entry_id is null
            or (e.status = 'validated') <> (s.entry_id is not null)
            or abs(e.amount - s.amount) > ?
        order by 1
        """,
        [case.matching.amount_tolerance],
    )
    if broken:
        entry, status, amount, n, paid = broken
        if status is None:
            raise InvariantError(code="controls.no_such_entry", entry=entry, count=n, paid=paid)
        raise InvariantError(
            code="controls.entry_paid", entry=entry, status=status, amount=amount, paid=paid,
            payments=Phrase("term.payments_one" if n == 1 else "term.payments_many", count=n),
        )
    unserving = _first(
        con,
        """
        select payment_id, status, entry_id from payments
        where (status = 'validated') <> (entry_id is not null)
        order by 1
        """,
    )
    if unserving:
        payment, status, entry = unserving
        raise InvariantError(
            code="controls.payment_serves" if entry else "controls.payment_serves_none",
            payment=payment, status=status, entry=entry,
        )


# ---------------------------------------------------------------- people (rules.md §4-§5)


def victims_tie_to_payments(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """Each victim's figures are the sums of their payments and returns."""
    broken = _first(
        con,
        """
        with by_payer as (
            select
                victim_id,
                count(*) as payments,
                sum(amount)::DECIMAL(38, 2) as paid,
                coalesce(sum(amount) filter (where status = 'validated'), 0)::DECIMAL(38, 2) as validated,
                coalesce(sum(amount) filter (where status = 'unattributed'), 0)::DECIMAL(38, 2) as unattributed
            from payments
            group by 1
        ),
        returned as (select victim_id, sum(amount)::DECIMAL(38, 2) as returned from case_returns group by 1),
        expected as (
            select
                victim_id,
                coalesce(p.payments, 0) as payments,
                coalesce(p.paid, 0) as paid,
                coalesce(p.validated, 0) as validated,
                coalesce(p.unattributed, 0) as unattributed,
                coalesce(r.returned, 0) as returned
            from by_payer as p
            full join returned as r using (victim_id)
        ),
        compared as (
            select coalesce(v.victim_id, x.victim_id) as victim_id, v.victim_id is null as missing, figure
            from victims as v
            full join expected as x using (victim_id),
            lateral (
                select unnest([
                    {'name': 'paid', 'shown': v.paid::VARCHAR, 'sum': coalesce(x.paid, 0)::VARCHAR},
                    {'name': 'validated', 'shown': v.validated::VARCHAR, 'sum': coalesce(x.validated, 0)::VARCHAR},
                    {'name': 'unattributed', 'shown': v.unattributed::VARCHAR, 'sum': coalesce(x.unattributed, 0)::VARCHAR},
                    {'name': 'returned', 'shown': v.returned::VARCHAR, 'sum': coalesce(x.returned, 0)::VARCHAR},
                    {'name': 'net_loss', 'shown': v.net_loss::VARCHAR, 'sum': (coalesce(x.paid, 0) - coalesce(x.returned, 0))::VARCHAR},
                    {'name': 'payments', 'shown': v.payments::VARCHAR, 'sum': coalesce(x.payments, 0)::VARCHAR}
                ]) as figure
            )
        )
        select victim_id, missing, figure.name, figure.shown, figure.sum
        from compared
        where missing or figure.shown is distinct from figure.sum
        order by victim_id
        """,
    )
    if broken:
        victim, missing, figure, shown, total = broken
        if missing:
            raise InvariantError(code="controls.victim_missing", victim=victim)
        raise InvariantError(
            code="controls.victim_figure", victim=victim, figure=figure, shown=shown, total=total,
            rows_of=Phrase(f"controls.rows_of.{figure}"),
        )


def defendants_tie_to_measure_entries(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """Each defendant's money figures are the sums of their rows in ``measure_entries``."""
    broken = _first(
        con,
        """
        with listed as (
            select defendant_id, measure, sum(amount)::DECIMAL(38, 2) as amount
            from measure_entries
            group by all
        ),
        shown as (
            unpivot (select defendant_id, own, own_unvalidated, unit, gang, liable from defendants)
            on own, own_unvalidated, unit, gang, liable
            into name measure value amount
        )
        select coalesce(s.defendant_id, l.defendant_id), coalesce(s.measure, l.measure), s.amount, coalesce(l.amount, 0)
        from shown as s
        full join listed as l using (defendant_id, measure)
        where s.amount is distinct from coalesce(l.amount, 0)
        order by 1, 2
        """,
    )
    if broken:
        defendant, measure, shown, listed = broken
        if shown is None:
            raise InvariantError(code="controls.defendant_missing", defendant=defendant, measure=measure, listed=listed)
        raise InvariantError(code="controls.defendant_measure", defendant=defendant, measure=measure, shown=shown, listed=listed)


STOPS: tuple[Stop, ...] = (
    file_rows_balance,
    file_quarantine_balance,
    file_money_balance,
    payments_serve_one_entry,
    entries_tie_to_deposit_rows,
    payments_tie_to_transfers,
    validated_entries_tie_to_payments,
    victims_tie_to_payments,
    defendants_tie_to_measure_entries,
)


def _rows(n: int) -> Phrase:
    return Phrase("term.rows_one" if n == 1 else "term.rows_many", count=n)


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    found = con.execute(sql + " limit 1", params or []).fetchall()
    return found[0] if found else None

