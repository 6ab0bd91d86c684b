-- traces: one row per movement of one lot under one method (outputs.md `traces`), and per lot as it starts (hop 0).
-- Inputs: trace_parts (written by trace.build_tracing: method_id -1 is a start, the same under
-- every method), trace_events, trace_nodes, trace_origins.
-- A start row has from_account = the payer (NULL for an opening balance, a cash deposit, or the
-- `other` lot an outflow needs beyond the lots present); posting_id is the posting that moved the money.
-- Stored in traces.csv's order (outputs.md: by the first column, then every other; no method has a
-- colon, so no row-id order), so publish writes it as stored: at 20,000 files its 770,000 rows cost
-- 1.1 s of CPU to sort here, beside matching and the marts, where sorting them in publish took 1.0-1.4 s
-- and 150 MB more at the run's peak, beside the reports.
create or replace table traces as
with methods as (
    select * from (values (0, 'fifo'), (1, 'lifo'), (2, 'pro_rata'), (3, 'libr')) as m(method_id, method)
),
parts as (
    select m.method, p.*
    from trace_parts as p
    join methods as m on m.method_id = p.method_id
    union all
    select m.method, p.*
    from trace_parts as p
    cross join methods as m
    where p.method_id = -1
)
select
    p.method,
    o.origin,
    p.hop,
    f.account_no as from_account,
    t.account_no as to_account,
    e.ts,
    (p.amount_fen * 0.01::DECIMAL(3, 2))::DECIMAL(38, 2) as amount,
    e.posting_id
from parts as p
join trace_origins as o on o.origin_id = p.origin_id
left join trace_nodes as f on f.node_id = p.from_id
join trace_nodes as t on t.node_id = p.to_id
join trace_events as e on e.event_no = p.event_no
order by all;
