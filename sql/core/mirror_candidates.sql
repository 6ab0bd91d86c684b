-- mirror_candidates: one row per (outflow posting, inflow posting) pair that may be one transfer seen from both accounts.
-- Inputs: postings. Rule (rules.md §2): same amount, accounts crossed, within mirror_window_minutes.
-- left/right and their orders feed match.max_matching (ties: earlier outflow first, then posting id).
create or replace table mirror_candidates as
with live as (
    select * from postings where not is_duplicate and counterparty_account is not null
),
pairs as (
    select
        o.posting_id as "left",
        i.posting_id as "right",
        abs(epoch(i.ts) - epoch(o.ts))::BIGINT as cost,
        o.ts as left_ts,
        i.ts as right_ts
    from live as o
    join live as i
        on o.counterparty_account = i.account_no
        and i.counterparty_account = o.account_no
        and i.amount = -o.amount
        and i.ts between o.ts - to_minutes(getvariable('mirror_window_minutes')::BIGINT)
                     and o.ts + to_minutes(getvariable('mirror_window_minutes')::BIGINT)
    where o.amount < 0
)
select
    "left",
    "right",
    cost,
    dense_rank() over (order by left_ts, "left") as left_order,
    dense_rank() over (order by right_ts, "right") as right_order
from pairs;
