-- deposit_entries: one row per deposit-sheet entry, with the code holder and unit on the entry's day.
-- Inputs: stg_deposit_sheet, roster_periods (rules.md §4: the period holding the entry's date in the
-- case timezone). No holder that day: defendant_id and unit_id stay NULL (unknown code).
-- entry_order is the matching tie-break order: entry time, then entry id (file, row).
create or replace table deposit_entries as
with dated as (
    select
        d.*,
        d.source || ':' || d.source_row as entry_id,
        timezone(getvariable('case_tz'), d.ts)::DATE as case_day
    from stg_deposit_sheet as d
),
holders as (
    -- roster_conflicts allows one holder per code and day, but one person's rows may share a day
    -- (a role change written inclusively): the entry is theirs once, in the row that began last.
    select d.entry_id, r.defendant_id, r.unit_id
    from dated as d
    join roster_periods as r
        on r.member_code = d.member_code
        and d.case_day between r.valid_from and r.valid_to
    qualify row_number() over (partition by d.entry_id order by r.valid_from desc, r.roster_row) = 1
)
select
    d.entry_id,
    d.source,
    d.source_row,
    d.ts,
    d.case_day,
    d.amount,
    d.member_code,
    d.receiving_account,
    d.victim_ref,
    d.entry_ref,
    h.defendant_id,
    h.unit_id,
    row_number() over (order by d.ts, d.source, d.source_row) as entry_order
from dated as d
left join holders as h using (entry_id);
