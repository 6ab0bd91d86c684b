"""One evidence file → landing Parquet + quarantine Parquet + control totals (design.md "Landing tables").

Every data row read ends either in landing (typed, canonical columns) or in
quarantine (one row naming the first failing column in canonical order, its
raw text and a short reason); ``load_file`` checks that the counts tie out.
Duplicates are not decided here but later in SQL, so nothing else is dropped.
Blank rows (every cell empty) are not data rows: they are counted in
``blank_rows`` and take no part in the balance.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import polars as pl

from fundtrail.config import CaseConfig, Source
from fundtrail.errors import InputSchemaError, InvariantError
from fundtrail.ingest import cells
from fundtrail.ingest.readers import (
    SPREADSHEET_FORMATS,
    Layout,
    RawTable,
    clean_header,
    header_index,
    layout_of,
    read_header_texts,
    read_table,
)
from fundtrail.kinds import KINDS, Column
from fundtrail.messages import Alternatives, Phrase

__all__ = [
    "QUARANTINE_SCHEMA",
    "FileStats",
    "check_file",
    "file_sha256",
    "landing_schema",
    "load_file",
    "map_columns",
    "read_header",
    "STATEMENT_SUMMARY_SCHEMA",
    "statement_summaries",
]

LANDING_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(),
    "ts": cells.UTC_TS,
    "date": pl.Date(),
    "money": cells.MONEY,
}
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "reason": pl.String(),
}
POSITIVE_AMOUNT_KINDS = {"deposit_sheet", "payment_ledger"}
CENT = Decimal("0.01")
SUMMARY_ITEMS = ("count", "in_count", "in_amount", "out_count", "out_amount", "neutral_count", "neutral_amount")
STATEMENT_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "path": pl.String(),
    "account_no": pl.String(),
    "preset": pl.String(),
    "period_start": cells.UTC_TS,
    "period_end": cells.UTC_TS,
    **{
        f"{side}_{item}": cells.MONEY_TOTAL if item.endswith("amount") else pl.Int64()
        for side in ("stated", "rows")
        for item in SUMMARY_ITEMS
    },
}


class Reason:
    MISSING = "missing required value"
    BAD_TIME = "bad time"
    BAD_DATE = "bad date"
    BAD_AMOUNT = "bad amount"
    OUT_OF_RANGE = "amount out of range"
    UNSIGNED = "unsigned amount without direction"
    UNKNOWN_DIRECTION = "unknown direction value"
    CONTRADICTS = "direction contradicts sign"
    CURRENCY = "currency not case currency"
    NOT_POSITIVE = "amount not positive"


@dataclass(frozen=True)
class FileStats:
    path: str
    sha256: str
    kind: str
    source_index: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    amount_in: Decimal
    amount_out: Decimal
    amount_quarantined: Decimal
    placeholder_cells: int
    blank_rows: int = 0
    landing_path: Path | None = None
    quarantine_path: Path | None = None
    # Footer lines a preset recognises (以上数据仅供参考…): like preamble lines, not data rows.
    footer_rows: int = 0
    preset: str | None = None
    # The account the whole file belongs to, and where it came from ("source" or "preamble").
    account_no: str | None = None
    account_from: str | None = None
    # What the export's preamble says about its rows (SUMMARY_ITEMS, period_start/period_end as
    # UTC datetimes), and the same items counted from the rows read: each row by its own in/out
    # label, whatever its status, as the platforms count. Never trusted over the rows.
    stated_summary: dict[str, object] = field(default_factory=dict)
    row_summary: dict[str, object] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    with Path(path).open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def landing_schema(kind: str) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {"source": pl.String(), "source_row": pl.Int64()}
    for col in KINDS[kind]:
        if col.type != "direction":
            schema[col.name] = LANDING_TYPES[col.type]
    return schema


def read_header(case: CaseConfig, source: Source, rel_path: str) -> list[str]:
    """The file's header texts, cleaned as the loader sees them."""
    path = case.case_dir / rel_path
    return read_header_texts(path, rel_path, layout_of(source, rel_path, path))


def check_file(case: CaseConfig, source: Source, rel_path: str) -> dict[str, int]:
    """Raise InputSchemaError now if the file cannot be loaded for want of a column."""
    path = case.case_dir / rel_path
    layout = layout_of(source, rel_path, path)
    headers = read_header_texts(path, rel_path, layout)
    positions = map_columns(source, layout, headers, rel_path)
    _split_positions(layout, headers, rel_path)
    return positions


