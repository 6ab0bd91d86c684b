"""Format presets: real exports load with no `columns` table.

The four samples in the shared folder (see its README) are read from there;
every amount and total below was summed by hand from the sample text as a
text editor or spreadsheet program shows it (sheet rows and file lines counted
from 1). The presets with no shared sample (abc, icbc, cmb, police_query) are
checked on small files written here in their documented layouts.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from fundtrail import sqlrun
from fundtrail.config import CaseConfig, parse_case
from fundtrail.errors import CaseConfigError, InputSchemaError
from fundtrail.ingest import FileStats, check_file, load_file, statement_summaries
from fundtrail.inspect import inspect_file, render_source_block

UTC = dt.timezone.utc


def _samples_dir() -> Path:
    # Third-party exports kept in a shared folder beside the checkout (or its worktrees' folder), not in the repository.
    for parent in Path(__file__).resolve().parents[1:4]:
        candidate = parent / "shared" / "samples"
        if candidate.is_dir():
            return candidate
    pytest.skip("sample exports not found in a shared folder beside the checkout")


@pytest.fixture(scope="module")
def samples() -> Path:
    return _samples_dir()


def sample_case(tmp_path: Path, samples: Path, name: str, **source: Any) -> CaseConfig:
    case_dir = tmp_path / "case"
    case_dir.mkdir(exist_ok=True)
    shutil.copyfile(samples / name, case_dir / name)
    return parse_case(
        {"case": {"id": "t"}, "source": [{"kind": "bank_statement", "path": name, **source}]}, case_dir
    )


def text_case(tmp_path: Path, name: str, content: bytes, **source: Any) -> CaseConfig:
    case_dir = tmp_path / "case"
    case_dir.mkdir(exist_ok=True)
    (case_dir / name).write_bytes(content)
    return parse_case(
        {"case": {"id": "t"}, "source": [{"kind": "bank_statement", "path": name, **source}]}, case_dir
    )


def load(case: CaseConfig, tmp_path: Path) -> tuple[FileStats, pl.DataFrame, pl.DataFrame]:
    source = case.sources[0]
    stats = load_file(case, source, source.files[0], tmp_path / "work")
    assert stats.landing_path and stats.quarantine_path
    return stats, pl.read_parquet(stats.landing_path), pl.read_parquet(stats.quarantine_path)


def amounts(landing: pl.DataFrame) -> dict[int, Decimal]:
    return dict(zip(landing["source_row"].to_list(), landing["amount"].to_list(), strict=True))


def reasons(quarantine: pl.DataFrame) -> dict[int, str]:
    return dict(zip(quarantine["source_row"].to_list(), quarantine["reason"].to_list(), strict=True))


def D(text: str) -> Decimal:
    return Decimal(text)


# ---------------------------------------------------------------- alipay


def test_alipay_sample_loads_with_status_and_neutral_rows_accounted(tmp_path, samples):
    stats, landing, quarantine = load(sample_case(tmp_path, samples, "alipay-records.csv", format="alipay"), tmp_path)
    # Header on line 25; data on lines 26-35 (10 rows). Loaded: 支出 rows that moved money and the 收入 row.
    assert amounts(landing) == {26: D("-49.74"), 27: D("-20.00"), 30: D("222228.50"), 34: D("-9.90"), 35: D("-82.00")}
    # in: 222228.50; out: 49.74 + 20.00 + 9.90 + 82.00 = 161.64
    assert (stats.amount_in, stats.amount_out) == (D("222228.50"), D("161.64"))
    assert reasons(quarantine) == {
        28: "neutral transaction (不计收支)",  # 退款, 退款成功
        29: "neutral transaction (不计收支)",  # 投资理财 to 余额宝
        31: "not money moved: 交易关闭",  # 不计收支 too, but the status decides first
        32: "neutral transaction (不计收支)",
        33: "not money moved: 交易关闭",  # a 支出 of 50.00 that was closed
    }
    # 16.03 + 99.34 + 82.00 + 50.00 + 50.00 = 297.37
    assert stats.amount_quarantined == D("297.37")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (10, 5, 5)
    # The preamble names the Alipay account (支付宝账户：xx@gmail.com).
    assert (stats.account_no, stats.account_from) == ("xx@gmail.com", "preamble")
    assert set(landing["account_no"]) == {"xx@gmail.com"}
    # 2023-02-12 21:32:14 in Shanghai is 13:32:14 UTC.
    assert landing.filter(pl.col("source_row") == 26)["ts"].item() == dt.datetime(2023, 2, 12, 13, 32, 14, tzinfo=UTC)
    assert stats.stated_summary == {
        "period_start": dt.datetime(2023, 2, 9, 16, 0, tzinfo=UTC),
        "period_end": dt.datetime(2023, 2, 13, 15, 59, 59, tzinfo=UTC),
        "count": 66, "in_count": 1, "in_amount": D("28.50"), "out_count": 63, "out_amount": D("16.54"),
        "neutral_count": 2, "neutral_amount": D("16.37"),
    }
    # Rows by their own 收/支 label, any status: out 49.74+20+50+9.90+82 = 211.64 (5 rows);
    # neutral 16.03+99.34+82+50 = 247.37 (4 rows).
    assert stats.row_summary == {
        "count": 10, "in_count": 1, "in_amount": D("222228.50"), "out_count": 5, "out_amount": D("211.64"),
        "neutral_count": 4, "neutral_amount": D("247.37"),
    }


def test_alipay_columns_found_by_name_whatever_their_order_and_preamble(tmp_path):
    # A shorter preamble, columns reordered, UTF-8 rather than GBK.
    text = (
        "支付宝交易明细\n支付宝账户：a@b.cn\n"
        "交易状态,金额,收/支,交易时间,交易对方,交易订单号\n"
        "交易成功,12.30,支出,2024-03-01 10:00:00,店,T1\n"
        "交易关闭,5.00,支出,2024-03-01 11:00:00,店,T2\n"
    )
    stats, landing, quarantine = load(text_case(tmp_path, "a.csv", text.encode(), format="alipay"), tmp_path)
    assert amounts(landing) == {4: D("-12.30")}
    assert reasons(quarantine) == {5: "not money moved: 交易关闭"}
    assert stats.account_no == "a@b.cn"


def test_alipay_older_layout_with_footer_summary(tmp_path):
    text = (
        "支付宝交易记录明细查询\n账号:[a@b.cn]\n起始日期:[2019-08-01 00:00:00]    终止日期:[2019-08-13 09:40:44]\n"
        "---------------------------------交易记录明细列表------------------------------------\n"
        "交易号,商家订单号,交易创建时间,付款时间,最近修改时间,交易来源地,类型,交易对方,商品名称,金额（元）,收/支,"
        "交易状态,服务费（元）,成功退款（元）,备注,资金状态,\n"
        "2019081222001,T1,2019-08-12 10:00:00,2019-08-12 10:00:01,2019-08-12 10:00:01,其他,即时到账交易,店,货,"
        "2.84,支出,交易成功,0.00,0.00,,已支出,\n"
        "2019081122002,T2,2019-08-11 10:00:00,,2019-08-11 10:00:00,其他,即时到账交易,余额宝,转入,"
        "5.00,,交易成功,0.00,0.00,,资金转移,\n"
        "------------------------------------------------------------------------------------\n"
        "共2笔记录\n已收入:0笔,0.00元\n已支出:1笔,2.84元\n导出时间:[2019-08-13 09:40:44]    用户:x\n"
    )
    stats, landing, quarantine = load(text_case(tmp_path, "old.csv", text.encode("gb18030"), format="alipay", account_no="a@b.cn"), tmp_path)
    assert amounts(landing) == {6: D("-2.84")}
    assert reasons(quarantine) == {7: "neutral transaction (收/支 empty)"}  # a move between own balances
    assert (stats.rows_read, stats.footer_rows) == (2, 5)


def test_source_account_no_wins_over_the_preamble(tmp_path, samples):
    stats, landing, _ = load(
        sample_case(tmp_path, samples, "alipay-records.csv", format="alipay", account_no="2088000000000001"), tmp_path
    )
    assert set(landing["account_no"]) == {"2088000000000001"}
    assert stats.account_from == "source"


# ---------------------------------------------------------------- wechat


def test_wechat_without_account_is_an_error_naming_the_file(tmp_path, samples):
    case = sample_case(tmp_path, samples, "wechat-records.csv", format="wechat")
    with pytest.raises(InputSchemaError, match=r"wechat-records\.csv: .*does not name its account.*account_no"):
        check_file(case, case.sources[0], "wechat-records.csv")
    with pytest.raises(InputSchemaError, match=r"wechat-records\.csv: .*account_no"):
        load(case, tmp_path)


def test_wechat_sample_loads(tmp_path, samples):
    stats, landing, quarantine = load(
        sample_case(tmp_path, samples, "wechat-records.csv", format="wechat", account_no="wxid_test"), tmp_path
    )
    # Header on line 17, data on lines 18-44 (27 rows).
    assert amounts(landing) == {
        18: D("-28.16"), 19: D("0.35"), 20: D("-12.00"), 21: D("-500.00"), 22: D("23.00"),
        34: D("-2243.46"), 35: D("-12.00"), 36: D("-12.00"),
        37: D("0.07"),  # the row with unquoted inner quotes
        38: D("0.07"), 39: D("-36.99"), 40: D("5.00"), 41: D("-9.90"), 42: D("-50.00"), 43: D("-0.01"), 44: D("-0.01"),
    }
    # in: 0.35 + 23.00 + 0.07 + 0.07 + 5.00 = 28.49
    # out: 28.16 + 12 + 500 + 2243.46 + 12 + 12 + 36.99 + 9.90 + 50.0 + 0.01 + 0.01 = 2904.53
    assert (stats.amount_in, stats.amount_out) == (D("28.49"), D("2904.53"))
    # Lines 23-33: 收/支 "/" (top-ups, withdrawals, 零钱通/理财通, card repayment).
    assert reasons(quarantine) == {line: "neutral transaction (/)" for line in range(23, 34)}
    # 2000 + 100.10 + 10.10 + 1001.10 + 548.58 + 10000 + 3000 + 2634.78 + 1.23 + 5505 + 1300 = 26100.89
    assert stats.amount_quarantined == D("26100.89")
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (27, 16, 11)
    assert stats.stated_summary["count"] == 43 and stats.row_summary["count"] == 27
    assert landing.filter(pl.col("source_row") == 18)["txn_ref"].item() == "3985734"  # quoted, tab after


def test_wechat_fully_refunded_rows_are_not_money_moved(tmp_path):
    text = (
        "微信支付账单明细\n,,\n----------------------微信支付账单明细列表--------------------\n"
        "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n"
        "2024-01-02 09:00:00,商户消费,店,货,支出,¥30.00,零钱,已全额退款,1,2,/\n"
        "2024-01-02 10:00:00,商户消费,店,货,支出,¥20.00,零钱,已退款(￥5.00),3,4,/\n"
    )
    stats, landing, quarantine = load(text_case(tmp_path, "w.csv", text.encode(), format="wechat", account_no="wx"), tmp_path)
    assert reasons(quarantine) == {5: "not money moved: 已全额退款"}
    assert amounts(landing) == {6: D("-20.00")}  # a partial refund keeps its row


# ---------------------------------------------------------------- ccb


def test_ccb_xls_sample_loads(tmp_path, samples):
    stats, landing, quarantine = load(sample_case(tmp_path, samples, "ccb-debit.xls", format="ccb"), tmp_path)
    # Header on sheet row 6, data rows 7-12, footer row 13 (以上数据仅供参考…). 收入 is 0 on every row.
    assert amounts(landing) == {
        7: D("-67.00"), 8: D("-16.78"), 9: D("-20.00"), 10: D("-515.02"), 11: D("-18.06"), 12: D("-66.40"),
    }
    # out: 67 + 16.78 + 20 + 515.02 + 18.06 + 66.4 = 703.26
    assert (stats.amount_in, stats.amount_out) == (D("0.00"), D("703.26"))
    assert quarantine.height == 0 and (stats.rows_read, stats.footer_rows) == (6, 1)
    assert (stats.account_no, stats.account_from) == ("xxxxx*********xxxx", "preamble")
    assert landing["balance"].to_list() == [D("2176.91"), D("2160.13"), D("2140.13"), D("1579.11"), D("1561.05"), D("1494.65")]
    # 交易日期 20250101 + 交易时间 18:53:19 in Shanghai.
    assert landing["ts"][0] == dt.datetime(2025, 1, 1, 10, 53, 19, tzinfo=UTC)


# ---------------------------------------------------------------- boc


def test_boc_sample_loads(tmp_path, samples):
    stats, landing, quarantine = load(sample_case(tmp_path, samples, "boc-debit.csv", format="boc"), tmp_path)
    assert quarantine.height == 0 and stats.rows_read == 17
    assert amounts(landing)[3] == D("-71.89") and amounts(landing)[10] == D("-2600.00")
    assert amounts(landing)[14] == D("5771.00")
    # in: 50 + 5771 + 3000 + 1000 = 9821.00
    # out: 71.89+326+50+60+206.80+68.14+2600+13.50+15.48+16+2769.59+196.90+3000 = 9394.30
    assert (stats.amount_in, stats.amount_out) == (D("9821.00"), D("9394.30"))
    assert set(landing["account_no"]) == {"3167"}  # 借记卡号 holds the card's last digits
    assert landing.filter(pl.col("source_row") == 14)["balance"].item() == D("6618.09")


def test_boc_source_account_overrides_the_card_tail(tmp_path, samples):
    _, landing, _ = load(
        sample_case(tmp_path, samples, "boc-debit.csv", format="boc", account_no="6216610000000003167"), tmp_path
    )
    assert set(landing["account_no"]) == {"6216610000000003167"}


# ---------------------------------------------------------------- integrity on the samples


def integrity(tmp_path: Path, stats: list[FileStats]) -> list[tuple]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    sqlrun.set_parameters(con, {"case_tz": "Asia/Shanghai"})
    con.execute(
        "create table landing_bank_statement as select * from read_parquet(?, union_by_name = true)",
        [[str(s.landing_path) for s in stats]],
    )
    con.execute("create table landing_quarantine as select * from read_parquet(?)", [[str(s.quarantine_path) for s in stats]])
    files = pl.DataFrame({"path": [s.path for s in stats], "file_order": list(range(1, len(stats) + 1))})
    summaries = statement_summaries(stats)
    con.register("files", files)
    con.register("summaries", summaries)
    con.execute("create table input_files as select * from files")
    con.execute("create table statement_summaries as select * from summaries")
    sqlrun.build(con, ["statement_integrity"])
    return con.execute(
        "select kind, source, before_row, after_row, expected_balance, actual_balance, missing_amount, stated, found "
        "from statement_integrity order by all"
    ).fetchall()


def test_ccb_balance_break_is_located_with_the_missing_amount(tmp_path, samples):
    case = sample_case(tmp_path, samples, "ccb-debit.xls", format="ccb")
    stats, _, _ = load(case, tmp_path)
    # Row 9 ends at 2140.13; row 10 spends 515.02, so 1625.11 was due, but it shows 1579.11:
    # a removed row took 46.00 out between them. Rows 7-8-9 and 10-11-12 chain cleanly.
    assert integrity(tmp_path, [stats]) == [
        ("balance_break", "ccb-debit.xls", "ccb-debit.xls:9", "ccb-debit.xls:10",
         D("1625.11"), D("1579.11"), D("-46.00"), None, None),
    ]


def test_boc_newest_first_chain_has_no_break(tmp_path, samples):
    stats, _, _ = load(sample_case(tmp_path, samples, "boc-debit.csv", format="boc"), tmp_path)
    # Read bottom-up every balance follows (e.g. line 19 3813.58 - 3000.00 = 813.58 on line 18).
    assert integrity(tmp_path, [stats]) == []


def test_alipay_stated_summary_is_flagged_not_trusted(tmp_path, samples):
    stats, _, _ = load(sample_case(tmp_path, samples, "alipay-records.csv", format="alipay"), tmp_path)
    found = integrity(tmp_path, [stats])
    mismatches = {(r[7], r[8]) for r in found if r[0] == "summary_mismatch"}
    # in_count (1 = 1) agrees; everything else differs (the publisher edited the rows).
    assert mismatches == {
        ("66", "10"), ("28.50", "222228.50"), ("63", "5"), ("16.54", "211.64"), ("2", "4"), ("16.37", "247.37"),
    }
    # Loaded rows dated outside 2023-02-10 .. 2023-02-13: lines 27 (02-08), 30 (01-18), 34 and 35 (07-10).
    outside = [r for r in found if r[0] == "outside_stated_period"]
    assert [(r[2], r[3], r[8]) for r in outside] == [("alipay-records.csv:30", "alipay-records.csv:35", "4")]


# ---------------------------------------------------------------- inspect


@pytest.mark.parametrize(
    ("name", "preset", "header_line"),
    [("alipay-records.csv", "alipay", 25), ("wechat-records.csv", "wechat", 17), ("ccb-debit.xls", "ccb", 6),
     ("boc-debit.csv", "boc", 2)],
)
def test_inspect_names_the_preset_of_each_sample(samples, name, preset, header_line):
    result = inspect_file(samples / name)
    assert (result["preset"], result["header_line"]) == (preset, header_line)
    block = render_source_block(result)
    assert f'format = "{preset}"' in block and f'path = "{name}"' in block


def test_inspect_block_pastes_into_a_case(tmp_path, samples):
    shutil.copyfile(samples / "ccb-debit.xls", tmp_path / "ccb-debit.xls")
    result = inspect_file(tmp_path / "ccb-debit.xls")
    assert (result["rows"], result["amount_out"], result["encoding"]) == (6, D("703.26"), None)
    (tmp_path / "case.toml").write_text('[case]\nid = "t"\n' + render_source_block(result), encoding="utf-8")
    from fundtrail.config import load_case

    case = load_case(tmp_path)
    assert case.sources[0].format == "ccb"


def test_inspect_of_an_unknown_layout_suggests_a_plain_block(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("report\n日期,金额,对方\n2024-01-01,5.00,A\n", encoding="utf-8")
    result = inspect_file(path)
    assert result["preset"] is None and result["header_line"] == 2
    block = render_source_block(result)
    assert 'format = "csv"' in block and "skip_rows = 1" in block and "日期, 金额, 对方" in block


# ---------------------------------------------------------------- layouts without a shared sample


def test_abc_split_date_and_time_with_empty_time_and_signs(tmp_path):
    text = (
        "账户：6228480000000000001\n"
        "交易日期,交易时间,交易摘要,交易金额,本次余额,对手信息,日 志 号,交易渠道,交易附言\n"
        "20240101,123456,转存,+10000.00,11000.00,甲,369396693,超级网银,转账\n"
        "20240102,091500,财付通,-10.00,10990.00,微信支付,369333999,电子商务,\n"
        "20240103,,还款,-990.00,10000.00,,111222333,,\n"
    )
    stats, landing, quarantine = load(text_case(tmp_path, "abc.csv", text.encode("gb18030"), format="abc"), tmp_path)
    assert quarantine.height == 0
    assert amounts(landing) == {3: D("10000.00"), 4: D("-10.00"), 5: D("-990.00")}
    assert landing["ts"].to_list() == [
        dt.datetime(2024, 1, 1, 4, 34, 56, tzinfo=UTC),  # 12:34:56 +08
        dt.datetime(2024, 1, 2, 1, 15, tzinfo=UTC),  # 09:15:00 +08
        dt.datetime(2024, 1, 2, 16, 0, tzinfo=UTC),  # no time: midnight of 2024-01-03 +08
    ]
    assert set(landing["account_no"]) == {"6228480000000000001"}
    assert landing["txn_ref"].to_list() == ["369396693", "369333999", "111222333"]


def test_icbc_in_out_columns_placeholders_footer_and_preamble_account(tmp_path):
    text = (
        "明细查询文件下载\n\n卡号: 6222021234567890123,\"卡别名: 工资卡\"\n\n"
        "交易日期,摘要,交易场所,交易国家或地区简称,钞/汇,交易金额(收入),交易金额(支出),交易币种,"
        "记账金额(收入),记账金额(支出),记账币种,余额,对方户名\n"
        '2023-05-02     \t,"消费    \t",店,CHN,钞,-,-,-,"                    \t","13.40   \t",人民币,"xx,yyyy.zz   \t","财付通   \t",\n'
        '2023-04-22     \t,"他行汇入\t",,CHN,钞,-,-,-,"1,234.56   \t","   \t",人民币,"2,000.00 \t","李四\t",\n'
        " \n"
        '人民币合计,,,,,,,,"1,234.56   \t","13.40   \t",\n'
    )
    stats, landing, quarantine = load(text_case(tmp_path, "icbc.csv", text.encode("gb18030"), format="icbc"), tmp_path)
    assert quarantine.height == 0
    # Lines: 1 title, 2 blank, 3 卡号, 4 blank, 5 header, 6-7 data, 8 blank, 9 footer.
    assert amounts(landing) == {6: D("-13.40"), 7: D("1234.56")}
    assert (stats.amount_in, stats.amount_out) == (D("1234.56"), D("13.40"))
    assert landing["balance"].to_list() == [None, D("2000.00")]  # xx,yyyy.zz is a placeholder
    assert stats.placeholder_cells == 1
    assert (stats.footer_rows, stats.blank_rows, stats.account_no) == (1, 1, "6222021234567890123")


def test_split_in_and_out_both_holding_money_is_quarantined(tmp_path):
    text = (
        "记账日,交易日期,交易时间,支出,收入,账户余额,币种,摘要,对方账号,对方户名\n"
        "20250101,20250101,10:00:00,5,7,100,人民币,x,1,a\n"
        "20250101,20250101,11:00:00,0,0,100,人民币,x,1,a\n"
    )
    _, landing, quarantine = load(text_case(tmp_path, "c.csv", text.encode(), format="ccb", account_no="A1"), tmp_path)
    assert reasons(quarantine) == {2: "bad amount"}
    assert quarantine["value"].item() == "in 7 / out 5"
    assert amounts(landing) == {3: D("0.00")}


def test_cmb_date_only_signed_amounts(tmp_path):
    text = (
        "记账日期,货币,交易金额,联机余额,交易摘要,对手信息,客户摘要\n"
        '2024-01-01,CNY,"1,234.00","1,271.66",代发,公积金中心,提取\n'
        '2024-01-01,CNY,"-1,000.00",271.66,转账汇款,张三,转账\n'
    )
    stats, landing, _ = load(text_case(tmp_path, "cmb.csv", text.encode(), format="cmb", account_no="6214830000000001"), tmp_path)
    assert amounts(landing) == {2: D("1234.00"), 3: D("-1000.00")}
    assert landing["ts"][0] == dt.datetime(2023, 12, 31, 16, 0, tzinfo=UTC)


def test_police_query_reply_many_cards_tab_padded_gb18030(tmp_path):
    text = (
        "公安机关电信网络诈骗涉案资金查询反馈结果\r\n查询批次：ZJCX001\r\n"
        "交易卡号,交易户名,交易时间,交易金额,交易余额,收付标志,交易对手账卡号,对手户名,交易流水号,币种,摘要说明\r\n"
        "6222000000000001\t,王某,2019-05-01 10:00:00,500.00,1500.00,进,6230000000000009\t,赵某,S1,人民币,转账\r\n"
        "6222000000000002\t,李某,2019-05-01 11:00:00,200.00,800.00,出,6230000000000008\t,钱某,S2,人民币,转账\r\n"
    )
    stats, landing, _ = load(
        text_case(tmp_path, "q.csv", text.encode("gb18030"), format="police_query", encoding="gbk"), tmp_path
    )
    assert amounts(landing) == {4: D("500.00"), 5: D("-200.00")}
    assert landing["account_no"].to_list() == ["6222000000000001", "6222000000000002"]
    assert landing["counterparty_account"].to_list() == ["6230000000000009", "6230000000000008"]


def test_a_file_that_is_not_the_named_preset_is_an_error(tmp_path):
    case = text_case(tmp_path, "x.csv", "a,b\n1,2\n".encode(), format="alipay")
    with pytest.raises(InputSchemaError, match=r"x\.csv: not a alipay export.*交易时间.*inspect"):
        load(case, tmp_path)


def test_config_rejects_unknown_format_and_a_preset_of_another_kind(tmp_path):
    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(CaseConfigError, match=r"source #1\.format = 'icbcx' is not csv, xlsx, xls nor a preset"):
        parse_case({"case": {"id": "t"}, "source": [{"kind": "bank_statement", "path": "a.csv", "format": "icbcx"}]}, tmp_path)
    with pytest.raises(CaseConfigError, match=r"'alipay' is a bank_statement layout, but the source is roster"):
        parse_case({"case": {"id": "t"}, "source": [{"kind": "roster", "path": "a.csv", "format": "alipay"}]}, tmp_path)


def test_a_bad_preset_file_is_reported_with_its_path(tmp_path):
    from fundtrail.ingest.presets import _parse

    path = tmp_path / "mybank.toml"
    path.write_text('title = "x"\nheader = ["日期"]\n[preamble]\naccount_no = "账号：\\\\S+"\n', encoding="utf-8")
    with pytest.raises(CaseConfigError, match=r"preset .*mybank\.toml: preamble account_no: the pattern needs a group"):
        _parse(path)
    path.write_text('title = "x"\nheader = ["日期"]\n[columns]\nbalanse = "余额"\n', encoding="utf-8")
    with pytest.raises(CaseConfigError, match=r"mybank\.toml: bank_statement has no column 'balanse'"):
        _parse(path)
