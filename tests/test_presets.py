"""Format presets: real exports load with no `columns` table.

The sample exports beside the checkout (see their README) are read from there;
every amount and total below was summed by hand from the sample text as a
text editor or spreadsheet program shows it (sheet rows and file lines counted
from 1), the figures written beside each assertion. The presets with no
sample (abc, icbc, icbc_credit, cmb, bocom_credit, cgb_credit, spdb, psbc,
pingan, meituan, police_query, police_query_signed) are checked on small files
written here in their documented layouts.
"""

from __future__ import annotations

import datetime as dt
import json
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


# ---------------------------------------------------------------- layouts without a sample export


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
    from fundtrail.ingest.presets import load_preset_file as _parse

    path = tmp_path / "mybank.toml"
    path.write_text('title = "x"\nheader = ["日期"]\n[preamble]\naccount_no = "账号：\\\\S+"\n', encoding="utf-8")
    with pytest.raises(CaseConfigError, match=r"preset .*mybank\.toml: preamble account_no: the pattern needs a group"):
        _parse(path)
    path.write_text('title = "x"\nheader = ["日期"]\n[columns]\nbalanse = "余额"\n', encoding="utf-8")
    with pytest.raises(CaseConfigError, match=r"mybank\.toml: bank_statement has no column 'balanse'"):
        _parse(path)


# ---------------------------------------------------------------- bocom (debit)


def test_bocom_debit_sample_dates_and_times_in_two_columns_and_dr_cr(tmp_path, samples):
    stats, landing, quarantine = load(
        sample_case(tmp_path, samples, "bocom-debit.csv", format="bocom", account_no="6222600000000001"), tmp_path
    )
    # Header on line 1, data on lines 2-7 (6 rows), nothing quarantined.
    # 贷 Cr (in): line 2 1.23, line 4 0.02, line 5 10.00 = 11.25
    # 借 Dr (out): line 3 3.21, line 6 10.00, line 7 100.79 = 114.00
    assert amounts(landing) == {
        2: D("1.23"), 3: D("-3.21"), 4: D("0.02"), 5: D("10.00"), 6: D("-10.00"), 7: D("-100.79"),
    }
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (6, 6, 0)
    assert (stats.amount_in, stats.amount_out) == (D("11.25"), D("114.00"))
    # 交易日期 2025-01-01 + 交易时间 00:00:00 in Shanghai is 2024-12-31 16:00 UTC.
    assert landing["ts"][0] == dt.datetime(2024, 12, 31, 16, 0, tzinfo=UTC)
    assert landing.filter(pl.col("source_row") == 3)["ts"].item() == dt.datetime(2024, 2, 2, 5, 15, 12, tzinfo=UTC)
    assert landing["balance"].to_list() == [
        D("1334.63"), D("2334.62"), D("45.67"), D("184.69"), D("99.66"), D("3154.93"),
    ]
    assert landing.filter(pl.col("source_row") == 6)["counterparty_name"].item() == "网上国网"


def test_bocom_debit_needs_the_account_named_in_the_source(tmp_path, samples):
    case = sample_case(tmp_path, samples, "bocom-debit.csv", format="bocom")
    with pytest.raises(InputSchemaError, match=r"bocom-debit\.csv: this bocom export does not name its account"):
        check_file(case, case.sources[0], "bocom-debit.csv")


# ---------------------------------------------------------------- boc credit


