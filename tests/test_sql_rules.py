"""rules.md §1-§5 on hand-made rows, through the SQL models and the matching step.

Every expected figure below is worked out in the comment beside it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlcase import (
    GANG,
    GANG_2,
    ONWARD,
    STRANGER,
    UNITS,
    VICTIM_A,
    VICTIM_B,
    build_case,
    member,
    rows,
    statement,
)

from fundtrail import config, kinds, publish, sqlrun
from fundtrail.errors import RosterError
from fundtrail.reports import figures

REPO = Path(__file__).resolve().parents[1]


VICTIMS = [
    {"victim_id": "V1", "name": "张三", "account_no": VICTIM_A, "reported_loss": "9000.00"},
    {"victim_id": "V2", "name": "李四", "account_no": VICTIM_B},
]


def test_mirror_pair_is_one_transfer_carrying_the_receiving_side(tmp_path):
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-5000.00", GANG, "A1", source="victim.csv"),
            statement(GANG, "2023-06-01 10:00:07+08", "5000.00", VICTIM_A, "G1", source="card.csv"),
        ],
    })
    # card.csv row 2 is the payee side: it names the payment; both postings are its sources.
    assert rows(con, "select payment_id, victim_id, amount, sources from payments") == [
        ("card.csv:2", "V1", Decimal("5000.00"), "victim.csv:2;card.csv:2")
    ]
    assert rows(con, "select count(*) from transfers") == [(1,)]


def test_mirror_outside_the_window_stays_two_sightings(tmp_path):
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(VICTIM_A, "2023-06-01 10:00:00+08", "-5000.00", GANG, "A1", source="victim.csv"),
            # 10 min 1 s later: one second past mirror_window_minutes = 10
            statement(GANG, "2023-06-01 10:10:01+08", "5000.00", VICTIM_A, "G1", source="card.csv"),
        ],
    })
    assert rows(con, "select count(*), sum(amount) from payments") == [(2, Decimal("10000.00"))]


def test_overlapping_exports_count_a_posting_once_but_keep_repeats_within_a_file(tmp_path):
    same = dict(account=GANG, ts="2023-06-01 11:00:00+08", amount="800.00", counterparty=VICTIM_B, ref=None)
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            # two genuine identical payments in the first export ...
            statement(**same, source="export-1.csv"),
            statement(**same, source="export-1.csv"),
            # ... the second export overlaps and shows one of them again, plus a new one
            statement(**same, source="export-2.csv"),
            statement(GANG, "2023-06-02 09:00:00+08", "300.00", VICTIM_B, None, source="export-2.csv"),
        ],
    })
    assert rows(con, "select posting_id, duplicate_of from postings where is_duplicate") == [
        ("export-2.csv:2", "export-1.csv:2")
    ]
    # 800 + 800 + 300
    assert rows(con, "select paid, payments from victims where victim_id = 'V2'") == [(Decimal("1900.00"), 3)]
    assert rows(con, "select path, rows_read, rows_loaded, rows_duplicate from file_controls where kind = 'bank_statement' order by path") == [
        ("export-1.csv", 2, 2, 0),
        ("export-2.csv", 2, 1, 1),
    ]


def test_differing_balances_are_two_postings(tmp_path):
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 11:00:00+08", "800.00", VICTIM_B, None, source="e1.csv", balance="1800.00"),
            statement(GANG, "2023-06-01 11:00:00+08", "800.00", VICTIM_B, None, source="e2.csv", balance="2600.00"),
        ],
    })
    assert rows(con, "select count(*) from postings where is_duplicate") == [(0,)]


def test_greedy_trap_both_entries_validated(tmp_path):
    # E_A 10:00 could take P1 (10:05, 5 min) or P2 (09:35, 25 min); E_B 10:30 only P1 (25 min;
    # P2 is 55 min away). Nearest-first gives E_A→P1 and strands E_B; the rule pairs E_A→P2, E_B→P1.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "roster": [member("D01", "阿龙", "G1", "2023-01-01")],
        "units": UNITS,
        "bank_statement": [
            statement(GANG, "2023-06-01 10:05:00+08", "1000.00", VICTIM_A, "P1"),
            statement(GANG, "2023-06-01 09:35:00+08", "1000.00", VICTIM_B, "P2"),
        ],
        "deposit_sheet": [
            {"ts": "2023-06-01 10:00:00+08", "amount": "1000.00", "member_code": "阿龙"},
            {"ts": "2023-06-01 10:30:00+08", "amount": "1000.00", "member_code": "阿龙"},
        ],
    })
    assert rows(con, "select entry_id, status, payment_ids, candidates, ambiguous, seconds_apart from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "validated", "bank.csv:3", 2, True, 25 * 60),
        ("deposit_sheet.csv:3", "validated", "bank.csv:2", 1, False, 25 * 60),
    ]


def test_split_payment_validates_an_entry(tmp_path):
    # 3,000.00 booked at 12:00, paid as 1,000.00 (11:50) + 2,000.00 (12:10) from one account.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 11:50:00+08", "1000.00", VICTIM_A, "S1"),
            statement(GANG, "2023-06-01 12:10:00+08", "2000.00", VICTIM_A, "S2"),
            statement(GANG, "2023-06-01 12:05:00+08", "500.00", VICTIM_B, "S3"),
        ],
        "deposit_sheet": [{"ts": "2023-06-01 12:00:00+08", "amount": "3000.00", "member_code": "X"}],
    })
    assert rows(con, "select status, payment_ids, candidates, victim_id, seconds_apart from entries") == [
        ("validated", "bank.csv:2;bank.csv:3", 0, "V1", 600)
    ]
    assert rows(con, "select payment_id, status from payments order by payment_id") == [
        ("bank.csv:2", "validated"), ("bank.csv:3", "validated"), ("bank.csv:4", "unattributed"),
    ]


def test_returns_laundering_and_unidentified_payers(tmp_path):
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}, {"account_no": GANG_2}],
        "victims": VICTIMS,
        "bank_statement": [
            statement(GANG, "2023-06-01 09:00:00+08", "-200.00", VICTIM_A, "R1"),    # "profit" back to V1: a return
            statement(GANG, "2023-06-01 10:00:00+08", "6000.00", VICTIM_A, "P1"),    # V1 pays
            statement(GANG, "2023-06-01 10:30:00+08", "2500.00", STRANGER, "P2"),    # nobody identified yet
            statement(GANG, "2023-06-01 11:00:00+08", "-5000.00", ONWARD, "L1"),     # laundering: neither
            statement(GANG, "2023-06-01 11:30:00+08", "-1000.00", GANG_2, "I1"),     # between gang cards: neither
        ],
    })
    assert rows(con, "select victim_id, name, paid, returned, net_loss, validated, unattributed, reported_loss, payments from victims order by victim_id") == [
        ("V1", "张三", Decimal("6000.00"), Decimal("200.00"), Decimal("5800.00"), Decimal("0.00"), Decimal("6000.00"), Decimal("9000.00"), 1),
        ("V2", "李四", Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), None, 0),
        (f"unidentified:{STRANGER}", None, Decimal("2500.00"), Decimal("0.00"), Decimal("2500.00"), Decimal("0.00"), Decimal("2500.00"), None, 1),
    ]
    assert rows(con, "select count(*) from case_returns") == [(1,)]


def test_code_passes_to_a_new_holder_at_midnight_and_unknown_codes_count_for_the_gang(tmp_path):
    # 阿龙 is D01's until 2023-06-01 and D02's from 2023-06-02 (Shanghai days).
    # Entry 1: 2023-06-01 23:59:00+08 → D01.  Entry 2: 2023-06-02 00:00:30+08 → D02.
    # Entry 3: code 无名 on 2023-06-02: nobody's; counts only in gang measures.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "victims": VICTIMS,
        "units": UNITS,
        "roster": [
            member("D01", "阿龙", "G1", "2023-05-01", "2023-06-01"),
            member("D02", "阿龙", "G2", "2023-06-02"),
            member("L01", "老板", "G1", "2023-05-01", role="leader"),
            member("F01", None, "G", "2023-05-01", role="financier"),
        ],
        "bank_statement": [
            statement(GANG, "2023-06-01 23:58:00+08", "1111.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-02 00:01:00+08", "2222.00", VICTIM_A, "2"),
            statement(GANG, "2023-06-02 08:00:00+08", "4444.00", VICTIM_B, "3"),
        ],
        "deposit_sheet": [
            # kept in Laos time (UTC+7): 22:59 Vientiane = 23:59 Shanghai
            {"ts": "2023-06-01 22:59:00+07", "amount": "1111.00", "member_code": "阿龙"},
            {"ts": "2023-06-01 23:00:30+07", "amount": "2222.00", "member_code": "阿龙"},
            {"ts": "2023-06-02 08:00:00+08", "amount": "4444.00", "member_code": "无名"},
        ],
    })
    assert rows(con, "select entry_id, defendant_id, unit_id, status from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "D01", "G1", "validated"),
        ("deposit_sheet.csv:3", "D02", "G2", "validated"),
        ("deposit_sheet.csv:4", None, None, "validated"),
    ]
    # D01: own 1111 (06-01), unit G1 on 05-01..06-01 = 1111, gang over its days = 1111.
    # D02: own 2222, unit G2 from 06-02 = 2222, gang from 06-02 = 2222 + 4444 = 6666.
    # L01 (leader → unit): G1's entries while in G1 = 1111; gang = all 7777.
    # F01 (financier → gang): unit G covers every group = 1111 + 2222 = 3333; gang 7777.
    assert rows(con, "select defendant_id, own, unit, gang, liable, liable_basis, tier from defendants order by defendant_id") == [
        ("D01", Decimal("1111.00"), Decimal("1111.00"), Decimal("1111.00"), Decimal("1111.00"), "own", "none"),
        ("D02", Decimal("2222.00"), Decimal("2222.00"), Decimal("6666.00"), Decimal("2222.00"), "own", "none"),
        ("F01", Decimal("0.00"), Decimal("3333.00"), Decimal("7777.00"), Decimal("7777.00"), "gang", "large"),
        ("L01", Decimal("0.00"), Decimal("1111.00"), Decimal("7777.00"), Decimal("1111.00"), "unit", "none"),
    ]


def test_leader_who_was_staff_first_takes_the_widest_basis_over_both_periods(tmp_path):
    # S01 is staff in G1 with code 小王 until 06-10, then leads G1 (no code) from 06-11.
    # Entries: 小王 on 06-05 (3,000.00), 小李 (staff P01 in G1) on 06-12 (40,000.00).
    # S01: own 3,000; unit = G1 while serving there (both periods) = 43,000 → leader basis unit → huge.
    # P01: own 40,000; unit = G1 from 06-01 = 43,000, but staff are liable for their own: 40,000.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "units": UNITS,
        "roster": [
            member("S01", "小王", "G1", "2023-06-01", "2023-06-10"),
            member("S01", None, "G1", "2023-06-11", role="leader"),
            member("P01", "小李", "G1", "2023-06-01"),
        ],
        "bank_statement": [
            statement(GANG, "2023-06-05 10:00:00+08", "3000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-12 10:00:00+08", "40000.00", VICTIM_B, "2"),
        ],
        "deposit_sheet": [
            {"ts": "2023-06-05 10:01:00+08", "amount": "3000.00", "member_code": "小王"},
            {"ts": "2023-06-12 10:01:00+08", "amount": "40000.00", "member_code": "小李"},
        ],
    })
    assert rows(con, "select defendant_id, role, codes, first_day::VARCHAR, last_day, own, unit, liable, liable_basis, tier, entries, victims from defendants order by 1") == [
        ("P01", "staff", "小李", "2023-06-01", None, Decimal("40000.00"), Decimal("43000.00"), Decimal("40000.00"), "own", "huge", 1, 1),
        ("S01", "leader;staff", "小王", "2023-06-01", None, Decimal("3000.00"), Decimal("43000.00"), Decimal("43000.00"), "unit", "huge", 1, 1),
    ]


def test_amount_tolerance_admits_a_payment_up_to_the_tolerance_and_no_further(tmp_path):
    # tolerance 0.05: 1000.05 is a candidate for a 1000.00 entry, 1000.06 is not; entries name no
    # account, so only amount and time decide.
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:01:00+08", "1000.05", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 12:01:00+08", "1000.06", VICTIM_A, "2"),
            statement(GANG, "2023-06-01 14:01:00+08", "999.95", VICTIM_A, "3"),
        ],
        "deposit_sheet": [
            {"ts": "2023-06-01 10:00:00+08", "amount": "1000.00", "member_code": "X"},
            {"ts": "2023-06-01 12:00:00+08", "amount": "1000.00", "member_code": "X"},
            {"ts": "2023-06-01 14:00:00+08", "amount": "1000.00", "member_code": "X"},
        ],
    }, case={"matching": {"amount_tolerance": "0.05"}})
    assert rows(con, "select entry_id, status, payment_ids from entries order by entry_id") == [
        ("deposit_sheet.csv:2", "validated", "bank.csv:2"),
        ("deposit_sheet.csv:3", "unvalidated", None),
        ("deposit_sheet.csv:4", "validated", "bank.csv:4"),
    ]


def test_a_role_outside_the_five_stops_the_run(tmp_path):
    with pytest.raises(RosterError, match=r"roster.csv:2: role boss is not one of financier"):
        build_case(tmp_path, {"roster": [member("D01", "K1", "G1", "2023-01-01", role="Boss")]})


def _suite_check(suite: str, check: str) -> dict:
    data = json.loads((REPO / "expectations" / f"{suite}.json").read_text(encoding="utf-8"))
    return next(e for e in data["expectations"] if e["meta"]["check"] == check)


def test_roles_tiers_and_categories_are_the_seeds_and_every_copy_agrees():
    # The seeds against the contract: case-format.md's five roles with rules.md §4's default bases,
    # the tiers of §4 and §6, the categories and thresholds of §6.
    roles = {r["role"]: r["default_basis"] for r in sqlrun.seed_rows("roles")}
    assert roles == {"financier": "gang", "shareholder": "gang", "leader": "unit", "staff": "own", "support": "gang"}
    bases = [r["basis"] for r in sorted(sqlrun.seed_rows("liability_bases"), key=lambda r: int(r["breadth"]))]
    assert bases == ["own", "unit", "gang"]
    fraud = {r["tier"]: Decimal(r["min_liable"]) for r in sqlrun.seed_rows("fraud_tiers")}
    assert fraud == {"especially_huge": Decimal("500000"), "huge": Decimal("30000"), "large": Decimal("3000"), "none": 0}
    info = {r["tier"]: (int(r["min_points"]), Decimal(r["min_net_gain"])) for r in sqlrun.seed_rows("info_tiers")}
    assert info == {"especially_serious": (50000, Decimal("50000")), "serious": (5000, Decimal("5000")), "none": (0, 0)}
    categories = {r["category"]: int(r["threshold"]) for r in sqlrun.seed_rows("record_categories")}
    assert categories == {
        "whereabouts": 50, "communication": 50, "credit": 50, "property": 50,
        "accommodation": 500, "communication_records": 500, "health": 500, "transaction": 500, "other": 5000,
    }
    # What Python reads from the seeds and the suites made from them (test_schema checks the files
    # are what the seeds make; GX runs them on databases without the seed tables) say the same.
    assert list(kinds.ROLES) == list(roles) and config.LIABILITY_DEFAULTS == roles
    assert list(config.LIABILITY_BASES) == bases
    assert list(kinds.RECORD_CATEGORIES) == list(categories)
    assert list(publish.TIERS) == list(fraud)
    assert set(figures.TIER_ORDER) == set(fraud) | set(info)
    assert set(_suite_check("defendants", "tier_in_set")["kwargs"]["value_set"]) == set(fraud)
    assert set(_suite_check("defendants", "liable_basis_in_set")["kwargs"]["value_set"]) == set(bases)
    assert set(_suite_check("info_defendants", "tier_in_set")["kwargs"]["value_set"]) == set(info)
    assert set(_suite_check("stg_roster", "role_in_set")["kwargs"]["value_set"]) == set(roles)
    for suite in ("stg_records", "info_records"):
        assert set(_suite_check(suite, "category_in_set")["kwargs"]["value_set"]) == set(categories)
    roles_sql = ", ".join(f"'{r}'" for r in roles)
    assert f"not in ({roles_sql})" in _suite_check("defendants", "roles_known")["kwargs"]["unexpected_rows_query"]


def test_a_seed_is_loaded_as_a_text_table_in_file_order_when_a_model_reads_it(tmp_path):
    import duckdb

    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "colours.csv").write_text("name,code\nred,2\nblue,1\n", encoding="utf-8")
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "palette.sql").write_text(
        "-- palette: one row per colour.\n-- Inputs: colours.\n"
        "create or replace view palette as select name, code::INTEGER as code, seed_order from colours;\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    assert sqlrun.build(con, ["palette"], sql_root=tmp_path) == ["colours", "palette"]
    assert con.execute("select * from palette").fetchall() == [("red", 2, 1), ("blue", 1, 2)]
    assert con.execute("select data_type from information_schema.columns where table_name = 'colours' order by ordinal_position").fetchall() == [
        ("VARCHAR",), ("VARCHAR",), ("INTEGER",)
    ]


def test_a_window_of_zero_minutes_pairs_only_payments_of_the_same_second(tmp_path):
    # window_minutes = 0: the 10:00:00 payment is the 10:00:00 entry's candidate; the 12:00:01 one is
    # a second late for the 12:00:00 entry (its time bucket is 1 s wide and still a neighbour).
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A, "1"),
            statement(GANG, "2023-06-01 12:00:01+08", "1000.00", VICTIM_A, "2"),
        ],
        "deposit_sheet": [
            {"ts": "2023-06-01 10:00:00+08", "amount": "1000.00", "member_code": "X"},
            {"ts": "2023-06-01 12:00:00+08", "amount": "1000.00", "member_code": "X"},
        ],
    }, case={"matching": {"window_minutes": 0}})
    assert rows(con, 'select "left", "right" from entry_candidates') == [("deposit_sheet.csv:2", "bank.csv:2")]
