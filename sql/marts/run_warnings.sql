-- run_warnings: one row per reason a run's figures should not be trusted as they stand (outputs.md manifest `warnings`).
-- Inputs: stg_deposit_sheet, case_payments, postings, gang_account_list, victim_accounts, stg_accounts, entries.
-- code no_payments: deposit entries were loaded but no bank transfer into a gang account was found
--   (no gang_accounts source and no receiving_account on the sheets, or no statements of them).
-- code unexplained_statement: a loaded statement whose own account is neither a gang account, a
--   victim's account, nor a known party's (accounts); its money is traced as a layer but never a payment.
-- code sheet_without_candidates: a deposit sheet none of whose entries had a candidate payment.
-- source names the file, account_no the account (masked by run_warnings.py before anyone reads it).
create or replace table run_warnings as
select 'no_payments' as code, null::VARCHAR as source, null::VARCHAR as account_no, count(*) as row_count
from stg_deposit_sheet
having count(*) > 0 and (select count(*) from case_payments) = 0
union all
select 'unexplained_statement', p.source, p.account_no, count(*)
from postings as p
where not p.is_duplicate
    and p.account_no not in (select account_no from gang_account_list)
    and p.account_no not in (select account_no from victim_accounts)
    and p.account_no not in (select account_no from stg_accounts where account_no is not null)
group by p.source, p.account_no
union all
select 'sheet_without_candidates', e.source, null, count(*)
from entries as e
group by e.source
having max(e.candidates) = 0 and count(*) filter (where e.status = 'validated') = 0;
