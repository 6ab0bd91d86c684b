"""Parse: a file's text cells → typed canonical columns and, per row, why it cannot load (the third step).

``parse_rows`` gives every row its typed columns and ``_failure`` (the first
failing column in canonical order, its raw text and a short reason; null
when the row loads); ``write_parsed_rows`` splits the rows into landing
(typed, ``kinds.staged_columns``) and quarantine and writes both as Parquet
with the normalised identifier cells. Every data row ends in exactly one of
the two.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from fundtrail.config import CaseConfig, Source
from fundtrail.ingest import cells
from fundtrail.ingest.readers import EXTRA_FIELDS, SPREADSHEET_FORMATS, Layout, RawTable, header_index
from fundtrail.kinds import KINDS, TEXT_SUFFIX, Column, staged_columns
from fundtrail.kinds import money_column as stats_money_column  # staging's staged_money sums the same column


LANDING_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(),
    "ts": cells.UTC_TS,
    "date": pl.Date(),
    "money": cells.MONEY,
    "row": pl.Int64(),
}
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "reason": pl.String(),
}
POSITIVE_AMOUNT_KINDS = {"deposit_sheet", "payment_ledger"}
# The parsed rows' Parquet is read once by the run's load (and again by a rerun from the cache):
# LZ4 writes a 50,000-row batch in about 40 ms where polars' default zstd took 67, for files
# about 1.6 times the size.
PARQUET_COMPRESSION = "lz4"


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
    # More fields than the header, beyond it some text: its values may have shifted by a field.
    RAGGED = "ragged row"


def landing_schema(kind: str) -> dict[str, pl.DataType]:
    return {col.name: LANDING_TYPES[col.type] for col in staged_columns(kind)}


def parse_rows(
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
    file_columns = [c for c in table.cells.columns if c not in ("source_row", EXTRA_FIELDS)]
    extra = [EXTRA_FIELDS] if EXTRA_FIELDS in table.cells.columns else []
    has_direction = "direction" in positions
    from_spreadsheet = layout.format in SPREADSHEET_FORMATS

    trimmed = [cells.trimmed(pl.col(c)).alias(c) for c in file_columns]
    blank = pl.all_horizontal(pl.col(c).is_null() for c in file_columns + extra) if file_columns else pl.lit(True)
    footer_pattern = layout.mapping.footer
    footer = pl.col("c0").str.contains(footer_pattern).fill_null(False) if footer_pattern and file_columns else pl.lit(False)

    # What holds of every cell of a column, where it lets the parse take a shorter way (one pass
    # over the cells): the file columns feeding those that normalise (identifiers, money) whose
    # texts are printable ASCII throughout, raw and mapped, where normalising can change nothing;
    # the canonical money columns of digits, signs and points only, and the times in PLAIN_TS.
    forms = _cells_without(table.cells, _spoilers(kind_columns, positions, layout))
    plain_cells = {name.removeprefix("plain:") for name in forms if name.startswith("plain:")}
    plain_raw = {c.name: _plain_raw(c, positions, layout, plain_cells) for c in kind_columns}
    plain = {name: raw_plain and _plain_mapping(name, layout) for name, raw_plain in plain_raw.items()}

    # Per canonical column: the trimmed raw text (what quarantine shows, and what a keep_text
    # column stages beside its value), the text after value mapping with placeholders removed,
    # and a placeholder flag.
    texts: list[pl.Expr] = []
    for col in kind_columns:
        raw = _raw_cell(col, positions, layout)
        mapped = _mapped_value(raw, col.name, layout)
        texts.append(raw.alias(f"_raw_{col.name}"))
        if col.keep_text:
            texts.append(raw.alias(col.name + TEXT_SUFFIX))
        if col.identifier:
            mapped = cells.identifier_text(mapped, plain[col.name])
            changed = cells.identifier_text(raw, plain_raw[col.name]).fill_null("") != raw
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
            if f"plain_ts:{name}" in forms:
                first.append(cells.plain_wall_time(text(name)).alias(f"_wall_{name}"))
                third.append(cells.local_instant(pl.col(f"_wall_{name}"), source.timezone).alias(name))
            else:
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
            clean = cells.money_text(text(name), from_spreadsheet, plain[name], f"digits:{name}" in forms)
            first.append(clean.alias(f"_clean_{name}"))
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
    money_name = stats_money_column(source.kind)
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
        *(_ragged(name) for name in extra),
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
        .select(pl.lit(rel_path, pl.String).alias("source"), pl.col("source_row"), *trimmed, *extra)
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


def _spoilers(kind_columns: tuple[Column, ...], positions: dict[str, int], layout: Layout) -> dict[str, pl.Expr]:
    """Per form ``parse_rows`` looks for, what in a cell spoils it: ``plain:<file column>`` (printable
    ASCII, for the columns feeding identifiers and money), ``digits:<money column>`` (cells.NOT_DIGITS)
    and ``plain_ts:<time column>`` (cells.PLAIN_TS). The last two only where no [values] or
    [patterns] map may put other text in the cells' place."""
    spoilers = {}
    for c in sorted({f"c{positions[c.name]}" for c in kind_columns if (c.identifier or c.type == "money") and c.name in positions}):
        spoilers[f"plain:{c}"] = pl.col(c).str.contains(cells.NOT_PLAIN)
    for col in kind_columns:
        if col.name not in positions or col.name in layout.values or col.name in layout.mapping.patterns:
            continue
        cell = pl.col(f"c{positions[col.name]}")
        if col.type == "money":
            spoilers[f"digits:{col.name}"] = cell.str.contains(cells.NOT_DIGITS)
        elif col.type == "ts":
            spoilers[f"plain_ts:{col.name}"] = ~cell.str.contains(cells.PLAIN_TS)
    return spoilers


