-- liable_entries: one row per (defendant, validated entry) that makes up the defendant's liable amount.
-- Inputs: measure_entries (its liable rows), entries (the entry's time). What the reports list
-- behind each liable amount, entry by entry, so every liable figure can be traced to its evidence rows.
create or replace view liable_entries as
select m.defendant_id, m.entry_id, e.ts, m.amount
from measure_entries as m
join entries as e using (entry_id)
where m.measure = 'liable';
