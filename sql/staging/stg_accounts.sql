-- stg_accounts: one row per account and holder.
-- Inputs: landing_accounts (written by ingest from the case's accounts sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_accounts as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    account_no::VARCHAR as account_no,
    holder_id::VARCHAR as holder_id,
    holder_name::VARCHAR as holder_name
from landing_accounts;
