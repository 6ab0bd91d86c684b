-- info_category_thresholds: one row per record category.
-- Inputs: record_categories (seed: the 2017 interpretation, art. 5, as rules.md §6 states it).
-- points_per_record = 5000 / threshold, so "sum of count/threshold >= 1" becomes the
-- exact integer test "points >= 5000" (no fractions, no floats).
create or replace view info_category_thresholds as
select category, threshold::INTEGER as threshold, (5000 // threshold::INTEGER)::INTEGER as points_per_record
from record_categories;
