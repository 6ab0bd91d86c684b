-- payments: one row per victim payment (outputs.md `payments`).
-- Inputs: case_payments, entry_matches. A payment serves at most one entry; the rest are
-- unattributed (leads to other cases).
create or replace table payments as
select
    p.payment_id,
    p.victim_id,
    p.from_account,
    p.to_account,
    p.ts,
    p.amount,
    case when m.entry_id is null then 'unattributed' else 'validated' end as status,
    m.entry_id,
    p.sources
from case_payments as p
left join entry_matches as m using (payment_id);
