-- payments: one row per victim payment (outputs.md `payments`).
-- Inputs: case_payments, entry_matches, stg_bank_statement. A payment serves at most one entry; the rest are
-- unattributed (leads to other cases). ts_text and amount_text are the cells as written of the
-- statement row whose id the payment carries (the payee side's when both banks show it).
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
    p.sources,
    t.ts_text,
    t.amount_text
from case_payments as p
left join stg_bank_statement as t on t.source || ':' || t.source_row = p.payment_id
left join entry_matches as m using (payment_id);