def test_boc_credit_sample_in_out_columns_date_only_and_a_foreign_currency_row(tmp_path, samples):
    stats, landing, quarantine = load(
        sample_case(tmp_path, samples, "boc-credit.csv", format="boc_credit", account_no="BOC-CARD-2875"), tmp_path
    )
    # Title on line 1, header on line 2, data on lines 3-16 (14 rows).
    # 支出 (out): 50.00 + 0.59 + 68.19 + 468.32 + 448.32 + 131.77 + 60.90 = 1228.09 (lines 3 4 7 8 9 13 15)
    # 存入 (in): 0.01 + 361.19 + 70.48 + 397.84 + 70.48 + 89.84 = 989.84 (lines 5 6 10 11 12 14)
    # Line 16 spends 3.72 USD: not the case currency, quarantined.
    assert amounts(landing) == {
        3: D("-50.00"), 4: D("-0.59"), 5: D("0.01"), 6: D("361.19"), 7: D("-68.19"), 8: D("-468.32"),
        9: D("-448.32"), 10: D("70.48"), 11: D("397.84"), 12: D("70.48"), 13: D("-131.77"), 14: D("89.84"),
        15: D("-60.90"),
    }
    assert reasons(quarantine) == {16: "currency not case currency (USD)"}
    assert (stats.rows_read, stats.rows_loaded, stats.rows_quarantined) == (14, 13, 1)
    assert (stats.amount_in, stats.amount_out, stats.amount_quarantined) == (D("989.84"), D("1228.09"), D("3.72"))
    # 交易日 2024-12-13, no time: midnight in Shanghai.
    assert landing["ts"][0] == dt.datetime(2024, 12, 12, 16, 0, tzinfo=UTC)
    # The interest row (line 5) has no card digits; the source's account names every row.
    assert set(landing["account_no"]) == {"BOC-CARD-2875"}


# ---------------------------------------------------------------- cmb credit


def test_cmb_credit_sample_days_without_year_across_the_year_end(tmp_path, samples):
    stats, landing, quarantine = load(
        sample_case(tmp_path, samples, "cmb-credit.csv", format="cmb_credit", account_no="CMB-CARD-1234"), tmp_path
    )
    # Title "…2024年01月…" on line 1, header on line 2, data on lines 3-8 (6 rows).
    # 人民币金额 negative = repayment or refund (in): 1.23 + 345.67 + 30.00 + 3.90 = 380.80 (lines 3 4 5 7)
    # positive = spending (out): 56.78 + 8,000.00 = 8056.78 (lines 6 8)
    assert amounts(landing) == {
        3: D("1.23"), 4: D("345.67"), 5: D("30.00"), 6: D("-56.78"), 7: D("3.90"), 8: D("-8000.00"),
    }
    assert quarantine.height == 0
    assert (stats.rows_read, stats.rows_loaded) == (6, 6)
    assert (stats.amount_in, stats.amount_out) == (D("380.80"), D("8056.78"))
    # Lines 3-5 have no 交易日: 记账日 12/29 and 12/30 are of 2023 (a January 2024 bill), 01/01 of 2024.
    # Midnight in Shanghai is 16:00 UTC the day before.
    days = [t.date() for t in landing["ts"].dt.convert_time_zone("Asia/Shanghai").to_list()]
    assert days == [
        dt.date(2023, 12, 29), dt.date(2023, 12, 30), dt.date(2024, 1, 1),
        dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 5),
    ]
    assert landing["ts"][0] == dt.datetime(2023, 12, 28, 16, 0, tzinfo=UTC)


def test_a_day_without_year_and_no_bill_year_is_quarantined_as_a_bad_time(tmp_path):
    # The same layout without its title line: nothing says which year 01/02 is.
    text = "交易日,记账日,交易摘要,人民币金额,卡号末四位,交易地金额\n01/02,01/03,影票,56.78,1234,56.78\n"
    _, landing, quarantine = load(
        text_case(tmp_path, "c.csv", text.encode(), format="cmb_credit", account_no="A"), tmp_path
    )
    assert landing.height == 0 and reasons(quarantine) == {2: "bad time"}
    assert quarantine["value"].item() == "01/02"


# ---------------------------------------------------------------- citic credit


def test_citic_credit_xls_sample_settled_amounts_spending_positive(tmp_path, samples):
    stats, landing, quarantine = load(
        sample_case(tmp_path, samples, "citic-credit.xls", format="citic_credit", account_no="CITIC-6688"), tmp_path
    )
    # Opened in a spreadsheet: row 1 the title 本期账单明细(人民币), row 2 the header, rows 3-15 data (13 rows),
    # every row 人民币 in both currency columns, 交易金额 = 结算金额 on every row.
    # Negative (in): row 4 0.20 (cash reward) + row 12 1.21 (财付通还款) = 1.41
    # Positive (out): 5.90 + 807.89 + 88.00 + 25.00 + 4.00 + 20.47 + 76.80 + 39.24 + 10.34 + 1.00 + 20.16 = 1098.80
    assert amounts(landing) == {
        3: D("-5.90"), 4: D("0.20"), 5: D("-807.89"), 6: D("-88.00"), 7: D("-25.00"), 8: D("-4.00"),
        9: D("-20.47"), 10: D("-76.80"), 11: D("-39.24"), 12: D("1.21"), 13: D("-10.34"), 14: D("-1.00"),
        15: D("-20.16"),
    }
    assert quarantine.height == 0 and (stats.rows_read, stats.rows_loaded) == (13, 13)
    assert (stats.amount_in, stats.amount_out) == (D("1.41"), D("1098.80"))
    assert landing["ts"][0] == dt.datetime(2024, 11, 8, 16, 0, tzinfo=UTC)  # 2024-11-09, no time


