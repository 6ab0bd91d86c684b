-- trace_victim_paths: one row per step of one victim's money under one method, for report.html's drill-down (rules.md §7).
-- Inputs: traces, endpoints, victims, variables report_victims, report_victim_steps.
-- Victims: the report_victims with the largest net loss (ties to the lower victim_id). Steps:
-- step 'move', every row of `traces` of the victim's origin (the start at hop 0 included), in
-- time order, then hop; step 'end', the victim's end points, largest first. Each is cut at
-- report_victim_steps rows per victim and method; steps_total and amount_total say how many
-- rows and how much the whole list holds. A method followed at account level names the victim
-- only in its starts and at frozen accounts (its other rows are `pooled:victims`).
create or replace table trace_victim_paths as
with chosen as (
    select victim_id, row_number() over (order by net_loss desc, victim_id) as victim_rank
    from victims
    qualify victim_rank <= getvariable('report_victims')
),
moves as (
    select
        c.victim_rank, t.origin as victim_id, t.method, 'move' as step, t.hop, t.from_account,
        t.to_account as account_no, t.ts, null::VARCHAR as kind, t.amount, t.posting_id,
        row_number() over (
            partition by t.origin, t.method order by t.ts, t.hop, t.posting_id, t.to_account, t.amount desc
        ) as step_no
    from traces as t
    join chosen as c on c.victim_id = t.origin
),
ends as (
    select
        c.victim_rank, e.origin as victim_id, e.method, 'end' as step, null::BIGINT as hop, null::VARCHAR as from_account,
        e.account_no, null::TIMESTAMPTZ as ts, e.kind, e.amount, null::VARCHAR as posting_id,
        row_number() over (partition by e.origin, e.method order by e.amount desc, e.account_no, e.kind) as step_no
    from endpoints as e
    join chosen as c on c.victim_id = e.origin
),
steps as (
    select
        *,
        count(*) over (partition by victim_id, method, step) as steps_total,
        sum(amount) over (partition by victim_id, method, step) as amount_total
    from (select * from moves union all select * from ends)
)
select
    victim_rank, victim_id, method, step, step_no, hop, from_account, account_no, ts, kind, amount, posting_id,
    steps_total, amount_total::DECIMAL(38, 2) as amount_total
from steps
where step_no <= getvariable('report_victim_steps')
order by victim_rank, method, step desc, step_no;
