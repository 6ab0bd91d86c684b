"""Figures shared by the workbook and the HTML report: exact money text and the case totals.

The totals are ``summary["totals"]``, as publish computes them from the marts
(and manifest.json keeps them); a report shows them and computes none of its
own, so the workbook, the page and the manifest cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from fundtrail import sqlrun

MONEY_TOTALS = (
    "entries_total",
    "validated_amount",
    "unvalidated_amount",
    "payments_total",
    "unattributed_amount",
)
TOTALS_ORDER = (
    "entries_count",
    "entries_total",
    "validated_amount",
    "unvalidated_amount",
    "validated_share",
    "payments_count",
    "payments_total",
    "unattributed_amount",
    "victims",
    "defendants",
    "quarantined_rows",
)


def _tier_order() -> tuple[str, ...]:
    """Every tier, most serious first: the fraud tiers, then the information-sale tiers, each by its
    threshold from the highest down (the tier seeds, sql/seeds/*_tiers.csv), and ``none`` last."""
    thresholds = (("fraud_tiers", "min_liable"), ("info_tiers", "min_net_gain"))
    ordered = [
        row["tier"]
        for seed, threshold in thresholds
        for row in sorted(sqlrun.seed_rows(seed), key=lambda row: Decimal(row[threshold]), reverse=True)
    ]
    return (*dict.fromkeys(tier for tier in ordered if tier != "none"), "none")


TIER_ORDER = _tier_order()
TIER_RANK = {tier: rank for rank, tier in enumerate(TIER_ORDER)}

INFO_SUMMARY_COLUMNS = (
    "defendant_id",
    "records_unique",
    "records_corroborated",
    "received",
    "paid_upstream",
    "net_gain",
    "tier",
)
INFO_MONEY_COLUMNS = ("received", "paid_upstream", "net_gain")


def money(value: Decimal | None) -> str:
    """``12345.6`` → ``12,345.60``; formatted from the Decimal, never through a float."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def share(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(value) * 100:.2f}%"


def totals(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary's totals (publish computes them from the marts), amounts as Decimals, in TOTALS_ORDER."""
    given = {k: _as_decimal(k, v) for k, v in (summary.get("totals") or {}).items() if k != "defendants_by_tier"}
    ordered = {k: given[k] for k in TOTALS_ORDER if k in given}
    ordered.update({k: v for k, v in given.items() if k not in ordered})
    return ordered


def _as_decimal(key: str, value: Any) -> Any:
    """Amounts given as decimal strings (as manifest.json holds them) become Decimals."""
    if isinstance(value, str) and (is_money_key(key) or key == "validated_share"):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def tiers(tables: dict[str, pl.DataFrame], summary: dict[str, Any]) -> dict[str, int]:
    # Tiers no defendant reached are left out: an information-sale case's fraud tiers are all zero.
    given = {str(k): int(v) for k, v in ((summary.get("totals") or {}).get("defendants_by_tier") or {}).items() if v}
    if given:
        counts = given
    else:
        counts = {}
        for name in ("defendants", "info_defendants"):
            frame = tables.get(name)
            if frame is not None and "tier" in frame.columns and frame.height:
                grouped = frame.group_by("tier").len()
                counts.update(dict(zip(grouped["tier"].to_list(), grouped["len"].to_list())))
    return dict(sorted(counts.items(), key=lambda kv: tier_key(kv[0])))


def tier_key(tier: str | None) -> tuple[int, str]:
    """Sort key of a tier: most serious first, a tier TIER_ORDER does not know after every known one."""
    return TIER_RANK.get(tier, len(TIER_RANK)), tier or ""


def by_tier(frame: pl.DataFrame, amount: str) -> pl.DataFrame:
    """Rows most serious tier first, then largest ``amount``, then by defendant_id."""
    rank = pl.col("tier").replace_strict(TIER_RANK, default=len(TIER_RANK), return_dtype=pl.Int64)
    return frame.sort([rank, pl.col(amount), pl.col("defendant_id")], descending=[False, True, False], nulls_last=True)


def quarantine_counts(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Rows rejected per source file and reason, most first."""
    frame = tables.get("quarantine")
    if frame is None or frame.height == 0:
        return pl.DataFrame(schema={"source": pl.String, "reason": pl.String, "rows": pl.Int64})
    return (
        frame.group_by("source", "reason")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .sort(["rows", "source", "reason"], descending=[True, False, False])
    )


def is_money_key(key: str) -> bool:
    return key in MONEY_TOTALS or key.endswith(("_amount", "_total"))


def in_case_time(frame: pl.DataFrame, timezone: str | None) -> pl.DataFrame:
    """Every zoned time column converted to the case time zone (the tables may carry UTC)."""
    if not timezone:
        return frame
    exprs = [
        pl.col(c).dt.convert_time_zone(timezone)
        for c, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ]
    return frame.with_columns(exprs) if exprs else frame


def case_time(value: Any, timezone: str | None) -> str:
    """A run time (datetime or ISO 8601 text) as ``2023-07-01 10:00:09`` in the case time zone."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    if timezone and value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(timezone))
    return value.strftime("%Y-%m-%d %H:%M:%S")


def info_defendants(tables: dict[str, pl.DataFrame], summary: dict[str, Any]) -> pl.DataFrame | None:
    """The information-sale defendants: the whole table when given, else the summary's rows; None when neither has any."""
    frame = tables.get("info_defendants")
    if frame is not None and frame.height:
        return frame
    rows = summary.get("info_defendants")
    if not isinstance(rows, list) or not rows:
        return None
    rows = [row for row in rows if isinstance(row, dict)]

    def typed(column: str, value: Any) -> Any:
        # Amounts may arrive as Decimals (from the run) or as decimal strings (from manifest.json).
        if value is None:
            return None
        if column in INFO_MONEY_COLUMNS:
            return Decimal(str(value))
        return int(value) if column.startswith("records_") else str(value)

    schema = {
        c: pl.Decimal(18, 2) if c in INFO_MONEY_COLUMNS else pl.Int64 if c.startswith("records_") else pl.String
        for c in INFO_SUMMARY_COLUMNS
    }
    return pl.DataFrame({c: [typed(c, row.get(c)) for row in rows] for c in INFO_SUMMARY_COLUMNS}, schema=schema)
