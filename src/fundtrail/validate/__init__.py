"""Expectation suites (expectations/*.json, one per table) run on the case database.

``validate_database`` runs every suite whose table exists with Great
Expectations on DuckDB (see gx_duckdb.py: all checks are SQL inside DuckDB,
only counts and at most EXAMPLE_ROWS failing rows per expectation come back to
Python), writes a static HTML report that opens offline, and returns a
JSON-ready summary for manifest.json. A failed expectation is reported, never
acted on: no row is changed or dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from fundtrail.errors import FundtrailError
from fundtrail.reports.mask import digit_runs_expr, mask_one, mask_row
from fundtrail.resources import resource_dir
from fundtrail.validate.integrity import findings_summary, statement_findings
from fundtrail.validate.records import exclusions_summary, record_exclusions
from fundtrail.validate.report import preload_templates, write_report

# Set here, in the thread that imports the package, not in gx_duckdb, which ``preload`` may
# import in another thread while polars and DuckDB threads read the environment.
# GX Core 1.24 ships no usage-statistics code at all (no analytics module, no PostHog
# client, nothing reads GX_ANALYTICS_ENABLED); setting the variable keeps a future version
# that reads it quiet as well.
os.environ["GX_ANALYTICS_ENABLED"] = "false"
# GX's validator ignores an ephemeral context's progress-bar setting on large tables and
# draws tqdm bars over the CLI's stage display; tqdm itself honours this variable.
os.environ.setdefault("TQDM_DISABLE", "1")

EXAMPLE_ROWS = 5
ERROR_CHARS = 600
# SQLAlchemy appends "(Background on this error at: https://...)"; the report must
# not point anywhere outside the folder.
URL = re.compile(r"\s*\(Background on this error at: [^)]*\)|https?://\S+")
# A suite's meta "details" names what its page shows beyond the expectations:
# (compute on the connection, the part of it that goes into manifest.json).
DETAILS = {
    "record_exclusions": (record_exclusions, exclusions_summary),
    "statement_findings": (statement_findings, findings_summary),
}


class SuiteError(FundtrailError):
    """An expectation suite file is missing, unreadable or not a valid GX suite."""


def preload() -> None:
    """Import GX (~3 s CPU) and compile the report's templates now, instead of in ``validate_database``.

    For a run to call in a background thread as it starts: the import then overlaps ingest,
    whose polars and DuckDB work releases the GIL. ``validate_database`` gives the same
    results with or without it; called while this runs, it waits for the import (Python's
    import lock) instead of starting another. Import ``fundtrail.validate`` in the calling
    thread first (it sets the environment variables above).
    """
    try:
        from fundtrail.validate import gx_duckdb  # noqa: F401  (the import is the work)

        preload_templates()
    except Exception:  # noqa: BLE001
        # A thread has nowhere to report to: validate_database imports again and fails
        # there, in the step, with the run's own error handling.
        return


def validate_database(
    db_path: Path, docs_dir: Path, suites_dir: Path | None = None, timezone: str | None = None
) -> dict[str, Any]:
    """Validate every table of ``db_path`` that has a suite; write the report into ``docs_dir``.

    Returns ``{"success", "report", "suites": {name: ...}}``; each suite has ``suite``,
    ``table``, ``status`` (passed | failed | skipped), ``success``, ``rows``,
    ``evaluated``, ``failed``, ``page`` and ``failures`` (type, column, kwargs,
    unexpected_count, error, a few example rows), and ``details`` when the suite's
    meta names some (``DETAILS``).

    A suite's meta may say ``"skip_when_empty": true``: its table with no rows is
    then skipped, not validated (the information-sale suite in a case without records).

    ``timezone`` (the case's) is the zone the details show times in; UTC when not given.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"{db_path}: no case database to validate")
    suite_files = _suite_files(Path(suites_dir) if suites_dir else resource_dir("expectations"))
    suite_data = [(path, _read_json(path)) for path in suite_files]

    from fundtrail.validate import gx_duckdb  # GX import costs ~3 s; pay it only here

    suites = [(path, data, _parse_suite(gx_duckdb, path, data)) for path, data in suite_data]
    con = duckdb.connect(str(db_path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        if timezone:
            con.execute("SET VARIABLE case_tz = ?", [timezone])
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        checked = sorted(tables & {data["name"] for _path, data, _suite in suites})
        session = gx_duckdb.GxSession(con, db_path.as_posix(), checked)
        try:
            results = [
                _run_suite(session, con, tables, data, suite) for _path, data, suite in suites
            ]
        finally:
            session.close()
    finally:
        con.close()

    write_report(Path(docs_dir), results)
    ran = [r for r in results if r["status"] != "skipped"]
    return {
        "success": all(r["success"] for r in ran),
        "report": "index.html",
        "suites": {r["suite"]: _summary(r) for r in results},
    }


def _suite_files(suites_dir: Path) -> list[Path]:
    files = sorted(suites_dir.glob("*.json"))
    if not files:
        raise SuiteError(code="validate.no_suites", folder=suites_dir)
    return files


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SuiteError(code="validate.not_json", path=path, detail=str(exc)) from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise SuiteError(code="validate.no_name", path=path)
    return data


def _parse_suite(gx_duckdb: Any, path: Path, data: dict[str, Any]) -> Any:
    try:
        suite = gx_duckdb.gx.ExpectationSuite(**data)
    except Exception as exc:  # GX raises pydantic, KeyError or its own errors for a bad config
        raise SuiteError(code="validate.invalid", path=path, error=type(exc).__name__, detail=str(exc)) from None
    # GX logs an expectation it cannot build and leaves it out of the suite.
    built = [e.expectation_type for e in suite.expectations]
    for number, listed in enumerate(data.get("expectations", []), start=1):
        kind = listed.get("type") if isinstance(listed, dict) else None
        if kind in built:
            built.remove(kind)
        else:
            raise SuiteError(code="validate.unbuilt", path=path, number=number, kind=kind)
    details = (data.get("meta") or {}).get("details")
    if details is not None and details not in DETAILS:
        raise SuiteError(code="validate.details", path=path, value=details, allowed=", ".join(DETAILS))
    return suite


def _run_suite(
    session: Any, con: duckdb.DuckDBPyConnection, tables: set[str], data: dict[str, Any], suite: Any
) -> dict[str, Any]:
    table = data["name"]
    meta = data.get("meta", {})
    base = {
        "suite": table,
        "table": table,
        "purpose": meta.get("purpose", ""),
        "note": meta.get("note", ""),
        "page": _page_name(table),
    }
    skipped = base | {"status": "skipped", "success": None, "evaluated": 0, "failed": 0, "expectations": []}
    if table not in tables:
        return skipped | {"rows": None, "reason": f"table {table} is not in the database"}
    rows = con.execute(f'select count(*) from "{table}"').fetchall()[0][0]
    if rows == 0 and meta.get("skip_when_empty"):
        return skipped | {"rows": 0, "reason": f"table {table} has no rows: this case has none to check"}
    outcome = session.validate(table, suite, list(meta.get("key_columns", [])), EXAMPLE_ROWS)
    expectations = [_expectation(con, table, r) for r in outcome]
    failed = sum(not e["success"] for e in expectations)
    result = base | {
        "status": "passed" if failed == 0 else "failed",
        "success": failed == 0,
        "rows": rows,
        "evaluated": len(expectations),
        "failed": failed,
        "expectations": expectations,
    }
    if meta.get("details"):
        compute, _ = DETAILS[meta["details"]]
        result["details"] = {"kind": meta["details"], **compute(con)}
    return result


def _expectation(con: duckdb.DuckDBPyConnection, table: str, result: Any) -> dict[str, Any]:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    outcome = result.result or {}
    error = _error_message(result.exception_info)
    entry: dict[str, Any] = {
        "check": (config.meta or {}).get("check"),
        "expectation": config.type,
        "description": config.description,
        "column": kwargs.get("column") or kwargs.get("column_list")
        or [kwargs[k] for k in ("column_A", "column_B") if k in kwargs] or None,
        "kwargs": _jsonable(kwargs),
        "success": bool(result.success),
        "error": error,
    }
    if "unexpected_count" in outcome:
        entry["unexpected_count"] = outcome["unexpected_count"] or 0  # None on an empty table
        entry["element_count"] = outcome.get("element_count")
        if "mostly" in kwargs and entry["element_count"]:
            # The share the `mostly` threshold is judged on: GX leaves nulls out of the
            # denominator (missing_count), except for the null checks themselves.
            checked = entry["element_count"] - (outcome.get("missing_count") or 0)
            entry["share"] = {"met": checked - entry["unexpected_count"], "of": checked, "required": kwargs["mostly"]}
    elif config.type == "unexpected_rows_expectation" and isinstance(outcome.get("observed_value"), int):
        entry["unexpected_count"] = outcome["observed_value"]
    else:
        entry["observed"] = _jsonable(outcome.get("observed_value"))
    examples = [] if result.success or error else _examples(con, table, config.type, kwargs, outcome)
    # The report and manifest.json have no --unmask: failing rows show personal data masked.
    entry["examples"] = [mask_row(table, row) for row in examples]
    if "observed" in entry:
        entry["observed"] = mask_row(table, {"observed": entry["observed"]})["observed"]
    if entry["error"]:
        entry["error"] = mask_one(digit_runs_expr, entry["error"])
    return entry


def _examples(
    con: duckdb.DuckDBPyConnection, table: str, kind: str, kwargs: dict[str, Any], outcome: dict[str, Any]
) -> list[dict[str, Any]]:
    """A few failing rows with their exact values (GX's own lists turn decimals into floats)."""
    query = None
    if outcome.get("unexpected_index_query"):
        query = str(outcome["unexpected_index_query"]).rstrip("; \n")
    elif kind == "unexpected_rows_expectation":
        query = kwargs["unexpected_rows_query"].format(batch=f'"{table}"')
    if query:
        try:
            cursor = con.execute(f"select * from ({query}) as failing order by all limit {EXAMPLE_ROWS}")
            names = [d[0] for d in cursor.description]
            return [_jsonable(dict(zip(names, row))) for row in cursor.fetchall()]
        except duckdb.Error:
            pass  # fall back to what GX returned
    column = kwargs.get("column") if isinstance(kwargs.get("column"), str) else "value"
    listed = outcome.get("partial_unexpected_index_list") or [
        {column: v} for v in outcome.get("partial_unexpected_list", [])
    ]
    return [_jsonable(row) for row in listed[:EXAMPLE_ROWS]]


def _error_message(exception_info: Any) -> str | None:
    """GX gives either one info dict or one per failed metric."""
    infos = [exception_info] if isinstance(exception_info, dict) and "raised_exception" in exception_info \
        else list((exception_info or {}).values())
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            message = URL.sub("", str(info.get("exception_message") or "error"))
            return message[:ERROR_CHARS]
    return None


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    summary = {k: v for k, v in result.items() if k not in ("expectations", "purpose", "note", "details")}
    if "details" in result:
        _, summarise = DETAILS[result["details"]["kind"]]
        summary["details"] = summarise(result["details"])
    summary["failures"] = [
        {k: v for k, v in e.items() if k != "success"} for e in result["expectations"] if not e["success"]
    ]
    return summary


def _page_name(suite: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", suite) + ".html"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