# ---------------------------------------------------------------- jd

# Hand count of jd-records.csv: preamble lines 1-21 (京东账号名 on line 2), header on line 22, data on
# lines 23-48 (26 rows): 16 支出 and 10 不计收支, as the preamble says.
# 支出 rows with a plain amount (12): 10.20 + 60.90 + 9.80 + 19.72 + 119.66 + 68.19 + 13.00 + 14.99
#   + 40.00 + 10.85 + 20.61 + 657.21 = 1045.13
# 支出 rows partly refunded (4), gross: 131.77 + 448.32 + 416.87 + 235.61 = 1232.57 (lines 26 33 45 48);
#   their refunds 89.84 + 70.48 + 233.45 + 235.50 = 629.27 come as 退款成功 rows, and
#   2277.70 - 629.27 = 1648.43 is the preamble's 支出 total (net of refunds, its note 2 says).
JD_PLAIN_OUT = {
    23: D("-10.20"), 24: D("-60.90"), 27: D("-9.80"), 30: D("-19.72"), 31: D("-119.66"), 37: D("-68.19"),
    39: D("-13.00"), 40: D("-14.99"), 41: D("-40.00"), 42: D("-10.85"), 46: D("-20.61"), 47: D("-657.21"),
}
JD_PARTLY_REFUNDED = {26: D("-131.77"), 33: D("-448.32"), 45: D("-416.87"), 48: D("-235.61")}
JD_SET_ASIDE = {
    25: "refund row (退款成功)", 28: "refund row (退款成功)", 32: "refund row (退款成功)",
    34: "refund row (退款成功)", 35: "refund row (退款成功)", 43: "refund row (退款成功)",
    44: "refund row (退款成功)",
    36: "refunded in full: 468.32(已全额退款)",
    29: "neutral transaction (不计收支)", 38: "neutral transaction (不计收支)",  # 先享后付 moves
}


def test_jd_sample_statuses_and_neutral_rows_quarantined_with_their_reason(tmp_path, samples):
    stats, landing, quarantine = load(sample_case(tmp_path, samples, "jd-records.csv", format="jd"), tmp_path)
    plain = {row: amount for row, amount in amounts(landing).items() if row not in JD_PARTLY_REFUNDED}
    assert plain == JD_PLAIN_OUT
    assert {row: why for row, why in reasons(quarantine).items() if row not in JD_PARTLY_REFUNDED} == JD_SET_ASIDE
    assert stats.rows_read == 26
    assert (stats.account_no, stats.account_from) == ("jd_55370d18d5bb4", "preamble")
    assert landing.filter(pl.col("source_row") == 23)["txn_ref"].item() == "JDX100000011234"  # a tab after it
    # 日期区间 2024-12-01 至 2024-12-31: the last day ends at 23:59:59 in Shanghai.
    assert stats.stated_summary["period_end"] == dt.datetime(2024, 12, 31, 15, 59, 59, tzinfo=UTC)
    assert {k: stats.stated_summary[k] for k in ("count", "out_count", "out_amount", "neutral_amount")} == {
        "count": 26, "out_count": 16, "out_amount": D("1648.43"), "neutral_amount": D("1097.59"),
    }


def test_jd_sample_partly_refunded_rows_load_their_gross_amount(tmp_path, samples):
    stats, landing, quarantine = load(sample_case(tmp_path, samples, "jd-records.csv", format="jd"), tmp_path)
    assert amounts(landing) == {**JD_PLAIN_OUT, **JD_PARTLY_REFUNDED}
    assert reasons(quarantine) == JD_SET_ASIDE
    assert (stats.rows_loaded, stats.rows_quarantined) == (16, 10)
    # 1045.13 + 1232.57 = 2277.70
    assert (stats.amount_in, stats.amount_out) == (D("0.00"), D("2277.70"))


