"""Tracing onward and frozen funds (rules.md §7, §8), one small case per rule.

Each case is built from landing rows with the plain pipeline steps (tests/sqlcase.py), then
trace.build_tracing runs on it. Expected figures are worked out by hand from the rules in the
comments: lots are written `origin amount`, in the account's order (oldest first).
"""

from __future__ import annotations

from array import array
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlcase import (
    GANG, GANG_2, LAYER_1, LAYER_2, ONWARD, STRANGER, VICTIM_A, VICTIM_B, VICTIM_C, VICTIMS, build_case, rows, statement,
)

from fundtrail import trace
from fundtrail.config import parse_case
from fundtrail.errors import CaseConfigError, InvariantError

PLATFORM = "1001300219000003"
ATM = "9999000000000001"
METHODS = ("fifo", "lifo", "pro_rata", "libr")


def d(text: str) -> Decimal:
    return Decimal(text)


def traced(tmp_path, tables, tracing=None, lot_budget=trace.LOT_BUDGET):
    con, case, _ = build_case(tmp_path, {"victims": VICTIMS, **tables}, {"tracing": tracing or {}})
    trace.build_tracing(con, case, lot_budget=lot_budget)
    return con


# pro_rata and libr lot by lot (as every hand-sized case is) and at account level (a budget of 0
# sends them there at once); where no cent has to be rounded the two agree victim for victim.
GRAINS = pytest.mark.parametrize("lot_budget", [trace.LOT_BUDGET, 0], ids=["lot", "account"])


def ends(con, method):
    return rows(
        con,
        f"select account_no, kind, origin, amount from endpoints where method = '{method}' order by all",
    )


def moves(con, method):
    """Movements between accounts (hop ≥ 1) in time order, as (origin, hop, from, to, amount)."""
    return rows(
        con,
        "select origin, hop, from_account, to_account, amount from traces "
        f"where method = '{method}' and hop > 0 order by ts, posting_id, hop, origin, amount",
    )


# ---------------------------------------------------------------- the four methods


FOUR_METHODS_CASE = {
    "gang_accounts": [{"account_no": GANG}],
    "bank_statement": [
        statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A, source="card.csv", balance="1100.00"),
        statement(GANG, "2023-06-01 11:00:00+08", "300.00", None, source="card.csv"),
        statement(GANG, "2023-06-01 12:00:00+08", "600.00", VICTIM_B, source="card.csv"),
        statement(GANG, "2023-06-01 13:00:00+08", "-1200.00", LAYER_1, source="card.csv"),
        statement(LAYER_1, "2023-06-01 13:00:30+08", "1200.00", GANG, source="layer.csv"),
        statement(LAYER_1, "2023-06-01 14:00:00+08", "-400.00", ONWARD, source="layer.csv"),
    ],
}


def test_four_methods_side_by_side_on_one_card_and_the_next_layer(tmp_path):
    # Card GANG: opening 100.00 (first balance 1,100.00 − 1,000.00), V1 1,000.00 at 10:00, a cash
    # deposit (other) 300.00 at 11:00, V2 600.00 at 12:00; at 13:00 it pays 1,200.00 to LAYER_1
    # (seen on both statements: one transfer), which pays 400.00 on to ONWARD (no statement) at 14:00.
    # Lots at GANG: opening 100, V1 1000, other 300, V2 600 (2,000.00).
    #   fifo: takes opening 100, V1 1000, other 100; keeps other 200, V2 600.
    #   lifo: takes V2 600, other 300, V1 300 → parts in account order V1 300, other 300, V2 600;
    #         keeps opening 100, V1 700.
    #   pro_rata: 1200/2000 = 60 % of each: opening 60, V1 600, other 180, V2 360; keeps 40, 400, 120, 240.
    #   libr: other and opening first (100 + 300 = 400), then 800 from the victims pro rata of
    #         1,600: V1 500, V2 300; keeps V1 500, V2 300.
    # LAYER_1 pays 400.00 from the parts in the order they arrived:
    #   fifo: opening 100, V1 300 (keeps V1 700, other 100); lifo: V2 400 (keeps V1 300, other 300,
    #   V2 200); pro_rata: a third of each: opening 20, V1 200, other 60, V2 120; libr: opening 100,
    #   other 300 (keeps V1 500, V2 300).
    con = traced(tmp_path, FOUR_METHODS_CASE)
    assert ends(con, "fifo") == [
        (GANG, "held", "V2", d("600.00")),
        (GANG, "held", "other", d("200.00")),
        (LAYER_1, "held", "V1", d("700.00")),
        (LAYER_1, "held", "other", d("100.00")),
        (ONWARD, "not_obtained", "V1", d("300.00")),
        (ONWARD, "not_obtained", "opening", d("100.00")),
    ]
    assert ends(con, "lifo") == [
        (GANG, "held", "V1", d("700.00")),
        (GANG, "held", "opening", d("100.00")),
        (LAYER_1, "held", "V1", d("300.00")),
        (LAYER_1, "held", "V2", d("200.00")),
        (LAYER_1, "held", "other", d("300.00")),
        (ONWARD, "not_obtained", "V2", d("400.00")),
    ]
    assert ends(con, "pro_rata") == [
        (GANG, "held", "V1", d("400.00")),
        (GANG, "held", "V2", d("240.00")),
        (GANG, "held", "opening", d("40.00")),
        (GANG, "held", "other", d("120.00")),
        (LAYER_1, "held", "V1", d("400.00")),
        (LAYER_1, "held", "V2", d("240.00")),
        (LAYER_1, "held", "opening", d("40.00")),
        (LAYER_1, "held", "other", d("120.00")),
        (ONWARD, "not_obtained", "V1", d("200.00")),
        (ONWARD, "not_obtained", "V2", d("120.00")),
        (ONWARD, "not_obtained", "opening", d("20.00")),
        (ONWARD, "not_obtained", "other", d("60.00")),
    ]
    assert ends(con, "libr") == [
        (GANG, "held", "V1", d("500.00")),
        (GANG, "held", "V2", d("300.00")),
        (LAYER_1, "held", "V1", d("500.00")),
        (LAYER_1, "held", "V2", d("300.00")),
        (ONWARD, "not_obtained", "opening", d("100.00")),
        (ONWARD, "not_obtained", "other", d("300.00")),
    ]
    # hop 1 at LAYER_1, hop 2 at ONWARD; the mirrored transfer moves lots once, at GANG's posting
    assert moves(con, "lifo") == [
        ("V1", 1, GANG, LAYER_1, d("300.00")),
        ("V2", 1, GANG, LAYER_1, d("600.00")),
        ("other", 1, GANG, LAYER_1, d("300.00")),
        ("V2", 2, LAYER_1, ONWARD, d("400.00")),
    ]
    starts = rows(con, "select origin, from_account, to_account, amount, posting_id from traces "
                       "where method = 'fifo' and hop = 0 order by ts, origin")
    assert starts == [
        ("V1", VICTIM_A, GANG, d("1000.00"), "card.csv:2"),
        ("opening", None, GANG, d("100.00"), "card.csv:2"),
        ("other", None, GANG, d("300.00"), "card.csv:3"),
        ("V2", VICTIM_B, GANG, d("600.00"), "card.csv:4"),
    ]
    assert rows(con, "select count(*) from account_shortfalls") == [(0,)]
    # the next bank request: ONWARD, 400.00 waiting under every method; V1 (fifo, pro_rata) and
    # V2 (lifo, pro_rata) reach it
    assert rows(con, "select * from bank_requests") == [(1, ONWARD, False, False, *[d("400.00")] * 4, 2)]


