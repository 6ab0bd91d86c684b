"""The answer key: the rules of rules.md §2–§5 applied to what the generator planted.

Nothing here reads the evidence files or runs the pipeline. The inputs are
the planted facts: per (code, case day) the amounts of validated and
unvalidated entries, per payer the visible payments, their fate and the
returns. Attribution, the own/unit/gang measures, liability and tiers are
worked out again from the roster, independently of the pipeline's SQL.
"""

from __future__ import annotations

from collections import deque
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from fundtrail.config import LIABILITY_DEFAULTS
from fundtrail.generate.org import Organisation
from fundtrail.generate.writers import epoch_day, fen_text, write_csv, write_json

if TYPE_CHECKING:
    from fundtrail.generate.fraud import Batch, Counters

OPEN_END = epoch_day(date(9999, 12, 31))
BASIS_RANK = {"own": 1, "unit": 2, "gang": 3}
TIERS = ((500_000_00, "especially_huge"), (30_000_00, "huge"), (3_000_00, "large"))


def tier_of(liable_fen: int) -> str:
    return next((name for mark, name in TIERS if liable_fen >= mark), "none")


def defendant_measures(
    org: Organisation, entries: pl.DataFrame, liability: dict[str, str] = LIABILITY_DEFAULTS
) -> pl.DataFrame:
    """entries: code, day (epoch day in the case timezone), validated, amount (fen) → one row per defendant."""
    roster = org.roster.with_columns(
        pl.col("valid_from").dt.epoch("d").alias("from_day"),
        pl.col("valid_to").dt.epoch("d").fill_null(OPEN_END).alias("to_day"),
    )
    attributed = entries.join(
        roster.select("member_code", "defendant_id", "unit_id", "from_day", "to_day"),
        left_on="code",
        right_on="member_code",
        how="left",
    ).filter(
        pl.col("defendant_id").is_null() | pl.col("day").is_between(pl.col("from_day"), pl.col("to_day"))
    )
    # An entry whose code had holders, but none on its day, fell out of the filter: it is unknown too.
    unknown = entries.join(attributed.select("code", "day", "validated").unique(), on=["code", "day", "validated"], how="anti")
    attributed = pl.concat([attributed.drop("from_day", "to_day"), unknown], how="diagonal_relaxed")

    own = attributed.filter(pl.col("defendant_id").is_not_null()).group_by("defendant_id").agg(
        pl.col("amount").filter("validated").sum().alias("own"),
        pl.col("amount").filter(~pl.col("validated")).sum().alias("own_unvalidated"),
    )
    validated = attributed.filter("validated")
    unit_daily = validated.filter(pl.col("unit_id").is_not_null()).group_by("unit_id", "day").agg(pl.col("amount").sum())
    all_daily = validated.group_by("day").agg(pl.col("amount").sum())

    periods = roster.select("defendant_id", "unit_id", "from_day", "to_day")
    unit = (
        periods.join(org.subtree(), on="unit_id")
        .join(unit_daily.rename({"unit_id": "member_unit_id"}), on="member_unit_id")
        .filter(pl.col("day").is_between(pl.col("from_day"), pl.col("to_day")))
        .unique(["defendant_id", "member_unit_id", "day"])
        .group_by("defendant_id")
        .agg(pl.col("amount").sum().alias("unit"))
    )
    gang = (
        periods.join(all_daily, how="cross")
        .filter(pl.col("day").is_between(pl.col("from_day"), pl.col("to_day")))
        .unique(["defendant_id", "day"])
        .group_by("defendant_id")
        .agg(pl.col("amount").sum().alias("gang"))
    )
    rank = {role: BASIS_RANK[basis] for role, basis in liability.items()}
    people = roster.group_by("defendant_id").agg(
        pl.col("role").replace_strict(rank, return_dtype=pl.Int64).max().alias("rank")
    )
    basis_of = {v: k for k, v in BASIS_RANK.items()}
    measured = (
        people.join(own, on="defendant_id", how="left")
        .join(unit, on="defendant_id", how="left")
        .join(gang, on="defendant_id", how="left")
        .fill_null(0)
        .with_columns(pl.col("rank").replace_strict(basis_of, return_dtype=pl.String).alias("liable_basis"))
        .with_columns(
            pl.when(pl.col("liable_basis") == "gang").then("gang")
            .when(pl.col("liable_basis") == "unit").then("unit")
            .otherwise("own").alias("liable")
        )
        .sort("defendant_id")
    )
    return measured


