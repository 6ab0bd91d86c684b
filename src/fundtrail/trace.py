"""Tracing money onward (rules.md §7) and allotting frozen money to victims (§8).

``build_tracing(con, case)`` runs on a case database where the transfers and
the marts are built. SQL (sql/trace/) says everything that is a set: which
accounts are traced, the events in the order they run, the leads, the
recoveries' claims. What is left here is sequential: lots are taken out of an
account in the order events happen, under four methods at once, in integer
fen. Lots are small Python lists ``[origin_id, hop, fen]``; accounts and
origins are integers numbered by SQL (trace_nodes, trace_origins), and the
parts written back are integer columns that SQL turns into the output tables.

Recoveries use exact fractions until one largest-remainder rounding per
frozen account and allocation.
"""

from __future__ import annotations

import time
from array import array
from collections import deque
from fractions import Fraction

import duckdb
import numpy as np
import polars as pl

from fundtrail import sqlrun
from fundtrail.config import CaseConfig
from fundtrail.errors import FundtrailError, InvariantError

METHODS = ("fifo", "lifo", "pro_rata", "libr")
FIFO, LIFO, PRO_RATA, LIBR = range(4)
END_KINDS = ("cash", "platform", "max_hops", "not_obtained", "frozen", "held", "dust")
CASH, PLATFORM, MAX_HOPS, NOT_OBTAINED, FROZEN, HELD, DUST = range(7)
OTHER, OPENING = 0, 1  # trace_origins numbers every victim from 2 on
FIRST_VICTIM = 2
EVENT_CODES = {"start": 0, "out": 1, "freeze": 2}
TARGET_CODES = {"traced": 0, "platform": 1, "untraced": 2, "cash": 3}
ALL_METHODS = -1  # a start row: the same lot under every method
NO_ACCOUNT = -1
UNALLOCATED = "unallocated"

TRACE_INPUTS = ["trace_events", "trace_accounts"]
TRACE_OUTPUTS = ["traces", "endpoints", "account_shortfalls", "trace_conservation", "trace_freezes"]
LEAD_OUTPUTS = ["leads"]
RECOVERY_INPUTS = ["recovery_claims"]
RECOVERY_OUTPUTS = ["recoveries", "victim_recoveries"]
REQUEST_OUTPUTS = ["bank_requests"]


