-- victim_flows: one row per transfer between a gang account and a paying account: a payment or a return (rules.md §2).
-- Inputs: transfers, gang_account_list, victim_accounts.
-- flow payment: money into a gang account from an account that is not one; its payer is the
-- identified victim of the account, else unidentified:<account_no>.
-- flow return: money from a gang account to an account that made a payment (the small "profits"
-- paid out to win trust), credited to that payment's payer.
create or replace table victim_flows as
with paid_in as (
    select t.*, coalesce(v.victim_id, 'unidentified:' || t.payer_account) as victim_id
    from transfers as t
    left join victim_accounts as v on v.account_no = t.payer_account
    where t.payee_account in (select account_no from gang_account_list)
        and t.payer_account not in (select account_no from gang_account_list)
),
paid_back as (
    select t.*, p.victim_id
    from transfers as t
    join (select distinct payer_account, victim_id from paid_in) as p on p.payer_account = t.payee_account
    where t.payer_account in (select account_no from gang_account_list)
),
flows as (
    select 'payment' as flow, * from paid_in
    union all by name
    select 'return' as flow, * from paid_back
)
select
    transfer_id,
    flow,
    victim_id,
    payer_account as from_account,
    payee_account as to_account,
    ts,
    amount,
    sources
from flows;
