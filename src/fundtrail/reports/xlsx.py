"""report.xlsx: the prosecutor's workbook (outputs.md), written with xlsxwriter.

A summary sheet, then one sheet per table (defendants, victims, entries,
payments, info_defendants when present, quarantine), columns in the
outputs.md order, Chinese titles by default (``lang="en"`` for English),
header row and id column frozen, autofilter on every table sheet.

Cells:
- money: a number with format ``#,##0.00`` when the amount has at most 15
  significant digits (below 10^13 at two places), the precision within
  which a spreadsheet's binary double shows the Decimal exactly; a larger
  amount is written as its exact text, right-aligned, rather than as a
  rounded number;
- text: always a string cell, never a formula, link or number; text that
  starts with ``= + - @``, a tab or a carriage return also gets Excel's
  quote prefix, so even editing the cell does not turn it into a formula;
- times: date-time cells in the case time zone (``summary["timezone"]``),
  named in the column title; dates as dates;
- code values (role, basis, tier, status) and yes/no flags in the reader's language.

A table longer than a sheet's 1,048,575 data rows continues on sheets
named ``<title> (2)``, ``(3)``… . Personal data is masked unless
``unmask`` (see ``mask.py``). The ``summary`` keys read are those of
``fundtrail.reports`` (package docstring); missing ones are left out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from fundtrail import messages
from fundtrail.reports import figures, labels
from fundtrail.reports.mask import ACCOUNT_COLUMNS, account_expr, digit_runs_expr, mask_ahead, mask_one, mask_tables

TABLE_ORDER = ("defendants", "victims", "entries", "payments", "recoveries", "info_defendants", "quarantine")
MAX_DATA_ROWS = 1_048_575
EXACT_NUMBER_LIMIT = Decimal(10) ** 13
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
WIDTH_SAMPLE_ROWS = 500
# A sheet's cells are made a column at a time (one pass each), its rows' XML this many rows at a time:
# the rows' texts, several times the cells' size while polars joins them, are held a slice at a time.
# 10,000 held 60 MB more at 20,000 files for the same CPU time; 1,000 takes more.
ROWS_AT_ONCE = 2_000
# zlib's fastest level for the workbook's zip: a third of the default level's time for a file about a
# quarter larger (5.2 against 4.1 MB at 20,000 files); the sheets inside are the same.
ZIP_LEVEL = 1
MIN_WIDTH, MAX_WIDTH = 8, 50

MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"


def exact_as_number(amount: Decimal) -> bool:
    """A two-place amount under 10^13 has ≤ 15 significant digits: a double and its display keep it exactly."""
    return abs(amount) < EXACT_NUMBER_LIMIT


def write_workbook(
    tables: dict[str, pl.DataFrame],
    summary: dict[str, Any],
    path: Path,
    lang: str = "zh",
    unmask: bool = False,
) -> None:
    labels.check_lang(lang)
    shown = mask_tables({name: tables[name] for name in TABLE_ORDER if name in tables}, unmask)
    timezone = summary.get("timezone")
    total_rows = sum(f.height for f in shown.values())
    workbook = _Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "constant_memory": True,
            "use_zip64": total_rows > MAX_DATA_ROWS,
        },
    )
    formats = _formats(workbook)
    try:
        _summary_sheet(workbook, formats, tables, shown, summary, lang, unmask)
        for name in TABLE_ORDER:
            frame = shown.get(name)
            if frame is not None:
                _table_sheets(workbook, formats, name, _prepared(frame, timezone, lang), lang, timezone)
    finally:
        with _fast_zip():
            workbook.close()


class _Worksheet(Worksheet):
    """A constant_memory worksheet whose rows reach its XML file as bytes.

    xlsxwriter copies the rows' temporary file into the sheet's XML file through two text files,
    decoding and encoding every row again (0.2 s for the 37 MB of a 20,000-file case's sheets).
    The bytes are the same: neither file translates newlines on Linux writes, and no row holds a
    carriage return (a text's is written ``_x000D_``), which reading it as text would have turned into a newline.
    """

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None:
            self._xml_empty_tag("sheetData")
            return
        self._xml_start_tag("sheetData")
        self.row_data_fh.close()
        self.fh.flush()
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, self.fh.buffer, 1 << 20)
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


class _Workbook(xlsxwriter.Workbook):
    worksheet_class = _Worksheet


class _FastZipFile(zipfile.ZipFile):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, compresslevel=ZIP_LEVEL, **kwargs)


@contextlib.contextmanager
def _fast_zip() -> Iterator[None]:
    """xlsxwriter's zip at ZIP_LEVEL: Workbook.close makes a ZipFile with no level (zlib's default, 6)
    and has no option for one, so while it closes, the ZipFile it finds in its module is one with a level."""
    saved = xlsxwriter.workbook.ZipFile
    xlsxwriter.workbook.ZipFile = _FastZipFile
    try:
        yield
    finally:
        xlsxwriter.workbook.ZipFile = saved


def _formats(workbook: xlsxwriter.Workbook) -> dict[str, Any]:
    return {
        "header": workbook.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "text_wrap": True, "valign": "top", "bottom": 1}
        ),
        "section": workbook.add_format({"bold": True, "font_size": 12, "bottom": 1}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "note": workbook.add_format({"italic": True, "font_color": "#7A3E00"}),
        "money": workbook.add_format({"num_format": MONEY_FORMAT}),
        "money_text": workbook.add_format({"align": "right"}),
        "share": workbook.add_format({"num_format": "0.00%"}),
        "count": workbook.add_format({"num_format": "#,##0"}),
        "datetime": workbook.add_format({"num_format": DATETIME_FORMAT}),
        "date": workbook.add_format({"num_format": DATE_FORMAT}),
        "quoted": workbook.add_format({"quote_prefix": True}),
    }


def _prepared(frame: pl.DataFrame, timezone: str | None, lang: str) -> pl.DataFrame:
    """Times as naive case-zone wall clock (what a spreadsheet can hold); codes and flags as words."""
    frame = figures.in_case_time(frame, timezone)
    exprs = []
    for column, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            exprs.append(pl.col(column).dt.replace_time_zone(None))
        elif dtype == pl.Boolean:
            exprs.append(
                pl.col(column).replace_strict(
                    {True: labels.value_label(lang, True), False: labels.value_label(lang, False)},
                    default=None,
                    return_dtype=pl.String,
                )
            )
        elif dtype == pl.String and column in labels.TRANSLATED_COLUMNS:
            exprs.append(pl.col(column).replace(labels.VALUES[lang]))
    return frame.with_columns(exprs) if exprs else frame


def _write_text(sheet: Worksheet, row: int, col: int, value: str, formats: dict[str, Any]) -> None:
    if value.startswith(FORMULA_TRIGGERS):
        sheet.write_string(row, col, value, formats["quoted"])
    else:
        sheet.write_string(row, col, value)


def _write_money(sheet: Worksheet, row: int, col: int, value: Decimal, formats: dict[str, Any]) -> None:
    if exact_as_number(value):
        sheet.write_number(row, col, float(value), formats["money"])
    else:
        sheet.write_string(row, col, str(value), formats["money_text"])


# What xlsxwriter (constant_memory: inline strings) does to a string cell's text, mirrored by _string_cell.
_NEEDS_ESCAPING = re.compile(r"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL_CHARACTER = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = re.compile(r"^\s|\s$")
_MAX_STRING = 32767  # UTF-16 units in one cell


def _string_cell(text: str, style: str) -> str:
    """A string cell's XML after its reference, exactly as xlsxwriter writes an inline string."""
    if len(text) > _MAX_STRING // 2 and len(text.encode("utf-16-le", "surrogatepass")) // 2 > _MAX_STRING:
        text = text.encode("utf-16-le", "surrogatepass")[: 2 * _MAX_STRING].decode("utf-16-le", "ignore")
    escaped = _NEEDS_ESCAPING.search(text)
    if escaped:
        text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL_CHARACTER.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    # After the control characters became _xHHHH_: a leading vertical tab is no longer space.
    space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    if escaped:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


# Texts _string_cell must see (anything to escape, edge space as Python's \s knows it, maybe too long);
# every other text's cell is made in polars. Finding too many only costs time.
_PYTHON_SPACE = "".join(f"\\x{{{ord(ch):X}}}" for ch in map(chr, range(0x3001)) if ch.isspace())
_TEXT_FOR_PYTHON = rf"[&<>\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{{4}}_|^[{_PYTHON_SPACE}]|[{_PYTHON_SPACE}]$"
_FORMULA_START = "^[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in FORMULA_TRIGGERS) + "]"


