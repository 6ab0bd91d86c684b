"""The workbook's table rows, written in one pass per column, are the cells xlsxwriter's own calls write.

The reference sheet is written cell by cell with xlsxwriter's public
``write_string`` / ``write_number`` / ``write_datetime``, by the cell rules of
``fundtrail.reports.xlsx``; both sheets are read back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal

import openpyxl
import polars as pl
import xlsxwriter

from fundtrail.reports import xlsx

TEXTS = [
    "plain",
    "张三 收款",
    "=SUM(A1:A2)",
    "+86 138",
    "-5",
    "@home",
    "\tindented",
    " leading space",
    "trailing space ",
    "a & b < c > d",
    'quote " inside',
    "control \x01 char",
    "\x0bvertical tab first",
    "literal _x0041_ escape",
    "line\nbreak",
    "carriage\rreturn\r\n",
    "ends with newline\n",
    "emoji 😀 here",
    "x" * 40_000,
    "😀" * 20_000,
    None,
    "",
]
MONEY = [
    Decimal("1.23"), Decimal("-0.01"), Decimal("12345678901234.56"), Decimal("9999999999999.99"), None,
    Decimal("0.10"), Decimal("-9999999999999.99"), Decimal("-10000000000000.00"), Decimal("4503599627370.49"),
]
# Beside 2**53 a double no longer holds every integer: write_number's float() rounds 2**53 + 1.
COUNTS = [0, -7, 12_345_678_901_234_567, None, 42, 2**53 - 1, 2**53 + 1, -(2**53) - 1]
TIMES = [
    dt.datetime(2023, 6, 1, 14, 3, 22), dt.datetime(1900, 2, 28, 23, 59, 59, 500_000), None,
    dt.datetime(1900, 1, 1, 6, 0), dt.datetime(1900, 3, 1, 0, 0, 0, 1), dt.datetime(2019, 12, 31, 23, 59, 59, 999_999),
]
DAYS = [dt.date(2023, 6, 1), None, dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1)]


def _frame() -> pl.DataFrame:
    height = len(TEXTS)

    def padded(values: list) -> list:
        return (values * height)[:height]

    return pl.DataFrame(
        {
            "text": TEXTS,
            "money": pl.Series(padded(MONEY), dtype=pl.Decimal(18, 2)),
            "count": pl.Series(padded(COUNTS), dtype=pl.Int64),
            "ts": pl.Series(padded(TIMES), dtype=pl.Datetime("us")),
            "day": pl.Series(padded(DAYS), dtype=pl.Date),
            "empty": pl.Series([None] * height, dtype=pl.String),
        }
    ).vstack(pl.DataFrame({"text": [None], "money": [None], "count": [None], "ts": [None], "day": [None], "empty": [None]},
                          schema={"text": pl.String, "money": pl.Decimal(18, 2), "count": pl.Int64,
                                  "ts": pl.Datetime("us"), "day": pl.Date, "empty": pl.String}))


def _reference_rows(sheet, frame: pl.DataFrame, formats: dict) -> None:
    for row, values in enumerate(frame.iter_rows(), start=1):
        for col, (dtype, value) in enumerate(zip(frame.dtypes, values, strict=True)):
            if value is None:
                continue
            if isinstance(dtype, pl.Decimal):
                if xlsx.exact_as_number(value):
                    sheet.write_number(row, col, float(value), formats["money"])
                else:
                    sheet.write_string(row, col, str(value), formats["money_text"])
            elif dtype.is_integer():
                sheet.write_number(row, col, value)
            elif isinstance(dtype, pl.Datetime):
                sheet.write_datetime(row, col, value, formats["datetime"])
            elif dtype == pl.Date:
                sheet.write_datetime(row, col, value, formats["date"])
            elif value.startswith(xlsx.FORMULA_TRIGGERS):
                sheet.write_string(row, col, value, formats["quoted"])
            else:
                sheet.write_string(row, col, value)


def _cells(sheet) -> list[tuple]:
    return [
        (c.coordinate, c.value, c.data_type, c.number_format, c.quotePrefix, c.alignment.horizontal)
        for row in sheet.iter_rows()
        for c in row
    ]


def test_table_rows_are_the_cells_xlsxwriter_writes(tmp_path):
    frame = _frame()
    path = tmp_path / "cells.xlsx"
    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "constant_memory": True},
    )
    formats = xlsx._formats(workbook)
    for name, write in (("reference", _reference_rows), ("fast", xlsx._write_data_rows)):
        sheet = workbook.add_worksheet(name)
        for col, column in enumerate(frame.columns):
            sheet.write_string(0, col, column, formats["header"])
        write(sheet, frame, formats)
    workbook.close()

    book = openpyxl.load_workbook(path)
    reference, fast = book["reference"], book["fast"]
    assert fast.dimensions == reference.dimensions == f"A1:F{len(TEXTS) + 1}"  # the last row, all empty, is none
    assert _cells(fast) == _cells(reference)
    # Spot checks worked out by hand: a formula-looking text is quoted text; the big amount is exact text.
    assert fast["A4"].value == "=SUM(A1:A2)" and fast["A4"].quotePrefix and fast["A4"].data_type == "s"
    assert fast["B4"].value == "12345678901234.56" and fast["B4"].alignment.horizontal == "right"
    assert fast["B2"].value == 1.23 and fast["B2"].number_format == "#,##0.00"
    assert fast["A13"].value == "control _x0001_ char"  # Excel's escape, which openpyxl does not decode
    assert len(fast["A20"].value) == 32_767
    # And byte for byte: the same <sheetData> XML (the reference sheet is the first, the fast one the second).
    with zipfile.ZipFile(path) as book_zip:
        reference_xml, fast_xml = (
            re.search(r"<sheetData>.*</sheetData>", book_zip.read(f"xl/worksheets/sheet{n}.xml").decode(), re.S).group()
            for n in (1, 2)
        )
    assert fast_xml == reference_xml


def test_a_text_that_looks_like_rich_text_markup_stays_the_text(tmp_path):
    path = tmp_path / "rich.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    formats = xlsx._formats(workbook)
    sheet = workbook.add_worksheet("t")
    sheet.write_string(0, 0, "memo", formats["header"])
    xlsx._write_data_rows(sheet, pl.DataFrame({"memo": ["<r><t>x</t></r>"]}), formats)
    workbook.close()
    assert openpyxl.load_workbook(path)["t"]["A2"].value == "<r><t>x</t></r>"


def test_the_workbook_copies_its_rows_into_the_sheet_as_xlsxwriter_does(tmp_path):
    """xlsx._Workbook's sheets copy their rows' file as bytes; xlsxwriter's own copy goes through text."""
    frame = _frame()
    sheets = []
    for name, workbook_class in (("own", xlsxwriter.Workbook), ("bytes", xlsx._Workbook)):
        path = tmp_path / f"{name}.xlsx"
        workbook = workbook_class(str(path), {"constant_memory": True, "strings_to_formulas": False})
        formats = xlsx._formats(workbook)
        sheet = workbook.add_worksheet("t")
        sheet.write_string(0, 0, "text", formats["header"])
        xlsx._write_data_rows(sheet, frame, formats)
        workbook.add_worksheet("empty")
        workbook.close()
        with zipfile.ZipFile(path) as book_zip:
            sheets.append([book_zip.read(f"xl/worksheets/sheet{n}.xml") for n in (1, 2)])
    assert b"carriage_x000D_return_x000D_\n" in sheets[0][0]
    assert sheets[1] == sheets[0]
