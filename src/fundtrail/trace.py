"""Tracing money onward (rules.md §7) and allotting frozen money to victims (§8).

``build_tracing(con, case)`` runs on a case database where the transfers and
the marts are built: ``build_traces`` needs only the transfers, ``build_leads_and_recoveries``
the marts too. SQL (sql/trace/) says everything that is a set: which
accounts are traced, the events in the order they run, the leads, the
recoveries' claims. What is left here is sequential: lots are taken out of an
account in the order events happen, one method after the other, in integer
fen. Accounts and origins are integers numbered by SQL (trace_nodes,
trace_origins); the parts written back are integer columns that SQL turns
into the output tables.

fifo and lifo take few lots per outflow and are followed lot by lot. pro_rata
and libr take a part of every lot present, so where accounts pass money among
themselves every victim's money is soon in every account, and following them
lot by lot costs victims × accounts × outflows. Each of them is followed lot by
lot while that stays within a budget of lots looked at (LOT_BUDGET, the outflows'
fixed cost counted up front so that a method bound to pass it stops early); beyond it,
at account level: an account holds its victims' money as one pool per hop
(beside `other` and `opening`, kept exactly), and what each victim has in a
frozen account, or brought into it, is resolved afterwards from the pools'
proportions in one backward pass (docs/tracing.md, "Scale").

Recoveries use exact fractions until one largest-remainder rounding per
frozen account and allocation.
"""

from __future__ import annotations

import gc
import math
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from itertools import chain
from dataclasses import dataclass
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
# trace_origins: 0 other, 1 opening, 2 every victim's money together (a pool at account level),
# then each victim (unidentified payers included) from 3 on, in victim_id order.
OTHER, OPENING, POOLED = 0, 1, 2
FIRST_VICTIM = 3
START, OUT, FREEZE = range(3)
EVENT_CODES = {"start": START, "out": OUT, "freeze": FREEZE}
TRACED, TO_PLATFORM, UNTRACED, TO_CASH = range(4)
TARGET_CODES = {"traced": TRACED, "platform": TO_PLATFORM, "untraced": UNTRACED, "cash": TO_CASH}
ALL_METHODS = -1  # a start row: the same lot under every method
NO_ACCOUNT = -1
UNALLOCATED = "unallocated"
# Work pro_rata or libr may do lot by lot before that method is followed at account level
# instead: lots looked at, summed over the outflows, each outflow counting as OUTFLOW_COST lots
# more (a numpy call costs about that much). About 1 s per method: far beyond any hand-checked
# case, and passed by the generated case from --scale 0.1 on (docs/tracing.md, Scale).
LOT_BUDGET = 2_000_000
OUTFLOW_COST = 50

TRACE_INPUTS = ["trace_events", "trace_accounts", "trace_freezes"]
TRACE_OUTPUTS = ["traces", "endpoints", "account_shortfalls", "trace_conservation"]
LEAD_OUTPUTS = ["leads"]
RECOVERY_INPUTS = ["recovery_claims"]
RECOVERY_OUTPUTS = ["recoveries", "victim_recoveries"]
REQUEST_OUTPUTS = ["bank_requests"]
# What report.html draws and drills into (docs/tracing.md, "In the report"): the flow diagram's
# links, and the path of the REPORT_VICTIMS victims with the largest net loss, at most
# REPORT_VICTIM_STEPS moves and as many end points per victim and method: about 110 bytes of
# the page a step, so at most some 9 MB whatever the case (1 MB on the demo).
REPORT_OUTPUTS = ["trace_flow", "trace_victim_paths"]
REPORT_VICTIMS = 100
REPORT_VICTIM_STEPS = 100


def build_tracing(
    con: duckdb.DuckDBPyConnection, case: CaseConfig, lot_budget: int = LOT_BUDGET
) -> dict[str, float]:
    """Create traces, endpoints, leads and recoveries (and their helpers); returns seconds per part."""
    return build_traces(con, case, lot_budget) | build_leads_and_recoveries(con, case)


