-- trace_postings: one row per loaded posting (repeats of earlier exports left out) of a traced account, with its place in the account's order.
-- Inputs: postings, trace_accounts.
-- posting_rank orders an account's postings by time, then file order, then row: the order lots
-- are taken in at one instant (rules.md §7). Postings of 0.00 move nothing and are left out.
create or replace table trace_postings as
select
    p.posting_id,
    p.account_no,
    p.ts,
    p.amount,
    p.counterparty_account,
    p.memo,
    row_number() over (partition by p.account_no order by p.ts, p.file_order, p.source_row) as posting_rank
from postings as p
join trace_accounts as a on a.account_no = p.account_no and a.traced
where not p.is_duplicate and p.amount <> 0;
