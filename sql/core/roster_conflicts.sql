-- roster_conflicts: one row per pair of roster rows that give one code name to two people on a common day,
-- a period that ends before it starts, or a role outside case-format.md's five (its liability basis would be a guess).
-- Inputs: roster_periods, roles (seed: the roles case-format.md names, in its order). Any row here stops the run (errors.RosterError): attribution would be a guess.
create or replace view roster_conflicts as
select
    a.roster_row,
    b.roster_row as other_row,
    a.member_code,
    'code ' || a.member_code || ' held by ' || a.defendant_id || ' and ' || b.defendant_id || ' on ' || greatest(a.valid_from, b.valid_from)::VARCHAR as problem
from roster_periods as a
join roster_periods as b
    on a.member_code = b.member_code
    and a.defendant_id < b.defendant_id
    and a.valid_from <= b.valid_to
    and b.valid_from <= a.valid_to
union all
select roster_row, null, member_code, 'valid_to ' || valid_to::VARCHAR || ' is before valid_from ' || valid_from::VARCHAR
from roster_periods
where valid_to < valid_from
union all
select
    roster_row,
    null,
    member_code,
    'role ' || role || ' is not one of ' || (select string_agg(role, ', ' order by seed_order) from roles)
from roster_periods
where role not in (select role from roles);
