-- info_category_thresholds: one row per record category (kinds.RECORD_CATEGORIES).
-- Inputs: none; the 2017 interpretation, art. 5, as rules.md §6 states it.
-- points_per_record = 5000 / threshold, so "sum of count/threshold >= 1" becomes the
-- exact integer test "points >= 5000" (no fractions, no floats).
create or replace view info_category_thresholds as
select category, threshold, (5000 // threshold)::integer as points_per_record
from (values
    ('whereabouts', 50),
    ('communication', 50),
    ('credit', 50),
    ('property', 50),
    ('accommodation', 500),
    ('communication_records', 500),
    ('health', 500),
    ('transaction', 500),
    ('other', 5000)
) as t(category, threshold);
