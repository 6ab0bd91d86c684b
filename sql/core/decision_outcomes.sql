-- decision_outcomes: one row per review decision with its outcome, applied or stale and why (rules.md §9).
-- Inputs: decision_list, decision_checks (reject, link), decision_confirms, exclusion_outcomes
-- (written by review.apply_exclusions when the rows were loaded). A malformed decision is stale
-- with its problem. The `decisions` mart and the manifest's stale-decision warnings read this.
create or replace table decision_outcomes as
with judged as (
    select decision_id, status, detail from decision_checks
    union all
    select decision_id, status, detail from decision_confirms
    union all
    select decision_id, status, detail from exclusion_outcomes
)
select
    d.decision_id,
    d.decision_order,
    d.action,
    d.entry_id,
    d.payment_ids,
    d.row_id,
    d.reason,
    d.decided_by,
    d.decided_at,
    case when d.problem is null then j.status else 'stale' end as status,
    coalesce(d.problem, j.detail) as detail
from decision_list as d
left join judged as j using (decision_id);