def _cells_without(frame: pl.DataFrame, spoilers: dict[str, pl.Expr]) -> set[str]:
    """The names of ``spoilers`` whose expression holds for no cell (empty cells never spoil), in one pass."""
    if not spoilers or frame.height == 0:
        return set(spoilers)
    found = frame.select(spoiler.any().alias(name) for name, spoiler in spoilers.items()).row(0)
    return {name for name, spoiled in zip(spoilers, found, strict=True) if not spoiled}


def _plain_raw(col: Column, positions: dict[str, int], layout: Layout, plain_cells: set[str]) -> bool:
    """Whether ``_raw_cell`` of the column is printable ASCII throughout: its cells and its constant."""
    constant = {"account_no": layout.account_no, "account_name": layout.account_name}.get(col.name)
    if col.name == "account_no" and constant is not None and layout.account_no_wins:
        return cells.is_plain(constant)
    if col.name in positions:
        return f"c{positions[col.name]}" in plain_cells and (not constant or cells.is_plain(constant))
    return constant is None or cells.is_plain(constant)


def _plain_mapping(name: str, layout: Layout) -> bool:
    """Whether every text ``_mapped_value`` may put in the column's place is printable ASCII."""
    exact = layout.values.get(name, {})
    patterns = layout.mapping.patterns.get(name, ())
    return all(cells.is_plain(v) for v in exact.values()) and all(cells.is_plain(c) for _, c in patterns)


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


def _ragged(extra: str) -> pl.Expr:
    """A row with text beyond its header's fields, as its quarantine struct: ragged, whatever else."""
    return pl.when(pl.col(extra).is_not_null()).then(
        pl.struct(pl.lit("row").alias("column"), pl.col(extra).alias("value"), pl.lit(Reason.RAGGED).alias("reason"))
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
    landing.write_parquet(paths["landing"], compression=PARQUET_COMPRESSION)
    quarantine.write_parquet(paths["quarantine"], compression=PARQUET_COMPRESSION)
    cells.normalised_cells(rows).write_parquet(paths["normalised"], compression=PARQUET_COMPRESSION)
    return landing, quarantine, paths["landing"], paths["quarantine"]
