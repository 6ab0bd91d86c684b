-- decision_pairs: one row per (entry, payment) pair an applied reject forbids or an applied link takes.
-- Inputs: decision_checks, decision_list. entry_candidates and split_candidates leave rejected
-- pairs out and take linked entries and payments out of the pool; review.add_linked_matches
-- adds the linked pairs to entry_matches.
create or replace view decision_pairs as
select c.decision_id, c.action, c.entry_id, unnest(d.payment_list) as payment_id
from decision_checks as c
join decision_list as d using (decision_id)
where c.status = 'applied';
