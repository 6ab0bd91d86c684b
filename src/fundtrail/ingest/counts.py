"""Count: what one file held, as ``FileStats`` (the last step of ingest; design.md "Landing tables").

Rows read, loaded and quarantined, blank and footer rows, the money loaded
and quarantined, placeholder cells, and what the file's preamble says about
its rows beside the same figures counted from the rows. ``input_files``
stores them per file (``INPUT_FILES_SCHEMA``), ``statement_summaries`` the
preamble's figures.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import polars as pl

from fundtrail.config import Source
from fundtrail.ingest import cells
from fundtrail.ingest.parse import stats_money_column
from fundtrail.ingest.readers import Layout


CENT = Decimal("0.01")
SUMMARY_ITEMS = ("count", "in_count", "in_amount", "out_count", "out_amount", "neutral_count", "neutral_amount")
STATEMENT_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "path": pl.String(),
    "account_no": pl.String(),
    "preset": pl.String(),
    "period_start": cells.UTC_TS,
    "period_end": cells.UTC_TS,
    **{
        f"{side}_{item}": cells.MONEY_TOTAL if item.endswith("amount") else pl.Int64()
        for side in ("stated", "rows")
        for item in SUMMARY_ITEMS
    },
}
# input_files: one row per file the case plans to read, what ingest counted in it (FileStats).
INPUT_FILES_SCHEMA: dict[str, pl.DataType] = {
    "path": pl.String(),
    "sha256": pl.String(),
    "kind": pl.String(),
    "source_index": pl.Int64(),
    "file_order": pl.Int64(),
    "rows_read": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    # Sums of a file's amounts: wider than one amount (DECIMAL(18,2)) so they cannot overflow.
    "amount_in": cells.MONEY_TOTAL,
    "amount_out": cells.MONEY_TOTAL,
    "amount_quarantined": cells.MONEY_TOTAL,
    "placeholder_cells": pl.Int64(),
    "blank_rows": pl.Int64(),
    "footer_rows": pl.Int64(),
    "preset": pl.String(),
    "account_from": pl.String(),
    # A file identical to an earlier one (same SHA-256) is not parsed; this names the earlier file.
    "duplicate_of": pl.String(),
}


@dataclass(frozen=True)
class FileStats:
    path: str
    sha256: str
    kind: str
    source_index: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    amount_in: Decimal
    amount_out: Decimal
    amount_quarantined: Decimal
    placeholder_cells: int
    blank_rows: int = 0
    landing_path: Path | None = None
    quarantine_path: Path | None = None
    # Footer lines a preset recognises (以上数据仅供参考…): like preamble lines, not data rows.
    footer_rows: int = 0
    preset: str | None = None
    # The account the whole file belongs to, and where it came from ("source" or "preamble").
    account_no: str | None = None
    account_from: str | None = None
    # What the export's preamble says about its rows (SUMMARY_ITEMS, period_start/period_end as
    # UTC datetimes), and the same items counted from the rows read: each row by its own in/out
    # label, whatever its status, as the platforms count. Never trusted over the rows.
    stated_summary: dict[str, object] = field(default_factory=dict)
    row_summary: dict[str, object] = field(default_factory=dict)


def count_file(
    parsed: pl.DataFrame,
    written: tuple[pl.DataFrame, pl.DataFrame, Path, Path],
    source: Source,
    layout: Layout,
    rel_path: str,
    sha256: str,
) -> FileStats:
    """One file's FileStats: ``parsed`` is every row read (blank and footer rows flagged),
    ``written`` what ``parse.write_parsed_rows`` made of its data rows."""
    landing, quarantine, landing_path, quarantine_path = written
    rows = parsed.filter(~pl.col("_blank") & ~pl.col("_footer"))
    amount_in, amount_out = _money_totals(landing, source.kind)
    amount_quarantined = (
        decimal(rows.filter(pl.col("_failure").is_not_null()).get_column("_amount_abs").sum())
        if "_amount_abs" in rows.columns
        else Decimal("0.00")
    )
    placeholder_flags = rows.select(pl.col("^_placeholder_.*$").cast(pl.Int64))
    stated = stated_summary(layout.stated, source.timezone)
    return FileStats(
        path=rel_path,
        sha256=sha256,
        kind=source.kind,
        source_index=source.index,
        rows_read=rows.height,
        rows_loaded=landing.height,
        rows_quarantined=quarantine.height,
        amount_in=amount_in,
        amount_out=amount_out,
        amount_quarantined=amount_quarantined,
        placeholder_cells=int(placeholder_flags.sum().sum_horizontal().item()) if placeholder_flags.width else 0,
        blank_rows=parsed.filter(pl.col("_blank")).height,
        landing_path=landing_path,
        quarantine_path=quarantine_path,
        footer_rows=parsed.filter(~pl.col("_blank") & pl.col("_footer")).height,
        preset=layout.preset.name if layout.preset else None,
        account_no=layout.account_no,
        account_from=layout.account_from,
        stated_summary=stated,
        row_summary=_row_summary(rows) if stated and "_flow" in rows.columns else {},
    )


def file_sha256(path: Path | str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_and_hash(path: Path | str, keep_up_to: int) -> tuple[str, int, bytes | None]:
    """The file's SHA-256, its size and, if it is at most ``keep_up_to`` bytes, its bytes (one read for all).

    On the bare descriptor: a buffered file object per file was a third of the time a run of
    20,000 small files spent here.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size > keep_up_to:
            with open(fd, "rb", closefd=False) as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest(), size, None
        data = _read_to_end(fd, size)
    finally:
        os.close(fd)
    return hashlib.sha256(data).hexdigest(), len(data), data


