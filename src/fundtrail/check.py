"""`fundtrail check CASE_DIR`: is the case ready to run, and what will the run read? In about a second.

It does what a run does before its figures, and nothing after: reads
case.toml (``config.load_case``), checks every file's header and column
mapping (``ingest.batch.check_source``, the run's own check), then parses
every file exactly as the run's ingest does (``ingest.batch.load_batch``)
into a scratch folder that is removed at the end. Nothing is written
beside the case or anywhere else, and Prefect is never imported.

What it shows, per source: how many files and rows the run will read, how
many rows it will load and quarantine and why, files read once because they
repeat another byte for byte, and the first rows as mapped to canonical
columns, masked as the reports mask them (docs/safety.md). Then the
warnings it can already see: no gang account known at all, or none that a
statement touches (no payment can be found), and statements whose own
account is neither a gang account nor a victim's (traced only, never
payments). The run's own warnings (outputs.md) come from its SQL after
matching; these are the ones that need no matching to see.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from fundtrail import messages
from fundtrail.config import CaseConfig, Source, load_case
from fundtrail.ingest import FileStats, file_sha256
from fundtrail.ingest import batch as batches
from fundtrail.kinds import KINDS
from fundtrail.reports.mask import mask_row, mask_table

SAMPLE_ROWS = 3
# mask_row keeps a defendant's name (the roster's) and masks every other name.
MASK_TABLE_OF_KIND = {"roster": "stg_roster"}


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int
    example: str


@dataclass(frozen=True)
class SourceCheck:
    index: int
    kind: str
    path: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    duplicates: tuple[str, ...]
    reasons: tuple[ReasonCount, ...]
    sample: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class CheckWarning:
    code: str
    message_code: str
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        return messages.text(self.message_code, lang, **self.params)


@dataclass(frozen=True)
class CheckReport:
    case: CaseConfig
    sources: tuple[SourceCheck, ...]
    warnings: tuple[CheckWarning, ...]
    seconds: float


def check_case(case_dir: str | Path) -> CheckReport:
    """Validate the case and parse its files as a run would; raise the run's own FundtrailError if it cannot."""
    started = time.monotonic()
    case = load_case(case_dir)
    for source in case.sources:
        batches.check_source(case, source)
    seen: dict[str, str] = {}
    checks: list[SourceCheck] = []
    landings: dict[int, pl.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="fundtrail-check-") as scratch:
        for source in case.sources:
            read, duplicates = [], []
            for rel_path in source.files:
                digest = file_sha256(case.case_dir / rel_path)
                if digest in seen:
                    duplicates.append(rel_path)
                else:
                    seen[digest] = rel_path
                    read.append((source.index, rel_path, digest))
            stats: list[FileStats] = []
            for planned in batches.plan_batches(case, read):
                stats += batches.load_batch(case, planned, Path(scratch))
            landing = _frames({s.landing_path for s in stats})
            quarantine = _frames({s.quarantine_path for s in stats})
            landings[source.index] = landing
            checks.append(
                SourceCheck(
                    index=source.index,
                    kind=source.kind,
                    path=source.path,
                    files=len(source.files),
                    rows_read=sum(s.rows_read for s in stats),
                    rows_loaded=sum(s.rows_loaded for s in stats),
                    rows_quarantined=sum(s.rows_quarantined for s in stats),
                    duplicates=tuple(duplicates),
                    reasons=_reasons(quarantine),
                    sample=_sample(case, source, landing),
                )
            )
    return CheckReport(case, tuple(checks), tuple(_warnings(case, landings)), time.monotonic() - started)


def render(report: CheckReport, lang: str = messages.DEFAULT_LANG) -> str:
    """The check as the CLI prints it, in ``lang``."""
    case = report.case
    t = lambda key, /, **params: messages.text(key, lang, **params)  # noqa: E731
    lines = [
        t("check.title", case_id=case.id, title=case.title),
        t("check.config_ok", sources=len(report.sources), files=sum(s.files for s in report.sources)),
    ]
    for s in report.sources:
        lines.append(
            "  "
            + t(
                "check.source",
                source=messages.Phrase("term.source", index=s.index),
                kind=s.kind,
                kind_label=t(f"kind.{s.kind}"),
                path=s.path,
                files=s.files,
                rows=s.rows_read,
                loaded=s.rows_loaded,
                quarantined=s.rows_quarantined,
            )
        )
        if s.duplicates:
            lines.append("    " + t("check.duplicates", count=len(s.duplicates), paths=", ".join(s.duplicates)))
        for r in s.reasons:
            lines.append(
                "    " + t("check.quarantined", count=r.count, reason=messages.reason_label(r.reason, lang), example=r.example)
            )
        if s.sample:
            lines.append("    " + t("check.sample", count=len(s.sample)))
            lines += ["      " + "  ".join(f"{k}={v}" for k, v in row.items()) for row in s.sample]
    if report.warnings:
        lines += [t("check.warning", code=w.code, message=w.message(lang)) for w in report.warnings]
    else:
        lines.append(t("check.no_warnings"))
    lines.append(t("check.done", seconds=report.seconds, case_dir=_shown_dir(case.case_dir)))
    return "\n".join(lines) + "\n"


