from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundtrail import match
from fundtrail.match import find_splits, max_matching

EDGE_SCHEMA = {
    "left": pl.String,
    "right": pl.String,
    "cost": pl.Int64,
    "left_order": pl.Int64,
    "right_order": pl.Int64,
}


def edges(rows, left_order=None, right_order=None):
    """Edges from (left, right, cost); node ranks follow name order unless given."""
    left_order = left_order or {n: i for i, n in enumerate(sorted({r[0] for r in rows}))}
    right_order = right_order or {n: i for i, n in enumerate(sorted({r[1] for r in rows}))}
    return pl.DataFrame(
        [(l, r, c, left_order[l], right_order[r]) for l, r, c in rows],
        schema=EDGE_SCHEMA,
        orient="row",
    )


def pairs(result):
    return result.rows()


# --- max_matching ---------------------------------------------------------


def test_greedy_trap_matches_both_entries():
    # Nearest-first takes A-1 (cost 0) and strands B, whose only candidate is 1.
    result = max_matching(edges([("A", "1", 0), ("A", "2", 100), ("B", "1", 10)]))
    assert pairs(result) == [("A", "2", 100), ("B", "1", 10)]


def test_more_pairs_beat_lower_cost():
    # {A-1} costs 0 with one pair; {A-2, B-1} costs 2000 with two pairs.
    result = max_matching(edges([("A", "1", 0), ("A", "2", 1000), ("B", "1", 1000)]))
    assert pairs(result) == [("A", "2", 1000), ("B", "1", 1000)]


def test_equal_pairs_lower_total_cost_wins_over_order():
    # {A-1, B-2} = 5 + 9 = 14; {A-2, B-1} = 1 + 2 = 3. Tie-break alone would give A-1.
    result = max_matching(
        edges([("A", "1", 5), ("A", "2", 1), ("B", "1", 2), ("B", "2", 9)])
    )
    assert pairs(result) == [("A", "2", 1), ("B", "1", 2)]


def test_tie_first_entry_by_order_gets_first_payment_by_order():
    rows = [("E1", "P1", 60), ("E1", "P2", 60), ("E2", "P1", 60), ("E2", "P2", 60)]
    assert pairs(max_matching(edges(rows))) == [("E1", "P1", 60), ("E2", "P2", 60)]
    # Ranks, not names, decide: E2 comes first and P2 is the lower-ranked payment.
    reordered = edges(rows, left_order={"E1": 1, "E2": 0}, right_order={"P1": 1, "P2": 0})
    assert pairs(max_matching(reordered)) == [("E2", "P2", 60), ("E1", "P1", 60)]


def test_tie_break_settles_every_left_in_turn():
    # Complete 3x3 at equal cost: every perfect matching is optimal.
    rows = [(l, r, 7) for l in "ABC" for r in "123"]
    assert pairs(max_matching(edges(rows))) == [("A", "1", 7), ("B", "2", 7), ("C", "3", 7)]
    reversed_rights = edges(rows, right_order={"1": 2, "2": 1, "3": 0})
    assert pairs(max_matching(reversed_rights)) == [("A", "3", 7), ("B", "2", 7), ("C", "1", 7)]


def test_tie_break_prefers_matching_an_earlier_left():
    # One pair is possible either way (A-1 or B-1 at equal cost); A comes first.
    # C-2/C-3 and D-2 make the component not a star, so it goes through the solver.
    rows = [("A", "1", 3), ("B", "1", 3), ("B", "2", 50), ("C", "2", 1), ("D", "2", 1)]
    # Two pairs at most (right 1 and right 2); {A-1, C-2} = 4 and {A-1, D-2} = 4
    # beat {B-2, A-1} = 53; C precedes D.
    assert pairs(max_matching(edges(rows))) == [("A", "1", 3), ("C", "2", 1)]


def test_tie_between_lefts_inside_a_larger_component():
    # Two pairs at most: C must take 2 (else nobody can), so 1 goes to A or B at
    # equal cost 1. A comes first by order.
    rows = [("C", "1", 0), ("A", "1", 1), ("B", "1", 1), ("C", "2", 0)]
    assert pairs(max_matching(edges(rows))) == [("A", "1", 1), ("C", "2", 0)]