def build_tracing(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> dict[str, float]:
    """Create traces, endpoints, leads and recoveries (and their helpers); returns seconds per part."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    tracing = case.tracing
    sqlrun.set_parameters(
        con,
        {"pass_through_hours": tracing.pass_through_hours, "max_hops": tracing.max_hops},
    )
    con.execute("SET VARIABLE platform_accounts = ?::VARCHAR[]", [list(tracing.platform_accounts)])
    con.execute("SET VARIABLE follow_money = ?", [follows_money(case)])
    sqlrun.build(con, TRACE_INPUTS)
    timings["events (SQL)"] = time.perf_counter() - started

    started = time.perf_counter()
    events = con.sql(
        "select event, target, account_id, coalesce(counterparty_id, -1) as counterparty_id, "
        "coalesce(origin_id, -1) as origin_id, amount_fen from trace_events order by event_no"
    ).pl()
    n_nodes = con.execute("select count(*) from trace_nodes").fetchall()[0][0]
    allocation = allocate(
        events.get_column("event").replace_strict(EVENT_CODES, return_dtype=pl.Int8).to_list(),
        events.get_column("target").replace_strict(TARGET_CODES, default=-1, return_dtype=pl.Int8).to_list(),
        events.get_column("account_id").to_list(),
        events.get_column("counterparty_id").to_list(),
        events.get_column("origin_id").to_list(),
        events.get_column("amount_fen").to_list(),
        n_nodes=n_nodes,
        max_hops=tracing.max_hops,
        min_fen=int(tracing.min_amount * 100),
    )
    del events
    timings["allocation (Python)"] = time.perf_counter() - started

    started = time.perf_counter()
    _create(con, "trace_parts", allocation.parts_frame())
    _create(con, "trace_ends", allocation.ends_frame())
    _create(con, "trace_freeze_lots", allocation.freeze_frame())
    del allocation
    sqlrun.build(con, TRACE_OUTPUTS)
    check_conservation(con)
    timings["traces and endpoints (SQL)"] = time.perf_counter() - started

    started = time.perf_counter()
    sqlrun.build(con, LEAD_OUTPUTS + REQUEST_OUTPUTS)
    timings["leads and bank requests (SQL)"] = time.perf_counter() - started

    started = time.perf_counter()
    sqlrun.build(con, RECOVERY_INPUTS)
    _create(con, "recovery_allotments", recovery_allotments(con))
    sqlrun.build(con, RECOVERY_OUTPUTS)
    timings["recoveries"] = time.perf_counter() - started
    return timings


def follows_money(case: CaseConfig) -> bool:
    """Lots are followed when the case asks for it: a [tracing] section or a frozen source.

    pro_rata and libr split every outflow across every lot present, so a case of
    receiving cards that pass money among themselves makes tens of millions of
    trace rows from 100,000 postings (docs/tracing.md); a case that says nothing
    of tracing should not pay that. Leads are computed either way.
    """
    return "tracing" in case.raw or bool(case.sources_of("frozen"))


def check_conservation(con: duckdb.DuckDBPyConnection) -> None:
    """Lots in = lots out + end points, per account and method, to the cent (rules.md §7)."""
    broken = con.execute(
        "select method, account_no, lots_in, lots_out, ended from trace_conservation order by all limit 1"
    ).fetchall()
    if broken:
        method, account, lots_in, lots_out, ended = broken[0]
        raise InvariantError(
            f"tracing does not balance in account {account} under {method}: lots in {_yuan(lots_in)} ≠ "
            f"lots out {_yuan(lots_out)} + end points {_yuan(ended)}"
        )


# ---------------------------------------------------------------- allocation


PART_COLUMNS = ("method_id", "origin_id", "hop", "from_id", "to_id", "event_no", "amount_fen")
END_COLUMNS = ("method_id", "node_id", "kind_id", "origin_id", "amount_fen")
FREEZE_COLUMNS = ("event_no", "method_id", "origin_id", "amount_fen")


class Allocation:
    """What one pass over the events produced, as integer records.

    parts: PART_COLUMNS per lot that starts or moves; ends: END_COLUMNS per lot (or part) that
    ends, summed by SQL; freeze_lots: FREEZE_COLUMNS per lot a freeze finds. Python-side
    methods append to flat arrays, the numpy-side ones whole blocks.
    """

    def __init__(self) -> None:
        self.parts = array("q")
        self.ends = array("q")
        self.freeze_lots = array("q")
        self.part_blocks: list[np.ndarray] = []
        self.end_blocks: list[np.ndarray] = []
        self.freeze_blocks: list[np.ndarray] = []

    def parts_frame(self) -> pl.DataFrame:
        return _frame(self.parts, self.part_blocks, PART_COLUMNS)

    def ends_frame(self) -> pl.DataFrame:
        return _frame(self.ends, self.end_blocks, END_COLUMNS)

    def freeze_frame(self) -> pl.DataFrame:
        return _frame(self.freeze_lots, self.freeze_blocks, FREEZE_COLUMNS)


def _frame(flat: array, blocks: list[np.ndarray], columns: tuple[str, ...]) -> pl.DataFrame:
    width = len(columns)
    table = np.concatenate([np.frombuffer(flat, dtype=np.int64).reshape(-1, width), *blocks]) if len(flat) or blocks else np.zeros((0, width), np.int64)
    return pl.DataFrame({name: table[:, i] for i, name in enumerate(columns)})


class Ledger:
    """Lots of one account under pro_rata or libr: an (n, 3) int64 array [origin, hop, fen] in the
    account's order, plus arrivals not yet joined to it (joined when the account next pays)."""

    __slots__ = ("lots", "arrivals")

    def __init__(self) -> None:
        self.lots = EMPTY_LOTS
        self.arrivals: list[np.ndarray] = []

    def current(self) -> np.ndarray:
        if self.arrivals:
            self.lots = np.concatenate([self.lots, *self.arrivals])
            self.arrivals = []
        return self.lots


EMPTY_LOTS = np.zeros((0, 3), dtype=np.int64)
SAFE_PRODUCT = 2**62  # fen × fen products below this are exact in int64


def allocate(
    events: list[int],
    targets: list[int],
    accounts: list[int],
    counterparties: list[int],
    origins: list[int],
    amounts: list[int],
    *,
    n_nodes: int,
    max_hops: int,
    min_fen: int,
) -> Allocation:
    """One pass over the events in order, all four methods side by side.

    fifo and lifo take few lots per outflow: each account's lots are Python lists
    ``[origin, hop, fen]`` (a deque for fifo), records appended one by one. pro_rata and libr
    take a part of every lot present (of every victim's, for libr), so an outflow can move
    hundreds of parts: their lots are numpy arrays (Ledger) and an outflow is a few array
    operations, its parts written as one block.
    """
    out = Allocation()
    part = out.parts.extend
    end = out.ends.extend
    frozen_lot = out.freeze_lots.extend
    fifo_lots = [deque() for _ in range(n_nodes)]
    lifo_lots = [[] for _ in range(n_nodes)]
    share_lots = {PRO_RATA: [Ledger() for _ in range(n_nodes)], LIBR: [Ledger() for _ in range(n_nodes)]}
    routing = (max_hops, min_fen)

    for event_no, (event, target, account, counterparty, origin, fen) in enumerate(
        zip(events, targets, accounts, counterparties, origins, amounts, strict=True)
    ):
        if event == 0:  # start: the same lot under every method
            part((ALL_METHODS, origin, 0, counterparty, account, event_no, fen))
            if target == 0 and fen >= min_fen:
                fifo_lots[account].append([origin, 0, fen])
                lifo_lots[account].append([origin, 0, fen])
                lot = np.array([[origin, 0, fen]], dtype=np.int64)
                share_lots[PRO_RATA][account].arrivals.append(lot)
                share_lots[LIBR][account].arrivals.append(lot)
            else:
                kind = DUST if target == 0 else PLATFORM if target == 1 else NOT_OBTAINED
                for method in range(4):
                    end((method, account, kind, origin, fen))
        elif event == 1:  # outflow of a traced account
            for method, held, taker in ((FIFO, fifo_lots, _take_fifo), (LIFO, lifo_lots, _take_lifo)):
                parts, short = taker(held[account], fen, min_fen, end, method, account)
                if short:
                    part((method, OTHER, 0, NO_ACCOUNT, account, event_no, short))
                    parts.append((OTHER, 0, short))
                if target == 3:
                    for part_origin, _, part_fen in parts:
                        end((method, account, CASH, part_origin, part_fen))
                    continue
                arriving = held[counterparty]
                for part_origin, hop, part_fen in parts:
                    if target == 1:
                        part((method, part_origin, hop + 1, account, counterparty, event_no, part_fen))
                        end((method, counterparty, PLATFORM, part_origin, part_fen))
                    elif hop >= max_hops:
                        end((method, account, MAX_HOPS, part_origin, part_fen))
                    else:
                        part((method, part_origin, hop + 1, account, counterparty, event_no, part_fen))
                        if target == 2:
                            end((method, counterparty, NOT_OBTAINED, part_origin, part_fen))
                        elif part_fen < min_fen:
                            end((method, counterparty, DUST, part_origin, part_fen))
                        else:
                            arriving.append([part_origin, hop + 1, part_fen])
            for method, taker in ((PRO_RATA, _share_pro_rata), (LIBR, _share_libr)):
                ledgers = share_lots[method]
                ledger = ledgers[account]
                lots = ledger.current()
                taken = taker(lots, fen)
                _move_shares(out, method, event_no, account, counterparty, target, lots, taken, fen, ledger, ledgers, routing)
        else:  # freeze: every lot in the account ends there
            for method, held in ((FIFO, fifo_lots), (LIFO, lifo_lots)):
                for lot_origin, _, lot_fen in held[account]:
                    end((method, account, FROZEN, lot_origin, lot_fen))
                    frozen_lot((event_no, method, lot_origin, lot_fen))
                held[account].clear()
            for method in (PRO_RATA, LIBR):
                ledger = share_lots[method][account]
                lots = ledger.current()
                if len(lots):
                    out.end_blocks.append(_block(method, account, FROZEN, lots[:, 0], lots[:, 2]))
                    out.freeze_blocks.append(_block(event_no, method, lots[:, 0], lots[:, 2]))
                ledger.lots = EMPTY_LOTS

    for method, held in ((FIFO, fifo_lots), (LIFO, lifo_lots)):
        for node, lots_there in enumerate(held):
            for lot_origin, _, lot_fen in lots_there:
                end((method, node, HELD, lot_origin, lot_fen))
    for method in (PRO_RATA, LIBR):
        for node, ledger in enumerate(share_lots[method]):
            lots = ledger.current()
            if len(lots):
                out.end_blocks.append(_block(method, node, HELD, lots[:, 0], lots[:, 2]))
    return out


# fifo and lifo: each taker removes `fen` from an account's lots and returns (parts in the
# account's order, shortfall). A lot an outflow leaves below min_fen is written off as dust there.


def _take_fifo(held: deque, fen: int, min_fen: int, end, method: int, account: int):
    parts = []
    while fen and held:
        lot = held[0]
        if lot[2] <= fen:
            parts.append(lot)
            fen -= lot[2]
            held.popleft()
        else:
            parts.append((lot[0], lot[1], fen))
            lot[2] -= fen
            fen = 0
            if lot[2] < min_fen:
                end((method, account, DUST, lot[0], lot[2]))
                held.popleft()
    return parts, fen


def _take_lifo(held: list, fen: int, min_fen: int, end, method: int, account: int):
    parts = []
    while fen and held:
        lot = held[-1]
        if lot[2] <= fen:
            parts.append(lot)
            fen -= lot[2]
            held.pop()
        else:
            parts.append((lot[0], lot[1], fen))
            lot[2] -= fen
            fen = 0
            if lot[2] < min_fen:
                end((method, account, DUST, lot[0], lot[2]))
                held.pop()
    parts.reverse()  # newest were taken first; the parts keep the account's order
    return parts, fen


# pro_rata and libr: each returns the fen taken from every lot (an array beside the lots);
# _move_shares turns them into parts, the shortfall, dust and the lots left.


def _share_pro_rata(lots: np.ndarray, fen: int) -> np.ndarray:
    amounts = lots[:, 2]
    if int(amounts.sum()) <= fen:
        return amounts.copy()
    return _largest_remainder(fen, amounts)


def _share_libr(lots: np.ndarray, fen: int) -> np.ndarray:
    """`other` and `opening` leave first, oldest first; then victims' lots pro rata."""
    amounts = lots[:, 2]
    taken = np.zeros_like(amounts)
    not_victims = lots[:, 0] < FIRST_VICTIM
    if not_victims.any():
        first = amounts[not_victims]
        before = np.cumsum(first) - first
        taken[not_victims] = np.clip(fen - before, 0, first)
        fen -= int(taken.sum())
    if fen:
        victims = ~not_victims
        if int(amounts[victims].sum()) <= fen:
            taken[victims] = amounts[victims]
        else:
            taken[victims] = _largest_remainder(fen, amounts[victims])
    return taken


def _largest_remainder(fen: int, amounts: np.ndarray) -> np.ndarray:
    """fen split in proportion to amounts (summing to more than fen), whole fen adding up to fen.

    Rounded down, then the fen left over one each to the largest remainders, ties to the lot first
    in the account's order (a stable sort). Products beyond int64 go through Python integers.
    """
    whole = int(amounts.sum())
    if fen * int(amounts.max()) < SAFE_PRODUCT:
        products = amounts * fen
        shares = products // whole
        remainders = products - shares * whole
        left = fen - int(shares.sum())
        if left:
            shares[np.argsort(-remainders, kind="stable")[:left]] += 1
        return shares
    return np.array(split_largest_remainder(fen, amounts.tolist(), whole), dtype=object).astype(np.int64)


def _move_shares(out, method, event_no, account, counterparty, target, lots, taken, fen, ledger, ledgers, routing):
    max_hops, min_fen = routing
    took = taken > 0
    left = lots[:, 2] - taken
    if min_fen > 1:  # fen are whole: below 1 fen is nothing, so dust needs min_amount above 0.01
        dust = took & (left > 0) & (left < min_fen)
        if dust.any():
            out.end_blocks.append(_block(method, account, DUST, lots[dust, 0], left[dust]))
        keep = (left > 0) & ~dust
    else:
        keep = left > 0
    remaining = lots[keep]
    remaining[:, 2] = left[keep]
    ledger.lots = remaining

    parts = lots[took]
    parts[:, 2] = taken[took]
    short = fen - int(taken.sum())
    if short:
        out.parts.extend((method, OTHER, 0, NO_ACCOUNT, account, event_no, short))
        parts = np.concatenate([parts, np.array([[OTHER, 0, short]], dtype=np.int64)])
    if not len(parts):
        return
    if target == 3:
        out.end_blocks.append(_block(method, account, CASH, parts[:, 0], parts[:, 2]))
        return
    if target != 1 and parts[:, 1].max() >= max_hops:
        maxed = parts[:, 1] >= max_hops
        out.end_blocks.append(_block(method, account, MAX_HOPS, parts[maxed, 0], parts[maxed, 2]))
        parts = parts[~maxed]
        if not len(parts):
            return
    parts[:, 1] += 1
    origin, hop, amount = parts[:, 0], parts[:, 1], parts[:, 2]
    out.part_blocks.append(_block(method, origin, hop, account, counterparty, event_no, amount))
    if target == 1:
        out.end_blocks.append(_block(method, counterparty, PLATFORM, origin, amount))
    elif target == 2:
        out.end_blocks.append(_block(method, counterparty, NOT_OBTAINED, origin, amount))
    else:
        if min_fen > 1 and amount.min() < min_fen:
            small = amount < min_fen
            out.end_blocks.append(_block(method, counterparty, DUST, origin[small], amount[small]))
            parts = parts[~small]
        if len(parts):
            ledgers[counterparty].arrivals.append(parts)


def _block(*values) -> np.ndarray:
    """Scalars and arrays of one length side by side as an int64 block; at least one is an array."""
    length = next(len(v) for v in values if isinstance(v, np.ndarray))
    block = np.empty((length, len(values)), dtype=np.int64)
    for i, value in enumerate(values):
        block[:, i] = value
    return block


# ---------------------------------------------------------------- recoveries (§8)


def recovery_allotments(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """account_no, victim_id, allocation, amount_fen: every frozen account's amount, allotted exactly."""
    freezes = []
    for freeze_id, account, amount in con.execute(
        "select freeze_id, account_no, amount from trace_freezes order by account_no, freeze_id"
    ).fetchall():
        if amount < 0:
            raise FundtrailError(f"{freeze_id}: frozen amount {amount} of account {account} is negative")
        freezes.append((freeze_id, account, int(amount * 100)))
    claims: dict[tuple[str, str], dict[str, int]] = {}
    for freeze_id, allocation, origin, fen in con.execute(
        "select freeze_id, allocation, origin, amount_fen from recovery_claims order by all"
    ).fetchall():
        claims.setdefault((freeze_id, allocation), {})[origin] = fen
    caps = {
        victim: max(int(net_loss * 100), 0)
        for victim, net_loss in con.execute(
            "select victim_id, net_loss from victims where victim_id not like 'unidentified:%'"
        ).fetchall()
    }
    return pl.DataFrame(
        allot_recoveries(freezes, claims, caps),
        schema={"account_no": pl.String, "victim_id": pl.String, "allocation": pl.String, "amount_fen": pl.Int64},
        orient="row",
    )


def allot_recoveries(
    freezes: list[tuple[str, str, int]],
    claims: dict[tuple[str, str], dict[str, int]],
    caps: dict[str, int],
) -> list[tuple[str, str, str, int]]:
    """(account, victim or `unallocated`, allocation, fen) rows, every frozen account's fen allotted exactly.

    freezes: (freeze_id, account, fen); claims by (freeze_id, allocation): origin → fen; caps:
    victim → net loss in fen (a victim not listed has none). Exact fractions throughout, one
    largest-remainder rounding per account and allocation at the end.
    """
    frozen_fen: dict[str, int] = {}
    for _, account, fen in freezes:
        frozen_fen[account] = frozen_fen.get(account, 0) + fen
    rows = []
    for allocation in ("traced", "pro_rata"):
        shares: dict[str, dict[str, Fraction]] = {account: {} for account in frozen_fen}
        for freeze_id, account, fen in freezes:
            for victim, share in allot_freeze(fen, claims.get((freeze_id, allocation), {}), allocation).items():
                shares[account][victim] = shares[account].get(victim, Fraction(0)) + share
        cap_at_net_loss(shares, caps)
        for account in sorted(shares):
            rounded = round_largest_remainder(frozen_fen[account], shares[account])
            rows.extend((account, victim, allocation, fen) for victim, fen in sorted(rounded.items()) if fen)
    return rows


def allot_freeze(frozen: int, claims: dict[str, int], allocation: str) -> dict[str, Fraction]:
    """One freeze's exact shares by victim (and `unallocated`), adding up to the frozen fen.

    traced: the libr lots found at the freeze, scaled down alike when they exceed the frozen
    amount, the rest unallocated when they fall short. pro_rata: the frozen amount in proportion
    to the victims' money that came in; other and opening are no claimants. Shares of other,
    opening and unidentified payers go to `unallocated`.
    """
    if allocation == "traced":
        weights = claims
        found = sum(weights.values())
        scale = Fraction(frozen, found) if found > frozen else Fraction(1)
        rest = Fraction(frozen) - found * scale
    else:
        weights = {o: fen for o, fen in claims.items() if o not in ("other", "opening")}
        found = sum(weights.values())
        scale = Fraction(frozen, found) if found else Fraction(0)
        rest = Fraction(0) if found else Fraction(frozen)
    shares: dict[str, Fraction] = {}
    unallocated = rest
    for origin, fen in weights.items():
        share = fen * scale
        if origin in ("other", "opening") or origin.startswith("unidentified:"):
            unallocated += share
        elif share:
            shares[origin] = share
    if unallocated:
        shares[UNALLOCATED] = unallocated
    return shares


def cap_at_net_loss(shares: dict[str, dict[str, Fraction]], caps: dict[str, int]) -> None:
    """No victim above their net loss over all frozen accounts together (rules.md §8), in place.

    In rounds: every victim above the cap is cut to it, each of their allotments scaled alike;
    what that frees in an account goes to the account's victims still under the cap, in
    proportion to their allotments there, or to `unallocated` when there are none.
    """
    while True:
        totals: dict[str, Fraction] = {}
        for by_victim in shares.values():
            for victim, share in by_victim.items():
                if victim != UNALLOCATED:
                    totals[victim] = totals.get(victim, Fraction(0)) + share
        over = {v: Fraction(caps.get(v, 0)) / total for v, total in totals.items() if total > caps.get(v, 0)}
        if not over:
            return
        for by_victim in shares.values():
            freed = Fraction(0)
            for victim, factor in over.items():
                if victim in by_victim:
                    kept = by_victim[victim] * factor
                    freed += by_victim[victim] - kept
                    by_victim[victim] = kept
            if not freed:
                continue
            under = {
                v: s for v, s in by_victim.items()
                if v != UNALLOCATED and v not in over and s > 0 and totals[v] < caps.get(v, 0)
            }
            weight = sum(under.values())
            if weight:
                for victim, share in under.items():
                    by_victim[victim] = share + freed * share / weight
            else:
                by_victim[UNALLOCATED] = by_victim.get(UNALLOCATED, Fraction(0)) + freed
            for victim in [v for v, s in by_victim.items() if s == 0]:
                del by_victim[victim]


def round_largest_remainder(total: int, shares: dict[str, Fraction]) -> dict[str, int]:
    """Exact shares adding up to total fen → whole fen adding up to total.

    Rounded down first; the fen left over go one each to the largest fractional parts, ties to
    the lower victim_id, `unallocated` last.
    """
    if sum(shares.values()) != total:
        raise InvariantError(f"frozen amount {_yuan(total)} allotted as {_yuan(sum(shares.values()))} before rounding")
    floors = {victim: share.numerator // share.denominator for victim, share in shares.items()}
    left = total - sum(floors.values())
    order = sorted(shares, key=lambda v: (-(shares[v] - floors[v]), v == UNALLOCATED, v))
    for victim in order[:left]:
        floors[victim] += 1
    return floors


# ---------------------------------------------------------------- helpers


def _create(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    con.register("_frame", frame)
    try:
        con.execute(f"create or replace table {name} as select * from _frame")
    finally:
        con.unregister("_frame")


def _yuan(fen: int | Fraction) -> str:
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
