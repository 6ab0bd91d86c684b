-- account_shortfalls: one row per method and traced account whose outflows took more than the lots present: its statement is incomplete.
-- Inputs: trace_parts, trace_events, trace_nodes.
-- Each such outflow takes every lot present and a lot of `other` for the rest (rules.md §7);
-- shortfall is the sum of those `other` lots, first_posting_id the first outflow that needed one.
-- The figures differ by method only where dust written off earlier left less in the account.
create or replace table account_shortfalls as
select
    list_extract(['fifo', 'lifo', 'pro_rata', 'libr'], p.method_id + 1) as method,
    n.account_no,
    count(*) as outflows_short,
    (sum(p.amount_fen) * 0.01::DECIMAL(3, 2))::DECIMAL(38, 2) as shortfall,
    min(e.ts) as first_ts,
    arg_min(e.posting_id, e.event_no) as first_posting_id
from trace_parts as p
join trace_events as e on e.event_no = p.event_no and e.event = 'out'
join trace_nodes as n on n.node_id = p.to_id
where p.hop = 0 and p.from_id = -1
group by all;
