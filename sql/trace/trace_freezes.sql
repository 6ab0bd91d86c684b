-- trace_freezes: one row per frozen or seized amount listed (rules.md §8), with the tracing event that froze its account's lots.
-- Inputs: stg_frozen, trace_accounts, trace_events.
-- event_no is NULL for an account without a traced statement: no lot is frozen there by tracing
-- (its lots end as not_obtained), so its `traced` allotment finds nothing and stays unallocated.
create or replace table trace_freezes as
select
    f.source || ':' || f.source_row as freeze_id,
    f.account_no,
    f.amount,
    f.ts,
    f.authority_ref,
    coalesce(a.traced, false) as traced,
    e.event_no
from stg_frozen as f
left join trace_accounts as a on a.account_no = f.account_no
left join trace_events as e on e.freeze_id = f.source || ':' || f.source_row;
