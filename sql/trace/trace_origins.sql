-- trace_origins: one row per origin a lot can have (outputs.md: a victim_id, `other` or `opening`), numbered for the allocation.
-- Inputs: trace_steps. Numbers 0 and 1 are other and opening; 2 is `pooled:victims`, every
-- victim's money together where pro_rata or libr are followed at account level (docs/tracing.md,
-- Scale); victims (unidentified payers included) follow from 3 on in victim_id order, so "is a
-- victim's lot" is origin_id >= 2 and "is one victim's" origin_id >= 3 (trace.FIRST_VICTIM).
create or replace table trace_origins as
select 0::INTEGER as origin_id, 'other' as origin
union all
select 1, 'opening'
union all
select 2, 'pooled:victims'
union all
select (row_number() over (order by origin) + 2)::INTEGER, origin
from (select distinct origin from trace_steps where origin not in ('other', 'opening'));
