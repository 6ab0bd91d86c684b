-- measure_entries: one row per (defendant, measure, entry) a defendant's measure is made of (rules.md §4).
-- Inputs: entries, deposit_entries (the entry's day in the case timezone), roster_periods, unit_tree,
-- defendant_bases. The one place the measures are decided: defendants sums these rows, the reports
-- list them (liable_entries), and controls.py checks that each figure is the sum of its rows.
-- own / own_unvalidated: the validated / unvalidated entries under the defendant's code names.
-- unit: validated entries of the units (and their sub-units) the defendant served in, on days they served there.
-- gang: every validated entry, unknown codes included, on days the defendant was in the organisation.
-- liable: the rows of the measure defendant_bases names for the defendant.
-- An entry is listed once per defendant and measure however many roster rows cover its day, so
-- overlapping periods never add twice.
create or replace view measure_entries as
with dated as (
    select e.entry_id, e.amount, e.status, e.defendant_id, e.unit_id, d.case_day
    from entries as e
    join deposit_entries as d using (entry_id)
),
own as (
    select
        defendant_id,
        case status when 'validated' then 'own' else 'own_unvalidated' end as measure,
        entry_id,
        amount
    from dated
    where defendant_id is not null
),
validated_days as (
    select distinct unit_id, case_day from dated where status = 'validated'
),
-- The days first, then their entries: a day covered by several roster rows is one day, and no
-- entry-level distinct is needed.
unit_days as (
    select distinct r.defendant_id, d.unit_id, d.case_day
    from roster_periods as r
    join unit_tree as t on t.unit_id = r.unit_id
    join validated_days as d on d.unit_id = t.member_unit_id and d.case_day between r.valid_from and r.valid_to
),
gang_days as (
    select distinct r.defendant_id, d.case_day
    from roster_periods as r
    join (select distinct case_day from validated_days) as d on d.case_day between r.valid_from and r.valid_to
),
unit as (
    select u.defendant_id, 'unit' as measure, v.entry_id, v.amount
    from unit_days as u
    join dated as v on v.status = 'validated' and v.unit_id = u.unit_id and v.case_day = u.case_day
),
gang as (
    select g.defendant_id, 'gang' as measure, v.entry_id, v.amount
    from gang_days as g
    join dated as v on v.status = 'validated' and v.case_day = g.case_day
),
measured as (
    select * from own
    union all
    select * from unit
    union all
    select * from gang
)
select defendant_id, measure, entry_id, amount
from measured
union all
select m.defendant_id, 'liable', m.entry_id, m.amount
from measured as m
join defendant_bases as b on b.defendant_id = m.defendant_id and b.liable_basis = m.measure;
