-- statement_chains: one row per loaded statement row, placed in its file's balance chain.
-- Inputs: postings (every loaded statement row, repeats of earlier exports included: a file's
-- balance chain is its own rows).
-- A chain is one file's rows of one account. A file's row order is the bank's: each chain is read
-- oldest-first and newest-first, and the reading with fewer breaks is taken (ties: the one the
-- times run in, then oldest-first); reading and position (source_row, or -source_row newest-first)
-- say where the row stands in it.
-- For a row with a balance after the chain's first: the previous row with a balance (before_*),
-- amount_between = what the rows from there to this one moved (rows without a balance add their
-- amounts to the next row that has one) and expected_balance = before_balance + amount_between.
create or replace table statement_chains as
with chain_rows as (
    select posting_id, source, source_row, file_order, account_no, ts, amount, balance, is_duplicate
    from postings
),
readings as (
    select
        *,
        'oldest-first' as reading,
        source_row as position
    from chain_rows
    union all
    select
        *,
        'newest-first' as reading,
        -source_row as position
    from chain_rows
),
running as (
    select
        *,
        sum(amount) over (
            partition by source, account_no, reading order by position rows between unbounded preceding and current row
        ) as running_amount
    from readings
),
steps as (
    select
        *,
        lag(posting_id) over chain as before_row,
        lag(source_row) over chain as before_source_row,
        lag(ts) over chain as before_ts,
        lag(balance) over chain as before_balance,
        lag(running_amount) over chain as before_running
    from running
    where balance is not null
    window chain as (partition by source, account_no, reading order by position)
),
checked as (
    select
        *,
        (before_balance + (running_amount - before_running))::DECIMAL(38, 2) as expected_balance,
        (running_amount - before_running)::DECIMAL(38, 2) as amount_between
    from steps
    where before_row is not null
),
file_ends as (
    select
        source,
        account_no,
        case when arg_min(ts, source_row) > arg_max(ts, source_row) then 'newest-first' else 'oldest-first' end as time_order
    from chain_rows
    group by source, account_no
),
chosen as (
    select
        c.source,
        c.account_no,
        arg_min(
            c.reading,
            c.breaks * 4 + (c.reading <> e.time_order)::INTEGER * 2 + (c.reading = 'newest-first')::INTEGER
        ) as reading
    from (
        select source, account_no, reading, count(*) filter (where expected_balance <> balance) as breaks
        from checked
        group by source, account_no, reading
    ) as c
    join file_ends as e using (source, account_no)
    group by c.source, c.account_no
),
file_reading as (
    select e.source, e.account_no, coalesce(c.reading, e.time_order) as reading
    from file_ends as e
    left join chosen as c using (source, account_no)
)
select
    r.posting_id,
    r.source,
    r.source_row,
    r.file_order,
    r.account_no,
    r.ts,
    r.amount,
    r.balance,
    r.is_duplicate,
    r.reading,
    r.position,
    c.before_row,
    c.before_source_row,
    c.before_ts,
    c.before_balance,
    c.amount_between,
    c.expected_balance
from running as r
join file_reading as f using (source, account_no, reading)
left join checked as c using (posting_id, reading);
