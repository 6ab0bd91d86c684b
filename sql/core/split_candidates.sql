-- split_candidates: one row per (entry left unmatched, payment left unmatched) that could be part of a split.
-- Inputs: entry_payment_pairs (the account, victim, window and review rules), entry_single_matches
-- (match.max_matching over entry_candidates).
-- Rule (rules.md §3): a pair of an entry and a payment the single matching left, the payment smaller
-- than the entry (a part as large as the whole is no split).
create or replace table split_candidates as
select
    entry_id,
    entry_amount,
    entry_order,
    payment_id,
    from_account as payer_account,
    ts,
    amount
from entry_payment_pairs
where entry_id not in (select "left" from entry_single_matches)
    and payment_id not in (select "right" from entry_single_matches)
    and amount < entry_amount;