# ---------------------------------------------------------------- layouts from public descriptions only


def test_bocom_credit_direction_from_the_words_of_the_memo(tmp_path):
    text = (
        "交易日期,记账日期,交易说明,交易币种/金额,入账币种/金额\n"
        "2025-01-10,2025-01-10,退货 支付宝-滴滴顺风车,CNY 123.18,CNY 123.18\n"
        "2025-01-29,2025-01-29,信用卡还款 转账还款-哈哈,CNY 666.60,CNY 666.60\n"
        "2025-01-11,2025-01-12,消费 美团,CNY 2.99,CNY 2.99\n"
        "2025-01-12,2025-01-12,调整 未知,CNY 5.00,CNY 5.00\n"
        "2025-01-13,2025-01-14,消费 Amazon,USD 3.00,USD 3.00\n"
    )
    stats, landing, quarantine = load(
        text_case(tmp_path, "b.csv", text.encode(), format="bocom_credit", account_no="BOCOM-C"), tmp_path
    )
    # in 123.18 + 666.60 = 789.78; out 2.99
    assert amounts(landing) == {2: D("123.18"), 3: D("666.60"), 4: D("-2.99")}
    assert reasons(quarantine) == {5: "unknown direction value", 6: "bad amount"}  # USD 3.00 is not an amount here
    assert (stats.amount_in, stats.amount_out) == (D("789.78"), D("2.99"))


def test_cgb_credit_booked_amounts_spending_positive(tmp_path):
    text = (
        "交易日期,入账日期,交易摘要,交易金额,交易货币,入账金额,入账货币\n"
        "2025/01/05,2025/01/06,（消费）示例商户A,15.90,人民币,15.90,人民币\n"
        "2025/01/04,2025/01/04,（退款）示例商户B,-97.20,人民币,-97.20,人民币\n"
        "2024/12/25,2024/12/26,（还款）云闪付,-1130.68,人民币,-1130.68,人民币\n"
    )
    stats, _, quarantine = load(text_case(tmp_path, "g.csv", text.encode(), format="cgb_credit", account_no="G"), tmp_path)
    # in 97.20 + 1130.68 = 1227.88; out 15.90
    assert quarantine.height == 0 and (stats.amount_in, stats.amount_out) == (D("1227.88"), D("15.90"))


def test_icbc_credit_is_its_own_layout_and_inspect_prefers_it_over_the_debit_one(tmp_path):
    text = (
        "明细查询文件下载\n\n卡号: 1234****5678,\"卡别名: \"\n\n子账户类别:\n\n"
        "交易日期,记账日期,摘要,交易场所,交易国家或地区简称,交易金额(收入),交易金额(支出),交易币种,"
        "记账金额(收入),记账金额(支出),记账币种,余额,对方户名\n"
        '2023-05-05     \t,2023-05-05     \t,"消费     \t","财付通-拼多多平台商户   \t",CHN,"   \t","18.00  \t",人民币,'
        '"   \t","18.00  \t",人民币,"-3,728.62  \t","    \t",\n'
        '2023-04-25     \t,2023-04-25     \t,"人民币自动转帐还款  \t",XX分行银行卡中心,CHN,"4,621.01  \t","   \t",人民币,'
        '"4,621.01  \t","   \t",人民币,"-1,971.63  \t","    \t",\n'
        " \n"
        '合计金额,,,,,"4621.01  \t","18.00   \t",\t,"4621.01   \t","18.00  \t",\n'
    )
    case = text_case(tmp_path, "icbc-credit.csv", text.encode("gb18030"), format="icbc_credit")
    stats, landing, quarantine = load(case, tmp_path)
    # Lines 1-6 preamble (卡号 on line 3), header line 7, data lines 8-9, line 10 blank, line 11 footer.
    assert quarantine.height == 0 and amounts(landing) == {8: D("-18.00"), 9: D("4621.01")}
    assert (stats.footer_rows, stats.blank_rows, stats.account_no) == (1, 1, "1234****5678")
    assert landing["counterparty_name"].to_list() == ["财付通-拼多多平台商户", "XX分行银行卡中心"]
    assert landing["balance"].to_list() == [D("-3728.62"), D("-1971.63")]
    result = inspect_file(tmp_path / "case" / "icbc-credit.csv")
    assert result["preset"] == "icbc_credit" and result["runner_up"]["preset"] == "icbc"
    assert result["confidence"] > result["runner_up"]["confidence"]


