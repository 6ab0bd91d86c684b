-- balance_breaks: one finding (statement_integrity's columns that apply) per row of a file whose balance is not the previous balance plus what moved.
-- Inputs: statement_chains (each row's expected balance in its file's chosen reading),
-- landing_quarantine (rows that never reached postings but lie between the two rows).
-- missing_amount = actual - expected: what the rows in between must have moved.
create or replace table balance_breaks as
with breaks as (
    select * from statement_chains where expected_balance <> balance
),
quarantined_between as (
    select b.posting_id, count(q.source_row) as rows_quarantined
    from breaks as b
    join landing_quarantine as q
        on q.source = b.source
        and q.source_row > least(b.before_source_row, b.source_row)
        and q.source_row < greatest(b.before_source_row, b.source_row)
    group by b.posting_id
)
select
    b.account_no,
    'balance_break' as kind,
    b.source,
    b.before_row,
    b.posting_id as after_row,
    b.before_ts,
    b.ts as after_ts,
    b.expected_balance,
    b.balance as actual_balance,
    (b.balance - b.expected_balance)::DECIMAL(38, 2) as missing_amount,
    -- format() prints decimals as doubles (-46.0): they go in as text.
    format(
        'balance {} after {} plus {} = {}, but {} shows {}: {} unaccounted for between the two rows (file read {}){}',
        b.before_balance::VARCHAR, b.before_row, b.amount_between::VARCHAR, b.expected_balance::VARCHAR,
        b.posting_id, b.balance::VARCHAR, (b.balance - b.expected_balance)::DECIMAL(38, 2)::VARCHAR, b.reading,
        case when coalesce(q.rows_quarantined, 0) > 0
            then format('; {} quarantined row(s) lie between them', q.rows_quarantined) else '' end
    ) as detail
from breaks as b
left join quarantined_between as q using (posting_id);
