-- recovery_claims: one row per freeze, allocation and origin: what that origin's claim on the frozen amount is measured by (rules.md §8), in fen.
-- Inputs: trace_freezes, trace_freeze_lots (written by trace.build_tracing), trace_parts, trace_events, trace_nodes, trace_origins.
-- traced: the lots `libr` finds in the account at the freeze, every origin (other and opening too:
--   they take their share of a scaled-down frozen amount, which then goes unallocated).
-- pro_rata: every victim's money (unidentified payers included) that `pro_rata` tracing brings into
--   the account up to the freeze time (postings of that second included), directly or through
--   earlier hops; other and opening are no claimants.
create or replace table recovery_claims as
select f.freeze_id, f.account_no, 'traced' as allocation, o.origin, sum(l.amount_fen)::BIGINT as amount_fen
from trace_freezes as f
join trace_freeze_lots as l on l.event_no = f.event_no and l.method_id = 3
join trace_origins as o on o.origin_id = l.origin_id
group by all
union all
select f.freeze_id, f.account_no, 'pro_rata', o.origin, sum(p.amount_fen)::BIGINT
from trace_freezes as f
join trace_nodes as n on n.account_no = f.account_no
join trace_parts as p on p.to_id = n.node_id and p.method_id in (-1, 2) and p.origin_id >= 2
join trace_events as e on e.event_no = p.event_no and e.ts <= f.ts
join trace_origins as o on o.origin_id = p.origin_id
group by all;
