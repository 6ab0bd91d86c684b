-- case_payments: one row per payment, i.e. money into a gang account from an account that is not one.
-- Inputs: victim_flows (where rules.md §2 is decided: its payment flows).
create or replace table case_payments as
select * exclude (flow) rename (transfer_id as payment_id) from victim_flows where flow = 'payment';
