-- info_defendants: one row per seller_id of records (outputs.md): defendant_id,
-- records_passed, records_valid, records_unique, records_corroborated, received,
-- paid_upstream, net_gain, tier.
-- Inputs: info_records, info_unique_records, info_category_thresholds, info_payments,
-- info_tiers (seed: each tier's marks); getvariable('insiders').
-- Who: every seller_id; the records contract names the seller as "defendant who passed
-- the record on", and a case may hold a roster for other evidence only. Buyers who
-- never sold are not defendants of this table.
-- Gains: received = counted payments from the seller's buyers to the seller;
-- paid_upstream = counted payments from the seller to those who sold to the seller;
-- who bought from whom is read from all record rows, valid or not.
-- Tier (2017 interpretation art. 5): points = sum over unique records of
-- 5000 / threshold of its category, so sum(count / threshold) >= 1 is points >= 5000;
-- a tier is reached by its min_points or its min_net_gain (serious: 5000 points or
-- 5,000 CNY; especially_serious ten times either); the highest tier reached wins. Insiders' thresholds are halved: their points and net gain
-- are compared at half the marks.
create or replace table info_defendants as
with
sellers as (
    select
        seller_id as defendant_id,
        count(*) as records_passed,
        count(*) filter (where is_valid) as records_valid
    from info_records
    group by seller_id
),
unique_counts as (
    select
        u.seller_id as defendant_id,
        count(*) as records_unique,
        count(*) filter (where u.corroborated) as records_corroborated,
        sum(t.points_per_record) as points
    from info_unique_records as u
    join info_category_thresholds as t on t.category = u.category
    group by u.seller_id
),
trades as (
    select distinct seller_id, buyer_id
    from info_records
),
trade_payments as (
    -- payments from a buyer to the seller they bought from (info_payments: each payment counted once)
    select t.seller_id, t.buyer_id, p.amount
    from info_payments as p
    join trades as t on t.seller_id = p.payee and t.buyer_id = p.payer
    where p.counted
),
gains as (
    select defendant_id, sum(received) as received, sum(paid_upstream) as paid_upstream
    from (
        select seller_id as defendant_id, amount as received, 0 as paid_upstream from trade_payments
        union all
        select buyer_id, 0, amount from trade_payments
    )
    group by defendant_id
),
measured as (
    select
        s.defendant_id,
        s.records_passed,
        s.records_valid,
        coalesce(u.records_unique, 0) as records_unique,
        coalesce(u.records_corroborated, 0) as records_corroborated,
        coalesce(g.received, 0)::DECIMAL(38, 2) as received,
        coalesce(g.paid_upstream, 0)::DECIMAL(38, 2) as paid_upstream,
        (coalesce(g.received, 0) - coalesce(g.paid_upstream, 0))::DECIMAL(38, 2) as net_gain,
        coalesce(u.points, 0) as points,
        case
            when list_contains(coalesce(getvariable('insiders')::varchar[], []::varchar[]), s.defendant_id)
            then 2 else 1
        end as threshold_divisor
    from sellers as s
    left join unique_counts as u using (defendant_id)
    left join gains as g using (defendant_id)
),
tiered as (
    select m.defendant_id, arg_max(t.tier, t.min_points::INTEGER) as tier
    from measured as m
    join info_tiers as t
        on m.points * m.threshold_divisor >= t.min_points::INTEGER
        or m.net_gain * m.threshold_divisor >= t.min_net_gain::DECIMAL(18, 2)
    group by m.defendant_id
)
select
    m.defendant_id,
    m.records_passed,
    m.records_valid,
    m.records_unique,
    m.records_corroborated,
    m.received,
    m.paid_upstream,
    m.net_gain,
    t.tier
from measured as m
join tiered as t using (defendant_id);