def test_stars_take_cheapest_then_first_in_order():
    rows = [
        ("L", "R2", 4), ("L", "R1", 4), ("L", "R3", 9),  # one left: R1 ranks before R2
        ("M", "S", 6), ("N", "S", 5), ("O", "S", 5),  # one right: N and O cheapest, N first
    ]
    result = max_matching(edges(rows))
    assert pairs(result) == [("L", "R1", 4), ("N", "S", 5)]


def test_single_edges_and_larger_components_together():
    rows = [
        ("A", "1", 0), ("A", "2", 100), ("B", "1", 10),  # greedy trap
        ("C", "9", 42),  # 1x1
        ("D", "7", 3), ("D", "8", 1),  # star
        ("E", "5", 2), ("E", "6", 2), ("F", "5", 2), ("F", "6", 2),  # tie, 2x2
        ("G", "4", 0),  # 1x1
    ]
    assert pairs(max_matching(edges(rows))) == [
        ("A", "2", 100),
        ("B", "1", 10),
        ("C", "9", 42),
        ("D", "8", 1),
        ("E", "5", 2),
        ("F", "6", 2),
        ("G", "4", 0),
    ]


def test_output_sorted_by_left_order_not_name():
    rows = [("A", "1", 1), ("B", "2", 1)]
    result = max_matching(edges(rows, left_order={"A": 5, "B": 2}))
    assert pairs(result) == [("B", "2", 1), ("A", "1", 1)]


def test_duplicate_pair_counts_once_with_lower_cost():
    result = max_matching(edges([("A", "1", 50), ("A", "1", 5), ("B", "1", 8)]))
    assert pairs(result) == [("A", "1", 5)]


def test_empty_edges_give_empty_typed_frame():
    result = max_matching(pl.DataFrame(schema=EDGE_SCHEMA))
    assert result.height == 0
    assert result.schema == pl.Schema({"left": pl.String, "right": pl.String, "cost": pl.Int64})


def test_large_all_tied_component_takes_lex_first():
    # 30 lefts x 30 rights, all at cost 0: every perfect matching is optimal and
    # the tie-break digits alone would need 31**30 >> 2**63. Lex-first answer: Li-Ri.
    names = [f"{i:02d}" for i in range(30)]
    result = max_matching(edges([("L" + a, "R" + b, 0) for a in names for b in names]))
    assert pairs(result) == [("L" + n, "R" + n, 0) for n in names]


def test_tie_over_which_right_stays_free():
    # Two pairs at most; {A-1, B-2}, {A-3, B-2}, {A-1, B-3} all cost 11. A takes its
    # lowest-ranked right that still leaves B one: right 1, or right 3 when 3 ranks first.
    rows = [("A", "1", 4), ("A", "3", 4), ("B", "2", 7), ("B", "3", 7)]
    assert pairs(max_matching(edges(rows))) == [("A", "1", 4), ("B", "2", 7)]
    reversed_rights = edges(rows, right_order={"1": 2, "2": 1, "3": 0})
    assert pairs(max_matching(reversed_rights)) == [("A", "3", 4), ("B", "2", 7)]


def test_tie_over_which_left_stays_unmatched():
    # Two pairs at most: {A-1, C-2} = {B-1, C-2} = 9 beat {A-1, B-2} = 14. A or B
    # goes unmatched: the later of the two by left_order.
    rows = [("A", "1", 5), ("B", "1", 5), ("B", "2", 9), ("C", "2", 4)]
    assert pairs(max_matching(edges(rows))) == [("A", "1", 5), ("C", "2", 4)]
    b_first = edges(rows, left_order={"B": 0, "A": 1, "C": 2})
    assert pairs(max_matching(b_first)) == [("B", "1", 5), ("C", "2", 4)]


