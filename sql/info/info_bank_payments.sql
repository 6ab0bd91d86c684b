-- info_bank_payments: one row per bank transfer between accounts of two different
-- parties named in accounts (information-sale cases).
-- Inputs: transfers (mirror pairs already one row), info_party_accounts.
create or replace view info_bank_payments as
select
    t.transfer_id as payment_id,
    payer.holder_id as payer,
    payee.holder_id as payee,
    t.ts,
    t.amount,
    t.sources as evidence
from transfers as t
join info_party_accounts as payer on payer.account_no = t.payer_account
join info_party_accounts as payee on payee.account_no = t.payee_account
where payer.holder_id <> payee.holder_id;
