"""Time max_matching: many small components, or one hot card's month in one giant one.

Not a test. Run:
    .venv/bin/python bench/bench_match.py random [edges] [seed]
    .venv/bin/python bench/bench_match.py hot [payments] [seed]
    .venv/bin/python bench/bench_match.py hot-tied [payments] [seed]

``random``: ~1M candidate edges in blocks of 1-6 entries x 1-6 payments
(each cell an edge with probability 0.7, the block's first cell always),
costs 0..1800 seconds, plus a few 40 x 40 blocks of chained look-alikes.

``hot``: one receiving card over 30 days takes ``payments`` (default
15,000) transfers of 1,000.00 / 2,000.00 / 5,000.00; nine in ten are booked
on the deposit sheet a few minutes later, to the minute (sheets are typed by
hand), and one entry in twenty books a payment that never arrived. Entry and
payment pair when amounts are equal and times within 30 minutes: the
1,000.00 transfers chain the month into one group of ~23,000 records.

``hot-tied``: the same month with every cost 0, as if both sides carried
dates only: nearly every optimal matching ties, the tie-break's worst case.

Prints where the time goes: building the network (coding, dedupe), the
min-cost flow, the potentials and the tie-break.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fundtrail import match

SIZES = np.array([1, 2, 3, 4, 6])
SIZE_WEIGHTS = np.array([0.6, 0.25, 0.1, 0.04, 0.01])
HOT_AMOUNTS = np.array([1000, 2000, 5000])
HOT_AMOUNT_WEIGHTS = np.array([0.8, 0.15, 0.05])
MONTH_SECONDS = 30 * 86400
WINDOW_SECONDS = 30 * 60


def random_edges(n_edges: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    blocks = int(n_edges / 2.2)
    n_left = rng.choice(SIZES, size=blocks, p=SIZE_WEIGHTS)
    n_right = rng.choice(SIZES, size=blocks, p=SIZE_WEIGHTS)
    n_left = np.r_[n_left, np.full(20, 40)]
    n_right = np.r_[n_right, np.full(20, 40)]
    density = np.r_[np.full(blocks, 0.7), np.full(20, 0.1)]

    cells = n_left * n_right
    block = np.repeat(np.arange(cells.size), cells)
    cell = np.arange(block.size) - np.repeat(np.cumsum(cells) - cells, cells)
    keep = (cell == 0) | (rng.random(block.size) < density[block])
    block, cell = block[keep], cell[keep]
    left = (np.cumsum(n_left) - n_left)[block] + cell // n_right[block]
    right = (np.cumsum(n_right) - n_right)[block] + cell % n_right[block]
    left_rank = rng.permutation(int(n_left.sum()))
    right_rank = rng.permutation(int(n_right.sum()))
    return pl.DataFrame(
        {
            "left": pl.Series(left).cast(pl.String),
            "right": pl.Series(right).cast(pl.String),
            "cost": rng.integers(0, 1801, size=left.size),
            "left_order": left_rank[left],
            "right_order": right_rank[right],
        }
    ).with_columns(
        left="entries.csv:" + pl.col("left"),
        right="bank.csv:" + pl.col("right"),
    )


def hot_card_edges(n_payments: int, seed: int) -> pl.DataFrame:
    """Candidate edges of one hot card's month, as entry_candidates would give them."""
    rng = np.random.default_rng(seed)
    pay_ts = np.sort(rng.integers(0, MONTH_SECONDS, size=n_payments))
    pay_amount = rng.choice(HOT_AMOUNTS, size=n_payments, p=HOT_AMOUNT_WEIGHTS)
    booked = rng.random(n_payments) < 0.9
    delay = rng.integers(0, 8 * 60, size=n_payments)
    ghosts = n_payments // 20
    entry_ts = np.r_[pay_ts[booked] + delay[booked], rng.integers(0, MONTH_SECONDS, size=ghosts)]
    entry_ts = entry_ts // 60 * 60
    entry_amount = np.r_[pay_amount[booked], rng.choice(HOT_AMOUNTS, size=ghosts, p=HOT_AMOUNT_WEIGHTS)]
    entry_row = rng.permutation(entry_ts.size)  # sheet rows are not in time order

    lefts, rights = [], []
    for amount in HOT_AMOUNTS:
        pays = np.flatnonzero(pay_amount == amount)  # already in time order
        ents = np.flatnonzero(entry_amount == amount)
        lo = np.searchsorted(pay_ts[pays], entry_ts[ents] - WINDOW_SECONDS, side="left")
        hi = np.searchsorted(pay_ts[pays], entry_ts[ents] + WINDOW_SECONDS, side="right")
        counts = hi - lo
        lefts.append(np.repeat(ents, counts))
        rights.append(pays[np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())])
    left, right = np.concatenate(lefts), np.concatenate(rights)
    # entry_order: entry time, then entry id; right_order: payment id (file, row).
    left_rank = np.empty(entry_ts.size, dtype=np.int64)
    left_rank[np.lexsort((entry_row, entry_ts))] = np.arange(entry_ts.size)
    return pl.DataFrame(
        {
            "left": pl.Series(entry_row[left]).cast(pl.String),
            "right": pl.Series(right).cast(pl.String),
            "cost": np.abs(entry_ts[left] - pay_ts[right]),
            "left_order": left_rank[left],
            "right_order": right,
        }
    ).with_columns(
        left="sheet.xlsx:" + pl.col("left"),
        right="card.csv:" + pl.col("right"),
    )


