-- unvalidated: one row per unvalidated entry, with why it found no payment (outputs.md `unvalidated`, rules.md §9).
-- Inputs: entries, deposit_entries, case_payments, entry_matches, decision_pairs.
-- nearest: among the payments whose amount lies within amount_tolerance of the entry's, the one
-- closest in time (|payment time - entry time|); equally close ones go to the earlier payment id
-- (file, then row number, as entry_candidates ranks them). reason: the first rule of §3 that the
-- entry and its nearest payment fail, in this order: rejected (an applied reject forbids the
-- pair; taken_by names that decision's row), window, account (the entry names another receiving
-- account), victim (the entry names another payer), taken (taken_by names the entry that has
-- it); none when no payment of that amount exists. nearest_seconds = payment time - entry time,
-- amount_difference = entry - payment.
-- Scale: amounts join on tolerance-wide buckets against the distinct payment amounts, then an
-- ASOF join on the exact amount finds the closest payment time before and after each entry, so
-- no entry is paired with every payment of a common amount; only payments at those very times
-- are compared by id.
create or replace table unvalidated as
with open_entries as (
    select d.entry_id, d.ts, d.amount, d.receiving_account, d.victim_ref
    from deposit_entries as d
    join entries as e using (entry_id)
    where e.status = 'unvalidated'
),
payment_amounts as (
    select distinct amount, floor(amount::DECIMAL(38, 2) * 100 / (getvariable('amount_tolerance') * 100 + 1))::BIGINT as bucket
    from case_payments
),
entry_amounts as (
    select e.entry_id, e.ts, a.amount as payment_amount
    from (
        select
            *,
            unnest([0, -1, 1]) + floor(amount::DECIMAL(38, 2) * 100 / (getvariable('amount_tolerance') * 100 + 1))::BIGINT as bucket
        from open_entries
    ) as e
    join payment_amounts as a using (bucket)
    where a.amount between e.amount - getvariable('amount_tolerance') and e.amount + getvariable('amount_tolerance')
),
closest_times as (
    -- the last payment time at or before the entry and the first at or after it, per amount
    select e.entry_id, p.amount, p.ts
    from entry_amounts as e
    asof join case_payments as p on p.amount = e.payment_amount and e.ts >= p.ts
    union
    select e.entry_id, p.amount, p.ts
    from entry_amounts as e
    asof join case_payments as p on p.amount = e.payment_amount and e.ts <= p.ts
),
closest as (
    -- every payment at those times (usually one), and the closest of them by gap
    select
        c.entry_id,
        p.payment_id,
        p.to_account,
        p.victim_id,
        p.amount,
        p.ts,
        abs(epoch(p.ts) - epoch(e.ts)) as gap
    from closest_times as c
    join case_payments as p on p.amount = c.amount and p.ts = c.ts
    join open_entries as e using (entry_id)
    qualify abs(epoch(p.ts) - epoch(e.ts)) = min(abs(epoch(p.ts) - epoch(e.ts))) over (partition by c.entry_id)
),
nearest as (
    select * from closest
    qualify row_number() over (
        partition by entry_id order by row_id_order(payment_id)
    ) = 1
),
judged as (
    select
        e.entry_id,
        n.payment_id as nearest_payment_id,
        (epoch(n.ts) - epoch(e.ts))::BIGINT as nearest_seconds,
        (e.amount - n.amount)::DECIMAL(18, 2) as amount_difference,
        r.decision_id as rejected_by,
        m.entry_id as taken_by_entry,
        case
            when n.payment_id is null then 'none'
            when r.decision_id is not null then 'rejected'
            when abs(epoch(n.ts) - epoch(e.ts)) > getvariable('window_minutes') * 60 then 'window'
            when e.receiving_account is not null and n.to_account <> e.receiving_account then 'account'
            when e.victim_ref is not null and n.victim_id <> e.victim_ref then 'victim'
            when m.entry_id is not null then 'taken'
        end as reason
    from open_entries as e
    left join nearest as n using (entry_id)
    left join (
        select entry_id, payment_id, min(decision_id) as decision_id
        from decision_pairs
        where action = 'reject'
        group by all
    ) as r on r.entry_id = e.entry_id and r.payment_id = n.payment_id
    left join entry_matches as m on m.payment_id = n.payment_id
)
select
    entry_id,
    reason,
    nearest_payment_id,
    nearest_seconds,
    amount_difference,
    case reason when 'rejected' then rejected_by when 'taken' then taken_by_entry end as taken_by
from judged;
