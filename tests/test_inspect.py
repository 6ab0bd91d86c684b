"""`fundtrail inspect`: every sample named right with its confidence and runner-up, and other kinds by their headers.

The counts below are the hand counts written out in tests/test_presets.py
(one test per sample, each line of the file accounted for there); here they
check that inspect loads each file as its preset would.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from fundtrail.config import load_case
from fundtrail.ingest import check_file, load_file
from fundtrail.inspect import inspect_file, render_source_block

D = Decimal


# file: (preset, header line, rows read, loaded, quarantined, money in, money out)
SAMPLES = {
    "alipay-records.csv": ("alipay", 25, 10, 5, 5, "222228.50", "161.64"),
    "wechat-records.csv": ("wechat", 17, 27, 16, 11, "28.49", "2904.53"),
    "ccb-debit.xls": ("ccb", 6, 6, 6, 0, "0.00", "703.26"),
    "boc-debit.csv": ("boc", 2, 17, 17, 0, "9821.00", "9394.30"),
    "bocom-debit.csv": ("bocom", 1, 6, 6, 0, "11.25", "114.00"),
    "boc-credit.csv": ("boc_credit", 2, 14, 13, 1, "989.84", "1228.09"),
    "cmb-credit.csv": ("cmb_credit", 2, 6, 6, 0, "380.80", "8056.78"),
    "citic-credit.xls": ("citic_credit", 2, 13, 13, 0, "1.41", "1098.80"),
    # 16 支出 rows at their gross amount (1045.13 plain + 1232.57 partly refunded), 10 不计收支 set aside.
    "jd-records.csv": ("jd", 22, 26, 16, 10, "0.00", "2277.70"),
}


def test_every_sample_is_listed_here(samples):
    on_disk = {p.name for p in samples.iterdir() if p.suffix in (".csv", ".xls", ".xlsx")}
    assert on_disk == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_inspect_names_each_sample_above_its_runner_up(samples, name):
    preset, header_line, *_ = SAMPLES[name]
    result = inspect_file(samples / name)
    assert (result["preset"], result["header_line"]) == (preset, header_line)
    runner_up = result["runner_up"]
    assert runner_up is None or runner_up["confidence"] < result["confidence"]
    block = render_source_block(result, lang="en")
    assert f'format = "{preset}"' in block and f"confidence {result['confidence']}%" in block
    if runner_up:
        assert f"runner-up {runner_up['preset']} {runner_up['confidence']}%" in block


@pytest.mark.parametrize(
    "name",
    sorted(SAMPLES),
)
def test_inspect_loads_each_sample_to_the_hand_counts(samples, name):
    _, _, rows, loaded, quarantined, money_in, money_out = SAMPLES[name]
    result = inspect_file(samples / name)
    assert (result["rows"], result["rows_loaded"], result["rows_quarantined"]) == (rows, loaded, quarantined)
    assert (result["amount_in"], result["amount_out"]) == (D(money_in), D(money_out))


def test_jd_is_not_taken_for_alipay(samples):
    result = inspect_file(samples / "jd-records.csv")
    # Alipay's header names fit JD's file, but its mark 支付宝 is not in the preamble, JD's 京东账号名 is.
    assert (result["preset"], result["runner_up"]["preset"]) == ("jd", "alipay")
    assert result["confidence"] >= 2 * result["runner_up"]["confidence"]
    assert (result["account_no"], result["account_from"]) == ("jd_55370d18d5bb4", "preamble")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_samples_block_pastes_into_a_case_that_loads(tmp_path, samples, name):
    shutil.copyfile(samples / name, tmp_path / name)
    block = render_source_block(inspect_file(tmp_path / name)).replace('account_no = "…"', 'account_no = "A1"')
    (tmp_path / "case.toml").write_text('[case]\nid = "t"\n' + block, encoding="utf-8")
    case = load_case(tmp_path)
    source = case.sources[0]
    check_file(case, source, name)
    stats = load_file(case, source, name, tmp_path / "work")
    assert stats.rows_read == SAMPLES[name][2]


def test_account_and_holder_read_from_a_preamble_the_preset_does_not_know(tmp_path):
    # The bocom layout with a preamble it does not have in the sample.
    path = tmp_path / "bocom.csv"
    path.write_text(
        "交通银行\n账号：6222 6000 0000 0001\n户名：张三\n"
        "序号,交易日期,交易时间,交易类型,借贷,交易金额,余额,对方账号,对方户名,交易地点,摘要\n"
        "1,2025-01-01,00:00:00,存款利息,贷 Cr,1.23,1334.63,1,a,b,\n",
        encoding="utf-8",
    )
    result = inspect_file(path)
    assert (result["preset"], result["header_line"]) == ("bocom", 4)
    assert (result["preamble_account"], result["account_name"]) == ("6222600000000001", "张三")
    block = render_source_block(result, lang="en")
    assert 'account_no = "6222600000000001"  # from the preamble line "账号：6222 6000 0000 0001"' in block
    assert "the preamble names the holder: 张三" in block


def test_a_card_tail_in_the_preamble_is_named_but_not_taken_for_the_account(tmp_path):
    path = tmp_path / "bocom.csv"
    path.write_text(
        "卡号末四位：1234\n序号,交易日期,交易时间,交易类型,借贷,交易金额,余额,对方账号,对方户名,交易地点,摘要\n"
        "1,2025-01-01,00:00:00,存款利息,贷 Cr,1.23,1334.63,1,a,b,\n",
        encoding="utf-8",
    )
    result = inspect_file(path)
    assert result["preamble_card_tail"] == "1234" and "preamble_account" not in result
    assert "required: the preamble names only the card's last four digits (1234)" in render_source_block(result, lang="en")


SHEETS = {
    "deposits.csv": (
        "入金明细\n时间,金额,代号,收款账户,客户\n2024-01-02 10:00:00,5000.00,A01,6222000000000001,客户甲\n"
        "2024-01-03 11:00:00,3000.00,A02,6222000000000001,客户乙\n",
        "deposit_sheet", 2,
        {"ts": "时间", "amount": "金额", "member_code": "代号", "receiving_account": "收款账户", "victim_ref": "客户"},
    ),
    "roster.csv": (
        "编号,姓名,角色,部门,代号,入职日期,离职日期\nD1,张三,leader,U1,A01,2023-01-01,\n"
        "D2,李四,staff,U1,A02,2023-02-01,2023-12-31\n",
        "roster", 1,
        {"defendant_id": "编号", "name": "姓名", "role": "角色", "unit_id": "部门", "member_code": "代号",
         "valid_from": "入职日期", "valid_to": "离职日期"},
    ),
    "victims.csv": (
        "编号,被害人,账号,被骗金额\nV1,王某,6222000000000009,5000.00\n",
        "victims", 1,
        {"victim_id": "编号", "name": "被害人", "account_no": "账号", "reported_loss": "被骗金额"},
    ),
    "gang.csv": (
        "涉案账号,户名,开户行\n6222000000000001,赵某,某银行\n",
        "gang_accounts", 1, {"account_no": "涉案账号", "holder_name": "户名"},
    ),
    "canonical.csv": (
        "ts,amount,member_code\n2024-01-02 10:00:00,5000.00,A01\n",
        "deposit_sheet", 1, {"ts": "ts", "amount": "amount", "member_code": "member_code"},
    ),
}


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_other_kinds_are_recognised_by_their_headers_with_a_ready_block(tmp_path, name):
    text, kind, header_line, mapping = SHEETS[name]
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = inspect_file(tmp_path / name)
    assert (result["preset"], result["kind"], result["header_line"], result["mapping"]) == (None, kind, header_line, mapping)
    rows = text.count("\n") - header_line
    assert (result["rows"], result["rows_loaded"]) == (rows, rows)
    block = render_source_block(result)
    (tmp_path / "case.toml").write_text('[case]\nid = "t"\n' + block, encoding="utf-8")
    case = load_case(tmp_path)
    assert case.sources[0].kind == kind
    stats = load_file(case, case.sources[0], name, tmp_path / "work")
    assert (stats.rows_read, stats.rows_loaded) == (rows, rows)


def test_a_case_presets_folder_is_tried_by_inspect(tmp_path):
    (tmp_path / "case.toml").write_text('[case]\nid = "t"\n', encoding="utf-8")
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "mybank.toml").write_text(
        'title = "my bank"\nheader = ["记账日", "发生额"]\n[columns]\nts = "记账日"\namount = "发生额"\n', encoding="utf-8"
    )
    (tmp_path / "evidence").mkdir()
    path = tmp_path / "evidence" / "m.csv"
    path.write_text("记账日,发生额\n2024-01-01,5.00\n", encoding="utf-8")
    result = inspect_file(path)
    assert (result["preset"], result["rows_loaded"]) == ("mybank", 1)
    assert 'format = "mybank"' in render_source_block(result)
