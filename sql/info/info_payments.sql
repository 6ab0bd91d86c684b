-- info_payments: one row per payment between two parties as evidenced, bank transfers
-- and payment-ledger rows; counted is false for a ledger row that only books a
-- bank transfer already here (same_as names it), so each payment counts once.
-- Inputs: info_bank_payments, info_ledger_payments, info_ledger_bank_pairs.
-- Two ledgers booking the same payment are not merged: rules.md §6 only merges a
-- ledger row with a bank transfer.
create or replace table info_payments as
select payment_id, 'bank' as evidence_kind, payer, payee, ts, amount, evidence,
       true as counted, null::varchar as same_as
from info_bank_payments
union all
select l.payment_id, 'ledger', l.payer, l.payee, l.ts, l.amount, l.evidence,
       p.bank_payment_id is null, p.bank_payment_id
from info_ledger_payments as l
left join info_ledger_bank_pairs as p on p.ledger_payment_id = l.payment_id;
