-- file_controls: one row per input file: the control totals an auditor ties back to the evidence (manifest.json `inputs`).
-- Inputs: input_files (what ingest read and quarantined), staged_files (what the staging tables hold).
-- rows_read = rows_loaded + rows_quarantined + rows_duplicate (rules.md §1) is a real balance, not a
-- definition: rows_read and rows_quarantined are ingest's counts, rows_loaded and rows_duplicate are
-- counted in the staging tables and postings; controls.py stops the run when they do not add up.
-- A file identical to an earlier one is not parsed: all its rows count as duplicates of that file's
-- rows, and nothing may be staged under its name.
-- amount_in / amount_out: the staged money in and out, duplicate postings excluded; kinds without
-- direction put their sum in amount_in.
create or replace table file_controls as
select
    f.path,
    f.sha256,
    f.kind,
    case when f.duplicate_of is null then f.rows_read else o.rows_read end as rows_read,
    coalesce(s.rows_staged, 0) - coalesce(s.rows_duplicate, 0) as rows_loaded,
    f.rows_quarantined,
    case when f.duplicate_of is null then coalesce(s.rows_duplicate, 0) else o.rows_read end as rows_duplicate,
    coalesce(s.loaded_in, 0)::DECIMAL(38, 2) as amount_in,
    coalesce(s.loaded_out, 0)::DECIMAL(38, 2) as amount_out,
    f.amount_quarantined::DECIMAL(38, 2) as amount_quarantined,
    f.placeholder_cells,
    f.duplicate_of
from input_files as f
left join staged_files as s using (path)
left join input_files as o on o.path = f.duplicate_of;
