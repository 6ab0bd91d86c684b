-- stg_deposit_sheet: one row per deposit-sheet entry loaded.
-- Inputs: landing_deposit_sheet (written by ingest from the case's deposit_sheet sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_deposit_sheet as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    ts::TIMESTAMPTZ as ts,
    amount::DECIMAL(18, 2) as amount,
    member_code::VARCHAR as member_code,
    receiving_account::VARCHAR as receiving_account,
    victim_ref::VARCHAR as victim_ref,
    entry_ref::VARCHAR as entry_ref
from landing_deposit_sheet;
