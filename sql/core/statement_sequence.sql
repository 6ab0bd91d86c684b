-- statement_sequence: one finding (statement_integrity's columns that apply) per statement of an account that does not follow on from the one before.
-- Inputs: statement_chains (one statement = one file's rows of one account, its ends in the file's
-- own order), statement_summaries (the period a preamble states), variable case_tz.
-- Kinds: statement_overlap (a statement starts before an earlier one of the same account ends),
-- statement_gap (calendar days between two statements that neither covers), balance_break (the
-- last balance of one statement plus the next one's first amount is not its first balance).
-- Coverage is the stated period when the preamble gives one, else the first to the last posting.
create or replace table statement_sequence as
-- A statement's ends are its rows of least and greatest position (unique within the statement:
-- source_row or -source_row of one file).
with statements as (
    select
        o.account_no,
        o.source,
        min(o.file_order) as file_order,
        count(*) as postings,
        coalesce(any_value(s.period_start), min(o.ts)) as covers_from,
        coalesce(any_value(s.period_end), max(o.ts)) as covers_to,
        any_value(s.period_start) is not null as stated_period,
        arg_min(o.posting_id, o.position) as first_row,
        arg_min(o.amount, o.position) as first_amount,
        arg_min(o.balance, o.position) as first_balance,
        arg_max(o.posting_id, o.position) as last_row,
        arg_max(o.balance, o.position) as last_balance
    from statement_chains as o
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
    join statement_chains as p on p.source = b.source and p.account_no = b.account_no and p.ts <= b.before_covers_to
    where b.covers_from <= b.before_covers_to
    group by b.source, b.account_no
)
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
    or b.first_balance <> b.expected_balance;
