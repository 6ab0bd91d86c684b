"""The workbook and the HTML report, opened the way their readers open them.

The case below is small enough to add up by hand:

    units: G1 gang > D1 department > T1, T2 groups
    D03 (staff, T1, own):   E1 12,000.00 + E2 345.60 validated, E4 800.00 unvalidated
    D04 (staff, T2, own):   E3 5,000.00 validated (a split of P3 2,500.00 + P4 2,500.00)
    code ZZ (unknown):      E5 1,000.00 validated
    D02 (leader of T1, unit basis): T1 validated = 12,345.60
    D01 (financier, gang basis):    all validated = 12,000.00 + 345.60 + 5,000.00 + 1,000.00 = 18,345.60
    entries total = 18,345.60 + 800.00 = 19,145.60
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fundtrail.reports import ReportLanguageError, write_html_report, write_workbook
from fundtrail.reports.mask import (
    account_expr,
    digit_runs_expr,
    id_number_expr,
    mask_one,
    name_expr,
    phone_expr,
    victim_id_expr,
)
from fundtrail.reports.xlsx import exact_as_number

MONEY = pl.Decimal(18, 2)
TS = pl.Datetime("us", "UTC")
CARD_A = "6222021234561234"
CARD_B = "6222029999888877776"
ZHANG_ACCOUNT = "6217001111222233334"
LI_ACCOUNT = "6217002222333344445"
UNKNOWN_PAYER = "6228480000111122223"
ONWARD = "6230001234567890123"


def utc(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2023, 6, 1, hour, minute, tzinfo=dt.timezone.utc)


def d(text: str) -> Decimal:
    return Decimal(text)


@pytest.fixture
def tables() -> dict[str, pl.DataFrame]:
    defendants = pl.DataFrame(
        {
            "defendant_id": ["D01", "D02", "D03", "D04"],
            "name": ["王老板", "孙组长", "赵六", "钱七"],
            "role": ["financier", "leader", "staff", "staff"],
            "unit_ids": ["G1", "T1", "T1", "T2"],
            "codes": [None, None, "A1", "B1"],
            "first_day": [dt.date(2023, 5, 1)] * 4,
            "last_day": [None, None, None, None],
            "own": [d("0.00"), d("0.00"), d("12345.60"), d("5000.00")],
            "own_unvalidated": [d("0.00"), d("0.00"), d("800.00"), d("0.00")],
            "unit": [d("18345.60"), d("12345.60"), d("12345.60"), d("5000.00")],
            "gang": [d("18345.60")] * 4,
            "liable": [d("18345.60"), d("12345.60"), d("12345.60"), d("5000.00")],
            "liable_basis": ["gang", "unit", "own", "own"],
            "tier": ["large", "large", "large", "large"],
            "entries": [0, 0, 3, 1],
            "victims": [0, 0, 2, 1],
        },
        schema_overrides={
            "own": MONEY, "own_unvalidated": MONEY, "unit": MONEY, "gang": MONEY, "liable": MONEY,
            "last_day": pl.Date, "codes": pl.String, "entries": pl.Int64, "victims": pl.Int64,
        },
    )
    victims = pl.DataFrame(
        {
            "victim_id": ["V001", "V002", f"unidentified:{UNKNOWN_PAYER}"],
            "name": ["张三", "李四丰", None],
            "paid": [d("13000.00"), d("1045.60"), d("5000.00")],
            "returned": [d("100.00"), d("0.00"), d("0.00")],
            "net_loss": [d("12900.00"), d("1045.60"), d("5000.00")],
            "validated": [d("13000.00"), d("345.60"), d("5000.00")],
            "unattributed": [d("0.00"), d("700.00"), d("0.00")],
            "reported_loss": [d("13000.00"), None, None],
            "payments": [2, 2, 2],
        },
        schema_overrides={k: MONEY for k in ("paid", "returned", "net_loss", "validated", "unattributed", "reported_loss")}
        | {"payments": pl.Int64, "name": pl.String},
    )
    sheet = "deposits/sheet.xlsx"
    p1, p2, p6 = (f"bank/{CARD_A}.csv:{r}" for r in (3, 4, 5))
    p3, p4, p5 = (f"bank/{CARD_B}.csv:{r}" for r in (3, 4, 5))
    entries = pl.DataFrame(
        {
            "entry_id": [f"{sheet}:{r}" for r in (5, 6, 7, 8, 9)],
            "source": [sheet] * 5,
            "source_row": [5, 6, 7, 8, 9],
            "ts": [utc(6), utc(7), utc(8), utc(9), utc(10)],
            "amount": [d("12000.00"), d("345.60"), d("5000.00"), d("800.00"), d("1000.00")],
            "member_code": ["A1", "A1", "B1", "A1", "ZZ"],
            "defendant_id": ["D03", "D03", "D04", "D03", None],
            "unit_id": ["T1", "T1", "T2", "T1", None],
            "status": ["validated", "validated", "validated", "unvalidated", "validated"],
            "candidates": [1, 2, 1, 0, 1],
            "ambiguous": [False, True, False, False, False],
            "victim_id": ["V001", "V002", f"unidentified:{UNKNOWN_PAYER}", None, "V001"],
            "payment_ids": [p1, p2, f"{p3};{p4}", None, p5],
            "seconds_apart": [60, 120, 30, None, 10],
        },
        schema_overrides={"ts": TS, "amount": MONEY, "source_row": pl.Int64, "candidates": pl.Int64, "seconds_apart": pl.Int64},
    )
    payments = pl.DataFrame(
        {
            "payment_id": [p1, p2, p3, p4, p5, p6],
            "victim_id": ["V001", "V002", f"unidentified:{UNKNOWN_PAYER}", f"unidentified:{UNKNOWN_PAYER}", "V001", "V002"],
            "from_account": [ZHANG_ACCOUNT, LI_ACCOUNT, UNKNOWN_PAYER, UNKNOWN_PAYER, ZHANG_ACCOUNT, LI_ACCOUNT],
            "to_account": [CARD_A, CARD_A, CARD_B, CARD_B, CARD_B, CARD_A],
            "ts": [utc(6, 1), utc(7, 2), utc(8), utc(8, 1), utc(10), utc(11)],
            "amount": [d("12000.00"), d("345.60"), d("2500.00"), d("2500.00"), d("1000.00"), d("700.00")],
            "status": ["validated"] * 5 + ["unattributed"],
            "entry_id": [f"{sheet}:5", f"{sheet}:6", f"{sheet}:7", f"{sheet}:7", f"{sheet}:9", None],
            "sources": [f"{p1};bank/{ZHANG_ACCOUNT}.csv:10", p2, p3, p4, p5, p6],
        },
        schema_overrides={"ts": TS, "amount": MONEY},
    )
    quarantine = pl.DataFrame(
        {
            "source": ["bank/other.csv", "victims.csv"],
            "source_row": [7, 4],
            "column": ["memo", "account_no"],
            "value": ["=SUM(A1)", "6222 0212 3456 9999"],
            "reason": ["not a number", "duplicate account"],
        },
        schema_overrides={"source_row": pl.Int64},
    )
    units = pl.DataFrame(
        {
            "unit_id": ["G1", "D1", "T1", "T2"],
            "name": ["金盾集团", "一部", "一组", "二组"],
            "kind": ["gang", "department", "group", "group"],
            "parent_id": [None, "G1", "D1", "D1"],
        }
    )
    transfers = pl.concat(
        [
            payments.select(
                pl.col("payment_id").alias("transfer_id"),
                pl.col("from_account").alias("payer_account"),
                pl.col("to_account").alias("payee_account"),
                "ts", "amount", "sources", pl.lit("both").alias("seen_on"),
            ),
            pl.DataFrame(
                {
                    "transfer_id": [f"bank/{CARD_A}.csv:9", f"bank/{CARD_B}.csv:9", f"bank/{CARD_A}.csv:10"],
                    "payer_account": [CARD_A, CARD_B, CARD_A],
                    "payee_account": [ONWARD, ONWARD, ZHANG_ACCOUNT],
                    "ts": [utc(12), utc(12), utc(13)],
                    "amount": [d("10000.00"), d("5000.00"), d("100.00")],
                    "sources": [f"bank/{CARD_A}.csv:9", f"bank/{CARD_B}.csv:9", f"bank/{CARD_A}.csv:10"],
                    "seen_on": ["payer", "payer", "payer"],
                },
                schema_overrides={"ts": TS, "amount": MONEY},
            ),
        ]
    )
    # The pipeline's list of the entries behind each liable amount, as worked out in the module docstring.
    basis = {"D01": ((5, 6, 7, 9), "18345.60"), "D02": ((5, 6), "12345.60"), "D03": ((5, 6), "12345.60"), "D04": ((7,), "5000.00")}
    liable_entries = pl.DataFrame(
        [
            {"defendant_id": who, "entry_id": f"{sheet}:{row}", "basis_entries": len(rows), "basis_amount": d(total)}
            for who, (rows, total) in basis.items()
            for row in rows
        ],
        schema={"defendant_id": pl.String, "entry_id": pl.String, "basis_entries": pl.Int64, "basis_amount": MONEY},
    )
    return {
        "defendants": defendants,
        "victims": victims,
        "entries": entries,
        "payments": payments,
        "quarantine": quarantine,
        "units": units,
        "transfers": transfers,
        "liable_entries": liable_entries,
    }


@pytest.fixture
def summary() -> dict:
    return {
        "case_id": "729-fraud",
        "title": "7·29 跨境电信诈骗案",
        "timezone": "Asia/Shanghai",
        "started": "2023-07-01T10:00:00+08:00",
        "finished": "2023-07-01T10:00:09+08:00",
        "code_version": "0.1.0",
        "totals": {},
        "integrity": {},
        "validation": [{"suite": "entries", "success": True, "failed": 0}],
    }


def section(page: str, section_id: str) -> str:
    """One <section> of report.html (sections do not nest)."""
    start = page.index(f'<section id="{section_id}"')
    return page[start : page.index("</section>", start)]


def header(sheet) -> list:
    return [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1))]


def row_of(sheet, column: int, key: str) -> int:
    for row in sheet.iter_rows(min_row=2):
        if row[column].value == key:
            return row[column].row
    raise AssertionError(f"{key} not found in column {column} of {sheet.title}")


# ---------------------------------------------------------------- workbook


def test_workbook_in_chinese_has_the_sheets_titles_frozen_headers_and_filters(tables, summary, tmp_path):
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "被告人", "被害人", "入金记录", "被害人付款", "剔除数据"]
    defendants = book["被告人"]
    assert header(defendants)[:3] == ["被告人编号", "姓名", "角色"]
    assert header(defendants)[11] == "应担责金额"
    assert header(book["入金记录"])[3] == "时间 (Asia/Shanghai)"
    assert defendants.freeze_panes == "B2"
    assert defendants.auto_filter.ref == "A1:P5"


def test_workbook_money_is_a_number_with_two_places_and_times_are_in_the_case_zone(tables, summary, tmp_path):
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path)
    book = openpyxl.load_workbook(path)
    defendants = book["被告人"]
    d03 = row_of(defendants, 0, "D03")
    liable = defendants.cell(row=d03, column=12)
    assert liable.value == 12345.6
    assert liable.number_format == "#,##0.00"
    assert defendants.cell(row=d03, column=14).value == "数额较大"
    entries = book["入金记录"]
    first = row_of(entries, 0, "deposits/sheet.xlsx:5")
    # 06:00 UTC is 14:00 in Shanghai.
    assert entries.cell(row=first, column=4).value == dt.datetime(2023, 6, 1, 14, 0)
    assert entries.cell(row=row_of(entries, 0, "deposits/sheet.xlsx:6"), column=11).value == "是"


def test_workbook_in_english(tables, summary, tmp_path):
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path, lang="en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Defendants", "Victims", "Entries", "Payments", "Quarantine"]
    assert header(book["Defendants"])[:2] == ["Defendant ID", "Name"]
    assert header(book["Payments"])[2:4] == ["From account", "To account"]
    assert book["Defendants"].cell(row=row_of(book["Defendants"], 0, "D03"), column=14).value == "large"


def test_a_formula_looking_text_stays_text(tables, summary, tmp_path):
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path)
    sheet = openpyxl.load_workbook(path)["剔除数据"]
    cell = sheet.cell(row=row_of(sheet, 0, "bank/other.csv"), column=4)
    assert cell.value == "=SUM(A1)"
    assert cell.data_type == "s"
    assert cell.quotePrefix
    # The raw XML must not hold a formula element either.
    import zipfile

    with zipfile.ZipFile(path) as archive:
        xml = b"".join(archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml


def test_workbook_summary_shows_the_pipelines_totals_and_computes_none(tables, summary, tmp_path):
    # The summary gives two totals; the tables could answer more (19,145.60 of entries, 2
    # quarantined rows) but a report repeats no computation the marts and publish made.
    summary["totals"] = {"validated_amount": "18345.60", "unattributed_amount": "700.00"}
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path, lang="en")
    sheet = openpyxl.load_workbook(path)["Summary"]
    values = {row[0].value: row[1].value for row in sheet.iter_rows() if row[0].value}
    assert values["Validated entries"] == 18345.6
    assert values["Unattributed payments"] == 700.0
    assert "Entries, total amount" not in values and "Quarantined rows" not in values
    assert values["Case ID"] == "729-fraud"
    assert values["large"] == 4


def test_workbook_summary_takes_the_pipeline_totals_when_given(tables, summary, tmp_path):
    summary["totals"] = {
        "entries_total": "19145.60",
        "validated_share": Decimal("0.5"),
        "defendants_by_tier": {"huge": 1, "none": 3},
        "statements_checked": 7,
    }
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path, lang="en")
    sheet = openpyxl.load_workbook(path)["Summary"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows() if row[0].value}
    assert cells["Entries, total amount"].value == 19145.6
    assert cells["Entries, total amount"].number_format == "#,##0.00"
    assert cells["Validated share"].value == 0.5
    assert cells["Validated share"].number_format == "0.00%"
    assert cells["statements_checked"].value == 7
    assert cells["huge"].value == 1 and cells["none"].value == 3 and "large" not in cells


def test_amount_too_long_for_a_double_is_written_as_exact_text(tables, summary, tmp_path):
    big = Decimal("12345678901234.56")
    assert not exact_as_number(big)
    assert exact_as_number(Decimal("9999999999999.99"))
    assert Decimal(repr(float(Decimal("9999999999999.99")))) == Decimal("9999999999999.99")
    tables["defendants"] = tables["defendants"].with_columns(
        pl.when(pl.col("defendant_id") == "D01").then(pl.lit(big, dtype=MONEY)).otherwise(pl.col("liable")).alias("liable")
    )
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path)
    sheet = openpyxl.load_workbook(path)["被告人"]
    assert sheet.cell(row=row_of(sheet, 0, "D01"), column=12).value == "12345678901234.56"


def test_workbook_masks_victims_by_default_and_shows_them_on_request(tables, summary, tmp_path):
    masked, plain = tmp_path / "masked.xlsx", tmp_path / "plain.xlsx"
    write_workbook(tables, summary, masked)
    write_workbook(tables, summary, plain, unmask=True)
    victims = openpyxl.load_workbook(masked)["被害人"]
    assert [c.value for c in victims["B"][1:3]] == ["张*", "李*"]
    assert victims["A4"].value == "unidentified:6228 **** **** 2223"
    payments = openpyxl.load_workbook(masked)["被害人付款"]
    assert payments["C2"].value == "6217 **** **** 3334"
    assert payments["D2"].value == "6222 **** **** 1234"
    assert payments["A2"].value == "bank/6222****1234.csv:3"
    quarantine = openpyxl.load_workbook(masked)["剔除数据"]
    assert quarantine.cell(row=row_of(quarantine, 0, "victims.csv"), column=4).value == "6222 **** **** 9999"
    defendants = openpyxl.load_workbook(masked)["被告人"]
    assert defendants["B2"].value == "王老板"

    victims = openpyxl.load_workbook(plain)["被害人"]
    assert [c.value for c in victims["B"][1:3]] == ["张三", "李四丰"]
    assert openpyxl.load_workbook(plain)["被害人付款"]["C2"].value == ZHANG_ACCOUNT


def test_unknown_language_is_a_usage_error(tables, summary, tmp_path):
    with pytest.raises(ReportLanguageError, match="--lang 'fr'"):
        write_workbook(tables, summary, tmp_path / "report.xlsx", lang="fr")


# One information-sale defendant: 8,000.00 received - 1,500.50 paid upstream = 6,499.50 net gain.
INFO_D09 = pl.DataFrame(
    {
        "defendant_id": ["D09"], "records_passed": [600], "records_valid": [550], "records_unique": [520],
        "records_corroborated": [100], "received": [d("8000.00")], "paid_upstream": [d("1500.50")],
        "net_gain": [d("6499.50")], "tier": ["serious"],
    },
    schema_overrides={"received": MONEY, "paid_upstream": MONEY, "net_gain": MONEY},
)


def test_info_defendants_sheet_appears_when_present(tables, summary, tmp_path):
    tables["info_defendants"] = INFO_D09
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[-2:] == ["信息类被告人", "剔除数据"]
    assert book["信息类被告人"]["H2"].value == 6499.5
    assert book["信息类被告人"]["I2"].value == "情节严重"


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice (soffice) is not on PATH")
def test_libreoffice_converts_the_workbook_to_pdf(tables, summary, tmp_path):
    path = tmp_path / "report.xlsx"
    write_workbook(tables, summary, path)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [office, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (name_expr, "张三", "张*"),
        (name_expr, "张三丰", "张*"),
        (name_expr, " 欧阳娜娜 ", "欧*"),
        (name_expr, None, None),
        (name_expr, "", ""),
        (phone_expr, "13812341234", "138****1234"),
        (phone_expr, "+86 138-1234-5678", "138****5678"),
        (phone_expr, "12345", "****"),
        (id_number_expr, "11010519491231002X", "1101**********002X"),
        (account_expr, "6222021234561234", "6222 **** **** 1234"),
        (account_expr, "6222 0212 3456 1234", "6222 **** **** 1234"),
        (account_expr, "62220212345612345678", "6222 **** **** 5678"),
        (account_expr, "12345678", "****"),
        (victim_id_expr, "unidentified:6222021234561234", "unidentified:6222 **** **** 1234"),
        (victim_id_expr, "V001", "V001"),
        (digit_runs_expr, "bank/6222021234561234.csv:12", "bank/6222****1234.csv:12"),
        (digit_runs_expr, "deposits/2023-06.xlsx:123456", "deposits/2023-06.xlsx:123456"),
    ],
)
def test_masking_rules(rule, value, expected):
    assert mask_one(rule, value) == expected


# ---------------------------------------------------------------- HTML


def test_html_is_self_contained(tables, summary, tmp_path):
    path = tmp_path / "report.html"
    write_html_report(tables, summary, path)
    page = path.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert "<svg" in page and "<style>" in page
    assert 'href="validation/index.html"' in page


def test_html_shows_each_defendant_with_the_exact_liable_amount(tables, summary, tmp_path):
    path = tmp_path / "report.html"
    # The totals as publish gives them: 19,145.60 of entries, 18,345.60 validated (share 0.9582).
    summary["totals"] = {"entries_total": "19145.60", "validated_amount": "18345.60", "validated_share": "0.9582"}
    write_html_report(tables, summary, path, validation_href="validation/index.html")
    page = path.read_text(encoding="utf-8")
    for defendant, liable in [("D01", "18,345.60"), ("D02", "12,345.60"), ("D03", "12,345.60"), ("D04", "5,000.00")]:
        anchor = page.index(f'<details id="d-{int(defendant[1:]) - 1}"')
        block = page[anchor : page.index("</details>", anchor)]
        assert f"<b>{defendant} " in block
        assert f'<b class="liable">{liable}</b>' in block
        assert "✓" in block, f"{defendant}: the listed entries do not add up to the liable amount"
    assert page.count('class="tier tier-large"') >= 4
    # The summary's totals, formatted from the Decimals.
    assert "19,145.60" in page and "95.82%" in page


def test_html_drilldown_reaches_payments_and_source_rows(tables, summary, tmp_path):
    path = tmp_path / "report.html"
    write_html_report(tables, summary, path, unmask=True)
    page = path.read_text(encoding="utf-8")
    start = page.index('<details id="d-3"')  # D04: E3 split over P3 + P4
    block = page[start : page.index("</details>", start)]
    assert "deposits/sheet.xlsx</code> 第 7 行" in block
    assert f"bank/{CARD_B}.csv</code> 第 3 行" in block and f"bank/{CARD_B}.csv</code> 第 4 行" in block
    assert block.count('class="payment"') == 2
    assert "2,500.00" in block
    d03 = page[page.index('<details id="d-2"') :]
    d03 = d03[: d03.index("</details>")]
    # E1's payment was seen on both statements: both source rows are cited.
    assert f"bank/{ZHANG_ACCOUNT}.csv</code> 第 10 行" in d03
    assert "800.00" in d03  # own unvalidated, stated as not counted


def test_html_masks_by_default_and_unmasks_on_request(tables, summary, tmp_path):
    masked, plain = tmp_path / "masked.html", tmp_path / "plain.html"
    write_html_report(tables, summary, masked)
    write_html_report(tables, summary, plain, unmask=True)
    page = masked.read_text(encoding="utf-8")
    for secret in ("张三", "李四丰", CARD_A, ZHANG_ACCOUNT, UNKNOWN_PAYER, ONWARD):
        assert secret not in page
    assert "张*" in page and "6222 **** **** 1234" in page and "王老板" in page
    page = plain.read_text(encoding="utf-8")
    for secret in ("张三", "李四丰", CARD_A, ZHANG_ACCOUNT, UNKNOWN_PAYER, ONWARD):
        assert secret in page


def test_html_org_chart_and_fund_flow_carry_the_amounts(tables, summary, tmp_path):
    path = tmp_path / "report.html"
    write_html_report(tables, summary, path)
    page = path.read_text(encoding="utf-8")
    org = section(page, "org")
    # The department holds T1 (12,345.60) and T2 (5,000.00); the unknown code's 1,000.00 sits outside any unit.
    department = org[org.index('id="u-D1"') :]
    assert "17,345.60" in department[: department.index("</div>")]
    gang = org[org.index('id="u-G1"') :]
    assert "<b>18,345.60</b> (4 笔)" in gang[: gang.index("</div>")]
    assert "1,000.00" in org
    flow = section(page, "flow")
    # Card A took 12,000.00 + 345.60 + 700.00 = 13,045.60 and passed on 10,000.00 and returned 100.00.
    assert "6222 **** **** 1234  收 in 13,045.60 · 出 out 10,100.00" in flow
    assert "6230 **** **** 0123  15,000.00" in flow
    assert "returned to payers  100.00" in flow


def test_reports_of_an_empty_case_are_written(tables, summary, tmp_path):
    empty = {name: frame.clear() for name, frame in tables.items()}
    write_workbook(empty, {}, tmp_path / "report.xlsx")
    write_html_report(empty, {}, tmp_path / "report.html")
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert header(book["入金记录"])[0] == "入金记录编号"
    assert book["入金记录"].max_row == 1
    assert "<h1></h1>" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_many_small_flows_fold_into_others(tables, summary, tmp_path):
    many = pl.DataFrame(
        {
            "payment_id": [f"p.csv:{i}" for i in range(30)],
            "victim_id": [f"V{i:03d}" for i in range(30)],
            "from_account": [f"62170000000000{i:05d}" for i in range(30)],
            "to_account": [CARD_A] * 30,
            "ts": [utc(6)] * 30,
            "amount": [d("10.00")] * 30,
            "status": ["unattributed"] * 30,
            "entry_id": [None] * 30,
            "sources": [f"p.csv:{i}" for i in range(30)],
        },
        schema=tables["payments"].schema,
    )
    tables["payments"] = many
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    flow = section(page, "flow")
    # 30 victims of 10.00 each: the 20 first by id are drawn, 10 fold into one node of 100.00.
    assert "10 others  100.00" in flow
    assert "V019  10.00" in flow and "V020  10.00" not in flow
    assert "6222 **** **** 1234  收 in 300.00 · 出 out 10,100.00" in flow


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_chromium_renders_the_report_offline(tables, summary, tmp_path):
    path = tmp_path / "report.html"
    write_html_report(tables, summary, path)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,2400",
         f"--screenshot={shot}", path.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


# ---------------------------------------------------------------- summary keys, info-sale defendants, times, integrity

EXTRA_TOTALS = {
    "entries_validated": 4,
    "entries_unknown_code": 1,
    "victims_identified": 2,
    "payers_unidentified": 1,
    "statement_rows": 12345,
    "duplicate_rows": 3,
    "info_defendants": 2,
    "workbook_rows_per_sheet": "first 100,000 rows of entries; every row is in the CSV files",
}
INFO_SUMMARY = [
    # net gain 59,546.00 - 32,626.00 = 26,920.00; D02 supplied D01 and passed nothing upstream
    {"defendant_id": "D01", "records_unique": 7800, "records_corroborated": 6528, "received": d("59546.00"),
     "paid_upstream": d("32626.00"), "net_gain": d("26920.00"), "tier": "especially_serious"},
    # as manifest.json holds them: amounts as decimal strings
    {"defendant_id": "D02", "records_unique": 380, "records_corroborated": 0, "received": "4000.50",
     "paid_upstream": "0.00", "net_gain": "4000.50", "tier": "serious"},
]


def visible_text(page: str) -> str:
    body = page[page.index("<body>"): page.index("<script>")]
    return re.sub(r"<[^>]+>", " ", body)


def test_every_total_key_has_a_title_in_both_reports(tables, summary, tmp_path):
    summary["totals"] = dict(EXTRA_TOTALS)
    write_html_report(tables, summary, tmp_path / "report.html")
    text = visible_text((tmp_path / "report.html").read_text(encoding="utf-8"))
    for key in EXTRA_TOTALS:
        assert key not in text, key
    assert "银行流水行数" in text and "Bank statement rows" in text and "12,345" in text
    assert "代号未对应花名册的入金笔数" in text and "信息类被告人数" in text
    for lang in ("zh", "en"):
        write_workbook(tables, summary, tmp_path / f"{lang}.xlsx", lang=lang)
        sheet = openpyxl.load_workbook(tmp_path / f"{lang}.xlsx").worksheets[0]
        first_column = [row[0].value for row in sheet.iter_rows() if row[0].value]
        for key in EXTRA_TOTALS:
            assert key not in first_column, (lang, key)
    en = {row[0].value: row[1].value for row in openpyxl.load_workbook(tmp_path / "en.xlsx").worksheets[0].iter_rows()}
    assert en["Rows per detail sheet in this workbook"] == EXTRA_TOTALS["workbook_rows_per_sheet"]
    assert en["Unidentified paying accounts"] == 1


def test_info_defendants_from_the_summary_show_in_html_and_workbook_summary(tables, summary, tmp_path):
    summary["info_defendants"] = INFO_SUMMARY
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="info-defendants">'):]
    section = section[: section.index("</section>")]
    assert '<a href="#info-defendants">' in page
    assert "情节特别严重" in section and "情节严重" in section
    assert '<td class="num">7,800</td>' in section and '<td class="num">26,920.00</td>' in section
    assert '<td class="num">4,000.50</td>' in section
    # shown before the fraud defendants: in an information-sale case it is the table that matters
    assert page.index('<section id="info-defendants">') < page.index('<section id="defendants">')

    write_workbook(tables, summary, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["汇总"]
    title_row = row_of(sheet, 0, "信息类被告人（有效去重记录与违法所得）")
    header_row = [c.value for c in sheet[title_row + 1][:7]]
    assert header_row == ["被告人编号", "去重记录数", "印证记录数", "收入金额", "支付上游金额", "违法所得", "数额档次"]
    d01 = [c.value for c in sheet[title_row + 2][:7]]
    assert d01 == ["D01", 7800, 6528, 59546.0, 32626.0, 26920.0, "情节特别严重"]
    assert sheet.cell(row=title_row + 2, column=6).number_format == "#,##0.00"
    d02 = [c.value for c in sheet[title_row + 3][:7]]
    assert d02 == ["D02", 380, 0, 4000.5, 0.0, 4000.5, "情节严重"]


def test_info_defendants_table_is_used_when_passed(tables, summary, tmp_path):
    tables["info_defendants"] = INFO_D09
    summary["info_defendants"] = INFO_SUMMARY  # the table is whole; the summary's first rows are not used
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="info-defendants">'):]
    section = section[: section.index("</section>")]
    assert "D09" in section and "D01" not in section
    assert "提供记录数" in section and '<td class="num">6,499.50</td>' in section


def test_html_uses_a_chinese_font_stack_without_web_fonts(tables, summary, tmp_path):
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    stack = re.search(r"body\{font-family:([^;]+);", page).group(1)
    fonts = [f.strip().strip('"') for f in stack.split(",")]
    assert fonts == ["PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
                     "Source Han Sans SC", "WenQuanYi Micro Hei", "sans-serif"]
    assert "@font-face" not in page and "url(" not in page


def test_run_times_are_shown_in_the_case_zone_to_the_second(tables, summary, tmp_path):
    summary["started"] = "2023-07-01T02:00:00+00:00"  # 10:00:00 in Shanghai
    summary["finished"] = dt.datetime(2023, 7, 1, 2, 0, 9, 654321, tzinfo=dt.timezone.utc)
    write_html_report(tables, summary, tmp_path / "report.html")
    header_html = (tmp_path / "report.html").read_text(encoding="utf-8").split("</header>")[0]
    assert "<dd>2023-07-01 10:00:00</dd>" in header_html and "<dd>2023-07-01 10:00:09</dd>" in header_html
    write_workbook(tables, summary, tmp_path / "report.xlsx", lang="en")
    values = {r[0].value: r[1].value for r in openpyxl.load_workbook(tmp_path / "report.xlsx")["Summary"].iter_rows()}
    assert (values["Started"], values["Finished"]) == ("2023-07-01 10:00:00", "2023-07-01 10:00:09")


def integrity_findings() -> list[dict]:
    """Ten findings on two accounts, as the integrity step gives them."""
    findings = []
    for i in range(10):
        account = CARD_A if i % 2 == 0 else CARD_B
        expected = d("10000.00") + i
        missing = d("-1234.50") if i < 8 else d("0.00")
        findings.append({
            "account_no": account,
            "kind": "balance_break" if i < 8 else "statement_gap",
            "rows": f"bank/{account}.csv:{10 + i} → bank/{account}.csv:{11 + i}",
            "expected": expected,
            "actual": expected + missing,
            "missing_amount": missing,
            "detail": f"balance of {account} does not follow from the previous row",
            "stated": None,  # no finding fills it: the column is left out
        })
    return findings


def test_statement_integrity_findings_render_readably_and_masked(tables, summary, tmp_path):
    summary["integrity"] = integrity_findings()
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    block = page[page.index("Statement integrity</small></h3>"):]
    block = block[: block.index("</table>")]
    # one row of figures per finding, and its sentence on a full-width row beneath
    assert block.count('<tr class="finding">') == 10 and block.count('<tr class="detail"><td colspan="6">') == 10
    for title in ("账号", "类型", "所在行", "应为", "实为", "缺失金额", "说明", "Missing amount"):
        assert title in block
    assert block.count("余额断点") == 8 and block.count("流水缺期") == 2
    assert "文件声明" not in block
    # accounts by the account rule, account numbers inside texts by the digit-run rule
    assert '<td class="account">6222 **** **** 1234</td>' in block
    assert '<td class="account">6222 **** **** 7776</td>' in block
    assert "bank/6222****1234.csv:10 → bank/6222****1234.csv:11" in block
    assert "balance of 6222****7776 does not follow" in block
    for secret in (CARD_A, CARD_B):
        assert secret not in block
    # amounts right-aligned with two places: finding 3 expects 10,003.00 and shows 8,768.50
    assert '<td class="num">10,003.00</td><td class="num">8,768.50</td><td class="num">-1,234.50</td>' in block

    assert "statement_integrity.csv" not in page  # all findings listed

    write_html_report(tables, summary, tmp_path / "plain.html", unmask=True)
    assert f'<td class="account">{CARD_A}</td>' in (tmp_path / "plain.html").read_text(encoding="utf-8")


def test_a_cut_list_of_findings_says_where_the_rest_are(tables, summary, tmp_path):
    summary["integrity"] = integrity_findings()
    summary["totals"] = {"integrity_findings": 750}
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Showing the first 10 of 750 rows; the rest are in statement_integrity.csv." in page


def test_statement_integrity_findings_in_the_workbook_summary(tables, summary, tmp_path):
    summary["integrity"] = integrity_findings()
    write_workbook(tables, summary, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["汇总"]
    header_row = row_of(sheet, 0, "账号")
    assert [c.value for c in sheet[header_row][:7]] == ["账号", "类型", "所在行", "应为", "实为", "缺失金额", "说明"]
    first = [c.value for c in sheet[header_row + 1][:7]]
    assert first[:2] == ["6222 **** **** 1234", "余额断点"]
    assert first[3:6] == [10000.0, 8765.5, -1234.5]
    assert sheet.cell(row=header_row + 1, column=6).number_format == "#,##0.00"


def test_a_skipped_suite_says_so_in_both_reports(tables, summary, tmp_path):
    summary["validation"].append({"suite": "info_records", "success": None, "failed": 0})
    write_workbook(tables, summary, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["汇总"]
    assert sheet.cell(row=row_of(sheet, 0, "info_records"), column=2).value == "跳过（本案无此表或无数据）"
    assert sheet.cell(row=row_of(sheet, 0, "entries"), column=2).value == "是"
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    row = page[page.index(">info_records</a>"):]
    assert "skipped" in row[: row.index("</tr>")]


# ---------------------------------------------------------------- workbook row order


def test_workbook_sorts_row_ids_like_the_csv_files(tmp_path):
    import csv

    import duckdb

    from fundtrail.publish import frames, write_table

    con = duckdb.connect()
    con.execute(
        "create table payments as select * from (values ('a.csv:10', 1.00), ('b.csv:1', 2.00), ('a.csv:100', 3.00),"
        " ('a.csv:9', 4.00), ('a.csv:101', 5.00)) as v(payment_id, amount)"
    )
    # quarantine's first column repeats: rows of one file follow their row numbers, 9 before 10
    con.execute(
        "create table quarantine as select * from (values ('x.csv', 10, 'ts', 'bad'), ('x.csv', 9, 'ts', 'bad'),"
        " ('w.csv', 2, 'amount', 'bad')) as v(source, source_row, \"column\", reason)"
    )
    for table in ("payments", "quarantine"):
        write_table(con, table, tmp_path)
    write_workbook(frames(con, ["payments", "quarantine"]), {}, tmp_path / "report.xlsx", lang="en")
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")

    payments = [row[0] for row in book["Payments"].iter_rows(min_row=2, values_only=True)]
    assert payments == ["a.csv:9", "a.csv:10", "a.csv:100", "a.csv:101", "b.csv:1"]
    with (tmp_path / "payments.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [row["payment_id"] for row in csv.DictReader(handle)] == payments

    quarantine = [row[:2] for row in book["Quarantine"].iter_rows(min_row=2, values_only=True)]
    assert quarantine == [("w.csv", 2), ("x.csv", 9), ("x.csv", 10)]
    with (tmp_path / "quarantine.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [(row["source"], int(row["source_row"])) for row in csv.DictReader(handle)] == quarantine


# ---------------------------------------------------------------- page order, case kinds, hooks


def test_the_page_leads_with_the_figures_and_the_defendants(tables, summary, tmp_path):
    summary["integrity"] = integrity_findings()
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    order = ['<section id="totals"', '<section id="defendants"', '<section id="validation"', '<section id="drill"']
    assert [page.index(s) for s in order] == sorted(page.index(s) for s in order)
    headline = section(page, "totals")
    # every defendant is named at the top with the liable amount, under its tier (all four are 'large')
    assert headline.count('class="tier tier-large"') == 1
    for anchor, liable in (("d-0", "18,345.60"), ("d-1", "12,345.60"), ("d-2", "12,345.60"), ("d-3", "5,000.00")):
        assert re.search(rf'<a href="#{anchor}">D0\d [^<]+</a> <b>{liable}</b>', headline), anchor
    # validation and integrity are a line each; their tables are one click away
    validation = section(page, "validation")
    assert "1 expectation suites: 1 passed, 0 failed, 0 skipped." in validation
    assert "10 statement integrity findings." in validation
    assert validation.index("<details") < validation.index('<tr class="finding">')
    assert validation.index("<details") < validation.index(">entries</a>")


def test_failed_suites_are_named_in_the_summary_line(tables, summary, tmp_path):
    summary["validation"] = [
        {"suite": "entries", "success": True, "failed": 0},
        {"suite": "stg_records", "success": False, "failed": 2},
    ]
    write_html_report(tables, summary, tmp_path / "report.html")
    validation = section((tmp_path / "report.html").read_text(encoding="utf-8"), "validation")
    line = validation[: validation.index("<details")]
    assert "2 expectation suites: 1 passed, 1 failed, 0 skipped." in line and ">stg_records</a>" in line
    assert ">entries</a>" not in line
    assert '<a href="validation/index.html">stg_records</a>' in line  # no page named: the index


def test_a_suite_named_with_its_page_links_to_that_page(tables, summary, tmp_path):
    summary["validation"] = [{"suite": "stg_records", "success": False, "failed": 2, "page": "stg_records.html"}]
    write_html_report(tables, summary, tmp_path / "report.html", validation_href="validation/index.html")
    validation = section((tmp_path / "report.html").read_text(encoding="utf-8"), "validation")
    assert validation.count('<a href="validation/stg_records.html">stg_records</a>') == 2  # summary line and table


def test_an_information_sale_case_shows_only_its_own_figures(tables, summary, tmp_path):
    info_case = {name: frame.clear() for name, frame in tables.items()}
    summary["info_defendants"] = INFO_SUMMARY
    # as publish.summary gives them for an information-sale case: fraud counts of zero
    summary["totals"] = {"entries_count": 0, "payments_count": 0, "defendants": 0, "info_defendants": 2,
                         "defendants_by_tier": {"especially_huge": 0, "huge": 0, "large": 0, "none": 0}}
    write_html_report(info_case, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    for fraud in ('<section id="defendants"', '<section id="drill"', '<section id="org"', '<section id="victims"',
                  '<a href="#defendants">', "已核实入金", "Victim payments", "数额特别巨大", "数额较大"):
        assert fraud not in page, fraud
    headline = section(page, "totals")
    assert '<div class="card" data-key="info_defendants"><div class="value">2</div>' in headline
    # the tiers at the top are the information-sale tiers, each defendant with the net gain
    assert "情节特别严重" in headline and "D01 <b>26,920.00</b>" in headline and "D02 <b>4,000.50</b>" in headline
    assert "This run found no deposit entries" not in page


def test_a_fraud_case_with_no_evidence_shows_zeros_and_says_so(tables, summary, tmp_path):
    empty = {name: frame.clear() for name, frame in tables.items()}
    # publish's totals for a run that found nothing
    summary["totals"] = {"entries_count": 0, "entries_total": "0.00", "validated_amount": "0.00",
                         "payments_count": 0, "payments_total": "0.00", "defendants": 0}
    write_html_report(empty, summary, tmp_path / "report.html")
    headline = section((tmp_path / "report.html").read_text(encoding="utf-8"), "totals")
    assert "This run found no deposit entries, victim payments or defendants" in headline
    assert '<div class="card" data-key="validated_amount"><div class="value">0.00</div>' in headline


def test_warnings_head_the_page_masked(tables, summary, tmp_path):
    summary["warnings"] = [{"code": "statement_not_linked", "message": f"bank/{CARD_A}.csv: account {CARD_A} is neither a gang account nor a victim's"}]
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.index('<section id="warnings"') < page.index('<section id="totals"')
    warning = section(page, "warnings")
    assert "bank/6222****1234.csv: account 6222****1234 is neither" in warning and CARD_A not in page
    assert "<code>statement_not_linked</code>" in warning


def test_unvalidated_entries_are_listed_with_their_reasons_in_the_drilldown(tables, summary, tmp_path):
    # E4 (D03's 800.00) found no payment; E5 has no defendant (code ZZ) and belongs to no drill-down
    tables["unvalidated"] = pl.DataFrame(
        {
            "entry_id": ["deposits/sheet.xlsx:8", "deposits/sheet.xlsx:9"],
            "reason": ["taken", "window"],
            "nearest_payment_id": [f"bank/{CARD_A}.csv:5", None],
            "nearest_seconds": [420, None],
            "amount_difference": [d("0.00"), None],
            "taken_by": ["deposits/sheet.xlsx:6", None],
        },
        schema_overrides={"nearest_seconds": pl.Int64, "amount_difference": MONEY, "nearest_payment_id": pl.String, "taken_by": pl.String},
    )
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    d03 = page[page.index('<details id="d-2"'):]
    d03 = d03[: d03.index("</details>")]
    # the reason in Chinese, its code beside it
    assert "<td>付款已配给其他入金<small>taken</small></td>" in d03 and "deposits/sheet.xlsx:6" in d03
    assert "bank/6222****1234.csv:5" in d03 and CARD_A not in d03
    assert '<td class="num">420</td>' in d03 and "800.00" in d03
    assert "超出时间窗口" not in page and "<small>window</small>" not in page  # E5 is nobody's
    d04 = page[page.index('<details id="d-3"'):]
    assert "<small>taken</small>" not in d04[: d04.index("</details>")]


def test_reason_codes_read_in_their_column():
    """``none`` is a tier (未达标准) and also the reason an entry found no payment of its amount."""
    from fundtrail.reports import labels

    assert labels.value_label("zh", "none") == "未达标准"
    assert labels.value_label("zh", "none", "reason") == "无同金额付款"
    assert labels.value_label("zh", "none", "tier") == "未达标准"
    assert [labels.value_label("zh", code, "reason") for code in ("window", "account", "victim", "taken", "rejected")] == [
        "超出时间窗口", "收款账户不符", "付款人不符", "付款已配给其他入金", "复核决定已驳回该配对",
    ]
    assert labels.value_label("en", "window", "reason") == "outside the time window"


def test_where_the_money_went_per_method_with_recoveries(tables, summary, tmp_path):
    tables["endpoints"] = pl.DataFrame(
        {
            "method": ["fifo", "fifo", "fifo", "pro_rata"],
            "account_no": [ONWARD, "6230009999888877771", ONWARD, ONWARD],
            "kind": ["cash_out", "unknown", "cash_out", "cash_out"],
            "origin": [f"bank/{CARD_A}.csv:9", f"bank/{CARD_B}.csv:9", f"bank/{CARD_B}.csv:9", f"bank/{CARD_A}.csv:9"],
            "amount": [d("6000.00"), d("1500.00"), d("2500.00"), d("9999.99")],
        },
        schema_overrides={"amount": MONEY},
    )
    tables["recoveries"] = pl.DataFrame(
        {"account_no": [ONWARD, ONWARD], "victim_id": ["V001", "V002"], "traced": [d("8500.00"), d("1500.00")],
         "pro_rata": [d("7225.00"), d("1275.00")]},
        schema_overrides={"traced": MONEY, "pro_rata": MONEY},
    )
    tables["leads"] = pl.DataFrame(
        {"account_no": [CARD_B, CARD_A], "reason": ["victims", "victims;pass_through"], "victims": [1, 2],
         "amount_in": [d("5000.00"), d("13045.60")], "amount_out": [d("5000.00"), d("10100.00")],
         "passed_on_share": [d("1.00"), d("0.77")]},
        schema_overrides={"victims": pl.Int64, "amount_in": MONEY, "amount_out": MONEY},
    )
    write_html_report(tables, summary, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    money = section(page, "money")
    leads = money[money.index("Leads to follow"):]
    # the account that took the most money comes first
    assert leads.index("6222 **** **** 1234") < leads.index("6222 **** **** 7776") and CARD_B not in page
    assert '<a href="#money">' in page
    # one radio button per method, the first chosen; a CSS rule shows each method's panel
    assert money.count('type="radio" name="method"') == 2 and 'id="method-0" checked' in money
    assert '<label for="method-0">先进先出 <small>fifo</small></label>' in money
    assert "#method-1:checked~.panel-1{display:block}" in page
    fifo = money[money.index('data-method="fifo"'): money.index('data-method="pro_rata"')]
    # fifo: 6,000.00 + 2,500.00 cash out = 8,500.00 over two rows; 1,500.00 unknown; 10,000.00 in all
    assert "traced in total <b>10,000.00</b>" in fifo
    assert '<td class="num">2</td><td class="num">8,500.00</td>' in fifo
    assert "9,999.99" not in fifo
    assert "6230 **** **** 0123" in money and ONWARD not in page and "bank/6222****1234.csv:9" in money
    assert "7,225.00" in money and "1,275.00" in money
    assert "<script src" not in page and "http" not in money


def test_a_cut_table_says_so_in_the_page(tables, summary, tmp_path, monkeypatch):
    from fundtrail.reports import html

    monkeypatch.setattr(html, "MAX_TABLE_ROWS", 2)
    write_html_report(tables, summary, tmp_path / "report.html")
    victims = section((tmp_path / "report.html").read_text(encoding="utf-8"), "victims")
    assert "Showing the first 2 of 3 rows; the rest are in victims.csv." in victims
    assert victims.count("<tr><td>") == 2


def test_warnings_head_the_workbook_summary_masked(tables, summary, tmp_path):
    summary["warnings"] = [{"code": "no_payments", "message": f"no payment found on bank/{CARD_A}.csv"}]
    write_workbook(tables, summary, tmp_path / "report.xlsx", lang="en")
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["Summary"]
    first = [(row[0].value, row[1].value) for row in sheet.iter_rows(max_row=8)]
    at = first.index(("Warnings (the figures should not be trusted as they stand)", None))
    assert first[at + 1] == ("no payment found on bank/6222****1234.csv", "no_payments")
    assert at < row_of(sheet, 0, "Case ID")


def test_workbook_of_an_information_sale_case_counts_its_own_tiers(tables, summary, tmp_path):
    info_case = {name: frame.clear() for name, frame in tables.items()}
    info_case["info_defendants"] = pl.DataFrame(
        {"defendant_id": ["D01", "D02", "D03"], "tier": ["especially_serious", "serious", "serious"]}
    )
    summary["totals"] = {"defendants_by_tier": {"especially_huge": 0, "huge": 0, "large": 0, "none": 0}}
    write_workbook(info_case, summary, tmp_path / "report.xlsx", lang="en")
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["Summary"]
    title = row_of(sheet, 0, "Defendants by tier")
    counts = [(row[0].value, row[1].value) for row in sheet.iter_rows(min_row=title + 2, max_row=title + 3)]
    assert counts == [("especially_serious", 1), ("serious", 2)]
    assert "large" not in [row[0].value for row in sheet.iter_rows()]


def test_tiers_rank_most_serious_first_from_the_seeds():
    from fundtrail.reports import figures

    assert figures.TIER_ORDER == ("especially_huge", "huge", "large", "especially_serious", "serious", "none")
    assert sorted(["none", "mystery", "serious", "huge"], key=figures.tier_key) == ["huge", "serious", "none", "mystery"]