def read_bytes(path: Path | str) -> bytes:
    """The whole file, as ``open(path, "rb").read()`` reads it, on the bare descriptor."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return _read_to_end(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _read_to_end(fd: int, size: int) -> bytes:
    """``size`` bytes (what fstat said) and then on to the end, as a buffered read() goes: a short
    read, or a file that grew since fstat."""
    data = os.read(fd, size + 1)
    while chunk := os.read(fd, 1 << 16):
        data += chunk
    return data


def statement_summaries(stats: list[FileStats | None]) -> pl.DataFrame:
    """One row per file whose preamble states a summary or a period: what it states and what its rows hold.

    The pipeline stores this as the table ``statement_summaries`` that
    sql/core/statement_integrity.sql compares.
    """
    records = []
    for stat in stats:
        if stat is None or not stat.stated_summary:
            continue
        stated, counted = stat.stated_summary, stat.row_summary
        record: dict[str, object] = {
            "path": stat.path,
            "account_no": stat.account_no,
            "preset": stat.preset,
            "period_start": stated.get("period_start"),
            "period_end": stated.get("period_end"),
        }
        for item in SUMMARY_ITEMS:
            record[f"stated_{item}"] = stated.get(item)
            record[f"rows_{item}"] = counted.get(item)
        records.append(record)
    return pl.DataFrame(records, schema=STATEMENT_SUMMARY_SCHEMA)


def stated_summary(found: dict[str, str], timezone: str) -> dict[str, object]:
    """Preamble texts → typed values; a text that does not parse is left out rather than guessed."""
    stated: dict[str, object] = {}
    for key, text in found.items():
        if key.startswith("period_"):
            if key == "period_end" and re.fullmatch(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}", text):
                # A period stated by days (2024-12-01 至 2024-12-31) ends at the end of its last day.
                text = f"{text} 23:59:59"
            instant = cells.parse_timestamps(pl.Series([text]), timezone).item()
            if instant is not None:
                stated[key] = instant
        elif key.endswith("amount"):
            amount = cells.parse_money(pl.Series([text], dtype=pl.String)).item()
            if amount is not None:
                stated[key] = amount
        else:
            stated[key] = int(text)
    return stated


def _row_summary(rows: pl.DataFrame) -> dict[str, object]:
    flows = rows.group_by("_flow").agg(pl.len().alias("n"), pl.col("_amount_abs").sum().alias("total"))
    by_flow = {flow: (n, total) for flow, n, total in flows.iter_rows()}
    summary: dict[str, object] = {"count": rows.height}
    for item, flow in (("in", "in"), ("out", "out"), ("neutral", None)):
        n, total = by_flow.get(flow, (0, None))
        summary[f"{item}_count"] = n
        summary[f"{item}_amount"] = decimal(total)
    return summary


def _money_totals(landing: pl.DataFrame, kind: str) -> tuple[Decimal, Decimal]:
    money = stats_money_column(kind)
    if money is None:
        return Decimal("0.00"), Decimal("0.00")
    amounts = landing.get_column(money)
    if kind == "bank_statement":
        return decimal(amounts.filter(amounts > 0).sum()), decimal(-amounts.filter(amounts < 0).sum())
    return decimal(amounts.sum()), Decimal("0.00")


def decimal(value: object) -> Decimal:
    return (Decimal(0) if value is None else Decimal(value)).quantize(CENT)