def build_traces(
    con: duckdb.DuckDBPyConnection, case: CaseConfig, lot_budget: int = LOT_BUDGET
) -> dict[str, float]:
    """Traces, endpoints and their balance (rules.md §7); returns seconds per part.

    It needs the transfers, not the marts: a run follows the money beside matching and the marts.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    tracing = case.tracing
    _set_variables(con, case)
    sqlrun.build(con, TRACE_INPUTS)
    timings["events (SQL)"] = time.perf_counter() - started

    started = time.perf_counter()
    events = Events.read(con)
    freezes = [
        (freeze_id, node, ts)
        for freeze_id, node, ts in con.execute(
            "select f.freeze_id, n.node_id, epoch_us(f.ts) from trace_freezes as f "
            "join trace_nodes as n using (account_no) order by f.freeze_id"
        ).fetchall()
    ]
    routing = Routing(max_hops=tracing.max_hops, min_fen=int(tracing.min_amount * 100))
    allocation = allocate(events, routing, freezes, lot_budget)
    del events
    timings["allocation (Python)"] = time.perf_counter() - started

    started = time.perf_counter()
    sqlrun.create_table(con, "trace_parts", allocation.parts_frame())
    sqlrun.create_table(con, "trace_ends", allocation.ends_frame())
    sqlrun.create_table(con, "trace_freeze_lots", allocation.freeze_frame())
    sqlrun.create_table(con, "trace_pooled_arrivals", allocation.pooled_arrivals_frame())
    sqlrun.create_table(con, "trace_grain", allocation.grain_frame())
    del allocation
    sqlrun.build(con, TRACE_OUTPUTS)
    check_conservation(con)
    timings["traces and endpoints (SQL)"] = time.perf_counter() - started
    return timings


def build_leads_and_recoveries(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> dict[str, float]:
    """Leads, bank requests, the report's flow and paths, recoveries (rules.md §7-§8), on ``build_traces``'s
    traces and the marts; returns seconds per part."""
    timings: dict[str, float] = {}
    _set_variables(con, case)
    started = time.perf_counter()
    sqlrun.build(con, LEAD_OUTPUTS + REQUEST_OUTPUTS)
    timings["leads and bank requests (SQL)"] = time.perf_counter() - started

    started = time.perf_counter()
    sqlrun.set_parameters(con, {"report_victims": REPORT_VICTIMS, "report_victim_steps": REPORT_VICTIM_STEPS})
    sqlrun.build(con, REPORT_OUTPUTS)
    timings["report's flow and paths (SQL)"] = time.perf_counter() - started

    started = time.perf_counter()
    sqlrun.build(con, RECOVERY_INPUTS)
    sqlrun.create_table(con, "recovery_allotments", recovery_allotments(con) if follows_money(case) else _no_allotments())
    sqlrun.build(con, RECOVERY_OUTPUTS)
    timings["recoveries"] = time.perf_counter() - started
    return timings


def _set_variables(con: duckdb.DuckDBPyConnection, case: CaseConfig) -> None:
    """The case's tracing settings as the SQL of sql/trace reads them (variables are the connection's own)."""
    tracing = case.tracing
    sqlrun.set_parameters(con, {"pass_through_hours": tracing.pass_through_hours, "max_hops": tracing.max_hops})
    con.execute("SET VARIABLE platform_accounts = ?::VARCHAR[]", [list(tracing.platform_accounts)])
    con.execute("SET VARIABLE follow_money = ?", [follows_money(case)])


def follows_money(case: CaseConfig) -> bool:
    """Lots are followed unless the case says `[tracing] follow_money = false`; leads are computed either way."""
    return case.tracing.follow_money


def check_conservation(con: duckdb.DuckDBPyConnection) -> None:
    """Lots in = lots out + end points, per account and method, to the cent (rules.md §7)."""
    broken = con.execute(
        "select method, account_no, lots_in, lots_out, ended from trace_conservation order by all limit 1"
    ).fetchall()
    if broken:
        method, account, lots_in, lots_out, ended = broken[0]
        raise InvariantError(
            code="trace.unbalanced", account=account, method=method, lots_in=_yuan(lots_in),
            lots_out=_yuan(lots_out), ended=_yuan(ended),
        )


# ---------------------------------------------------------------- events and what the passes write


@dataclass(frozen=True)
class Routing:
    max_hops: int
    min_fen: int


@dataclass(frozen=True)
class Events:
    """trace_events as integer columns, in the order the allocation runs them."""

    kind: list[int]
    target: list[int]  # TARGET_CODES; -1 for a freeze
    account: list[int]
    counterparty: list[int]  # NO_ACCOUNT when none
    origin: list[int]  # -1 but for starts
    fen: list[int]
    ts: list[int]  # microseconds since the epoch
    n_nodes: int

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection) -> Events:
        frame = con.sql(
            "select event, target, account_id, coalesce(counterparty_id, -1) as counterparty_id, "
            "coalesce(origin_id, -1) as origin_id, amount_fen, epoch_us(ts) as ts_us from trace_events order by event_no"
        ).pl()
        return cls(
            kind=frame.get_column("event").replace_strict(EVENT_CODES, return_dtype=pl.Int8).to_list(),
            target=frame.get_column("target").replace_strict(TARGET_CODES, default=-1, return_dtype=pl.Int8).to_list(),
            account=frame.get_column("account_id").to_list(),
            counterparty=frame.get_column("counterparty_id").to_list(),
            origin=frame.get_column("origin_id").to_list(),
            fen=frame.get_column("amount_fen").to_list(),
            ts=frame.get_column("ts_us").to_list(),
            n_nodes=con.execute("select count(*) from trace_nodes").fetchall()[0][0],
        )

    def rows(self) -> Iterator[tuple[int, int, int, int, int, int, int, int]]:
        """(event_no, kind, target, account, counterparty, origin, fen, ts) per event."""
        columns = (self.kind, self.target, self.account, self.counterparty, self.origin, self.fen, self.ts)
        for event_no, row in enumerate(zip(*columns, strict=True)):
            yield (event_no, *row)


PART_COLUMNS = ("method_id", "origin_id", "hop", "from_id", "to_id", "event_no", "amount_fen")
END_COLUMNS = ("method_id", "node_id", "kind_id", "origin_id", "amount_fen")
FREEZE_COLUMNS = ("event_no", "method_id", "origin_id", "amount_fen")


class Allocation:
    """What the passes over the events produced, as integer records.

    parts: PART_COLUMNS per lot that starts or moves; ends: END_COLUMNS per lot (or part) that
    ends, summed by SQL; freeze_lots: FREEZE_COLUMNS per lot a freeze finds; pooled_arrivals:
    (freeze_id, origin_id, fen) per victim whose pooled money reached a frozen account by its
    freeze time (account level only); grain: method → "lot" or "account". A pass appends a
    record at a time to the flat arrays (starts, shortfalls, dust, frozen and held lots) and its
    outflows' moves and end points as whole blocks (_route_taken, _route_shares).
    """

    def __init__(self) -> None:
        self.parts = array("q")
        self.ends = array("q")
        self.freeze_lots = array("q")
        self.part_blocks: list[tuple] = []
        self.end_blocks: list[tuple] = []
        self.freeze_blocks: list[tuple] = []
        self.pooled_arrivals: list[tuple[str, int, int]] = []
        self.grain: dict[int, str] = {}

    def merge(self, other: Allocation, method: int, grain: str) -> None:
        for name in ("parts", "ends", "freeze_lots"):
            getattr(self, name).extend(getattr(other, name))
        for name in ("part_blocks", "end_blocks", "freeze_blocks", "pooled_arrivals"):
            getattr(self, name).extend(getattr(other, name))
        self.grain[method] = grain

    def parts_frame(self) -> pl.DataFrame:
        return _frame(self.parts, self.part_blocks, PART_COLUMNS)

    def ends_frame(self) -> pl.DataFrame:
        return _frame(self.ends, self.end_blocks, END_COLUMNS)

    def freeze_frame(self) -> pl.DataFrame:
        return _frame(self.freeze_lots, self.freeze_blocks, FREEZE_COLUMNS)

    def pooled_arrivals_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            self.pooled_arrivals,
            schema={"freeze_id": pl.String, "origin_id": pl.Int64, "amount_fen": pl.Int64},
            orient="row",
        )

    def grain_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"method": [METHODS[m] for m in sorted(self.grain)], "grain": [self.grain[m] for m in sorted(self.grain)]}
        )


def _frame(flat: array, blocks: list[tuple], columns: tuple[str, ...]) -> pl.DataFrame:
    """The flat records, then the blocks: tuples of scalars and arrays of one length, one per column.

    Blocks are kept as the tuples the passes made and laid out here once: a pass that appended a
    block per outflow pays for a tuple, not for an array built per outflow.
    """
    table = np.frombuffer(flat, dtype=np.int64).reshape(-1, len(columns))
    if not blocks:
        return pl.DataFrame({name: table[:, i].copy() for i, name in enumerate(columns)})
    lengths = np.array([next(len(v) for v in block if isinstance(v, np.ndarray)) for block in blocks], dtype=np.int64)
    frame = {}
    for i, name in enumerate(columns):
        values = [block[i] for block in blocks]
        arrays = [isinstance(v, np.ndarray) for v in values]
        if all(arrays):
            column = np.concatenate(values)
        elif not any(arrays):
            column = np.repeat(np.array(values, dtype=np.int64), lengths)
        else:
            column = np.concatenate([v if a else np.full(n, v, np.int64) for v, a, n in zip(values, arrays, lengths)])
        frame[name] = np.concatenate([table[:, i], column.astype(np.int64, copy=False)])
    return pl.DataFrame(frame)


class LotBudgetExceeded(Exception):
    """A pooled method looked at more lots than the budget allows: follow it at account level."""


def allocate(
    events: Events,
    routing: Routing,
    freezes: list[tuple[str, int, int]] = (),
    lot_budget: int = LOT_BUDGET,
) -> Allocation:
    """The four methods, one pass each over the events in order.

    freezes: (freeze_id, node, ts) of every frozen account an event touches, for the pro_rata
    recoveries of a pooled method followed at account level.
    """
    out = Allocation()
    for event_no, kind, _, account, counterparty, origin, fen, _ in events.rows():
        if kind == START:
            out.parts.extend((ALL_METHODS, origin, 0, counterparty, account, event_no, fen))
    # The passes make millions of small lists and tuples and no reference cycle: the cyclic
    # collector would only walk every live object of the process again and again meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for method in (FIFO, LIFO):
            out.merge(_follow_queues(method, events, routing), method, "lot")
        asking = None  # worked out once, for whichever pooled methods go to account level
        for method in (PRO_RATA, LIBR):
            try:
                out.merge(_follow_shares(method, events, routing, lot_budget), method, "lot")
            except LotBudgetExceeded:
                if asking is None:
                    asking = _paying_into_freezes(events, freezes) if freezes else [False] * events.n_nodes
                out.merge(_follow_pools(method, events, routing, freezes, asking), method, "account")
    finally:
        if collecting:
            gc.enable()
    return out


# ---------------------------------------------------------------- what every pass shares


STAYS_THERE, ENDS_THERE, ENDS_HERE = range(3)


def _outcome(target: int, hop: int, fen: int, routing: Routing) -> tuple[int, int]:
    """Where a part of an outflow (at `hop` before it moves) ends up, and as what end point.

    rules.md §7: cash, then platform, then max_hops, then not_obtained; a part below min_amount
    arriving in a traced account is dust there.
    """
    if target == TO_CASH:
        return ENDS_HERE, CASH
    if target == TO_PLATFORM:
        return ENDS_THERE, PLATFORM
    if hop >= routing.max_hops:
        return ENDS_HERE, MAX_HOPS
    if target == UNTRACED:
        return ENDS_THERE, NOT_OBTAINED
    if fen < routing.min_fen:
        return ENDS_THERE, DUST
    return STAYS_THERE, -1


def _start_end(target: int) -> int:
    """The end point of a start that is not kept where it starts: below min_amount, or not traced there."""
    return DUST if target == TRACED else PLATFORM if target == TO_PLATFORM else NOT_OBTAINED


def _take_in_order(
    lots: deque, fen: int, min_fen: int, newest_first: bool, dust: Callable[[int, int], None]
) -> tuple[list, int]:
    """Take fen from lots [origin, hop, fen], oldest (or newest) first: (parts in the account's order, fen not found).

    A lot the outflow leaves below min_fen is written off: dust(origin, fen).
    """
    parts = []
    take = lots.pop if newest_first else lots.popleft
    while fen and lots:
        lot = lots[-1] if newest_first else lots[0]
        if lot[2] <= fen:
            fen -= lot[2]
            parts.append(take())
        else:
            parts.append((lot[0], lot[1], fen))
            lot[2] -= fen
            fen = 0
            if lot[2] < min_fen:
                dust(lot[0], lot[2])
                take()
    if newest_first:
        parts.reverse()  # newest were taken first; the parts keep the account's order
    return parts, fen


def _split(fen: int, amounts: list[int]) -> list[int]:
    """fen split in proportion to amounts (adding up to more than fen) by largest remainder, ties to the first."""
    whole = sum(amounts)
    shares = [amount * fen // whole for amount in amounts]
    left = fen - sum(shares)
    if left:
        remainders = [amount * fen - share * whole for amount, share in zip(amounts, shares, strict=True)]
        # sorted is stable, also with reverse=True: equal remainders keep their order, first wins
        for i in sorted(range(len(amounts)), key=remainders.__getitem__, reverse=True)[:left]:
            shares[i] += 1
    return shares


# ---------------------------------------------------------------- fifo and lifo: lot by lot


def _follow_queues(method: int, events: Events, routing: Routing) -> Allocation:
    """fifo or lifo: each account's lots in a deque, taken from the old end or the new one.

    As at account level, the loop takes lots and puts what stays traced into the counterparty's
    deque; _route_taken writes every outflow's moves and end points afterwards.
    """
    out = Allocation()
    end = out.ends.extend
    min_fen, max_hops = routing.min_fen, routing.max_hops
    newest_first = method == LIFO
    held = [deque() for _ in range(events.n_nodes)]
    outflows = array("q")  # event_no, account, counterparty, target per outflow
    taken: list[list] = []  # the parts (origin, hop, fen) each outflow took, in the account's order
    for event_no, kind, target, account, counterparty, origin, fen, _ in events.rows():
        if kind == START:
            if target == TRACED and fen >= min_fen:
                held[account].append([origin, 0, fen])
            else:
                end((method, account, _start_end(target), origin, fen))
        elif kind == OUT:
            parts, short = _take_in_order(
                held[account], fen, min_fen, newest_first, lambda o, f: end((method, account, DUST, o, f))
            )
            if short:  # more out than the lots present: a lot of `other` for the rest, created here
                out.parts.extend((method, OTHER, 0, NO_ACCOUNT, account, event_no, short))
                parts.append((OTHER, 0, short))
            outflows.extend((event_no, account, counterparty, target))
            taken.append(parts)
            if target == TRACED:
                arriving = held[counterparty]
                for part_origin, hop, part_fen in parts:
                    if hop < max_hops and part_fen >= min_fen:
                        arriving.append([part_origin, hop + 1, part_fen])
        else:
            for lot_origin, _, lot_fen in held[account]:
                end((method, account, FROZEN, lot_origin, lot_fen))
                out.freeze_lots.extend((event_no, method, lot_origin, lot_fen))
            held[account].clear()
    counts = np.fromiter(map(len, taken), dtype=np.int64, count=len(taken))
    lots = np.fromiter(chain.from_iterable(chain.from_iterable(taken)), dtype=np.int64, count=3 * int(counts.sum()))
    lots = lots.reshape(-1, 3)
    _route_taken(out, method, outflows, counts, lots[:, 0], lots[:, 1], lots[:, 2], routing)
    for node, lots_left in enumerate(held):
        for lot_origin, _, lot_fen in lots_left:
            end((method, node, HELD, lot_origin, lot_fen))
    return out


# ---------------------------------------------------------------- pro_rata and libr, lot by lot


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


def _follow_shares(method: int, events: Events, routing: Routing, lot_budget: int) -> Allocation:
    """pro_rata or libr lot by lot: an outflow takes a part of every lot present (every victim's,
    for libr), a few array operations on the account's Ledger, its parts written as one block.

    Raises LotBudgetExceeded as soon as the outflows' work (LOT_BUDGET) is sure to pass
    lot_budget: every outflow's fixed cost is counted up front (the number of outflows is known),
    its lots as it looks at them, so a method that would pass the budget at its last outflow
    stops at the first one whose lots make the sum pass it: the same answer, found early.
    """
    out = Allocation()
    share = _share_pro_rata if method == PRO_RATA else _share_libr
    ledgers = [Ledger() for _ in range(events.n_nodes)]
    looked_at = OUTFLOW_COST * events.kind.count(OUT)
    if looked_at > lot_budget:
        raise LotBudgetExceeded
    for event_no, kind, target, account, counterparty, origin, fen, _ in events.rows():
        if kind == START:
            if target == TRACED and fen >= routing.min_fen:
                ledgers[account].arrivals.append(np.array([[origin, 0, fen]], dtype=np.int64))
            else:
                out.ends.extend((method, account, _start_end(target), origin, fen))
        elif kind == OUT:
            ledger = ledgers[account]
            lots = ledger.current()
            looked_at += len(lots)
            if looked_at > lot_budget:
                raise LotBudgetExceeded
            amounts = lots[:, 2]
            total = int(amounts.sum())
            if total <= fen:  # every lot leaves whole, under either method
                ledger.lots = EMPTY_LOTS
                parts = lots if not len(lots) or int(amounts.min()) > 0 else lots[amounts > 0]
                _route_shares(out, method, event_no, account, counterparty, target, parts.copy(), fen - total,
                              ledgers, routing)
            else:
                _move_shares(out, method, event_no, account, counterparty, target, lots, share(lots, fen, total),
                             ledger, ledgers, routing)
        else:
            ledger = ledgers[account]
            lots = ledger.current()
            if len(lots):
                out.end_blocks.append((method, account, FROZEN, lots[:, 0], lots[:, 2]))
                out.freeze_blocks.append((event_no, method, lots[:, 0], lots[:, 2]))
            ledger.lots = EMPTY_LOTS
    for node, ledger in enumerate(ledgers):
        lots = ledger.current()
        if len(lots):
            out.end_blocks.append((method, node, HELD, lots[:, 0], lots[:, 2]))
    return out


# Each share function returns the fen taken from every lot (an array beside the lots) by an
# outflow of fen below the lots' total; _move_shares turns them into parts, dust and the lots left.
# (An outflow of at least the total takes every lot whole: _follow_shares routes them at once.)


def _share_pro_rata(lots: np.ndarray, fen: int, total: int) -> np.ndarray:
    return _largest_remainder(fen, lots[:, 2], total)


def _share_libr(lots: np.ndarray, fen: int, total: int) -> np.ndarray:
    """`other` and `opening` leave first, oldest first; then victims' lots pro rata."""
    amounts = lots[:, 2]
    taken = np.zeros_like(amounts)
    not_victims = lots[:, 0] < FIRST_VICTIM
    if not_victims.any():
        first = amounts[not_victims]
        before = np.cumsum(first) - first
        taken[not_victims] = np.clip(fen - before, 0, first)
        fen -= int(taken.sum())
        total -= int(first.sum())
    if fen:
        victims = ~not_victims
        taken[victims] = _largest_remainder(fen, amounts[victims], total)  # total > fen: some victims' lot stays
    return taken


def _largest_remainder(fen: int, amounts: np.ndarray, whole: int) -> np.ndarray:
    """fen split in proportion to amounts (summing to whole, more than fen), whole fen adding up to fen.

    Rounded down, then the fen left over one each to the largest remainders, ties to the lot first
    in the account's order (a stable sort). Products beyond int64 go through Python integers.
    """
    if fen * int(amounts.max()) < SAFE_PRODUCT:
        products = amounts * fen
        shares = products // whole
        left = fen - int(shares.sum())
        if left:
            remainders = products - shares * whole
            count = len(amounts)
            if whole * count < SAFE_PRODUCT:
                # (remainder, earlier lot) as one distinct integer per lot: the `left` largest are
                # the stable sort's first `left`, found by a partition instead of a whole sort
                keys = remainders * count + np.arange(count - 1, -1, -1, dtype=np.int64)
                shares[np.argpartition(keys, count - left)[count - left:]] += 1
            else:
                shares[np.argsort(-remainders, kind="stable")[:left]] += 1
        return shares
    return np.array(_split(fen, amounts.tolist()), dtype=np.int64)


def _move_shares(out, method, event_no, account, counterparty, target, lots, taken, ledger, ledgers, routing):
    """An outflow below the lots' total: taken (adding up to it) from each lot; the rest stays, dust written off."""
    min_fen = routing.min_fen
    took = taken > 0
    left = lots[:, 2] - taken
    if min_fen > 1:  # fen are whole: below 1 fen is nothing, so dust needs min_amount above 0.01
        dust = took & (left > 0) & (left < min_fen)
        if dust.any():
            out.end_blocks.append((method, account, DUST, lots[dust, 0], left[dust]))
        keep = (left > 0) & ~dust
    else:
        keep = left > 0
    remaining = lots[keep]
    remaining[:, 2] = left[keep]
    ledger.lots = remaining
    parts = lots[took]
    parts[:, 2] = taken[took]
    _route_shares(out, method, event_no, account, counterparty, target, parts, 0, ledgers, routing)


def _route_shares(out, method, event_no, account, counterparty, target, parts, short, ledgers, routing):
    """The parts (an array of [origin, hop, fen] this function may change) one outflow took, and short
    fen it found no lot for: moves, end points, arrivals (as _route_taken, a block at a time)."""
    max_hops, min_fen = routing.max_hops, routing.min_fen
    if short:
        out.parts.extend((method, OTHER, 0, NO_ACCOUNT, account, event_no, short))
        parts = np.concatenate([parts, np.array([[OTHER, 0, short]], dtype=np.int64)])
    if not len(parts):
        return
    if target == TO_CASH:
        out.end_blocks.append((method, account, CASH, parts[:, 0], parts[:, 2]))
        return
    if target != TO_PLATFORM and parts[:, 1].max() >= max_hops:
        maxed = parts[:, 1] >= max_hops
        out.end_blocks.append((method, account, MAX_HOPS, parts[maxed, 0], parts[maxed, 2]))
        parts = parts[~maxed]
        if not len(parts):
            return
    parts[:, 1] += 1
    origin, hop, amount = parts[:, 0], parts[:, 1], parts[:, 2]
    out.part_blocks.append((method, origin, hop, account, counterparty, event_no, amount))
    if target == TO_PLATFORM:
        out.end_blocks.append((method, counterparty, PLATFORM, origin, amount))
    elif target == UNTRACED:
        out.end_blocks.append((method, counterparty, NOT_OBTAINED, origin, amount))
    else:
        if min_fen > 1 and amount.min() < min_fen:
            small = amount < min_fen
            out.end_blocks.append((method, counterparty, DUST, origin[small], amount[small]))
            parts = parts[~small]
        if len(parts):
            ledgers[counterparty].arrivals.append(parts)


# ---------------------------------------------------------------- pro_rata and libr at account level
#
# An account's money is kept by (hop, origin) where the origin is `other`, `opening` or POOLED (all
# victims' money together); under libr `other` and `opening` stay lots in arrival order instead,
# since they leave first, oldest first. An outflow splits across those pools by largest remainder,
# ties to the lower hop, then other, opening, victims: exact integers, a few pools per account, so
# each outflow costs O(hops) whatever the number of victims. Every change to a victims' pool is
# logged; _resolve_pools reads the log backwards to say which victims' money is in each frozen
# account at its freeze, and (pro_rata) which victims' money reached it before.

START_RECORD, MOVE_RECORD, FREEZE_RECORD = range(3)
LOG_WIDTH = 10  # record, event_no, account, counterparty or origin, hop, present, taken, kept, where, ts
WEIGHT_SCALE = 1 << 96  # victims' shares of a pool are carried as integers over 2**96


def _follow_pools(
    method: int, events: Events, routing: Routing, freezes: list[tuple[str, int, int]], asking: list[bool]
) -> Allocation:
    """One pass over the events with each account's money in pools (see above), in plain integers.

    Only the nodes ``asking`` marks (``_paying_into_freezes``: frozen accounts ask which victims' money
    is where, so the log follows the accounts paying into them) have their pools logged.

    A pool is keyed hop * 3 + origin (origin OTHER, OPENING or POOLED), so sorting the keys gives
    the order an outflow splits in: lower hop first, then other, opening, victims; a part of pool
    key k that moves on arrives as key k + 3. The loop does only what the next event depends on:
    take from the pools, put what stays traced into the counterparty's. What each outflow took is
    kept as its lists of keys and fen, and _route_taken writes the moves and end points of all of
    them at once afterwards.
    """
    out = Allocation()
    end = out.ends.extend
    min_fen, max_hops = routing.min_fen, routing.max_hops
    arrives_from = max(min_fen, 1)  # a part of at least this stays traced (below: dust, or no part at all)
    moves_below = 3 * max_hops  # a part of a key below this moves on; at or above, max_hops ends it
    pools: list[dict[int, int]] = [{} for _ in range(events.n_nodes)]
    queued = [deque() for _ in range(events.n_nodes)] if method == LIBR else None
    taken = Taken()
    log = array("q")
    record = log.extend
    for event_no, kind, target, account, counterparty, origin, fen, ts in events.rows():
        if kind == START:
            if target != TRACED or fen < min_fen:
                end((method, account, _start_end(target), origin, fen))
            elif origin >= FIRST_VICTIM:
                pool = pools[account]
                pool[POOLED] = pool.get(POOLED, 0) + fen
                if asking[account]:
                    record((START_RECORD, event_no, account, origin, 0, fen, 0, 0, 0, ts))
            elif queued is not None:
                queued[account].append([origin, 0, fen])
            else:
                pool = pools[account]
                pool[origin] = pool.get(origin, 0) + fen
        elif kind == OUT:
            rest = fen
            if queued is not None and queued[account]:
                lots, rest = _take_in_order(
                    queued[account], fen, min_fen, False, lambda o, f: end((method, account, DUST, o, f))
                )
                keys = [hop * 3 + lot_origin for lot_origin, hop, _ in lots]
                took = [lot_fen for _, _, lot_fen in lots]
            else:
                keys, took = [], []
            pool = pools[account]
            if pool:
                pool_keys = sorted(pool)
                present = [pool[key] for key in pool_keys]
                total = sum(present)
                if total <= rest:
                    pool.clear()
                    rest -= total
                    shares, kept = present, None
                else:
                    shares = _split(rest, present)
                    rest = 0
                    kept = [had - share for had, share in zip(present, shares)]
                    if min_fen > 1:  # fen are whole: below 1 fen is nothing, so dust needs min_amount above 0.01
                        for i, (key, left) in enumerate(zip(pool_keys, kept)):
                            if 0 < left < min_fen and shares[i]:
                                end((method, account, DUST, key % 3, left))
                                kept[i] = 0
                    pools[account] = {key: left for key, left in zip(pool_keys, kept) if left}
                if asking[account]:
                    for i, key in enumerate(pool_keys):
                        if key % 3 == POOLED:
                            had, share = present[i], shares[i]
                            left = kept[i] if kept is not None else 0
                            if left != had:
                                where = _outcome(target, key // 3, share, routing)[0] if share else ENDS_HERE
                                record((MOVE_RECORD, event_no, account, counterparty, key // 3, had, share, left, where, ts))
                keys += pool_keys
                took += shares
            if rest:  # more out than the account holds: a lot of `other` for the rest, created here
                out.parts.extend((method, OTHER, 0, NO_ACCOUNT, account, event_no, rest))
                keys.append(OTHER)  # hop 0
                took.append(rest)
            taken.add(event_no, account, counterparty, target, keys, took)
            if target == TRACED:
                arriving = pools[counterparty]
                if queued is None:
                    for key, part_fen in zip(keys, took):
                        if part_fen >= arrives_from and key < moves_below:
                            arriving[key + 3] = arriving.get(key + 3, 0) + part_fen
                else:
                    queue = queued[counterparty]
                    for key, part_fen in zip(keys, took):
                        if part_fen >= arrives_from and key < moves_below:
                            if key % 3 == POOLED:
                                arriving[key + 3] = arriving.get(key + 3, 0) + part_fen
                            else:
                                queue.append([key % 3, key // 3 + 1, part_fen])
        else:
            victims = 0
            for lot_origin, _, lot_fen in _pooled_holdings(pools[account], queued[account] if queued else ()):
                if lot_origin == POOLED:
                    victims += lot_fen
                else:
                    end((method, account, FROZEN, lot_origin, lot_fen))
                    out.freeze_lots.extend((event_no, method, lot_origin, lot_fen))
            pools[account].clear()
            if queued:
                queued[account].clear()
            if victims:  # a freeze event means freezes is not empty: asked about
                record((FREEZE_RECORD, event_no, account, 0, 0, victims, 0, 0, 0, ts))
    counts = np.fromiter(map(len, taken.keys), dtype=np.int64, count=len(taken.keys))
    keys = np.fromiter(chain.from_iterable(taken.keys), dtype=np.int64, count=int(counts.sum()))
    fen_taken = np.fromiter(chain.from_iterable(taken.fen), dtype=np.int64, count=len(keys))
    _route_taken(out, method, taken.outflows, counts, keys % 3, keys // 3, fen_taken, routing)
    for node, pool in enumerate(pools):
        for lot_origin, _, lot_fen in _pooled_holdings(pool, queued[node] if queued else ()):
            end((method, node, HELD, lot_origin, lot_fen))
    if freezes:
        _resolve_pools(out, method, log, freezes if method == PRO_RATA else [], routing.max_hops)
    return out


class Taken:
    """What the outflows of an account-level pass took: per outflow its event and accounts, per part its pool key and fen."""

    def __init__(self) -> None:
        self.outflows = array("q")  # event_no, account, counterparty, target per outflow
        self.keys: list[list[int]] = []
        self.fen: list[list[int]] = []

    def add(self, event_no: int, account: int, counterparty: int, target: int, keys: list, fen: list) -> None:
        self.outflows.extend((event_no, account, counterparty, target))
        self.keys.append(keys)
        self.fen.append(fen)


def _route_taken(
    out: Allocation, method: int, outflows: array, counts: np.ndarray,
    origin: np.ndarray, hop: np.ndarray, fen: np.ndarray, routing: Routing,
) -> None:
    """The moves and end points of every part outflows took, in the order of rules.md §7 (_outcome's), as array operations.

    outflows: event_no, account, counterparty, target per outflow; counts: how many of the parts
    (origin, hop before the move, fen) are each outflow's, in outflow order. cash ends at the
    paying account; platform moves and ends there; a part at max_hops ends at the paying account;
    any other part moves, and ends there as not_obtained (untraced) or dust (traced, below
    min_amount). A part of 0 fen (a pool an outflow's split left out) is none.
    """
    event_no, account, counterparty, target = (
        np.repeat(column, counts) for column in np.frombuffer(outflows, dtype=np.int64).reshape(-1, 4).T
    )
    some = fen > 0
    origin, hop, fen, event_no, account, counterparty, target = (
        column[some] for column in (origin, hop, fen, event_no, account, counterparty, target)
    )
    cash = target == TO_CASH
    platform = target == TO_PLATFORM
    maxed = ~cash & ~platform & (hop >= routing.max_hops)
    moving = ~cash & ~maxed
    out.part_blocks.append(
        (method, origin[moving], hop[moving] + 1, account[moving], counterparty[moving], event_no[moving], fen[moving])
    )
    untraced = moving & (target == UNTRACED)
    dust = moving & (target == TRACED) & (fen < routing.min_fen)
    for kind, where, at in (
        (CASH, cash, account), (PLATFORM, platform, counterparty), (MAX_HOPS, maxed, account),
        (NOT_OBTAINED, untraced, counterparty), (DUST, dust, counterparty),
    ):
        out.end_blocks.append((method, at[where], kind, origin[where], fen[where]))


def _pooled_holdings(pool: dict[int, int], queued) -> Iterator[tuple[int, int, int]]:
    """(origin, hop, fen) of everything an account holds at account level."""
    yield from ((origin, hop, fen) for origin, hop, fen in queued)
    yield from ((key % 3, key // 3, fen) for key, fen in pool.items())


def _resolve_pools(
    out: Allocation, method: int, log: array, freezes: list[tuple[str, int, int]], max_hops: int
) -> None:
    """Which victims' money a pooled method left in each frozen account, and (freezes) brought into one.

    Read backwards, the log gives each account a weight per hop and question ("what reaches this
    freeze"): the share of a fen of victims' money there now that ends up in the frozen account
    at its freeze, or arrives in it by the freeze time (pro_rata's claim, rules.md §8). An outflow
    that took `taken` of a pool of `present` and kept `kept` gives the pool before it the weight
    (taken × weight of where the part went + kept × weight after) / present; a victim's start adds
    its fen × the weight at hop 0 to that victim's claim. Each question's victims' money (known
    exactly from the pools) is then split by the claims, by largest remainder, ties to the lower
    victim_id: exact to the fen, and exact proportions up to 2**-96 of a fen's share.
    """
    width = max_hops + 1
    # newest first, as columns: lists of one column each are made faster than a list per record
    backwards = [column.tolist() for column in np.frombuffer(log, dtype=np.int64).reshape(-1, LOG_WIDTH)[::-1].T]
    questions: list[tuple] = []  # ("frozen", event_no, account, victims' fen) or ("arrived", freeze_id)
    arrivals_at: dict[int, list[tuple[int, int]]] = {}
    for freeze_id, node, ts in freezes:
        arrivals_at.setdefault(node, []).append((len(questions), ts))
        questions.append(("arrived", freeze_id))
    arrived = [0] * len(questions)
    weights: dict[int, dict[int, list[int]]] = {}
    claims: dict[int, dict[int, int]] = {}
    for record, event_no, account, other, hop, present, taken, kept, where, ts in zip(*backwards):
        if record == FREEZE_RECORD:
            weights[account] = {len(questions): [WEIGHT_SCALE] * width}
            questions.append(("frozen", event_no, account, present))
            arrived.append(0)
        elif record == START_RECORD:
            for question, by_hop in weights.get(account, {}).items():
                if by_hop[0]:
                    by_origin = claims.setdefault(question, {})
                    by_origin[other] = by_origin.get(other, 0) + present * by_hop[0]
        else:
            here = weights.get(account)
            there = weights.get(other) if where == STAYS_THERE else None
            hits = []
            if taken and where != ENDS_HERE and other in arrivals_at:
                hits = [q for q, limit in arrivals_at[other] if ts <= limit]
                for question in hits:
                    arrived[question] += taken
            if not (there or hits):
                # only what stays here is asked about: each weight scaled by kept / present
                if here:
                    for by_hop in here.values():
                        if by_hop[hop]:
                            by_hop[hop] = kept * by_hop[hop] // present
                continue
            if here is None:
                here = weights[account] = {}
            asked_here = set(here).union(there or (), hits) if there or hits else list(here)
            for question in asked_here:
                went = (WEIGHT_SCALE if question in hits else 0) + (there[question][hop + 1] if there and question in there else 0)
                by_hop = here.get(question)
                value = (taken * went + kept * (by_hop[hop] if by_hop else 0)) // present
                if by_hop is None:
                    if not value:
                        continue
                    by_hop = here[question] = [0] * width
                by_hop[hop] = value
    for question, asked in enumerate(questions):
        total = asked[3] if asked[0] == "frozen" else arrived[question]
        if not total:
            continue
        for origin, fen in _split_by_claims(total, claims.get(question, {})).items():
            if asked[0] == "frozen":
                out.ends.extend((method, asked[2], FROZEN, origin, fen))
                out.freeze_lots.extend((asked[1], method, origin, fen))
            else:
                out.pooled_arrivals.append((asked[1], origin, fen))


def _paying_into_freezes(events: Events, freezes: list[tuple[str, int, int]]) -> list[bool]:
    """Per node: can its money reach a frozen account, the account itself or through others, by some
    outflow that is not cash (at any time: more than _resolve_pools needs)? Only these accounts'
    pools are logged; any other account's log records would find no weight to change there or
    downstream."""
    frozen = {account for kind, account in zip(events.kind, events.account) if kind == FREEZE}
    frozen |= {node for _, node, _ in freezes}
    payers_of: dict[int, set[int]] = {}
    for kind, target, account, counterparty in zip(events.kind, events.target, events.account, events.counterparty):
        if kind == OUT and target != TO_CASH and counterparty != NO_ACCOUNT:
            payers_of.setdefault(counterparty, set()).add(account)
    reaching, waiting = set(frozen), list(frozen)
    while waiting:
        for payer in payers_of.get(waiting.pop(), ()):
            if payer not in reaching:
                reaching.add(payer)
                waiting.append(payer)
    return [node in reaching for node in range(events.n_nodes)]


def _split_by_claims(total: int, claims: dict[int, int]) -> dict[int, int]:
    """total fen in proportion to claims (origin → weight), by largest remainder, ties to the lower origin; no zero shares."""
    whole = sum(claims.values())
    if not whole:
        raise InvariantError(code="trace.untraced", amount=_yuan(total))
    shares = {origin: total * weight // whole for origin, weight in claims.items()}
    left = total - sum(shares.values())
    for origin in sorted(claims, key=lambda o: (-(total * claims[o] - shares[o] * whole), o))[:left]:
        shares[origin] += 1
    return {origin: fen for origin, fen in sorted(shares.items()) if fen}


# ---------------------------------------------------------------- recoveries (§8)


def recovery_allotments(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """account_no, victim_id, allocation, amount_fen: every frozen account's amount, allotted exactly."""
    freezes = []
    for freeze_id, account, amount in con.execute(
        "select freeze_id, account_no, amount from trace_freezes order by account_no, freeze_id"
    ).fetchall():
        if amount < 0:
            raise FundtrailError(code="trace.negative_freeze", freeze=freeze_id, amount=amount, account=account)
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
    return pl.DataFrame(allot_recoveries(freezes, claims, caps), schema=ALLOTMENT_SCHEMA, orient="row")


ALLOTMENT_SCHEMA = {"account_no": pl.String, "victim_id": pl.String, "allocation": pl.String, "amount_fen": pl.Int64}


def _no_allotments() -> pl.DataFrame:
    """Money not followed: no lot says whose a frozen amount is, so nothing is allotted (not even `unallocated`)."""
    return pl.DataFrame(schema=ALLOTMENT_SCHEMA)


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
                _add_to(shares[account], victim, share)
        cap_at_net_loss(shares, caps)
        for account in sorted(shares):
            rounded = round_largest_remainder(frozen_fen[account], shares[account])
            rows.extend((account, victim, allocation, fen) for victim, fen in sorted(rounded.items()) if fen)
    return rows


def _add_to(totals: dict[str, Fraction], key: str, amount: Fraction) -> None:
    """totals[key] += amount, the first amount kept as it is: most keys get one, and adding a Fraction to 0 costs as much as any sum."""
    before = totals.get(key)
    totals[key] = amount if before is None else before + amount


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
                    _add_to(totals, victim, share)
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
                _add_to(by_victim, UNALLOCATED, freed)
            for victim in [v for v, s in by_victim.items() if s == 0]:
                del by_victim[victim]


def round_largest_remainder(total: int, shares: dict[str, Fraction]) -> dict[str, int]:
    """Exact shares adding up to total fen → whole fen adding up to total.

    Rounded down first; the fen left over go one each to the largest fractional parts, ties to
    the lower victim_id, `unallocated` last. The shares are put over their least common
    denominator first (an account's shares have a handful of denominators): integers compare
    and add faster than Fractions, with the same answer.
    """
    denominator = 1
    for share in shares.values():
        denominator = math.lcm(denominator, share.denominator)
        if denominator.bit_length() > MAX_COMMON_DENOMINATOR_BITS:
            return _round_fractions(total, shares)
    numerators = {victim: share.numerator * (denominator // share.denominator) for victim, share in shares.items()}
    if sum(numerators.values()) != total * denominator:
        raise InvariantError(code="trace.allotment", amount=_yuan(total), allotted=_yuan(sum(shares.values())))
    floors = {victim: numerator // denominator for victim, numerator in numerators.items()}
    left = total - sum(floors.values())
    if left:
        order = sorted(numerators, key=lambda v: (-(numerators[v] % denominator), v == UNALLOCATED, v))
        for victim in order[:left]:
            floors[victim] += 1
    return floors


MAX_COMMON_DENOMINATOR_BITS = 4096  # beyond it, shares with many unrelated denominators stay Fractions


def _round_fractions(total: int, shares: dict[str, Fraction]) -> dict[str, int]:
    """round_largest_remainder on the Fractions themselves."""
    if sum(shares.values()) != total:
        raise InvariantError(code="trace.allotment", amount=_yuan(total), allotted=_yuan(sum(shares.values())))
    floors = {victim: share.numerator // share.denominator for victim, share in shares.items()}
    left = total - sum(floors.values())
    order = sorted(shares, key=lambda v: (-(shares[v] - floors[v]), v == UNALLOCATED, v))
    for victim in order[:left]:
        floors[victim] += 1
    return floors


# ---------------------------------------------------------------- helpers


def _yuan(fen: int | Fraction) -> str:
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