def test_meituan_paid_amount_success_time_preamble_user_and_neutral_rows(tmp_path):
    text = (
        "美团交易账单明细\n美团用户名：[SJT714453696]\n起始时间：[2025-02-01] 终止时间：[2025-02-28]\n"
        '""\n共：3笔记录\n支出：1笔 21.17元\n收入：1笔 20.00元\n不计收支：1笔 5.00元\n""\n【美团交易账单明细列表】\n'
        "交易创建时间,交易成功时间,交易类型,订单标题,收/支,支付方式,订单金额,实付金额,交易单号,商家单号,备注\n"
        '2025-02-28 20:35:13,2025-02-28 20:35:25,支付,喜茶 订单详情,支出,美团月付,¥22.30,¥21.17,"2502281\t","0_22\t",/\n'
        '2025-02-27 07:04:17,,退款,葡式蛋挞6只,收入,中国银行信用卡(1875),¥20.00,¥20.00,"2502270\t","49810\t",/\n'
        '2025-02-26 09:00:00,2025-02-26 09:00:01,充值,美团余额,不计收支,微信支付,¥5.00,¥5.00,"2502260\t","1\t",/\n'
    )
    stats, landing, quarantine = load(text_case(tmp_path, "mt.csv", text.encode(), format="meituan"), tmp_path)
    # Header on line 11; 实付金额, not 订单金额: 21.17 paid for a 22.30 order.
    assert amounts(landing) == {12: D("-21.17"), 13: D("20.00")}
    assert reasons(quarantine) == {14: "neutral transaction (不计收支)"}
    # Line 13 has no 交易成功时间: its 交易创建时间 07:04:17 in Shanghai.
    assert landing["ts"].to_list()[1] == dt.datetime(2025, 2, 26, 23, 4, 17, tzinfo=UTC)
    assert landing["txn_ref"].to_list() == ["2502281", "2502270"]
    assert (stats.account_no, stats.account_from) == ("SJT714453696", "preamble")
    assert (stats.stated_summary["out_amount"], stats.stated_summary["count"]) == (D("21.17"), 3)


def test_spdb_signed_amount_date_time_and_preamble_account_and_holder(tmp_path):
    text = (
        "上海浦东发展银行账户交易明细\n账号：6225880000000001 户名：张三\n"
        "交易日期,交易时间,交易摘要,交易金额,账户余额,对方户名,对方账号,交易渠道\n"
        "20240301,093000,工资,8000.00,8100.00,某公司,31000000001,网银\n"
        "20240302,101500,转账,-500.00,7600.00,李四,6222000000000002,手机银行\n"
    )
    stats, landing, _ = load(text_case(tmp_path, "s.csv", text.encode("gb18030"), format="spdb"), tmp_path)
    assert amounts(landing) == {4: D("8000.00"), 5: D("-500.00")}
    assert (stats.account_no, stats.account_from) == ("6225880000000001", "preamble")
    assert set(landing["account_name"]) == {"张三"}  # the holder from the preamble fills every row
    assert landing["ts"][0] == dt.datetime(2024, 3, 1, 1, 30, tzinfo=UTC)


def test_psbc_in_out_columns(tmp_path):
    text = (
        "交易日期,交易时间,摘要,收入金额,支出金额,账户余额,对方账号,对方户名\n"
        "2024-03-01,09:30:00,转存,200.00,,1200.00,6222000000000002,李四\n"
        "2024-03-02,10:00:00,消费,,35.50,1164.50,,\n"
        "合计,,,200.00,35.50,,,\n"
    )
    stats, landing, _ = load(text_case(tmp_path, "p.csv", text.encode(), format="psbc", account_no="PSBC-1"), tmp_path)
    assert amounts(landing) == {2: D("200.00"), 3: D("-35.50")} and stats.footer_rows == 1


