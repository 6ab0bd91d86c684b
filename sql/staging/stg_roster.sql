-- stg_roster: one row per person, code name and period.
-- Inputs: landing_roster (written by ingest from the case's roster sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_roster as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    defendant_id::VARCHAR as defendant_id,
    name::VARCHAR as name,
    role::VARCHAR as role,
    unit_id::VARCHAR as unit_id,
    member_code::VARCHAR as member_code,
    valid_from::DATE as valid_from,
    valid_to::DATE as valid_to
from landing_roster;
