"""An accountant's review decisions (rules.md §9), applied where the steps of a run need them.

Most of the work is SQL (sql/core/decision_*.sql): rejects and links are judged before
matching and shape ``entry_candidates`` and ``split_candidates``; confirms are judged after
it. Three things SQL models cannot do are here, each a function the pipeline calls on its
open connection (the case settings set as variables by ``pipeline._connect``):

- ``apply_exclusions``, right after the landing tables are loaded: every row an applied
  ``exclude`` names leaves its ``landing_<kind>`` table for ``landing_quarantine``, and its
  file's counts move with it, so every figure leaves it out and the control totals still tie;
- ``add_linked_matches``, right after matching: the pairs of applied links join
  ``entry_matches`` (linked entries and payments were kept out of the matching pool);
- ``stale_warnings``, after the marts: one manifest warning per stale decision.
"""

from __future__ import annotations

import duckdb

from fundtrail import messages, sqlrun
from fundtrail.kinds import KINDS

EXCLUDED_PREFIX = "excluded by review: "
# The quarantine row of an excluded row names no single column: the whole row is left out.
EXCLUDED_COLUMN = "row"
STALE_CODE = "stale_decision"


def apply_exclusions(con: duckdb.DuckDBPyConnection) -> None:
    """Move the rows applied ``exclude`` decisions name from landing to quarantine.

    Writes ``exclusion_outcomes(decision_id, status, detail)``, one row per well-formed
    exclude, in decision order. An exclude is stale, and moves nothing, when its row_id is not
    ``<file>:<row>``, names no input file or no loaded row of it (a header, blank or quarantined
    row), a file skipped as identical to another (the other file's row is the one to exclude),
    a row of a decisions file (a decision is withdrawn by changing its own row), or a row an
    earlier exclude already left out. The quarantine row carries the reason
    ``excluded by review: <reason>`` verbatim and the excluding decision's id as its value;
    ``input_files`` counts it as quarantined, its amount in ``amount_quarantined`` and no
    longer in ``amount_in``/``amount_out``, as ingest counts a rejected row.

    Runs once per case database: called again, it finds ``exclusion_outcomes`` and leaves
    everything as it is (the rows it moved are not excluded twice).
    """
    already = con.execute(
        "select count(*) from information_schema.tables where table_name = 'exclusion_outcomes'"
    ).fetchall()
    if already[0][0]:
        return
    sqlrun.build(con, ["decision_list", "row_id_order"])
    con.execute(
        """
        create or replace temp table _exclude_targets as
        select
            decision_id,
            decision_order,
            row_id,
            reason,
            row_id_order(row_id).file as source,
            try_cast(row_id_order(row_id).row as BIGINT) as source_row
        from decision_list
        where action = 'exclude' and problem is null
        """
    )
    loaded = " union all ".join(
        f"select source, source_row, '{kind}' as kind from landing_{kind} "
        "where (source, source_row) in (select source, source_row from _exclude_targets)"
        for kind in KINDS
    )
    con.execute(
        f"""
        create or replace table exclusion_outcomes as
        with found as ({loaded}),
        judged as (
            select
                t.*,
                f.kind,
                case
                    when t.source_row is null or t.source = ''
                        then 'row_id ' || t.row_id || ' is not <file>:<row>'
                    when i.path is null then 'no input file ' || t.source || ' in the case'
                    when i.kind = 'decisions'
                        then 'a decision is withdrawn by changing its own row, not by an exclude'
                    when i.duplicate_of is not null
                        then t.source || ' is identical to ' || i.duplicate_of
                             || ', whose rows are the ones loaded: exclude ' || i.duplicate_of || ':' || t.source_row
                    when q.source is not null then 'the row is already quarantined: ' || q.reason
                    when f.source is null then t.source || ' has no loaded row ' || t.source_row
                end as problem,
                row_number() over same_row as turn,
                first_value(t.decision_id) over same_row as first_id
            from _exclude_targets as t
            left join input_files as i on i.path = t.source
            left join found as f on f.source = t.source and f.source_row = t.source_row
            left join (
                select source, source_row, min(reason) as reason from landing_quarantine group by all
            ) as q on q.source = t.source and q.source_row = t.source_row
            window same_row as (partition by t.source, t.source_row order by t.decision_order)
        )
        select
            decision_id,
            decision_order,
            source,
            source_row,
            kind,
            reason,
            case when problem is null and turn = 1 then 'applied' else 'stale' end as status,
            case
                when problem is not null then problem
                when turn > 1 then 'the row is already excluded by ' || first_id
            end as detail
        from judged
        order by decision_order
        """
    )
    for kind in KINDS:
        _move_excluded_rows(con, kind)
    con.execute("drop table _exclude_targets")


