"""Issue 9 items 4 and 5 (amounts and times): no silent change of magnitude or moment.

Every expected value below is written out by hand. The property tests feed
random text to the parsers: a cell either fails (the loader quarantines a
present cell whose value is null, with a reason) or its value re-renders to
exactly the digits the cell holds.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundtrail.config import parse_case
from fundtrail.ingest import load_file
from fundtrail.ingest.cells import (
    COMPACT_TS,
    TS_PATTERN,
    money_text,
    parse_money,
    parse_timestamps,
    plain_wall_time,
    timestamp_parts,
    wall_time,
)

UTC = timezone.utc


def money(text: str) -> Decimal | None:
    return parse_money(pl.Series([text], dtype=pl.String)).item()


# ---------------------------------------------------------------- money: accepted forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234,567.89", "1234567.89"),
        ("1,234", "1234.00"),
        ("12,345.6", "12345.60"),
        ("1 234 567.00", "1234567.00"),
        ("131.77(已退款89.84)", "131.77"),  # gross; the refund is a row of its own
        ("131.77（已全额退款）", "131.77"),
        ("100.00(CN)", "100.00"),
        ("100.00 (CNY)", "100.00"),
        ("(1,234.00)", "-1234.00"),  # accounting negative
        ("（500）", "-500.00"),
        ("１２３，４５６．７８", "123456.78"),  # full-width digits and punctuation (NFKC)
        ("－５０", "-50.00"),
        ("9999999999999999.99", "9999999999999999.99"),  # the largest DECIMAL(18,2)
        ("-9999999999999999.99", "-9999999999999999.99"),
    ],
)
def test_accepted_amount_forms(text: str, expected: str) -> None:
    assert money(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "12,34",  # main read these three as 1234.00, 1234.00 and 1.20
        "1,2,3,4",
        "1.200,00",
        "1,23,456.00",  # Indian grouping: not groups of three
        ",123",
        "123,",
        "1,234.567",
        "12 34",
        "100.00(USD)",  # another currency is not dropped silently
        "(-5)",
        "10000000000000000",  # 17 whole digits: beyond DECIMAL(18,2)
        "99999999999999999.99",
    ],
)
def test_rejected_amount_forms(text: str) -> None:
    assert money(text) is None


def test_quarantine_reasons_bad_grouping_and_out_of_range(tmp_path: Path) -> None:
    (tmp_path / "sheet.csv").write_text(
        "ts,amount,member_code\n"
        "2023-06-01 10:00,\"12,34\",S1\n"
        "2023-06-01 10:00,10000000000000000.00,S1\n"
        "2023-06-01 10:00,6222000011110001,S1\n"
        "2023-06-01 10:00,6222000011110002,S1\n"
        "2023-06-01 10:00,\"1,234.50\",S1\n",
        encoding="utf-8",
    )
    case = parse_case(
        {"case": {"id": "x"}, "source": [{"kind": "deposit_sheet", "path": "sheet.csv"}]}, tmp_path
    )
    source = case.sources[0]
    stats = load_file(case, source, "sheet.csv", tmp_path / "work")
    quarantine = pl.read_parquet(stats.quarantine_path)
    assert quarantine.select("source_row", "reason").rows() == [(2, "bad amount"), (3, "amount out of range")]
    landing = pl.read_parquet(stats.landing_path)
    # Two 16-digit amounts (account numbers pasted as amounts) fit one by one, and their sum is exact.
    assert landing.get_column("amount").to_list() == [
        Decimal("6222000011110001.00"),
        Decimal("6222000011110002.00"),
        Decimal("1234.50"),
    ]
    assert stats.amount_in == Decimal("12444000022221237.50")


# ---------------------------------------------------------------- times


@pytest.mark.parametrize(
    "text",
    [
        "2023-06-01 23:59:60",  # main: 2023-06-02 00:00:00
        "2023-06-01 10:00:00+25:00",  # main: accepted, a day off
        "2023-06-01 10:00:00+08:61",
        "2023-06-01 10:00:00+1401",
        "20230601 235960",
    ],
)
def test_impossible_seconds_and_offsets_are_bad_times(text: str) -> None:
    assert parse_timestamps(pl.Series([text]), "Asia/Shanghai").item() is None


def test_extreme_real_offsets_still_parse() -> None:
    parsed = parse_timestamps(pl.Series(["2023-06-01 10:00:00+14:00", "2023-06-01 10:00:00-12:00"]), "UTC")
    assert parsed.to_list() == [datetime(2023, 5, 31, 20, 0, tzinfo=UTC), datetime(2023, 6, 1, 22, 0, tzinfo=UTC)]


# ---------------------------------------------------------------- property tests

MONEY_ALPHABET = "0123456789,.-+ ()¥元０１９，．（）"


def digits_of(text: str) -> tuple[str, str]:
    """(whole digits without leading zeros, decimals without trailing zeros) of a number written in text."""
    whole, _, decimals = re.sub(r"[^0-9.]", "", text).partition(".")
    return whole.lstrip("0"), decimals.rstrip("0")


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=MONEY_ALPHABET, max_size=24) | st.text(max_size=12))
def test_money_either_fails_or_keeps_every_digit(text: str) -> None:
    value = money(text)
    if value is None:
        return  # a present cell with no value is quarantined (bad amount / amount out of range)
    written = unicodedata.normalize("NFKC", text)
    written = re.sub(r"\s*\((?:[^()]*退款[^()]*|\s*(?i:cn|chn|cny|rmb)\s*)\)$", "", written)
    assert digits_of(written) == digits_of(str(abs(value)))
    unmarked = re.sub(r"(?i)[¥元]|rmb|cny", "", written).strip()
    negative = "-" in written or unmarked.startswith("(")  # a minus, or the accounting form (1.00)
    assert (value < 0) == (negative and value != 0)


@settings(max_examples=300, deadline=None)
@given(
    whole=st.integers(min_value=0, max_value=10**17),
    cents=st.integers(min_value=0, max_value=99),
    separator=st.sampled_from([",", " ", ""]),
)
def test_money_in_groups_of_three_keeps_its_value(whole: int, cents: int, separator: str) -> None:
    text = f"{whole:,}".replace(",", separator) + f".{cents:02d}"
    expected = Decimal(f"{whole}.{cents:02d}")
    assert money(text) == (expected if whole < 10**16 else None)


TIME_ALPHABET = "0123456789-/.: TZ+"


def written_fields(text: str) -> tuple[list[int], int | None] | None:
    """The numbers a time cell holds (year … second, microseconds) and its offset in minutes, by the cell's shape."""
    text = re.sub(COMPACT_TS[0], COMPACT_TS[1].replace("$", "\\"), text)
    text = re.sub(r"^([0-9]{4})([0-9]{2})([0-9]{2})$", r"\1-\2-\3", text)
    match = re.fullmatch(TS_PATTERN.strip("^$"), text)
    if match is None:
        return None
    groups = match.groups()
    fields = [int(g or 0) for g in groups[:6]]
    fields.append(int((groups[6] or "").ljust(6, "0")[:6] or 0))
    offset = groups[7]
    if offset is None:
        return fields, None
    if offset == "Z":
        return fields, 0
    digits = offset.replace(":", "")
    minutes = int(digits[1:3]) * 60 + int(digits[3:5] or 0)
    return fields, -minutes if digits[0] == "-" else minutes


