-- decisions: one row per review decision (outputs.md `decisions`): what it says, applied or stale, and why.
-- Inputs: decision_outcomes.
create or replace table decisions as
select action, entry_id, payment_ids, row_id, reason, decided_by, decided_at, status, detail
from decision_outcomes;
