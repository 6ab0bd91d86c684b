-- defendants: one row per defendant of the roster (outputs.md `defendants`).
-- Inputs: roster_periods, defendant_bases, measure_entries (where the measures are decided,
-- rules.md §4), entries (the payer behind an entry), fraud_tiers (seed: the tier marks).
-- Each money figure is the sum of the defendant's measure_entries rows of that measure.
-- entries: every entry under the defendant's codes (validated or not); victims: the distinct
-- payers behind their validated entries. tier: the highest tier whose min_liable liable reaches.
create or replace table defendants as
with people as (
    select
        defendant_id,
        arg_min(name, valid_from) as name,
        string_agg(distinct role, ';' order by role) as role,
        string_agg(distinct unit_id, ';' order by unit_id) as unit_ids,
        string_agg(distinct member_code, ';' order by member_code) as codes,
        min(valid_from) as first_day,
        case when bool_or(open_ended) then null else max(valid_to) end as last_day
    from roster_periods
    group by defendant_id
),
measures as (
    select
        m.defendant_id,
        sum(m.amount) filter (where m.measure = 'own') as own,
        sum(m.amount) filter (where m.measure = 'own_unvalidated') as own_unvalidated,
        sum(m.amount) filter (where m.measure = 'unit') as unit,
        sum(m.amount) filter (where m.measure = 'gang') as gang,
        sum(m.amount) filter (where m.measure = 'liable') as liable,
        count(*) filter (where m.measure in ('own', 'own_unvalidated')) as entries
    from measure_entries as m
    group by m.defendant_id
),
payers as (
    select m.defendant_id, count(distinct e.victim_id) as victims
    from measure_entries as m
    join entries as e using (entry_id)
    where m.measure = 'own'
    group by m.defendant_id
),
summed as (
    select
        p.*,
        coalesce(m.own, 0)::DECIMAL(38, 2) as own,
        coalesce(m.own_unvalidated, 0)::DECIMAL(38, 2) as own_unvalidated,
        coalesce(m.unit, 0)::DECIMAL(38, 2) as unit,
        coalesce(m.gang, 0)::DECIMAL(38, 2) as gang,
        coalesce(m.liable, 0)::DECIMAL(38, 2) as liable,
        b.liable_basis,
        coalesce(m.entries, 0) as entries,
        coalesce(v.victims, 0) as victims
    from people as p
    join defendant_bases as b using (defendant_id)
    left join measures as m using (defendant_id)
    left join payers as v using (defendant_id)
),
tiered as (
    select s.defendant_id, arg_max(t.tier, t.min_liable::DECIMAL(18, 2)) as tier
    from summed as s
    join fraud_tiers as t on s.liable >= t.min_liable::DECIMAL(18, 2)
    group by s.defendant_id
)
select
    s.defendant_id,
    s.name,
    s.role,
    s.unit_ids,
    s.codes,
    s.first_day,
    s.last_day,
    s.own,
    s.own_unvalidated,
    s.unit,
    s.gang,
    s.liable,
    s.liable_basis,
    t.tier,
    s.entries,
    s.victims
from summed as s
join tiered as t using (defendant_id);
