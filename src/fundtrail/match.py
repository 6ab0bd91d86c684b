"""The pairing steps SQL cannot state: exact bipartite matching and split payments.

``max_matching`` serves rules.md §2 (an outflow posting and its mirrored
inflow are one transfer) and §3 (one deposit-sheet entry, one payment).
``find_splits`` serves the split rule of §3 for entries still unmatched.

Both are pure functions of their input frames, so a rerun gives the same
pairs row for row.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import duckdb
import numpy as np
import polars as pl
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fundtrail import sqlrun

MATCH_SCHEMA = {"left": pl.String, "right": pl.String, "cost": pl.Int64}
SPLIT_SCHEMA = {"entry_id": pl.String, "payment_id": pl.String}
EDGE_COLUMNS = ("left", "right", "cost", "left_order", "right_order")

# OR-tools' cost-scaling solver multiplies costs by (nodes + 1) and refuses
# costs it cannot scale (BAD_COST_RANGE, measured at about 2**62 / (nodes + 1));
# the potentials computed here are sums of at most `nodes` costs. Keeping
# max cost * (nodes + 1)**2 below 2**62 leaves every int64 sum exact with room
# to spare. Real costs are seconds inside a window: 1,800 s x 10**6 nodes
# squared is still 500 times below the limit.
COST_LIMIT = 2**62

# Split candidates are payments from one payer inside one entry's window
# (±window_minutes). More than 40 from one account inside an hour is not a
# victim paying by instalments; capping there keeps the search at most
# C(40, max_split) subsets per payer (9,880 for the default max_split = 3).
SPLIT_CANDIDATES_PER_PAYER = 40


def max_matching(edges: pl.DataFrame) -> pl.DataFrame:
    """Pick pairs among candidate ``edges``: most pairs, then least total cost, then tie-break.

    ``edges``: ``left, right`` (String), ``cost`` (Int64 ≥ 0), ``left_order``,
    ``right_order`` (Int64, each node's rank in tie-break order). Returns
    ``left, right, cost``, one row per chosen pair, sorted by left_order.

    Each left and each right is used at most once. Among the matchings with
    the most pairs, those with the least total cost are optimal; among those,
    lefts are settled in left_order and each takes the right with the
    smallest right_order that still allows an optimal matching (a left left
    unmatched counts as taking a right after all others).

    A (left, right) pair listed twice counts once with its lower cost. A left
    given two different left_order values is ranked by the smaller (same for
    rights).

    Exact at any size, in integer arithmetic throughout:

    1. One min-cost maximum flow over the whole graph (OR-tools
       ``SimpleMinCostFlow``, int64) gives an optimal matching M.
    2. Shortest-path potentials on M's residual network (Bellman-Ford, only
       from nodes whose distance changed) give every residual arc a reduced
       cost ≥ 0. By LP duality, the optimal matchings are exactly those
       reached from M by turning cycles of zero reduced cost ("tight"
       cycles); a left may take a right other than its own iff the tight
       arc to it closes such a cycle.
    3. A tight cycle never leaves one strongly connected component of the
       tight residual graph, and the source and sink serve each group of
       tight edges separately (a cycle through both would be an augmenting
       path, impossible for a maximum M); so each component is settled on
       its own. Components where no left has a tight arc to a right ranked
       before its own (or, unmatched, to any right) keep M as it is. In the
       others, lefts are taken in order: the left tries its tight rights
       better than its own, lowest rank first, searching for a tight path
       back to itself through unsettled nodes; the first found is turned,
       and the left and its right are settled.
    """
    _check_edges(edges)
    if edges.height == 0:
        return pl.DataFrame(schema=MATCH_SCHEMA)

    coded = _CodedEdges(edges)
    star = coded.in_stars()
    network = _Network(coded, np.flatnonzero(~star))
    network.solve_flow()
    network.compute_potentials()
    network.break_ties()
    return coded.pairs(np.concatenate([coded.settle_stars(np.flatnonzero(star)), network.chosen()]))


class _CodedEdges:
    """Edges with lefts and rights coded 0..n-1 in rank order, each pair once at its lowest cost."""

    def __init__(self, edges: pl.DataFrame) -> None:
        self.lefts = _code_nodes(edges, "left", "left_order")
        self.rights = _code_nodes(edges, "right", "right_order")
        coded = (
            edges.join(self.lefts, on="left")
            .join(self.rights, on="right")
            .select("left_code", "right_code", "cost")
            .sort("left_code", "right_code", "cost")
            .unique(subset=["left_code", "right_code"], keep="first", maintain_order=True)
        )
        self.left = coded["left_code"].to_numpy().astype(np.int64)
        self.right = coded["right_code"].to_numpy().astype(np.int64)
        self.cost = coded["cost"].to_numpy().astype(np.int64)
        self.n_left, self.n_right = self.lefts.height, self.rights.height

    def in_stars(self) -> np.ndarray:
        """Edges of connected components with a single left or a single right."""
        n = self.n_left + self.n_right
        graph = coo_matrix(
            (np.ones(self.left.size, dtype=np.int8), (self.left, self.n_left + self.right)),
            shape=(n, n),
        )
        _, labels = connected_components(graph, directed=False)
        self.component = labels[self.left]
        lefts_in = np.bincount(labels[: self.n_left], minlength=labels.max() + 1)
        rights_in = np.bincount(labels[self.n_left :], minlength=labels.max() + 1)
        return (lefts_in[self.component] == 1) | (rights_in[self.component] == 1)

    def settle_stars(self, idx: np.ndarray) -> np.ndarray:
        """A star's matching is one edge: the cheapest, then the first in order.

        With one left, ties go to the right first in right_order; with one
        right, to the left first in left_order: both are "lowest (left,
        right) code" among the cheapest edges.
        """
        if idx.size == 0:
            return idx
        comp = self.component
        idx = idx[np.lexsort((self.right[idx], self.left[idx], self.cost[idx], comp[idx]))]
        return idx[np.r_[True, comp[idx][1:] != comp[idx][:-1]]]

    def pairs(self, chosen: np.ndarray) -> pl.DataFrame:
        chosen = chosen[np.argsort(self.left[chosen], kind="stable")]
        return pl.DataFrame(
            {
                "left": self.lefts["left"].gather(self.left[chosen]),
                "right": self.rights["right"].gather(self.right[chosen]),
                "cost": self.cost[chosen],
            },
            schema=MATCH_SCHEMA,
        )


def _check_edges(edges: pl.DataFrame) -> None:
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise ValueError(f"max_matching: edges lack columns {missing}; got {edges.columns}")
    nulls = [c for c in EDGE_COLUMNS if edges[c].null_count()]
    if nulls:
        raise ValueError(f"max_matching: edges have nulls in {nulls}")
    if edges.height and edges["cost"].min() < 0:
        raise ValueError(f"max_matching: cost must be ≥ 0, got {edges['cost'].min()}")


def _code_nodes(edges: pl.DataFrame, name: str, order: str) -> pl.DataFrame:
    """Integer codes 0..n-1 in tie-break order, so code order is rank order."""
    return (
        edges.group_by(name)
        .agg(pl.col(order).min())
        .sort(order, name)
        .with_row_index(f"{name}_code")
        .select(name, f"{name}_code")
    )


class _Network:
    """The matching of some coded ``edges`` as a flow network: source → lefts → rights → sink.

    All capacities 1. Node numbers: the edges' lefts 0..n_left-1 and rights
    n_left..n_left+n_right-1, both in rank order, then the source and the
    sink. Edges stay sorted by left, then right; ``matched`` marks the edges
    in the matching.
    """

    def __init__(self, coded: _CodedEdges, edges: np.ndarray) -> None:
        self.edges = edges
        lefts, self.left = np.unique(coded.left[edges], return_inverse=True)
        rights, self.right = np.unique(coded.right[edges], return_inverse=True)
        self.cost = coded.cost[edges]
        self.n_left, self.n_right = lefts.size, rights.size
        self.source = self.n_left + self.n_right
        self.sink = self.source + 1
        self.n_nodes = self.sink + 1
        max_cost = int(self.cost.max()) if self.cost.size else 0
        if max_cost * (self.n_nodes + 1) ** 2 >= COST_LIMIT:
            raise ValueError(
                f"max_matching: cost {max_cost} too large to match {self.n_nodes - 2} linked records "
                f"exactly in int64 (need cost x (records + 3)**2 < 2**62)"
            )
        self.matched = np.zeros(edges.size, dtype=bool)
        self.potential = np.zeros(self.n_nodes, dtype=np.int64)

    def chosen(self) -> np.ndarray:
        """Indices, among the coded edges, of the edges in the matching."""
        return self.edges[self.matched]

    def solve_flow(self) -> None:
        """An optimal matching M: maximum flow of minimum cost (OR-tools, exact in int64)."""
        if self.edges.size == 0:
            return
        lefts = np.arange(self.n_left, dtype=np.int64)
        rights = self.n_left + np.arange(self.n_right, dtype=np.int64)
        tails = np.concatenate([self.left, np.full(self.n_left, self.source), rights])
        heads = np.concatenate([self.n_left + self.right, lefts, np.full(self.n_right, self.sink)])
        costs = np.concatenate([self.cost, np.zeros(self.n_left + self.n_right, dtype=np.int64)])
        solver = SimpleMinCostFlow()
        arcs = solver.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32), heads.astype(np.int32), np.ones(tails.size, dtype=np.int64), costs
        )
        supply = min(self.n_left, self.n_right)
        solver.set_nodes_supplies(
            np.array([self.source, self.sink], dtype=np.int32), np.array([supply, -supply])
        )
        status = solver.solve_max_flow_with_min_cost()
        if status != SimpleMinCostFlow.OPTIMAL:
            raise RuntimeError(f"max_matching: min-cost flow solver stopped with status {status!r}")
        self.matched = np.asarray(solver.flows(arcs[: self.left.size])) == 1

    def residual_arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tail, head, cost) of every arc of M's residual network."""
        left_node, right_node = self.left, self.n_left + self.right
        m = self.matched
        left_matched = np.zeros(self.n_left, dtype=bool)
        left_matched[self.left[m]] = True
        right_matched = np.zeros(self.n_right, dtype=bool)
        right_matched[self.right[m]] = True
        lefts = np.arange(self.n_left)
        rights = self.n_left + np.arange(self.n_right)
        source = np.full(self.n_left, self.source)
        sink = np.full(self.n_right, self.sink)
        tail = np.concatenate([
            np.where(m, right_node, left_node),
            np.where(left_matched, lefts, source),
            np.where(right_matched, sink, rights),
        ])
        head = np.concatenate([
            np.where(m, left_node, right_node),
            np.where(left_matched, source, lefts),
            np.where(right_matched, rights, sink),
        ])
        hub_costs = np.zeros(lefts.size + rights.size, np.int64)
        cost = np.concatenate([np.where(m, -self.cost, self.cost), hub_costs])
        return tail, head, cost

    def compute_potentials(self) -> None:
        """Distances from a virtual root joined to every node by a 0 arc, so reduced costs are ≥ 0.

        M is optimal, so its residual network has no negative cycle and
        Bellman-Ford ends; each round relaxes only the arcs leaving nodes
        whose distance fell in the round before.
        """
        if self.edges.size == 0:
            return
        tail, head, cost = self.residual_arcs()
        order = np.argsort(tail, kind="stable")
        tail, head, cost = tail[order], head[order], cost[order]
        start = np.searchsorted(tail, np.arange(self.n_nodes + 1))
        distance = np.zeros(self.n_nodes, dtype=np.int64)
        frontier = np.arange(self.n_nodes)
        for _ in range(self.n_nodes + 1):
            counts = start[frontier + 1] - start[frontier]
            arcs = np.repeat(start[frontier] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
            reach = distance[tail[arcs]] + cost[arcs]
            better = reach < distance[head[arcs]]
            if not better.any():
                self.potential = distance
                return
            np.minimum.at(distance, head[arcs[better]], reach[better])
            frontier = np.unique(head[arcs[better]])
        raise RuntimeError("max_matching: negative cycle in the residual network; the flow is not optimal")

    def break_ties(self) -> None:
        """Among optimal matchings, the one whose lefts, in order, take the lowest-ranked rights."""
        if self.edges.size == 0:
            return
        tail, head, cost = self.residual_arcs()
        tight = cost + self.potential[tail] - self.potential[head] == 0
        tail, head = tail[tight], head[tight]
        hub = (tail >= self.source) | (head >= self.source)

        # Groups of tight edges, each with its own copy of the source and sink.
        n = self.source
        edge_graph = coo_matrix(
            (np.ones(int((~hub).sum()), dtype=np.int8), (tail[~hub], head[~hub])), shape=(n, n)
        )
        _, group = connected_components(edge_graph, directed=False)
        member = np.where(tail[hub] < n, tail[hub], head[hub])
        private_hub = n + 2 * group[member] + (np.maximum(tail[hub], head[hub]) - self.source)
        tail[hub] = np.where(tail[hub] < n, tail[hub], private_hub)
        head[hub] = np.where(head[hub] < n, head[hub], private_hub)
        size = n + 2 * (int(group.max()) + 1)
        graph = coo_matrix((np.ones(tail.size, dtype=np.int8), (tail, head)), shape=(size, size))
        _, scc = connected_components(graph, directed=True, connection="strong")
        inside = scc[tail] == scc[head]
        tail, head = tail[inside], head[inside]

        mate_of_left = np.full(self.n_left, -1, dtype=np.int64)
        mate_of_left[self.left[self.matched]] = self.n_left + self.right[self.matched]
        # A left with a tight arc to a right ranked before its own (or any, when unmatched).
        offers = (tail < self.n_left) & (head >= self.n_left) & (head < n)
        offers &= (mate_of_left[tail.clip(max=self.n_left - 1)] < 0) | (
            head < mate_of_left[tail.clip(max=self.n_left - 1)]
        )
        busy = np.unique(scc[tail[offers]])
        if busy.size == 0:
            return
        keep = np.isin(scc[tail], busy)
        tail, head = tail[keep], head[keep]
        tail, head = self._presort(tail, head, scc, mate_of_left)
        order = np.lexsort((head, tail, scc[tail]))
        tail, head = tail[order], head[order]

        mate = {int(u): int(r) for u, r in enumerate(mate_of_left.tolist()) if r >= 0}
        mate |= {r: u for u, r in list(mate.items())}
        comp = scc[tail]
        bounds = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1], True])
        for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            self._settle_in_order(tail[start:end].tolist(), head[start:end].tolist(), mate)

        right_node = self.n_left + self.right
        self.matched = np.array(
            [mate.get(u) == r for u, r in zip(self.left.tolist(), right_node.tolist())], dtype=bool
        )

    def _presort(
        self, tail: np.ndarray, head: np.ndarray, scc: np.ndarray, mate_of_left: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Turn tight cycles so that earlier lefts tend to hold lower-ranked rights; only for speed.

        A min-cost circulation on the tight arcs (OR-tools) with the
        rearrangement weight (lefts in component - left rank) x right rank
        per pair: it pairs lefts and rights in the same order where it can,
        which is what the tie-break mostly wants, so few lefts then need a
        search. Every tight cycle keeps the matching optimal, so the
        tie-break stays exact whatever this returns. Updates
        ``mate_of_left`` and returns the arcs with the turned ones reversed.
        """
        n = self.source
        real = np.unique(np.concatenate([tail, head]))
        real = real[real < n]
        is_left = real < self.n_left
        local = np.empty(real.size, dtype=np.int64)
        for side in (is_left, ~is_left):
            nodes = real[side]
            order = np.lexsort((nodes, scc[nodes]))
            group = scc[nodes][order]
            first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
            rank = np.arange(nodes.size) - np.repeat(first, np.diff(np.r_[first, nodes.size]))
            ranks = np.empty(nodes.size, dtype=np.int64)
            ranks[order] = rank
            local[np.flatnonzero(side)] = ranks
        lefts_in = np.bincount(scc[real[is_left]], minlength=int(scc.max()) + 1)
        rank_of = dict(zip(real.tolist(), local.tolist()))

        edge = (tail < n) & (head < n)
        u = np.where(tail < self.n_left, tail, head)[edge]
        r = np.where(tail < self.n_left, head, tail)[edge]
        u_rank = np.array([rank_of[x] for x in u.tolist()], dtype=np.int64)
        r_rank = np.array([rank_of[x] for x in r.tolist()], dtype=np.int64)
        weight = (lefts_in[scc[u]] - u_rank) * r_rank
        cost = np.zeros(tail.size, dtype=np.int64)
        cost[edge] = np.where(tail[edge] < self.n_left, weight, -weight)

        nodes, coded = np.unique(np.concatenate([tail, head]), return_inverse=True)
        if cost.size == 0 or int(np.abs(cost).max()) * (nodes.size + 1) ** 2 >= COST_LIMIT:
            return tail, head
        solver = SimpleMinCostFlow()
        arcs = solver.add_arcs_with_capacity_and_unit_cost(
            coded[: tail.size].astype(np.int32),
            coded[tail.size :].astype(np.int32),
            np.ones(tail.size, dtype=np.int64),
            cost,
        )
        if solver.solve() != SimpleMinCostFlow.OPTIMAL:
            return tail, head
        turned = np.asarray(solver.flows(arcs)) == 1
        leaves = turned & (tail < self.n_left) & (head >= n)
        mate_of_left[tail[leaves]] = -1
        takes = turned & (tail < self.n_left) & (head < n)
        mate_of_left[tail[takes]] = head[takes]
        return np.where(turned, head, tail), np.where(turned, tail, head)

    def _settle_in_order(self, tails: list[int], heads: list[int], mate: dict[int, int]) -> None:
        """Settle the lefts of one tight component in order, turning tight cycles in ``mate``.

        ``tails, heads``: the component's tight residual arcs. ``mate`` maps
        each matched left to its right and back, and is updated in place.
        """
        out: dict[int, set[int]] = {}
        for a, b in zip(tails, heads):
            out.setdefault(a, set()).add(b)
        n_left, n_real = self.n_left, self.source
        settled: set[int] = set()
        for u in sorted(v for v in out if v < n_left):
            own = mate.get(u, n_real)
            better = sorted(r for r in out[u] if n_left <= r < own and r not in settled)
            path = self._path_back(better, u, out, settled)
            if path is not None:
                cycle = [u, *path]
                for a, b in zip(cycle, cycle[1:]):
                    out[a].discard(b)
                    out.setdefault(b, set()).add(a)
                for a, b in zip(cycle, cycle[1:]):
                    if a < n_left and b < n_real:  # a takes right b
                        mate[a], mate[b] = b, a
                    elif a < n_left:  # a → source: a leaves the matching
                        del mate[a]
                    elif a >= n_real and b >= n_left:  # sink → right b: b leaves the matching
                        del mate[b]
            settled.add(u)
            if u in mate:
                settled.add(mate[u])

    @staticmethod
    def _path_back(
        starts: list[int], target: int, out: dict[int, set[int]], settled: set[int]
    ) -> list[int] | None:
        """Tight path from the first start (in the given order) that reaches ``target``, or None.

        Depth-first, one arc at a time, so a hub with thousands of arcs is
        not scanned whole when an early arc leads on. Nodes one failed start
        reaches cannot reach the target either, so the searches share one
        visited set.
        """
        seen: set[int] = set()
        for first in starts:
            if first in seen:
                continue
            seen.add(first)
            path = [first]
            stack = [iter(out.get(first, ()))]
            while stack:
                for nxt in stack[-1]:
                    if nxt == target:
                        return [*path, target]
                    if nxt not in seen and nxt not in settled:
                        seen.add(nxt)
                        path.append(nxt)
                        stack.append(iter(out.get(nxt, ())))
                        break
                else:
                    stack.pop()
                    path.pop()
        return None


def find_splits(
    entries: pl.DataFrame,
    candidates: pl.DataFrame,
    max_split: int,
    tolerance: Decimal,
    *,
    candidates_per_payer: int = SPLIT_CANDIDATES_PER_PAYER,
) -> pl.DataFrame:
    """Match still-unmatched entries to splits: 2..max_split payments from one payer (rules.md §3).

    ``entries``: ``entry_id``, ``amount`` (Decimal), ``entry_order`` (Int64).
    ``candidates``: ``entry_id, payment_id, payer_account, ts, amount``, the
    still-unmatched payments SQL found eligible for each entry (window,
    receiving account, victim). Returns ``entry_id, payment_id``, one row
    per payment of each split found, in entry order then payment order.

    Entries are processed in entry_order; a payment used by one entry is gone
    for later entries. A set qualifies when its payments come from one
    payer_account and their amounts add up to the entry's amount within
    ``tolerance`` (exact, in integer fen). "The earliest such set" is the one
    whose payments, each keyed by (ts, payment_id) and sorted by that key,
    form the lexicographically smallest sequence of keys, over every payer;
    a set that is a prefix of another is earlier. Payment ids ``<file>:<row>``
    order by file, then row number (bank.csv:9 before bank.csv:10), as
    entry_candidates ranks them for single matches.

    Only the first ``candidates_per_payer`` payments of each payer for an
    entry, by (ts, payment_id), are searched (see SPLIT_CANDIDATES_PER_PAYER).
    """
    if max_split < 2 or entries.height == 0 or candidates.height == 0:
        return pl.DataFrame(schema=SPLIT_SCHEMA)
    slack = int((Decimal(tolerance) * 100).to_integral_value(rounding=ROUND_FLOOR))

    pool = (
        candidates.join(entries.select("entry_id"), on="entry_id", how="semi")
        .unique(subset=["entry_id", "payment_id"], keep="first")
        .with_columns(fen=(pl.col("amount") * 100).cast(pl.Int64))
        .join(_id_ranks(candidates["payment_id"]), on="payment_id")
        .sort("entry_id", "payer_account", "ts", "payment_rank")
        .filter(pl.int_range(pl.len()).over("entry_id", "payer_account") < candidates_per_payer)
    )
    if pool.height and pool["fen"].min() < 0:
        raise ValueError("find_splits: payment amounts must not be negative")
    by_entry = {
        key[0]: group.partition_by("payer_account", maintain_order=True)
        for key, group in pool.partition_by("entry_id", as_dict=True, maintain_order=True).items()
    }
    order = entries.select(
        "entry_id", fen=(pl.col("amount") * 100).cast(pl.Int64), order=pl.col("entry_order")
    ).sort("order", "entry_id")

    used: set[str] = set()
    found_entries: list[str] = []
    found_payments: list[str] = []
    for entry_id, target in order.select("entry_id", "fen").iter_rows():
        best: list[tuple[object, int, str]] | None = None
        for payer in by_entry.get(entry_id, []):
            keys = [
                (ts, rank, pid)
                for ts, rank, pid in zip(
                    payer["ts"].to_list(), payer["payment_rank"].to_list(), payer["payment_id"].to_list()
                )
                if pid not in used
            ]
            if len(keys) < 2:
                continue
            fen_of = dict(zip(payer["payment_id"].to_list(), payer["fen"].to_list()))
            subset = _earliest_subset([fen_of[pid] for *_, pid in keys], target, slack, max_split)
            if subset is not None:
                picked = [keys[i] for i in subset]
                if best is None or picked < best:
                    best = picked
        if best is not None:
            used.update(pid for *_, pid in best)
            found_entries.extend([entry_id] * len(best))
            found_payments.extend(pid for *_, pid in best)
    return pl.DataFrame(
        {"entry_id": found_entries, "payment_id": found_payments}, schema=SPLIT_SCHEMA
    )


def _id_ranks(ids: pl.Series) -> pl.DataFrame:
    """``payment_id, payment_rank``: ids ranked by the row-id order of sql/macros/row_id_order.sql
    (file, then row number, then id), as entry_candidates.sql ranks them for single matches; the
    macro runs in a DuckDB of its own so that the order is written once."""
    payment_ids = ids.unique().to_frame("payment_id")
    with duckdb.connect() as con:
        sqlrun.build(con, ["row_id_order"])
        return con.sql(
            "select payment_id, (dense_rank() over (order by row_id_order(payment_id)) - 1)::BIGINT as payment_rank"
            " from payment_ids"
        ).pl()


def _earliest_subset(
    amounts: list[int], target: int, slack: int, max_split: int
) -> tuple[int, ...] | None:
    """Lexicographically smallest index set of size 2..max_split whose sum is within slack of target.

    Depth-first search in index order visits sets in lexicographic order
    (a set before its extensions), so the first hit is the answer. Amounts
    are ≥ 0, so a partial sum above the range, or one that cannot reach it
    even with the largest remaining amounts, ends its branch.
    """
    low, high = target - slack, target + slack
    n = len(amounts)
    # reach[i][r]: the most that r more amounts taken from amounts[i:] can add.
    reach = []
    for i in range(n + 1):
        largest = sorted(amounts[i:], reverse=True)[:max_split]
        sums = [0]
        for a in largest:
            sums.append(sums[-1] + a)
        sums += [sums[-1]] * (max_split + 1 - len(sums))
        reach.append(sums)

    def search(start: int, chosen: tuple[int, ...], total: int) -> tuple[int, ...] | None:
        if len(chosen) >= 2 and low <= total <= high:
            return chosen
        if len(chosen) == max_split:
            return None
        slots_after = max_split - len(chosen) - 1
        for i in range(start, n):
            grown = total + amounts[i]
            if grown > high or grown + reach[i + 1][slots_after] < low:
                continue
            hit = search(i + 1, (*chosen, i), grown)
            if hit is not None:
                return hit
        return None

    return search(0, (), 0)