@settings(max_examples=600, deadline=None)
@given(
    st.text(alphabet=TIME_ALPHABET, max_size=26)
    | st.builds(
        "{}-{}-{} {}:{}:{}{}".format,
        st.integers(1990, 2030), st.integers(0, 13), st.integers(0, 32),
        st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
        st.sampled_from(["", "Z", "+08:00", "-05:30", "+25:00", "+08:61", "+14:00", "+0800", "-1200"]),
    )
)
def test_time_either_fails_or_re_renders_to_the_written_fields(text: str) -> None:
    zone = "Asia/Shanghai"
    parsed = parse_timestamps(pl.Series([text], dtype=pl.String), zone).item()
    if parsed is None:
        return  # quarantined as a bad time
    found = written_fields(text.strip())
    assert found is not None, f"{text!r} parsed to {parsed} but is no time form"
    fields, offset = found
    if offset is None:
        wall = parsed.astimezone(ZoneInfo(zone))
    else:
        wall = parsed.astimezone(timezone(timedelta(minutes=offset)))
    rendered = [wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second, wall.microsecond]
    assert rendered == fields


# ---------------------------------------------------------------- the shorter ways of a uniform column


def test_a_file_whose_times_and_amounts_are_all_plain_is_parsed_as_any_other(tmp_path: Path) -> None:
    # Every time in PLAIN_TS and every amount of digits, signs and points: parse_rows takes the
    # shorter ways, and these rows still load or fail as the general parse decides.
    (tmp_path / "sheet.csv").write_text(
        "ts,amount,member_code\n"
        "2023-06-01 14:03:22,100.5,S1\n"
        "2023-02-29 10:00:00,1,S1\n"  # no 29 February in 2023
        "2023-06-01 23:59:60,1,S1\n"  # a leap second is a bad time, never the next day
        "2023-06-01 24:00:00,1,S1\n"
        "2023-06-01 10:00:00,1.234,S1\n"  # a third decimal
        "2023-06-01 10:00:00,+-1,S1\n"
        "2023-06-01 10:00:00,-,S1\n"  # a placeholder: no amount
        "2023-06-01 10:00:00,10000000000000000,S1\n"
        "1991-04-14 02:30:00,+7.00,S1\n",  # within the spring-forward gap of China's summer time
        encoding="utf-8",
    )
    case = parse_case(
        {"case": {"id": "x", "timezone": "Asia/Shanghai"}, "source": [{"kind": "deposit_sheet", "path": "sheet.csv"}]},
        tmp_path,
    )
    stats = load_file(case, case.sources[0], "sheet.csv", tmp_path / "work")
    quarantine = pl.read_parquet(stats.quarantine_path)
    assert quarantine.select("source_row", "column", "reason").rows() == [
        (3, "ts", "bad time"),
        (4, "ts", "bad time"),
        (5, "ts", "bad time"),
        (6, "amount", "bad amount"),
        (7, "amount", "bad amount"),
        (8, "amount", "missing required value"),
        (9, "amount", "amount out of range"),
        (10, "ts", "bad time"),
    ]
    landing = pl.read_parquet(stats.landing_path)
    assert landing.select("source_row", "ts", "amount").rows() == [
        (2, datetime(2023, 6, 1, 6, 3, 22, tzinfo=UTC), Decimal("100.50")),
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.builds(
        "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format,
        st.integers(0, 9999) | st.sampled_from([1900, 2000, 2023, 2024]),
        st.integers(0, 99) | st.sampled_from([1, 2, 12, 13]),
        st.integers(0, 99) | st.sampled_from([1, 28, 29, 30, 31, 32]),
        st.integers(0, 99) | st.sampled_from([0, 23, 24]),
        st.integers(0, 99) | st.sampled_from([0, 59, 60]),
        st.integers(0, 99) | st.sampled_from([0, 59, 60, 61]),
    )
)
def test_a_plain_time_takes_the_general_parse_s_wall_time(text: str) -> None:
    frame = pl.DataFrame({"v": [text]}).with_columns(
        general=wall_time(timestamp_parts(pl.col("v"))), plain=plain_wall_time(pl.col("v"))
    )
    # Compared in polars: year 0 is a time polars holds and Python's datetime does not.
    assert frame.select(pl.col("plain").eq_missing(pl.col("general"))).item(), frame.row(0)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.+-", min_size=1, max_size=22), st.booleans())
