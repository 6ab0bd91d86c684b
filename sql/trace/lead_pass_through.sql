-- lead_pass_through: one row per loaded account not in gang_accounts: how much of what it received left within pass_through_hours (快进快出, rules.md §7).
-- Inputs: postings, gang_account_list, trace_accounts, variable pass_through_hours.
-- Inflows are matched to outflows (withdrawals included) first in, first out, on the account's
-- posting order (time, file, row); the opening balance leaves first and is not counted as
-- received. Each piece of money is one segment of the two cumulative axes (money in, money out);
-- it belongs to the first inflow and the first outflow ending at or after its end, found by one
-- window over the axes' ends (one sort, where an ASOF join per axis sorted each again). A piece
-- counts as passed on when it left at or after it came and at most pass_through_hours later.
-- Amounts in fen.
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
flows as (
    -- each posting's end on its axis: an inflow's on money in (after the opening), an outflow's on money out
    select
        l.account_no,
        l.ts,
        l.fen,
        case
            when l.fen > 0 then o.opening_fen + sum(l.fen) filter (where l.fen > 0) over by_posting
            else sum(-l.fen) filter (where l.fen < 0) over by_posting
        end as point
    from live as l
    join openings as o using (account_no)
    window by_posting as (partition by l.account_no order by l.ts, l.file_order, l.source_row rows unbounded preceding)
),
points as (
    -- every break of the two axes once, with the inflow and the outflow (if any) that end there
    select account_no, point, max(in_ts) as in_ts, max(out_ts) as out_ts
    from (
        select account_no, point, case when fen > 0 then ts end as in_ts, case when fen < 0 then ts end as out_ts
        from flows
        union all
        select account_no, opening_fen, null, null from openings where opening_fen > 0
    )
    group by all
),
segments as (
    -- a segment belongs to the first inflow and the first outflow ending at or after its end: read
    -- from the top of each axis down, the earliest time among the ends passed so far (an axis's
    -- times only grow with its ends)
    select
        account_no,
        coalesce(lead(point) over from_top, 0) as seg_start,
        point as seg_end,
        min(in_ts) over from_top as in_ts,
        min(out_ts) over from_top as out_ts
    from points
    window from_top as (partition by account_no order by point desc rows unbounded preceding)
),
passed as (
    select s.account_no, sum(s.seg_end - s.seg_start) as passed_fen
    from segments as s
    join openings as o using (account_no)
    where s.seg_start >= o.opening_fen
        and s.out_ts >= s.in_ts
        and s.out_ts <= s.in_ts + to_hours(getvariable('pass_through_hours')::BIGINT)
    group by s.account_no
),
received as (
    select account_no, sum(fen) as received_fen from flows where fen > 0 group by account_no
)
select
    a.account_no,
    coalesce(r.received_fen, 0)::HUGEINT as received_fen,
    coalesce(p.passed_fen, 0)::HUGEINT as passed_fen
from trace_accounts as a
left join received as r using (account_no)
left join passed as p using (account_no)
where not a.is_gang;