def test_costs_past_float_precision_stay_exact_up_to_the_limit():
    # 2 lefts + 2 rights + source + sink = 6 nodes: costs must keep cost x 7**2 < 2**62.
    largest = (match.COST_LIMIT - 1) // 49
    x = largest - 1  # ~9.4e16 > 2**53: x and x + 1 are one float64 apart in name only
    # {A-2, B-1} = 2x beats {A-1, B-2} = 2x + 2; a float solver sees a tie and takes A-1.
    rows = [("A", "1", x + 1), ("A", "2", x), ("B", "1", x), ("B", "2", x + 1)]
    assert pairs(max_matching(edges(rows))) == [("A", "2", x), ("B", "1", x)]
    over = [("A", "1", x + 2), ("A", "2", x), ("B", "1", x), ("B", "2", x + 1)]
    with pytest.raises(ValueError, match=r"cost \d+ too large to match 4 linked records exactly"):
        max_matching(edges(over))


def test_component_far_past_the_old_size_limit():
    # One chain of 6,000 records (the old matcher refused groups over 2,000):
    # Li-Ri at 1 s each beats shifting to L(i+1)-Ri at 2 s.
    n = 3000
    rows = [(f"L{i:04d}", f"R{i:04d}", 1) for i in range(n)]
    rows += [(f"L{i + 1:04d}", f"R{i:04d}", 2) for i in range(n - 1)]
    result = max_matching(edges(rows))
    assert result.height == n
    assert result["cost"].sum() == n
    assert pairs(result)[:2] == [("L0000", "R0000", 1), ("L0001", "R0001", 1)]


def hot_card(seed, n_payments=300, hours=10, window=30 * 60):
    """A hot card's candidate edges: round amounts, entries booked minutes later, to the minute.

    One in ten payments is never booked; one entry in fifteen books a payment
    that never came. Pairs: same amount, times within ``window`` seconds.
    """
    rng = np.random.default_rng(seed)
    pay_ts = rng.integers(0, hours * 3600, size=n_payments)
    pay_amount = rng.choice([1000, 2000], size=n_payments, p=[0.7, 0.3])
    booked = rng.random(n_payments) < 0.9
    ghosts = n_payments // 15
    entry_ts = np.r_[
        pay_ts[booked] + rng.integers(0, 8 * 60, size=booked.sum()),
        rng.integers(0, hours * 3600, size=ghosts),
    ] // 60 * 60
    entry_amount = np.r_[pay_amount[booked], rng.choice([1000, 2000], size=ghosts)]
    e, p = np.nonzero(
        (entry_amount[:, None] == pay_amount[None, :])
        & (np.abs(entry_ts[:, None] - pay_ts[None, :]) <= window)
    )
    entry_rank = np.argsort(np.argsort(entry_ts, kind="stable"), kind="stable")
    return pl.DataFrame(
        {
            "left": [f"E{i}" for i in e],
            "right": [f"P{j}" for j in p],
            "cost": np.abs(entry_ts[e] - pay_ts[p]),
            "left_order": entry_rank[e],
            "right_order": p,
        },
        schema=EDGE_SCHEMA,
    )


def networkx_optimum(candidates):
    """(pairs, total cost) of a maximum matching of least cost, by networkx's min-cost max-flow."""
    graph = nx.DiGraph()
    cheapest = candidates.group_by("left", "right").agg(pl.col("cost").min())  # a pair listed twice
    for left, right, cost in cheapest.iter_rows():
        graph.add_edge("source", ("L", left), capacity=1, weight=0)
        graph.add_edge(("L", left), ("R", right), capacity=1, weight=cost)
        graph.add_edge(("R", right), "sink", capacity=1, weight=0)
    flow = nx.max_flow_min_cost(graph, "source", "sink")
    return sum(flow["source"].values()), nx.cost_of_flow(graph, flow)


