-- trace_events: one row per event of the tracing run, numbered in the order the allocation runs them (rules.md §7).
-- Inputs: trace_steps, trace_nodes, trace_origins, variable follow_money (false: no event, every
-- tracing table stays empty but for leads; see trace.follows_money).
-- Order: time; at one instant opening lots, then postings by account and posting order, then
-- freezes; posting_id and freeze_id only break ties the rules leave open.
create or replace table trace_events as
select
    (row_number() over (
        order by s.ts, s.instant_class, s.account_no, s.posting_rank nulls last, s.posting_id, s.freeze_id
    ) - 1)::BIGINT as event_no,
    s.event,
    s.ts,
    s.account_no,
    s.counterparty_account,
    s.target,
    s.origin,
    s.amount,
    s.posting_id,
    s.freeze_id,
    a.node_id as account_id,
    c.node_id as counterparty_id,
    o.origin_id,
    (s.amount::DECIMAL(38, 2) * 100)::BIGINT as amount_fen
from trace_steps as s
join trace_nodes as a on a.account_no = s.account_no
left join trace_nodes as c on c.account_no = s.counterparty_account
left join trace_origins as o on o.origin = s.origin
where getvariable('follow_money');
