-- defendant_bases: one row per defendant of the roster: the basis their liable amount takes (rules.md §4).
-- Inputs: roster_periods, liability_bases (seed: own < unit < gang by breadth); getvariable('liability')
-- (case.toml [liability]: role → basis, every role named). A defendant with several roles takes the
-- widest basis among them.
create or replace table defendant_bases as
select r.defendant_id, arg_max(b.basis, b.breadth::INTEGER) as liable_basis
from roster_periods as r
join liability_bases as b on b.basis = getvariable('liability')[r.role]
group by r.defendant_id;
