-- victim_accounts: one row per account an identified victim paid from.
-- Inputs: stg_victims. An account listed for two victims goes to the smaller victim_id
-- (roster_conflicts-style ambiguity is reported by the victims expectation suite).
create or replace table victim_accounts as
select account_no, min(victim_id) as victim_id
from stg_victims
where account_no is not null
group by account_no;
