"""The answer key: the rules of rules.md §2–§5 applied to what the generator planted.

Nothing here reads the evidence files or runs the pipeline. The inputs are
the planted facts: per (code, case day) the amounts of validated and
unvalidated entries, per payer the visible payments, their fate and the
returns. Attribution, the own/unit/gang measures, liability and tiers are
worked out again from the roster, independently of the pipeline's SQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from fundtrail.config import LIABILITY_DEFAULTS
from fundtrail.generate.org import Organisation
from fundtrail.generate.writers import epoch_day, fen_text, write_json

if TYPE_CHECKING:
    from fundtrail.generate.fraud import Counters

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
    truth = {"case": "729-fraud", "defendants": defendants, "victims": victims, "totals": totals}
    write_json(out / "truth.json", truth)
    return truth
