-- stg_gang_accounts: one row per listed gang account.
-- Inputs: landing_gang_accounts (written by ingest from the case's gang_accounts sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_gang_accounts as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    account_no::VARCHAR as account_no,
    holder_name::VARCHAR as holder_name
from landing_gang_accounts;
