"""Warnings of a run whose figures finished but should not be trusted as they stand (outputs.md).

They head the CLI summary, manifest.json and both reports; they never change a
figure or the exit code. Account numbers are masked here, once, so no copy of
a message carries a full account number (docs/safety.md).
"""

from __future__ import annotations

import duckdb

from fundtrail import review, sqlrun
from fundtrail.reports.mask import account_expr, mask_one

ORDER = ("no_payments", "unexplained_statement", "sheet_without_candidates")


def run_warnings(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """Every warning of the run as ``{code, message}``, in ORDER, then stale review decisions."""
    sqlrun.build(con, ["run_warnings"])
    rows = con.execute(
        "select code, source, account_no, row_count from run_warnings order by list_position(?, code), source, account_no",
        [list(ORDER)],
    ).fetchall()
    return [{"code": code, "message": _message(code, source, account, count)} for code, source, account, count in rows] + (
        review.stale_warnings(con)
    )


def _message(code: str, source: str | None, account: str | None, count: int) -> str:
    if code == "no_payments":
        return (
            f"{count:,} deposit entries but no payment found: no transfer into a gang account was loaded "
            "(add a gang_accounts source or receiving_account to the sheets, and the receiving cards' statements)"
        )
    if code == "unexplained_statement":
        return (
            f"{source}: statement of account {mask_one(account_expr, account)} ({count:,} postings) is neither a gang "
            "account nor a victim's: add it to gang_accounts or victims if it is one (as a laundering layer it is "
            "only traced, never counted as payments)"
        )
    return f"{source}: none of its {count:,} entries had a candidate payment (check receiving_account, timezone and window)"
