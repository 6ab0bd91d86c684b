"""`fundtrail check`: the case validated and its files read as a run reads them, nothing written, no Prefect.

The counts are EXPECTED.md's hand counts of data/fixture-fraud (rows read,
loaded and quarantined per file, before duplicate postings are decided); the
warning cases are built here so that each warning's cause is plain.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixturecheck import tree_digest

from fundtrail.check import check_case, render
from fundtrail.errors import CaseConfigError, InputSchemaError

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "data" / "fixture-fraud"


@pytest.fixture(scope="module")
def fixture_check():
    return check_case(FIXTURE)


def _by_path(report):
    return {s.path: s for s in report.sources}


def test_each_source_gets_the_hand_counts(fixture_check):
    sources = _by_path(fixture_check)
    # EXPECTED.md "Step 1": laos sheet 8 = 6 + 2; sheet2 7 = 7; card 1 8 = 7 + 1;
    # card2_part1 7, card2_part2 8 (1 quarantined), victim_v1 4 (1 quarantined); the resent copy is read once.
    counts = {path: (s.files, s.rows_read, s.rows_loaded, s.rows_quarantined) for path, s in sources.items()}
    assert counts == {
        "org/units.csv": (1, 6, 6, 0),
        "org/roster.csv": (1, 10, 10, 0),
        "victims.csv": (1, 4, 4, 0),
        "gang_accounts.csv": (1, 2, 2, 0),
        "deposit/laos_sheet.csv": (1, 8, 6, 2),
        "deposit/*.xlsx": (1, 7, 7, 0),
        "bank/card1_gbk.csv": (1, 8, 7, 1),
        "bank/utf8/*.csv": (4, 7 + 8 + 4, 7 + 7 + 3, 2),
    }
    assert sources["bank/utf8/*.csv"].duplicates == ("bank/utf8/zz_resent_card2_part1.csv",)


def test_quarantine_reasons_are_counted_with_their_first_row(fixture_check):
    laos = _by_path(fixture_check)["deposit/laos_sheet.csv"]
    assert [(r.reason, r.count, r.example) for r in laos.reasons] == [
        ("bad amount", 1, "deposit/laos_sheet.csv:4 amount='5千'"),
        ("missing required value", 1, "deposit/laos_sheet.csv:6 member_code=''"),
    ]


def test_sample_rows_are_mapped_and_masked(fixture_check):
    card1 = _by_path(fixture_check)["bank/card1_gbk.csv"]
    first = card1.sample[0]
    # card1_gbk.csv line 4: 2023-06-01 15:00:20 进 5000.00 from V1a 张三 (EXPECTED.md, card 1's table).
    assert first["source_row"] == "4"
    assert first["ts"] == "2023-06-01 15:00:20+08:00"
    assert (first["amount"], first["balance"]) == ("5000.00", "6000.00")
    assert first["account_no"] == "6222 **** **** 0001"
    assert first["counterparty_account"] == "6217 **** **** 0011"
    assert first["counterparty_name"] == "张*"
    roster = _by_path(fixture_check)["org/roster.csv"]
    assert roster.sample[0]["name"] == "钱大富"  # defendants are named, never masked (docs/safety.md)
    for lang in ("zh", "en"):
        shown = render(fixture_check, lang)
        for secret in ("6222000011110001", "6217000000000011", "张三", "李四"):
            assert secret not in shown, (lang, secret)


def test_the_fixture_shows_no_warning(fixture_check):
    assert fixture_check.warnings == ()


def test_check_writes_nothing_and_never_imports_prefect(tmp_path):
    case = tmp_path / "case"
    shutil.copytree(FIXTURE, case)
    before = tree_digest(tmp_path)
    script = (
        "import sys; from fundtrail.check import check_case; check_case(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'great_expectations', 'duckdb')))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-c", script, str(case)], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
    assert tree_digest(tmp_path) == before


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_no_gang_account_known_is_a_warning(tmp_path):
    # Two entries; the sheet names no receiving card and there is no gang_accounts source.
    _write(tmp_path, "sheet.csv", "ts,amount,member_code\n2024-01-02 10:00:00,5000.00,A1\n2024-01-02 11:00:00,300.00,A1\n")
    _write(tmp_path, "case.toml", '[case]\nid = "t"\n[[source]]\nkind = "deposit_sheet"\npath = "sheet.csv"\n')
    report = check_case(tmp_path)
    assert [(w.code, w.message_code, w.params) for w in report.warnings] == [
        ("no_payments", "check.no_gang_accounts", {"count": 2})
    ]
    assert "WARNING [no_payments] 2 deposit entries, but no gang account is known" in render(report, "en")
    assert "警告 [no_payments] 有 2 笔入金记录，但不知道任何涉案账户" in render(report, "zh")


def test_a_statement_of_an_unknown_account_is_a_warning_with_the_account_masked(tmp_path):
    _write(tmp_path, "gang.csv", "account_no\n6222000000000001\n")
    _write(tmp_path, "sheet.csv", "ts,amount,member_code,receiving_account\n2024-01-02 10:00:00,5000.00,A1,6222000000000001\n")
    # The gang card paid 6230000000000077, whose own statement is here: a laundering layer, not a victim.
    _write(
        tmp_path,
        "bank/gang.csv",
        "account_no,ts,amount,counterparty_account\n6222000000000001,2024-01-02 12:00:00,-5000.00,6230000000000077\n",
    )
    _write(
        tmp_path,
        "bank/layer.csv",
        "account_no,ts,amount,counterparty_account\n6230000000000077,2024-01-02 12:00:00,5000.00,6222000000000001\n"
        "6230000000000077,2024-01-03 09:00:00,-4000.00,6231000000000001\n",
    )
    _write(
        tmp_path,
        "case.toml",
        '[case]\nid = "t"\n[[source]]\nkind = "gang_accounts"\npath = "gang.csv"\n'
        '[[source]]\nkind = "deposit_sheet"\npath = "sheet.csv"\n'
        '[[source]]\nkind = "bank_statement"\npath = "bank/*.csv"\n',
    )
    report = check_case(tmp_path)
    assert [(w.code, w.params) for w in report.warnings] == [
        ("unexplained_statement", {"source": "bank/layer.csv", "account": "6230 **** **** 0077", "count": 2})
    ]
    assert "6230000000000077" not in render(report, "zh")


def test_a_bad_case_toml_is_the_run_s_own_error(tmp_path):
    _write(tmp_path, "case.toml", '[case]\nid = "t"\n[[source]]\nkind = "bank_statment"\npath = "x.csv"\n')
    with pytest.raises(CaseConfigError, match=r"source #1\.kind = 'bank_statment' is not one of") as caught:
        check_case(tmp_path)
    assert caught.value.code == "config.not_one_of"


def test_a_missing_header_is_the_run_s_own_error(tmp_path):
    _write(tmp_path, "sheet.csv", "ts,amount\n2024-01-02 10:00:00,5000.00\n")
    _write(tmp_path, "case.toml", '[case]\nid = "t"\n[[source]]\nkind = "deposit_sheet"\npath = "sheet.csv"\n')
    with pytest.raises(InputSchemaError, match=r"sheet.csv: required column 'member_code' of deposit_sheet is missing"):
        check_case(tmp_path)
