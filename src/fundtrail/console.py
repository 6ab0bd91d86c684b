"""What the command line prints, in the user's language: the run summary and one-line errors. No Prefect here.

flows/cli.py parses the arguments and runs the flow; every sentence it
prints is made here from the message catalogue (fundtrail.messages), so the
CLI stays thin and the text can be tested without a run. Codes, file names,
amounts and the quarantine reasons' technical text are printed as they are.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fundtrail import messages
from fundtrail.reports.labels import value_label
from fundtrail.reports.mask import digit_runs_expr

# Quarantine reasons listed under the summary, most frequent first.
MAX_REASONS = 8


def error_line(error: BaseException, lang: str = messages.DEFAULT_LANG) -> str:
    """``fundtrail：<message>`` for a FundtrailError (its coded text in ``lang``)."""
    return messages.text("cli.prefix", lang, message=messages.error_text(error, lang))


def os_error_line(error: OSError, out_dir: Path | None, lang: str = messages.DEFAULT_LANG) -> str:
    """A full disk or a folder gone read-only mid-run; a write into an open file names no file: name the output folder."""
    target = error.filename or out_dir
    where = f"{target}: " if target else ""
    return line("cli.os_error", lang, where=where, reason=error.strerror or error)


def line(code: str, lang: str = messages.DEFAULT_LANG, /, **params: object) -> str:
    """One message of the CLI with its ``fundtrail:`` prefix."""
    return messages.text("cli.prefix", lang, message=messages.text(code, lang, **params))


def changes_headline(counts: dict[str, int], lang: str = messages.DEFAULT_LANG) -> str:
    """``3 figures moved; 1 input file added`` from fundtrail.changes.counts."""

    def counted(key: str) -> str:
        return messages.text(f"cli.changes.{key}_{'one' if counts[key] == 1 else 'many'}", lang, count=counts[key])

    figures = counted("figures")
    files = messages.text("progress.separator", lang).join(
        counted(key) for key in ("inputs_added", "inputs_removed", "inputs_changed") if counts[key]
    )
    return messages.text("cli.changes.headline", lang, figures=figures, files=files) if files else figures


def change_lines(found: pl.DataFrame, lang: str = messages.DEFAULT_LANG, limit: int | None = None) -> list[str]:
    """One line per row of a changes table (the first ``limit``): ``defendants P05 liable: 489000.00 → 496700.00``."""
    from fundtrail.changes import INPUTS

    empty = messages.text("cli.changes.empty_value", lang)
    lines = []
    for row in (found if limit is None else found.head(limit)).iter_rows(named=True):
        if row["table"] == INPUTS:
            state = "added" if row["before"] is None else "removed" if row["after"] is None else "changed"
            lines.append(messages.text(f"cli.changes.input_{state}", lang, table=row["table"], key=row["key"]))
        else:
            lines.append(
                messages.text(
                    "cli.changes.figure", lang, table=row["table"], key=row["key"], column=row["column"],
                    before=empty if row["before"] is None else row["before"],
                    after=empty if row["after"] is None else row["after"],
                )
            )
    return lines


def diff_text(found: pl.DataFrame, lang: str = messages.DEFAULT_LANG, unmask: bool = False) -> str:
    """What ``fundtrail diff`` prints: the headline, then every change; row keys masked unless ``unmask``."""
    from fundtrail import changes

    if not unmask:
        found = found.with_columns(digit_runs_expr(pl.col("key")).alias("key"))
    if not found.height:
        return messages.text("cli.changes.none", lang) + "\n"
    lines = [changes_headline(changes.counts(found), lang), *("  " + line for line in change_lines(found, lang))]
    return "\n".join(lines) + "\n"


def summary_text(
    summary: dict, out_dir: Path, currency: str = "CNY", lang: str = messages.DEFAULT_LANG, unmask: bool = False
) -> str:
    """The summary a run prints: changes and warnings first, entries, defendants, victims, rows, expectations, outputs."""
    t = lambda key, /, **params: messages.text(f"cli.summary.{key}", lang, **params)  # noqa: E731
    totals = summary["totals"]
    lines = ["", t("title", case_id=summary["case_id"], title=summary["title"])]
    moved = summary.get("changes", {})
    if moved.get("lines"):
        lines.append("  " + t("changes", headline=changes_headline(moved, lang)))
        shown = _published_changes(out_dir, unmask, limit=len(moved["lines"]))
        lines += ["    " + line for line in change_lines(shown, lang)]
        total = sum(moved[k] for k in ("figures", "inputs_added", "inputs_removed", "inputs_changed"))
        if total > shown.height:
            lines.append("    " + t("changes_more", count=total - shown.height))
    lines += ["  " + t("warning", code=w["code"], message=w["message"]) for w in summary.get("warnings", [])]
    if totals["entries_count"]:
        lines.append(
            "  "
            + t(
                "entries",
                count=totals["entries_count"],
                validated=totals["entries_validated"],
                share=float(totals["validated_share"]) * 100,
                validated_amount=totals["validated_amount"],
                unvalidated_amount=totals["unvalidated_amount"],
                currency=currency,
            )
        )
        tiers = messages.text("progress.separator", lang).join(
            t("tier_count", tier=value_label(lang, tier), count=count)
            for tier, count in totals["defendants_by_tier"].items()
        )
        lines.append("  " + t("tiers", tiers=tiers))
        for d in summary["top_defendants"]:
            lines.append(
                "    "
                + t(
                    "defendant",
                    defendant_id=d["defendant_id"],
                    role=_values(d["role"], lang),
                    liable=d["liable"],
                    basis=value_label(lang, d["liable_basis"]),
                    tier=value_label(lang, d["tier"]),
                )
            )
        lines.append(
            "  "
            + t(
                "victims",
                identified=totals["victims_identified"],
                unidentified=totals["payers_unidentified"],
                unattributed=totals["unattributed_amount"],
                currency=currency,
            )
        )
    for d in summary.get("info_defendants", []):
        lines.append(
            "  "
            + t(
                "info_defendant",
                defendant_id=d["defendant_id"],
                unique=d["records_unique"],
                corroborated=d["records_corroborated"],
                received=d["received"],
                paid_upstream=d["paid_upstream"],
                net_gain=d["net_gain"],
                currency=currency,
                tier=value_label(lang, d["tier"]),
            )
        )
    lines.append(
        "  "
        + t(
            "rows",
            statement_rows=totals["statement_rows"],
            quarantined=totals["quarantined_rows"],
            duplicates=totals["duplicate_rows"],
        )
    )
    lines += [
        "    " + t("quarantine_reason", count=count, reason=messages.reason_label(reason, lang))
        for reason, count in quarantine_reasons(out_dir)
    ]
    ingest = summary.get("ingest")
    if ingest:
        lines.append("  " + t("ingest_cache", parsed=ingest["parsed"], from_cache=ingest["from_cache"]))
    failed = [v["suite"] for v in summary.get("validation", []) if v.get("success") is False]
    lines.append("  " + (t("expectations_failed", suites=", ".join(failed)) if failed else t("expectations_passed")))
    out = out_dir.resolve()
    lines += [
        "  " + t("outputs", out=out),
        "  " + t("report", report=out / "report.html"),
        "  " + t("validation", validation=out / "validation" / "index.html"),
    ]
    return "\n".join(lines) + "\n"


def quarantine_reasons(out_dir: Path) -> list[tuple[str, int]]:
    """The run's quarantined rows per reason (from its quarantine.parquet), most first, at most MAX_REASONS."""
    path = Path(out_dir) / "quarantine.parquet"
    if not path.is_file():
        return []
    counts = pl.read_parquet(path, columns=["reason"]).group_by("reason").len()
    ordered = sorted(counts.iter_rows(), key=lambda row: (-row[1], row[0] or ""))
    return [(reason, count) for reason, count in ordered[:MAX_REASONS]]


def _published_changes(out_dir: Path, unmask: bool, limit: int) -> pl.DataFrame:
    """The first rows of the run's changes table, in its published order, keys masked unless ``unmask``."""
    # As publish.changes_summary orders them (DuckDB "order by all": nulls last).
    found = pl.read_parquet(Path(out_dir) / "changes.parquet").sort(pl.all(), nulls_last=True).head(limit)
    return found if unmask else found.with_columns(digit_runs_expr(pl.col("key")).alias("key"))


def _values(text: str | None, lang: str) -> str:
    """A ``;``-joined list of codes (a defendant's roles), each in ``lang``."""
    return ";".join(value_label(lang, v) for v in (text or "").split(";") if v)
