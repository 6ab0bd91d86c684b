-- unplaced_postings: one row per loaded posting that cannot become a transfer.
-- Inputs: postings. A posting with no counterparty account, or of amount 0, moves money
-- between unknown parties; it is kept here for the auditor rather than guessed at.
create or replace view unplaced_postings as
select posting_id, source, source_row, account_no, ts, amount,
    case when counterparty_account is null then 'no counterparty account' else 'zero amount' end as reason
from postings
where not is_duplicate and (counterparty_account is null or amount = 0);
