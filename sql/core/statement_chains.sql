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
-- Both readings come from one pass in source_row order: newest-first's previous row is the next
-- one down the file (lead), and its running amount runs from the row to the end of the chain.
create or replace table statement_chains as
with running as (
    select
        file_order, account_no, source_row, ts, amount, balance,
        sum(amount) over (
            partition by file_order, account_no order by source_row rows between unbounded preceding and current row
        ) as running_down,
        sum(amount) over (
            partition by file_order, account_no order by source_row rows between current row and unbounded following
        ) as running_up
    from postings
),
steps as (
    select
        file_order,
        source_row,
        lag(source_row) over chain as down_source_row,
        lag(ts) over chain as down_ts,
        lag(balance) over chain as down_balance,
        (running_down - lag(running_down) over chain)::DECIMAL(38, 2) as down_between,
        lead(source_row) over chain as up_source_row,
        lead(ts) over chain as up_ts,
        lead(balance) over chain as up_balance,
        (running_up - lead(running_up) over chain)::DECIMAL(38, 2) as up_between
    from running
    where balance is not null
    window chain as (partition by file_order, account_no order by source_row)
),
checked as (
    select
        *,
        (down_balance + down_between)::DECIMAL(38, 2) as down_expected,
        (up_balance + up_between)::DECIMAL(38, 2) as up_expected
    from steps
),
file_reading as (
    select
        r.file_order,
        r.account_no,
        case when arg_min(r.ts, r.source_row) > arg_max(r.ts, r.source_row) then 'newest-first' else 'oldest-first' end
            as time_order,
        count(c.down_source_row) as checks,
        count(*) filter (where c.down_expected <> r.balance) as down_breaks,
        count(*) filter (where c.up_expected <> r.balance) as up_breaks
    from running as r
    left join checked as c using (file_order, source_row)
    group by r.file_order, r.account_no
),
chosen as (
    select
        file_order,
        account_no,
        case
            when checks = 0 then time_order
            when down_breaks * 4 + (time_order <> 'oldest-first')::INTEGER * 2
                < up_breaks * 4 + (time_order <> 'newest-first')::INTEGER * 2 + 1 then 'oldest-first'
            else 'newest-first'
        end as reading
    from file_reading
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
    f.reading,
    case when f.reading = 'oldest-first' then r.source_row else -r.source_row end as position,
    r.source || ':' || case when f.reading = 'oldest-first' then c.down_source_row else c.up_source_row end as before_row,
    case when f.reading = 'oldest-first' then c.down_source_row else c.up_source_row end as before_source_row,
    case when f.reading = 'oldest-first' then c.down_ts else c.up_ts end as before_ts,
    case when f.reading = 'oldest-first' then c.down_balance else c.up_balance end as before_balance,
    case when f.reading = 'oldest-first' then c.down_between else c.up_between end as amount_between,
    case when f.reading = 'oldest-first' then c.down_expected else c.up_expected end as expected_balance
from postings as r
join chosen as f using (file_order, account_no)
left join checked as c using (file_order, source_row);
