"""Time max_matching on ~1M random candidate edges, nearly all in tiny components.

Not a test. Run: .venv/bin/python bench/bench_match.py [edges] [seed]

Blocks of 1-6 entries x 1-6 payments with each cell an edge with
probability 0.7 (the block's first cell always), costs 0..1800 seconds,
plus a few 40 x 40 blocks to show what chained look-alike amounts cost.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import polars as pl

from fundtrail.match import max_matching

SIZES = np.array([1, 2, 3, 4, 6])
SIZE_WEIGHTS = np.array([0.6, 0.25, 0.1, 0.04, 0.01])


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


def main() -> None:
    n_edges = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    edges = random_edges(n_edges, seed)
    start = time.perf_counter()
    result = max_matching(edges)
    elapsed = time.perf_counter() - start
    print(
        f"{edges.height:,} edges, {edges['left'].n_unique():,} lefts, "
        f"{edges['right'].n_unique():,} rights -> {result.height:,} pairs "
        f"in {elapsed:.2f} s"
    )


if __name__ == "__main__":
    main()
