-- transfers: one row per money movement between two accounts.
-- Inputs: postings, mirror_pairs (match.max_matching over mirror_candidates).
-- A mirror pair is one transfer carrying the payee-side posting's id and time (the receiving
-- bank's time is what a deposit sheet books); a posting without its mirror is a transfer seen
-- from one side. Postings without a counterparty account cannot be placed and stay out
-- (counted in unplaced_postings).
create or replace table transfers as
with single as (
    select p.*
    from postings as p
    anti join (select out_posting as posting_id from mirror_pairs union all select in_posting from mirror_pairs) as m
        using (posting_id)
    where not p.is_duplicate
        and p.counterparty_account is not null
)
select
    i.posting_id as transfer_id,
    o.account_no as payer_account,
    i.account_no as payee_account,
    i.ts,
    i.amount,
    o.posting_id || ';' || i.posting_id as sources,
    'both' as seen_on
from mirror_pairs as m
join postings as o on o.posting_id = m.out_posting
join postings as i on i.posting_id = m.in_posting
union all
select
    posting_id as transfer_id,
    case when amount > 0 then counterparty_account else account_no end as payer_account,
    case when amount > 0 then account_no else counterparty_account end as payee_account,
    ts,
    abs(amount) as amount,
    posting_id as sources,
    case when amount > 0 then 'payee' else 'payer' end as seen_on
from single
where amount <> 0;
