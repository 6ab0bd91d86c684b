-- staged_files: one row per file with rows in the staging tables: the rows and money those tables hold.
-- Inputs: stg_bank_statement, stg_deposit_sheet, stg_payment_ledger, stg_victims, stg_frozen,
-- stg_roster, stg_units, stg_gang_accounts, stg_accounts, stg_records, stg_decisions (every kind),
-- postings (the duplicate postings of overlapping exports, rules.md §1).
-- Counted from the tables, never from ingest's own counts (input_files), so that file_controls and
-- the run's balancing stops (controls.py) compare two independent figures.
-- staged_in / staged_out: all the file's staged money, what ingest counted as loaded (in: positive
-- amounts, or the sum for kinds without direction; out: outflows as a magnitude). loaded_in /
-- loaded_out: the same without the duplicate postings. A kind's money column is the one ingest sums:
-- amount, else its only money column (victims: reported_loss); kinds without one stage no money.
create or replace table staged_files as
with staged as (
    select source, true as directed, amount as money from stg_bank_statement
    union all select source, false, amount from stg_deposit_sheet
    union all select source, false, amount from stg_payment_ledger
    union all select source, false, reported_loss from stg_victims
    union all select source, false, amount from stg_frozen
    union all select source, false, null from stg_roster
    union all select source, false, null from stg_units
    union all select source, false, null from stg_gang_accounts
    union all select source, false, null from stg_accounts
    union all select source, false, null from stg_records
    union all select source, false, null from stg_decisions
),
per_file as (
    select
        source as path,
        count(*) as rows_staged,
        coalesce(sum(money) filter (where not directed or money > 0), 0)::DECIMAL(38, 2) as staged_in,
        coalesce(-sum(money) filter (where directed and money < 0), 0)::DECIMAL(38, 2) as staged_out
    from staged
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
