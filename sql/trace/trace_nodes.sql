-- trace_nodes: one row per account an event of the tracing run touches, numbered for the allocation in Python.
-- Inputs: trace_steps.
create or replace table trace_nodes as
select (row_number() over (order by account_no) - 1)::INTEGER as node_id, account_no
from (
    select account_no from trace_steps
    union
    select counterparty_account from trace_steps where counterparty_account is not null
);
