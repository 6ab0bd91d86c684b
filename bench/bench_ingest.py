"""Rows per second of ingest.load_file on a generated GBK bank statement.

    .venv/bin/python bench/bench_ingest.py [ROWS]

Writes a CSV (GBK, preamble line, Chinese headers, direction column, quoted
thousands separators) into a temp dir and times one load_file call.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from fundtrail.config import parse_case
from fundtrail.ingest import load_file

HEADERS = ["账号", "户名", "交易时间", "交易金额", "借贷标志", "余额", "对方账号", "对方户名", "流水号", "币种", "摘要"]


def write_statement(path: Path, rows: int) -> None:
    i = pl.int_range(0, rows, eager=True)
    cents = (i * 7919) % 5_000_000 + 1
    frame = pl.select(
        账号=pl.lit("6222021234567890123"),
        户名=pl.lit("张三"),
        交易时间=(pl.datetime(2023, 6, 1) + pl.duration(seconds=i)).dt.strftime("%Y-%m-%d %H:%M:%S"),
        交易金额=(cents // 100).cast(pl.String) + "." + (cents % 100).cast(pl.String).str.zfill(2),
        借贷标志=pl.when(i % 2 == 0).then(pl.lit("贷")).otherwise(pl.lit("借")),
        余额=pl.lit("1,000,000.00"),
        对方账号=(6222000000000000000 + i).cast(pl.String),
        对方户名=pl.lit("李四"),
        流水号="T" + i.cast(pl.String).str.zfill(10),
        币种=pl.lit("人民币"),
        摘要=pl.lit("网银转账\t"),
    )
    text = "中国银行 账户交易明细\n" + frame.write_csv()
    path.write_bytes(text.encode("gbk"))


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        case_dir = Path(tmp) / "case"
        (case_dir / "bank").mkdir(parents=True)
        csv_path = case_dir / "bank" / "statement.csv"
        write_statement(csv_path, rows)
        columns = dict(zip(
            ["account_no", "account_name", "ts", "amount", "direction", "balance",
             "counterparty_account", "counterparty_name", "txn_ref", "currency", "memo"],
            HEADERS,
        ))
        case = parse_case(
            {
                "case": {"id": "bench"},
                "source": [{"kind": "bank_statement", "path": "bank/*.csv", "encoding": "gbk",
                            "skip_rows": 1, "columns": columns}],
            },
            case_dir,
        )
        source = case.sources[0]
        started = time.perf_counter()
        stats = load_file(case, source, source.files[0], Path(tmp) / "work")
        seconds = time.perf_counter() - started
        size_mb = csv_path.stat().st_size / 1e6
        print(f"{rows} rows, {size_mb:.0f} MB GBK: {seconds:.2f} s, {rows / seconds:,.0f} rows/s "
              f"(loaded {stats.rows_loaded}, quarantined {stats.rows_quarantined})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