def test_traces_are_stored_in_the_order_of_traces_csv(tmp_path):
    # outputs.md: rows by the first column, then every other, NULL last; publish writes traces as
    # stored. The case above under fifo, by hand: origins V1 < V2 < opening < other (capitals first);
    # V1 arrives from VICTIM_A (hop 0), goes on whole to LAYER_1 (hop 1), 300.00 of it to ONWARD (hop 2);
    # V2 stays at GANG; opening (no payer) goes on whole, then whole to ONWARD; 100.00 of other goes on.
    con = traced(tmp_path, FOUR_METHODS_CASE)
    stored = rows(con, "select * exclude (n) from (select *, row_number() over () as n from traces) order by n")
    assert [(*row[:5], row[6]) for row in stored[:8]] == [
        ("fifo", "V1", 0, VICTIM_A, GANG, d("1000.00")),
        ("fifo", "V1", 1, GANG, LAYER_1, d("1000.00")),
        ("fifo", "V1", 2, LAYER_1, ONWARD, d("300.00")),
        ("fifo", "V2", 0, VICTIM_B, GANG, d("600.00")),
        ("fifo", "opening", 0, None, GANG, d("100.00")),
        ("fifo", "opening", 1, GANG, LAYER_1, d("100.00")),
        ("fifo", "opening", 2, LAYER_1, ONWARD, d("100.00")),
        ("fifo", "other", 0, None, GANG, d("300.00")),
    ]
    assert stored == sorted(stored, key=lambda row: [(value is None, value) for value in row])


def test_proportional_cents_go_by_largest_remainder_ties_to_the_earlier_lot(tmp_path):
    # GANG: V1 1.00, V2 1.00, other 1.00 (cash deposit), then pays 1.00: a third of a yuan each,
    # 33 fen and ⅓ fen left over three times; the one fen left goes to the first lot (V1).
    # libr takes other first: other 1.00.
    # GANG_2: V1 1.00, V2 2.00, pays 1.00: V1 33⅓, V2 66⅔ fen → the spare fen to V2's larger
    # remainder: V1 0.33, V2 0.67, under pro_rata and libr alike (no other lot there).
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}, {"account_no": GANG_2}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1.00", VICTIM_A),
            statement(GANG, "2023-06-01 10:01:00+08", "1.00", VICTIM_B),
            statement(GANG, "2023-06-01 10:02:00+08", "1.00", None),
            statement(GANG, "2023-06-01 10:03:00+08", "-1.00", ONWARD),
            statement(GANG_2, "2023-06-01 10:00:00+08", "1.00", VICTIM_A),
            statement(GANG_2, "2023-06-01 10:01:00+08", "2.00", VICTIM_B),
            statement(GANG_2, "2023-06-01 10:03:00+08", "-1.00", ONWARD),
        ],
    })
    paid_on = "select method, from_account, origin, amount from traces where hop = 1 and method in ('pro_rata', 'libr') order by all"
    assert rows(con, paid_on) == [
        ("libr", GANG, "other", d("1.00")),
        ("libr", GANG_2, "V1", d("0.33")),
        ("libr", GANG_2, "V2", d("0.67")),
        ("pro_rata", GANG, "V1", d("0.34")),
        ("pro_rata", GANG, "V2", d("0.33")),
        ("pro_rata", GANG, "other", d("0.33")),
        ("pro_rata", GANG_2, "V1", d("0.33")),
        ("pro_rata", GANG_2, "V2", d("0.67")),
    ]