def _column_cells(sheet: Worksheet, values: pl.Series, formats: dict[str, Any]) -> pl.Series:
    """Each value's cell XML after ``<c r="A1"`` (null for an empty cell), by the cell rules of the docstring."""
    dtype = values.dtype
    if dtype == pl.String:
        return _text_cells(values, _style(formats["quoted"]))
    if isinstance(dtype, pl.Decimal):
        return _money_cells(values, _style(formats["money"]), _style(formats["money_text"]))
    if dtype.is_integer():
        return _integer_cells(values)
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        style = _style(formats["datetime" if isinstance(dtype, pl.Datetime) else "date"])
        return _number_cells(_excel_serials(values, sheet.date_1904), style)
    quoted = _style(formats["quoted"])
    texts = (None if v is None else str(v) for v in values.to_list())
    cells = [None if t is None else _string_cell(t, quoted if t.startswith(FORMULA_TRIGGERS) else "") for t in texts]
    return pl.Series(cells, dtype=pl.String)


def _number_cells(values: pl.Series, style: str) -> pl.Series:
    """Number cells as write_number writes them (its ``%.16G``; Python's format, which polars has not)."""
    return pl.Series([None if v is None else f"{style}><v>{v:.16G}</v></c>" for v in values.to_list()], dtype=pl.String)


