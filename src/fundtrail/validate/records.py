"""Why information-sale records were excluded: the auditor's view beside the ``info_records`` suite.

Every figure is a grouped query in DuckDB; only the grouped rows and a few
example rows per reason reach Python. The example rows carry the data
subject's name, phone and ID number masked by the reports' rules (``张*``,
``138****1234``, ``1101**********002X``), always: the validation report has
no ``--unmask``, and the unmasked rows stay queryable in ``case.duckdb`` by
their file and row. The lengths of the raw phone and ID are shown instead,
since most reasons are about length.
"""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

from fundtrail.reports.mask import id_number_expr, name_expr, phone_expr

EXAMPLES_PER_REASON = 3
MAX_LISTED_ROWS = 1000
TABLE = "info_records"
# An invalid record without a reason is a failure of the suite; here it still needs a row of its own.
REASON = "coalesce(invalid_reason, '(no reason recorded)')"


def record_exclusions(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts of valid and excluded records, per file and per reason, with masked example rows.

    Keys: ``records``, ``valid``, ``phones_present``, ``phones_valid``, ``ids_present``,
    ``ids_valid``; ``by_file`` (source, records, valid, excluded), ``by_reason``
    (reason, records, files), ``by_reason_and_file`` (reason, source, records),
    ``unknown_categories`` (source, category_raw, records) — each list cut at
    MAX_LISTED_ROWS, with ``*_total`` giving its full length; ``examples``
    {reason: [row, ...]}.
    """
    [(records, valid, phones_present, phones_valid, ids_present, ids_valid)] = con.execute(
        f"""
        select count(*), count(*) filter (where is_valid),
               count(phone_raw), count(phone), count(id_number_raw), count(id_number)
        from {TABLE}
        """
    ).fetchall()
    result: dict[str, Any] = {
        "records": records,
        "valid": valid,
        "phones_present": phones_present,
        "phones_valid": phones_valid,
        "ids_present": ids_present,
        "ids_valid": ids_valid,
    }
    _listed(result, con, "by_file", f"""
        select source, count(*) as records, count(*) filter (where is_valid) as valid,
               count(*) filter (where not is_valid) as excluded
        from {TABLE} group by source order by excluded desc, source
        """)
    _listed(result, con, "by_reason", f"""
        select {REASON} as reason, count(*) as records, count(distinct source) as files
        from {TABLE} where not is_valid group by all order by records desc, reason
        """)
    _listed(result, con, "by_reason_and_file", f"""
        with counted as (
            select {REASON} as reason, source, count(*) as records
            from {TABLE} where not is_valid group by all
        )
        select reason, source, records from counted
        order by sum(records) over (partition by reason) desc, reason, records desc, source
        """)
    _listed(result, con, "unknown_categories", f"""
        select source, category_raw, count(*) as records
        from {TABLE} where not category_known group by all order by records desc, source, category_raw
        """)
    result["examples"] = _examples(con)
    return result


def _listed(result: dict[str, Any], con: duckdb.DuckDBPyConnection, key: str, query: str) -> None:
    cursor = con.execute(f"select *, count(*) over () as listed_total from ({query}) limit {MAX_LISTED_ROWS}")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    result[f"{key}_total"] = rows[0].pop("listed_total") if rows else 0
    for row in rows:
        row.pop("listed_total", None)
    result[key] = rows


def _examples(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    frame = con.sql(
        f"""
        select {REASON} as reason, source, source_row, seller_id, buyer_id, name,
               phone_raw as phone, length(phone_raw) as phone_chars,
               id_number_raw as id_number, length(id_number_raw) as id_chars,
               phone_problem, id_problem
        from {TABLE}
        where not is_valid
        qualify row_number() over (partition by {REASON} order by source, source_row) <= {EXAMPLES_PER_REASON}
        order by reason, source, source_row
        """
    ).pl()
    masked = frame.with_columns(
        name_expr(pl.col("name")).alias("name"),
        phone_expr(pl.col("phone")).alias("phone"),
        id_number_expr(pl.col("id_number")).alias("id_number"),
    )
    examples: dict[str, list[dict[str, Any]]] = {}
    for row in masked.iter_rows(named=True):
        examples.setdefault(row.pop("reason"), []).append(row)
    return examples


def exclusions_summary(details: dict[str, Any]) -> dict[str, Any]:
    """The counts for manifest.json: no example rows, so no personal data even masked."""
    keys = ("records", "valid", "phones_present", "phones_valid", "ids_present", "ids_valid")
    return {k: details[k] for k in keys} | {
        "by_reason": [{"reason": r["reason"], "records": r["records"]} for r in details["by_reason"]]
    }
