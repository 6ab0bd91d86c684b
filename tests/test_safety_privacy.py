"""Issue 9 item 3 (and the huge-amount end of item 4): no personal data outside the evidence tables.

With default options, every file of OUT_DIR but the evidence tables (CSV,
Parquet, case.duckdb) is searched for the fixture cases' victims' names,
record subjects' names, phones and ID numbers, and every full account number
of the case, in the ordinary runs and in a run whose expectations fail (a
victim account written with spaces, two victims sharing an account) and
whose amounts reach the largest DECIMAL(18,2).
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from fundtrail.pipeline import run_case

REPO = Path(__file__).resolve().parents[1]
EVIDENCE_SUFFIXES = {".csv", ".parquet", ".duckdb"}
MAX = "9999999999999999.99"

PERSONAL = {
    "victim name": "select name from stg_victims",
    "record name": "select name from stg_records",
    "phone": "select phone from stg_records",
    "id number": "select id_number from stg_records",
    "account": """
        select account_no from stg_victims union select account_no from stg_gang_accounts
        union select account_no from stg_accounts union select account_no from stg_bank_statement
        union select counterparty_account from stg_bank_statement
        union select receiving_account from stg_deposit_sheet
        """,
}


def personal_values(out: Path) -> dict[str, set[str]]:
    """What must not be shown whole, from the run's own case database (every account, name, phone, ID)."""
    con = duckdb.connect(str(out / "case.duckdb"), read_only=True)
    try:
        found = {}
        for label, query in PERSONAL.items():
            values = {row[0].strip() for row in con.execute(query).fetchall() if row[0]}
            if label in ("phone", "id number", "account"):
                # Spaces and dashes written in the cell do not hide a number: search its digits.
                values = {re.sub(r"[\s-]", "", v) for v in values}
                values = {v for v in values if len(re.sub(r"\D", "", v)) >= 7}
            else:
                values = {v for v in values if len(v) >= 2}
            found[label] = values
        return found
    finally:
        con.close()


def shown_texts(out: Path) -> dict[str, str]:
    """Every non-evidence file of OUT_DIR as text (report.xlsx: the XML inside it)."""
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix in EVIDENCE_SUFFIXES:
            continue
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                texts[str(path.relative_to(out))] = "".join(
                    archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")
                )
        else:
            texts[str(path.relative_to(out))] = path.read_text(encoding="utf-8")
    return texts


def leaks(out: Path) -> list[str]:
    values = personal_values(out)
    assert values["account"], "no accounts collected: the check would pass vacuously"
    found = []
    for name, text in shown_texts(out).items():
        # JSON escapes and HTML entities aside, a value shown whole shows its characters in a row.
        plain = text.replace("\\u0020", " ")
        for label, wanted in values.items():
            for value in sorted(wanted):
                if value in plain:
                    found.append(f"{name}: {label} {value}")
    return found


@pytest.fixture(scope="module")
def fraud_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("privacy") / "fraud"
    run_case(REPO / "data" / "fixture-fraud", out)
    return out


@pytest.fixture(scope="module")
def info_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("privacy") / "info"
    run_case(REPO / "data" / "fixture-info", out)
    return out


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """fixture-fraud plus: V4 written with spaces, V5 sharing V3's account, amounts of the largest size."""
    base = tmp_path_factory.mktemp("privacy-failing")
    case = base / "case"
    shutil.copytree(REPO / "data" / "fixture-fraud", case)
    with (case / "victims.csv").open("a", encoding="utf-8") as victims:
        victims.write("V4,赵六,6217 0000 0000 0041,\nV5,钱七,6217000000000031,\n")
    (case / "bank" / "utf8" / "victim_v4_huge.csv").write_text(
        "account_no,account_name,ts,amount,balance,counterparty_account,counterparty_name,txn_ref,currency,memo\n"
        f"6217000000000041,赵六,2023-06-03 09:00:00,{MAX},{MAX},6217888800000001,某公司,H1,CNY,入\n"
        f"6217000000000041,赵六,2023-06-03 09:10:00,-{MAX},0.00,6222000011110001,王卡一,H2,CNY,投资款\n"
        f"6217000000000041,赵六,2023-06-03 09:20:00,{MAX},{MAX},6217888800000001,某公司,H3,CNY,入\n"
        f"6217000000000041,赵六,2023-06-03 09:30:00,-{MAX},0.00,6222000011110001,王卡一,H4,CNY,投资款\n"
        f"6217000000000041,赵六,2023-06-03 09:40:00,{MAX},1.00,6217888800000001,某公司,H5,CNY,入\n",
        encoding="utf-8",
    )
    with (case / "deposit" / "laos_sheet.csv").open("a", encoding="utf-8") as sheet:
        for row in range(30, 34):
            sheet.write(f"{row},2023/6/3 08:{row}:00,{MAX},S3,6222000011110001,,\n")
        sheet.write("40,2023/6/3 09:00,10000000000000000.00,S3,6222000011110001,,\n")
    out = base / "out"
    summary = run_case(case, out)
    return out, summary


def test_default_runs_show_no_personal_data_outside_the_evidence(fraud_out: Path, info_out: Path) -> None:
    assert leaks(fraud_out) == []
    assert leaks(info_out) == []


def test_failed_expectations_show_no_personal_data(failing: tuple[Path, dict]) -> None:
    out, summary = failing
    failed = {v["suite"] for v in summary["validation"] if v["success"] is False}
    assert "stg_victims" in failed  # V3 and V5 share one account: the examples list both
    page = (out / "validation" / "stg_victims.html").read_text(encoding="utf-8")
    assert "6217 **** **** 0031" in page
    assert leaks(out) == []


def test_manifest_masks_case_toml_constants_and_integrity_findings(fraud_out: Path) -> None:
    manifest = json.loads((fraud_out / "manifest.json").read_text(encoding="utf-8"))
    constants = [s["account_no"] for s in manifest["case_toml"]["source"] if "account_no" in s]
    assert constants == ["6222 **** **** 0001"]  # card 1's [[source]] account_no = "6222000011110001"
    accounts = {f["account_no"] for f in manifest["statement_integrity"]["findings"]}
    assert accounts and all(re.fullmatch(r"\d{4} \*{4} \*{4} \d{4}", a) for a in accounts)
    # The evidence keeps the full values.
    assert "6222000011110001" in (fraud_out / "statement_integrity.csv").read_text(encoding="utf-8")


def test_huge_amounts_load_sum_and_publish_exactly(failing: tuple[Path, dict]) -> None:
    out, _ = failing
    quarantine = (out / "quarantine.csv").read_text(encoding="utf-8")
    assert "deposit/laos_sheet.csv,14,amount,10000000000000000.00,amount out of range" in quarantine
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    huge = next(i for i in manifest["inputs"] if i["path"] == "bank/utf8/victim_v4_huge.csv")
    assert (huge["amount_in"], huge["amount_out"]) == ("29999999999999999.97", "19999999999999999.98")


def test_masking_many_rows_at_once_masks_each_as_one_row_does():
    from fundtrail.reports.mask import mask_row, mask_rows

    rows = [
        {"path": "bank/b00_6217000000000003119_q1.csv", "name": "张三", "account_no": "6222000011110001",
         "notes": ["6222000011110001x", "12"], "rows_read": 3, "amount": "1234.50"},
        {"path": "x/123456789012.csv", "holder_name": "李四", "account_no": "6222000011110001"},
    ]
    for table in ("manifest", "victims", "defendants"):
        assert mask_rows(table, rows) == [mask_row(table, row) for row in rows], table
    assert mask_rows("manifest", rows)[0]["account_no"] == "6222 **** **** 0001"
