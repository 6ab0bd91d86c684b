"""`fundtrail init`: a case.toml from the evidence alone, which runs to the fixture's hand-worked figures
after the edits docs/init.md lists, and never replaces a case.toml."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
import test_fixture_case as hand  # the hand-worked figures of data/fixture-fraud (EXPECTED.md)

from fundtrail.check import check_case
from fundtrail.config import load_case
from fundtrail.errors import CaseConfigError
from fundtrail.init import init_case, render_summary
from fundtrail.pipeline import run_case

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "data" / "fixture-fraud"
DOC = REPO / "docs" / "init.md"


def documented_edits() -> list[tuple[str, str, str]]:
    """The rows of docs/init.md's table of edits for the fixture: (source path, key, TOML value)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## What is left to edit on the fixture", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|", section, flags=re.M)
    return [(path, key, value) for path, key, value in rows]


def apply_edit(toml_text: str, path: str, key: str, value: str) -> str:
    """Set ``key = value`` in the [[source]] whose path is ``path``: a commented or present line replaced, else added."""
    blocks = toml_text.split("\n[[source]]\n")
    for i, block in enumerate(blocks):
        if f"path = {path!r}".replace("'", '"') in block.splitlines():
            lines = block.splitlines()
            keys_end = next((n for n, line in enumerate(lines) if line.startswith("[source.")), len(lines))
            existing = [n for n, line in enumerate(lines[:keys_end]) if re.match(rf"^#?\s*{re.escape(key)}\s*=", line)]
            if existing:
                lines[existing[0]] = f"{key} = {value}"
            else:
                lines.insert(keys_end, f"{key} = {value}")
            blocks[i] = "\n".join(lines) + ("\n" if block.endswith("\n") else "")
            return "\n[[source]]\n".join(blocks)
    raise AssertionError(f"case.toml has no source with path {path}")


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    case = tmp_path_factory.mktemp("init") / "fixture"
    shutil.copytree(FIXTURE, case)
    (case / "case.toml").unlink()
    result = init_case(case, lang="en")
    return case, result


def test_init_recognises_every_evidence_file_of_the_fixture(initialised):
    case, result = initialised
    sources = [(s["kind"], s["path"], s.get("sheet")) for s in tomllib.loads((case / "case.toml").read_text())["source"]]
    assert sources == [
        ("units", "org/units.csv", None),
        ("roster", "org/roster.csv", None),
        ("victims", "victims.csv", None),
        ("gang_accounts", "gang_accounts.csv", None),
        ("deposit_sheet", "deposit/laos_sheet.csv", None),
        # The workbook's first sheet (说明) holds a note only: the data is on 入金.
        ("deposit_sheet", "deposit/sheet2.xlsx", "入金"),
        ("bank_statement", "bank/card1_gbk.csv", None),
        # All four exports of bank/utf8/ share one layout: one glob.
        ("bank_statement", "bank/utf8/*.csv", None),
    ]
    assert result.unrecognised == ()
    raw = tomllib.loads((case / "case.toml").read_text())
    card1 = raw["source"][6]
    # GBK export with two preamble lines; the account from the preamble line 账号：6222000011110001.
    assert (card1["skip_rows"], card1["account_no"]) == (2, "6222000011110001")
    assert card1["columns"] == {
        "ts": "交易时间", "amount": "交易金额", "direction": "收支", "balance": "余额", "counterparty_account": "对方账号",
        "counterparty_name": "对方户名", "txn_ref": "交易流水号", "currency": "币种", "memo": "摘要",
    }
    assert raw["source"][4]["columns"] == {
        "ts": "入账时间", "amount": "金额", "member_code": "业务员代号", "receiving_account": "收款账号",
        "victim_ref": "受害人编号", "entry_ref": "序号",
    }


def test_the_written_case_toml_says_what_to_check_by_hand(initialised):
    case, _ = initialised
    text = (case / "case.toml").read_text(encoding="utf-8")
    assert text.count("TODO:") == 3  # the title, and each deposit sheet's time zone
    assert '# timezone = "Asia/Shanghai"  # TODO' in text


def test_after_the_documented_edits_the_fixture_runs_to_its_hand_worked_figures(initialised, tmp_path):
    case, _ = initialised
    edits = documented_edits()
    assert edits == [("deposit/laos_sheet.csv", "timezone", '"Asia/Vientiane"')]
    text = (case / "case.toml").read_text(encoding="utf-8")
    for path, key, value in edits:
        text = apply_edit(text, path, key, value)
    (case / "case.toml").write_text(text, encoding="utf-8")
    assert load_case(case).sources_of("deposit_sheet")[0].timezone == "Asia/Vientiane"
    out = tmp_path / "out"
    run_case(case, out, lang="en")
    hand.test_defendants(out)
    hand.test_victims(out)
    hand.test_entries(out)
    hand.test_payments(out)
    hand.test_quarantine_rows(out)


def test_an_existing_case_toml_is_never_replaced(tmp_path):
    (tmp_path / "victims.csv").write_text("victim_id,name,account_no\nV1,张三,6217000000000011\n", encoding="utf-8")
    (tmp_path / "case.toml").write_text("# mine\n", encoding="utf-8")
    with pytest.raises(CaseConfigError, match=r"case.toml: a case.toml is there already and is never overwritten"):
        init_case(tmp_path, lang="en")
    assert (tmp_path / "case.toml").read_text(encoding="utf-8") == "# mine\n"


def test_a_folder_without_evidence_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here\n", encoding="utf-8")
    with pytest.raises(CaseConfigError, match="no CSV, XLSX or XLS file found"):
        init_case(tmp_path, lang="en")
    assert not (tmp_path / "case.toml").exists()


def test_statements_naming_their_account_above_the_header_share_one_source(tmp_path):
    # Two 调单 replies of the same bank layout, each naming its own account only in the preamble.
    header = "交易时间,交易金额,余额,对方账号,对方户名,摘要\n"
    for account, amount in (("6222000011110001", "500.00"), ("6222000022220002", "-70.00")):
        (tmp_path / "bank").mkdir(exist_ok=True)
        (tmp_path / "bank" / f"{account[-4:]}.csv").write_bytes(
            (f"某银行账户明细\n账号：{account}\n" + header + f"2024-01-02 10:00:00,{amount},900.00,6217000000000001,某某,转账\n")
            .encode("gb18030")
        )
    (tmp_path / "notes.csv").write_text("随便写的\n没有表头\n", encoding="utf-8")
    result = init_case(tmp_path, lang="en")
    raw = tomllib.loads((tmp_path / "case.toml").read_text(encoding="utf-8"))
    [source] = raw["source"]
    assert (source["path"], source["skip_rows"], "account_no" in source) == ("bank/*.csv", 2, False)
    assert "account_no" in source["preamble"]
    assert [f.path for f in result.unrecognised] == ["notes.csv"]
    assert "# - notes.csv" in (tmp_path / "case.toml").read_text(encoding="utf-8")
    [statement] = check_case(tmp_path).sources
    accounts = {row["source"]: row["account_no"] for row in statement.sample}
    assert accounts == {"bank/0001.csv": "6222 **** **** 0001", "bank/0002.csv": "6222 **** **** 0002"}
    assert "bank/*.csv" in render_summary(result, "en")
