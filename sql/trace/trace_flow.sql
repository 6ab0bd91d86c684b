-- trace_flow: one row per method and link of the victims' money in report.html's flow diagram (rules.md §7).
-- Inputs: traces, endpoints, trace_accounts, victim_accounts, payments.
-- Victims' money: every origin but `other` and `opening` (`pooled:victims` included). An account's
-- layer is the lowest hop at which victims' money arrives in it under that method (0: a
-- receiving card). Links: victim -> receiving card (the payments' starts, source_layer -1),
-- account -> account (every move summed over the hops), account -> end point kind (`endpoints`,
-- target_layer NULL). Past the cards, money paid into an account that is not traced ends there
-- (platform or not_obtained), so such a link is drawn straight to that end kind, where money
-- paid back to a payer's own account (a victim's or an unidentified payer's) is the kind
-- `returned` (not_obtained there, rules.md §7, told apart for the reader); a link between
-- accounts of one layer, or back to a lower one, keeps its layers for the report to say so.
create or replace table trace_flow as
with victim_money as not materialized (
    -- read again where used: three scans of traces cost less CPU than keeping its 460,000 victims' rows (20k case)
    select method, origin, hop, from_account, to_account, amount
    from traces
    where origin not in ('other', 'opening')
),
layers as (
    select method, to_account as account_no, min(hop) as layer
    from victim_money
    group by all
),
payers as (
    select account_no from victim_accounts
    union
    select from_account from payments where from_account is not null
),
ended_there as (
    -- an account past the cards without a traced statement: what arrives ends there, as one kind
    select e.method, e.account_no, arg_max(e.kind, e.amount) as kind
    from endpoints as e
    join layers as l on l.method = e.method and l.account_no = e.account_no and l.layer > 0
    where e.origin not in ('other', 'opening')
      and e.account_no not in (select account_no from trace_accounts where traced)
    group by all
),
collapsed as (
    select method, account_no, case when account_no in (select account_no from payers) then 'returned' else kind end as kind
    from ended_there
),
starts as (
    select method, -1 as source_layer, origin as source, 0 as target_layer, to_account as target, false as target_is_end, amount
    from victim_money
    where hop = 0
),
moves as (
    select
        m.method,
        coalesce(lf.layer, 0) as source_layer,
        m.from_account as source,
        case when c.kind is null then lt.layer end as target_layer,
        coalesce(c.kind, m.to_account) as target,
        c.kind is not null as target_is_end,
        m.amount
    from victim_money as m
    left join layers as lf on lf.method = m.method and lf.account_no = m.from_account
    left join layers as lt on lt.method = m.method and lt.account_no = m.to_account
    left join collapsed as c on c.method = m.method and c.account_no = m.to_account
    where m.hop > 0
),
ends as (
    select
        e.method,
        coalesce(l.layer, 0) as source_layer,
        e.account_no as source,
        null::BIGINT as target_layer,
        e.kind as target,
        true as target_is_end,
        e.amount
    from endpoints as e
    left join layers as l on l.method = e.method and l.account_no = e.account_no
    where e.origin not in ('other', 'opening')
      and not exists (select 1 from collapsed as c where c.method = e.method and c.account_no = e.account_no)
)
select method, source_layer, source, target_layer, target, target_is_end, sum(amount)::DECIMAL(38, 2) as amount
from (select * from starts union all select * from moves union all select * from ends)
group by all
order by method, source_layer, source, target_is_end, target_layer, target;