def test_pooled_methods_at_account_level_pool_the_victims_and_keep_other_and_opening(tmp_path):
    # The four-methods case above, pro_rata and libr at account level (budget 0). GANG holds
    # opening 100, other 300 and the victims' pool 1,600 (V1 1,000 + V2 600) at hop 0.
    #   pro_rata: 1,200 of 2,000 = 60 % of each: opening 60, other 180, victims 960 to LAYER_1 (hop 1),
    #     which pays a third on: opening 20, other 60, victims 320 to ONWARD.
    #   libr: opening 100 and other 300 leave first, then 800 of the victims' pool; LAYER_1 pays
    #     its opening 100 and other 300 on. The pools are the lot-by-lot victims' lots summed
    #     (GANG held V1 500 + V2 300 = 800).
    # fifo and lifo stay lot by lot: ONWARD's request still names V1 (fifo) and V2 (lifo).
    con = traced(tmp_path, FOUR_METHODS_CASE, lot_budget=0)
    pooled = "pooled:victims"
    assert rows(con, "select * from trace_grain order by 1") == [
        ("fifo", "lot"), ("libr", "account"), ("lifo", "lot"), ("pro_rata", "account")
    ]
    assert ends(con, "pro_rata") == [
        (GANG, "held", "opening", d("40.00")),
        (GANG, "held", "other", d("120.00")),
        (GANG, "held", pooled, d("640.00")),
        (LAYER_1, "held", "opening", d("40.00")),
        (LAYER_1, "held", "other", d("120.00")),
        (LAYER_1, "held", pooled, d("640.00")),
        (ONWARD, "not_obtained", "opening", d("20.00")),
        (ONWARD, "not_obtained", "other", d("60.00")),
        (ONWARD, "not_obtained", pooled, d("320.00")),
    ]
    assert ends(con, "libr") == [
        (GANG, "held", pooled, d("800.00")),
        (LAYER_1, "held", pooled, d("800.00")),
        (ONWARD, "not_obtained", "opening", d("100.00")),
        (ONWARD, "not_obtained", "other", d("300.00")),
    ]
    assert moves(con, "pro_rata") == [
        ("opening", 1, GANG, LAYER_1, d("60.00")),
        ("other", 1, GANG, LAYER_1, d("180.00")),
        (pooled, 1, GANG, LAYER_1, d("960.00")),
        ("opening", 2, LAYER_1, ONWARD, d("20.00")),
        ("other", 2, LAYER_1, ONWARD, d("60.00")),
        (pooled, 2, LAYER_1, ONWARD, d("320.00")),
    ]
    # a start row names its victim under every method
    assert rows(con, "select origin, amount from traces where method = 'libr' and hop = 0 and from_account is not null "
                     "order by 1") == [("V1", d("1000.00")), ("V2", d("600.00"))]
    assert rows(con, "select * from bank_requests") == [(1, ONWARD, False, False, *[d("400.00")] * 4, 2)]


def test_the_account_level_log_follows_only_accounts_paying_into_a_frozen_account():
    # Nodes 0-7: 1 pays 2, 2 pays 3, 3 is frozen; 4 pays 5, which pays 3 after the freeze; 6 pays
    # 1 only in cash; 7 pays 0, which pays nobody. 1, 2, 4, 5 (and 3) reach 3 through some
    # outflow that is not cash, whatever its time; 0, 6 and 7 do not.
    S, O, F = trace.START, trace.OUT, trace.FREEZE
    traced, cash = trace.TRACED, trace.TO_CASH
    events = trace.Events(
        kind=[S, S, O, O, F, O, O, O, O],
        target=[traced, traced, traced, traced, -1, traced, traced, cash, traced],
        account=[1, 4, 1, 2, 3, 4, 5, 6, 7],
        counterparty=[-1, -1, 2, 3, -1, 5, 3, 1, 0],
        origin=[3, 4, -1, -1, -1, -1, -1, -1, -1],
        fen=[100] * 9,
        ts=list(range(9)),
        n_nodes=8,
    )
    assert trace._paying_into_freezes(events, []) == [False, True, True, True, True, True, False, False]


@pytest.mark.parametrize(("lot_budget", "grain"), [(108, "lot"), (107, "account"), (99, "account")])
def test_pooled_methods_go_to_account_level_exactly_past_the_lot_budget(tmp_path, lot_budget, grain):
    # The four-methods case has two outflows, 50 lots' worth each. pro_rata looks at GANG's 4 lots
    # (opening, V1, other, V2) and at the 4 parts they sent LAYER_1; libr at the same 4 at GANG and
    # the 4 it sent on (opening 100, other 300, V1 500, V2 300): 2 × 50 + 8 = 108 each. A budget of
    # 108 keeps both lot by lot; 107 is passed only at the last outflow, 99 before any lot is seen.
    con = traced(tmp_path, FOUR_METHODS_CASE, lot_budget=lot_budget)
    assert rows(con, "select method, grain from trace_grain where method in ('pro_rata', 'libr') order by 1") == [
        ("libr", grain), ("pro_rata", grain)
    ]


