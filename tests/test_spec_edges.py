"""Adversarial edges of rules.md §1-§5 and outputs.md, as implemented.

Each test builds the smallest case that puts one rule on its boundary and
states the expected figures, worked out by hand from the rule, in a comment.
Harness tests (tests/sqlcase.py) start from landing rows; the file-level
tests at the end go through ingest and publishing with
``pipeline.run_case`` on a case folder written here.
"""

from __future__ import annotations

import csv
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlcase import (
    GANG,
    GANG_2,
    ONWARD,
    ORG_SOURCES,
    STRANGER,
    UNITS,
    VICTIM_A,
    VICTIM_A2,
    VICTIM_B,
    build_case,
    case_toml,
    entry,
    member,
    rows,
    statement,
)

from fundtrail import controls, pipeline


VICTIMS = [
    {"victim_id": "V1", "name": "张三", "account_no": VICTIM_A, "reported_loss": "9000.00"},
    {"victim_id": "V1", "name": "张三", "account_no": VICTIM_A2, "reported_loss": "9000.00"},
    {"victim_id": "V2", "name": "李四", "account_no": VICTIM_B},
]


def d(text):
    return Decimal(text)


# ---------------------------------------------------------------- §3 window and tolerance boundaries


def test_matching_window_is_inclusive_at_exactly_thirty_minutes(tmp_path):
    # E1 10:00 ↔ P 10:30:00 (+1800 s, on the boundary: candidate)
    # E2 12:00 ↔ P 11:30:00 (-1800 s, on the boundary before: candidate)
    # E3 14:00 ↔ P 14:30:01 (1801 s: outside, E3 unvalidated, payment unattributed)
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:30:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 11:30:00+08", "1000.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-01 14:30:01+08", "1000.00", VICTIM_A, "3"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 10:00:00+08", "1000.00"),
            entry("2023-06-01 12:00:00+08", "1000.00"),
            entry("2023-06-01 14:00:00+08", "1000.00"),
        ],
    })
    assert rows(con, "select entry_id, status, payment_ids, seconds_apart from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "validated", "bank.csv:2", 1800),
        ("deposit_sheet.csv:3", "validated", "bank.csv:3", 1800),
        ("deposit_sheet.csv:4", "unvalidated", None, None),
    ]
    assert rows(con, "select status from payments where payment_id = 'bank.csv:4'") == [("unattributed",)]


def test_mirror_at_exactly_ten_minutes_is_one_transfer(tmp_path):
    # victim's outflow 10:00:00, card's inflow 10:10:00: exactly mirror_window_minutes apart → one
    # transfer of 5,000.00 (not two payments of 10,000.00 together).
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-5000.00", GANG, "A1", source="victim.csv"),
            statement(GANG, "2023-06-01 10:10:00+08", "5000.00", VICTIM_A, "G1", source="card.csv"),
        ],
    })
    assert rows(con, "select payment_id, amount, sources from payments") == [
        ("card.csv:2", d("5000.00"), "victim.csv:2;card.csv:2")
    ]
    assert rows(con, "select paid from victims where victim_id = 'V1'") == [(d("5000.00"),)]


def test_two_identical_transfers_inside_the_mirror_window_are_two_pairs(tmp_path):
    # V1 pays 5,000.00 twice in the same second (no serial numbers); the card shows both 5 s later.
    # Two transfers, each seen on both sides: paid 10,000.00 from 2 payments, every posting used once.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-5000.00", GANG, source="victim.csv"),
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-5000.00", GANG, source="victim.csv"),
            statement(GANG, "2023-06-01 10:00:05+08", "5000.00", VICTIM_A, source="card.csv"),
            statement(GANG, "2023-06-01 10:00:05+08", "5000.00", VICTIM_A, source="card.csv"),
        ],
    })
    assert rows(con, "select count(*), sum(amount) from transfers where seen_on = 'both'") == [(2, d("10000.00"))]
    sources = [s for (s,) in rows(con, "select sources from payments")]
    assert sorted(p for s in sources for p in s.split(";")) == [
        "card.csv:2", "card.csv:3", "victim.csv:2", "victim.csv:3"
    ]
    assert rows(con, "select paid, payments from victims where victim_id = 'V1'") == [(d("10000.00"), 2)]


def test_mirror_pairs_take_the_least_total_time_not_the_first_seen(tmp_path):
    # Outflows 10:00 and 10:03, inflows 10:01 and 10:04 (all 800.00, V1 → card).
    # Pairing straight: 60 s + 60 s = 120 s; crossed: 240 s + 120 s. So (10:00↔10:01), (10:03↔10:04).
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-800.00", GANG, "a", source="victim.csv"),
            statement(VICTIM_A, "2023-06-01 10:03:00+08", "-800.00", GANG, "b", source="victim.csv"),
            statement(GANG, "2023-06-01 10:01:00+08", "800.00", VICTIM_A, "c", source="card.csv"),
            statement(GANG, "2023-06-01 10:04:00+08", "800.00", VICTIM_A, "d", source="card.csv"),
        ],
    })
    assert rows(con, "select payment_id, sources from payments order by payment_id") == [
        ("card.csv:2", "victim.csv:2;card.csv:2"),
        ("card.csv:3", "victim.csv:3;card.csv:3"),
    ]


def test_least_total_time_beats_nearest_first(tmp_path):
    # Minutes after 10:00: E1 at 0, Pa at 10, E2 at 11, Pb at 25 (all 1,000.00).
    # Nearest first: E2–Pa (1 min), then E1–Pb (25) = 26 min. Rule: both matched either way, so the
    # smaller total wins: E1–Pa (10) + E2–Pb (14) = 24 min.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:10:00+08", "1000.00", VICTIM_A, "a"),
            statement(GANG, "2023-06-01 10:25:00+08", "1000.00", VICTIM_B, "b"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 10:00:00+08", "1000.00"),
            entry("2023-06-01 10:11:00+08", "1000.00"),
        ],
    })
    assert rows(con, "select entry_id, payment_ids, seconds_apart from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "bank.csv:2", 600),
        ("deposit_sheet.csv:3", "bank.csv:3", 840),
    ]


