-- trace_steps: one row per event of the tracing run (rules.md §7): a lot starting, an outflow of a traced account, or a freeze.
-- Inputs: transfers, postings, trace_postings, trace_accounts, case_payments, stg_frozen, variable platform_accounts.
-- event 'start': money arrives in `account_no` from outside the traced money: a payment (origin its
--   victim), the opening balance (origin opening), anything else into a traced account (origin other).
--   A start in an account that is not traced ends at once there (target platform or untraced).
-- event 'out': an outflow on a traced account's own statement, moving lots to counterparty_account;
--   target cash (no counterparty, or a memo of 取现 / ATM / 现金), platform, traced or untraced.
-- event 'freeze': a frozen traced account (freezes of accounts without a statement change no lot).
-- A transfer seen on both statements is one event: an outflow of a traced payer carries its lots
-- to the payee; from a payer that is not traced, its lot starts at the payer's posting time, in
-- the payee's order. Transfers of an account to itself move nothing and are left out.
-- instant_class orders one instant: opening lots, then postings, then freezes.
create or replace table trace_steps as
with moved as (
    select
        t.transfer_id,
        t.payer_account,
        t.payee_account,
        t.amount,
        case when t.seen_on <> 'payee' then split_part(t.sources, ';', 1) end as payer_posting,
        case t.seen_on when 'both' then split_part(t.sources, ';', 2) when 'payee' then t.sources end as payee_posting
    from transfers as t
    where t.payer_account <> t.payee_account
        -- only a transfer touching a traced account, or a payment, becomes an event (below)
        and (t.payer_account in (select account_no from trace_accounts where traced)
             or t.payee_account in (select account_no from trace_accounts where traced)
             or t.transfer_id in (select payment_id from case_payments))
),
placed as (
    select
        m.*,
        po.ts as payer_ts,
        po.memo as payer_memo,
        pr.posting_rank as payer_rank,
        pi.ts as payee_ts,
        qr.posting_rank as payee_rank,
        coalesce(pa.traced, false) as payer_traced,
        coalesce(qa.traced, false) as payee_traced,
        list_contains(getvariable('platform_accounts')::VARCHAR[], m.payee_account) as payee_platform,
        cp.victim_id as payment_origin
    from moved as m
    left join postings as po on po.posting_id = m.payer_posting
    left join trace_postings as pr on pr.posting_id = m.payer_posting
    left join postings as pi on pi.posting_id = m.payee_posting
    left join trace_postings as qr on qr.posting_id = m.payee_posting
    left join trace_accounts as pa on pa.account_no = m.payer_account
    left join trace_accounts as qa on qa.account_no = m.payee_account
    left join case_payments as cp on cp.payment_id = m.transfer_id
)
select
    'out' as event,
    1 as instant_class,
    payer_ts as ts,
    payer_account as account_no,
    payer_rank as posting_rank,
    payee_account as counterparty_account,
    case
        when regexp_matches(coalesce(payer_memo, ''), '取现|ATM|现金', 'i') then 'cash'
        when payee_platform then 'platform'
        when payee_traced then 'traced'
        else 'untraced'
    end as target,
    null::VARCHAR as origin,
    amount,
    payer_posting as posting_id,
    null::VARCHAR as freeze_id
from placed
where payer_traced and payer_posting is not null
union all
select
    'start',
    1,
    coalesce(payer_ts, payee_ts),
    payee_account,
    payee_rank,
    payer_account,
    case when payee_platform then 'platform' when payee_traced then 'traced' else 'untraced' end,
    coalesce(payment_origin, 'other'),
    amount,
    coalesce(payee_posting, payer_posting),
    null
from placed
where not (payer_traced and payer_posting is not null)
    and (payee_traced or payment_origin is not null)
union all
select
    case when amount > 0 then 'start' else 'out' end,
    1,
    ts,
    account_no,
    posting_rank,
    null,
    case when amount > 0 then 'traced' else 'cash' end,
    case when amount > 0 then 'other' end,
    abs(amount),
    posting_id,
    null
from trace_postings
where counterparty_account is null
union all
select 'start', 0, first_ts, account_no, 0, null, 'traced', 'opening', opening, first_posting_id, null
from trace_accounts
where traced and opening > 0
union all
select 'freeze', 2, f.ts, f.account_no, null, null, null, null, f.amount, null, f.source || ':' || f.source_row
from stg_frozen as f
join trace_accounts as a on a.account_no = f.account_no and a.traced;
