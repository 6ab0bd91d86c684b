-- summary_mismatches: one finding (statement_integrity's columns that apply) per figure an export's preamble states that its rows do not hold.
-- Inputs: statement_summaries (what each export's preamble states and what its rows hold; written
-- by the pipeline from ingest.statement_summaries). Figures: the row count and the in/out/neutral
-- counts and totals.
create or replace table summary_mismatches as
with summary_items as (
    select s.path, s.account_no, unnest([
        {'item': 'count', 'stated': s.stated_count::VARCHAR, 'found': s.rows_count::VARCHAR},
        {'item': 'in_count', 'stated': s.stated_in_count::VARCHAR, 'found': s.rows_in_count::VARCHAR},
        {'item': 'in_amount', 'stated': s.stated_in_amount::VARCHAR, 'found': s.rows_in_amount::VARCHAR},
        {'item': 'out_count', 'stated': s.stated_out_count::VARCHAR, 'found': s.rows_out_count::VARCHAR},
        {'item': 'out_amount', 'stated': s.stated_out_amount::VARCHAR, 'found': s.rows_out_amount::VARCHAR},
        {'item': 'neutral_count', 'stated': s.stated_neutral_count::VARCHAR, 'found': s.rows_neutral_count::VARCHAR},
        {'item': 'neutral_amount', 'stated': s.stated_neutral_amount::VARCHAR, 'found': s.rows_neutral_amount::VARCHAR}
    ]) as i
    from statement_summaries as s
)
select
    account_no,
    'summary_mismatch' as kind,
    path as source,
    i.stated,
    i.found,
    format(
        'the preamble states {} = {}, the rows read hold {} (each row counted by its own in/out label, '
        || 'whatever its status); the rows are used', i.item, i.stated, i.found
    ) as detail
from summary_items
where i.stated is not null and i.stated is distinct from i.found;
