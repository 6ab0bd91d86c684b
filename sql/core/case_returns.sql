-- case_returns: one row per return, i.e. money from a gang account to an account that made a payment.
-- Inputs: transfers, gang_account_list, case_payments (rules.md §2: the small "profits" paid out to win trust).
create or replace table case_returns as
select
    t.transfer_id as return_id,
    p.victim_id,
    t.payer_account as from_account,
    t.payee_account as to_account,
    t.ts,
    t.amount,
    t.sources
from transfers as t
join (select distinct from_account, victim_id from case_payments) as p on p.from_account = t.payee_account
where t.payer_account in (select account_no from gang_account_list);
