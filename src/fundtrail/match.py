"""The pairing steps SQL cannot state: exact bipartite matching and split payments.

``max_matching`` serves rules.md §2 (an outflow posting and its mirrored
inflow are one transfer) and §3 (one deposit-sheet entry, one payment).
``find_splits`` serves the split rule of §3 for entries still unmatched.

Both are pure functions of their input frames, so a rerun gives the same
pairs row for row.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from fundtrail.errors import FundtrailError

MATCH_SCHEMA = {"left": pl.String, "right": pl.String, "cost": pl.Int64}
SPLIT_SCHEMA = {"entry_id": pl.String, "payment_id": pl.String}
EDGE_COLUMNS = ("left", "right", "cost", "left_order", "right_order")

# A component this large means candidate windows chain thousands of records
# together (e.g. a hot account taking identical round amounts all day). Time
# grows about cubically: measured ~0.5 s at 2,000 nodes, ~8 s at 4,000, ~90 s
# at 8,000. Past the limit the run stops and says so instead of seeming to hang.
MAX_COMPONENT_NODES = 2000

# linear_sum_assignment computes in float64. Integer-valued entries stay exact
# while every sum it forms stays below 2**53; its potentials and path lengths
# are sums of at most rows + cols entries, so each entry is kept below
# EXACT_LIMIT / (rows + cols + 2).
EXACT_LIMIT = 2**52

# Split candidates are payments from one payer inside one entry's window
# (±window_minutes). More than 40 from one account inside an hour is not a
# victim paying by instalments; capping there keeps the search at most
# C(40, max_split) subsets per payer (9,880 for the default max_split = 3).
SPLIT_CANDIDATES_PER_PAYER = 40


class MatchingTooLargeError(FundtrailError):
    """Candidate pairs chain so many records into one group that exact matching would not finish."""


def max_matching(
    edges: pl.DataFrame, *, max_component_nodes: int = MAX_COMPONENT_NODES
) -> pl.DataFrame:
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

    The graph is split into connected components; components with one left
    or one right are settled vectorised, every other component by exact
    assignment (scipy ``linear_sum_assignment``) on a dense matrix whose
    integer weights encode the three criteria at once, in chunks of lefts
    small enough to stay exact in float64. A component of more than
    ``max_component_nodes`` lefts and rights raises MatchingTooLargeError
    (measured, 2 cores: ~0.5 s for 1,000 x 1,000 nodes at 5 edges per left,
    ~8 s at 2,000 x 2,000, ~90 s at 4,000 x 4,000).
    """
    _check_edges(edges)
    if edges.height == 0:
        return pl.DataFrame(schema=MATCH_SCHEMA)

    lefts = _code_nodes(edges, "left", "left_order")
    rights = _code_nodes(edges, "right", "right_order")
    coded = (
        edges.join(lefts, on="left")
        .join(rights, on="right")
        .select("left_code", "right_code", "cost")
        .sort("left_code", "right_code", "cost")
        .unique(subset=["left_code", "right_code"], keep="first", maintain_order=True)
    )
    left_code = coded["left_code"].to_numpy().astype(np.int64)
    right_code = coded["right_code"].to_numpy().astype(np.int64)
    cost = coded["cost"].to_numpy().astype(np.int64)
    n_left, n_right = lefts.height, rights.height

    graph = coo_matrix(
        (np.ones(left_code.size, dtype=np.int8), (left_code, n_left + right_code)),
        shape=(n_left + n_right, n_left + n_right),
    )
    _, labels = connected_components(graph, directed=False)
    component = labels[left_code]
    lefts_in = np.bincount(labels[:n_left], minlength=labels.max() + 1)
    rights_in = np.bincount(labels[n_left:], minlength=labels.max() + 1)

    too_big = np.flatnonzero(lefts_in + rights_in > max_component_nodes)
    if too_big.size:
        _raise_too_large(too_big[0], labels, lefts, lefts_in, rights_in, max_component_nodes)

    star = (lefts_in[component] == 1) | (rights_in[component] == 1)
    chosen = [_settle_stars(np.flatnonzero(star), component, left_code, right_code, cost)]

    rest = np.flatnonzero(~star)
    if rest.size:
        rest = rest[np.lexsort((right_code[rest], left_code[rest], component[rest]))]
        local_left = _rank_within_component(labels[:n_left])
        local_right = _rank_within_component(labels[n_left:])
        rows = local_left[left_code[rest]]
        cols = local_right[right_code[rest]]
        one_shot = _fits_one_shot(labels[:n_left], left_code[rest], cost[rest], lefts_in, rights_in)[
            component[rest]
        ]
        small = rest[one_shot]
        picked = _solve_small_components(
            component[small], left_code[small], rows[one_shot], cols[one_shot], cost[small],
            lefts_in, rights_in,
        )
        chosen.append(small[picked])

        large = rest[~one_shot]
        rows, cols = rows[~one_shot], cols[~one_shot]
        for start, end in _runs(component[large]):
            c = component[large[start]]
            picked = _solve_component(
                rows[start:end], cols[start:end], cost[large[start:end]], int(rights_in[c])
            )
            chosen.append(large[start:end][picked])

    pick = np.concatenate(chosen)
    pick = pick[np.argsort(left_code[pick], kind="stable")]
    return pl.DataFrame(
        {
            "left": lefts["left"].gather(left_code[pick]),
            "right": rights["right"].gather(right_code[pick]),
            "cost": cost[pick],
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


def _rank_within_component(labels: np.ndarray) -> np.ndarray:
    """Each node's index among its component's nodes of the same side, in code order."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    group_start = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    sizes = np.diff(np.r_[group_start, labels.size])
    rank = np.empty(labels.size, dtype=np.int64)
    rank[order] = np.arange(labels.size) - np.repeat(group_start, sizes)
    return rank


def _settle_stars(
    idx: np.ndarray,
    component: np.ndarray,
    left_code: np.ndarray,
    right_code: np.ndarray,
    cost: np.ndarray,
) -> np.ndarray:
    """Components with one left or one right take exactly one edge: the cheapest, then first in order.

    With one left, ties go to the right first in right_order; with one
    right, to the left first in left_order: both are "lowest (left, right)
    code" among the cheapest edges.
    """
    if idx.size == 0:
        return idx
    idx = idx[np.lexsort((right_code[idx], left_code[idx], cost[idx], component[idx]))]
    comp = component[idx]
    return idx[np.r_[True, comp[1:] != comp[:-1]]]


def _runs(keys: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of equal values in a sorted array."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if keys.size else keys
    return list(zip(starts.tolist(), np.r_[starts[1:], keys.size].tolist()))


def _fits_one_shot(
    left_labels: np.ndarray,
    edge_left: np.ndarray,
    edge_cost: np.ndarray,
    lefts_in: np.ndarray,
    rights_in: np.ndarray,
) -> np.ndarray:
    """Per component: can all its lefts go in one chunk of ``_solve_component``'s weights?

    Estimated in log2 with two bits to spare, so float rounding cannot
    admit a component whose weights would not be exact.
    """
    deg = np.bincount(edge_left, minlength=left_labels.size)
    max_cost = np.zeros(left_labels.size, dtype=np.int64)
    np.maximum.at(max_cost, edge_left, edge_cost)
    cost_bound = np.bincount(left_labels, weights=max_cost, minlength=lefts_in.size) + 1
    log_width = np.bincount(left_labels, weights=np.log2(deg + 1), minlength=lefts_in.size)
    needed = log_width + np.log2(cost_bound + 1) + np.log2(lefts_in + rights_in + 2)
    return needed <= np.log2(EXACT_LIMIT) - 2


def _solve_small_components(
    comp: np.ndarray,
    edge_left: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    costs: np.ndarray,
    lefts_in: np.ndarray,
    rights_in: np.ndarray,
) -> np.ndarray:
    """``_solve_component`` for many components that each fit one chunk, weights built vectorised.

    Edges are sorted by component, row, col. Only the assignment itself
    runs once per component.
    """
    if comp.size == 0:
        return comp
    left_start = np.flatnonzero(np.r_[True, edge_left[1:] != edge_left[:-1]])
    deg = np.diff(np.r_[left_start, edge_left.size])
    left_comp = comp[left_start]
    left_row = rows[left_start]
    max_cost = np.maximum.reduceat(costs, left_start)

    cost_bound = np.zeros(lefts_in.size, dtype=np.int64)
    np.add.at(cost_bound, left_comp, max_cost)
    cost_bound += 1
    # place[i] = product of (deg + 1) over the later lefts of i's component.
    place = np.ones(left_start.size, dtype=np.int64)
    later = np.flatnonzero(np.r_[left_comp[1:] == left_comp[:-1], False])
    for row in np.unique(left_row[later])[::-1]:
        at = later[left_row[later] == row]
        place[at] = place[at + 1] * (deg[at + 1] + 1)
    first = np.r_[True, left_comp[1:] != left_comp[:-1]]
    width = np.zeros(lefts_in.size, dtype=np.int64)
    width[left_comp[first]] = place[first] * (deg[first] + 1)

    edge_rank = np.repeat(np.arange(left_start.size), deg)
    position = np.arange(edge_left.size) - left_start[edge_rank]
    w = width[comp]
    weight = (
        -w * cost_bound[comp] + w * costs + (position - deg[edge_rank]) * place[edge_rank]
    ).astype(np.float64)
    cell = rows * rights_in[comp] + cols

    chosen = []
    for start, end in _runs(comp):
        c = comp[start]
        matrix = np.zeros((lefts_in[c], rights_in[c]), dtype=np.float64)
        matrix[rows[start:end], cols[start:end]] = weight[start:end]
        assigned_rows, assigned_cols = linear_sum_assignment(matrix)
        real = matrix[assigned_rows, assigned_cols] < 0
        picked_cells = assigned_rows[real] * rights_in[c] + assigned_cols[real]
        chosen.append(start + np.searchsorted(cell[start:end], picked_cells))
    return np.concatenate(chosen)


def _solve_component(
    rows: np.ndarray, cols: np.ndarray, costs: np.ndarray, n_cols: int
) -> np.ndarray:
    """Indices of the chosen edges of one component (edges sorted by row, then col).

    Lexicographic goals become one integer weight per edge. For the next
    chunk of unsettled rows (in order) with d_i live edges each, row i's
    choice is a digit: the position of its column among its live columns,
    d_i when unmatched; with place values P_i the chunk reads as a number
    L < W = prod(d_i + 1). Edge weight = -K + W * cost + (position - d_i) * P_i,
    with K = W * (C + 1) and C a bound on any matching's total cost: one
    more pair (-K) outweighs any change of cost and digits, one unit of
    cost (W) outweighs any change of digits. Non-edges weigh 0 (unmatched).
    The chunk's rows are then fixed as solved, which is consistent with an
    optimal matching of the rest, and the next chunk is solved on what
    remains. A chunk grows while the weights stay exact in float64.
    """
    chosen: list[int] = []
    live = np.ones(rows.size, dtype=bool)
    col_free = np.ones(n_cols, dtype=bool)
    while live.any():
        idx = np.flatnonzero(live)
        row_ids, row_of = np.unique(rows[idx], return_inverse=True)
        col_ids, col_of = np.unique(cols[idx], return_inverse=True)
        deg = np.bincount(row_of, minlength=row_ids.size)
        max_cost = np.zeros(row_ids.size, dtype=np.int64)
        np.maximum.at(max_cost, row_of, costs[idx])
        cost_bound = int(max_cost.sum()) + 1
        size = row_ids.size + col_ids.size + 2

        width, chunk = 1, 0
        while chunk < row_ids.size:
            wider = width * (int(deg[chunk]) + 1)
            if (wider * cost_bound + wider) * size > EXACT_LIMIT:
                break
            width, chunk = wider, chunk + 1
        if chunk == 0:
            raise ValueError(
                f"max_matching: costs too large to match exactly (sum of costs bound {cost_bound - 1})"
            )

        place = np.zeros(row_ids.size, dtype=np.int64)
        place[:chunk] = width // np.cumprod(deg[:chunk] + 1)
        first_of_row = np.r_[0, np.cumsum(deg)[:-1]]
        position = np.arange(idx.size) - first_of_row[row_of]
        weight = (
            -width * cost_bound
            + width * costs[idx]
            + (position - deg[row_of]) * place[row_of]
        )
        matrix = np.zeros((row_ids.size, col_ids.size), dtype=np.float64)
        matrix[row_of, col_of] = weight
        edge_at = np.full((row_ids.size, col_ids.size), -1, dtype=np.int64)
        edge_at[row_of, col_of] = np.arange(idx.size)

        assigned_rows, assigned_cols = linear_sum_assignment(matrix)
        settled = assigned_rows < chunk
        edge = edge_at[assigned_rows[settled], assigned_cols[settled]]
        edge = idx[edge[edge >= 0]]
        chosen.extend(edge.tolist())
        col_free[cols[edge]] = False
        live &= (rows > row_ids[chunk - 1]) & col_free[cols]
    return np.asarray(chosen, dtype=np.int64)


def _raise_too_large(
    comp: int,
    labels: np.ndarray,
    lefts: pl.DataFrame,
    lefts_in: np.ndarray,
    rights_in: np.ndarray,
    limit: int,
) -> None:
    members = np.flatnonzero(labels[: lefts.height] == comp)[:3]
    sample = ", ".join(lefts["left"].gather(members).to_list())
    raise MatchingTooLargeError(
        f"candidate pairs link {lefts_in[comp]} records to {rights_in[comp]} others in one group "
        f"(limit {limit} together), e.g. {sample}: too many look-alike amounts inside one "
        f"time window; narrow the window or the amount tolerance in case.toml [matching]"
    )


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
    a set that is a prefix of another is earlier.

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
        .sort("entry_id", "payer_account", "ts", "payment_id")
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
        best: list[tuple[object, str]] | None = None
        for payer in by_entry.get(entry_id, []):
            keys = [
                (ts, pid)
                for ts, pid in zip(payer["ts"].to_list(), payer["payment_id"].to_list())
                if pid not in used
            ]
            if len(keys) < 2:
                continue
            fen_of = dict(zip(payer["payment_id"].to_list(), payer["fen"].to_list()))
            subset = _earliest_subset([fen_of[pid] for _, pid in keys], target, slack, max_split)
            if subset is not None:
                picked = [keys[i] for i in subset]
                if best is None or picked < best:
                    best = picked
        if best is not None:
            used.update(pid for _, pid in best)
            found_entries.extend([entry_id] * len(best))
            found_payments.extend(pid for _, pid in best)
    return pl.DataFrame(
        {"entry_id": found_entries, "payment_id": found_payments}, schema=SPLIT_SCHEMA
    )


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
