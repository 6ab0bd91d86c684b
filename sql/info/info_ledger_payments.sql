-- info_ledger_payments: one row per payment-ledger row, payer and payee as party ids.
-- Inputs: stg_payment_ledger, info_party_accounts.
-- rules.md §6 has ledgers name parties by id; a ledger that names an account listed in
-- accounts is read as that account's holder, so both ways of writing it agree.
create or replace view info_ledger_payments as
select
    l.source || ':' || l.source_row as payment_id,
    coalesce(payer.holder_id, l.payer) as payer,
    coalesce(payee.holder_id, l.payee) as payee,
    l.ts,
    l.amount,
    l.source || ':' || l.source_row as evidence
from stg_payment_ledger as l
left join info_party_accounts as payer on payer.account_no = l.payer
left join info_party_accounts as payee on payee.account_no = l.payee;
