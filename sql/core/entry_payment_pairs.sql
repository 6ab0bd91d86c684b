-- entry_payment_pairs: one row per (deposit entry, payment) that rules.md §3 lets pair, whatever their amounts.
-- Inputs: deposit_entries, case_payments, decision_pairs; variable window_minutes.
-- Rule: the payment lies within window_minutes of the entry, went to the entry's receiving account
-- when it names one, and came from its victim when it names one. Review decisions (rules.md §9)
-- come first: a pair an applied reject forbids is none, and the entries and payments of applied
-- links are out of the pool (review.add_linked_matches pairs them).
-- The amounts decide the rest: entry_candidates keeps the pairs within amount_tolerance,
-- split_candidates the payments smaller than the entry of those left unmatched.
-- Joins are kept to equality keys so 10M-row cases hash-join instead of range-joining: times fall
-- in buckets just wider than the window (an entry looks in its bucket and both neighbours), and
-- the receiving account or victim is a key when the entry names one.
create or replace view entry_payment_pairs as
with linked as (
    select entry_id, payment_id from decision_pairs where action = 'link'
),
bucket as (
    select (getvariable('window_minutes')::BIGINT * 60 + 1) * 1000 as width_ms
),
pool_entries as (
    select e.*, unnest([0, -1, 1]) + epoch_ms(e.ts) // (select width_ms from bucket) as time_bucket
    from deposit_entries as e
    where e.entry_id not in (select entry_id from linked)
),
pool_payments as (
    select p.*, epoch_ms(p.ts) // (select width_ms from bucket) as time_bucket
    from case_payments as p
    where p.payment_id not in (select payment_id from linked)
),
keyed as (
    select e.entry_id, e.entry_order, e.ts as entry_ts, e.amount as entry_amount, p.*
    from pool_entries as e
    join pool_payments as p on p.to_account = e.receiving_account and p.time_bucket = e.time_bucket
    where e.receiving_account is not null and (e.victim_ref is null or p.victim_id = e.victim_ref)
    union all
    select e.entry_id, e.entry_order, e.ts, e.amount, p.*
    from pool_entries as e
    join pool_payments as p on p.victim_id = e.victim_ref and p.time_bucket = e.time_bucket
    where e.receiving_account is null and e.victim_ref is not null
    union all
    select e.entry_id, e.entry_order, e.ts, e.amount, p.*
    from pool_entries as e
    join pool_payments as p on p.time_bucket = e.time_bucket
    where e.receiving_account is null and e.victim_ref is null
)
select entry_id, entry_order, entry_ts, entry_amount, payment_id, victim_id, from_account, to_account, ts, amount
from keyed
where not exists (
        select 1 from decision_pairs as r
        where r.action = 'reject' and r.entry_id = keyed.entry_id and r.payment_id = keyed.payment_id
    )
    and ts between entry_ts - to_minutes(getvariable('window_minutes')::BIGINT)
               and entry_ts + to_minutes(getvariable('window_minutes')::BIGINT);