def test_equal_time_tie_goes_to_the_payment_with_the_earlier_id(tmp_path):
    # Rows 2-8 are unrelated 1.00 payments on another day. Row 9 (09:50) and row 10 (10:10) are both
    # 600 s from the 10:00 entry: same count, same total time, so the payment id decides.
    # bank.csv:9 comes before bank.csv:10 (file, then row number), so the entry takes row 9.
    filler = [statement(GANG, f"2023-05-01 0{i}:00:00+08", "1.00", VICTIM_B, f"f{i}") for i in range(7)]
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            *filler,
            statement(GANG, "2023-06-01 09:50:00+08", "1000.00", VICTIM_A, "early"),
            statement(GANG, "2023-06-01 10:10:00+08", "1000.00", VICTIM_A, "late"),
        ],
        "deposit_sheet": [entry("2023-06-01 10:00:00+08", "1000.00")],
    })
    assert rows(con, "select payment_ids, candidates, ambiguous from entries") == [("bank.csv:9", 2, True)]


# ---------------------------------------------------------------- §3 what an entry names


def test_entry_naming_both_receiving_account_and_victim_needs_both(tmp_path):
    # The entry names card GANG and victim V1. 10:01 V1 → GANG_2 (wrong card), 10:02 V2 → GANG
    # (wrong victim): neither is a candidate. 10:20 V1 → GANG is the only one: 1 candidate, 1200 s.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}, {"account_no": GANG_2}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG_2, "2023-06-01 10:01:00+08", "2000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 10:02:00+08", "2000.00", VICTIM_B, "2"),
            statement(GANG, "2023-06-01 10:20:00+08", "2000.00", VICTIM_A, "3"),
        ],
        "deposit_sheet": [entry("2023-06-01 10:00:00+08", "2000.00", receiving_account=GANG, victim_ref="V1")],
    })
    assert rows(con, "select status, payment_ids, candidates, ambiguous, victim_id, seconds_apart from entries") == [
        ("validated", "bank.csv:4", 1, False, "V1", 1200)
    ]


# ---------------------------------------------------------------- §3 splits


def test_a_split_never_combines_two_accounts_of_one_victim(tmp_path):
    # V1 pays from VICTIM_A and VICTIM_A2.
    # E1 12:00 3,000.00: 1,000.00 from A (11:50) + 2,000.00 from A2 (12:05) add up, but from two
    #   accounts: no split, E1 unvalidated, both payments unattributed.
    # E2 15:00 3,000.00: 1,000.00 (14:50) + 2,000.00 (15:10), both from A2: a split, victim V1.
    # V1: paid 6,000.00 = validated 3,000.00 + unattributed 3,000.00; 4 payments.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 11:50:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 12:05:00+08", "2000.00", VICTIM_A2, "2"),
            statement(GANG, "2023-06-01 14:50:00+08", "1000.00", VICTIM_A2, "3"),
            statement(GANG, "2023-06-01 15:10:00+08", "2000.00", VICTIM_A2, "4"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 12:00:00+08", "3000.00"),
            entry("2023-06-01 15:00:00+08", "3000.00"),
        ],
    })
    assert rows(con, "select entry_id, status, payment_ids, victim_id from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "unvalidated", None, None),
        ("deposit_sheet.csv:3", "validated", "bank.csv:4;bank.csv:5", "V1"),
    ]
    assert rows(con, "select paid, validated, unattributed, payments from victims where victim_id = 'V1'") == [
        (d("6000.00"), d("3000.00"), d("3000.00"), 4)
    ]


def test_single_matching_for_every_entry_comes_before_any_split(tmp_path):
    # E1 10:00 3,000.00 could split as P1 1,000.00 (10:05) + P2 2,000.00 (10:10), both from A.
    # E2 10:20 2,000.00 has P2 as its single candidate (10 min). Single matching runs first for all
    # entries, so E2 takes P2; E1 is left with P1 alone and stays unvalidated.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 10:05:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 10:10:00+08", "2000.00", VICTIM_A, "2"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 10:00:00+08", "3000.00"),
            entry("2023-06-01 10:20:00+08", "2000.00"),
        ],
    })
    assert rows(con, "select entry_id, status, payment_ids from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "unvalidated", None),
        ("deposit_sheet.csv:3", "validated", "bank.csv:3"),
    ]
    assert rows(con, "select payment_id, status from payments order by payment_id") == [
        ("bank.csv:2", "unattributed"), ("bank.csv:3", "validated"),
    ]


def test_the_earliest_split_set_wins_across_accounts(tmp_path):
    # Entry 12:00 3,000.00. From A: 1,000 (11:40), 2,000 (11:45), 2,000 (12:10), 1,000 (12:15).
    # From B: 1,500 (11:35) + 1,500 (11:36). Both accounts can make 3,000; B's set starts at 11:35,
    # before A's earliest (11:40 + 11:45), so B's pair is taken: bank.csv:6;bank.csv:7, victim V2.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 11:40:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 11:45:00+08", "2000.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-01 12:10:00+08", "2000.00", VICTIM_A, "3"),
            statement(GANG, "2023-06-01 12:15:00+08", "1000.00", VICTIM_A, "4"),
            statement(GANG, "2023-06-01 11:35:00+08", "1500.00", VICTIM_B, "5"),
            statement(GANG, "2023-06-01 11:36:00+08", "1500.00", VICTIM_B, "6"),
        ],
        "deposit_sheet": [entry("2023-06-01 12:00:00+08", "3000.00")],
    })
    assert rows(con, "select payment_ids, victim_id, candidates, seconds_apart from entries") == [
        ("bank.csv:6;bank.csv:7", "V2", 0, 25 * 60)
    ]


