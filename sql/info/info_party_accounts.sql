-- info_party_accounts: one row per account_no named in stg_accounts, with its holder.
-- Inputs: stg_accounts.
-- The same account listed again (another file, same holder) is one row. An account
-- given to two different holders would credit one payment to two people, so the run
-- stops with the account, the holders and the rows that say so.
create or replace table info_party_accounts as
select
    account_no,
    case
        when count(distinct holder_id) > 1 then error(
            'accounts: account ' || account_no || ' has several holders ('
            || string_agg(distinct holder_id, ', ' order by holder_id) || ') in rows '
            || string_agg(source || ':' || source_row, ', ' order by source, source_row)
        )
        else min(holder_id)
    end as holder_id,
    min(holder_name) as holder_name,
    string_agg(source || ':' || source_row, ';' order by source, source_row) as sources
from stg_accounts
where account_no is not null and holder_id is not null
group by account_no;
