"""Warnings of a run whose figures finished but should not be trusted as they stand (outputs.md).

They head the CLI summary, manifest.json and both reports; they never change a
figure or the exit code. Account numbers are masked here, once, so no copy of
a message carries a full account number (docs/safety.md).
"""

from __future__ import annotations

import duckdb

from fundtrail import messages, review, sqlrun
from fundtrail.reports.mask import account_expr, mask_one

ORDER = ("no_payments", "unexplained_statement", "sheet_without_candidates")


def run_warnings(con: duckdb.DuckDBPyConnection, lang: str = messages.DEFAULT_LANG) -> list[dict[str, str]]:
    """Every warning of the run as ``{code, message}``, in ORDER, then stale review decisions.

    ``message`` is in ``lang`` (the run's ``--lang``); ``code`` is the same in every language.
    """
    sqlrun.build(con, ["run_warnings"])
    rows = con.execute(
        "select code, source, account_no, row_count from run_warnings order by list_position(?, code), source, account_no",
        [list(ORDER)],
    ).fetchall()
    found = [
        {"code": code, "message": message(code, lang, source=source, account=account, count=count)}
        for code, source, account, count in rows
    ]
    return found + review.stale_warnings(con, lang)


def message(code: str, lang: str, *, source: str | None = None, account: str | None = None, count: int = 0) -> str:
    """One warning's text; the account is masked here, so no copy of the message holds it in full."""
    return messages.text(
        f"warning.{code}", lang, source=source, account=mask_one(account_expr, account) if account else None, count=count
    )