def test_pingan_in_out_columns_and_full_timestamp(tmp_path):
    text = (
        "交易时间,交易类型,收入,支出,账户余额,交易对方,对方账号,交易流水号\n"
        "2024-03-01 09:30:00,转账,1000.00,0.00,1000.00,王五,6230000000000001,PA001\n"
        "2024-03-01 12:00:00,消费,0.00,88.80,911.20,某店,,PA002\n"
    )
    stats, landing, _ = load(text_case(tmp_path, "pa.csv", text.encode(), format="pingan", account_no="PA-1"), tmp_path)
    assert amounts(landing) == {2: D("1000.00"), 3: D("-88.80")}
    assert landing["txn_ref"].to_list() == ["PA001", "PA002"]


def test_police_query_reply_with_debit_credit_flag_ip_mac_and_failed_rows(tmp_path):
    text = (
        "交易账卡号,交易方户名,交易时间,交易金额,交易余额,借贷标志,对手账号,对手户名,交易是否成功,IP地址,MAC地址,交易流水号\r\n"
        "6222000000000001\t,王某,20190501100000,500.00,1500.00,贷,6230000000000009\t,赵某,是,10.1.2.3,00-1A-2B-3C-4D-5E,S1\r\n"
        "6222000000000001\t,王某,20190501110000,200.00,1300.00,借,6230000000000008\t,钱某,是,,,S2\r\n"
        "6222000000000001\t,王某,20190501120000,900.00,1300.00,借,6230000000000008\t,钱某,否,,,S3\r\n"
    )
    stats, landing, quarantine = load(text_case(tmp_path, "q.csv", text.encode("gb18030"), format="police_query"), tmp_path)
    # 贷 = in 500.00, 借 = out 200.00; the failed 900.00 is quarantined with its reason.
    assert amounts(landing) == {2: D("500.00"), 3: D("-200.00")}
    assert reasons(quarantine) == {4: "not money moved: 交易是否成功 = 否"}
    assert (stats.amount_in, stats.amount_out, stats.amount_quarantined) == (D("500.00"), D("200.00"), D("900.00"))
    assert landing["ts"][0] == dt.datetime(2019, 5, 1, 2, 0, tzinfo=UTC)
    assert inspect_file(tmp_path / "case" / "q.csv")["preset"] == "police_query"


def test_police_query_reply_without_a_direction_column_is_the_signed_variant(tmp_path):
    text = (
        "交易卡号,交易户名,交易时间,交易金额,交易余额,对手账号,对手户名,交易是否成功\r\n"
        "6222000000000001\t,王某,2019-05-01 10:00:00,500.00,1500.00,6230000000000009\t,赵某,是\r\n"
        "6222000000000001\t,王某,2019-05-01 11:00:00,-200.00,1300.00,6230000000000008\t,钱某,是\r\n"
    )
    path = tmp_path / "case" / "q.csv"
    case = text_case(tmp_path, "q.csv", text.encode("gb18030"), format="police_query")
    with pytest.raises(InputSchemaError, match=r"q\.csv: not a police_query export.*收付标志/借贷标志"):
        load(case, tmp_path)
    result = inspect_file(path)
    assert result["preset"] == "police_query_signed"
    assert (result["amount_in"], result["amount_out"]) == (D("500.00"), D("200.00"))


def test_inspect_prefers_the_direction_flag_layout_when_a_reply_has_one(tmp_path):
    text = (
        "交易卡号,交易户名,交易时间,交易金额,交易余额,收付标志,对手账号\r\n"
        "6222000000000001\t,王某,2019-05-01 10:00:00,500.00,1500.00,进,6230000000000009\t\r\n"
    )
    (tmp_path / "q.csv").write_bytes(text.encode("gb18030"))
    result = inspect_file(tmp_path / "q.csv")
    assert (result["preset"], result["runner_up"]["preset"]) == ("police_query", "police_query_signed")


# ---------------------------------------------------------------- the user's own layouts


