-- recoveries: one row per frozen account and victim allotted some of its frozen money, plus `unallocated` (outputs.md `recoveries`, rules.md §8).
-- Inputs: recovery_allotments (written by trace.build_tracing: exact shares, capped at net loss,
-- rounded once per account and allocation by largest remainder), trace_freezes.
-- A victim with 0.00 under both allocations has no row; `unallocated` has one when either
-- allocation leaves money to no victim.
create or replace table recoveries as
select
    account_no,
    victim_id,
    (coalesce(sum(amount_fen) filter (where allocation = 'traced'), 0) * 0.01::DECIMAL(3, 2))::DECIMAL(38, 2) as traced,
    (coalesce(sum(amount_fen) filter (where allocation = 'pro_rata'), 0) * 0.01::DECIMAL(3, 2))::DECIMAL(38, 2) as pro_rata
from recovery_allotments
group by account_no, victim_id
having sum(amount_fen) > 0;
