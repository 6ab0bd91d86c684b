-- statement_integrity: one row per finding that a statement cannot be taken at its word.
-- Inputs: postings (every loaded statement row, repeats of earlier exports included: a file's
-- balance chain is its own rows), landing_quarantine (rows that never reached postings),
-- statement_summaries (what each export's preamble states and what its rows hold; written by the
-- pipeline from ingest.statement_summaries), variable case_tz.
-- Kinds:
--   balance_break          previous balance + amount <> balance, located between two rows (of one
--                          file, or the last row of one statement and the first of the next);
--                          missing_amount = actual - expected, what the rows in between must have moved.
--   statement_gap          calendar days between two statements of one account that neither covers.
--   statement_overlap      a statement starts before an earlier one of the same account ends.
--   summary_mismatch       the preamble's count or in/out/neutral totals disagree with the rows.
--   outside_stated_period  loaded rows dated outside the period the preamble states.
-- A file's row order is the bank's: each chain is read oldest-first and newest-first, and the reading
-- with fewer breaks is taken (ties: the one the times run in, then oldest-first). Rows without a
-- balance add their amounts to the next row that has one. Coverage is the stated period when the
-- preamble gives one, else the first to the last posting.
create or replace table statement_integrity as
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
),
quarantined_between as (
    select b.posting_id, count(q.source_row) as rows_quarantined
    from checked as b
    join file_reading as r using (source, account_no, reading)
    join landing_quarantine as q
        on q.source = b.source
        and q.source_row > least(b.before_source_row, b.source_row)
        and q.source_row < greatest(b.before_source_row, b.source_row)
    where b.expected_balance <> b.balance
    group by b.posting_id
),
balance_breaks as (
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
        null::VARCHAR as stated,
        null::VARCHAR as found,
        -- format() prints decimals as doubles (-46.0): they go in as text.
        format(
            'balance {} after {} plus {} = {}, but {} shows {}: {} unaccounted for between the two rows (file read {}){}',
            b.before_balance::VARCHAR, b.before_row, b.amount_between::VARCHAR, b.expected_balance::VARCHAR,
            b.posting_id, b.balance::VARCHAR, (b.balance - b.expected_balance)::DECIMAL(38, 2)::VARCHAR, r.reading,
            case when coalesce(q.rows_quarantined, 0) > 0
                then format('; {} quarantined row(s) lie between them', q.rows_quarantined) else '' end
        ) as detail
    from checked as b
    join file_reading as r using (source, account_no, reading)
    left join quarantined_between as q using (posting_id)
    where b.expected_balance <> b.balance
),
-- One statement = one file's rows of one account, its ends in the file's own order.
ordered as (
    select c.*, row_number() over (partition by c.source, c.account_no order by c.position) as step
    from (
        select p.*, case when r.reading = 'newest-first' then -p.source_row else p.source_row end as position
        from chain_rows as p
        join file_reading as r using (source, account_no)
    ) as c
),
statements as (
    select
        o.account_no,
        o.source,
        min(o.file_order) as file_order,
        count(*) as postings,
        coalesce(any_value(s.period_start), min(o.ts)) as covers_from,
        coalesce(any_value(s.period_end), max(o.ts)) as covers_to,
        any_value(s.period_start) is not null as stated_period,
        arg_min(o.posting_id, o.step) as first_row,
        arg_min(o.amount, o.step) as first_amount,
        arg_min(o.balance, o.step) as first_balance,
        arg_max(o.posting_id, o.step) as last_row,
        arg_max(o.balance, o.step) as last_balance
    from ordered as o
    left join statement_summaries as s on s.path = o.source
    group by o.account_no, o.source
),
sequence as (
    select
        *,
        max(covers_to) over earlier as before_covers_to,
        arg_max(source, covers_to) over earlier as before_source,
        arg_max(last_row, covers_to) over earlier as before_last_row,
        arg_max(last_balance, covers_to) over earlier as before_last_balance,
        arg_max(stated_period, covers_to) over earlier as before_stated_period
    from statements
    window earlier as (
        partition by account_no order by covers_from, covers_to, file_order
        rows between unbounded preceding and 1 preceding
    )
),
boundaries as (
    select
        *,
        timezone(getvariable('case_tz'), before_covers_to)::DATE as before_last_day,
        timezone(getvariable('case_tz'), covers_from)::DATE as first_day,
        (before_last_balance + first_amount)::DECIMAL(38, 2) as expected_balance
    from sequence
    where before_source is not null
),
overlap_rows as (
    select
        b.source,
        b.account_no,
        count(*) as rows_inside,
        count(*) filter (where p.is_duplicate) as rows_repeated
    from boundaries as b
    join chain_rows as p on p.source = b.source and p.account_no = b.account_no and p.ts <= b.before_covers_to
    where b.covers_from <= b.before_covers_to
    group by b.source, b.account_no
),
between_statements as (
    select
        b.account_no,
        case
            when b.covers_from <= b.before_covers_to then 'statement_overlap'
            when b.first_day > b.before_last_day + 1 then 'statement_gap'
            else 'balance_break'
        end as kind,
        b.source,
        b.before_last_row as before_row,
        b.first_row as after_row,
        b.before_covers_to as before_ts,
        b.covers_from as after_ts,
        b.expected_balance,
        b.first_balance as actual_balance,
        (b.first_balance - b.expected_balance)::DECIMAL(38, 2) as missing_amount,
        null::VARCHAR as stated,
        null::VARCHAR as found,
        case
            when b.covers_from <= b.before_covers_to then format(
                '{} starts ({}) before {} ends ({}): {} of its {} rows fall inside, {} of them repeat earlier rows',
                b.source, strftime(timezone(getvariable('case_tz'), b.covers_from), '%Y-%m-%d %H:%M:%S'),
                b.before_source, strftime(timezone(getvariable('case_tz'), b.before_covers_to), '%Y-%m-%d %H:%M:%S'),
                coalesce(o.rows_inside, 0), b.postings, coalesce(o.rows_repeated, 0)
            )
            when b.first_day > b.before_last_day + 1 then format(
                'no statement of this account covers {} to {} ({} day(s)) between {} and {}{}{}',
                b.before_last_day + 1, b.first_day - 1, b.first_day - b.before_last_day - 1, b.before_source, b.source,
                case when b.stated_period and b.before_stated_period then ''
                    else '; without stated periods this may be days with no postings' end,
                case
                    when b.expected_balance is null then ''
                    when b.first_balance = b.expected_balance then '; the balance carries over: nothing is missing'
                    else format(
                        '; the balance does not carry over: {} unaccounted for',
                        (b.first_balance - b.expected_balance)::DECIMAL(38, 2)::VARCHAR
                    )
                end
            )
            else format(
                'balance {} at the end of {} plus {} = {}, but {} shows {}: {} unaccounted for between the statements',
                b.before_last_balance::VARCHAR, b.before_source, b.first_amount::VARCHAR, b.expected_balance::VARCHAR,
                b.first_row, b.first_balance::VARCHAR, (b.first_balance - b.expected_balance)::DECIMAL(38, 2)::VARCHAR
            )
        end as detail
    from boundaries as b
    left join overlap_rows as o using (source, account_no)
    where b.covers_from <= b.before_covers_to
        or b.first_day > b.before_last_day + 1
        or b.first_balance <> b.expected_balance
),
summary_items as (
    select s.path, s.account_no, unnest([
        {'item': 'count', 'stated': s.stated_count::VARCHAR, 'found': s.rows_count::VARCHAR},
        {'item': 'in_count', 'stated': s.stated_in_count::VARCHAR, 'found': s.rows_in_count::VARCHAR},
        {'item': 'in_amount', 'stated': s.stated_in_amount::VARCHAR, 'found': s.rows_in_amount::VARCHAR},
        {'item': 'out_count', 'stated': s.stated_out_count::VARCHAR, 'found': s.rows_out_count::VARCHAR},
        {'item': 'out_amount', 'stated': s.stated_out_amount::VARCHAR, 'found': s.rows_out_amount::VARCHAR},
        {'item': 'neutral_count', 'stated': s.stated_neutral_count::VARCHAR, 'found': s.rows_neutral_count::VARCHAR},
        {'item': 'neutral_amount', 'stated': s.stated_neutral_amount::VARCHAR, 'found': s.rows_neutral_amount::VARCHAR}
    ]) as i
    from statement_summaries as s
),
summary_mismatches as (
    select
        account_no,
        'summary_mismatch' as kind,
        path as source,
        null::VARCHAR as before_row,
        null::VARCHAR as after_row,
        null::TIMESTAMPTZ as before_ts,
        null::TIMESTAMPTZ as after_ts,
        null::DECIMAL(38, 2) as expected_balance,
        null::DECIMAL(38, 2) as actual_balance,
        null::DECIMAL(38, 2) as missing_amount,
        i.stated,
        i.found,
        format(
            'the preamble states {} = {}, the rows read hold {} (each row counted by its own in/out label, '
            || 'whatever its status); the rows are used', i.item, i.stated, i.found
        ) as detail
    from summary_items
    where i.stated is not null and i.stated is distinct from i.found
),
outside_period as (
    select
        s.account_no,
        'outside_stated_period' as kind,
        s.path as source,
        arg_min(p.posting_id, p.ts) as before_row,
        arg_max(p.posting_id, p.ts) as after_row,
        min(p.ts) as before_ts,
        max(p.ts) as after_ts,
        null::DECIMAL(38, 2) as expected_balance,
        null::DECIMAL(38, 2) as actual_balance,
        null::DECIMAL(38, 2) as missing_amount,
        format(
            '{} to {}',
            strftime(timezone(getvariable('case_tz'), any_value(s.period_start)), '%Y-%m-%d %H:%M:%S'),
            strftime(timezone(getvariable('case_tz'), any_value(s.period_end)), '%Y-%m-%d %H:%M:%S')
        ) as stated,
        count(*)::VARCHAR as found,
        format(
            '{} loaded row(s) are dated outside the period the preamble states; the earliest is {}, the latest {}',
            count(*), arg_min(p.posting_id, p.ts), arg_max(p.posting_id, p.ts)
        ) as detail
    from statement_summaries as s
    join chain_rows as p on p.source = s.path
    where p.ts < s.period_start or p.ts > s.period_end
    group by s.account_no, s.path
)
select * from balance_breaks
union all by name
select * from between_statements
union all by name
select * from summary_mismatches
union all by name
select * from outside_period;