def case_with(tmp_path: Path, files: dict[str, bytes], toml: str) -> CaseConfig:
    from fundtrail.config import load_case

    case_dir = tmp_path / "case"
    for name, content in files.items():
        (case_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (case_dir / name).write_bytes(content)
    (case_dir / "case.toml").write_text('[case]\nid = "t"\n' + toml, encoding="utf-8")
    return load_case(case_dir)


MYBANK = (
    "某某银行对私账户明细\n账号：6200000000000042\n户名：赵六\n"
    "记账日,时间,收入,支出,余额,对方名称,状态\n"
    "2024/06/01,08:15:00,100.00,,100.00,甲,成功\n"
    "2024/06/02,,,30.00,70.00,乙,成功\n"
    "2024/06/03,12:00:00,,45.00,70.00,丙,冲正\n"
    "本页合计,,100.00,75.00,,,\n"
).encode()
# The layout of MYBANK: header, footer, columns, split, exclude, preamble. Written as a preset
# file (MYBANK_PRESET) and as a [[source]]'s own keys (test_every_preset_mapping_is_expressible…).
MYBANK_LAYOUT = {
    "header": ["记账日", "收入", "支出", "余额"],
    "footer": "^本页合计",
    "columns": {"balance": "余额", "counterparty_name": "对方名称"},
    "split": {"date": "记账日", "time": "时间", "amount_in": "收入", "amount_out": "支出"},
    "exclude": [{"column": "状态", "values": ["冲正"], "reason": "reversed: {value}"}],
    "preamble": {"account_no": r"账号[:：]\s*([0-9]+)", "account_name": r"户名[:：]\s*(\S+)"},
}


def toml_text(keys: dict[str, Any], prefix: str = "") -> str:
    """TOML of one table of ``keys``: its plain values first (JSON strings and arrays are TOML's), then
    each dict as a sub-table and each list of dicts as an array of tables, named under ``prefix``."""
    def lines(table: dict[str, Any]) -> str:
        return "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in table.items())

    def tables(value: Any) -> list[dict[str, Any]]:
        if isinstance(value, dict):
            return [value]
        return value if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) else []

    text = lines({k: v for k, v in keys.items() if not tables(v)})
    for key, value in keys.items():
        header = f"[{prefix}{key}]" if isinstance(value, dict) else f"[[{prefix}{key}]]"
        text += "".join(f"{header}\n" + lines(table) for table in tables(value))
    return text


MYBANK_PRESET = toml_text(
    {"title": "某某银行对私账户明细 (my bank)", "checked": "a test file written in its layout", **MYBANK_LAYOUT}
)


def check_mybank(case: CaseConfig, tmp_path: Path) -> None:
    stats, landing, quarantine = load(case, tmp_path)
    # Lines 1-3 preamble, header line 4, data lines 5-7, footer line 8.
    assert amounts(landing) == {5: D("100.00"), 6: D("-30.00")}
    assert reasons(quarantine) == {7: "reversed: 冲正"}
    assert (stats.footer_rows, stats.account_no, stats.account_from) == (1, "6200000000000042", "preamble")
    assert set(landing["account_name"]) == {"赵六"}
    # 2024/06/02 without a time: its midnight in Shanghai.
    assert landing["ts"].to_list() == [
        dt.datetime(2024, 6, 1, 0, 15, tzinfo=UTC), dt.datetime(2024, 6, 1, 16, 0, tzinfo=UTC),
    ]


def test_a_case_preset_in_the_case_presets_folder_is_found_by_name(tmp_path):
    case = case_with(
        tmp_path, {"mybank.csv": MYBANK, "presets/mybank.toml": MYBANK_PRESET.encode()},
        '[[source]]\nkind = "bank_statement"\npath = "mybank.csv"\nformat = "mybank"\n',
    )
    assert case.sources[0].preset.path == tmp_path / "case" / "presets" / "mybank.toml"
    check_mybank(case, tmp_path)


def test_a_case_preset_named_by_path(tmp_path):
    case = case_with(
        tmp_path, {"mybank.csv": MYBANK, "layouts/x.toml": MYBANK_PRESET.encode()},
        '[[source]]\nkind = "bank_statement"\npath = "mybank.csv"\nformat = "./layouts/x.toml"\n',
    )
    check_mybank(case, tmp_path)


