-- stg_units: one row per unit of the organisation.
-- Inputs: landing_units (written by ingest from the case's units sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_units as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    unit_id::VARCHAR as unit_id,
    name::VARCHAR as name,
    kind::VARCHAR as kind,
    parent_id::VARCHAR as parent_id
from landing_units;
