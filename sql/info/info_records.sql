-- info_records: one row per stg_records row, normalised and classified (rules.md §6).
-- Inputs: stg_records, info_category_thresholds.
-- phone: full-width digits folded, spaces/dashes/parentheses removed, a leading
--   +86 / 0086 removed, a bare leading 86 only when 13 digits remain (86 + 11),
--   then valid when it matches 1[3-9] + 9 digits.
-- id_number: spaces removed, upper-cased; valid when 17 digits + digit/X and the
--   ISO 7064 MOD 11-2 check character is right. The birth date is not checked:
--   the rule asks for the check digit only.
-- A record is valid when its phone or its ID is valid; invalid_reason tells an
--   auditor why an excluded record was excluded. A record's unusable phone or ID
--   is kept in phone_problem / id_problem even when the other one makes it valid.
-- category: lower-cased, spaces and dashes as '_'; empty means other (as the
--   contract says); an unknown value also becomes other, with category_known false.
create or replace table info_records as
with folded as (
    select
        *,
        nullif(regexp_replace(
            translate(phone, '０１２３４５６７８９＋（）－　', '0123456789+()- '),
            '[\s()\-]', '', 'g'), '') as phone_compact,
        nullif(upper(regexp_replace(
            translate(id_number, '０１２３４５６７８９ｘＸ　', '0123456789xX '),
            '\s', '', 'g')), '') as id_compact,
        nullif(regexp_replace(lower(trim(category)), '[\s\-]+', '_', 'g'), '') as category_clean
    from stg_records
),
stripped as (
    select
        *,
        case
            when phone_compact like '+86%' then substr(phone_compact, 4)
            when phone_compact like '0086%' then substr(phone_compact, 5)
            when phone_compact like '86%' and length(phone_compact) = 13 then substr(phone_compact, 3)
            else phone_compact
        end as phone_digits,
        case
            when regexp_full_match(id_compact, '[0-9]{17}[0-9X]') then
                substr('10X98765432', (list_sum(list_transform(
                    range(17),
                    lambda i: (ascii(substr(id_compact, i + 1, 1)) - 48)
                        * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i + 1]
                )) % 11 + 1)::bigint, 1)
        end as id_expected_check
    from folded
),
checked as (
    select
        *,
        case
            when phone_digits is null then 'no phone'
            when not regexp_full_match(phone_digits, '[0-9]+') then 'phone has characters other than digits'
            when length(phone_digits) <> 11 then 'phone not 11 digits'
            when not regexp_full_match(phone_digits, '1[3-9][0-9]{9}') then 'phone does not start with 13-19'
        end as phone_problem,
        case
            when id_compact is null then 'no id number'
            when length(id_compact) <> 18 then 'id not 18 characters'
            when id_expected_check is null then 'id not 17 digits and a check character'
            when id_expected_check <> substr(id_compact, 18, 1) then 'id check digit wrong'
        end as id_problem
    from stripped
)
select
    c.source,
    c.source_row,
    c.source || ':' || c.source_row as record_id,
    c.seller_id,
    c.buyer_id,
    c.ts,
    nullif(trim(c.name), '') as name,
    c.phone as phone_raw,
    case when c.phone_problem is null then c.phone_digits end as phone,
    c.phone_problem,
    c.id_number as id_number_raw,
    case when c.id_problem is null then c.id_compact end as id_number,
    c.id_problem,
    coalesce(t.category, 'other') as category,
    c.category as category_raw,
    c.category_clean is null or t.category is not null as category_known,
    c.batch_ref,
    c.phone_problem is null or c.id_problem is null as is_valid,
    case
        when c.phone_problem is null or c.id_problem is null then null
        when c.phone_digits is null and c.id_compact is null then 'no reachable contact: no phone, no id number'
        else concat_ws('; ', c.phone_problem, c.id_problem)
    end as invalid_reason
from checked c
left join info_category_thresholds t on t.category = c.category_clean;