def test_a_case_preset_wins_over_a_built_in_one_of_the_same_name(tmp_path):
    case = case_with(
        tmp_path, {"mybank.csv": MYBANK, "presets/icbc.toml": MYBANK_PRESET.encode()},
        '[[source]]\nkind = "bank_statement"\npath = "mybank.csv"\nformat = "icbc"\n',
    )
    check_mybank(case, tmp_path)


def test_every_preset_mapping_is_expressible_in_the_source_itself(tmp_path):
    # The same layout as MYBANK_PRESET, written in [[source]] keys: header, footer, split, exclude,
    # preamble; counterparty_name as a list of the names it may have.
    layout = {**MYBANK_LAYOUT, "columns": {"balance": "余额", "counterparty_name": ["对方名称", "对方户名"]}}
    toml = "[[source]]\n" + toml_text(
        {"kind": "bank_statement", "path": "mybank.csv", "format": "csv", **layout}, prefix="source."
    )
    check_mybank(case_with(tmp_path, {"mybank.csv": MYBANK}, toml), tmp_path)


def test_source_keys_override_a_presets_keys(tmp_path, samples):
    # The bocom preset with the memo taken from 摘要 and its rows of 其他交易 set aside.
    toml = """\
[[source]]
kind = "bank_statement"
path = "bocom-debit.csv"
format = "bocom"
account_no = "B1"
[source.columns]
memo = "摘要"
[[source.exclude]]
column = "交易类型"
values = ["其他交易"]
reason = "set aside: {value}"
"""
    case = case_with(tmp_path, {"bocom-debit.csv": (samples / "bocom-debit.csv").read_bytes()}, toml)
    _, landing, quarantine = load(case, tmp_path)
    assert reasons(quarantine) == {5: "set aside: 其他交易"}
    assert landing.filter(pl.col("source_row") == 7)["memo"].item().startswith("网上支付 基金理财产品申购")


def test_source_split_keys_and_preset_file_errors_name_the_key(tmp_path):
    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")

    def parse(**source: Any) -> CaseConfig:
        return parse_case({"case": {"id": "t"}, "source": [{"kind": "bank_statement", "path": "a.csv", **source}]}, tmp_path)

    with pytest.raises(CaseConfigError, match=r"source #1: unknown split key amount_inn"):
        parse(split={"amount_inn": "收入"})
    with pytest.raises(CaseConfigError, match=r"source #1: preamble account_no: the pattern needs a group"):
        parse(preamble={"account_no": "账号"})
    with pytest.raises(CaseConfigError, match=r"source #1: exclude #1 needs values or a pattern"):
        parse(exclude=[{"column": "状态"}])
    with pytest.raises(CaseConfigError, match=r"source #1\.format = '\./presets/none\.toml': no such preset file"):
        parse(format="./presets/none.toml")
    with pytest.raises(CaseConfigError, match=r"source #1\.format = '\.\./x\.toml': a preset file must lie inside the case"):
        parse(format="../x.toml")


# ---------------------------------------------------------------- money formats (cells.py)


def test_cmb_credit_local_amounts_with_the_cn_suffix_read_like_the_rmb_column(tmp_path, samples):
    # 交易地金额 holds the same amounts as 人民币金额, two of them as -3.90(CN) and "8,000.00(CN)".
    stats, landing, quarantine = load(
        sample_case(
            tmp_path, samples, "cmb-credit.csv", format="cmb_credit", account_no="A", columns={"amount": "交易地金额"}
        ),
        tmp_path,
    )
    assert quarantine.height == 0
    assert amounts(landing) == {
        3: D("1.23"), 4: D("345.67"), 5: D("30.00"), 6: D("-56.78"), 7: D("3.90"), 8: D("-8000.00"),
    }


def test_accounting_negatives_and_full_width_digits_in_a_signed_column(tmp_path):
    text = (
        "记账日期,交易时间,交易金额,账户余额,交易摘要\n"
        '20240301,093000,"(1,234.00)",100.00,转出\n'
        "20240302,101500,５００．００,600.00,转入\n"
    )
    _, landing, quarantine = load(text_case(tmp_path, "s.csv", text.encode(), format="csv", account_no="A",
                                            split={"date": "记账日期", "time": "交易时间"},
                                            columns={"amount": "交易金额"}), tmp_path)
    assert quarantine.height == 0
    assert amounts(landing) == {2: D("-1234.00"), 3: D("500.00")}
