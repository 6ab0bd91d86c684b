"""Writing what a run shows people: CSV + Parquet per table, reports, control totals (outputs.md).

CSV is formatted in DuckDB, so tables of millions of rows stream to disk:
amounts with two decimals, times ISO 8601 with the case offset (the
connection's TimeZone is the case timezone here), empty for NULL. Rows are
sorted by their first column; ids of the form ``<file>:<row>`` sort by file,
then row number, so ``a.csv:9`` comes before ``a.csv:10`` (the macro
sql/macros/row_id_order.sql, which the SQL models use too).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from itertools import chain
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import orjson
import polars as pl

from fundtrail import changes, code_version, sqlrun
from fundtrail.config import CaseConfig
from fundtrail.reports.mask import digit_runs_expr, mask_row, mask_rows

BOM = "\ufeff".encode()
# Column names DuckDB writes in a CSV header as they are (it would quote others).
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# xlsxwriter writes ~100k cells/s: detail sheets past this many rows would make a 10M-row case's
# workbook take many minutes. The CSV and Parquet files always hold every row.
WORKBOOK_ROW_LIMIT = 100_000
# The HTML drill-down lists this many entries behind each liable amount (with the full count and sum).
DRILL_ENTRIES = 500
# statement_integrity.csv has every finding; the manifest and reports list the first ones.
INTEGRITY_SHOWN = 500
# The run summary (and so the CLI) lists this many changes; changes.csv has them all.
CHANGES_SHOWN = 20
TIERS = tuple(row["tier"] for row in sqlrun.seed_rows("fraud_tiers"))  # most serious first, as the seed
# Tables their model stores in their files' order (sql/trace/traces.sql): written as they are, unsorted,
# which spares a 20,000-file case's publish 1-1.5 s of CPU and 150 MB sorting 770,000 traces.
STORED_IN_ORDER = frozenset({"traces"})


def write_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[str], out_dir: Path) -> None:
    """``<table>.csv`` (UTF-8 with a BOM, formatted as the module says) and ``<table>.parquet`` of each table, rows sorted."""
    sqlrun.build(con, ["row_id_order"])
    with _one_thread(con):
        for table in tables:
            _write_table(con, table, out_dir)


def write_table(con: duckdb.DuckDBPyConnection, table: str, out_dir: Path) -> None:
    write_tables(con, [table], out_dir)


def _write_table(con: duckdb.DuckDBPyConnection, table: str, out_dir: Path) -> None:
    columns = _columns(con, table)
    names = [name for name, _ in columns]
    # Sorted once, into the Parquet file; the CSV is written from that file, whose rows a scan reads in
    # their order (DuckDB's preserve_insertion_order), so neither a second sort nor a sorted copy is kept.
    parquet_path = out_dir / f"{table}.parquet"
    order = "" if table in STORED_IN_ORDER else f" order by {_order(con, table, columns)}"
    copied = con.execute(f"copy (select * from {table}{order}) to ? (format parquet)", [str(parquet_path)])
    rows = copied.fetchall()[0][0]  # COPY answers with the rows it wrote
    # Times are written in two steps: strftime once per value in the inner select, its offset fixed in the outer.
    inner = ", ".join(_time_text(name) if _zoned(dtype) else _quote(name) for name, dtype in columns)
    formatted = ", ".join(f"{_text(name, dtype)} as {_quote(name)}" for name, dtype in columns)
    formatted = f"select {formatted} from (select {inner} from read_parquet(?))"
    # Paths reach SQL as parameters: an OUT_DIR is any text a user (or a deployment parameter) gives.
    _write_csv(con, formatted, parquet_path, out_dir / f"{table}.csv", names, rows)


def _write_csv(
    con: duckdb.DuckDBPyConnection, formatted: str, parquet_path: Path, csv_path: Path, names: list[str], rows: int
) -> None:
    if rows and all(PLAIN_NAME.fullmatch(name) for name in names):
        # DuckDB writes the BOM and the header line itself (its PREFIX), and SUFFIX ends the last row's line.
        con.execute(
            f"copy ({formatted}) to ? (header false, delimiter ',', prefix ?, suffix ?)",
            [str(parquet_path), str(csv_path), BOM.decode() + ",".join(names) + "\n", "\n"],
        )
    else:
        # No rows (PREFIX and SUFFIX would leave an empty line) or a column name DuckDB's header would quote.
        plain = csv_path.with_name(f".{csv_path.name}.nobom")
        con.execute(f"copy ({formatted}) to ? (header, delimiter ',')", [str(parquet_path), str(plain)])
        with open(csv_path, "wb") as target, open(plain, "rb") as body:
            target.write(BOM)
            shutil.copyfileobj(body, target, length=1 << 20)
        plain.unlink()


def _order(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]) -> str:
    """ORDER BY row_id_order(first column), then every other column.

    A text first column none of whose values has a colon holds no row id: row_id_order gives each
    value ('', NULL, value), so the plain column orders the rows the same way, without two regular
    expressions a row (0.4 s of CPU on a 20,000-file case's 770,000 traces).
    """
    first = _quote(columns[0][0])
    rest = [_quote(name) for name, _ in columns[1:]]
    plain = columns[0][1] == "VARCHAR" and not con.execute(
        f"select count(*) from {table} where {first} like '%:%'"
    ).fetchall()[0][0]
    return ", ".join([first if plain else f"row_id_order({first})", *rest])


@contextlib.contextmanager
def _one_thread(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread while the tables are written (a setting of the whole database, so put back after).

    Writing a CSV in order on two threads, DuckDB holds the rows one thread wrote ahead of the other:
    240 MB more for the 112 MB traces.csv of a 20,000-file case, where one thread streams it in 35 MB
    and spends less CPU. A sort peaks lower on one thread too, for a little more wall time on two
    idle cores (the same CPU time). Setting the threads back also hands back the memory the sorts
    kept (see ``_release_memory``).
    """
    threads = con.execute("select current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute("SET threads = ?", [threads])


def _release_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Hand back the memory DuckDB kept from the queries before (the tables' sorts: 250 MB at 20,000 files).

    DuckDB keeps memory its queries freed, for its next ones, until its threads are set anew (or its
    memory limit, whose value as DuckDB shows it is not always one it reads back, "no limit" say):
    one thread more and back, so what comes next (the reports' frames, the workbook) is not stacked
    on top of it.
    """
    threads = con.execute("select current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = ?", [threads + 1])
    con.execute("SET threads = ?", [threads])


def frames(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, pl.DataFrame]:
    """Typed frames of whole tables, rows in the order of their files, for the reports; times carry the case timezone."""
    sqlrun.build(con, ["row_id_order"])
    found = {}
    for t in tables:
        order = _order(con, t, _columns(con, t))
        found[t] = con.sql(f"select * from {t} order by {order}").pl()
    return found


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, type) of each column of ``table``, in order."""
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_name = ? order by ordinal_position",
        [table],
    ).fetchall()


def summary(con: duckdb.DuckDBPyConnection, case: CaseConfig, started: datetime, validation: dict) -> dict:
    entries = _one(con, """
        select
            count(*),
            coalesce(sum(amount) filter (where status = 'validated'), 0),
            coalesce(sum(amount) filter (where status = 'unvalidated'), 0),
            count(*) filter (where status = 'validated'),
            count(*) filter (where defendant_id is null)
        from entries
        """)
    payments = _one(con, "select count(*), coalesce(sum(amount), 0), coalesce(sum(amount) filter (where status = 'unattributed'), 0) from payments")
    victims = _one(con, "select count(*) filter (where victim_id not like 'unidentified:%'), count(*) filter (where victim_id like 'unidentified:%') from victims")
    by_tier = dict(con.execute("select tier, count(*) from defendants group by tier").fetchall())
    quarantined = _one(con, "select count(*) from quarantine")[0]
    duplicates = _one(con, "select coalesce(sum(rows_duplicate), 0) from file_controls")[0]
    statement_rows = _one(con, "select count(*) from stg_bank_statement")[0]
    validated_amount, entries_amount = entries[1], entries[1] + entries[2]
    info_rows = _one(con, "select count(*) from info_defendants")[0]
    top_defendants = con.execute(
        "select defendant_id, role, liable, liable_basis, tier from defendants order by liable desc, defendant_id limit 5"
    ).fetchall()
    info = con.execute(
        "select defendant_id, records_unique, records_corroborated, received, paid_upstream, net_gain, tier "
        "from info_defendants order by defendant_id limit 20"
    ).fetchall()
    return {
        "case_id": case.id,
        "title": case.title,
        "timezone": case.timezone,
        "started": started.astimezone(ZoneInfo(case.timezone)).isoformat(timespec="seconds"),
        "finished": datetime.now(ZoneInfo(case.timezone)).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "totals": {
            "entries_count": entries[0],
            "entries_total": entries_amount,
            "entries_validated": entries[3],
            "entries_unknown_code": entries[4],
            "validated_amount": validated_amount,
            "unvalidated_amount": entries[2],
            "validated_share": (validated_amount / entries_amount).quantize(Decimal("0.0001"))
            if entries_amount
            else Decimal("0"),
            "payments_count": payments[0],
            "payments_total": payments[1],
            "unattributed_amount": payments[2],
            "victims": victims[0] + victims[1],
            "victims_identified": victims[0],
            "payers_unidentified": victims[1],
            "defendants": sum(by_tier.values()),
            "defendants_by_tier": {tier: by_tier.get(tier, 0) for tier in TIERS},
            "statement_rows": statement_rows,
            "quarantined_rows": quarantined,
            "duplicate_rows": duplicates,
            "info_defendants": info_rows,
            "integrity_findings": _one(con, "select count(*) from statement_integrity")[0],
            "normalised_cells": _one(con, "select count(*) from normalised")[0],
        },
        "top_defendants": [
            dict(zip(("defendant_id", "role", "liable", "liable_basis", "tier"), row, strict=True))
            for row in top_defendants
        ],
        "info_defendants": [
            dict(
                zip(
                    ("defendant_id", "records_unique", "records_corroborated", "received", "paid_upstream", "net_gain", "tier"),
                    row,
                    strict=True,
                )
            )
            for row in info
        ],
        "integrity": integrity(con)["findings"],
        "validation": [
            {"suite": name, "success": result.get("success"), "failed": result.get("failed", 0)}
            for name, result in sorted(validation.get("suites", {}).items())
        ],
    }


def changes_summary(con: duckdb.DuckDBPyConnection, unmask: bool = False) -> dict:
    """How many figures moved and files came or went since the earlier run, and the first changes as lines.

    The lines are for a terminal: the row keys (victim ids of unidentified
    payers, file names) keep only the ends of long digit runs unless ``unmask``.
    """
    found = con.sql("select * from changes order by all").pl()
    if not unmask:
        found = found.with_columns(digit_runs_expr(pl.col("key")).alias("key"))
    return {**changes.counts(found), "lines": changes.describe(found, CHANGES_SHOWN)}


def input_controls(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """manifest.json `inputs`: the per-file control totals, plus what the export said of itself."""
    rows = con.execute(
        """
        select c.path, c.sha256, c.kind, c.rows_read, c.rows_loaded, c.rows_quarantined, c.rows_duplicate,
               c.amount_in::VARCHAR, c.amount_out::VARCHAR, c.amount_quarantined::VARCHAR, c.placeholder_cells,
               f.blank_rows, f.footer_rows, f.preset, f.account_from, c.duplicate_of
        from file_controls as c join input_files as f using (path)
        order by c.path
        """
    ).fetchall()
    keys = (
        "path sha256 kind rows_read rows_loaded rows_quarantined rows_duplicate amount_in amount_out "
        "amount_quarantined placeholder_cells blank_rows footer_rows preset account_from duplicate_of"
    ).split()
    stated = {
        row["path"]: {k: v for k, v in row.items() if k.startswith("stated_") or k.startswith("period_")}
        for row in con.sql("select * from statement_summaries").pl().to_dicts()
    }
    controls = []
    for row in rows:
        item = {k: v for k, v in zip(keys, row, strict=True) if v is not None or k == "duplicate_of"}
        if item["duplicate_of"] is None:
            del item["duplicate_of"]
        if any(v is not None for v in stated.get(item["path"], {}).values()):
            item["stated_summary"] = {k: v for k, v in stated[item["path"]].items() if v is not None}
        controls.append(item)
    return controls


def integrity(con: duckdb.DuckDBPyConnection) -> dict:
    """Statement integrity findings for the manifest and the reports: counts by kind, and the findings."""
    by_kind = dict(con.execute("select kind, count(*) from statement_integrity group by kind order by kind").fetchall())
    findings = con.sql(
        f"select * from statement_integrity order by account_no, kind, source, before_row limit {INTEGRITY_SHOWN}"
    ).pl().to_dicts()
    return {"findings_by_kind": by_kind, "findings": findings, "shown": len(findings), "total": sum(by_kind.values())}


def masked_manifest_parts(case_toml: dict, inputs: list[dict], integrity_found: dict) -> dict:
    """case.toml, inputs and integrity findings as manifest.json shows them: personal data masked.

    manifest.json is the run's audit record and travels further than the
    evidence: it has no --unmask. Account numbers keep their first and last 4
    digits (the [[source]] constants of case.toml, the findings' accounts),
    file names and findings keep only the ends of long digit runs; the CSV,
    Parquet and case.duckdb files hold the full values.
    """
    sources = [mask_row("case_toml", s) if isinstance(s, dict) else s for s in case_toml.get("source", [])]
    toml = {**case_toml, "source": sources} if "source" in case_toml else dict(case_toml)
    shown_inputs = _masked_fields(inputs, ("path", "duplicate_of"))
    findings = _masked_fields(
        integrity_found["findings"], ("account_no", "source", "before_row", "after_row", "detail")
    )
    return {"case_toml": toml, "inputs": shown_inputs, "statement_integrity": {**integrity_found, "findings": findings}}


def _masked_fields(rows: list[dict], fields: tuple[str, ...]) -> list[dict]:
    masked = mask_rows("manifest", [{k: row[k] for k in fields if k in row} for row in rows])
    return [row | shown for row, shown in zip(rows, masked, strict=True)]


@contextlib.contextmanager
def tables_written_beside(con: duckdb.DuckDBPyConnection, tables: Iterable[str], out_dir: Path) -> Iterator[None]:
    """``write_tables`` on a second connection and thread while the caller's block runs.

    The tables are DuckDB's work on one thread (``_one_thread``), the reports Python's: side by
    side they take the two cores (a 20,000-file case: 3.4 s of tables beside 3.1 s of reports).
    The block must not change DuckDB's thread count (``_release_memory``) meanwhile.
    """
    timezone = _one(con, "select current_setting('TimeZone')")[0]
    with con.cursor() as cursor, ThreadPoolExecutor(1, thread_name_prefix="fundtrail-tables") as pool:
        cursor.execute("SET TimeZone = ?", [timezone])  # a connection's own setting: the CSVs' offsets
        written = pool.submit(write_tables, cursor, tables, out_dir)
        yield
        written.result()


def report_frames(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """The tables report.xlsx and report.html are made of, read before either is written."""
    tables = frames(con, ["defendants", "victims", "entries", "payments", "quarantine", "info_defendants"])
    if tables["info_defendants"].is_empty():
        del tables["info_defendants"]
    # The report's drill-downs and "where the money went" read these when the run has them.
    for name in ("unvalidated", "endpoints", "leads", "recoveries", "changes", "trace_flow", "trace_victim_paths", "trace_grain"):
        frame = frames(con, [name])[name]
        if not frame.is_empty():
            tables[name] = frame
    tables["units"] = con.sql("select unit_id, name, kind, parent_id from stg_units order by 1").pl()
    tables["transfers"] = con.sql("select * from transfers order by amount desc, transfer_id limit 5000").pl()
    tables["liable_entries"] = con.sql(
        f"""
        select defendant_id, entry_id, count(*) over w as basis_entries, sum(amount) over w as basis_amount
        from liable_entries
        window w as (partition by defendant_id)
        qualify row_number() over (partition by defendant_id order by ts, entry_id) <= {DRILL_ENTRIES}
        order by defendant_id, ts, entry_id
        """
    ).pl()
    # The frames are some 25 MB at 20,000 files; DuckDB kept 150 MB more from making them (most from
    # liable_entries' windows), which the workbook and the page would otherwise be stacked on.
    _release_memory(con)
    return tables


def write_reports(
    tables: dict[str, pl.DataFrame], run_summary: dict, out_dir: Path, lang: str, unmask: bool
) -> None:
    """report.xlsx and report.html, from ``report_frames``."""
    from fundtrail.reports import write_html_report, write_workbook

    cut = {name for name, frame in tables.items() if frame.height > WORKBOOK_ROW_LIMIT}
    workbook_summary = run_summary
    if cut:
        workbook_summary = {
            **run_summary,
            "totals": {
                **run_summary["totals"],
                "workbook_rows_per_sheet": f"first {WORKBOOK_ROW_LIMIT:,} rows of {', '.join(sorted(cut))}; "
                "every row is in the CSV files",
            },
        }
    write_workbook(
        {name: frame.head(WORKBOOK_ROW_LIMIT) for name, frame in tables.items()},
        workbook_summary,
        out_dir / "report.xlsx",
        lang=lang,
        unmask=unmask,
    )
    write_html_report(tables, run_summary, out_dir / "report.html", unmask=unmask)


def write_json(path: Path, value: object) -> None:
    """``value`` in the bytes ``json.dumps(value, ensure_ascii=False, indent=2, default=json_default) + "\n"``
    gives, as UTF-8 (manifest.json).

    Python's json writes indented JSON in Python: 0.3-0.5 s for the 11 MB manifest.json of a
    20,000-file case. orjson writes the same bytes in 15 ms for what ``_orjson_writes_as_json``
    lets through: texts (it escapes every character as json does), ints (one past 64 bits it
    refuses), bools, None, lists, tuples and dicts of text keys, and through json_default Decimals
    and times. Anything else (a float, which the two print differently, a dataclass) goes to json.
    """
    if _orjson_writes_as_json(value):
        options = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE
        try:
            path.write_bytes(orjson.dumps(value, default=json_default, option=options))
            return
        except orjson.JSONEncodeError:  # an int beyond 64 bits, a key that is no text
            pass
    path.write_bytes((json.dumps(value, ensure_ascii=False, indent=2, default=json_default) + "\n").encode())


def json_default(value: object) -> object:
    """What JSON writes of a value it has no type for: amounts as exact text, times in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[arg-type]
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# The types orjson writes as json does (an int, or refuses it), or hands to json_default, which makes them text.
_LEAVES = frozenset({str, int, bool, type(None), Decimal, datetime, date, time})
_CONTAINERS = frozenset({dict, list, tuple})


def _orjson_writes_as_json(value: object) -> bool:
    """Whether every value inside ``value`` is of a type orjson writes in json's bytes (exact types: a
    subclass, an enum say, may be written differently; dict keys orjson checks itself). One level of
    nesting at a time, each as one list, so a manifest's 400,000 values take a few tens of milliseconds."""
    level = [value]
    while level:
        kinds = set(map(type, level))
        if kinds - _LEAVES - _CONTAINERS:
            return False
        if not kinds & _CONTAINERS:
            return True
        containers = [item for item in level if type(item) in _CONTAINERS]
        level = list(chain.from_iterable(item.values() if type(item) is dict else item for item in containers))
    return True


def _zoned(dtype: str) -> bool:
    return dtype.startswith("TIMESTAMP WITH TIME ZONE")


def _time_text(name: str) -> str:
    col = _quote(name)
    return f"strftime({col}, '%Y-%m-%dT%H:%M:%S%z') as {col}"


def _text(name: str, dtype: str) -> str:
    """The CSV text of a column of the inner select of ``_write_table`` (where a zoned time is already strftime's)."""
    col = _quote(name)
    if _zoned(dtype):
        # strftime's %z gives "+08" for whole hours and "+08:05:43" for a local mean time's seconds;
        # ISO 8601 wants "+08:00" and "+08:05" (the offset's whole minutes, as timezone_minute has them).
        return (
            f"case when {col}[-3] in ('+', '-') then {col} || ':00'"
            f" when {col}[-9] in ('+', '-') then {col}[:-4] else {col} end"
        )
    if dtype == "DATE":
        return f"strftime({col}, '%Y-%m-%d')"
    # DECIMAL renders with its own scale: money (scale 2) as 12345.60, a share (scale 4) as 0.9067.
    return f"{col}::VARCHAR"


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    """The single row of a query; fetched whole so the connection is free for the next one."""
    return con.execute(sql).fetchall()[0]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
