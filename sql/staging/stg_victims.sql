-- stg_victims: one row per victim account.
-- Inputs: landing_victims (written by ingest from the case's victims sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_victims as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    victim_id::VARCHAR as victim_id,
    name::VARCHAR as name,
    account_no::VARCHAR as account_no,
    reported_loss::DECIMAL(18, 2) as reported_loss
from landing_victims;
