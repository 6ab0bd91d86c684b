-- staged_files: one row per file with rows in the staging tables: the rows and money those tables hold.
-- Inputs: staged_money (every staging table's rows, made from kinds.toml), postings (the duplicate
-- postings of overlapping exports, rules.md §1).
-- Counted from the tables, never from ingest's own counts (input_files), so that file_controls and
-- the run's balancing stops (controls.py) compare two independent figures.
-- staged_in / staged_out: all the file's staged money, what ingest counted as loaded (in: positive
-- amounts, or the sum for kinds whose money is not signed; out: outflows as a magnitude). loaded_in /
-- loaded_out: the same without the duplicate postings.
create or replace table staged_files as
with per_file as (
    select
        source as path,
        count(*) as rows_staged,
        coalesce(sum(money) filter (where not signed or money > 0), 0)::DECIMAL(38, 2) as staged_in,
        coalesce(-sum(money) filter (where signed and money < 0), 0)::DECIMAL(38, 2) as staged_out
    from staged_money
    group by source
),
duplicates as (
    select
        source as path,
        count(*) as rows_duplicate,
        coalesce(sum(amount) filter (where amount > 0), 0)::DECIMAL(38, 2) as duplicate_in,
        coalesce(-sum(amount) filter (where amount < 0), 0)::DECIMAL(38, 2) as duplicate_out
    from postings
    where is_duplicate
    group by source
)
select
    s.path,
    s.rows_staged,
    coalesce(d.rows_duplicate, 0) as rows_duplicate,
    s.staged_in,
    s.staged_out,
    (s.staged_in - coalesce(d.duplicate_in, 0))::DECIMAL(38, 2) as loaded_in,
    (s.staged_out - coalesce(d.duplicate_out, 0))::DECIMAL(38, 2) as loaded_out
from per_file as s
left join duplicates as d using (path);
