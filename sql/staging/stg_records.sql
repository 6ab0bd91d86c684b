-- stg_records: one row per personal-information record passed on.
-- Inputs: landing_records (written by ingest from the case's records sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_records as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    seller_id::VARCHAR as seller_id,
    buyer_id::VARCHAR as buyer_id,
    ts::TIMESTAMPTZ as ts,
    name::VARCHAR as name,
    phone::VARCHAR as phone,
    id_number::VARCHAR as id_number,
    category::VARCHAR as category,
    batch_ref::VARCHAR as batch_ref
from landing_records;
