"""publish.write_table(s): the CSV bytes (BOM, header, one line per row, times with their offset) and the Parquet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from fundtrail import publish

BOM = "\ufeff"


def _csv(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    ("zone", "utc", "shown"),
    [
        ("Asia/Shanghai", "2023-06-01 02:03:04+00", "2023-06-01T10:03:04+08:00"),
        ("UTC", "2023-06-01 02:03:04+00", "2023-06-01T02:03:04+00:00"),
        ("Asia/Kolkata", "2023-06-01 02:03:04+00", "2023-06-01T07:33:04+05:30"),
        ("America/St_Johns", "2023-01-15 12:00:00+00", "2023-01-15T08:30:00-03:30"),
        ("America/New_York", "2023-07-15 12:00:00+00", "2023-07-15T08:00:00-04:00"),
        # Local mean time before 1901: +08:05:43, of which ISO 8601 keeps the whole minutes.
        ("Asia/Shanghai", "1900-01-01 00:00:00+00", "1900-01-01T08:05:43+08:05"),
        ("Europe/London", "1800-01-01 00:00:00+00", "1799-12-31T23:58:45-00:01"),
    ],
)
def test_times_are_written_in_the_case_zone_with_hours_and_minutes_of_offset(tmp_path, zone, utc, shown):
    con = duckdb.connect()
    con.execute("SET TimeZone = ?", [zone])
    con.execute("create table moves as select * from (values ('m1', ?::TIMESTAMPTZ), ('m2', NULL)) as v(move_id, ts)", [utc])
    publish.write_table(con, "moves", tmp_path)
    assert _csv(tmp_path / "moves.csv") == f"{BOM}move_id,ts\nm1,{shown}\nm2,\n"


def test_rows_are_sorted_and_the_file_ends_with_one_line_break(tmp_path):
    con = duckdb.connect()
    con.execute(
        "create table payments as select * from (values ('a.csv:10', 1.50, DATE '2023-06-02'), ('a.csv:9', 20.00, NULL))"
        " as v(payment_id, amount, day)"
    )
    publish.write_table(con, "payments", tmp_path)
    assert _csv(tmp_path / "payments.csv") == f"{BOM}payment_id,amount,day\na.csv:9,20.00,\na.csv:10,1.50,2023-06-02\n"
    assert pl.read_parquet(tmp_path / "payments.parquet")["payment_id"].to_list() == ["a.csv:9", "a.csv:10"]


def test_an_empty_table_is_its_header_line(tmp_path):
    con = duckdb.connect()
    con.execute("create table leads (account_no VARCHAR, amount DECIMAL(18, 2))")
    publish.write_table(con, "leads", tmp_path)
    assert _csv(tmp_path / "leads.csv") == f"{BOM}account_no,amount\n"
    assert pl.read_parquet(tmp_path / "leads.parquet").columns == ["account_no", "amount"]


def test_a_column_name_the_header_must_quote_is_quoted(tmp_path):
    con = duckdb.connect()
    con.execute("""create table odd as select 'x' as "a,b", 1 as "plain" """)
    publish.write_table(con, "odd", tmp_path)
    assert _csv(tmp_path / "odd.csv") == f'{BOM}"a,b",plain\nx,1\n'
    assert not list(tmp_path.glob(".*"))  # the BOM-less draft is gone


def test_write_tables_writes_each_table_as_write_table_does(tmp_path):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute("create table a as select 'r.csv:' || i as id, TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_minutes(i) as ts from range(50) t(i)")
    con.execute("create table b as select 'x' as name where false")
    one_by_one, together = tmp_path / "one", tmp_path / "together"
    one_by_one.mkdir()
    together.mkdir()
    for table in ("a", "b"):
        publish.write_table(con, table, one_by_one)
    publish.write_tables(con, ["a", "b"], together)
    for name in ("a.csv", "b.csv", "a.parquet", "b.parquet"):
        assert (together / name).read_bytes() == (one_by_one / name).read_bytes(), name
    lines = _csv(together / "a.csv").splitlines()
    assert lines[1] == "r.csv:0,2023-01-01T08:00:00+08:00" and lines[10] == "r.csv:9,2023-01-01T08:09:00+08:00"
    assert lines[11] == "r.csv:10,2023-01-01T08:10:00+08:00" and len(lines) == 51


def test_writing_leaves_the_database_settings_as_they_were(tmp_path):
    con = duckdb.connect()
    con.execute("SET threads = 3")
    con.execute("SET memory_limit = '-1'")  # no limit: DuckDB shows it in a unit it does not read back
    shown = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.execute("create table t as select 'r.csv:' || i as id from range(20) t(i)")
    publish.write_tables(con, ["t"], tmp_path)
    assert con.execute("select current_setting('threads'), current_setting('memory_limit')").fetchall() == [(3, shown)]
    assert _csv(tmp_path / "t.csv").count("\n") == 21


def test_tables_written_beside_a_block_carry_the_case_offset_and_wait_for_it(tmp_path):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Kolkata'")  # a connection's own setting: the second one must be told
    con.execute("create table t as select 'r.csv:1' as id, TIMESTAMPTZ '2023-06-01 02:03:04+00' as ts")
    with publish.tables_written_beside(con, ["t"], tmp_path):
        ran_beside = con.execute("select count(*) from t").fetchall()[0][0]
    assert ran_beside == 1
    assert _csv(tmp_path / "t.csv") == BOM + "id,ts\nr.csv:1,2023-06-01T07:33:04+05:30\n"


def test_a_table_that_fails_beside_the_block_fails_the_caller(tmp_path):
    con = duckdb.connect()
    con.execute("create table t as select 1 as n")
    with pytest.raises(duckdb.IOException, match="not_made"):
        with publish.tables_written_beside(con, ["t"], tmp_path / "not_made"):
            pass
