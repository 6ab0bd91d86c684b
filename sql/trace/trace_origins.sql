-- trace_origins: one row per origin a lot can have (outputs.md: a victim_id, `other` or `opening`), numbered for the allocation.
-- Inputs: trace_steps. Numbers 0 and 1 are other and opening; victims (unidentified payers
-- included) follow in victim_id order, so "is a victim's lot" is origin_id >= 2.
create or replace table trace_origins as
select 0::INTEGER as origin_id, 'other' as origin
union all
select 1, 'opening'
union all
select (row_number() over (order by origin) + 1)::INTEGER, origin
from (select distinct origin from trace_steps where origin not in ('other', 'opening'));
