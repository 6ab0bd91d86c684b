-- endpoints: one row per method, end account, kind and origin (outputs.md `endpoints`, kinds of rules.md §7).
-- Inputs: trace_ends (written by trace.build_tracing: one row per lot or part that ended), trace_nodes, trace_origins.
create or replace table endpoints as
with summed as (
    select method_id, node_id, kind_id, origin_id, sum(amount_fen) as amount_fen
    from trace_ends
    group by all
)
select
    list_extract(['fifo', 'lifo', 'pro_rata', 'libr'], e.method_id + 1) as method,
    n.account_no,
    list_extract(['cash', 'platform', 'max_hops', 'not_obtained', 'frozen', 'held', 'dust'], e.kind_id + 1) as kind,
    o.origin,
    (e.amount_fen * 0.01::DECIMAL(3, 2))::DECIMAL(38, 2) as amount
from summed as e
join trace_nodes as n on n.node_id = e.node_id
join trace_origins as o on o.origin_id = e.origin_id;