@pytest.mark.parametrize(("max_split", "status"), [(3, "unvalidated"), (4, "validated")])
def test_split_size_is_capped_by_max_split(tmp_path, max_split, status):
    # 3,000.00 paid as four 750.00 from A inside the window: needs 4 parts.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, f"2023-06-01 11:5{i}:00+08", "750.00", VICTIM_A, str(i)) for i in range(4)
        ],
        "deposit_sheet": [entry("2023-06-01 12:00:00+08", "3000.00")],
    }, case={"matching": {"max_split": max_split}})
    assert rows(con, "select status from entries") == [(status,)]


def test_split_parts_may_sit_exactly_on_the_window_edge(tmp_path):
    # E1 12:00 3,000.00: 1,000.00 at 11:30:00 and 2,000.00 at 12:30:00 from A, both exactly 30 min
    # away: a split, seconds_apart 1800. E2 16:00 3,000.00: 1,000.00 at 15:29:59 (1801 s) and
    # 2,000.00 at 16:10 from B: one part outside the window, no split.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 11:30:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 12:30:00+08", "2000.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-01 15:29:59+08", "1000.00", VICTIM_B, "3"),
            statement(GANG, "2023-06-01 16:10:00+08", "2000.00", VICTIM_B, "4"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 12:00:00+08", "3000.00"),
            entry("2023-06-01 16:00:00+08", "3000.00"),
        ],
    })
    assert rows(con, "select entry_id, status, payment_ids, seconds_apart from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "validated", "bank.csv:2;bank.csv:3", 1800),
        ("deposit_sheet.csv:3", "unvalidated", None, None),
    ]


def test_a_split_adds_up_within_the_amount_tolerance(tmp_path):
    # tolerance 0.05. E1 12:00 3,000.00 ← 1,000.00 + 1,999.95 = 2,999.95 (0.05 short): a split.
    # E2 14:00 3,000.00 ← 1,000.00 + 1,999.94 = 2,999.94 (0.06 short): none.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 11:50:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 11:55:00+08", "1999.95", VICTIM_A, "2"),
            statement(GANG, "2023-06-01 13:50:00+08", "1000.00", VICTIM_B, "3"),
            statement(GANG, "2023-06-01 13:55:00+08", "1999.94", VICTIM_B, "4"),
        ],
        "deposit_sheet": [entry("2023-06-01 12:00:00+08", "3000.00"), entry("2023-06-01 14:00:00+08", "3000.00")],
    }, case={"matching": {"amount_tolerance": "0.05"}})
    assert rows(con, "select entry_id, status, payment_ids from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "validated", "bank.csv:2;bank.csv:3"),
        ("deposit_sheet.csv:3", "unvalidated", None),
    ]


def test_an_entry_that_lost_its_single_candidates_may_still_split_and_stays_flagged(tmp_path):
    # Three 1,000.00 entries at 10:00, 10:01, 10:02; two single payments from B at 10:05 and 10:06.
    # Most pairs = 2; least total time leaves out E1 (10:00, farthest): E2, E3 take the singles.
    # E1 then splits 400.00 (10:03) + 600.00 (10:04) from A: validated, seconds_apart 240.
    # E1 had 2 candidate payments and is validated, so rules.md §3 flags it ambiguous.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 10:05:00+08", "1000.00", VICTIM_B, "1"),
            statement(GANG, "2023-06-01 10:06:00+08", "1000.00", VICTIM_B, "2"),
            statement(GANG, "2023-06-01 10:03:00+08", "400.00", VICTIM_A, "3"),
            statement(GANG, "2023-06-01 10:04:00+08", "600.00", VICTIM_A, "4"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 10:00:00+08", "1000.00"),
            entry("2023-06-01 10:01:00+08", "1000.00"),
            entry("2023-06-01 10:02:00+08", "1000.00"),
        ],
    })
    got = rows(con, "select entry_id, status, payment_ids, candidates, ambiguous, victim_id, seconds_apart from entries order by entry_id")
    assert got[0] == ("deposit_sheet.csv:2", "validated", "bank.csv:4;bank.csv:5", 2, True, "V1", 240)
    assert {g[2] for g in got[1:]} == {"bank.csv:2", "bank.csv:3"}
    assert [g[1] for g in got[1:]] == ["validated", "validated"]


# ---------------------------------------------------------------- §2 transfers, payments, returns


def test_return_to_an_unidentified_payer_and_a_mirrored_return_count_once(tmp_path):
    # STRANGER (no victim row) pays 2,500.00 and gets 300.00 back: unidentified:<account>,
    # paid 2,500.00, returned 300.00, net_loss 2,200.00, unattributed 2,500.00.
    # V1 pays 5,000.00; 200.00 goes back, seen on the card (12:00:00) and on V1's statement
    # (12:00:30): one return of 200.00, so net_loss 4,800.00.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "2500.00", STRANGER, "1"),
            statement(GANG, "2023-06-01 11:00:00+08", "-300.00", STRANGER, "2"),
            statement(GANG, "2023-06-01 11:30:00+08", "5000.00", VICTIM_A, "3"),
            statement(GANG, "2023-06-01 12:00:00+08", "-200.00", VICTIM_A, "4"),
            statement(VICTIM_A, "2023-06-01 12:00:30+08", "200.00", GANG, "5", source="victim.csv"),
        ],
    })
    assert rows(con, "select victim_id, paid, returned, net_loss, validated, unattributed, payments from victims order by victim_id") == [
        ("V1", d("5000.00"), d("200.00"), d("4800.00"), d("0.00"), d("5000.00"), 1),
        ("V2", d("0.00"), d("0.00"), d("0.00"), d("0.00"), d("0.00"), 0),
        (f"unidentified:{STRANGER}", d("2500.00"), d("300.00"), d("2200.00"), d("0.00"), d("2500.00"), 1),
    ]


