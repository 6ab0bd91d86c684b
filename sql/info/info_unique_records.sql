-- info_unique_records: one row per de-duplicated record passed from one seller to one
-- buyer (seller_id, buyer_id, group_key): what records_unique counts (rules.md §6).
-- Inputs: info_records, info_contact_groups, info_category_thresholds.
-- Per buyer: the same person sold to two buyers is two rows. Chain: a seller's rows are
-- what they passed on, including records they had bought (received_upstream says so);
-- their supplier's rows hold only the supplier's own sales, so nobody counts a record
-- twice for buying and then selling it.
-- category: the merged rows may name different categories; the most sensitive one
-- (smallest threshold, then name) is taken, since the record carries that information.
-- corroborated: the rows of this record come from at least two source files (say the
-- seller's chat export and the buyer's book).
create or replace table info_unique_records as
with grouped as (
    select r.*, g.group_key, t.threshold
    from info_records as r
    join info_contact_groups as g
      on g.seller_id = r.seller_id
     and g.buyer_id = r.buyer_id
     and g.contact_key = coalesce('phone:' || r.phone, 'id:' || r.id_number)
    join info_category_thresholds as t on t.category = r.category
    where r.is_valid
),
received_keys as (
    select distinct buyer_id as seller_id, contact_key
    from info_contact_groups
),
received_groups as (
    select distinct g.seller_id, g.buyer_id, g.group_key
    from info_contact_groups as g
    join received_keys as k on k.seller_id = g.seller_id and k.contact_key = g.contact_key
)
select
    grouped.seller_id,
    grouped.buyer_id,
    grouped.group_key,
    arg_min(grouped.category, (grouped.threshold, grouped.category)) as category,
    count(*) as record_rows,
    count(distinct grouped.source) as source_files,
    count(distinct grouped.source) >= 2 as corroborated,
    bool_or(received_groups.group_key is not null) as received_upstream,
    min(grouped.ts) as first_ts,
    arg_min(grouped.record_id, (grouped.ts, grouped.source, grouped.source_row)) as first_record_id
from grouped
left join received_groups
  on received_groups.seller_id = grouped.seller_id
 and received_groups.buyer_id = grouped.buyer_id
 and received_groups.group_key = grouped.group_key
group by grouped.seller_id, grouped.buyer_id, grouped.group_key;
