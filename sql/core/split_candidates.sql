-- split_candidates: one row per (entry left unmatched, payment left unmatched) that could be part of a split.
-- Inputs: deposit_entries, case_payments, entry_single_matches (match.max_matching over entry_candidates).
-- Rule (rules.md §3): each part within the entry's window, to its receiving account and from its
-- victim when named, and smaller than the entry (a part as large as the whole is no split).
create or replace table split_candidates as
with open_entries as (
    select * from deposit_entries
    where entry_id not in (select "left" from entry_single_matches)
),
open_payments as (
    select * from case_payments
    where payment_id not in (select "right" from entry_single_matches)
)
select
    e.entry_id,
    e.amount as entry_amount,
    e.entry_order,
    p.payment_id,
    p.from_account as payer_account,
    p.ts,
    p.amount
from open_entries as e
join open_payments as p
    on p.ts between e.ts - to_minutes(getvariable('window_minutes')::BIGINT)
                and e.ts + to_minutes(getvariable('window_minutes')::BIGINT)
    and p.amount < e.amount
where (e.receiving_account is null or p.to_account = e.receiving_account)
    and (e.victim_ref is null or p.victim_id = e.victim_ref);
