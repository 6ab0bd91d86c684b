-- defendants: one row per defendant of the roster (outputs.md `defendants`).
-- Inputs: roster_periods, unit_tree, entries (rules.md §4).
-- own / own_unvalidated: entries under the defendant's code names.
-- unit: validated entries of the units (and their sub-units) the defendant served in, on days they served there.
-- gang: all validated entries, unknown codes included, on days the defendant was in the organisation.
-- Days are counted once however many roster rows cover them, so overlapping periods never add twice.
-- liable: the widest basis among the defendant's roles per [liability] (own < unit < gang).
-- entries: every entry under the defendant's codes (validated or not); victims: the distinct
-- payers behind their validated entries.
create or replace table defendants as
with validated_by_day as (
    select timezone(getvariable('case_tz'), ts)::DATE as case_day, unit_id, sum(amount) as amount
    from entries
    where status = 'validated'
    group by all
),
own as (
    select
        defendant_id,
        sum(amount) filter (where status = 'validated') as own,
        sum(amount) filter (where status = 'unvalidated') as own_unvalidated,
        count(*) as entries,
        count(distinct victim_id) filter (where status = 'validated') as victims
    from entries
    where defendant_id is not null
    group by defendant_id
),
unit_days as (
    select distinct r.defendant_id, t.member_unit_id, d.case_day
    from roster_periods as r
    join unit_tree as t on t.unit_id = r.unit_id
    join (select distinct case_day from validated_by_day) as d on d.case_day between r.valid_from and r.valid_to
),
unit_measure as (
    select u.defendant_id, sum(v.amount) as unit
    from unit_days as u
    join validated_by_day as v on v.unit_id = u.member_unit_id and v.case_day = u.case_day
    group by u.defendant_id
),
gang_days as (
    select distinct r.defendant_id, d.case_day
    from roster_periods as r
    join (select distinct case_day from validated_by_day) as d on d.case_day between r.valid_from and r.valid_to
),
gang_measure as (
    select g.defendant_id, sum(v.amount) as gang
    from gang_days as g
    join validated_by_day as v using (case_day)
    group by g.defendant_id
),
people as (
    select
        defendant_id,
        arg_min(name, valid_from) as name,
        string_agg(distinct role, ';' order by role) as role,
        string_agg(distinct unit_id, ';' order by unit_id) as unit_ids,
        string_agg(distinct member_code, ';' order by member_code) as codes,
        min(valid_from) as first_day,
        case when bool_or(open_ended) then null else max(valid_to) end as last_day,
        max(case getvariable('liability')[role] when 'gang' then 3 when 'unit' then 2 else 1 end) as basis_rank
    from roster_periods
    group by defendant_id
),
measured as (
    select
        p.*,
        coalesce(o.own, 0)::DECIMAL(38, 2) as own,
        coalesce(o.own_unvalidated, 0)::DECIMAL(38, 2) as own_unvalidated,
        coalesce(u.unit, 0)::DECIMAL(38, 2) as unit,
        coalesce(g.gang, 0)::DECIMAL(38, 2) as gang,
        coalesce(o.entries, 0) as entries,
        coalesce(o.victims, 0) as victims,
        case p.basis_rank when 3 then 'gang' when 2 then 'unit' else 'own' end as liable_basis
    from people as p
    left join own as o using (defendant_id)
    left join unit_measure as u using (defendant_id)
    left join gang_measure as g using (defendant_id)
),
liable as (
    select
        *,
        case liable_basis when 'gang' then gang when 'unit' then unit else own end as liable
    from measured
)
select
    defendant_id,
    name,
    role,
    unit_ids,
    codes,
    first_day,
    last_day,
    own,
    own_unvalidated,
    unit,
    gang,
    liable,
    liable_basis,
    case
        when liable >= 500000 then 'especially_huge'
        when liable >= 30000 then 'huge'
        when liable >= 3000 then 'large'
        else 'none'
    end as tier,
    entries,
    victims
from liable;