def largest_component(edges: pl.DataFrame) -> int:
    """Lefts plus rights in the largest connected component of the candidate graph."""
    left = edges["left"].cast(pl.Categorical).to_physical().to_numpy()
    right = edges["right"].cast(pl.Categorical).to_physical().to_numpy()
    n = int(max(left.max(), right.max())) + 1
    graph = coo_matrix((np.ones(left.size, dtype=np.int8), (left, n + right)), shape=(2 * n, 2 * n))
    _, labels = connected_components(graph, directed=False)
    used = np.zeros(2 * n, dtype=bool)
    used[left], used[n + right] = True, True
    return int(np.bincount(labels[used]).max())


def timed_match(edges: pl.DataFrame) -> pl.DataFrame:
    """max_matching's steps, one by one, each timed."""
    steps = {}
    start = _clock()
    coded = match._CodedEdges(edges)
    star = coded.in_stars()

    stars = coded.settle_stars(np.flatnonzero(star))
    network = match._Network(coded, np.flatnonzero(~star))
    steps[f"build, stars ({star.sum():,} edges)"] = _clock()
    network.solve_flow()
    steps[f"min-cost flow ({network.edges.size:,} edges)"] = _clock()
    network.compute_potentials()
    steps["potentials"] = _clock()
    network.break_ties()
    steps["tie-break"] = _clock()
    result = coded.pairs(np.concatenate([stars, network.chosen()]))
    steps["output"] = _clock()
    previous = start
    print(f"  {'step':<34} {'wall':>7}   {'cpu':>7}")
    for name, at in steps.items():
        print(f"  {name:<34} {at[0] - previous[0]:7.2f} s {at[1] - previous[1]:7.2f} s")
        previous = at
    print(f"  {'total':<34} {previous[0] - start[0]:7.2f} s {previous[1] - start[1]:7.2f} s")
    return result


def _clock() -> tuple[float, float]:
    """Wall and CPU seconds: on a shared machine the CPU figure is the steadier one."""
    return time.perf_counter(), time.process_time()


def main() -> None:
    kind = sys.argv[1] if len(sys.argv) > 1 else "hot"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else (1_000_000 if kind == "random" else 15_000)
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    start = time.perf_counter()
    if kind == "random":
        edges = random_edges(size, seed)
    else:
        edges = hot_card_edges(size, seed)
        if kind == "hot-tied":
            edges = edges.with_columns(cost=pl.lit(0, pl.Int64))
    print(f"{kind}: generated in {time.perf_counter() - start:.2f} s")
    print(f"largest group of linked records: {largest_component(edges):,}")
    result = timed_match(edges)
    print(
        f"{edges.height:,} edges, {edges['left'].n_unique():,} lefts, "
        f"{edges['right'].n_unique():,} rights -> {result.height:,} pairs, "
        f"total cost {result['cost'].sum():,} s"
    )
    assert result.equals(match.max_matching(edges)), "timed steps differ from max_matching"


if __name__ == "__main__":
    main()
