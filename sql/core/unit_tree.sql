-- unit_tree: one row per (unit, unit at or below it) in the organisation.
-- Inputs: stg_units, stg_roster (a unit named only in the roster still covers itself). A department's unit measure covers its groups (rules.md §4 "entries of the units").
create or replace table unit_tree as
with recursive tree(unit_id, member_unit_id, depth) as (
    select unit_id, unit_id, 0 from stg_units
    union all
    select t.unit_id, u.unit_id, t.depth + 1
    from tree as t
    join stg_units as u on u.parent_id = t.member_unit_id
    where t.depth < 20
)
select distinct unit_id, member_unit_id from tree
union
select distinct unit_id, unit_id from stg_roster;