# Integers a double holds exactly: write_number's float() keeps them and its %.16G writes their digits.
_EXACT_INTEGER = 2**53


def _integer_cells(values: pl.Series) -> pl.Series:
    """Integer cells as ``_number_cells`` writes them: polars' digits where they are ``%.16G``'s, Python's beyond."""
    # As doubles: a double rounds an integer of 2**53 or more to one of 2**53 or more (any integer type).
    exact = values.cast(pl.Float64).abs() < _EXACT_INTEGER
    cells = pl.select(pl.concat_str(pl.lit("><v>"), values.cast(pl.String), pl.lit("</v></c>"))).to_series()
    if exact.all(ignore_nulls=True):
        return cells
    large = (~exact).fill_null(False)
    return cells.scatter(large.arg_true(), _number_cells(values.filter(large), ""))


def _money_cells(values: pl.Series, money: str, money_text: str) -> pl.Series:
    """Amounts below EXACT_NUMBER_LIMIT as numbers, larger ones as their exact text.

    polars' cast of a Decimal to a double divides the integer by 10^scale, one correctly rounded
    IEEE operation for amounts this small, so it is ``float(Decimal)`` without making a Decimal a value.
    """
    exact = values.abs() < EXACT_NUMBER_LIMIT
    cells = _number_cells(values.cast(pl.Float64), money)
    if exact.all(ignore_nulls=True):
        return cells
    large = (~exact).fill_null(False)
    texts = [_string_cell(str(v), money_text) for v in values.filter(large).to_list()]
    return cells.scatter(large.arg_true(), pl.Series(texts, dtype=pl.String))


