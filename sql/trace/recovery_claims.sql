-- recovery_claims: one row per freeze, allocation and origin: what that origin's claim on the frozen amount is measured by (rules.md §8), in fen.
-- Inputs: trace_freezes, trace_freeze_lots and trace_pooled_arrivals (written by trace.build_tracing),
-- trace_parts, trace_events, trace_nodes, trace_origins.
-- traced: the lots `libr` finds in the account at the freeze, every origin (other and opening too:
--   they take their share of a scaled-down frozen amount, which then goes unallocated).
-- pro_rata: every victim's money (unidentified payers included) that `pro_rata` tracing brings into
--   the account up to the freeze time (postings of that second included), directly or through
--   earlier hops; other and opening are no claimants. Lot by lot these are the parts arriving
--   there (origin_id >= 3: one victim's); where pro_rata is followed at account level, the
--   victims' pooled parts arriving there are resolved per victim in trace_pooled_arrivals.
create or replace table recovery_claims as
with arrivals as (
    select f.freeze_id, p.origin_id, p.amount_fen
    from trace_freezes as f
    join trace_nodes as n on n.account_no = f.account_no
    join trace_parts as p on p.to_id = n.node_id and p.method_id in (-1, 2) and p.origin_id >= 3
    join trace_events as e on e.event_no = p.event_no and e.ts <= f.ts
    union all
    select freeze_id, origin_id, amount_fen from trace_pooled_arrivals
)
select f.freeze_id, f.account_no, 'traced' as allocation, o.origin, sum(l.amount_fen)::BIGINT as amount_fen
from trace_freezes as f
join trace_freeze_lots as l on l.event_no = f.event_no and l.method_id = 3
join trace_origins as o on o.origin_id = l.origin_id
group by all
union all
select f.freeze_id, f.account_no, 'pro_rata', o.origin, sum(a.amount_fen)::BIGINT
from trace_freezes as f
join arrivals as a using (freeze_id)
join trace_origins as o on o.origin_id = a.origin_id
group by all;
