-- lead_pass_through: one row per loaded account not in gang_accounts: how much of what it received left within pass_through_hours (快进快出, rules.md §7).
-- Inputs: postings, gang_account_list, trace_accounts, variable pass_through_hours.
-- Inflows are matched to outflows (withdrawals included) first in, first out, on the account's
-- posting order (time, file, row); the opening balance leaves first and is not counted as
-- received. Each piece of money is one segment of the two cumulative axes (money in, money out);
-- an ASOF join finds the inflow and the outflow each segment belongs to. A piece counts as passed
-- on when it left at or after it came and at most pass_through_hours later. Amounts in fen.
create or replace table lead_pass_through as
with live as (
    select
        p.account_no,
        p.ts,
        (p.amount::DECIMAL(38, 2) * 100)::BIGINT as fen,
        p.file_order,
        p.source_row
    from postings as p
    where not p.is_duplicate and p.amount <> 0
        and p.account_no not in (select account_no from gang_account_list)
),
openings as (
    select account_no, coalesce((opening::DECIMAL(38, 2) * 100)::BIGINT, 0) as opening_fen
    from trace_accounts
),
inflows as (
    select
        l.account_no,
        l.ts,
        l.fen,
        o.opening_fen + sum(l.fen) over (
            partition by l.account_no order by l.ts, l.file_order, l.source_row rows unbounded preceding
        ) as in_end
    from live as l
    join openings as o using (account_no)
    where l.fen > 0
),
outflows as (
    select
        account_no,
        ts,
        sum(-fen) over (partition by account_no order by ts, file_order, source_row rows unbounded preceding) as out_end
    from live
    where fen < 0
),
breaks as (
    select account_no, in_end as point from inflows
    union
    select account_no, out_end from outflows
    union
    select account_no, opening_fen from openings where opening_fen > 0
),
segments as (
    select account_no, coalesce(lag(point) over (partition by account_no order by point), 0) as seg_start, point as seg_end
    from breaks
),
placed as (
    select s.account_no, s.seg_end, s.seg_end - s.seg_start as fen, i.ts as in_ts
    from segments as s
    join openings as o using (account_no)
    asof join inflows as i on i.account_no = s.account_no and s.seg_end <= i.in_end
    where s.seg_start >= o.opening_fen
),
passed as (
    select p.account_no, sum(p.fen) as passed_fen
    from placed as p
    asof join outflows as x on x.account_no = p.account_no and p.seg_end <= x.out_end
    where x.ts >= p.in_ts
        and x.ts <= p.in_ts + to_hours(getvariable('pass_through_hours')::BIGINT)
    group by p.account_no
),
received as (
    select account_no, sum(fen) as received_fen from inflows group by account_no
)
select
    a.account_no,
    coalesce(r.received_fen, 0)::HUGEINT as received_fen,
    coalesce(p.passed_fen, 0)::HUGEINT as passed_fen
from trace_accounts as a
left join received as r using (account_no)
left join passed as p using (account_no)
where not a.is_gang;
