-- entry_candidates: one row per (deposit entry, payment) pair that rules.md §3 allows to match.
-- Inputs: deposit_entries, case_payments, decision_pairs. Amounts within amount_tolerance, times within
-- window_minutes, the entry's receiving account and victim when it names them. Review decisions
-- (rules.md §9) come first: a pair an applied reject forbids is no candidate, and the entries and
-- payments of applied links are out of the pool (review.add_linked_matches pairs them).
-- left/right and their orders feed match.max_matching (ties: entry time, entry id, payment id).
-- Joins are kept to equality keys so 10M-row cases hash-join instead of range-joining: amounts
-- fall in buckets as wide as the tolerance (an entry looks in its bucket and both neighbours),
-- and the receiving account or victim is a key when the entry names one.
create or replace table entry_candidates as
with linked as (
    select entry_id, payment_id from decision_pairs where action = 'link'
),
rejected as (
    select entry_id, payment_id from decision_pairs where action = 'reject'
),
bucketed_payments as (
    select *, floor(amount::DECIMAL(38, 2) * 100 / (getvariable('amount_tolerance') * 100 + 1))::BIGINT as bucket
    from case_payments
    where payment_id not in (select payment_id from linked)
),
bucketed_entries as (
    select
        e.*,
        unnest([0, -1, 1]) + floor(e.amount::DECIMAL(38, 2) * 100 / (getvariable('amount_tolerance') * 100 + 1))::BIGINT as bucket
    from deposit_entries as e
    where e.entry_id not in (select entry_id from linked)
),
pairs as (
    select e.entry_id, e.entry_order, e.ts as entry_ts, e.amount as entry_amount, p.*
    from bucketed_entries as e
    join bucketed_payments as p on p.to_account = e.receiving_account and p.bucket = e.bucket
    where e.receiving_account is not null and (e.victim_ref is null or p.victim_id = e.victim_ref)
    union all
    select e.entry_id, e.entry_order, e.ts, e.amount, p.*
    from bucketed_entries as e
    join bucketed_payments as p on p.victim_id = e.victim_ref and p.bucket = e.bucket
    where e.receiving_account is null and e.victim_ref is not null
    union all
    select e.entry_id, e.entry_order, e.ts, e.amount, p.*
    from bucketed_entries as e
    join bucketed_payments as p on p.bucket = e.bucket
    where e.receiving_account is null and e.victim_ref is null
)
select
    entry_id as "left",
    payment_id as "right",
    abs(epoch(ts) - epoch(entry_ts))::BIGINT as cost,
    entry_order as left_order,
    -- payment ids <file>:<row> rank by file, then row number (bank.csv:9 before bank.csv:10), like entry ids
    dense_rank() over (order by row_id_order(payment_id)) as right_order
from pairs
where not exists (select 1 from rejected as r where r.entry_id = pairs.entry_id and r.payment_id = pairs.payment_id)
    and amount between entry_amount - getvariable('amount_tolerance') and entry_amount + getvariable('amount_tolerance')
    and ts between entry_ts - to_minutes(getvariable('window_minutes')::BIGINT)
               and entry_ts + to_minutes(getvariable('window_minutes')::BIGINT);
