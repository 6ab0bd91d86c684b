-- info_record_checks: one row per (source, outcome) with its number of record rows: why
-- records were excluded, and which categories were not recognised, per evidence file.
-- Inputs: info_records.
-- outcome is 'valid', an invalid_reason, or 'category not recognised: <raw value>'
-- (such records count as other; they may still be valid).
create or replace view info_record_checks as
select source, coalesce(invalid_reason, 'valid') as outcome, count(*) as record_rows
from info_records
group by all
union all
select source, 'category not recognised: ' || category_raw, count(*)
from info_records
where not category_known
group by all;