# Days from xlsxwriter's epochs to 1970-01-01, and microseconds in a day.
_EPOCH_DAYS = {False: (dt.date(1970, 1, 1) - dt.date(1899, 12, 31)).days, True: (dt.date(1970, 1, 1) - dt.date(1904, 1, 1)).days}
_DAY_US = 86_400_000_000


def _excel_serials(values: pl.Series, date_1904: bool) -> pl.Series:
    """xlsxwriter's Excel serial of each (naive) time or date, computed as its
    ``_datetime_to_excel_datetime`` does, operation for operation on doubles, so the same numbers."""
    since_epoch = values.cast(pl.Datetime("us")).dt.epoch("us") + _EPOCH_DAYS[date_1904] * _DAY_US
    days = since_epoch // _DAY_US
    in_day = since_epoch - days * _DAY_US
    seconds, micros = in_day // 1_000_000, in_day % 1_000_000
    serial = days.cast(pl.Float64) + (seconds.cast(pl.Float64) + micros.cast(pl.Float64) / 1e6) / 86_400
    if date_1904:
        return serial
    if values.dtype != pl.Date:
        # A time on 1900-01-01 (ISO calendar 1900-W01-1) is a time of Excel's day 0; a date is day 1.
        serial = serial - (days == 1).cast(pl.Float64)
    # Excel's invented 1900-02-29 shifts every serial after 59 by one.
    return serial + (serial > 59).cast(pl.Float64)