@GRAINS
def test_recoveries_follow_victims_through_two_layers(tmp_path, lot_budget):
    # GANG: V1 1,000.00 (09:00), pays LAYER_1 500.00 (10:00: V1 500); V2 1,000.00 (11:00); pays
    # LAYER_1 600.00 (12:00) out of V1 500 + V2 1,000 = 1,500: 40 % → V1 200, V2 400.
    # LAYER_1 then holds V1 700, V2 400 (1,100) and pays half, 550.00, to LAYER_2 (13:00):
    # V1 350, V2 200. Both layers frozen at 15:00 with 550.00 each (no other money anywhere, so
    # libr and pro_rata agree).
    # traced (libr lots at the freeze): LAYER_1 V1 350, V2 200; LAYER_2 V1 350, V2 200.
    # pro_rata (money that came in): LAYER_1 V1 700 : V2 400 → 550 × 7/11 = 350, × 4/11 = 200;
    #   LAYER_2 V1 350 : V2 200 → 350, 200. Nobody above the net loss of 1,000.00.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 09:00:00+08", "1000.00", VICTIM_A, source="card.csv"),
            statement(GANG, "2023-06-01 10:00:00+08", "-500.00", LAYER_1, source="card.csv"),
            statement(GANG, "2023-06-01 11:00:00+08", "1000.00", VICTIM_B, source="card.csv"),
            statement(GANG, "2023-06-01 12:00:00+08", "-600.00", LAYER_1, source="card.csv"),
            statement(LAYER_1, "2023-06-01 10:00:00+08", "500.00", GANG, source="l1.csv"),
            statement(LAYER_1, "2023-06-01 12:00:00+08", "600.00", GANG, source="l1.csv"),
            statement(LAYER_1, "2023-06-01 13:00:00+08", "-550.00", LAYER_2, source="l1.csv"),
            statement(LAYER_2, "2023-06-01 13:00:00+08", "550.00", LAYER_1, source="l2.csv"),
        ],
        "frozen": [
            {"account_no": LAYER_1, "amount": "550.00", "ts": "2023-06-01 15:00:00+08"},
            {"account_no": LAYER_2, "amount": "550.00", "ts": "2023-06-01 15:00:00+08"},
        ],
    }, lot_budget=lot_budget)
    assert rows(con, "select * from recoveries order by all") == [
        (LAYER_1, "V1", d("350.00"), d("350.00")),
        (LAYER_1, "V2", d("200.00"), d("200.00")),
        (LAYER_2, "V1", d("350.00"), d("350.00")),
        (LAYER_2, "V2", d("200.00"), d("200.00")),
    ]
    for method in ("pro_rata", "libr"):
        assert rows(con, f"select account_no, origin, amount from endpoints where method = '{method}' "
                         "and kind = 'frozen' order by all") == [
            (LAYER_1, "V1", d("350.00")), (LAYER_1, "V2", d("200.00")),
            (LAYER_2, "V1", d("350.00")), (LAYER_2, "V2", d("200.00")),
        ], method


def test_money_is_not_followed_when_the_case_says_so(tmp_path):
    # follow_money = false: no lot moves, so traces, endpoints and recoveries are empty; leads
    # (STRANGER: three victims straight in) are still found.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(STRANGER, "2023-06-01 10:00:00+08", "100.00", VICTIM_A, source="s.csv"),
            statement(STRANGER, "2023-06-01 10:10:00+08", "100.00", VICTIM_B, source="s.csv"),
            statement(STRANGER, "2023-06-01 10:20:00+08", "100.00", VICTIM_C, source="s.csv"),
            statement(GANG, "2023-06-01 10:00:00+08", "100.00", VICTIM_A),
        ],
        "frozen": [{"account_no": GANG, "amount": "100.00", "ts": "2023-06-01 12:00:00+08"}],
    }, tracing={"follow_money": False})
    assert rows(con, "select (select count(*) from traces), (select count(*) from endpoints), "
                     "(select count(*) from recoveries)") == [(0, 0, 0)]
    assert rows(con, "select account_no, reason from leads") == [(STRANGER, "victims")]


@pytest.mark.parametrize(
    ("target", "hop", "fen", "where"),
    [
        (trace.TO_CASH, 6, 1, (trace.ENDS_HERE, trace.CASH)),
        (trace.TO_PLATFORM, 6, 1, (trace.ENDS_THERE, trace.PLATFORM)),
        (trace.UNTRACED, 6, 1, (trace.ENDS_HERE, trace.MAX_HOPS)),
        (trace.UNTRACED, 5, 1, (trace.ENDS_THERE, trace.NOT_OBTAINED)),
        (trace.TRACED, 5, 99, (trace.ENDS_THERE, trace.DUST)),
        (trace.TRACED, 5, 100, (trace.STAYS_THERE, -1)),
    ],
)
def test_a_part_ends_where_the_order_of_end_points_says(target, hop, fen, where):
    # max_hops 6, min_amount 1.00; the route an outflow's parts take agrees with it
    # (one part of event 0, paid by node 1 to node 2); a part that ends here does not move
    routing = trace.Routing(max_hops=6, min_fen=100)
    assert trace._outcome(target, hop, fen, routing) == where
    out = trace.Allocation()
    trace._route_taken(out, trace.FIFO, array("q", [0, 1, 2, target]), np.array([1]),
                       np.array([trace.FIRST_VICTIM]), np.array([hop]), np.array([fen]), routing)
    ended = out.ends_frame().rows()
    moved = out.parts_frame().rows()
    stays = where[0] == trace.STAYS_THERE
    assert moved == ([] if where[0] == trace.ENDS_HERE else [(trace.FIFO, trace.FIRST_VICTIM, hop + 1, 1, 2, 0, fen)])
    at = 1 if where[0] == trace.ENDS_HERE else 2
    assert ended == ([] if stays else [(trace.FIFO, at, where[1], trace.FIRST_VICTIM, fen)])


# ---------------------------------------------------------------- end points


