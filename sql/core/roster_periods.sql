-- roster_periods: one row per person, code name, unit and period, with open ends closed at 9999-12-31.
-- Inputs: stg_roster. Dates are calendar days in the case timezone, both ends inclusive.
create or replace table roster_periods as
select
    source || ':' || source_row as roster_row,
    defendant_id,
    name,
    lower(role) as role,
    unit_id,
    member_code,
    valid_from,
    coalesce(valid_to, date '9999-12-31') as valid_to,
    valid_to is null as open_ended
from stg_roster;
