-- leads: one row per suspected gang or layering account (outputs.md `leads`, rules.md §7).
-- Inputs: transfers, victim_accounts, gang_account_list, trace_accounts, lead_pass_through.
-- reason `victims`: not in gang_accounts and receiving transfers straight from 3 or more
-- identified victims (seen on any statement: the account itself may have none). reason
-- `pass_through`: a loaded account not in gang_accounts passing on at least 90 % of what it
-- received within pass_through_hours. victims: identified victims paying straight in (0 for a
-- pass-through account no victim paid). amount_in/amount_out: all money in and out of its
-- statement; passed_on_share: passed on in time / received; all three NULL for an
-- account without a statement.
create or replace table leads as
with straight as (
    select t.payee_account as account_no, count(distinct v.victim_id) as victims
    from transfers as t
    join victim_accounts as v on v.account_no = t.payer_account
    where t.payee_account not in (select account_no from gang_account_list)
    group by t.payee_account
),
flagged as (
    select
        coalesce(s.account_no, p.account_no) as account_no,
        coalesce(s.victims, 0) >= 3 as by_victims,
        coalesce(p.received_fen > 0 and p.passed_fen * 10 >= p.received_fen * 9, false) as by_pass_through,
        coalesce(s.victims, 0) as victims,
        p.received_fen,
        p.passed_fen
    from straight as s
    full join lead_pass_through as p using (account_no)
)
select
    f.account_no,
    concat_ws(';', case when f.by_victims then 'victims' end, case when f.by_pass_through then 'pass_through' end) as reason,
    f.victims,
    a.amount_in,
    a.amount_out,
    -- half up to 4 places, in integers: no binary fractions
    case when f.received_fen > 0
        then ((f.passed_fen::HUGEINT * 20000 + f.received_fen) // (2 * f.received_fen)) * 0.0001::DECIMAL(5, 4)
    end::DECIMAL(5, 4) as passed_on_share
from flagged as f
left join trace_accounts as a using (account_no)
where f.by_victims or f.by_pass_through;
