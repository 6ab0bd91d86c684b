-- stg_decisions: one row per review decision loaded (rules.md §9).
-- Inputs: landing_decisions (written by ingest from the case's decisions sources).
-- Renames and casts only; parsing and quarantine happened in ingest.
create or replace view stg_decisions as
select
    source::VARCHAR as source,
    source_row::BIGINT as source_row,
    action::VARCHAR as action,
    entry_id::VARCHAR as entry_id,
    payment_ids::VARCHAR as payment_ids,
    row_id::VARCHAR as row_id,
    reason::VARCHAR as reason,
    decided_by::VARCHAR as decided_by,
    decided_at::TIMESTAMPTZ as decided_at
from landing_decisions;