def test_digits_signs_and_points_are_cleaned_to_themselves(text: str, from_spreadsheet: bool) -> None:
    frame = pl.DataFrame({"v": [text]})
    general = frame.select(money_text(pl.col("v"), from_spreadsheet)).item()
    assert frame.select(money_text(pl.col("v"), from_spreadsheet, digits_only=True)).item() == general


# ---------------------------------------------------------------- item 5: invisible differences


def test_identifiers_are_normalised_and_each_change_is_listed(tmp_path: Path) -> None:
    (tmp_path / "victims.csv").write_bytes(
        "victim_id,name,account_no\n"
        "V1,张三,6217000000000011\n"
        "V1,张三,\ufeff6217000000000011\n"
        "V2,李四,6217\u200b000000000021\n"
        "V3,王五,６２１７000000000031\n"
        "V4,赵六,6217\x00000000000041\n"
        "V5,钱七,\u200b\n".encode("utf-8")
    )
    case = parse_case({"case": {"id": "x"}, "source": [{"kind": "victims", "path": "victims.csv"}]}, tmp_path)
    stats = load_file(case, case.sources[0], "victims.csv", tmp_path / "work")
    landing = pl.read_parquet(stats.landing_path)
    assert landing.select("source_row", "account_no").rows() == [
        (2, "6217000000000011"),
        (3, "6217000000000011"),  # the same account as row 2, not a second one
        (4, "6217000000000021"),
        (5, "6217000000000031"),
        (6, "6217000000000041"),
    ]
    quarantine = pl.read_parquet(stats.quarantine_path)
    assert quarantine.select("source_row", "reason").rows() == [(7, "missing required value")]
    normalised = pl.read_parquet(tmp_path / "work" / "normalised" / "001-00001.parquet")
    assert normalised.select("source_row", "column", "value", "normalised", "reason").rows() == [
        (3, "account_no", "<U+FEFF>6217000000000011", "6217000000000011", "normalised"),
        (4, "account_no", "6217<U+200B>000000000021", "6217000000000021", "normalised"),
        (5, "account_no", "６２１７000000000031", "6217000000000031", "normalised"),
        (6, "account_no", "6217<U+0000>000000000041", "6217000000000041", "normalised"),
        (7, "account_no", "<U+200B>", None, "normalised"),
    ]