def test_every_end_point_kind_with_its_precedence(tmp_path):
    # max_hops = 1. GANG gets V1 1,000.00 (hop 0), then: 100.00 out without counterparty (cash),
    # 100.00 to an ATM account with memo ATM取现 (cash), 200.00 to PLATFORM (platform, at PLATFORM),
    # 300.00 to LAYER_1 (traced: hop 1), 100.00 to ONWARD (not_obtained at ONWARD); 200.00 held.
    # LAYER_1 (hop-1 lot = max_hops): 50.00 to LAYER_2 would be a further hop → max_hops at LAYER_1;
    # 50.00 withdrawn → cash beats max_hops; 50.00 to PLATFORM → platform beats max_hops (hop 2);
    # 150.00 held. LAYER_2's statement shows the 50.00, but no lot moves there.
    # One lot only, so every method gives the same.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A),
            statement(GANG, "2023-06-01 11:00:00+08", "-100.00", None),
            statement(GANG, "2023-06-01 11:10:00+08", "-100.00", ATM, memo="ATM取现"),
            statement(GANG, "2023-06-01 11:20:00+08", "-200.00", PLATFORM),
            statement(GANG, "2023-06-01 11:30:00+08", "-300.00", LAYER_1),
            statement(GANG, "2023-06-01 11:40:00+08", "-100.00", ONWARD),
            statement(LAYER_1, "2023-06-01 11:30:00+08", "300.00", GANG, source="layer.csv"),
            statement(LAYER_1, "2023-06-01 12:00:00+08", "-50.00", LAYER_2, source="layer.csv"),
            statement(LAYER_1, "2023-06-01 12:10:00+08", "-50.00", None, source="layer.csv"),
            statement(LAYER_1, "2023-06-01 12:20:00+08", "-50.00", PLATFORM, source="layer.csv"),
            statement(LAYER_2, "2023-06-01 12:00:00+08", "50.00", LAYER_1, source="layer2.csv"),
        ],
    }, tracing={"max_hops": 1, "platform_accounts": [PLATFORM]})
    expected = [
        (GANG, "cash", "V1", d("200.00")),
        (GANG, "held", "V1", d("200.00")),
        (PLATFORM, "platform", "V1", d("250.00")),
        (LAYER_1, "cash", "V1", d("50.00")),
        (LAYER_1, "held", "V1", d("150.00")),
        (LAYER_1, "max_hops", "V1", d("50.00")),
        (ONWARD, "not_obtained", "V1", d("100.00")),
    ]
    for method in METHODS:
        assert ends(con, method) == sorted(expected), method
    to_platform = f"select hop, amount from traces where method = 'fifo' and from_account = '{LAYER_1}' and to_account = '{PLATFORM}'"
    assert rows(con, to_platform) == [(2, d("50.00"))]
    assert rows(con, f"select count(*) from traces where to_account = '{LAYER_2}'") == [(0,)]


def test_dust_is_written_off_on_arrival_and_as_a_remnant_but_not_when_paid_to_an_end_point(tmp_path):
    # min_amount = 1.00. GANG: V1 1,000.00 (10:00); V2 0.50 (10:05) → dust at GANG at once (every
    # method); V2 1,000.00 (10:10); 1.00 to ONWARD (10:20); 1.00 to LAYER_1 (10:30); 997.50 to
    # ONWARD (11:00).
    # fifo: 1.00 V1 to ONWARD; 1.00 V1 to LAYER_1 (held there: not below 1.00); 997.50 of V1's
    #   998.00 to ONWARD leaves 0.50 → dust at GANG. V2 1,000.00 held.
    # pro_rata: 0.50 V1 + 0.50 V2 to ONWARD (small parts to an end point stay not_obtained);
    #   0.50 + 0.50 to LAYER_1 → dust there on arrival; 997.50 of 999.00 + 999.00 → 498.75 each,
    #   leaving 500.25 each held.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A),
            statement(GANG, "2023-06-01 10:05:00+08", "0.50", VICTIM_B),
            statement(GANG, "2023-06-01 10:10:00+08", "1000.00", VICTIM_B),
            statement(GANG, "2023-06-01 10:20:00+08", "-1.00", ONWARD),
            statement(GANG, "2023-06-01 10:30:00+08", "-1.00", LAYER_1),
            statement(GANG, "2023-06-01 11:00:00+08", "-997.50", ONWARD),
            statement(LAYER_1, "2023-06-01 10:30:00+08", "1.00", GANG, source="layer.csv"),
        ],
    }, tracing={"min_amount": "1.00"})
    assert ends(con, "fifo") == [
        (GANG, "dust", "V1", d("0.50")),
        (GANG, "dust", "V2", d("0.50")),
        (GANG, "held", "V2", d("1000.00")),
        (LAYER_1, "held", "V1", d("1.00")),
        (ONWARD, "not_obtained", "V1", d("998.50")),
    ]
    assert ends(con, "pro_rata") == [
        (GANG, "dust", "V2", d("0.50")),
        (GANG, "held", "V1", d("500.25")),
        (GANG, "held", "V2", d("500.25")),
        (LAYER_1, "dust", "V1", d("0.50")),
        (LAYER_1, "dust", "V2", d("0.50")),
        (ONWARD, "not_obtained", "V1", d("499.25")),
        (ONWARD, "not_obtained", "V2", d("499.25")),
    ]


def test_max_hops_stops_a_chain_at_the_account_it_would_leave(tmp_path):
    # Default max_hops = 6 is long; with 2: GANG (hop 0) → LAYER_1 (1) → LAYER_2 (2) → ONWARD would
    # be hop 3: the lot ends as max_hops at LAYER_2, and no trace row reaches ONWARD.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "500.00", VICTIM_A),
            statement(GANG, "2023-06-01 11:00:00+08", "-500.00", LAYER_1),
            statement(LAYER_1, "2023-06-01 11:00:00+08", "500.00", GANG, source="l1.csv"),
            statement(LAYER_1, "2023-06-01 12:00:00+08", "-500.00", LAYER_2, source="l1.csv"),
            statement(LAYER_2, "2023-06-01 12:00:00+08", "500.00", LAYER_1, source="l2.csv"),
            statement(LAYER_2, "2023-06-01 13:00:00+08", "-500.00", ONWARD, source="l2.csv"),
        ],
    }, tracing={"max_hops": 2})
    assert moves(con, "fifo") == [("V1", 1, GANG, LAYER_1, d("500.00")), ("V1", 2, LAYER_1, LAYER_2, d("500.00"))]
    assert ends(con, "libr") == [(LAYER_2, "max_hops", "V1", d("500.00"))]


