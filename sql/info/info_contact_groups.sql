-- info_contact_groups: one row per (seller_id, buyer_id, contact_key) of a valid record;
-- group_key names the record it belongs to after de-duplication.
-- Inputs: info_records.
-- Rule (rules.md §6, 2017 interpretation art. 11): records with the same phone, or the
-- same ID number, passed by one seller to one buyer count once. Read literally this is
-- transitive: a record carrying phone P and ID I joins every record with P to every
-- record with I. So keys ('phone:<digits>', 'id:<number>') are the nodes of a graph,
-- each valid record with both links its two keys, and one de-duplicated record is one
-- connected component, found separately for each seller-buyer pair (a link seen in
-- another pair's records does not merge records here). group_key is the smallest key
-- of the component. Min-label propagation: each round only keys whose label just
-- dropped push it on, so the rounds are the components' diameter (2 or 3 in practice).
create or replace table info_contact_groups as
with recursive
record_keys as (
    -- '||' with NULL gives NULL: a record with one usable key has no partner
    select seller_id, buyer_id, 'phone:' || phone as contact_key, 'id:' || id_number as partner
    from info_records
    where is_valid and phone is not null
    union all
    select seller_id, buyer_id, 'id:' || id_number, 'phone:' || phone
    from info_records
    where is_valid and id_number is not null
),
links as (
    select distinct seller_id, buyer_id, contact_key as from_key, partner as to_key
    from record_keys
    where partner is not null
),
labels(seller_id, buyer_id, contact_key, group_key) using key (seller_id, buyer_id, contact_key) as (
    select distinct seller_id, buyer_id, contact_key, contact_key
    from record_keys
    union
    select l.seller_id, l.buyer_id, l.to_key, min(changed.group_key)
    from labels as changed
    join links as l
      on l.seller_id = changed.seller_id
     and l.buyer_id = changed.buyer_id
     and l.from_key = changed.contact_key
    join recurring.labels as current
      on current.seller_id = l.seller_id
     and current.buyer_id = l.buyer_id
     and current.contact_key = l.to_key
    group by l.seller_id, l.buyer_id, l.to_key, current.group_key
    having min(changed.group_key) < current.group_key
)
select seller_id, buyer_id, contact_key, group_key
from labels;