def map_columns(source: Source, layout: Layout, headers: list[str], rel_path: str) -> dict[str, int]:
    """Canonical column → position in the file. A mapping wins over a header that is already canonical.

    A preset's mapping may list several header texts (the first present wins)
    and may name optional columns some versions of the export lack. Columns a
    preset builds from two file columns (``[split]``) are not looked up here.
    """
    where = {
        "path": rel_path,
        "source": Phrase("term.source", index=source.index),
        "header_row": layout.skip_rows + 1,
        "found": ", ".join(repr(h) for h in headers) or Phrase("term.none"),
    }
    derived = layout.derived
    positions: dict[str, int] = {}
    for col in KINDS[source.kind]:
        if col.name in derived and col.name not in layout.columns:
            continue
        account_given = col.name == "account_no" and bool(layout.account_no)
        if col.name in layout.columns:
            wanted = layout.columns[col.name]
            alternatives = (wanted,) if isinstance(wanted, str) else wanted
            index = header_index(headers, alternatives)
            if index is None:
                if col.name in layout.preset_columns and (not col.required or account_given):
                    continue
                if col.name == "account_no" and layout.preset is not None:
                    raise _no_account(source, layout, rel_path)
                shown = Alternatives([clean_header(a) for a in alternatives])
                raise InputSchemaError(code="header.mapped_missing", column=col.name, shown=shown, **where)
            matches = [i for i, h in enumerate(headers) if h == headers[index]]
        else:
            matches = [i for i, h in enumerate(headers) if h.lower() == col.name]
            if not matches:
                if col.required and not account_given:
                    if col.name == "account_no" and layout.preset is not None:
                        raise _no_account(source, layout, rel_path)
                    raise InputSchemaError(
                        code="header.missing_required", column=col.name, kind=source.kind, **where
                    )
                continue
        if len(matches) > 1:
            raise InputSchemaError(
                code="header.ambiguous", column=col.name, header=headers[matches[0]], count=len(matches), **where
            )
        positions[col.name] = matches[0]
    return positions


def _no_account(source: Source, layout: Layout, rel_path: str) -> InputSchemaError:
    assert layout.preset is not None
    return InputSchemaError(
        code="header.no_account", path=rel_path, preset=layout.preset.name,
        source=Phrase("term.source", index=source.index),
    )


def _split_positions(layout: Layout, headers: list[str], rel_path: str) -> dict[str, int]:
    """Positions of the [split] columns; a time or fallback date column may be missing (date only)."""
    positions: dict[str, int] = {}
    for key, alternatives in layout.mapping.split.items():
        if key in ("amount_in", "amount_out") and "amount" in layout.columns:
            continue
        if key in ("date", "time") and "ts" in layout.columns:
            continue
        index = header_index(headers, alternatives)
        if index is None:
            if key in ("time", "date_fallback"):
                continue
            raise InputSchemaError(
                code="header.split_missing", path=rel_path, layout=layout.name, shown=Alternatives(alternatives),
                key=key, found=", ".join(repr(h) for h in headers),
            )
        positions[key] = index
    return positions


def write_parsed_rows(
    rows: pl.DataFrame, kind: str, work_dir: Path, name: str
) -> tuple[pl.DataFrame, pl.DataFrame, Path, Path]:
    """Parsed data rows → landing and quarantine frames, each written as ``name``.parquet with the normalised cells.

    Shared by the one-file reader and the batch reader, so both write the same three files.
    Returns the landing frame, the quarantine frame and the paths of their Parquet files.
    """
    failed = pl.col("_failure").is_not_null()
    landing = rows.filter(~failed).select([pl.col(c).cast(dtype) for c, dtype in landing_schema(kind).items()])
    quarantine = (
        rows.filter(failed)
        .select(pl.col("source", "source_row"), pl.col("_failure").struct.unnest())
        .cast(QUARANTINE_SCHEMA)
    )
    paths = {
        "landing": work_dir / "landing" / kind / f"{name}.parquet",
        "quarantine": work_dir / "quarantine" / f"{name}.parquet",
        "normalised": work_dir / "normalised" / f"{name}.parquet",
    }
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    landing.write_parquet(paths["landing"])
    quarantine.write_parquet(paths["quarantine"])
    cells.normalised_cells(rows).write_parquet(paths["normalised"])
    return landing, quarantine, paths["landing"], paths["quarantine"]