def test_a_mirrored_transfer_arrives_at_the_payer_time_and_brings_no_other_lot(tmp_path):
    # GANG pays LAYER_1 500.00 at 10:00; LAYER_1's bank books it at 10:05 (one transfer, §2) but
    # already paid 300.00 on at 10:02. The lots arrive at the payer's time, so the 10:02 outflow
    # takes 300.00 of V1's money (hop 2) and nothing is short; LAYER_1's inflow posting starts no
    # `other` lot. fifo: ONWARD V1 300, LAYER_1 held V1 200, GANG held V1 500.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 09:00:00+08", "1000.00", VICTIM_A, source="card.csv"),
            statement(GANG, "2023-06-01 10:00:00+08", "-500.00", LAYER_1, source="card.csv"),
            statement(LAYER_1, "2023-06-01 10:02:00+08", "-300.00", ONWARD, source="layer.csv"),
            statement(LAYER_1, "2023-06-01 10:05:00+08", "500.00", GANG, source="layer.csv"),
        ],
    })
    assert rows(con, "select origin, hop, from_account, to_account, ts, amount, posting_id from traces "
                     "where method = 'fifo' and hop = 1") == [
        ("V1", 1, GANG, LAYER_1, rows(con, "select timestamptz '2023-06-01 10:00:00+08'")[0][0], d("500.00"), "card.csv:3")
    ]
    assert ends(con, "fifo") == [
        (GANG, "held", "V1", d("500.00")),
        (LAYER_1, "held", "V1", d("200.00")),
        (ONWARD, "not_obtained", "V1", d("300.00")),
    ]
    assert rows(con, "select count(*) from traces where origin = 'other'") == [(0,)]
    assert rows(con, "select count(*) from account_shortfalls") == [(0,)]


def test_an_outflow_beyond_the_lots_present_takes_other_and_the_account_is_listed_short(tmp_path):
    # GANG holds V1 1,000.00 and pays 1,500.00: all of V1's lot plus an `other` lot of 500.00
    # created at GANG (statement incomplete), under every method.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A),
            statement(GANG, "2023-06-01 11:00:00+08", "-1500.00", ONWARD),
        ],
    })
    for method in METHODS:
        assert ends(con, method) == [
            (ONWARD, "not_obtained", "V1", d("1000.00")),
            (ONWARD, "not_obtained", "other", d("500.00")),
        ]
    assert rows(con, "select method, account_no, outflows_short, shortfall, first_posting_id from account_shortfalls order by 1") == [
        (m, GANG, 1, d("500.00"), "bank.csv:3") for m in sorted(METHODS)
    ]
    assert rows(con, "select from_account, to_account, hop from traces where method = 'fifo' and origin = 'other' order by hop") == [
        (None, GANG, 0), (GANG, ONWARD, 1)
    ]


# ---------------------------------------------------------------- frozen funds (§8)


@GRAINS
def test_frozen_lots_and_recoveries_capped_at_net_loss_over_both_accounts(tmp_path, lot_budget):
    # GANG: V1 1,000.00 (10:00), V2 1,000.00 (10:30), a cash deposit (other) 500.00 (10:45), then
    # 800.00 to LAYER_1 (11:00, both statements). Both accounts frozen at 12:00: GANG 1,200.00,
    # LAYER_1 800.00. V1 got 700.00 back from GANG_2 (net loss 300.00); V2 also paid GANG_2
    # 1,000.00 (net loss 2,000.00).
    # libr at 11:00: other 500 first, then 300 from V1 1000 / V2 1000 → 150 each.
    #   GANG frozen: V1 850, V2 850; LAYER_1 frozen: other 500, V1 150, V2 150.
    # pro_rata at 11:00: 800/2500 = 32 %: V1 320, V2 320, other 160 move.
    #   GANG frozen: V1 680, V2 680, other 340; LAYER_1 frozen: V1 320, V2 320, other 160.
    # traced: GANG 1,700 of libr lots > 1,200 → × 12/17: V1 600, V2 600. LAYER_1 800 = 800:
    #   V1 150, V2 150, other 500 → unallocated. V1 total 750 > 300 → × 0.4: GANG V1 240 (frees
    #   360 → V2, under her cap: 960), LAYER_1 V1 60 (frees 90 → V2: 240). V2 1,200 ≤ 2,000.
    # pro_rata: GANG got V1 1000, V2 1000 → 600 / 600; LAYER_1 got V1 320, V2 320 → 400 / 400.
    #   V1 1,000 > 300 → × 0.3: GANG V1 180 (V2 1,020), LAYER_1 V1 120 (V2 680). V2 1,700.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}, {"account_no": GANG_2}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A, source="card.csv"),
            statement(GANG, "2023-06-01 10:30:00+08", "1000.00", VICTIM_B, source="card.csv"),
            statement(GANG, "2023-06-01 10:45:00+08", "500.00", None, source="card.csv"),
            statement(GANG, "2023-06-01 11:00:00+08", "-800.00", LAYER_1, source="card.csv"),
            statement(LAYER_1, "2023-06-01 11:00:30+08", "800.00", GANG, source="layer.csv"),
            statement(VICTIM_A, "2023-06-01 09:00:00+08", "700.00", GANG_2, source="victim.csv"),
            statement(VICTIM_B, "2023-06-01 09:30:00+08", "-1000.00", GANG_2, source="victim.csv"),
        ],
        "frozen": [
            {"account_no": GANG, "amount": "1200.00", "ts": "2023-06-01 12:00:00+08"},
            {"account_no": LAYER_1, "amount": "800.00", "ts": "2023-06-01 12:00:00+08"},
        ],
    }, lot_budget=lot_budget)
    assert rows(con, "select victim_id, net_loss from victims order by 1") == [
        ("V1", d("300.00")), ("V2", d("2000.00")), ("V3", d("0.00"))
    ]
    frozen = "select account_no, origin, amount from endpoints where method = '{}' and kind = 'frozen' order by all"
    assert rows(con, frozen.format("libr")) == [
        (GANG, "V1", d("850.00")), (GANG, "V2", d("850.00")),
        (LAYER_1, "V1", d("150.00")), (LAYER_1, "V2", d("150.00")), (LAYER_1, "other", d("500.00")),
    ]
    assert rows(con, frozen.format("pro_rata")) == [
        (GANG, "V1", d("680.00")), (GANG, "V2", d("680.00")), (GANG, "other", d("340.00")),
        (LAYER_1, "V1", d("320.00")), (LAYER_1, "V2", d("320.00")), (LAYER_1, "other", d("160.00")),
    ]
    assert rows(con, "select * from recoveries order by all") == [
        (GANG, "V1", d("240.00"), d("180.00")),
        (GANG, "V2", d("960.00"), d("1020.00")),
        (LAYER_1, "V1", d("60.00"), d("120.00")),
        (LAYER_1, "V2", d("240.00"), d("680.00")),
        (LAYER_1, "unallocated", d("500.00"), d("0.00")),
    ]
    assert rows(con, "select victim_id, frozen_traced, frozen_pro_rata, missing_traced from victim_recoveries order by 1") == [
        ("V1", d("300.00"), d("300.00"), d("0.00")),
        ("V2", d("1200.00"), d("1700.00"), d("800.00")),
        ("V3", d("0.00"), d("0.00"), d("0.00")),
    ]