def assert_is_a_matching_of(result, candidates):
    assert result["left"].is_unique().all() and result["right"].is_unique().all()
    cheapest = candidates.group_by("left", "right").agg(pl.col("cost").min())
    joined = result.join(cheapest, on=["left", "right"], how="left", suffix="_candidate")
    assert joined["cost"].to_list() == joined["cost_candidate"].to_list()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hot_card_matches_independent_min_cost_flow(seed):
    candidates = hot_card(seed)
    lefts, rights = candidates["left"].n_unique(), candidates["right"].n_unique()
    # One group chains most records together (what the old matcher refused past 2,000).
    labels = nx.connected_components(
        nx.Graph([(("L", l), ("R", r)) for l, r in candidates.select("left", "right").iter_rows()])
    )
    assert max(len(c) for c in labels) > (lefts + rights) / 2
    result = max_matching(candidates)
    assert_is_a_matching_of(result, candidates)
    assert (result.height, result["cost"].sum()) == networkx_optimum(candidates)


@st.composite
def medium_graphs(draw):
    n_left, n_right = draw(st.integers(2, 25)), draw(st.integers(2, 25))
    n_edges = draw(st.integers(1, 3 * (n_left + n_right)))
    rows = [
        (
            f"L{draw(st.integers(0, n_left - 1))}",
            f"R{draw(st.integers(0, n_right - 1))}",
            draw(st.integers(0, 3)),
        )
        for _ in range(n_edges)
    ]
    return rows


@settings(max_examples=150, deadline=None)
@given(rows=medium_graphs())
def test_medium_graphs_match_independent_min_cost_flow(rows):
    candidates = edges(rows)
    result = max_matching(candidates)
    assert_is_a_matching_of(result, candidates)
    assert (result.height, result["cost"].sum()) == networkx_optimum(candidates)


def test_bad_edges_rejected():
    with pytest.raises(ValueError, match="cost must be ≥ 0"):
        max_matching(edges([("A", "1", -1)]))
    with pytest.raises(ValueError, match=r"lack columns \['right_order'\]"):
        max_matching(edges([("A", "1", 1)]).drop("right_order"))


def brute_force(rows, left_order, right_order):
    """Every matching: most pairs, then least cost, then lefts in order take the lowest right."""
    adjacent = {}
    for l, r, c in rows:
        adjacent.setdefault(l, {})
        adjacent[l][r] = min(c, adjacent[l].get(r, c))
    lefts = sorted(adjacent, key=lambda n: left_order[n])
    unmatched = float("inf")
    best = None

    def walk(i, used, chosen):
        nonlocal best
        if i == len(lefts):
            key = (
                -len([c for c in chosen if c]),
                sum(c[1] for c in chosen if c),
                tuple(right_order[c[0]] if c else unmatched for c in chosen),
            )
            if best is None or key < best[0]:
                best = (key, list(chosen))
            return
        walk(i + 1, used, [*chosen, None])
        for r, c in adjacent[lefts[i]].items():
            if r not in used:
                walk(i + 1, used | {r}, [*chosen, (r, c)])

    walk(0, frozenset(), [])
    return [(l, c[0], c[1]) for l, c in zip(lefts, best[1]) if c]


@st.composite
def small_graphs(draw, max_cost=4):
    n_left = draw(st.integers(1, 5))
    n_right = draw(st.integers(1, 5))
    cells = [(f"L{i}", f"R{j}") for i in range(n_left) for j in range(n_right)]
    present = draw(st.lists(st.sampled_from(cells), min_size=1, max_size=len(cells) + 3))
    rows = [(l, r, draw(st.integers(0, max_cost))) for l, r in present]
    left_ranks = draw(st.permutations(range(n_left)))
    right_ranks = draw(st.permutations(range(n_right)))
    left_order = {f"L{i}": left_ranks[i] for i in range(n_left)}
    right_order = {f"R{j}": right_ranks[j] for j in range(n_right)}
    return rows, left_order, right_order


@settings(max_examples=600, deadline=None)
@given(graph=small_graphs())
def test_matches_brute_force(graph):
    rows, left_order, right_order = graph
    result = max_matching(edges(rows, left_order, right_order))
    assert pairs(result) == brute_force(rows, left_order, right_order)


