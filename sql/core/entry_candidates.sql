-- entry_candidates: one row per (deposit entry, payment) pair that rules.md §3 allows to match.
-- Inputs: deposit_entries, case_payments. Amounts within amount_tolerance, times within
-- window_minutes, the entry's receiving account and victim when it names them.
-- left/right and their orders feed match.max_matching (ties: entry time, entry id, payment id).
create or replace table entry_candidates as
select
    e.entry_id as "left",
    p.payment_id as "right",
    abs(epoch(p.ts) - epoch(e.ts))::BIGINT as cost,
    e.entry_order as left_order,
    dense_rank() over (order by p.payment_id) as right_order
from deposit_entries as e
join case_payments as p
    on p.amount between e.amount - getvariable('amount_tolerance') and e.amount + getvariable('amount_tolerance')
    and p.ts between e.ts - to_minutes(getvariable('window_minutes')::BIGINT)
                 and e.ts + to_minutes(getvariable('window_minutes')::BIGINT)
where (e.receiving_account is null or p.to_account = e.receiving_account)
    and (e.victim_ref is null or p.victim_id = e.victim_ref);