def _text_cells(values: pl.Series, quoted: str) -> pl.Series:
    """String cells: the plain texts' in one polars expression, the few others through _string_cell."""
    text = pl.col("text")
    frame = pl.DataFrame({"text": values}).with_columns(
        (text.str.contains(_TEXT_FOR_PYTHON) | (text.str.len_chars() > _MAX_STRING // 2)).alias("python"),
        pl.when(text.str.contains(_FORMULA_START)).then(pl.lit(quoted)).otherwise(pl.lit("")).alias("style"),
    )
    cells = frame.select(
        pl.when(pl.col("python").not_())
        .then(pl.concat_str(pl.col("style"), pl.lit(' t="inlineStr"><is><t>'), text, pl.lit("</t></is></c>")))
    ).to_series()
    others = frame.with_row_index().filter(pl.col("python"))
    if others.is_empty():
        return cells
    made = [_string_cell(t, style) for t, style in zip(others["text"], others["style"], strict=True)]
    return cells.scatter(others["index"], pl.Series(made, dtype=pl.String))


def _style(cell_format: Any) -> str:
    return f' s="{cell_format._get_xf_index()}"'


def _write_data_rows(sheet: Worksheet, frame: pl.DataFrame, formats: dict[str, Any]) -> None:
    """The frame's rows below the header row, written as xlsxwriter's constant_memory mode writes them.

    xlsxwriter spends about 50 µs of Python per cell (checks, a cell tuple, its XML writer), so a
    workbook of half a million cells took half a minute. Here each column's cells are made in one
    pass and the rows' XML in polars, into the sheet's row stream; the cells are the ones
    ``write_string``/``write_number``/``write_datetime`` would write. This leans on xlsxwriter's
    worksheet internals (its row stream, dimensions and format indices): tests/test_xlsx_cells.py
    compares a sheet written both ways, on every dtype and the escapes, so an xlsxwriter that
    changes them fails there. One difference on purpose: a text that looks like xlsxwriter's
    rich-string markup (``<r>…</r>``) is written as that text, where xlsxwriter would pass it through as XML.
    """
    if frame.is_empty():
        return
    cells = pl.DataFrame(
        {f"c{col}": _column_cells(sheet, frame.get_column(name), formats) for col, name in enumerate(frame.columns)}
    )
    written = False
    for offset in range(0, frame.height, ROWS_AT_ONCE):
        lines = _row_lines(cells.slice(offset, ROWS_AT_ONCE), offset + 2)
        if lines.is_empty():
            continue
        if not written:
            sheet._write_single_row(1)  # the header row goes out first; the rows below follow it in the stream
            written = True
        # Straight into the stream's file as UTF-8, as polars holds the text (not through a Python str).
        sheet.fh.flush()
        sheet.fh.buffer.write(lines["xml"].str.join("").cast(pl.Binary).item())
        last = lines["row"][-1] - 1
        sheet._check_dimensions(last, 0)
        sheet.previous_row = last + 1


def _row_lines(cells: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """``row`` (the spreadsheet's row number) and ``xml`` (its <row> element) of each row of ``cells``
    (``c0``, ``c1``… : each column's cells, ``_column_cells``) with a value."""
    row = pl.col("row").cast(pl.String)
    width = cells.width
    cells = cells.with_columns(pl.int_range(first_row, first_row + cells.height).alias("row"))
    xml = pl.concat_str(
        [pl.concat_str(pl.lit(f'<c r="{xl_col_to_name(col)}'), row, pl.lit('"'), pl.col(f"c{col}")) for col in range(width)],
        ignore_nulls=True,
    )
    return (
        cells.select("row", xml.alias("cells"))
        .filter(pl.col("cells") != "")
        .select("row", pl.concat_str(pl.lit('<row r="'), row, pl.lit('">'), pl.col("cells"), pl.lit("</row>")).alias("xml"))
    )


def _title(lang: str, column: str, dtype: pl.DataType, timezone: str | None) -> str:
    title = labels.column_title(lang, column)
    if isinstance(dtype, pl.Datetime) and timezone:
        title = f"{title} ({timezone})"
    return title


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


_WIDE = r"[\x{2E81}-\x{10FFFF}]"  # the characters _display_width counts twice


def _longest(texts: pl.Series) -> int:
    """The largest ``_display_width`` of the texts (0 for none), counted in polars."""
    widths = texts.str.len_chars() + texts.str.count_matches(_WIDE)
    return widths.max() or 0


def _widths(frame: pl.DataFrame, titles: list[str]) -> list[int]:
    sample = frame.head(WIDTH_SAMPLE_ROWS)
    widths = []
    for column, title in zip(frame.columns, titles):
        dtype = frame.schema[column]
        if isinstance(dtype, pl.Datetime):
            longest = len("2023-06-01 14:03:22")
        elif isinstance(dtype, pl.Decimal):
            longest = len("9,999,999,999.99")
        else:
            longest = _longest(sample.get_column(column).cast(pl.String))
        header = max(_display_width(part) for part in title.split(" ("))
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2, header + 2)))
    return widths