def test_a_payment_seen_only_on_the_victims_statement(tmp_path):
    # V1's own statement shows 4,000.00 out to the gang card (the card's statement is not in the case)
    # and 900.00 out to ONWARD (not a gang account: no payment). The payment is named by V1's
    # posting, from VICTIM_A to GANG, and validates the 10:05 entry on card GANG (300 s).
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-4000.00", GANG, "1", source="victim.csv"),
            statement(VICTIM_A, "2023-06-01 10:30:00+08", "-900.00", ONWARD, "2", source="victim.csv"),
        ],
        "deposit_sheet": [entry("2023-06-01 10:05:00+08", "4000.00", receiving_account=GANG)],
    })
    assert rows(con, "select payment_id, victim_id, from_account, to_account, amount, status, entry_id, sources from payments") == [
        ("victim.csv:2", "V1", VICTIM_A, GANG, d("4000.00"), "validated", "deposit_sheet.csv:2", "victim.csv:2")
    ]
    assert rows(con, "select status, seconds_apart from entries") == [("validated", 300)]
    assert rows(con, "select paid, validated from victims where victim_id = 'V1'") == [(d("4000.00"), d("4000.00"))]


def test_a_receiving_account_named_only_in_the_deposit_sheet_is_a_gang_account(tmp_path):
    # GANG_2 is not in gang_accounts, but an entry names it: it is a gang account (§2).
    # V1 → GANG_2 4,000.00 (seen on V1's statement) is a payment and validates that entry;
    # GANG_2 → GANG 3,000.00 is between gang accounts: neither payment nor return.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-4000.00", GANG_2, "1", source="victim.csv"),
            statement(GANG, "2023-06-01 11:00:00+08", "3000.00", GANG_2, "2", source="card.csv"),
        ],
        "deposit_sheet": [entry("2023-06-01 10:02:00+08", "4000.00", receiving_account=GANG_2)],
    })
    assert rows(con, "select payment_id, to_account, status from payments") == [("victim.csv:2", GANG_2, "validated")]
    assert rows(con, "select count(*) from case_returns") == [(0,)]


def test_a_gang_account_also_listed_as_a_victim_account_pays_nothing(tmp_path):
    # GANG_2 is both a gang card and V3's account. GANG_2 → GANG 1,000.00 is between two gang
    # accounts: neither payment nor return (§2). STRANGER → GANG_2 2,000.00 is a payment into a gang
    # account from a non-gang account: unidentified. GANG → GANG_2 300.00 goes to an account that
    # never made a payment: no return. V3: paid 0.00, returned 0.00, 0 payments.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}, {"account_no": GANG_2}],
        "victims": [*VICTIMS, {"victim_id": "V3", "name": "王五", "account_no": GANG_2}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", GANG_2, "1"),
            statement(GANG_2, "2023-06-01 11:00:00+08", "2000.00", STRANGER, "2", source="card2.csv"),
            statement(GANG, "2023-06-01 12:00:00+08", "-300.00", GANG_2, "3"),
        ],
    })
    assert rows(con, "select victim_id, paid, returned, payments from victims order by victim_id") == [
        ("V1", d("0.00"), d("0.00"), 0),
        ("V2", d("0.00"), d("0.00"), 0),
        ("V3", d("0.00"), d("0.00"), 0),
        (f"unidentified:{STRANGER}", d("2000.00"), d("0.00"), 1),
    ]
    assert rows(con, "select count(*) from case_returns") == [(0,)]


def test_an_export_without_balances_repeating_two_same_second_postings(tmp_path):
    # with-balance.csv: two genuine 800.00 payments from V2 in the same second, balances 1,800 / 2,600.
    # no-balance.csv (a later export of the same account, no balance column) shows the same two.
    # Where one side has no balance, only the five keys compare: both rows of no-balance.csv repeat
    # the two of with-balance.csv. V2 paid 1,600.00 in 2 payments; no-balance.csv: 2 duplicates.
    same = {"account": GANG, "ts": "2023-06-01 11:00:00+08", "amount": "800.00", "counterparty": VICTIM_B}
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(**same, source="with-balance.csv", balance="1800.00"),
            statement(**same, source="with-balance.csv", balance="2600.00"),
            statement(**same, source="no-balance.csv"),
            statement(**same, source="no-balance.csv"),
        ],
    })
    assert rows(con, "select paid, payments from victims where victim_id = 'V2'") == [(d("1600.00"), 2)]
    assert rows(con, "select path, rows_loaded, rows_duplicate from file_controls where kind = 'bank_statement' order by path") == [
        ("no-balance.csv", 0, 2), ("with-balance.csv", 2, 0),
    ]


# ---------------------------------------------------------------- §4 attribution


def test_unknown_code_on_a_day_nobody_serves_counts_for_nobody(tmp_path):
    # D01 (staff, code K) and F01 (financier) serve only on 2023-06-01.
    # K on 06-01 1,000.00 → D01; 无名 on 06-05 5,000.00 → no defendant, still validated.
    # F01 gang = entries on 06-01 only = 1,000.00 (liable, basis gang): the 06-05 entry falls on a
    # day nobody was in the organisation. D01 gang 1,000.00 as well.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [
            member("D01", "K", "G1", "2023-06-01", "2023-06-01"),
            member("F01", None, "G", "2023-06-01", "2023-06-01", role="financier"),
        ],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-05 10:00:00+08", "5000.00", VICTIM_B, "2"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 10:01:00+08", "1000.00", "K"),
            entry("2023-06-05 10:01:00+08", "5000.00", "无名"),
        ],
    })
    assert rows(con, "select entry_id, defendant_id, status from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "D01", "validated"),
        ("deposit_sheet.csv:3", None, "validated"),
    ]
    assert rows(con, "select defendant_id, own, gang, liable, tier from defendants order by 1") == [
        ("D01", d("1000.00"), d("1000.00"), d("1000.00"), "none"),
        ("F01", d("0.00"), d("1000.00"), d("1000.00"), "none"),
    ]


