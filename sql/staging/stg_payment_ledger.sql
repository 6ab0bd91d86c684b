-- stg_payment_ledger: one row per ledger line loaded.
-- Inputs: landing_payment_ledger (written by ingest from the case's payment_ledger sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_payment_ledger as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    ts::TIMESTAMPTZ as ts,
    payer::VARCHAR as payer,
    payee::VARCHAR as payee,
    amount::DECIMAL(18, 2) as amount,
    entry_ref::VARCHAR as entry_ref,
    memo::VARCHAR as memo
from landing_payment_ledger;
