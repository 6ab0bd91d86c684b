-- liable_entries: one row per (defendant, validated entry) that makes up the defendant's liable amount.
-- Inputs: defendants, entries, roster_periods, unit_tree. The same sets defendants.sql sums
-- (rules.md §4), listed entry by entry so every liable figure can be traced to its evidence
-- rows; the balancing rule sum(amount) = defendants.liable is checked before publishing.
create or replace view liable_entries as
with validated as (
    select entry_id, ts, amount, defendant_id, unit_id, timezone(getvariable('case_tz'), ts)::DATE as case_day
    from entries
    where status = 'validated'
),
own as (
    select d.defendant_id, v.entry_id, v.ts, v.amount
    from defendants as d
    join validated as v on v.defendant_id = d.defendant_id
    where d.liable_basis = 'own'
),
unit as (
    select distinct d.defendant_id, v.entry_id, v.ts, v.amount
    from defendants as d
    join roster_periods as r on r.defendant_id = d.defendant_id
    join unit_tree as t on t.unit_id = r.unit_id
    join validated as v on v.unit_id = t.member_unit_id and v.case_day between r.valid_from and r.valid_to
    where d.liable_basis = 'unit'
),
gang as (
    select distinct d.defendant_id, v.entry_id, v.ts, v.amount
    from defendants as d
    join roster_periods as r on r.defendant_id = d.defendant_id
    join validated as v on v.case_day between r.valid_from and r.valid_to
    where d.liable_basis = 'gang'
)
select * from own
union all
select * from unit
union all
select * from gang;
