"""ingest: one evidence file → landing + quarantine Parquet + control totals.

Every expected value below is worked out by hand from the file text written
in the test (Asia/Shanghai is UTC+8, Asia/Vientiane UTC+7).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundtrail.config import CaseConfig, parse_case
from fundtrail.errors import InputSchemaError
from fundtrail.ingest import (
    QUARANTINE_SCHEMA,
    FileStats,
    check_file,
    file_sha256,
    landing_schema,
    load_file,
    read_header,
)
from fundtrail.ingest import readers
from fundtrail.ingest.cells import parse_dates, parse_money, parse_timestamps

UTC = dt.timezone.utc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def make_case(case_dir: Path, files: dict[str, str | bytes], sources: list[dict[str, Any]], **case: Any) -> CaseConfig:
    for name, content in files.items():
        path = case_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return parse_case({"case": {"id": "t", **case}, "source": sources}, case_dir)


def load(case: CaseConfig, work: Path, source_no: int = 1) -> tuple[FileStats, pl.DataFrame, pl.DataFrame]:
    source = case.sources[source_no - 1]
    stats = load_file(case, source, source.files[0], work)
    assert stats.landing_path is not None and stats.quarantine_path is not None
    return stats, pl.read_parquet(stats.landing_path), pl.read_parquet(stats.quarantine_path)


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("¥1,234.50", "1234.50"),
        ("￥1,234.50", "1234.50"),
        ("1234.50元", "1234.50"),
        ("-80.00", "-80.00"),
        ("+80.00", "80.00"),
        ("RMB 1,000", "1000.00"),
        ("CNY1000.5", "1000.50"),
        ("1 234.50", "1234.50"),
        ("1,234,567.89", "1234567.89"),
        (".5", "0.50"),
        ("7", "7.00"),
        ("1.230", "1.23"),  # a trailing zero rounds nothing
        ("-¥3.10", "-3.10"),
        ("1.234", None),  # a third decimal is never rounded away
        ("12.3456", None),
        ("abc", None),
        ("1e3", None),
        ("１２", "12.00"),  # full-width digits: NFKC (issue 9)
        ("12.3.4", None),
        ("1-2", None),
        ("12345678901234567", None),  # beyond DECIMAL(18,2)
        ("USD 5", None),
    ],
)
def test_money_truth_table(text: str, expected: str | None) -> None:
    value = parse_money(pl.Series([text])).item()
    assert value == (None if expected is None else Decimal(expected))


def test_spreadsheet_float_noise_is_cents_but_a_real_third_decimal_is_not() -> None:
    noisy = pl.Series(["9099250.470000001", "8468852.529999999", "1234.567"])
    assert parse_money(noisy, from_spreadsheet=True).to_list() == [
        Decimal("9099250.47"),
        Decimal("8468852.53"),
        None,
    ]
    assert parse_money(noisy).to_list() == [None, None, None]


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2),
    grouped=st.booleans(),
    prefix=st.sampled_from(["", "¥", "￥", "RMB", "CNY ", " "]),
    suffix=st.sampled_from(["", "元", " 元", "RMB", " "]),
    plus=st.booleans(),
)
def test_money_round_trips_through_marks_and_separators(
    amount: Decimal, grouped: bool, prefix: str, suffix: str, plus: bool
) -> None:
    digits = f"{abs(amount):,.2f}" if grouped else f"{abs(amount):.2f}"
    sign = "-" if amount < 0 else ("+" if plus else "")
    text = f"{sign}{prefix}{digits}{suffix}"
    assert parse_money(pl.Series([text])).item() == amount


# ---------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-06-01 14:03:22", utc(2023, 6, 1, 6, 3, 22)),
        ("2023/6/1 14:03", utc(2023, 6, 1, 6, 3)),
        ("2023-06-01T14:03:22", utc(2023, 6, 1, 6, 3, 22)),
        ("2023-06-01T14:03:22+08:00", utc(2023, 6, 1, 6, 3, 22)),
        ("2023-06-01T14:03:22+07:00", utc(2023, 6, 1, 7, 3, 22)),
        ("2023-06-01T14:03:22Z", utc(2023, 6, 1, 14, 3, 22)),
        ("2023-06-01 14:03:22-0130", utc(2023, 6, 1, 15, 33, 22)),
        ("2023/6/1", utc(2023, 5, 31, 16)),
        ("2023-06-01 14:03:22.25", utc(2023, 6, 1, 6, 3, 22, 250000)),
        ("20230601 140322", utc(2023, 6, 1, 6, 3, 22)),
        ("20230601", utc(2023, 5, 31, 16)),
        ("2023-02-30 10:00:00", None),
        ("2023-06-01 25:00", None),
        ("2023-13-01", None),
        ("14:03:22", None),
        ("yesterday", None),
    ],
)
def test_timestamp_truth_table_in_shanghai(text: str, expected: dt.datetime | None) -> None:
    assert parse_timestamps(pl.Series([text]), "Asia/Shanghai").item() == expected


def test_local_times_around_a_dst_change() -> None:
    # New York falls back at 02:00 EDT on 2023-11-05 (01:30 happens twice) and
    # springs forward at 02:00 EST on 2023-03-12 (02:30 never happens).
    times = pl.Series(["2023-11-05 01:30:00", "2023-03-12 02:30:00"])
    assert parse_timestamps(times, "America/New_York").to_list() == [utc(2023, 11, 5, 5, 30), None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-06-01", dt.date(2023, 6, 1)),
        ("2023/6/1", dt.date(2023, 6, 1)),
        ("2023-06-01 00:00:00", dt.date(2023, 6, 1)),
        ("20230601", dt.date(2023, 6, 1)),
        ("2023-06-31", None),
        ("2023-06-01 14:00:00", None),
        ("June 1", None),
    ],
)
def test_date_truth_table(text: str, expected: dt.date | None) -> None:
    assert parse_dates(pl.Series([text])).item() == expected


def test_vientiane_deposit_sheet_and_shanghai_statement_meet_in_utc(tmp_path: Path) -> None:
    case = make_case(
        tmp_path / "case",
        {
            "sheet.csv": "ts,amount,member_code\n2023-06-01 13:03:22,500,A7\n",
            "bank.csv": "account_no,ts,amount\n6222,2023-06-01 14:03:22,500\n",
        },
        [
            {"kind": "deposit_sheet", "path": "sheet.csv", "timezone": "Asia/Vientiane"},
            {"kind": "bank_statement", "path": "bank.csv"},
        ],
        timezone="Asia/Shanghai",
    )
    _, deposits, _ = load(case, tmp_path / "work", 1)
    _, postings, _ = load(case, tmp_path / "work", 2)
    assert deposits["ts"].to_list() == [utc(2023, 6, 1, 6, 3, 22)]
    assert postings["ts"].to_list() == [utc(2023, 6, 1, 6, 3, 22)]
    assert deposits.schema["ts"] == pl.Datetime("us", "UTC")


# ---------------------------------------------------------------- quarantine


BANK_ROWS = """account_no,ts,amount,direction,currency
6222,2023-06-01 10:00:00,100.00,in,CNY
,2023-06-01 10:00:00,100.00,in,CNY
6222,2023-13-01 10:00,100.00,in,CNY
6222,2023-06-01 10:00:00,12.345,in,CNY
6222,2023-06-01 10:00:00,100.00,,CNY
6222,2023-06-01 10:00:00,100.00,sideways,CNY
6222,2023-06-01 10:00:00,-100.00,in,CNY
6222,2023-06-01 10:00:00,100.00,out,USD
6222,2023-06-01 10:00:00,-5.00,,RMB
6222,bad,abc,in,USD
"""


def test_each_bank_statement_reason_and_the_control_totals(tmp_path: Path) -> None:
    case = make_case(tmp_path / "case", {"b.csv": BANK_ROWS}, [{"kind": "bank_statement", "path": "b.csv"}])
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert quarantine.rows() == [
        ("b.csv", 3, "account_no", None, "missing required value"),
        ("b.csv", 4, "ts", "2023-13-01 10:00", "bad time"),
        ("b.csv", 5, "amount", "12.345", "bad amount"),
        ("b.csv", 6, "amount", "100.00", "unsigned amount without direction"),
        ("b.csv", 7, "direction", "sideways", "unknown direction value"),
        ("b.csv", 8, "direction", "in", "direction contradicts sign"),
        ("b.csv", 9, "currency", "USD", "currency not case currency (USD)"),
        # several columns fail: the first in canonical order (ts before amount) is named
        ("b.csv", 11, "ts", "bad", "bad time"),
    ]
    assert landing["source_row"].to_list() == [2, 10]
    assert landing["amount"].to_list() == [Decimal("100.00"), Decimal("-5.00")]
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (10, 2, 8)
    assert stats.amount_in == Decimal("100.00")
    assert stats.amount_out == Decimal("5.00")
    # rows 3, 4, 6, 7, 8, 9 hold a readable 100.00; 12.345 and abc count nothing
    assert stats.amount_quarantined == Decimal("600.00")
    assert quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)


def test_deposit_and_ledger_amounts_must_be_positive(tmp_path: Path) -> None:
    case = make_case(
        tmp_path / "case",
        {
            "d.csv": "ts,amount,member_code\n2023-06-01 10:00,0.00,A1\n2023-06-01 10:00,-3,A1\n2023-06-01 10:00,5,A1\n",
            "l.csv": "ts,payer,payee,amount\n2023-06-01 10:00,P,Q,-1.00\n",
        },
        [{"kind": "deposit_sheet", "path": "d.csv"}, {"kind": "payment_ledger", "path": "l.csv"}],
    )
    stats, landing, quarantine = load(case, tmp_path / "work", 1)
    assert quarantine.select("source_row", "column", "value", "reason").rows() == [
        (2, "amount", "0.00", "amount not positive"),
        (3, "amount", "-3", "amount not positive"),
    ]
    assert landing["amount"].to_list() == [Decimal("5.00")]
    assert (stats.amount_in, stats.amount_out, stats.amount_quarantined) == (
        Decimal("5.00"),
        Decimal("0.00"),
        Decimal("3.00"),
    )
    _, _, ledger_quarantine = load(case, tmp_path / "work", 2)
    assert ledger_quarantine["reason"].to_list() == ["amount not positive"]


def test_roster_bad_date_and_missing_value(tmp_path: Path) -> None:
    roster = (
        "defendant_id,name,role,unit_id,member_code,valid_from,valid_to\n"
        "D1,张三,staff,G1,A1,2023/6/1,\n"
        "D2,李四,staff,G1,A2,2023-06-31,\n"
        "D3,王五,staff,G1,A3,2023-06-01,2023-6-x\n"
        "D4,赵六,,G1,A4,2023-06-01,\n"
    )
    case = make_case(tmp_path / "case", {"r.csv": roster}, [{"kind": "roster", "path": "r.csv"}])
    _, landing, quarantine = load(case, tmp_path / "work")
    assert landing.select("defendant_id", "valid_from", "valid_to").rows() == [("D1", dt.date(2023, 6, 1), None)]
    assert quarantine.select("source_row", "column", "value", "reason").rows() == [
        (3, "valid_from", "2023-06-31", "bad date"),
        (4, "valid_to", "2023-6-x", "bad date"),
        (5, "role", None, "missing required value"),
    ]


def test_direction_words_without_mapping_and_with_a_values_table(tmp_path: Path) -> None:
    rows = ["进", "出", "收入", "支出", "贷", "借", "转入", "转出", "C", "dr", "+", "-", "入账"]
    text = "account_no,ts,amount,direction\n" + "".join(f"A,2023-06-01,1.00,{w}\n" for w in rows)
    case = make_case(
        tmp_path / "case",
        {"b.csv": text},
        [{"kind": "bank_statement", "path": "b.csv", "values": {"direction": {"入账": "in"}}}],
    )
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert landing["amount"].to_list() == [Decimal(s) for s in ["1", "-1"] * 6 + ["1"]]
    assert quarantine.height == 0
    assert (stats.amount_in, stats.amount_out) == (Decimal("7.00"), Decimal("6.00"))


def test_non_cny_case_currency_needs_exact_equality(tmp_path: Path) -> None:
    text = "account_no,ts,amount,currency\nA,2023-06-01,1,USD\nA,2023-06-01,2,usd\nA,2023-06-01,3,\n"
    case = make_case(tmp_path / "case", {"b.csv": text}, [{"kind": "bank_statement", "path": "b.csv"}], currency="USD")
    _, landing, quarantine = load(case, tmp_path / "work")
    assert landing["source_row"].to_list() == [2, 4]
    assert quarantine.select("source_row", "reason").rows() == [(3, "currency not case currency (usd)")]


def test_placeholders_in_optional_cells_are_null_and_counted(tmp_path: Path) -> None:
    header = "account_no,ts,amount,balance,counterparty_account,counterparty_name,txn_ref,memo\n"
    rows = (
        "A,2023-06-01,1,-,--,---------,/,null\n"
        "A,2023-06-01,2,NULL,N/A,n/a,－－,ok\n"
        "--,2023-06-01,3,,,,,\n"  # a placeholder in a required cell is a missing value
    )
    case = make_case(tmp_path / "case", {"b.csv": header + rows}, [{"kind": "bank_statement", "path": "b.csv"}])
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert stats.placeholder_cells == 9
    assert landing.select("balance", "counterparty_account", "counterparty_name", "txn_ref", "memo").rows() == [
        (None, None, None, None, None),
        (None, None, None, None, "ok"),
    ]
    assert quarantine.select("source_row", "column", "value", "reason").rows() == [
        (4, "account_no", "--", "missing required value")
    ]


# ---------------------------------------------------------------- rows and layout


def test_source_row_counts_preamble_header_blank_and_multiline_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Well-formed quoting must be numbered by the polars path, not the row-wise fallback.
    def no_fallback(copy: readers.Utf8Copy, first_line: int) -> pl.DataFrame:
        raise AssertionError("csv-module fallback used for a well-formed file")

    monkeypatch.setattr(readers, "_csv_rows_by_module", no_fallback)
    text = (
        "某银行交易明细\n"  # 1
        "导出日期：2023-07-01\n"  # 2
        "account_no,ts,amount,memo\n"  # 3
        "A1,2023-06-01 10:00:00,1.00,plain\n"  # 4
        "\n"  # 5
        'A1,2023-06-01 10:01:00,2.00,"two\n'  # 6
        'lines"\n'  # 7
        ",,,\n"  # 8
        "A1,2023-06-01 10:02:00,3.00,after\n"  # 9
    )
    case = make_case(tmp_path / "case", {"b.csv": text}, [{"kind": "bank_statement", "path": "b.csv", "skip_rows": 2}])
    stats, landing, _ = load(case, tmp_path / "work")
    assert landing["source_row"].to_list() == [4, 6, 9]
    assert landing["memo"].to_list() == ["plain", "two\nlines", "after"]
    assert (stats.rows_read, stats.blank_rows) == (3, 2)


def test_source_row_with_crlf_blank_lines_and_no_quotes(tmp_path: Path) -> None:
    text = "title\r\naccount_no,ts,amount\r\n\r\nA,2023-06-01,1\r\n\r\n\r\nA,2023-06-01,2\r\n"
    case = make_case(tmp_path / "case", {"b.csv": text}, [{"kind": "bank_statement", "path": "b.csv", "skip_rows": 1}])
    _, landing, _ = load(case, tmp_path / "work")
    assert landing["source_row"].to_list() == [4, 7]


def test_stray_quote_inside_a_field_still_loads_with_right_rows(tmp_path: Path) -> None:
    text = 'account_no,ts,amount,memo\nA,2023-06-01,1,5"寸屏\n\nA,2023-06-01,2,"quoted, with comma"\n'
    case = make_case(tmp_path / "case", {"b.csv": text}, [{"kind": "bank_statement", "path": "b.csv"}])
    _, landing, _ = load(case, tmp_path / "work")
    assert landing.select("source_row", "memo").rows() == [(2, '5"寸屏'), (4, "quoted, with comma")]


def test_gbk_file_with_mapped_headers_padding_and_a_gb18030_only_character(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny decode chunks split multi-byte characters and the preamble across chunks.
    monkeypatch.setattr(readers, "DECODE_CHUNK_BYTES", 5)
    text = (
        "交易明细\n"
        " 账号\t,交易时间,\u3000交易金额,借贷,对方户名\n"
        "6222021234567890123\t,2023-06-01 14:03:22,\"1,234.50\",贷,刘䶮\n"
        "6222021234567890123\t,2023/6/1 14:05,80.00,借,张三\n"
    )
    case = make_case(
        tmp_path / "case",
        {"bank/gbk.csv": text.encode("gb18030")},
        [
            {
                "kind": "bank_statement",
                "path": "bank/*.csv",
                "encoding": "gbk",
                "skip_rows": 1,
                "columns": {
                    "account_no": "账号",
                    "ts": "交易时间",
                    "amount": "交易金额",
                    "direction": "借贷",
                    "counterparty_name": "对方户名",
                },
            }
        ],
    )
    source = case.sources[0]
    assert read_header(case, source, "bank/gbk.csv") == ["账号", "交易时间", "交易金额", "借贷", "对方户名"]
    stats, landing, _ = load(case, tmp_path / "work")
    assert landing.select("source", "source_row", "account_no", "ts", "amount", "counterparty_name").rows() == [
        ("bank/gbk.csv", 3, "6222021234567890123", utc(2023, 6, 1, 6, 3, 22), Decimal("1234.50"), "刘䶮"),
        ("bank/gbk.csv", 4, "6222021234567890123", utc(2023, 6, 1, 6, 5), Decimal("-80.00"), "张三"),
    ]
    assert stats.sha256 == file_sha256(case.case_dir / "bank/gbk.csv")
    assert len(stats.sha256) == 64


def test_undecodable_bytes_name_the_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "DECODE_CHUNK_BYTES", 8)
    data = "account_no,ts,amount\n".encode() + "A,2023-06-01,1\n".encode() + "张三\n".encode("gb18030")
    case = make_case(tmp_path / "case", {"b.csv": data}, [{"kind": "bank_statement", "path": "b.csv"}])
    with pytest.raises(InputSchemaError, match=r"b\.csv: line 3: .* not valid utf-8"):
        load(case, tmp_path / "work")


def write_workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(path)
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "this sheet is not the statement")
    sheet = book.add_worksheet("流水")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    # row 1 stays empty; row 2 is a title; row 3 the header
    sheet.write_string(1, 0, "账户交易明细")
    sheet.write_row(2, 0, ["账号", "交易时间", "金额", "余额"])
    sheet.write_string(3, 0, "6222021234567890123")
    sheet.write_datetime(3, 1, dt.datetime(2023, 6, 1, 14, 3, 22), stamp)
    sheet.write_number(3, 2, -1234.5)
    sheet.write_number(3, 3, 9099250.47)  # calamine prints this float as 9099250.470000001
    # row 5 stays empty
    sheet.write_string(5, 0, "6222021234567890123")
    sheet.write_string(5, 1, "2023/6/1")
    sheet.write_number(5, 2, 80)
    sheet.write_string(6, 0, "6222021234567890123")
    sheet.write_string(6, 1, "2023-06-01 15:00")
    sheet.write_number(6, 2, 1.005)
    book.close()


def test_xlsx_sheet_rows_datetime_cells_and_long_account_numbers(tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    case_dir.mkdir()
    write_workbook(case_dir / "s.xlsx")
    case = make_case(
        case_dir,
        {},
        [
            {
                "kind": "bank_statement",
                "path": "s.xlsx",
                "sheet": "流水",
                "skip_rows": 2,
                "columns": {"account_no": "账号", "ts": "交易时间", "amount": "金额", "balance": "余额"},
            }
        ],
    )
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert landing.select("source_row", "account_no", "ts", "amount", "balance").rows() == [
        (4, "6222021234567890123", utc(2023, 6, 1, 6, 3, 22), Decimal("-1234.50"), Decimal("9099250.47")),
        (6, "6222021234567890123", utc(2023, 5, 31, 16), Decimal("80.00"), None),
    ]
    assert quarantine.select("source_row", "column", "value", "reason").rows() == [
        (7, "amount", "1.005", "bad amount")
    ]
    assert (stats.rows_read, stats.blank_rows) == (3, 1)


def test_unknown_sheet_names_the_sheets_found(tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    case_dir.mkdir()
    write_workbook(case_dir / "s.xlsx")
    case = make_case(case_dir, {}, [{"kind": "bank_statement", "path": "s.xlsx", "sheet": "Sheet9"}])
    with pytest.raises(InputSchemaError, match=r"s\.xlsx: no sheet 'Sheet9'; sheets found: 说明, 流水"):
        load(case, tmp_path / "work")


def test_account_no_constant_fills_a_statement_without_the_column(tmp_path: Path) -> None:
    case = make_case(
        tmp_path / "case",
        {"b.csv": "ts,amount\n2023-06-01,1\n2023-06-02,-2\n"},
        [{"kind": "bank_statement", "path": "b.csv", "account_no": "6222021234567890123"}],
    )
    _, landing, _ = load(case, tmp_path / "work")
    assert landing["account_no"].to_list() == ["6222021234567890123", "6222021234567890123"]


def test_missing_required_column_names_file_column_and_headers(tmp_path: Path) -> None:
    case = make_case(
        tmp_path / "case",
        {"a.csv": "账号,金额\n6222,1\n"},
        [{"kind": "bank_statement", "path": "a.csv", "columns": {"account_no": "账号", "amount": "金额"}}],
    )
    pattern = r"a\.csv: required column 'ts' of bank_statement is missing.*headers found: '账号', '金额'"
    with pytest.raises(InputSchemaError, match=pattern):
        load(case, tmp_path / "work")
    with pytest.raises(InputSchemaError, match=pattern):
        check_file(case, case.sources[0], "a.csv")


def test_mapped_header_absent_from_file_is_an_error(tmp_path: Path) -> None:
    case = make_case(
        tmp_path / "case",
        {"a.csv": "account_no,ts,amount\n6222,2023-06-01,1\n"},
        [{"kind": "bank_statement", "path": "a.csv", "columns": {"memo": "摘要"}}],
    )
    with pytest.raises(InputSchemaError, match=r"a\.csv: column 'memo' is mapped to header '摘要'.*no such header"):
        load(case, tmp_path / "work")


def test_victims_total_reported_loss_in_amount_in(tmp_path: Path) -> None:
    text = "victim_id,name,account_no,reported_loss\nV1,甲,6222,1000\nV2,乙,6223,\nV3,丙,6224,abc\n"
    case = make_case(tmp_path / "case", {"v.csv": text}, [{"kind": "victims", "path": "v.csv"}])
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert landing["reported_loss"].to_list() == [Decimal("1000.00"), None]
    assert quarantine.select("source_row", "reason").rows() == [(4, "bad amount")]
    assert (stats.amount_in, stats.amount_out, stats.amount_quarantined) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_a_header_only_file_writes_empty_typed_tables(tmp_path: Path) -> None:
    case = make_case(tmp_path / "case", {"b.csv": "account_no,ts,amount\n"}, [{"kind": "bank_statement", "path": "b.csv"}])
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert (stats.rows_read, landing.height, quarantine.height) == (0, 0, 0)
    assert landing.schema == pl.Schema(landing_schema("bank_statement"))
    assert quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert stats.landing_path == tmp_path / "work" / "landing" / "bank_statement" / "001-00001.parquet"


# ---------------------------------------------------------------- conservation

GOOD_LINES = [
    "A,2023-06-01 10:00:00,1.00,in,CNY",
    'A,2023/6/1 10:00,"1,000.00",out,',
    "A,2023-06-01,-2.50,,RMB",
    'A,2023-06-01T10:00:00+08:00,3,收,人民币',
]
BAD_LINES = [
    ",2023-06-01,1,in,CNY",
    "A,2023-06-01,1,,CNY",
    "A,nope,1,in,CNY",
    "A,2023-06-01,1.234,in,CNY",
    "A,2023-06-01,1,in,EUR",
    "A,2023-06-01,-1,in,CNY",
    "A,2023-06-01,1,??,CNY",
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 6)), max_size=40))
def test_every_row_read_is_loaded_or_quarantined(picks: list[tuple[bool, int]]) -> None:
    lines = [GOOD_LINES[i % len(GOOD_LINES)] if good else BAD_LINES[i] for good, i in picks]
    text = "account_no,ts,amount,direction,currency\n" + "".join(line + "\n" for line in lines)
    with tempfile.TemporaryDirectory() as tmp:
        case = make_case(Path(tmp) / "case", {"b.csv": text}, [{"kind": "bank_statement", "path": "b.csv"}])
        stats, landing, quarantine = load(case, Path(tmp) / "work")
    good = sum(1 for g, _ in picks if g)
    assert stats.rows_read == len(lines) == stats.rows_loaded + stats.rows_quarantined
    assert (stats.rows_loaded, stats.rows_quarantined) == (good, len(lines) - good)
    assert sorted(landing["source_row"].to_list() + quarantine["source_row"].to_list()) == list(
        range(2, len(lines) + 2)
    )


def test_utf8_bom_and_canonical_headers_in_any_case_need_no_mapping(tmp_path: Path) -> None:
    data = "\ufeffAccount_No,TS,Amount\n6222,2023-06-01,1\n".encode("utf-8")
    case = make_case(tmp_path / "case", {"b.csv": data}, [{"kind": "bank_statement", "path": "b.csv"}])
    _, landing, _ = load(case, tmp_path / "work")
    assert landing.select("account_no", "amount").rows() == [("6222", Decimal("1.00"))]


def test_a_header_that_appears_twice_is_ambiguous(tmp_path: Path) -> None:
    case = make_case(
        tmp_path / "case",
        {"b.csv": "account_no,ts,amount,amount\n6222,2023-06-01,1,2\n"},
        [{"kind": "bank_statement", "path": "b.csv"}],
    )
    with pytest.raises(InputSchemaError, match=r"b\.csv: column 'amount' is ambiguous: header 'amount' appears 2 times"):
        load(case, tmp_path / "work")


# ---------------------------------------------------------------- ragged rows


RAGGED = (
    "account_no,ts,amount,memo\n"
    "6222,2024-01-02 10:00:00,500.00,工资\n"
    # an unquoted 1,000.00 splits into two fields: amount 1 and memo 000.00 would load, 货款 is beyond the header
    "6222,2024-01-03 10:00:00,1,000.00,货款\n"
    # a trailing comma (as JD Pay writes on every data line): the field beyond the header is empty
    "6222,2024-01-04 10:00:00,-20.00,,\n"
    "6222,2024-01-05 10:00:00,7.00,a,b, c\n"
)


@pytest.mark.parametrize("quoted", [False, True], ids=["unquoted", "quoted"])
def test_a_row_with_text_beyond_its_header_is_quarantined_as_ragged(tmp_path: Path, quoted: bool) -> None:
    text = RAGGED.replace("工资", '"工资, 奖金"') if quoted else RAGGED  # quotes take the csv module's path
    case = make_case(tmp_path / "case", {"b.csv": text}, [{"kind": "bank_statement", "path": "b.csv"}])
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert landing.select("source_row", "amount", "memo").rows() == [
        (2, Decimal("500.00"), "工资, 奖金" if quoted else "工资"),
        (4, Decimal("-20.00"), None),
    ]
    assert quarantine.rows() == [
        ("b.csv", 3, "row", "货款", "ragged row"),
        ("b.csv", 5, "row", "b, c", "ragged row"),
    ]
    # 4 read = 2 loaded + 2 quarantined; the money loaded is 500.00 in and 20.00 out
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (4, 2, 2)
    assert (stats.amount_in, stats.amount_out) == (Decimal("500.00"), Decimal("20.00"))
    # what the quarantined rows' amount cells read as: 1 (row 3, shifted) + 7.00 (row 5)
    assert stats.amount_quarantined == Decimal("8.00")


def test_trailing_empty_fields_alone_leave_every_row_loaded(tmp_path: Path) -> None:
    text = "account_no,ts,amount\n6222,2024-01-02 10:00:00,5.00,\n6222,2024-01-03 10:00:00,6.00, ,\n"
    case = make_case(tmp_path / "case", {"b.csv": text}, [{"kind": "bank_statement", "path": "b.csv"}])
    stats, landing, quarantine = load(case, tmp_path / "work")
    assert (stats.rows_loaded, quarantine.height) == (2, 0)
    assert landing["amount"].to_list() == [Decimal("5.00"), Decimal("6.00")]


def test_the_time_and_amount_cells_are_kept_as_written_beside_their_values(tmp_path: Path) -> None:
    text = "account_no,ts,amount\n6222, 2024/3/10 23:30 ,\"1,000.00元\"\n6222,2024-03-11,-5\n"
    case = make_case(
        tmp_path / "case", {"b.csv": text},
        [{"kind": "bank_statement", "path": "b.csv", "timezone": "Asia/Vientiane"}],
    )
    _, landing, _ = load(case, tmp_path / "work")
    # Vientiane is UTC+7: 23:30 there is 16:30 UTC; the text is the trimmed cell
    assert landing.select("ts", "ts_text", "amount", "amount_text").rows() == [
        (utc(2024, 3, 10, 16, 30), "2024/3/10 23:30", Decimal("1000.00"), "1,000.00元"),
        (utc(2024, 3, 10, 17, 0), "2024-03-11", Decimal("-5.00"), "-5"),
    ]


def test_read_and_hash_keeps_small_files_and_hashes_large_ones_whole(tmp_path: Path) -> None:
    from fundtrail.ingest.counts import read_and_hash, read_bytes

    (tmp_path / "abc.csv").write_bytes(b"abc")
    (tmp_path / "empty.csv").write_bytes(b"")
    # SHA-256 of "abc" and of nothing: the FIPS 180-2 test vector and the well-known empty digest.
    assert read_and_hash(tmp_path / "abc.csv", 3) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, b"abc"
    )
    assert read_and_hash(str(tmp_path / "abc.csv"), 2) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, None
    )
    assert read_and_hash(tmp_path / "empty.csv", 3) == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0, b""
    )
    with pytest.raises(FileNotFoundError):
        read_and_hash(tmp_path / "missing.csv", 3)
    assert (read_bytes(tmp_path / "abc.csv"), read_bytes(str(tmp_path / "empty.csv"))) == (b"abc", b"")