def load_file(
    case: CaseConfig, source: Source, rel_path: str, work_dir: Path, sha256: str | None = None
) -> FileStats:
    path = case.case_dir / rel_path
    name = _output_name(source, rel_path)
    layout = layout_of(source, rel_path, path)
    Path(work_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="ingest-") as scratch:
        table = read_table(path, rel_path, layout, Path(scratch))
    positions = map_columns(source, layout, table.headers, rel_path)
    table, positions = _with_split_columns(table, positions, layout, rel_path)
    parsed = _parse(table, positions, layout, source, case, rel_path)

    blank = parsed.filter(pl.col("_blank"))
    footer = parsed.filter(~pl.col("_blank") & pl.col("_footer"))
    rows = parsed.filter(~pl.col("_blank") & ~pl.col("_footer"))
    failed = pl.col("_failure").is_not_null()
    landing, quarantine, landing_path, quarantine_path = write_parsed_rows(rows, source.kind, Path(work_dir), name)
    if rows.height != landing.height + quarantine.height:
        raise InvariantError(
            f"{rel_path}: rows read {rows.height} != loaded {landing.height} + "
            f"quarantined {quarantine.height}"
        )

    amount_in, amount_out = _money_totals(landing, source.kind)
    amount_quarantined = (
        _decimal(rows.filter(failed).get_column("_amount_abs").sum())
        if "_amount_abs" in rows.columns
        else Decimal("0.00")
    )
    placeholder_flags = rows.select(pl.col("^_placeholder_.*$").cast(pl.Int64))
    stated = _stated_summary(layout.stated, source.timezone)
    return FileStats(
        path=rel_path,
        sha256=sha256 or file_sha256(path),
        kind=source.kind,
        source_index=source.index,
        rows_read=rows.height,
        rows_loaded=landing.height,
        rows_quarantined=quarantine.height,
        amount_in=amount_in,
        amount_out=amount_out,
        amount_quarantined=amount_quarantined,
        placeholder_cells=int(placeholder_flags.sum().sum_horizontal().item()) if placeholder_flags.width else 0,
        blank_rows=blank.height,
        landing_path=landing_path,
        quarantine_path=quarantine_path,
        footer_rows=footer.height,
        preset=layout.preset.name if layout.preset else None,
        account_no=layout.account_no,
        account_from=layout.account_from,
        stated_summary=stated,
        row_summary=_row_summary(rows) if stated and "_flow" in rows.columns else {},
    )


def statement_summaries(stats: list[FileStats | None]) -> pl.DataFrame:
    """One row per file whose preamble states a summary or a period: what it states and what its rows hold.

    The pipeline stores this as the table ``statement_summaries`` that
    sql/core/statement_integrity.sql compares.
    """
    records = []
    for stat in stats:
        if stat is None or not stat.stated_summary:
            continue
        stated, counted = stat.stated_summary, stat.row_summary
        record: dict[str, object] = {
            "path": stat.path,
            "account_no": stat.account_no,
            "preset": stat.preset,
            "period_start": stated.get("period_start"),
            "period_end": stated.get("period_end"),
        }
        for item in SUMMARY_ITEMS:
            record[f"stated_{item}"] = stated.get(item)
            record[f"rows_{item}"] = counted.get(item)
        records.append(record)
    return pl.DataFrame(records, schema=STATEMENT_SUMMARY_SCHEMA)


def _stated_summary(found: dict[str, str], timezone: str) -> dict[str, object]:
    """Preamble texts → typed values; a text that does not parse is left out rather than guessed."""
    stated: dict[str, object] = {}
    for key, text in found.items():
        if key.startswith("period_"):
            if key == "period_end" and re.fullmatch(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}", text):
                # A period stated by days (2024-12-01 至 2024-12-31) ends at the end of its last day.
                text = f"{text} 23:59:59"
            instant = cells.parse_timestamps(pl.Series([text]), timezone).item()
            if instant is not None:
                stated[key] = instant
        elif key.endswith("amount"):
            amount = cells.parse_money(pl.Series([text], dtype=pl.String)).item()
            if amount is not None:
                stated[key] = amount
        else:
            stated[key] = int(text)
    return stated


