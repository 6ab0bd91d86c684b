-- decision_checks: one row per well-formed reject or link decision, applied or stale, and why (rules.md §9).
-- Inputs: decision_list, deposit_entries, case_payments. These two actions apply before matching.
-- reject: stale when its entry or one of its payments is not in the case; else applied.
-- link: stale when its entry or a payment is not in the case, when an applied reject forbids one
-- of its pairs, when its payments' sum differs from the entry by more than amount_tolerance, or
-- when one lies outside window_minutes of the entry. Two links that pass those checks but name
-- the same entry or share a payment contradict each other: both are stale, so the outcome never
-- depends on which row the reviewer wrote first, and a stale link never makes another one stale.
create or replace table decision_checks as
with named as (
    select d.decision_id, d.decision_order, d.action, d.entry_id, unnest(d.payment_list) as payment_id
    from decision_list as d
    where d.action in ('reject', 'link') and d.problem is null
),
located as (
    select
        n.*,
        e.entry_id is not null as entry_known,
        p.payment_id is not null as payment_known,
        p.amount,
        e.amount as entry_amount,
        (epoch(p.ts) - epoch(e.ts))::BIGINT as seconds_apart,
        row_id_order(n.payment_id) as payment_order
    from named as n
    left join deposit_entries as e on e.entry_id = n.entry_id
    left join case_payments as p on p.payment_id = n.payment_id
),
missing as (
    select
        decision_id,
        any_value(action) as action,
        any_value(entry_id) as entry_id,
        any_value(decision_order) as decision_order,
        bool_and(entry_known) as entry_known,
        string_agg(payment_id, ';' order by payment_order)
            filter (where not payment_known) as unknown_payments
    from located
    group by decision_id
),
applied_rejects as (
    select l.decision_id, l.entry_id, l.payment_id
    from located as l
    join missing as m using (decision_id)
    where l.action = 'reject' and m.entry_known and m.unknown_payments is null
),
link_figures as (
    select
        l.decision_id,
        sum(l.amount) as total,
        any_value(l.entry_amount) as entry_amount,
        string_agg(l.payment_id || ' (' || l.seconds_apart || ' s)', ', ' order by l.payment_order)
            filter (where abs(l.seconds_apart) > getvariable('window_minutes') * 60) as outside_window,
        string_agg(l.payment_id || ' by ' || r.decision_id, ', ' order by l.payment_order)
            filter (where r.decision_id is not null) as rejected
    from located as l
    left join applied_rejects as r on r.entry_id = l.entry_id and r.payment_id = l.payment_id
    where l.action = 'link'
    group by l.decision_id
),
first_problem as (
    select
        m.decision_id,
        m.action,
        m.entry_id,
        m.decision_order,
        case
            when not m.entry_known then 'entry ' || m.entry_id || ' is not in the case'
            when m.unknown_payments is not null then 'no payment ' || m.unknown_payments || ' in the case'
            when m.action = 'reject' then null
            when f.rejected is not null then 'rejected for this entry: ' || f.rejected
            when abs(f.total - f.entry_amount) > getvariable('amount_tolerance')
                then 'the linked sum ' || f.total || ' and the entry amount ' || f.entry_amount
                     || ' are more than the amount tolerance ' || getvariable('amount_tolerance') || ' apart'
            when f.outside_window is not null
                then 'outside the ' || getvariable('window_minutes') || '-minute window: ' || f.outside_window
        end as detail
    from missing as m
    left join link_figures as f using (decision_id)
),
sound_links as (
    select l.decision_id, l.entry_id, l.payment_id
    from located as l
    join first_problem as f using (decision_id)
    where l.action = 'link' and f.detail is null
),
contradictions as (
    select a.decision_id, string_agg(distinct b.decision_id, ', ' order by b.decision_id) as others
    from sound_links as a
    join sound_links as b on b.decision_id <> a.decision_id and (b.entry_id = a.entry_id or b.payment_id = a.payment_id)
    group by a.decision_id
)
select
    f.decision_id,
    f.action,
    f.entry_id,
    case when coalesce(f.detail, c.others) is null then 'applied' else 'stale' end as status,
    coalesce(f.detail, 'contradicts ' || c.others || ' (same entry or payment): resolve them into one decision') as detail
from first_problem as f
left join contradictions as c using (decision_id);
