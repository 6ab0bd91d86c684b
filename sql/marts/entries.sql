-- entries: one row per deposit-sheet entry (outputs.md `entries`).
-- Inputs: deposit_entries, stg_deposit_sheet, entry_candidates, entry_matches (single matches, splits and review links),
-- case_payments, decision_pairs, decision_confirms.
-- candidates counts the single payments rules.md §3 allows for the entry (an entry a review link
-- pairs: the payments the link names); ambiguous marks a validated entry that had more than one,
-- unless a reviewer settled it: linked, or confirmed by an applied confirm (rules.md §9).
-- seconds_apart is the largest gap among its payments. ts_text and amount_text are the sheet's cells
-- as written (stg_deposit_sheet).
create or replace table entries as
with linked as (
    select entry_id, count(*) as candidates from decision_pairs where action = 'link' group by 1
),
candidate_counts as (
    select "left" as entry_id, count(*) as candidates from entry_candidates group by 1
    union all
    select entry_id, candidates from linked
),
settled as (
    select entry_id from linked
    union
    select entry_id from decision_confirms where status = 'applied'
),
matched as (
    select
        m.entry_id,
        min(p.victim_id) as victim_id,
        string_agg(
            m.payment_id, ';' order by row_id_order(m.payment_id)
        ) as payment_ids,
        max(abs(epoch(p.ts) - epoch(e.ts)))::BIGINT as seconds_apart
    from entry_matches as m
    join case_payments as p on p.payment_id = m.payment_id
    join deposit_entries as e on e.entry_id = m.entry_id
    group by m.entry_id
)
select
    e.entry_id,
    e.source,
    e.source_row,
    e.ts,
    e.amount,
    e.member_code,
    e.defendant_id,
    e.unit_id,
    case when m.entry_id is null then 'unvalidated' else 'validated' end as status,
    coalesce(c.candidates, 0) as candidates,
    m.entry_id is not null and coalesce(c.candidates, 0) > 1 and s.entry_id is null as ambiguous,
    m.victim_id,
    m.payment_ids,
    m.seconds_apart,
    t.ts_text,
    t.amount_text
from deposit_entries as e
left join stg_deposit_sheet as t on t.source = e.source and t.source_row = e.source_row
left join candidate_counts as c using (entry_id)
left join matched as m using (entry_id)
left join settled as s using (entry_id);
