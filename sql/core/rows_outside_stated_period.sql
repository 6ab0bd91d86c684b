-- rows_outside_stated_period: one finding (statement_integrity's columns that apply) per export with loaded rows dated outside the period its preamble states.
-- Inputs: statement_summaries (the stated period), postings (the export's loaded rows), variable case_tz.
create or replace table rows_outside_stated_period as
select
    s.account_no,
    'outside_stated_period' as kind,
    s.path as source,
    arg_min(p.posting_id, p.ts) as before_row,
    arg_max(p.posting_id, p.ts) as after_row,
    min(p.ts) as before_ts,
    max(p.ts) as after_ts,
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
join postings as p on p.source = s.path
where p.ts < s.period_start or p.ts > s.period_end
group by s.account_no, s.path;
