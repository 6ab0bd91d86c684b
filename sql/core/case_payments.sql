-- case_payments: one row per payment, i.e. money into a gang account from an account that is not one.
-- Inputs: transfers, gang_account_list, victim_accounts (rules.md §2).
-- The payer is the identified victim of the account, else unidentified:<account_no>.
create or replace table case_payments as
select
    t.transfer_id as payment_id,
    coalesce(v.victim_id, 'unidentified:' || t.payer_account) as victim_id,
    t.payer_account as from_account,
    t.payee_account as to_account,
    t.ts,
    t.amount,
    t.sources
from transfers as t
left join victim_accounts as v on v.account_no = t.payer_account
where t.payee_account in (select account_no from gang_account_list)
    and t.payer_account not in (select account_no from gang_account_list);
