-- victims: one row per identified victim and per unidentified paying account (outputs.md `victims`).
-- Inputs: stg_victims, payments, case_returns (rules.md §5). reported_loss: victims.csv repeats
-- a victim's report on each account row, so the largest stated value is taken, never a sum.
create or replace table victims as
with people as (
    select victim_id, min(name) as name, max(reported_loss) as reported_loss
    from stg_victims
    group by victim_id
    union all
    select distinct victim_id, null, null
    from payments
    where victim_id like 'unidentified:%'
),
paid as (
    select
        victim_id,
        sum(amount) as paid,
        sum(amount) filter (where status = 'validated') as validated,
        sum(amount) filter (where status = 'unattributed') as unattributed,
        count(*) as payments
    from payments
    group by victim_id
),
returned as (
    select victim_id, sum(amount) as returned from case_returns group by victim_id
)
select
    v.victim_id,
    v.name,
    coalesce(p.paid, 0)::DECIMAL(38, 2) as paid,
    coalesce(r.returned, 0)::DECIMAL(38, 2) as returned,
    (coalesce(p.paid, 0) - coalesce(r.returned, 0))::DECIMAL(38, 2) as net_loss,
    coalesce(p.validated, 0)::DECIMAL(38, 2) as validated,
    coalesce(p.unattributed, 0)::DECIMAL(38, 2) as unattributed,
    v.reported_loss,
    coalesce(p.payments, 0) as payments
from people as v
left join paid as p using (victim_id)
left join returned as r using (victim_id);