def _row_summary(rows: pl.DataFrame) -> dict[str, object]:
    flows = rows.group_by("_flow").agg(pl.len().alias("n"), pl.col("_amount_abs").sum().alias("total"))
    by_flow = {flow: (n, total) for flow, n, total in flows.iter_rows()}
    summary: dict[str, object] = {"count": rows.height}
    for item, flow in (("in", "in"), ("out", "out"), ("neutral", None)):
        n, total = by_flow.get(flow, (0, None))
        summary[f"{item}_count"] = n
        summary[f"{item}_amount"] = _decimal(total)
    return summary


def _with_split_columns(
    table: RawTable, positions: dict[str, int], layout: Layout, rel_path: str
) -> tuple[RawTable, dict[str, int]]:
    """Build ``amount`` from separate in/out columns and ``ts`` from date + time columns (a preset's [split]).

    The built text goes through the ordinary parsers as if the file held it,
    so quarantine shows it as the value: ``-515.02`` from 支出 515.02, or
    ``20240103 12:34:56`` from 20240103 and 123456.
    """
    split = _split_positions(layout, table.headers, rel_path)
    if not split:
        return table, positions
    width = len(table.headers)
    built: list[pl.Expr] = []
    positions = dict(positions)
    from_spreadsheet = layout.format in SPREADSHEET_FORMATS
    if "date" in split:
        date = _date_text(split, layout)
        ts = date
        if "time" in split:
            time = cells.trimmed(pl.col(f"c{split['time']}"))
            time = pl.when(time.str.contains(r"^[0-9]{1,6}$")).then(
                time.str.zfill(6).str.replace(r"^([0-9]{2})([0-9]{2})([0-9]{2})$", "$1:$2:$3")
            ).otherwise(time)
            ts = pl.when(time.is_null() | cells.is_placeholder(time)).then(date).otherwise(
                pl.concat_str(date, pl.lit(" "), time)
            )
        positions["ts"] = width + len(built)
        built.append(ts.alias(f"c{width + len(built)}"))
    if "amount_in" in split or "amount_out" in split:
        positions["amount"] = width + len(built)
        built.append(_in_out_amount(split, from_spreadsheet).alias(f"c{width + len(built)}"))
    cells_frame = table.cells.with_columns(built)
    return RawTable(headers=[*table.headers, *(f"_split_{i}" for i in range(len(built)))], cells=cells_frame), positions


def _date_text(split: dict[str, int], layout: Layout) -> pl.Expr:
    """The date cell (or the fallback date where it is empty), a spreadsheet's midnight dropped.

    A day without a year (``12/29``, ``01-05``) takes the bill's year from the
    preamble; a month later than the bill's month is the year before (a
    January 2024 bill lists 12/29 of 2023). Without a bill year it stays as
    written and is quarantined as a bad time.
    """

    def cell(key: str) -> pl.Expr:
        text = cells.trimmed(pl.col(f"c{split[key]}"))
        return pl.when(~cells.is_placeholder(text)).then(text)

    date = cell("date")
    if "date_fallback" in split:
        date = pl.coalesce(date, cell("date_fallback"))
    date = date.str.replace(r"[ T]0{1,2}:0{1,2}(?::0{1,2}(?:\.0+)?)?$", "")
    if layout.bill_year is None:
        return date
    parts = date.str.extract_groups(r"^([0-9]{1,2})[/.-]([0-9]{1,2})$")
    month = parts.struct.field("1").cast(pl.Int32, strict=False)
    year = pl.lit(layout.bill_year, pl.Int32)
    if layout.bill_month is not None:
        year = pl.when(month > layout.bill_month).then(year - 1).otherwise(year)
    with_year = pl.concat_str(
        year.cast(pl.String), pl.lit("-"), parts.struct.field("1").str.zfill(2), pl.lit("-"),
        parts.struct.field("2").str.zfill(2),
    )
    return pl.when(month.is_not_null()).then(with_year).otherwise(date)


