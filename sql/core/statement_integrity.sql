-- statement_integrity: one row per finding that a statement cannot be taken at its word.
-- Inputs: balance_breaks, statement_sequence, summary_mismatches, rows_outside_stated_period (one
-- model per kind of finding, each with the columns below that apply to it, the rest empty; their
-- headers say how each is found).
-- Kinds:
--   balance_break          previous balance + amount <> balance, located between two rows (of one
--                          file: balance_breaks; or the last row of one statement and the first of
--                          the next: statement_sequence); missing_amount = actual - expected, what
--                          the rows in between must have moved.
--   statement_gap          calendar days between two statements of one account that neither covers.
--   statement_overlap      a statement starts before an earlier one of the same account ends.
--   summary_mismatch       the preamble's count or in/out/neutral totals disagree with the rows.
--   outside_stated_period  loaded rows dated outside the period the preamble states.
create or replace table statement_integrity as
select
    account_no,
    kind,
    source,
    before_row,
    after_row,
    before_ts,
    after_ts,
    expected_balance::DECIMAL(38, 2) as expected_balance,
    actual_balance::DECIMAL(38, 2) as actual_balance,
    missing_amount::DECIMAL(38, 2) as missing_amount,
    stated::VARCHAR as stated,
    found::VARCHAR as found,
    detail
from (
    select * from balance_breaks
    union all by name
    select * from statement_sequence
    union all by name
    select * from summary_mismatches
    union all by name
    select * from rows_outside_stated_period
);