def test_a_defendant_holding_two_codes_at_once_is_counted_once_per_entry(tmp_path):
    # D01 holds A (G1, 06-01..06-30) and, at the same time, B (G2, 06-10..06-20); D02 holds C (G1).
    # On 06-15: A 1,000.00, B 2,000.00, C 4,000.00 (all validated).
    # D01: own 3,000.00 (2 entries); unit = G1 (1,000 + 4,000) + G2 (2,000) = 7,000.00, not more;
    # gang = 7,000.00 (the day counted once). staff → gang here ([liability] staff = "gang"), so
    # liable 7,000.00 (large), and the entries behind it add up to it (check_invariants).
    con, case, paths = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [
            member("D01", "A", "G1", "2023-06-01", "2023-06-30"),
            member("D01", "B", "G2", "2023-06-10", "2023-06-20"),
            member("D02", "C", "G1", "2023-06-01"),
        ],
        "bank_statement": [
            statement(GANG, "2023-06-15 10:00:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-15 11:00:00+08", "2000.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-15 12:00:00+08", "4000.00", VICTIM_B, "3"),
        ],
        "deposit_sheet": [
            entry("2023-06-15 10:01:00+08", "1000.00", "A"),
            entry("2023-06-15 11:01:00+08", "2000.00", "B"),
            entry("2023-06-15 12:01:00+08", "4000.00", "C"),
        ],
    }, case={"liability": {"staff": "gang"}})
    assert rows(con, "select defendant_id, codes, unit_ids, own, unit, gang, liable, tier, entries from defendants order by 1") == [
        ("D01", "A;B", "G1;G2", d("3000.00"), d("7000.00"), d("7000.00"), d("7000.00"), "large", 2),
        ("D02", "C", "G1", d("4000.00"), d("5000.00"), d("7000.00"), d("7000.00"), "large", 1),
    ]
    con.close()
    controls.check_invariants(case, paths)


def test_one_person_two_rows_sharing_a_day_and_a_code(tmp_path):
    # S01 is staff with code K in G1 until 06-10 and leads G1, still as K, from 06-10 (both inclusive:
    # 06-10 is in both rows). K's entry on 06-10 of 3,000.00 is S01's, once: one entries row, own
    # 3,000.00; unit (leader → unit) = G1 on S01's days = 3,000.00 → large.
    con, case, paths = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [
            member("S01", "K", "G1", "2023-06-01", "2023-06-10"),
            member("S01", "K", "G1", "2023-06-10", role="leader"),
        ],
        "bank_statement": [statement(GANG, "2023-06-10 10:00:00+08", "3000.00", VICTIM_A, "1")],
        "deposit_sheet": [entry("2023-06-10 10:01:00+08", "3000.00", "K")],
    })
    assert rows(con, "select entry_id, defendant_id, unit_id, status from entries") == [
        ("deposit_sheet.csv:2", "S01", "G1", "validated")
    ]
    assert rows(con, "select own, unit, liable, liable_basis, tier, entries from defendants") == [
        (d("3000.00"), d("3000.00"), d("3000.00"), "unit", "large", 1)
    ]
    con.close()
    controls.check_invariants(case, paths)


def test_a_leaders_unit_is_the_subtree_of_the_unit_they_lead(tmp_path):
    # G ⊃ D1 ⊃ {G1, G2}. On 06-05: a (G1) 1,000.00, b (G2) 2,000.00, c (staff placed at D1) 4,000.00.
    # L01 leads G1: unit 1,000.00 (not D1's or G2's). H01 leads D1: unit 1,000 + 2,000 + 4,000 =
    # 7,000.00 → large. F01 (financier, unit G): unit 7,000.00, gang 7,000.00, liable gang.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [
            member("S1", "a", "G1", "2023-06-01"),
            member("S2", "b", "G2", "2023-06-01"),
            member("S3", "c", "D1", "2023-06-01"),
            member("L01", None, "G1", "2023-06-01", role="leader"),
            member("H01", None, "D1", "2023-06-01", role="leader"),
            member("F01", None, "G", "2023-06-01", role="financier"),
        ],
        "bank_statement": [
            statement(GANG, "2023-06-05 10:00:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-05 11:00:00+08", "2000.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-05 12:00:00+08", "4000.00", VICTIM_B, "3"),
        ],
        "deposit_sheet": [
            entry("2023-06-05 10:00:00+08", "1000.00", "a"),
            entry("2023-06-05 11:00:00+08", "2000.00", "b"),
            entry("2023-06-05 12:00:00+08", "4000.00", "c"),
        ],
    })
    assert rows(con, "select defendant_id, unit, gang, liable, liable_basis, tier from defendants where defendant_id in ('L01', 'H01', 'F01') order by 1") == [
        ("F01", d("7000.00"), d("7000.00"), d("7000.00"), "gang", "large"),
        ("H01", d("7000.00"), d("7000.00"), d("7000.00"), "unit", "large"),
        ("L01", d("1000.00"), d("7000.00"), d("1000.00"), "unit", "none"),
    ]


def test_code_hand_over_at_midnight_with_an_entry_at_exactly_midnight(tmp_path):
    # K is D01's to 06-01 and D02's from 06-02 (Shanghai days).
    # 06-01 23:59:59+08 → D01 (100.00). 06-02 00:00:00+08 → D02 (200.00).
    # 06-01 23:00:00+07 is the same instant as 06-02 00:00:00+08 → D02 (300.00).
    # No payments: all unvalidated. D01 own_unvalidated 100.00; D02 500.00.
    con, _, _ = build_case(tmp_path, {
        "units": UNITS,
        "roster": [
            member("D01", "K", "G1", "2023-05-01", "2023-06-01"),
            member("D02", "K", "G2", "2023-06-02"),
        ],
        "deposit_sheet": [
            entry("2023-06-01 23:59:59+08", "100.00", "K"),
            entry("2023-06-02 00:00:00+08", "200.00", "K"),
            entry("2023-06-01 23:00:00+07", "300.00", "K"),
        ],
    })
    assert rows(con, "select entry_id, defendant_id, unit_id, status from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "D01", "G1", "unvalidated"),
        ("deposit_sheet.csv:3", "D02", "G2", "unvalidated"),
        ("deposit_sheet.csv:4", "D02", "G2", "unvalidated"),
    ]
    assert rows(con, "select defendant_id, own, own_unvalidated, entries from defendants order by 1") == [
        ("D01", d("0.00"), d("100.00"), 1),
        ("D02", d("0.00"), d("500.00"), 2),
    ]


