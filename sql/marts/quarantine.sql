-- quarantine: one row per rejected input row (outputs.md `quarantine`).
-- Inputs: landing_quarantine (ingest).
create or replace view quarantine as
select source, source_row, "column", value, reason
from landing_quarantine;