@GRAINS
def test_recovery_rounding_is_one_largest_remainder_per_account(tmp_path, lot_budget):
    # GANG holds V1 1,000.00 and V2 500.00 (nothing else) when 800.00 is frozen: both allocations
    # give V1 533.33⅓ and V2 266.66⅔ → 533.33 and 266.67 (the spare fen to the larger remainder).
    # A frozen account without a statement (ONWARD, 100.00, which got 100.00 of V1's money) finds
    # no lots for `traced` (unallocated) but V1's arrival counts for pro_rata.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1100.00", VICTIM_A),
            statement(GANG, "2023-06-01 11:00:00+08", "500.00", VICTIM_B),
            statement(GANG, "2023-06-01 11:30:00+08", "-100.00", ONWARD),
        ],
        "frozen": [
            {"account_no": GANG, "amount": "800.00", "ts": "2023-06-01 13:00:00+08"},
            {"account_no": ONWARD, "amount": "100.00", "ts": "2023-06-01 13:00:00+08"},
        ],
    }, lot_budget=lot_budget)
    # fifo moved V1's 100.00 to ONWARD; libr and pro_rata split it 1100:500 → the frozen lots
    # differ by method, so check with libr: V1 1100 − 68.75 = 1031.25, V2 500 − 31.25 = 468.75,
    # 1,500.00 > 800 → × 8/15: V1 550.00, V2 250.00. pro_rata arrivals V1 1100, V2 500 →
    # 800 × 11/16 = 550.00, × 5/16 = 250.00.  ONWARD: pro_rata got V1 68.75, V2 31.25 → 68.75, 31.25.
    assert rows(con, "select * from recoveries order by all") == [
        (GANG, "V1", d("550.00"), d("550.00")),
        (GANG, "V2", d("250.00"), d("250.00")),
        (ONWARD, "V1", d("0.00"), d("68.75")),
        (ONWARD, "V2", d("0.00"), d("31.25")),
        (ONWARD, "unallocated", d("100.00"), d("0.00")),
    ]
    # and the thirds, on the pure function: 800.00 by 1000 : 500
    shares = trace.allot_freeze(80000, {"V1": 100000, "V2": 50000}, "pro_rata")
    assert shares == {"V1": Fraction(160000, 3), "V2": Fraction(80000, 3)}
    assert trace.round_largest_remainder(80000, shares) == {"V1": 53333, "V2": 26667}


def test_rounding_ties_go_to_the_lower_victim_id_and_unallocated_last():
    # 1 fen in three equal shares: the spare fen goes to V1 (lower id), never to unallocated first
    third = Fraction(1, 3)
    assert trace.round_largest_remainder(1, {"unallocated": third, "V2": third, "V1": third}) == {
        "V1": 1, "V2": 0, "unallocated": 0
    }
    assert trace.round_largest_remainder(2, {"unallocated": 2 * third, "V2": 2 * third, "V1": 2 * third}) == {
        "V1": 1, "V2": 1, "unallocated": 0
    }


VICTIM_IDS = ["V1", "V2", "V3", "V4"]
ORIGINS = VICTIM_IDS + ["unidentified:6217", "other", "opening"]


@settings(max_examples=300, deadline=None)
@given(
    freezes=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 10**7)), min_size=1, max_size=5
    ),
    claims=st.lists(
        st.dictionaries(st.sampled_from(ORIGINS), st.integers(1, 10**7), max_size=6), min_size=10, max_size=10
    ),
    caps=st.dictionaries(st.sampled_from(VICTIM_IDS), st.integers(0, 2 * 10**7)),
)
def test_recoveries_of_every_frozen_account_add_up_to_its_frozen_amount(freezes, claims, caps):
    listed = [(f"f{i}", account, fen) for i, (account, fen) in enumerate(freezes)]
    by_freeze = {}
    for i, (freeze_id, _, _) in enumerate(listed):
        by_freeze[(freeze_id, "traced")] = claims[2 * i]
        by_freeze[(freeze_id, "pro_rata")] = claims[2 * i + 1]
    allotted = trace.allot_recoveries(listed, by_freeze, caps)
    frozen = {}
    for _, account, fen in listed:
        frozen[account] = frozen.get(account, 0) + fen
    for allocation in ("traced", "pro_rata"):
        for account, fen in frozen.items():
            assert sum(a for acc, _, alloc, a in allotted if acc == account and alloc == allocation) == fen
        for victim in VICTIM_IDS:
            total = sum(a for _, v, alloc, a in allotted if v == victim and alloc == allocation)
            # capped exactly before rounding; one rounding per account adds at most a fen each
            assert total <= caps.get(victim, 0) + len(frozen)
    assert all(a > 0 for *_, a in allotted)
    assert not any(v.startswith("unidentified:") for _, v, _, _ in allotted)


# ---------------------------------------------------------------- leads