def test_roster_days_follow_a_case_timezone_with_summer_time(tmp_path):
    # Case in Europe/Berlin (CET +01 until 2023-03-26 02:00, then CEST +02 until 2023-10-29 03:00).
    # K is D01's to 2023-03-25, D02's from 2023-03-26 (Berlin days).
    # 2023-03-25 23:30+01 → Berlin 03-25 → D01 (100.00)
    # 2023-03-26 00:30+08 = 03-25 16:30Z = 03-25 17:30 Berlin → D01 (200.00)
    # 2023-03-25 23:30Z = 03-26 00:30 Berlin → D02 (400.00)
    # 2023-10-28 22:30Z = 10-29 00:30 CEST → D02 (800.00)
    con, _, _ = build_case(tmp_path, {
        "units": UNITS,
        "roster": [
            member("D01", "K", "G1", "2023-01-01", "2023-03-25"),
            member("D02", "K", "G1", "2023-03-26"),
        ],
        "deposit_sheet": [
            entry("2023-03-25 23:30:00+01", "100.00", "K"),
            entry("2023-03-26 00:30:00+08", "200.00", "K"),
            entry("2023-03-25 23:30:00+00", "400.00", "K"),
            entry("2023-10-28 22:30:00+00", "800.00", "K"),
        ],
    }, case={"case": {"id": "t", "timezone": "Europe/Berlin"}})
    assert rows(con, "select defendant_id, own_unvalidated, entries from defendants order by 1") == [
        ("D01", d("300.00"), 2),
        ("D02", d("1200.00"), 2),
    ]


# ---------------------------------------------------------------- §4 liability and tiers


def test_tier_boundaries_are_inclusive_at_3000_30000_and_500000(tmp_path):
    # One staff member per amount, each entry validated by one payment on its own day:
    # 2,999.99 none | 3,000.00 large | 29,999.99 large | 30,000.00 huge | 499,999.99 huge |
    # 500,000.00 especially_huge.
    amounts = ["2999.99", "3000.00", "29999.99", "30000.00", "499999.99", "500000.00"]
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [member(f"D{i}", f"k{i}", "G1", "2023-06-01") for i in range(len(amounts))],
        "bank_statement": [
            statement(GANG, f"2023-06-0{i + 1} 10:00:00+08", a, VICTIM_A, str(i)) for i, a in enumerate(amounts)
        ],
        "deposit_sheet": [
            entry(f"2023-06-0{i + 1} 10:05:00+08", a, f"k{i}") for i, a in enumerate(amounts)
        ],
    })
    assert rows(con, "select defendant_id, liable, tier from defendants order by 1") == [
        ("D0", d("2999.99"), "none"),
        ("D1", d("3000.00"), "large"),
        ("D2", d("29999.99"), "large"),
        ("D3", d("30000.00"), "huge"),
        ("D4", d("499999.99"), "huge"),
        ("D5", d("500000.00"), "especially_huge"),
    ]


def test_liability_overrides_in_case_toml(tmp_path):
    # [liability] staff = "unit", leader = "gang", financier = "own".
    # 06-05: a (S01, G1) 1,000.00, b (S02, G1) 2,000.00, c (S03, G2) 4,000.00.
    # S01, S02: unit G1 = 3,000.00 → large. S03: unit G2 = 4,000.00 → large.
    # L01 leads G2 but is liable for the gang: 7,000.00 → large. F01 (no code): own 0.00 → none.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [
            member("S01", "a", "G1", "2023-06-01"),
            member("S02", "b", "G1", "2023-06-01"),
            member("S03", "c", "G2", "2023-06-01"),
            member("L01", None, "G2", "2023-06-01", role="leader"),
            member("F01", None, "G", "2023-06-01", role="financier"),
        ],
        "bank_statement": [
            statement(GANG, "2023-06-05 10:00:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-05 11:00:00+08", "2000.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-05 12:00:00+08", "4000.00", VICTIM_B, "3"),
        ],
        "deposit_sheet": [
            entry("2023-06-05 10:00:00+08", "1000.00", "a"),
            entry("2023-06-05 11:00:00+08", "2000.00", "b"),
            entry("2023-06-05 12:00:00+08", "4000.00", "c"),
        ],
    }, case={"liability": {"staff": "unit", "leader": "gang", "financier": "own"}})
    assert rows(con, "select defendant_id, liable, liable_basis, tier from defendants order by 1") == [
        ("F01", d("0.00"), "own", "none"),
        ("L01", d("7000.00"), "gang", "large"),
        ("S01", d("3000.00"), "unit", "large"),
        ("S02", d("3000.00"), "unit", "large"),
        ("S03", d("4000.00"), "unit", "large"),
    ]


