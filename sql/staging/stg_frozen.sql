-- stg_frozen: one row per frozen or seized account listed (rules.md §8).
-- Inputs: landing_frozen (written by ingest from the case's frozen sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_frozen as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    account_no::VARCHAR as account_no,
    amount::DECIMAL(18, 2) as amount,
    ts::TIMESTAMPTZ as ts,
    authority_ref::VARCHAR as authority_ref
from landing_frozen;