def _in_out_amount(split: dict[str, int], from_spreadsheet: bool) -> pl.Expr:
    """One signed amount text from an unsigned in column and an unsigned out column.

    Zero or empty on one side takes the other; zero on both is 0.00; money on
    both sides, or text that is not money, yields both cells' text, which the
    money parser then rejects (quarantined as a bad amount, both values shown).
    """

    def side(key: str) -> tuple[pl.Expr, pl.Expr]:
        if key not in split:
            return pl.lit(None, pl.String), pl.lit(None, cells.MONEY)
        text = cells.trimmed(pl.col(f"c{split[key]}"))
        text = pl.when(~cells.is_placeholder(text)).then(text)
        return text, cells.money_from_text(cells.money_text(text, from_spreadsheet)).abs()

    in_text, in_value = side("amount_in")
    out_text, out_value = side("amount_out")
    in_money = in_value.fill_null(0) != 0
    out_money = out_value.fill_null(0) != 0
    readable = (in_text.is_null() | in_value.is_not_null()) & (out_text.is_null() | out_value.is_not_null())
    return (
        pl.when(in_money & ~out_money)
        .then(in_value.cast(pl.String))
        .when(out_money & ~in_money)
        .then(pl.concat_str(pl.lit("-"), out_value.cast(pl.String)))
        .when(in_text.is_null() & out_text.is_null())
        .then(pl.lit(None, pl.String))
        .when(readable & ~in_money & ~out_money)
        .then(pl.lit("0.00"))
        .otherwise(
            pl.concat_str(
                pl.lit("in "), in_text.fill_null(""), pl.lit(" / out "), out_text.fill_null("")
            )
        )
    )


def _output_name(source: Source, rel_path: str) -> str:
    if rel_path not in source.files:
        raise ValueError(f"{rel_path} is not one of source #{source.index}'s files")
    return f"{source.index:03d}-{source.files.index(rel_path) + 1:05d}"


