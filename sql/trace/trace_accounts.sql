-- trace_accounts: one row per account with a loaded statement, and whether its money is traced (rules.md §7).
-- Inputs: postings, victim_accounts, gang_account_list, variable platform_accounts.
-- Traced: every statement account except victims' own (money before a payment is not proceeds) and
-- payment platforms (money paid to a platform ends there, so its own statement is not followed).
-- opening: the first posting's balance minus its amount, when positive; postings are ordered by
-- time, then file order, then row (trace_postings.posting_rank).
create or replace table trace_accounts as
with totals as (
    -- the first posting in the account's order (time, file, row) gives the opening balance
    select
        account_no,
        count(*) as postings,
        coalesce(sum(amount) filter (where amount > 0), 0)::DECIMAL(38, 2) as amount_in,
        coalesce(-sum(amount) filter (where amount < 0), 0)::DECIMAL(38, 2) as amount_out,
        min(ts) as first_ts,
        max(ts) as last_ts,
        arg_min_null({'posting_id': posting_id, 'opening': balance - amount}, (ts, file_order, source_row)) as first
    from postings
    where not is_duplicate
    group by account_no
)
select
    t.account_no,
    t.account_no in (select account_no from gang_account_list) as is_gang,
    t.account_no in (select account_no from victim_accounts) as is_victim,
    list_contains(getvariable('platform_accounts')::VARCHAR[], t.account_no) as is_platform,
    not (t.account_no in (select account_no from victim_accounts)
         or list_contains(getvariable('platform_accounts')::VARCHAR[], t.account_no)) as traced,
    t.postings,
    t.amount_in,
    t.amount_out,
    t.first_ts,
    t.last_ts,
    t.first.posting_id as first_posting_id,
    case when t.first.opening > 0 then t.first.opening end::DECIMAL(38, 2) as opening
from totals as t;