@pytest.mark.parametrize(
    ("liability", "basis", "liable"),
    [
        # defaults: staff own, support gang → gang: every entry 06-01..06-20 = 1,000 + 2,000 + 8,000
        ({}, "gang", "11000.00"),
        # staff unit, support own → unit: G1 on 06-01..06-10 (a 1,000) + G2 on 06-11..06-20 (b 2,000)
        ({"staff": "unit", "support": "own"}, "unit", "3000.00"),
    ],
)
def test_several_roles_take_the_widest_basis(tmp_path, liability, basis, liable):
    # D01: staff in G1 with code a on 06-01..06-10, then support in G2 (no code) on 06-11..06-20.
    # a 06-05 1,000.00 (G1); b (S02, G2) 06-15 2,000.00; c (S03, G1) 06-15 8,000.00;
    # b 06-25 4,000.00 falls after D01 left and counts for nobody's D01 measure.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [
            member("D01", "a", "G1", "2023-06-01", "2023-06-10"),
            member("D01", None, "G2", "2023-06-11", "2023-06-20", role="support"),
            member("S02", "b", "G2", "2023-06-01"),
            member("S03", "c", "G1", "2023-06-01"),
        ],
        "bank_statement": [
            statement(GANG, "2023-06-05 10:00:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-15 10:00:00+08", "2000.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-15 12:00:00+08", "8000.00", VICTIM_B, "3"),
            statement(GANG, "2023-06-25 10:00:00+08", "4000.00", VICTIM_B, "4"),
        ],
        "deposit_sheet": [
            entry("2023-06-05 10:00:00+08", "1000.00", "a"),
            entry("2023-06-15 10:00:00+08", "2000.00", "b"),
            entry("2023-06-15 12:00:00+08", "8000.00", "c"),
            entry("2023-06-25 10:00:00+08", "4000.00", "b"),
        ],
    }, case={"liability": liability})
    assert rows(con, "select role, own, unit, gang, liable, liable_basis, tier from defendants where defendant_id = 'D01'") == [
        ("staff;support", d("1000.00"), d("3000.00"), d("11000.00"), d(liable), basis, "large")
    ]


# ---------------------------------------------------------------- §5 victims


def test_victim_paid_is_validated_plus_unattributed_and_net_loss_deducts_returns(tmp_path):
    # V1 pays 5,000.00 from A (matched to the 10:05 entry) and 700.00 from A2 (no entry); 200.00
    # goes back to A2. paid 5,700.00 = validated 5,000.00 + unattributed 700.00;
    # net_loss 5,700.00 - 200.00 = 5,500.00; reported 9,000.00 (stated once per account, not summed).
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "5000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 13:00:00+08", "700.00", VICTIM_A2, "2"),
            statement(GANG, "2023-06-01 15:00:00+08", "-200.00", VICTIM_A2, "3"),
        ],
        "deposit_sheet": [entry("2023-06-01 10:05:00+08", "5000.00")],
    })
    assert rows(con, "select victim_id, name, paid, returned, net_loss, validated, unattributed, reported_loss, payments from victims where victim_id = 'V1'") == [
        ("V1", "张三", d("5700.00"), d("200.00"), d("5500.00"), d("5000.00"), d("700.00"), d("9000.00"), 2)
    ]


# ---------------------------------------------------------------- file level: ingest → publish


def write_case(case_dir: Path) -> None:
    """A tiny case folder: two deposit sheets kept abroad, three statement files of one gang card."""
    card_a = (
        "account_no,ts,amount,counterparty_account,txn_ref\n"
        f"{GANG},2023-06-01 10:00:00,5000.00,{VICTIM_A},T1\n"
        f"{GANG},2023-07-01 10:00:00,3000.00,{VICTIM_B},T2\n"
        f"{GANG},2023-06-01 12:00:00,12.345,{VICTIM_A},T3\n"
        f"{GANG},2023-01-10 10:00:00,2000.00,{STRANGER},T4\n"
        f"{GANG},2023-06-02 09:00:00,-500.00,{VICTIM_A},T5\n"
    )
    files = {
        "case.toml": case_toml("edges", [
            *ORG_SOURCES,
            {"kind": "deposit_sheet", "path": "deposit/laos.csv", "timezone": "Asia/Vientiane"},
            {"kind": "deposit_sheet", "path": "deposit/berlin.csv", "timezone": "Europe/Berlin"},
            {"kind": "bank_statement", "path": "bank/*.csv"},
        ]),
        "org/units.csv": "unit_id,name,kind,parent_id\nG,gang,gang,\nG1,group 1,group,G\n",
        "org/roster.csv": (
            "defendant_id,name,role,unit_id,member_code,valid_from,valid_to\n"
            "D01,甲,staff,G1,K,2023-01-01,2023-06-01\n"
            "D02,乙,staff,G1,K,2023-06-02,\n"
        ),
        "victims.csv": f"victim_id,name,account_no\nV1,张三,{VICTIM_A}\nV2,李四,{VICTIM_B}\n",
        "gang.csv": f"account_no\n{GANG}\n",
        "deposit/laos.csv": (
            "ts,amount,member_code,receiving_account\n"
            f"2023-06-01 09:05:00,5000.00,K,{GANG}\n"
            "2023-06-01 23:00:00,100.00,K,\n"
        ),
        "deposit/berlin.csv": "ts,amount,member_code\n2023-07-01 04:10:00,3000.00,K\n2023-01-10 03:05:00,2000.00,Z\n",
        "bank/a.csv": card_a,
        "bank/b.csv": (
            "account_no,ts,amount,counterparty_account,txn_ref\n"
            f"{GANG},2023-06-02 09:00:00,-500.00,{VICTIM_A},T5\n"
            f"{GANG},2023-06-03 10:00:00,700.00,{VICTIM_A},T6\n"
        ),
        "bank/copy_of_a.csv": card_a,
    }
    for name, text in files.items():
        path = case_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # Great Expectations is not under test here and costs ~8 s per run; every other step runs.
    base = tmp_path_factory.mktemp("edges")
    write_case(base / "case")
    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "validate", lambda case, paths: {"suites": {}})
    try:
        pipeline.run_case(base / "case", base / "run1")
        pipeline.run_case(base / "case", base / "run2")
    finally:
        patch.undo()
    return base / "run1", base / "run2"


def read_csv(out: Path, table: str) -> list[dict[str, str]]:
    text = (out / f"{table}.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff"), f"{table}.csv has no BOM"
    return list(csv.DictReader(text[1:].splitlines()))


