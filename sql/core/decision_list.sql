-- decision_list: one row per review decision (rules.md §9), its ids parsed and what keeps it from applying named.
-- Inputs: stg_decisions. decision_id is the decision's own row, <file>:<row>; decision_order is
-- file, then row. payment_list holds the distinct ids of payment_ids (split on ';', trimmed).
-- problem says why the decision cannot apply as written (the decisions mart reports it stale),
-- NULL when it is well formed: each action names exactly the ids case-format.md gives it, so a
-- reviewer's slip (an entry_id on an exclude, say) is reported instead of guessed at.
create or replace table decision_list as
with parsed as (
    select
        source || ':' || source_row as decision_id,
        source,
        source_row,
        action,
        entry_id,
        payment_ids,
        list_distinct(
            list_filter(list_transform(string_split(coalesce(payment_ids, ''), ';'), lambda id: trim(id)), lambda id: id <> '')
        ) as payment_list,
        row_id,
        reason,
        decided_by,
        decided_at
    from stg_decisions
)
select
    decision_id,
    row_number() over (order by source, source_row) as decision_order,
    action,
    entry_id,
    payment_ids,
    payment_list,
    row_id,
    reason,
    decided_by,
    decided_at,
    case
        when action not in ('reject', 'link', 'confirm', 'exclude')
            then 'unknown action ''' || action || ''' (one of reject, link, confirm, exclude)'
        when action = 'exclude' and row_id is null
            then 'an exclude names the input row to leave out in row_id'
        when action = 'exclude' and (entry_id is not null or len(payment_list) > 0)
            then 'an exclude names only row_id (entry_id and payment_ids are for reject, link, confirm)'
        when action <> 'exclude' and entry_id is null
            then 'a ' || action || ' names its entry in entry_id'
        when action <> 'exclude' and row_id is not null
            then 'row_id is for exclude only; a ' || action || ' names entry_id and payment_ids'
        when action in ('reject', 'link') and len(payment_list) = 0
            then 'a ' || action || ' names one or more payment ids in payment_ids'
    end as problem
from parsed;
