-- split_candidates: one row per (entry left unmatched, payment left unmatched) that could be part of a split.
-- Inputs: deposit_entries, case_payments, entry_single_matches (match.max_matching over entry_candidates),
-- decision_pairs (rules.md §9: no rejected pair, and linked entries and payments are out of the pool).
-- Rule (rules.md §3): each part within the entry's window, to its receiving account and from its
-- victim when named, and smaller than the entry (a part as large as the whole is no split).
-- The receiving account or victim is the join key when the entry names one (see entry_candidates).
create or replace table split_candidates as
with linked as (
    select entry_id, payment_id from decision_pairs where action = 'link'
),
rejected as (
    select entry_id, payment_id from decision_pairs where action = 'reject'
),
open_entries as (
    select * from deposit_entries
    where entry_id not in (select "left" from entry_single_matches)
        and entry_id not in (select entry_id from linked)
),
open_payments as (
    select * from case_payments
    where payment_id not in (select "right" from entry_single_matches)
        and payment_id not in (select payment_id from linked)
),
pairs as (
    select e.entry_id, e.amount as entry_amount, e.entry_order, e.ts as entry_ts, p.*
    from open_entries as e
    join open_payments as p on p.to_account = e.receiving_account
    where e.receiving_account is not null and (e.victim_ref is null or p.victim_id = e.victim_ref)
    union all
    select e.entry_id, e.amount, e.entry_order, e.ts, p.*
    from open_entries as e
    join open_payments as p on p.victim_id = e.victim_ref
    where e.receiving_account is null and e.victim_ref is not null
    union all
    select e.entry_id, e.amount, e.entry_order, e.ts, p.*
    from open_entries as e
    join open_payments as p
        on p.ts between e.ts - to_minutes(getvariable('window_minutes')::BIGINT)
                    and e.ts + to_minutes(getvariable('window_minutes')::BIGINT)
    where e.receiving_account is null and e.victim_ref is null
)
select
    entry_id,
    entry_amount,
    entry_order,
    payment_id,
    from_account as payer_account,
    ts,
    amount
from pairs
where not exists (select 1 from rejected as r where r.entry_id = pairs.entry_id and r.payment_id = pairs.payment_id)
    and amount < entry_amount
    and ts between entry_ts - to_minutes(getvariable('window_minutes')::BIGINT)
               and entry_ts + to_minutes(getvariable('window_minutes')::BIGINT);