def fraud_truth(out: Path, org: Organisation, counters: Counters) -> dict:
    entries = (
        pl.concat(counters.entry_aggregates)
        .group_by("code", "day", "validated")
        .agg(pl.col("amount").sum(), pl.col("count").sum())
    )
    measured = defendant_measures(org, entries.select("code", "day", "validated", "amount"))
    defendants = {
        row["defendant_id"]: {
            "own": fen_text(row["own"]),
            "own_unvalidated": fen_text(row["own_unvalidated"]),
            "unit": fen_text(row["unit"]),
            "gang": fen_text(row["gang"]),
            "liable": fen_text(row["liable"]),
            "liable_basis": row["liable_basis"],
            "tier": tier_of(row["liable"]),
        }
        for row in measured.iter_rows(named=True)
    }
    victims_frame = pl.concat(counters.victim_tables, how="diagonal_relaxed").sort("payer_key")
    victims = {
        row["payer_key"]: {
            "paid": fen_text(row["paid"]),
            "returned": fen_text(row["returned"]),
            "net_loss": fen_text(row["paid"] - row["returned"]),
            "validated": fen_text(row["validated"]),
            "unattributed": fen_text(row["paid"] - row["validated"]),
        }
        for row in victims_frame.iter_rows(named=True)
    }
    valid = entries.filter("validated")
    invalid = entries.filter(~pl.col("validated"))
    totals = {
        "validated": fen_text(int(valid["amount"].sum())),
        "unvalidated": fen_text(int(invalid["amount"].sum())),
        "entries": int(entries["count"].sum()),
        "entries_validated": int(valid["count"].sum()),
        "paid": fen_text(int(victims_frame["paid"].sum())),
        "returned": fen_text(int(victims_frame["returned"].sum())),
        "unattributed": fen_text(int((victims_frame["paid"] - victims_frame["validated"]).sum())),
        "payments": int(victims_frame["payments"].sum()),
        "victims": victims_frame.height,
        "unidentified_payers": int(victims_frame["payer_key"].str.starts_with("unidentified:").sum()),
        "statement_rows": counters.statement_rows,
        "duplicate_rows": counters.duplicate_rows,
        "quarantined_rows": counters.quarantined_rows,
        "defendants": len(defendants),
    }
    fifo = (
        pl.concat(counters.fifo_endpoints)
        .group_by("account_no", "kind", "origin")
        .agg(pl.col("fen").sum())
        .sort("account_no", "kind", "origin")
    )
    write_csv(
        out / FIFO_ENDPOINTS,
        fifo.select(pl.lit("fifo").alias("method"), "account_no", "kind", "origin",
                    pl.col("fen").map_elements(fen_text, return_dtype=pl.String).alias("amount")),
    )
    frozen = pl.concat(counters.frozen_rows)
    tracing = {
        "fifo_endpoints": FIFO_ENDPOINTS,
        "fifo_by_kind": {kind: fen_text(int(f)) for kind, f in fifo.group_by("kind").agg(pl.col("fen").sum()).iter_rows()},
        "frozen": {account: fen_text(amount) for account, amount in frozen.select("account_no", "amount").iter_rows()},
        "layer_accounts": {str(k): n for k, n in pl.concat(counters.layer_rows).group_by("layer").len().iter_rows()},
    }
    truth = {"case": "729-fraud", "defendants": defendants, "victims": victims, "totals": totals, "tracing": tracing}
    write_json(out / "truth.json", truth)
    return truth


# ---------------------------------------------------------------- where the money went, first in first out

FIFO_ENDPOINTS = "truth_endpoints_fifo.csv"
MAX_HOPS = 6  # the generated case keeps [tracing] max_hops at its default