def add_linked_matches(con: duckdb.DuckDBPyConnection) -> None:
    """Add the pairs of applied links to ``entry_matches`` (match_kind ``link``); idempotent."""
    sqlrun.build(con, ["decision_pairs"])
    con.execute("delete from entry_matches where match_kind = 'link'")
    con.execute(
        """
        insert into entry_matches (entry_id, payment_id, match_kind)
        select entry_id, payment_id, 'link' from decision_pairs where action = 'link'
        order by entry_id, payment_id
        """
    )


def stale_warnings(con: duckdb.DuckDBPyConnection, lang: str = messages.DEFAULT_LANG) -> list[dict[str, str]]:
    """One ``{code, message}`` per stale decision, in decision order, for the manifest and reports; ``message`` in ``lang``."""
    sqlrun.build(con, ["decision_outcomes"])
    found = con.execute(
        """
        select decision_id, action, coalesce(entry_id, row_id), detail
        from decision_outcomes
        where status = 'stale'
        order by decision_order
        """
    ).fetchall()
    return [
        {
            "code": STALE_CODE,
            "message": messages.text(
                "warning.stale_decision", lang, decision=decision_id, what=" ".join(filter(None, (action, target))),
                detail=stale_detail(detail, lang),
            ),
        }
        for decision_id, action, target, detail in found
    ]


# Details whose value lists items SQL joined with ", ": each item read back on its own (decision_item.*).
_LISTED = {"decision.rejected": "payments", "decision.outside_window": "payments"}


def stale_detail(detail: str | None, lang: str) -> str:
    """Why a decision is stale, in ``lang``: the English sentence the SQL wrote (decisions.csv keeps it) read back
    as its catalogue code (``decision.*``); a sentence no template wrote is shown as it is."""
    found = messages.read_back("decision", detail or "")
    if found is None:
        return detail or ""
    code, values = found
    if code == "decision.already_quarantined":
        values["reason"] = messages.reason_label(values["reason"], lang)
    if code in _LISTED:
        items = values[_LISTED[code]].split(", ")
        read = [messages.read_back("decision_item", item) for item in items]
        values[_LISTED[code]] = ", ".join(
            messages.text(r[0], lang, **r[1]) if r else item for item, r in zip(items, read)
        )
    return messages.text(code, lang, **values)


def _move_excluded_rows(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    money = _money_column(kind)
    amount = f"l.{money}" if money else "null::DECIMAL(18, 2)"
    con.execute(
        f"""
        create or replace temp table _moved as
        select l.source, l.source_row, o.decision_id, o.reason, {amount} as amount
        from landing_{kind} as l
        join exclusion_outcomes as o on o.source = l.source and o.source_row = l.source_row
        where o.status = 'applied' and o.kind = '{kind}'
        """
    )
    con.execute(
        """
        insert into landing_quarantine (source, source_row, "column", value, reason)
        select source, source_row, ?, decision_id, ? || reason from _moved order by source, source_row
        """,
        [EXCLUDED_COLUMN, EXCLUDED_PREFIX],
    )
    # A statement's amount is signed (money in > 0); other kinds count every amount as amount_in.
    is_in, is_out = ("amount > 0", "amount < 0") if kind == "bank_statement" else ("true", "false")
    con.execute(
        f"""
        update input_files as f set
            rows_quarantined = f.rows_quarantined + m.rows,
            amount_quarantined = f.amount_quarantined + m.amount_abs,
            amount_in = f.amount_in - m.amount_in,
            amount_out = f.amount_out - m.amount_out
        from (
            select
                source,
                count(*) as rows,
                coalesce(sum(abs(amount)), 0) as amount_abs,
                coalesce(sum(amount) filter (where {is_in}), 0) as amount_in,
                coalesce(-sum(amount) filter (where {is_out}), 0) as amount_out
            from _moved
            group by source
        ) as m
        where f.path = m.source
        """
    )
    con.execute(
        f"delete from landing_{kind} where (source, source_row) in (select source, source_row from _moved)"
    )
    con.execute("drop table _moved")


def _money_column(kind: str) -> str | None:
    """The column ingest counts a file's money by: ``amount``, else the kind's first money column."""
    names = [c.name for c in KINDS[kind] if c.type == "money"]
    if "amount" in names:
        return "amount"
    return names[0] if names else None
