-- case_returns: one row per return, i.e. money from a gang account to an account that made a payment.
-- Inputs: victim_flows (where rules.md §2 is decided: its return flows).
create or replace table case_returns as
select * exclude (flow) rename (transfer_id as return_id) from victim_flows where flow = 'return';