def fifo_endpoints(batch: Batch, postings: pl.DataFrame, platforms: tuple[str, ...]) -> pl.DataFrame:
    """account_no, kind, origin, fen: where the batch's money ends, followed first in, first out (rules.md §7).

    Worked out from the planted transfers, their visibility and the statements' opening balances,
    not from the evidence files or fundtrail's tracing: traced accounts are those with a statement
    but victims' own; a transfer seen on the payer's traced statement moves lots at the payer's
    time, one seen only on the payee's side starts a lot there (the victim's for a payment, else
    `other`); events run by time, then openings, postings, freezes, then account, then the
    account's own order (time, amount, counterparty: how its statement lists them).
    """
    victims_accounts = set(batch.payers.filter("identified")["account_no"].to_list())
    statement_accounts = set(postings["account_no"].unique().to_list())
    traced = statement_accounts - victims_accounts - set(platforms)
    payer_key = dict(zip(batch.payers["account_no"].to_list(), batch.payers["payer_key"].to_list(), strict=True))

    t = batch.transfers.with_row_index("transfer")
    sides = pl.concat(
        [
            t.filter("payer_vis").select("transfer", pl.lit(0).alias("side"), pl.col("payer").alias("account_no"),
                                         pl.col("ts_payer").alias("ts"), (-pl.col("amount")).alias("amount"),
                                         pl.col("payee").alias("counterparty")),
            t.filter("payee_vis").select("transfer", pl.lit(1).alias("side"), pl.col("payee").alias("account_no"),
                                         pl.col("ts_payee").alias("ts"), "amount", pl.col("payer").alias("counterparty")),
        ]
    ).sort("account_no", "ts", "amount", "counterparty")
    sides = sides.with_columns(pl.int_range(pl.len()).over("account_no").alias("rank"))
    rank = {(i, side): r for i, side, r in sides.select("transfer", "side", "rank").iter_rows()}

    events = []  # (ts, instant class, account, rank, action, ...)
    for i, payer, payee, fen, ts_payee, kind, ts_payer, payer_vis, payee_vis in t.select(
        "transfer", "payer", "payee", "amount", "ts_payee", "kind", "ts_payer", "payer_vis", "payee_vis"
    ).iter_rows():
        payee_traced = payee in traced
        to = "cash" if payee is None else "platform" if payee in platforms else "traced" if payee_traced else "untraced"
        if payer_vis and payer in traced:
            events.append((ts_payer, 1, payer, rank[(i, 0)], "out", payee, to, fen))
        elif (payer_vis or payee_vis) and (payee_traced or kind == "payment"):
            origin = payer_key[payer] if kind == "payment" else "other"
            at = rank.get((i, 1), float("inf"))  # no posting of the payee's: after its postings of that time
            events.append((ts_payer if payer_vis else ts_payee, 1, payee, at, "start", origin, to, fen))
    firsts = postings.group_by("account_no", maintain_order=True).first()
    for account, ts, amount, balance in firsts.select("account_no", "ts", "amount", "balance").iter_rows():
        if account in traced and balance - amount > 0:
            events.append((ts, 0, account, 0, "start", "opening", "traced", balance - amount))
    for account, ts in batch.frozen.select("account_no", "ts").iter_rows():
        if account in traced:
            events.append((ts, 2, account, 0, "freeze", None, None, 0))
    events.sort(key=lambda e: e[:4])

    lots: dict[str, deque] = {account: deque() for account in traced}
    ended: dict[tuple[str, str, str], int] = {}

    def end(account: str, kind: str, origin: str, fen: int) -> None:
        ended[(account, kind, origin)] = ended.get((account, kind, origin), 0) + fen

    for _, _, account, _, action, other, to, fen in events:
        if action == "start":
            if to == "traced":
                lots[account].append([other, 0, fen])
            else:
                end(account, "platform" if to == "platform" else "not_obtained", other, fen)
        elif action == "freeze":
            for origin, _, lot_fen in lots[account]:
                end(account, "frozen", origin, lot_fen)
            lots[account].clear()
        else:
            parts, held = [], lots[account]
            while fen and held:
                origin, hop, lot_fen = held[0]
                taken = min(fen, lot_fen)
                parts.append((origin, hop, taken))
                fen -= taken
                if taken == lot_fen:
                    held.popleft()
                else:
                    held[0][2] -= taken
            if fen:  # the statement shows more going out than came in: `other` for the rest
                parts.append(("other", 0, fen))
            for origin, hop, part_fen in parts:
                if to == "cash":
                    end(account, "cash", origin, part_fen)
                elif to == "platform":
                    end(other, "platform", origin, part_fen)
                elif hop >= MAX_HOPS:
                    end(account, "max_hops", origin, part_fen)
                elif to == "untraced":
                    end(other, "not_obtained", origin, part_fen)
                else:
                    lots[other].append([origin, hop + 1, part_fen])
    for account, held in lots.items():
        for origin, _, lot_fen in held:
            end(account, "held", origin, lot_fen)
    return pl.DataFrame(
        [(a, k, o, f) for (a, k, o), f in ended.items()],
        schema={"account_no": pl.String, "kind": pl.String, "origin": pl.String, "fen": pl.Int64},
        orient="row",
    )
