-- bank_requests: one row per account where traced money ends as not_obtained: the next bank requests (调单), ranked by the money waiting there.
-- Inputs: endpoints, victim_accounts, gang_account_list.
-- Amounts per method; rank by the largest of the four, then account. victims: identified victims
-- whose money reaches the account under any method (named per victim: fifo and lifo always,
-- pro_rata and libr where followed lot by lot). A victim's own account (returns paid back
-- to it) is flagged rather than left out, so the list ties back to `endpoints`.
create or replace table bank_requests as
with waiting as (
    select
        account_no,
        coalesce(sum(amount) filter (where method = 'fifo'), 0)::DECIMAL(38, 2) as fifo,
        coalesce(sum(amount) filter (where method = 'lifo'), 0)::DECIMAL(38, 2) as lifo,
        coalesce(sum(amount) filter (where method = 'pro_rata'), 0)::DECIMAL(38, 2) as pro_rata,
        coalesce(sum(amount) filter (where method = 'libr'), 0)::DECIMAL(38, 2) as libr,
        count(distinct origin) filter (
            where origin not in ('other', 'opening', 'pooled:victims') and origin not like 'unidentified:%'
        ) as victims
    from endpoints
    where kind = 'not_obtained'
    group by account_no
)
select
    row_number() over (order by greatest(fifo, lifo, pro_rata, libr) desc, account_no) as rank,
    account_no,
    account_no in (select account_no from gang_account_list) as gang_account,
    account_no in (select account_no from victim_accounts) as victim_account,
    fifo,
    lifo,
    pro_rata,
    libr,
    victims
from waiting;
