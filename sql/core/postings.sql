-- postings: one row per statement row loaded, with its identity and whether it repeats a row of an earlier export.
-- Inputs: stg_bank_statement, input_files (file_order: source order, then path).
-- Rule (rules.md §1): rows with the same account_no, ts, amount, counterparty_account and
-- txn_ref (and balance, where both have one) in two files are one posting; the copy in the
-- later file is the duplicate. Within one file identical rows stay distinct postings (a bank
-- does not export one posting twice in one file), so the k-th copy in a later file repeats the
-- k-th copy in an earlier one: overlapping exports collapse to the larger file's count.
-- Copies are numbered twice: among rows with the same balance (both sides show one: balances
-- must agree) and among rows of the five keys alone (one side has no balance: it cannot tell
-- same-second postings apart by balance, so they pair up in row order).
-- Only rows whose five keys occur in more than one file can repeat another: they alone are numbered.
-- They are found by a hash of the five keys (grouping on one number, not five columns): a hash shared by
-- two key sets only numbers a few more rows, each among its own keys, and a repeat needs all five keys equal.
create or replace table postings as
with rows as (
    select s.*, s.source || ':' || s.source_row as posting_id, f.file_order
    from stg_bank_statement as s
    join input_files as f on f.path = s.source
),
shared as (
    select hash(account_no, ts, amount, counterparty_account, txn_ref) as keys_hash
    from rows
    where account_no is not null and ts is not null and amount is not null
    group by keys_hash
    having min(file_order) < max(file_order)
),
numbered as (
    select
        r.posting_id,
        r.file_order,
        r.account_no,
        r.ts,
        r.amount,
        r.counterparty_account,
        r.txn_ref,
        r.balance,
        row_number() over (
            partition by r.file_order, r.account_no, r.ts, r.amount, r.counterparty_account, r.txn_ref, r.balance
            order by r.source_row
        ) as balance_occurrence,
        row_number() over (
            partition by r.file_order, r.account_no, r.ts, r.amount, r.counterparty_account, r.txn_ref
            order by r.source_row
        ) as occurrence
    from rows as r
    semi join shared as k on hash(r.account_no, r.ts, r.amount, r.counterparty_account, r.txn_ref) = k.keys_hash
    where r.account_no is not null and r.ts is not null and r.amount is not null
),
repeats as (
    select
        later.posting_id,
        arg_min(earlier.posting_id, earlier.file_order) as duplicate_of
    from numbered as later
    join numbered as earlier
        on later.account_no = earlier.account_no
        and later.ts = earlier.ts
        and later.amount = earlier.amount
        and later.counterparty_account is not distinct from earlier.counterparty_account
        and later.txn_ref is not distinct from earlier.txn_ref
        and earlier.file_order < later.file_order
        and case
            when later.balance is null or earlier.balance is null then later.occurrence = earlier.occurrence
            else later.balance = earlier.balance and later.balance_occurrence = earlier.balance_occurrence
        end
    group by later.posting_id
)
select
    n.posting_id,
    n.source,
    n.source_row,
    n.file_order,
    n.account_no,
    n.account_name,
    n.ts,
    n.amount,
    n.balance,
    n.counterparty_account,
    n.counterparty_name,
    n.txn_ref,
    n.memo,
    r.posting_id is not null as is_duplicate,
    r.duplicate_of
from rows as n
left join repeats as r using (posting_id);
