-- entry_candidates: one row per (deposit entry, payment) pair that rules.md §3 allows to match.
-- Inputs: entry_payment_pairs (the account, victim, window and review rules), amount_tolerance.
-- A pair is a candidate when the amounts differ by at most amount_tolerance.
-- left/right and their orders feed match.max_matching (ties: entry time, entry id, payment id).
create or replace table entry_candidates as
select
    entry_id as "left",
    payment_id as "right",
    abs(epoch(ts) - epoch(entry_ts))::BIGINT as cost,
    entry_order as left_order,
    -- payment ids <file>:<row> rank by file, then row number (bank.csv:9 before bank.csv:10), like entry ids
    dense_rank() over (order by row_id_order(payment_id)) as right_order
from entry_payment_pairs
where amount between entry_amount - getvariable('amount_tolerance') and entry_amount + getvariable('amount_tolerance');
