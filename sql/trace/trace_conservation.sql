-- trace_conservation: one row per method and account where lots in ≠ lots out + end points there (rules.md §7); empty when tracing balances.
-- Inputs: trace_parts, trace_ends, trace_nodes.
-- Read from the rows tracing wrote, not from its running totals: lots in are every part arriving
-- in the account (starts included), lots out every move leaving it (hop ≥ 1), end points every
-- end recorded there. Amounts in fen.
create or replace view trace_conservation as
with methods as (
    select * from (values (0, 'fifo'), (1, 'lifo'), (2, 'pro_rata'), (3, 'libr')) as m(method_id, method)
),
parts as (
    select m.method_id, p.from_id, p.to_id, p.hop, p.amount_fen
    from trace_parts as p
    join methods as m on p.method_id = m.method_id or p.method_id = -1
),
flows as (
    select method_id, to_id as node_id, amount_fen as lots_in, 0 as lots_out, 0 as ended from parts
    union all
    select method_id, from_id, 0, amount_fen, 0 from parts where hop > 0
    union all
    select method_id, node_id, 0, 0, amount_fen from trace_ends
),
totals as (
    select method_id, node_id, sum(lots_in) as lots_in, sum(lots_out) as lots_out, sum(ended) as ended
    from flows
    group by all
)
select m.method, n.account_no, t.lots_in, t.lots_out, t.ended
from totals as t
join methods as m using (method_id)
left join trace_nodes as n using (node_id)
where t.lots_in <> t.lots_out + t.ended;