def _parse(
    table: RawTable,
    positions: dict[str, int],
    layout: Layout,
    source: Source,
    case: CaseConfig,
    rel_path: str,
) -> pl.DataFrame:
    """Typed canonical columns plus ``_failure`` (struct column/value/reason, null when the row loads).

    The work runs in materialised stages: polars re-evaluates a shared
    sub-expression (a regex's struct of groups, a cleaned amount) at every
    use; staging cut a 1M-row load from ~28 s to ~4 s.
    """
    kind_columns = KINDS[source.kind]
    file_columns = [c for c in table.cells.columns if c != "source_row"]
    has_direction = "direction" in positions
    from_spreadsheet = layout.format in SPREADSHEET_FORMATS

    trimmed = [cells.trimmed(pl.col(c)).alias(c) for c in file_columns]
    blank = pl.all_horizontal(pl.col(c).is_null() for c in file_columns) if file_columns else pl.lit(True)
    footer_pattern = layout.mapping.footer
    footer = pl.col("c0").str.contains(footer_pattern).fill_null(False) if footer_pattern and file_columns else pl.lit(False)

    # Per canonical column: the trimmed raw text (what quarantine shows), the
    # text after value mapping with placeholders removed, and a placeholder flag.
    texts: list[pl.Expr] = []
    for col in kind_columns:
        raw = _raw_cell(col, positions, layout)
        mapped = _mapped_value(raw, col.name, layout)
        texts.append(raw.alias(f"_raw_{col.name}"))
        if col.name in cells.IDENTIFIER_COLUMNS:
            mapped = cells.identifier_text(mapped)
            changed = cells.identifier_text(raw).fill_null("") != raw
            texts.append(pl.when(changed).then(raw).alias(f"_normalised_{col.name}"))
        if col.type == "direction":
            # '-' is a direction word (out), not a placeholder.
            texts.append(mapped.alias(f"_text_{col.name}"))
        elif col.required:
            # A placeholder in a required column is a missing value, not counted as a placeholder.
            texts.append(pl.when(~cells.is_placeholder(mapped)).then(mapped).alias(f"_text_{col.name}"))
        else:
            placeholder = cells.is_placeholder(mapped)
            texts.append(pl.when(~placeholder).then(mapped).alias(f"_text_{col.name}"))
            texts.append(placeholder.alias(f"_placeholder_{col.name}"))

    def text(name: str) -> pl.Expr:
        return pl.col(f"_text_{name}")

    first: list[pl.Expr] = []
    second: list[pl.Expr] = []
    third: list[pl.Expr] = []
    for col in kind_columns:
        name = col.name
        if col.type == "ts":
            first.append(cells.timestamp_parts(text(name)).alias(f"_parts_{name}"))
            second.append(cells.wall_time(pl.col(f"_parts_{name}")).alias(f"_wall_{name}"))
            second.append(cells.offset_minutes(pl.col(f"_parts_{name}")).alias(f"_offset_{name}"))
            third.append(
                cells.instant(pl.col(f"_wall_{name}"), pl.col(f"_offset_{name}"), source.timezone).alias(name)
            )
        elif col.type == "date":
            first.append(cells.date_parts(text(name)).alias(f"_parts_{name}"))
            second.append(cells.date_from_parts(pl.col(f"_parts_{name}")).alias(name))
        elif col.type == "money":
            first.append(cells.money_text(text(name), from_spreadsheet).alias(f"_clean_{name}"))
            value = cells.money_from_text(pl.col(f"_clean_{name}"))
            if name == "amount" and layout.mapping.sign == "out_positive":
                value = -value
            second.append(value.alias(f"_value_{name}"))
            second.append(cells.sign_from_text(pl.col(f"_clean_{name}")).alias(f"_sign_{name}"))
            third.append(_signed_amount(name, has_direction).alias(name))
        elif col.type == "direction":
            first.append(cells.direction_value(text(name)).alias("_direction"))
        else:
            first.append(text(name).alias(name))
    money_name = _stats_money_column(source.kind)
    if money_name is not None:
        third.append(pl.col(f"_value_{money_name}").abs().alias("_amount_abs"))
    if source.kind == "bank_statement":
        value = pl.col("_value_amount")
        by_sign = pl.when(value > 0).then(pl.lit("in")).when(value < 0).then(pl.lit("out"))
        third.append((pl.col("_direction") if has_direction else by_sign).alias("_flow"))

    reasons = [
        _reason(col, source, case, has_direction).alias(f"_why_{col.name}") for col in kind_columns
    ]
    failure = pl.coalesce(
        *_exclusions(layout, table.headers),
        *(
            pl.when(pl.col(f"_why_{col.name}").is_not_null()).then(
            pl.struct(
                pl.lit(col.name).alias("column"),
                pl.col(f"_raw_{col.name}").alias("value"),
                pl.col(f"_why_{col.name}").alias("reason"),
                )
            )
            for col in kind_columns
        ),
    )
    return (
        table.cells.lazy()
        .select(pl.lit(rel_path, pl.String).alias("source"), pl.col("source_row"), *trimmed)
        .with_columns(blank.alias("_blank"), footer.alias("_footer"), *texts)
        .with_columns(first)
        .with_columns(second)
        .with_columns(third)
        .with_columns(reasons)
        .with_columns(failure.alias("_failure"))
        # Naming only what is needed lets polars free the intermediate columns early.
        .select(
            pl.col(list(landing_schema(source.kind))),
            pl.col("_blank", "_footer", "_failure"),
            pl.col("^_(placeholder_.*|amount_abs|flow|normalised_.*)$"),
        )
        .collect()
    )


def _exclusions(layout: Layout, headers: list[str]) -> list[pl.Expr]:
    """The [[exclude]] rules as quarantine structs (null where the rule does not apply)."""
    rules = []
    for rule in layout.mapping.exclude:
        index = header_index(headers, rule.headers)
        if index is None:
            continue
        cell = pl.col(f"c{index}")
        before, marker, after = rule.reason.partition("{value}")
        reason = pl.concat_str(pl.lit(before), cell.fill_null(""), pl.lit(after)) if marker else pl.lit(rule.reason)
        matches = cell.fill_null("").is_in(sorted(rule.values))
        if rule.pattern is not None:
            matches = matches | cell.str.contains(rule.pattern).fill_null(False)
        rules.append(
            pl.when(matches).then(
                pl.struct(pl.lit(headers[index]).alias("column"), cell.alias("value"), reason.alias("reason"))
            )
        )
    return rules


def _mapped_value(raw: pl.Expr, name: str, layout: Layout) -> pl.Expr:
    """The cell after the [values] map, then the [patterns] map for cells no exact value matched."""
    exact = layout.values.get(name, {})
    mapped = raw.replace(exact) if exact else raw
    patterns = layout.mapping.patterns.get(name, ())
    if not patterns:
        return mapped
    chain = pl.when(raw.is_in(sorted(exact)) if exact else pl.lit(False)).then(mapped)
    for regex, canonical in patterns:
        chain = chain.when(raw.str.contains(regex)).then(pl.lit(canonical))
    return chain.otherwise(mapped)