def _table_sheets(
    workbook: xlsxwriter.Workbook,
    formats: dict[str, Any],
    name: str,
    frame: pl.DataFrame,
    lang: str,
    timezone: str | None,
) -> None:
    titles = [_title(lang, c, frame.schema[c], timezone) for c in frame.columns]
    widths = _widths(frame, titles)
    base = labels.sheet_title(lang, name)
    chunks = max(1, -(-frame.height // MAX_DATA_ROWS))
    for chunk in range(chunks):
        sheet_name = base if chunk == 0 else f"{base[:25]} ({chunk + 1})"
        sheet = workbook.add_worksheet(sheet_name)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 1)
        part = frame.slice(chunk * MAX_DATA_ROWS, MAX_DATA_ROWS)
        sheet.autofilter(0, 0, max(part.height, 1), len(titles) - 1)
        for col, title in enumerate(titles):
            sheet.write_string(0, col, title, formats["header"])
        _write_data_rows(sheet, part, formats)


def _write_any(sheet: Worksheet, row: int, col: int, value: Any, formats: dict[str, Any], money: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        _write_text(sheet, row, col, "yes" if value else "no", formats)
    elif isinstance(value, Decimal) and money:
        _write_money(sheet, row, col, value, formats)
    elif isinstance(value, (int, Decimal)):
        sheet.write_number(row, col, float(value), formats["count"] if isinstance(value, int) else None)
    elif isinstance(value, dt.datetime):
        _write_text(sheet, row, col, value.isoformat(), formats)
    elif isinstance(value, (dict, list)):
        _write_text(sheet, row, col, json.dumps(value, ensure_ascii=False, default=str), formats)
    else:
        _write_text(sheet, row, col, str(value), formats)


def _summary_sheet(
    workbook: xlsxwriter.Workbook,
    formats: dict[str, Any],
    tables: dict[str, pl.DataFrame],
    shown: dict[str, pl.DataFrame],
    summary: dict[str, Any],
    lang: str,
    unmask: bool,
) -> None:
    sheet = workbook.add_worksheet(labels.sheet_title(lang, "summary"))
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 44)
    sheet.set_column(2, 8, 16)
    label = lambda key: labels.summary_label(lang, key)  # noqa: E731
    timezone = summary.get("timezone")
    row = 0
    sheet.write_string(row, 0, str(summary.get("title") or summary.get("case_id") or ""), formats["title"])
    row += 1
    sheet.write_string(row, 0, label("unmasked" if unmask else "masked"), formats["note"])
    row += 2

    warnings = [w for w in summary.get("warnings") or [] if isinstance(w, dict)]
    if warnings:
        sheet.write_string(row, 0, label("warnings"), formats["section"])
        row += 1
        for warning in warnings:
            message = str(warning.get("message") or "")
            _write_text(sheet, row, 0, message if unmask else mask_one(digit_runs_expr, message), formats)
            _write_text(sheet, row, 1, str(warning.get("code") or ""), formats)
            row += 1
        row += 1

    sheet.write_string(row, 0, label("case"), formats["section"])
    row += 1
    for key in ("case_id", "title", "timezone", "started", "finished", "code_version"):
        if summary.get(key) is not None:
            sheet.write_string(row, 0, label(key))
            value = summary[key]
            if key in ("started", "finished"):
                value = figures.case_time(value, timezone)
            _write_any(sheet, row, 1, value, formats)
            row += 1
    row += 1

    sheet.write_string(row, 0, label("totals"), formats["section"])
    row += 1
    for key, value in figures.totals(summary).items():
        sheet.write_string(row, 0, label(key))
        if key == "validated_share" and value is not None:
            sheet.write_number(row, 1, float(value), formats["share"])
        else:
            _write_any(sheet, row, 1, value, formats, money=figures.is_money_key(key))
        row += 1
    row += 1

    tier_counts = figures.tiers(tables, summary)
    if tier_counts:
        sheet.write_string(row, 0, label("tiers"), formats["section"])
        row += 1
        sheet.write_string(row, 0, label("tier"), formats["header"])
        sheet.write_string(row, 1, label("count"), formats["header"])
        row += 1
        for tier, count in tier_counts.items():
            sheet.write_string(row, 0, labels.value_label(lang, tier))
            sheet.write_number(row, 1, count, formats["count"])
            row += 1
        row += 1

    info = figures.info_defendants(tables, summary)
    if info is not None:
        row = _info_defendants_rows(sheet, row, info, formats, lang)

    rejected = figures.quarantine_counts(shown)
    sheet.write_string(row, 0, label("quarantine"), formats["section"])
    row += 1
    for col, key in enumerate(("source", "reason")):
        sheet.write_string(row, col, labels.column_title(lang, key), formats["header"])
    sheet.write_string(row, 2, label("rows"), formats["header"])
    row += 1
    for source, reason, count in rejected.iter_rows():
        _write_text(sheet, row, 0, source or "", formats)
        _write_text(sheet, row, 1, messages.reason_label(reason, lang), formats)
        sheet.write_number(row, 2, count, formats["count"])
        row += 1
    row += 1

    validation = summary.get("validation") or []
    if validation:
        sheet.write_string(row, 0, label("validation"), formats["section"])
        row += 1
        for col, key in enumerate(("suite", "success", "failed")):
            sheet.write_string(row, col, label(key), formats["header"])
        row += 1
        for result in validation:
            _write_any(sheet, row, 0, result.get("suite"), formats)
            success = result.get("success")
            _write_text(
                sheet, row, 1, label("skipped") if success is None else labels.value_label(lang, bool(success)), formats
            )
            _write_any(sheet, row, 2, result.get("failed"), formats)
            row += 1
        row += 1

    integrity = summary.get("integrity")
    if integrity:
        sheet.write_string(row, 0, label("integrity"), formats["section"])
        row += 1
        _integrity_rows(sheet, row, integrity, formats, unmask, lang, timezone)


def _info_defendants_rows(
    sheet: Worksheet, row: int, info: pl.DataFrame, formats: dict[str, Any], lang: str
) -> int:
    """The information-sale defendants' counts, gains and tier; the full table has its own sheet."""
    columns = [c for c in figures.INFO_SUMMARY_COLUMNS if c in info.columns]
    sheet.write_string(row, 0, labels.summary_label(lang, "info_defendants_table"), formats["section"])
    row += 1
    for col, column in enumerate(columns):
        sheet.write_string(row, col, labels.column_title(lang, column), formats["header"])
    row += 1
    for record in info.select(columns).iter_rows(named=True):
        for col, column in enumerate(columns):
            value = record[column]
            if column == "tier" and value is not None:
                _write_text(sheet, row, col, labels.value_label(lang, value), formats)
            else:
                _write_any(sheet, row, col, value, formats, money=column in figures.INFO_MONEY_COLUMNS)
        row += 1
    return row + 1


INTEGRITY_MONEY = ("expected", "actual", "expected_balance", "actual_balance", "missing_amount")


def _integrity_rows(
    sheet: Worksheet, row: int, integrity: Any, formats: dict[str, Any], unmask: bool, lang: str, timezone: str | None
) -> None:
    """Integrity results in whatever shape the pipeline gives: a mapping, or a list of records."""
    def shown(key: str, value: Any) -> Any:
        if key in ACCOUNT_COLUMNS and isinstance(value, str):
            return value if unmask else mask_one(account_expr, value)
        if key == "kind" and isinstance(value, str):
            return labels.value_label(lang, value)
        if key in INTEGRITY_MONEY and isinstance(value, (str, int)):
            try:
                return Decimal(str(value))
            except ArithmeticError:
                pass
        if isinstance(value, dt.datetime):
            return figures.case_time(value, timezone)
        if isinstance(value, (str, dict, list)):
            text = _plain(value)
            return text if unmask else mask_one(digit_runs_expr, text)
        return value

    if isinstance(integrity, dict):
        for key, value in integrity.items():
            _write_text(sheet, row, 0, labels.column_title(lang, str(key)), formats)
            value = shown(str(key), value)
            _write_any(sheet, row, 1, value, formats, money=isinstance(value, Decimal))
            row += 1
        return
    records = [r for r in integrity if isinstance(r, dict)] if isinstance(integrity, list) else []
    keys = list(dict.fromkeys(k for r in records for k in r))
    if not unmask:  # hundreds of findings: their accounts and texts masked in one query each, not one by one
        mask_ahead(account_expr, (v for r in records for k, v in r.items() if k in ACCOUNT_COLUMNS and isinstance(v, str)))
        mask_ahead(digit_runs_expr, (_plain(v) for r in records for v in r.values() if isinstance(v, (str, dict, list))))
    for col, key in enumerate(keys):
        sheet.write_string(row, col, labels.column_title(lang, key), formats["header"])
    row += 1
    for record in records:
        for col, key in enumerate(keys):
            value = record.get(key)
            if value is not None:
                value = shown(key, value)
                _write_any(sheet, row, col, value, formats, money=isinstance(value, Decimal))
        row += 1


def _plain(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