@settings(max_examples=400, deadline=None)
@given(graph=small_graphs(max_cost=1))
def test_tie_heavy_graphs_match_brute_force(graph):
    # Costs 0 or 1: most graphs have many optimal matchings, so the tie-break decides.
    rows, left_order, right_order = graph
    result = max_matching(edges(rows, left_order, right_order))
    assert pairs(result) == brute_force(rows, left_order, right_order)


@settings(max_examples=100, deadline=None)
@given(graphs=st.lists(small_graphs(), min_size=2, max_size=6))
def test_many_disjoint_graphs_match_brute_force_each(graphs):
    # Several components at once: each is solved as if alone.
    rows, left_order, right_order, expected = [], {}, {}, []
    for g, (g_rows, g_left, g_right) in enumerate(graphs):
        tag = f"g{g}"
        rows += [(tag + l, tag + r, c) for l, r, c in g_rows]
        left_order |= {tag + n: 10 * g + k for n, k in g_left.items()}
        right_order |= {tag + n: 10 * g + k for n, k in g_right.items()}
        expected += [(tag + l, tag + r, c) for l, r, c in brute_force(g_rows, g_left, g_right)]
    assert pairs(max_matching(edges(rows, left_order, right_order))) == expected


# --- find_splits ----------------------------------------------------------

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
PAYMENT_SCHEMA = {
    "entry_id": pl.String,
    "payment_id": pl.String,
    "payer_account": pl.String,
    "ts": pl.Datetime("us", "UTC"),
    "amount": pl.Decimal(18, 2),
}


def entry_frame(*rows):
    """(entry_id, amount, entry_order)"""
    return pl.DataFrame(
        [(e, Decimal(a), o) for e, a, o in rows],
        schema={"entry_id": pl.String, "amount": pl.Decimal(18, 2), "entry_order": pl.Int64},
        orient="row",
    )


def payment_frame(entry_ids, *payments):
    """Each payment (payment_id, payer, minutes after T0, amount) is a candidate of every entry."""
    return pl.DataFrame(
        [
            (e, p, payer, T0 + timedelta(minutes=m), Decimal(a))
            for e in entry_ids
            for p, payer, m, a in payments
        ],
        schema=PAYMENT_SCHEMA,
        orient="row",
    )


def splits(result):
    return result.rows()


def splits_of_one_entry(*payments, max_split=3):
    """The split found for one 1,000.00 entry E1 (no tolerance) among payments that all name it."""
    return splits(find_splits(entry_frame(("E1", "1000.00", 0)), payment_frame(["E1"], *payments), max_split, Decimal("0")))


def test_two_split():
    assert splits_of_one_entry(
        ("P1", "V", 1, "600.00"), ("P2", "V", 2, "400.00"), ("P3", "V", 3, "250.00")
    ) == [("E1", "P1"), ("E1", "P2")]


THREE_WAY = (("P1", "V", 1, "500.00"), ("P2", "V", 2, "300.00"), ("P3", "V", 3, "200.00"))


def test_single_payment_is_not_a_split():
    assert splits_of_one_entry(
        ("P1", "V", 1, "1000.00"), ("P2", "V", 2, "600.00"), ("P3", "V", 3, "400.00")
    ) == [("E1", "P2"), ("E1", "P3")]


def test_three_split():
    assert splits_of_one_entry(*THREE_WAY) == [("E1", "P1"), ("E1", "P2"), ("E1", "P3")]


def test_max_split_two_refuses_three_payments():
    assert splits_of_one_entry(*THREE_WAY, max_split=2) == []
    result = find_splits(entry_frame(("E1", "1000.00", 0)), payment_frame(["E1"], *THREE_WAY), 2, Decimal("0"))
    assert result.schema == pl.Schema({"entry_id": pl.String, "payment_id": pl.String})


def test_payments_of_two_payers_do_not_combine():
    assert splits_of_one_entry(("P1", "A", 1, "600.00"), ("P2", "B", 2, "400.00")) == []