def test_leads_by_victims_and_by_pass_through(tmp_path):
    # STRANGER (not a gang account) gets 100.00 from each of V1, V2, V3 and pays 300.00 on within
    # the hour: victims and pass_through, share 1.0000.
    # LAYER_1: first posting 1,000.00 with balance 1,500.00 → opening 500.00; pays 1,400.00 ten
    # hours later: the opening leaves first, so 900.00 of the 1,000.00 received is passed on in
    # time: exactly 90 % → pass_through.
    # LAYER_2: 1,000.00 in, 899.99 out after 10 h and 100.01 after 25 h 0 min 1 s: 89.999 % → no lead.
    # GANG passes everything on at once, but is a gang account: no lead.
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(STRANGER, "2023-06-01 10:00:00+08", "100.00", VICTIM_A, source="s.csv"),
            statement(STRANGER, "2023-06-01 10:10:00+08", "100.00", VICTIM_B, source="s.csv"),
            statement(STRANGER, "2023-06-01 10:20:00+08", "100.00", VICTIM_C, source="s.csv"),
            statement(STRANGER, "2023-06-01 11:00:00+08", "-300.00", ONWARD, source="s.csv"),
            statement(LAYER_1, "2023-06-01 10:00:00+08", "1000.00", ONWARD, source="l1.csv", balance="1500.00"),
            statement(LAYER_1, "2023-06-01 20:00:00+08", "-1400.00", ONWARD, source="l1.csv"),
            statement(LAYER_2, "2023-06-01 10:00:00+08", "1000.00", ONWARD, source="l2.csv"),
            statement(LAYER_2, "2023-06-01 20:00:00+08", "-899.99", ONWARD, source="l2.csv"),
            statement(LAYER_2, "2023-06-02 11:00:01+08", "-100.01", ONWARD, source="l2.csv"),
            statement(GANG, "2023-06-01 10:00:00+08", "100.00", VICTIM_A),
            statement(GANG, "2023-06-01 10:01:00+08", "-100.00", ONWARD),
        ],
    })
    assert rows(con, "select * from leads order by account_no") == [
        (STRANGER, "victims;pass_through", 3, d("300.00"), d("300.00"), d("1.0000")),
        (LAYER_1, "pass_through", 0, d("1000.00"), d("1400.00"), d("0.9000")),
    ]



def test_pass_through_segments_shared_ends_money_out_before_it_came_and_more_out_than_in(tmp_path):
    # STRANGER, no opening balance; money in and money out as two running totals (fen):
    #   10:00 +100.00 (in 0-100) | 10:30 -100.00 (out 0-100): both end at 100, one break;
    #   [0, 100] came 10:00, left 10:30: passed 100.00.
    #   11:00 -50.00 (out 100-150) before 12:00 +150.00 (in 100-250): [100, 150] left at 11:00,
    #   before it came at 12:00: not passed.
    #   13:00 -120.00 (out 150-270): [150, 250] came 12:00, left 13:00: passed 100.00;
    #   [250, 270] left with no inflow behind it: not received, not passed.
    # received 250.00, passed on 200.00 (80 %: no lead).
    con = traced(tmp_path, {
        "bank_statement": [
            statement(STRANGER, "2023-06-01 10:00:00+08", "100.00", ONWARD),
            statement(STRANGER, "2023-06-01 10:30:00+08", "-100.00", ONWARD),
            statement(STRANGER, "2023-06-01 11:00:00+08", "-50.00", ONWARD),
            statement(STRANGER, "2023-06-01 12:00:00+08", "150.00", ONWARD),
            statement(STRANGER, "2023-06-01 13:00:00+08", "-120.00", ONWARD),
        ],
    })
    assert rows(con, "select account_no, received_fen, passed_fen from lead_pass_through") == [(STRANGER, 25000, 20000)]
    assert rows(con, "select count(*) from leads") == [(0,)]


# ---------------------------------------------------------------- conservation and settings


def test_conservation_is_checked_on_the_rows_written_and_stops_the_run(tmp_path):
    con = traced(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(GANG, "2023-06-01 10:00:00+08", "1000.00", VICTIM_A),
            statement(GANG, "2023-06-01 11:00:00+08", "-400.00", ONWARD),
        ],
    })
    trace.check_conservation(con)  # balances as built
    con.execute(
        "insert into trace_ends select 2, node_id, 5, 0, 1 from trace_nodes where account_no = ?", [GANG]
    )
    with pytest.raises(InvariantError, match=rf"account {GANG} under pro_rata: lots in 1000.00 ≠ lots out 400.00 \+ end points 600.01"):
        trace.check_conservation(con)


@pytest.mark.parametrize(
    ("tracing", "message"),
    [
        ({"max_hops": -1}, r"tracing.max_hops = -1 must be a whole number"),
        ({"pass_through_hours": "24"}, r"tracing.pass_through_hours = '24' must be a whole number"),
        ({"min_amount": "0.001"}, r"tracing.min_amount = '0.001' must be whole cents"),
        ({"min_amount": "abc"}, r"tracing.min_amount = 'abc' is not an amount"),
        ({"platform_accounts": [1001300219000003]}, r"tracing.platform_accounts must be a list of account numbers"),
        ({"max_hop": 3}, r"unknown key tracing.max_hop"),
        ({"follow_money": "no"}, r"tracing.follow_money = 'no' must be true or false"),
    ],
)
def test_tracing_settings_are_checked(tmp_path, tracing, message):
    with pytest.raises(CaseConfigError, match=message):
        parse_case({"case": {"id": "t"}, "tracing": tracing}, tmp_path)


def test_tracing_defaults(tmp_path):
    settings_ = parse_case({"case": {"id": "t"}}, tmp_path).tracing
    assert (
        settings_.max_hops, settings_.min_amount, settings_.pass_through_hours, settings_.platform_accounts,
        settings_.follow_money,
    ) == (6, Decimal("0.01"), 24, (), True)
