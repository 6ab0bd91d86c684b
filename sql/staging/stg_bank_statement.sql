-- stg_bank_statement: one row per statement row loaded (a posting as one export shows it; overlapping exports still repeat here).
-- Inputs: landing_bank_statement (written by ingest from the case's bank_statement sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_bank_statement as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    account_no::VARCHAR as account_no,
    account_name::VARCHAR as account_name,
    ts::TIMESTAMPTZ as ts,
    amount::DECIMAL(18, 2) as amount,
    balance::DECIMAL(18, 2) as balance,
    counterparty_account::VARCHAR as counterparty_account,
    counterparty_name::VARCHAR as counterparty_name,
    txn_ref::VARCHAR as txn_ref,
    currency::VARCHAR as currency,
    memo::VARCHAR as memo
from landing_bank_statement;