def test_tolerance_in_fen():
    entries = entry_frame(("E1", "1000.00", 0))
    payments = payment_frame(["E1"], ("P1", "V", 1, "600.00"), ("P2", "V", 2, "399.95"))
    # Short by 0.05.
    assert splits(find_splits(entries, payments, 3, Decimal("0.05"))) == [("E1", "P1"), ("E1", "P2")]
    assert find_splits(entries, payments, 3, Decimal("0.04")).height == 0
    assert find_splits(entries, payments, 3, Decimal("0.049")).height == 0


def test_payment_used_by_earlier_entry_is_gone():
    # Listed E2 first, but E1 comes first by entry_order and takes both payments.
    entries = entry_frame(("E2", "1000.00", 1), ("E1", "1000.00", 0))
    payments = payment_frame(["E1", "E2"], ("P1", "V", 1, "600.00"), ("P2", "V", 2, "400.00"))
    assert splits(find_splits(entries, payments, 3, Decimal("0"))) == [("E1", "P1"), ("E1", "P2")]

    more = payment_frame(
        ["E1", "E2"],
        ("P1", "V", 1, "600.00"), ("P2", "V", 2, "400.00"),
        ("P3", "V", 3, "600.00"), ("P4", "V", 4, "400.00"),
    )
    assert splits(find_splits(entries, more, 3, Decimal("0"))) == [
        ("E1", "P1"), ("E1", "P2"), ("E2", "P3"), ("E2", "P4"),
    ]


def test_earliest_set_by_first_payment_wins():
    # {P1, P3} at minutes (1, 5) and {P2, P4} at (2, 4) both make 1000.00.
    # The set starting earlier wins even though the other one completes earlier.
    assert splits_of_one_entry(
        ("P1", "V", 1, "100.00"), ("P2", "V", 2, "500.00"),
        ("P4", "V", 4, "500.00"), ("P3", "V", 5, "900.00"),
    ) == [("E1", "P1"), ("E1", "P3")]


def test_earliest_set_across_payers_and_prefix_rule():
    # Payer A's set starts at minute 2, payer B's at minute 1: B's set wins.
    # Within B, {Q1, Q2} (700 + 300) is a prefix of {Q1, Q2, Q3} (+0.00) and so earlier.
    assert splits_of_one_entry(
        ("PA1", "A", 2, "500.00"), ("PA2", "A", 3, "500.00"),
        ("Q1", "B", 1, "700.00"), ("Q2", "B", 6, "300.00"), ("Q3", "B", 7, "0.00"),
    ) == [("E1", "Q1"), ("E1", "Q2")]


def test_same_time_payments_ordered_by_id():
    # PB and PA share a timestamp; (ts, payment_id) puts PA first, so {PA, PC} beats {PB, PC}.
    assert splits_of_one_entry(
        ("PB", "V", 1, "400.00"), ("PA", "V", 1, "400.00"), ("PC", "V", 2, "600.00")
    ) == [("E1", "PA"), ("E1", "PC")]


def test_only_the_first_payments_of_a_payer_are_searched():
    # The only fitting pair needs P3, beyond a cap of two candidates per payer.
    payments = payment_frame(
        ["E1"], ("P1", "V", 1, "1.00"), ("P2", "V", 2, "2.00"), ("P3", "V", 3, "999.00")
    )
    entries = entry_frame(("E1", "1000.00", 0))
    assert find_splits(entries, payments, 3, Decimal("0"), candidates_per_payer=2).height == 0
    assert splits(find_splits(entries, payments, 3, Decimal("0"))) == [("E1", "P1"), ("E1", "P3")]


def test_same_time_payments_ordered_by_file_then_row_number():
    # bank.csv:10 and bank.csv:9 share a timestamp: row 9 comes first (as text, "10" < "9").
    assert splits_of_one_entry(
        ("bank.csv:10", "V", 1, "400.00"), ("bank.csv:9", "V", 1, "400.00"),
        ("bank.csv:11", "V", 2, "600.00"),
    ) == [("E1", "bank.csv:9"), ("E1", "bank.csv:11")]
