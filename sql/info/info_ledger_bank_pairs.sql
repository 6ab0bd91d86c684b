-- info_ledger_bank_pairs: one row per payment seen both in a payment ledger and in a
-- bank transfer: ledger_payment_id, bank_payment_id, seconds_apart.
-- Inputs: info_ledger_payments, info_bank_payments; getvariable('ledger_window_days').
-- Candidates (rules.md §6): same payer, payee and amount, times at most
-- ledger_window_days apart. Pairing is one-to-one and takes as many pairs as possible,
-- so a payment made twice and booked twice is two payments, not one.
-- How: within one (payer, payee, amount) the candidates of a bank transfer are a run of
-- consecutive ledger rows in time order, and both ends of the run move forward as the
-- transfer's time does. Taking the transfers in time order and giving each the
-- earliest ledger row still free in its run is then a maximum matching (the greedy for
-- intervals ordered by their end). The recursion walks the transfers one step per
-- round; times more than the window apart split a group into independent clusters, so
-- the rounds are the largest cluster's transfer count, not the group's.
create or replace table info_ledger_bank_pairs as
with recursive
events as (
    select 'ledger' as side, payment_id, payer, payee, amount, ts, epoch_us(ts) as t_us
    from info_ledger_payments
    union all
    select 'bank', payment_id, payer, payee, amount, ts, epoch_us(ts)
    from info_bank_payments
),
gaps as (
    select
        *,
        case
            when t_us - lag(t_us) over (partition by payer, payee, amount order by t_us, side, payment_id)
                 > coalesce(getvariable('ledger_window_days'), 1) * 86400000000
            then 1 else 0
        end as starts_cluster
    from events
),
clustered as (
    select
        *,
        sum(starts_cluster) over (
            partition by payer, payee, amount
            order by t_us, side, payment_id
            rows between unbounded preceding and current row
        ) as cluster_no
    from gaps
),
both_sides as (
    select
        *,
        dense_rank() over (order by payer, payee, amount, cluster_no) as cluster_id,
        count(*) filter (where side = 'ledger') over (partition by payer, payee, amount, cluster_no) as ledger_rows,
        count(*) filter (where side = 'bank') over (partition by payer, payee, amount, cluster_no) as bank_rows
    from clustered
),
reach as (
    -- for each event: ledger rows of its cluster strictly earlier than t - window
    -- (gone for good) and ledger rows up to t + window; for a transfer its candidates
    -- are ledger positions [expired, reachable)
    select
        *,
        coalesce(sum(case when side = 'ledger' then 1 else 0 end) over (
            partition by cluster_id order by t_us
            range between unbounded preceding
                  and coalesce(getvariable('ledger_window_days'), 1) * 86400000000 + 1 preceding
        ), 0) as expired,
        sum(case when side = 'ledger' then 1 else 0 end) over (
            partition by cluster_id order by t_us
            range between unbounded preceding
                  and coalesce(getvariable('ledger_window_days'), 1) * 86400000000 following
        ) as reachable
    from both_sides
    where ledger_rows > 0 and bank_rows > 0
),
ledger_positions as (
    select cluster_id, payment_id, t_us,
           row_number() over (partition by cluster_id order by t_us, payment_id) - 1 as position
    from reach
    where side = 'ledger'
),
bank_steps as (
    select cluster_id, payment_id, t_us, expired, reachable,
           row_number() over (partition by cluster_id order by t_us, payment_id) as step
    from reach
    where side = 'bank'
),
walk(cluster_id, step, next_free, ledger_position, bank_payment_id) as (
    select distinct cluster_id, 0::bigint, 0::bigint, null::bigint, null::varchar
    from bank_steps
    union all
    select
        w.cluster_id,
        b.step,
        case when greatest(w.next_free, b.expired) < b.reachable
             then greatest(w.next_free, b.expired) + 1
             else greatest(w.next_free, b.expired) end,
        case when greatest(w.next_free, b.expired) < b.reachable
             then greatest(w.next_free, b.expired) end,
        b.payment_id
    from walk as w
    join bank_steps as b on b.cluster_id = w.cluster_id and b.step = w.step + 1
)
select
    l.payment_id as ledger_payment_id,
    w.bank_payment_id,
    abs(b.t_us - l.t_us) // 1000000 as seconds_apart
from walk as w
join ledger_positions as l on l.cluster_id = w.cluster_id and l.position = w.ledger_position
join bank_steps as b on b.cluster_id = w.cluster_id and b.payment_id = w.bank_payment_id;
