-- decision_confirms: one row per well-formed confirm decision, applied or stale, and why (rules.md §9).
-- Inputs: decision_list, deposit_entries, case_payments, entry_matches (after matching, links included).
-- A confirm is judged after matching: applied when the entry takes exactly the payments it names
-- (no payment_ids: the entry takes none, a reviewer's check that it rightly stays unvalidated);
-- stale when its entry or a payment is not in the case, or the entry takes other payments now.
-- An applied confirm changes no figure; entries shows the entry with ambiguous = false.
create or replace table decision_confirms as
with confirms as (
    select decision_id, entry_id, payment_list
    from decision_list
    where action = 'confirm' and problem is null
),
unknown as (
    select c.decision_id, string_agg(n.payment_id, ';' order by n.payment_id) as payment_ids
    from confirms as c, unnest(c.payment_list) as n(payment_id)
    where n.payment_id not in (select payment_id from case_payments)
    group by c.decision_id
),
taken as (
    select
        entry_id,
        list_sort(list(payment_id)) as payment_list,
        string_agg(
            payment_id, ';' order by row_id_order(payment_id)
        ) as payment_ids
    from entry_matches
    group by entry_id
),
judged as (
    select
        c.decision_id,
        c.entry_id,
        case
            when c.entry_id not in (select entry_id from deposit_entries) then 'entry ' || c.entry_id || ' is not in the case'
            when u.decision_id is not null then 'no payment ' || u.payment_ids || ' in the case'
            when coalesce(t.payment_list, []) = list_sort(c.payment_list) then null
            when t.entry_id is null then 'the entry takes no payment now'
            else 'the entry takes ' || t.payment_ids || ' now'
        end as detail
    from confirms as c
    left join unknown as u using (decision_id)
    left join taken as t using (entry_id)
)
select
    decision_id,
    'confirm' as action,
    entry_id,
    case when detail is null then 'applied' else 'stale' end as status,
    detail
from judged;