def _shown_dir(case_dir: Path) -> str:
    try:
        return str(case_dir.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(case_dir)


def _frames(paths: set[Path | None]) -> pl.DataFrame:
    """The Parquet files of a source's batches (a batch's file is shared by its files), in name order."""
    found = sorted(p for p in paths if p is not None)
    if not found:
        return pl.DataFrame()
    return pl.concat([pl.read_parquet(p) for p in found], how="vertical_relaxed")


def _reasons(quarantine: pl.DataFrame) -> tuple[ReasonCount, ...]:
    """Quarantined rows per reason, most first, each with its first row (file:row column=value, masked)."""
    if quarantine.is_empty():
        return ()
    masked = mask_table("quarantine", quarantine.sort("source", "source_row"))
    counts = masked.group_by("reason").agg(
        pl.len().alias("count"),
        pl.first("source"),
        pl.first("source_row"),
        pl.first("column"),
        pl.first("value"),
    )
    return tuple(
        ReasonCount(
            row["reason"],
            row["count"],
            f"{row['source']}:{row['source_row']} {row['column']}={row['value'] or ''!r}",
        )
        for row in counts.sort(["count", "reason"], descending=[True, False]).iter_rows(named=True)
    )


def _sample(case: CaseConfig, source: Source, landing: pl.DataFrame) -> tuple[dict[str, str], ...]:
    """The first loaded rows in canonical columns (empty ones left out), as text, masked."""
    if landing.is_empty():
        return ()
    zone = ZoneInfo(case.timezone)
    rows = []
    columns = ["source", "source_row", *(c.name for c in KINDS[source.kind] if c.name in landing.columns)]
    for row in landing.sort("source", "source_row").head(SAMPLE_ROWS).select(columns).iter_rows(named=True):
        shown = {k: _text(v, zone) for k, v in row.items() if v is not None and v != ""}
        rows.append(mask_row(MASK_TABLE_OF_KIND.get(source.kind, source.kind), shown))
    return tuple(rows)


def _text(value: object, zone: ZoneInfo) -> str:
    """A landing cell as text; times (stored UTC) in the case timezone."""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(sep=" ")
    return str(value)


def _accounts(landings: dict[int, pl.DataFrame], case: CaseConfig, kind: str, column: str) -> set[str]:
    found: set[str] = set()
    for source in case.sources_of(kind):
        frame = landings.get(source.index)
        if frame is not None and column in frame.columns:
            found.update(frame.get_column(column).drop_nulls().to_list())
    return found


def _warnings(case: CaseConfig, landings: dict[int, pl.DataFrame]) -> list[CheckWarning]:
    """What can be seen before matching (rules.md §2: a gang account is a listed one or a sheet's receiving account)."""
    gang = _accounts(landings, case, "gang_accounts", "account_no") | _accounts(
        landings, case, "deposit_sheet", "receiving_account"
    )
    known = gang | _accounts(landings, case, "victims", "account_no") | _accounts(landings, case, "accounts", "account_no")
    entries = sum(landings[s.index].height for s in case.sources_of("deposit_sheet"))
    statements = [landings[s.index] for s in case.sources_of("bank_statement") if not landings[s.index].is_empty()]
    postings = pl.concat(statements, how="vertical_relaxed") if statements else pl.DataFrame()

    found: list[CheckWarning] = []
    if entries and not gang:
        found.append(CheckWarning("no_payments", "check.no_gang_accounts", {"count": entries}))
    elif entries:
        touches = (
            postings.filter(
                pl.col("account_no").is_in(list(gang)) | pl.col("counterparty_account").is_in(list(gang))
            ).height
            if not postings.is_empty() and "counterparty_account" in postings.columns
            else 0
        )
        if not touches:
            found.append(CheckWarning("no_payments", "check.no_gang_statement", {"count": entries}))
    if not postings.is_empty():
        unexplained = (
            postings.filter(~pl.col("account_no").is_in(list(known)))
            .group_by("source", "account_no")
            .agg(pl.len().alias("count"))
            .sort("source", "account_no")
        )
        for row in unexplained.iter_rows(named=True):
            masked = mask_row("run_warnings", {"source": row["source"], "account_no": row["account_no"]})
            found.append(
                CheckWarning(
                    "unexplained_statement",
                    "check.unexplained_statement",
                    {"source": masked["source"], "account": masked["account_no"], "count": row["count"]},
                )
            )
    return found
