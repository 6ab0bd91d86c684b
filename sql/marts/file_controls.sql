-- file_controls: one row per input file: the control totals an auditor ties back to the evidence (manifest.json `inputs`).
-- Inputs: input_files (ingest counts), postings (duplicates decided in SQL).
-- rows_read = rows_loaded + rows_quarantined + rows_duplicate (rules.md §1). A file identical to an
-- earlier one is not parsed: all its rows count as duplicates of that file's rows.
-- amount_in / amount_out: loaded money in and out (duplicates excluded); kinds without direction
-- put their sum in amount_in.
create or replace table file_controls as
with statement_rows as (
    select
        source as path,
        count(*) filter (where is_duplicate) as rows_duplicate,
        coalesce(sum(amount) filter (where not is_duplicate and amount > 0), 0) as amount_in,
        coalesce(-sum(amount) filter (where not is_duplicate and amount < 0), 0) as amount_out
    from postings
    group by source
),
originals as (
    select path, rows_read from input_files
)
select
    f.path,
    f.sha256,
    f.kind,
    case when f.duplicate_of is null then f.rows_read else o.rows_read end as rows_read,
    case when f.duplicate_of is null then f.rows_read - f.rows_quarantined - coalesce(s.rows_duplicate, 0) else 0 end as rows_loaded,
    f.rows_quarantined,
    case when f.duplicate_of is null then coalesce(s.rows_duplicate, 0) else o.rows_read end as rows_duplicate,
    (case when f.kind = 'bank_statement' then coalesce(s.amount_in, 0) else f.amount_in end)::DECIMAL(38, 2) as amount_in,
    (case when f.kind = 'bank_statement' then coalesce(s.amount_out, 0) else f.amount_out end)::DECIMAL(38, 2) as amount_out,
    f.amount_quarantined::DECIMAL(38, 2) as amount_quarantined,
    f.placeholder_cells,
    f.duplicate_of
from input_files as f
left join statement_rows as s using (path)
left join originals as o on o.path = f.duplicate_of;
