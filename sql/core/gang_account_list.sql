-- gang_account_list: one row per account under the gang's control.
-- Inputs: stg_gang_accounts, stg_deposit_sheet (rules.md §2: every receiving_account a sheet names).
create or replace table gang_account_list as
select account_no from stg_gang_accounts where account_no is not null
union
select receiving_account from stg_deposit_sheet where receiving_account is not null;
