"""One evidence file → landing Parquet + quarantine Parquet + control totals (design.md "Landing tables").

The data goes down four steps, one module each, in this order:

1. locate (``readers``): the file's layout (its [[source]] and preset, the
   header row found by its names, the preamble above it) and its cells, all
   as text, each row tagged with the row number an editor shows;
2. map (``mapping``): which cell feeds which canonical column, and the
   columns a preset builds from two (``[split]``);
3. parse (``parse``): typed canonical columns, and for a row that cannot
   load the first failing column in canonical order, its raw text and a
   short reason; the rows written as landing and quarantine Parquet;
4. count (``counts``): the file's ``FileStats`` (rows, money, placeholders,
   what its preamble states).

``load_file`` runs them for one file; ``batch.load_batch`` for many files at
once (steps 2 and 3 over the concatenated cells). Every data row read ends
either in landing or in quarantine; duplicates are not decided here but
later in SQL, so nothing else is dropped. Blank rows (every cell empty) and
a preset's footer lines are not data rows: they are counted apart and take
no part in the balance.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fundtrail.config import CaseConfig, Source
from fundtrail.ingest import cells
from fundtrail.ingest.counts import (
    INPUT_FILES_SCHEMA,
    STATEMENT_SUMMARY_SCHEMA,
    FileStats,
    count_file,
    decimal,
    file_sha256,
    stated_summary,
    statement_summaries,
)
from fundtrail.ingest.mapping import map_columns, split_positions, with_split_columns
from fundtrail.ingest.parse import (
    QUARANTINE_SCHEMA,
    landing_schema,
    parse_rows,
    stats_money_column,
    write_parsed_rows,
)
from fundtrail.ingest.readers import layout_of, read_header_texts, read_table

__all__ = [
    "INPUT_FILES_SCHEMA",
    "QUARANTINE_SCHEMA",
    "STATEMENT_SUMMARY_SCHEMA",
    "FileStats",
    "cells",
    "check_file",
    "file_sha256",
    "landing_schema",
    "load_file",
    "map_columns",
    "read_header",
    "statement_summaries",
    "write_parsed_rows",
]


def load_file(
    case: CaseConfig, source: Source, rel_path: str, work_dir: Path, sha256: str | None = None
) -> FileStats:
    path = case.case_dir / rel_path
    layout = layout_of(source, rel_path, path)
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="ingest-") as scratch:
        table = read_table(path, rel_path, layout, Path(scratch))
    positions = map_columns(source, layout, table.headers, rel_path)
    table, positions = with_split_columns(table, positions, layout, rel_path)
    parsed = parse_rows(table, positions, layout, source, case, rel_path)
    data_rows = parsed.filter(~parsed["_blank"] & ~parsed["_footer"])
    written = write_parsed_rows(data_rows, source.kind, Path(work_dir), _output_name(source, rel_path))
    return count_file(parsed, written, source, layout, rel_path, sha256 or file_sha256(path))


def check_file(case: CaseConfig, source: Source, rel_path: str) -> dict[str, int]:
    """Raise InputSchemaError now if the file cannot be loaded for want of a column."""
    path = case.case_dir / rel_path
    layout = layout_of(source, rel_path, path)
    headers = read_header_texts(path, rel_path, layout)
    positions = map_columns(source, layout, headers, rel_path)
    split_positions(layout, headers, rel_path)
    return positions


def read_header(case: CaseConfig, source: Source, rel_path: str) -> list[str]:
    """The file's header texts, cleaned as the loader sees them."""
    path = case.case_dir / rel_path
    return read_header_texts(path, rel_path, layout_of(source, rel_path, path))


def _output_name(source: Source, rel_path: str) -> str:
    if rel_path not in source.files:
        raise ValueError(f"{rel_path} is not one of source #{source.index}'s files")
    return f"{source.index:03d}-{source.files.index(rel_path) + 1:05d}"


# batch.py imports these by their former names; it moves to the modules' own names in its next change.
_decimal = decimal
_parse = parse_rows
_split_positions = split_positions
_stated_summary = stated_summary
_stats_money_column = stats_money_column
_with_split_columns = with_split_columns
