"""What moved between two runs: the ``changes`` table (outputs.md) and ``fundtrail diff``.

A run reads the figures of the earlier output in OUT_DIR before its own move
into place, and lists every defendant or victim figure that differs (before,
after) and every input file added, removed or changed since (its SHA-256
before and after). ``compare`` is the pure comparison, on frames; the
readers take the figures from a case database (a run's own, or the
``case.duckdb`` an earlier run left in its output folder).

Compared: every column of ``defendants`` and ``victims`` but the row's key
and the person's ``name`` (not a figure, and personal), as the CSV files
write it; a column only one of the two runs has (a newer version's) is
left out. A defendant or victim only one run has shows each of its figures
with the other side empty (docs/outputs.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from fundtrail.errors import OutputFolderError

# The tables whose figures are compared, and the column that names a row.
KEYS = {"defendants": "defendant_id", "victims": "victim_id"}
NOT_COMPARED = frozenset({"name"})
# The table name a row about an input file carries; its column is always "sha256".
INPUTS = "inputs"
SCHEMA = {"table": pl.String, "key": pl.String, "column": pl.String, "before": pl.String, "after": pl.String}


@dataclass(frozen=True)
class Figures:
    """One run's figures, every value as text, and its input files (path, sha256)."""

    tables: dict[str, pl.DataFrame]
    inputs: pl.DataFrame


def read_figures(con: duckdb.DuckDBPyConnection) -> Figures:
    """The figures of the case database on ``con`` (its defendants, victims and input_files)."""
    tables = {}
    for table in KEYS:
        # ::VARCHAR is how publish writes a CSV cell: amounts with their two decimals, dates as ISO.
        tables[table] = con.sql(f"select columns(*)::VARCHAR from {table}").pl()
    inputs = con.sql("select path, sha256 from input_files").pl()
    return Figures(tables, inputs)


def read_output(out_dir: str | Path) -> Figures | None:
    """The figures an earlier run left in ``out_dir`` (its case.duckdb), or None when it left none."""
    db = Path(out_dir) / "case.duckdb"
    if not db.is_file():
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return read_figures(con)
    except duckdb.Error as exc:
        raise OutputFolderError(
            code="changes.earlier_unreadable", db=db, detail=str(exc).splitlines()[0]
        ) from None


def compare(before: Figures, after: Figures) -> pl.DataFrame:
    """Every figure that differs between two runs, and every input file added, removed or changed.

    Rows (table, key, column, before, after), sorted; a side that has no
    such row or file is null.
    """
    parts = []
    for table, key in KEYS.items():
        old, new = before.tables[table], after.tables[table]
        columns = [c for c in new.columns if c in old.columns and c != key and c not in NOT_COMPARED]
        parts.append(
            _long(old, key, columns, "before")
            .join(_long(new, key, columns, "after"), on=["key", "column"], how="full", coalesce=True)
            .with_columns(pl.lit(table).alias("table"))
        )
    parts.append(
        before.inputs.rename({"path": "key", "sha256": "before"})
        .join(after.inputs.rename({"path": "key", "sha256": "after"}), on="key", how="full", coalesce=True)
        .with_columns(pl.lit(INPUTS).alias("table"), pl.lit("sha256").alias("column"))
    )
    found = pl.concat([p.select(list(SCHEMA)).cast(SCHEMA) for p in parts])
    return found.filter(pl.col("before").ne_missing(pl.col("after"))).sort(list(SCHEMA), nulls_last=False)


def between(out_a: str | Path, out_b: str | Path) -> pl.DataFrame:
    """``compare`` for two output folders (``fundtrail diff``)."""
    figures = []
    for folder in (out_a, out_b):
        found = read_output(folder)
        if found is None:
            raise OutputFolderError(code="changes.not_run_output", folder=folder)
        figures.append(found)
    return compare(*figures)


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def counts(changes: pl.DataFrame) -> dict[str, int]:
    """How many figures moved, and how many input files were added, removed or changed."""
    inputs = changes.filter(pl.col("table") == INPUTS)
    return {
        "figures": changes.height - inputs.height,
        "inputs_added": inputs.filter(pl.col("before").is_null()).height,
        "inputs_removed": inputs.filter(pl.col("after").is_null()).height,
        "inputs_changed": inputs.filter(pl.col("before").is_not_null() & pl.col("after").is_not_null()).height,
    }


def describe(changes: pl.DataFrame, limit: int | None = None) -> list[str]:
    """One line per change (the first ``limit``), as ``fundtrail diff`` and the run summary print them.

    ``defendants P05 liable: 489000.00 → 496700.00``; ``inputs bank/a.csv: added``.
    """
    lines = []
    for row in changes.head(limit).iter_rows(named=True) if limit is not None else changes.iter_rows(named=True):
        where = f"{row['table']} {row['key']}"
        if row["table"] == INPUTS:
            state = "added" if row["before"] is None else "removed" if row["after"] is None else "changed"
            lines.append(f"{where}: {state}")
        else:
            lines.append(f"{where} {row['column']}: {_shown(row['before'])} → {_shown(row['after'])}")
    return lines


def _long(frame: pl.DataFrame, key: str, columns: list[str], side: str) -> pl.DataFrame:
    return frame.select([key, *columns]).unpivot(index=key, on=columns, variable_name="column", value_name=side).rename(
        {key: "key"}
    )


def _shown(value: str | None) -> str:
    return "(none)" if value is None else value
