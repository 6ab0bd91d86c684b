-- victim_recoveries: one row per victim (as in `victims`): what they paid, got back, and are allotted of frozen money under each allocation.
-- Inputs: victims, recoveries.
-- missing_*: net loss not covered by frozen money under that allocation (never below 0.00 but
-- for a cent of rounding, see docs/tracing.md).
create or replace table victim_recoveries as
select
    v.victim_id,
    v.name,
    v.paid,
    v.returned,
    v.net_loss,
    coalesce(r.traced, 0)::DECIMAL(38, 2) as frozen_traced,
    coalesce(r.pro_rata, 0)::DECIMAL(38, 2) as frozen_pro_rata,
    (v.net_loss - coalesce(r.traced, 0))::DECIMAL(38, 2) as missing_traced,
    (v.net_loss - coalesce(r.pro_rata, 0))::DECIMAL(38, 2) as missing_pro_rata
from victims as v
left join (
    select victim_id, sum(traced) as traced, sum(pro_rata) as pro_rata from recoveries group by victim_id
) as r using (victim_id);