def test_times_kept_in_vientiane_and_berlin_meet_the_shanghai_bank(two_runs):
    # laos.csv:2 09:05 Vientiane (+07) = 02:05Z = 10:05+08: card row 2 (10:00) is 300 s away.
    # laos.csv:3 06-01 23:00 Vientiane = 06-02 00:00+08: K has passed to D02 at midnight.
    # berlin.csv:2 07-01 04:10 CEST (+02) = 02:10Z = 10:10+08: card row 3 (10:00), 600 s.
    # berlin.csv:3 01-10 03:05 CET (+01) = 02:05Z = 10:05+08: card row 5 (10:00), 300 s; code Z is
    # nobody's. Read with the wrong offset either Berlin entry would be 55 or 70 min off: unmatched.
    out, _ = two_runs
    got = {
        r["entry_id"]: (r["ts"], r["amount"], r["defendant_id"], r["status"], r["victim_id"], r["payment_ids"], r["seconds_apart"])
        for r in read_csv(out, "entries")
    }
    assert got == {
        "deposit/berlin.csv:2": ("2023-07-01T10:10:00+08:00", "3000.00", "D02", "validated", "V2", "bank/a.csv:3", "600"),
        "deposit/berlin.csv:3": ("2023-01-10T10:05:00+08:00", "2000.00", "", "validated", f"unidentified:{STRANGER}", "bank/a.csv:5", "300"),
        "deposit/laos.csv:2": ("2023-06-01T10:05:00+08:00", "5000.00", "D01", "validated", "V1", "bank/a.csv:2", "300"),
        "deposit/laos.csv:3": ("2023-06-02T00:00:00+08:00", "100.00", "D02", "unvalidated", "", "", ""),
    }


def test_file_run_victims_and_defendants(two_runs):
    # Payments: a.csv:2 V1 5,000 (validated), a.csv:3 V2 3,000 (validated), a.csv:5 STRANGER 2,000
    # (validated), b.csv:3 V1 700 (unattributed). Return a.csv:6 500 to V1 (b.csv:2 is its copy).
    # D01 (K to 06-01): own 5,000; unit G1 5,000; gang 01-10 2,000 (code Z) + 06-01 5,000 = 7,000.
    # D02 (K from 06-02): own 3,000, own_unvalidated 100, unit 3,000, gang 3,000; 2 entries.
    out, _ = two_runs
    victims = [(r["victim_id"], r["paid"], r["returned"], r["net_loss"], r["validated"], r["unattributed"], r["payments"])
               for r in read_csv(out, "victims")]
    assert victims == [
        ("V1", "5700.00", "500.00", "5200.00", "5000.00", "700.00", "2"),
        ("V2", "3000.00", "0.00", "3000.00", "3000.00", "0.00", "1"),
        (f"unidentified:{STRANGER}", "2000.00", "0.00", "2000.00", "2000.00", "0.00", "1"),
    ]
    defendants = [(r["defendant_id"], r["own"], r["own_unvalidated"], r["unit"], r["gang"], r["liable"], r["tier"], r["entries"])
                  for r in read_csv(out, "defendants")]
    assert defendants == [
        ("D01", "5000.00", "0.00", "5000.00", "7000.00", "5000.00", "large", "1"),
        ("D02", "3000.00", "100.00", "3000.00", "3000.00", "3000.00", "large", "2"),
    ]
    assert [(r["payment_id"], r["status"]) for r in read_csv(out, "payments")] == [
        ("bank/a.csv:2", "validated"), ("bank/a.csv:3", "validated"),
        ("bank/a.csv:5", "validated"), ("bank/b.csv:3", "unattributed"),
    ]


def test_manifest_conserves_rows_per_file_with_a_quarantined_row_and_a_duplicate_file(two_runs):
    # a.csv: 5 rows read, row 4 (12.345) quarantined, 4 loaded; in 5,000 + 3,000 + 2,000, out 500.
    # b.csv: row 2 repeats a.csv:6 → 1 duplicate, 1 loaded (in 700; the duplicate's 500 not counted).
    # copy_of_a.csv: byte-identical to a.csv → not parsed, its 5 rows duplicates.
    out, _ = two_runs
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    inputs = {i["path"]: i for i in manifest["inputs"]}
    for item in inputs.values():
        assert item["rows_read"] == item["rows_loaded"] + item["rows_quarantined"] + item["rows_duplicate"], item
    got = {p: (i["rows_read"], i["rows_loaded"], i["rows_quarantined"], i["rows_duplicate"], i["amount_in"], i["amount_out"],
               i.get("duplicate_of")) for p, i in inputs.items() if p.startswith("bank/")}
    assert got == {
        "bank/a.csv": (5, 4, 1, 0, "10000.00", "500.00", None),
        "bank/b.csv": (2, 1, 0, 1, "700.00", "0.00", None),
        "bank/copy_of_a.csv": (5, 0, 0, 5, "0.00", "0.00", "bank/a.csv"),
    }
    assert inputs["bank/copy_of_a.csv"]["sha256"] == hashlib.sha256((out.parent / "case/bank/a.csv").read_bytes()).hexdigest()
    assert [(r["source"], r["source_row"], r["column"], r["value"]) for r in read_csv(out, "quarantine")] == [
        ("bank/a.csv", "4", "amount", "12.345")
    ]


@pytest.mark.parametrize("table", pipeline.OUTPUT_TABLES)
def test_a_second_run_writes_identical_tables_sorted_by_first_column(two_runs, table):
    first, second = two_runs
    for suffix in ("csv", "parquet"):
        assert (first / f"{table}.{suffix}").read_bytes() == (second / f"{table}.{suffix}").read_bytes(), suffix
    keys = [next(iter(r.values())) for r in read_csv(first, table)]

    def file_then_row(key: str) -> tuple:
        head, _, tail = key.rpartition(":")
        return (head, int(tail), key) if tail.isdigit() else ("", 0, key)

    assert keys == sorted(keys, key=file_then_row)
