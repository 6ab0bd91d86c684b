"""Map: which cell of a file feeds which canonical column (the second step of ingest).

``map_columns`` finds each canonical column's header (a [[source]]'s or a
preset's mapping first, then a header that is already canonical) and stops
with InputSchemaError when a required one is missing or a header is
ambiguous. ``with_split_columns`` adds the columns a preset builds from two
file columns (``[split]``: in/out amounts, date + time) as text cells, so
they reach the parsers as if the file held them.
"""

from __future__ import annotations

import polars as pl

from fundtrail.config import Source
from fundtrail.errors import InputSchemaError
from fundtrail.ingest import cells
from fundtrail.ingest.readers import SPREADSHEET_FORMATS, Layout, RawTable, clean_header, header_index
from fundtrail.kinds import KINDS
from fundtrail.messages import Alternatives, Phrase


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


def split_positions(layout: Layout, headers: list[str], rel_path: str) -> dict[str, int]:
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


def with_split_columns(
    table: RawTable, positions: dict[str, int], layout: Layout, rel_path: str
) -> tuple[RawTable, dict[str, int]]:
    """Build ``amount`` from separate in/out columns and ``ts`` from date + time columns (a preset's [split]).

    The built text goes through the ordinary parsers as if the file held it,
    so quarantine shows it as the value: ``-515.02`` from 支出 515.02, or
    ``20240103 12:34:56`` from 20240103 and 123456.
    """
    split = split_positions(layout, table.headers, rel_path)
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
