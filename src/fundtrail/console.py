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


def summary_text(summary: dict, out_dir: Path, currency: str = "CNY", lang: str = messages.DEFAULT_LANG) -> str:
    """The summary a run prints: warnings first, entries, defendants, victims, rows, expectations, where the outputs are."""
    t = lambda key, /, **params: messages.text(f"cli.summary.{key}", lang, **params)  # noqa: E731
    totals = summary["totals"]
    lines = ["", t("title", case_id=summary["case_id"], title=summary["title"])]
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


def _values(text: str | None, lang: str) -> str:
    """A ``;``-joined list of codes (a defendant's roles), each in ``lang``."""
    return ";".join(value_label(lang, v) for v in (text or "").split(";") if v)