def _raw_cell(col: Column, positions: dict[str, int], layout: Layout) -> pl.Expr:
    constant = {"account_no": layout.account_no, "account_name": layout.account_name}.get(col.name)
    if col.name == "account_no" and constant is not None and layout.account_no_wins:
        # A [[source]] that names the account of a preset's export overrides masked numbers in its rows.
        return pl.lit(constant, pl.String)
    if col.name in positions:
        cell = pl.col(f"c{positions[col.name]}")
        # The file's own value wins; the constant fills cells the file left empty.
        return cell.fill_null(pl.lit(constant)) if constant else cell
    return pl.lit(constant, pl.String)


def _signed_amount(name: str, has_direction: bool) -> pl.Expr:
    value = pl.col(f"_value_{name}")
    if name != "amount" or not has_direction:
        return value
    direction = pl.col("_direction")
    return pl.when(direction == "out").then(-value.abs()).when(direction == "in").then(value.abs()).otherwise(value)


def _reason(col: Column, source: Source, case: CaseConfig, has_direction: bool) -> pl.Expr:
    """Why this column rejects the row, or null. Checks run in the order the reasons are listed."""
    name = col.name
    text = pl.col(f"_text_{name}")
    present = text.is_not_null()
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    if col.required:
        checks.append((~present, pl.lit(Reason.MISSING)))
    if col.type == "ts":
        checks.append((present & pl.col(name).is_null(), pl.lit(Reason.BAD_TIME)))
    elif col.type == "date":
        checks.append((present & pl.col(name).is_null(), pl.lit(Reason.BAD_DATE)))
    elif col.type == "money":
        value = pl.col(f"_value_{name}")
        checks.append((present & cells.money_out_of_range(pl.col(f"_clean_{name}")), pl.lit(Reason.OUT_OF_RANGE)))
        checks.append((present & value.is_null(), pl.lit(Reason.BAD_AMOUNT)))
        if name == "amount" and has_direction:
            unsigned = pl.col(f"_sign_{name}").is_null()
            checks.append((pl.col("_text_direction").is_null() & unsigned, pl.lit(Reason.UNSIGNED)))
        if name == "amount" and source.kind in POSITIVE_AMOUNT_KINDS:
            checks.append((value <= 0, pl.lit(Reason.NOT_POSITIVE)))
    elif col.type == "direction" and has_direction:
        direction = pl.col("_direction")
        sign = pl.col("_sign_amount")
        contradicts = ((direction == "in") & (sign == "-")) | ((direction == "out") & (sign == "+"))
        checks.append((present & direction.is_null(), pl.lit(Reason.UNKNOWN_DIRECTION)))
        checks.append((contradicts, pl.lit(Reason.CONTRADICTS)))
    elif name == "currency":
        checks.append(
            (
                ~cells.accepted_currency(text, case.currency),
                pl.concat_str(pl.lit(f"{Reason.CURRENCY} ("), text, pl.lit(")")),
            )
        )
    if not checks:
        return pl.lit(None, pl.String)
    (condition, reason), *rest = checks
    chain = pl.when(condition).then(reason)
    for condition, reason in rest:
        chain = chain.when(condition).then(reason)
    return chain.otherwise(pl.lit(None, pl.String))


def _stats_money_column(kind: str) -> str | None:
    names = [c.name for c in KINDS[kind] if c.type == "money"]
    if "amount" in names:
        return "amount"
    return names[0] if names else None


def _money_totals(landing: pl.DataFrame, kind: str) -> tuple[Decimal, Decimal]:
    money = _stats_money_column(kind)
    if money is None:
        return Decimal("0.00"), Decimal("0.00")
    amounts = landing.get_column(money)
    if kind == "bank_statement":
        return _decimal(amounts.filter(amounts > 0).sum()), _decimal(-amounts.filter(amounts < 0).sum())
    return _decimal(amounts.sum()), Decimal("0.00")


def _decimal(value: object) -> Decimal:
    return (Decimal(0) if value is None else Decimal(value)).quantize(CENT)
