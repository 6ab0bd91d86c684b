-- split_candidates: one row per (entry left unmatched, payment left unmatched) that could be part of a split.
-- Inputs: deposit_entries, case_payments, entry_single_matches (match.max_matching over entry_candidates).
-- Rule (rules.md §3): each part within the entry's window, to its receiving account and from its
-- victim when named, and smaller than the entry (a part as large as the whole is no split).
-- The receiving account or victim is the join key when the entry names one (see entry_candidates).
create or replace table split_candidates as
with open_entries as (
    select * from deposit_entries
    where entry_id not in (select "left" from entry_single_matches)
),
open_payments as (
    select * from case_payments
    where payment_id not in (select "right" from entry_single_matches)
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
where amount < entry_amount
    and ts between entry_ts - to_minutes(getvariable('window_minutes')::BIGINT)
               and entry_ts + to_minutes(getvariable('window_minutes')::BIGINT);
