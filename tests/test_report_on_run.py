"""The reports of a real run agree with its CSV tables to the cent (issue 6).

Runs the pure pipeline on the hand-made fixture once, then reads report.html
and report.xlsx the way a reviewer would: from each defendant's liable amount
to the entries behind it, to the payments and source rows.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import REPO
from fundtrail.pipeline import run_case
from fundtrail.reports.mask import digit_runs_expr, mask_one, victim_id_expr

FIXTURE = REPO / "data" / "fixture-fraud"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report-run") / "out"
    run_case(FIXTURE, out)
    return out


def table(out: Path, name: str) -> list[dict]:
    with (out / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def drilldown(page: str, defendant_id: str) -> str:
    blocks = re.findall(r'<details id="d-\d+" class="drill">(.*?)</details>', page, flags=re.S)
    [block] = [b for b in blocks if re.search(rf"<summary><b>{defendant_id} ", b)]
    return block


def test_every_liable_amount_leads_to_entries_that_add_up_to_it(run):
    page = (run / "report.html").read_text(encoding="utf-8")
    entries = {row["entry_id"]: row for row in table(run, "entries")}
    for defendant in table(run, "defendants"):
        block = drilldown(page, defendant["defendant_id"])
        shown_liable = re.search(r'<b class="liable">([\d,.]+)</b>', block).group(1)
        assert money(shown_liable) == Decimal(defendant["liable"])
        listed = re.findall(r'<tr class="entry"><td><code>([^<]+)</code>', block)
        assert sum(Decimal(entries[entry_id]["amount"]) for entry_id in listed) == Decimal(defendant["liable"])
        for entry_id in listed:
            assert entries[entry_id]["status"] == "validated"
            for payment_id in entries[entry_id]["payment_ids"].split(";"):
                assert f"↳ <code>{payment_id}</code>" in block
                file, row = payment_id.rsplit(":", 1)
                assert f"<code>{file}</code> 第 {row} 行" in block


def test_victims_are_masked_by_default_and_shown_on_request(run, tmp_path):
    masked = (run / "report.html").read_text(encoding="utf-8")
    assert "张三" not in masked and "6217000000000011" not in masked
    assert "6217 **** **** 0011" in masked

    unmasked_out = tmp_path / "unmasked"
    run_case(FIXTURE, unmasked_out, unmask=True)
    unmasked = (unmasked_out / "report.html").read_text(encoding="utf-8")
    assert "张三" in unmasked and "6217000000000011" in unmasked


def test_workbook_defendants_sheet_equals_the_csv(run):
    book = openpyxl.load_workbook(run / "report.xlsx", read_only=True)
    sheet = next(ws for ws in book.worksheets if ws.title.startswith("被告人"))
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    liable_col = next(i for i, title in enumerate(header) if title and "应担责" in str(title))
    by_id = {row[0]: row[liable_col] for row in body if row[0]}
    for defendant in table(run, "defendants"):
        assert Decimal(str(by_id[defendant["defendant_id"]])).quantize(Decimal("0.01")) == Decimal(defendant["liable"])


def test_reports_load_nothing_from_the_network(run):
    page = (run / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    for doc in (run / "validation").glob("*.html"):
        assert "http://" not in doc.read_text(encoding="utf-8") and "https://" not in doc.read_text(encoding="utf-8")


def test_workbook_rows_are_in_the_csv_order(run):
    # payments of card1_gbk.csv run :4, :5, :6, :10, :11: sorted as text, :10 and :11 would come first
    book = openpyxl.load_workbook(run / "report.xlsx", read_only=True)
    sheets = {"被告人": "defendants", "被害人": "victims", "入金记录": "entries", "被害人付款": "payments", "剔除数据": "quarantine"}
    for title, name in sheets.items():
        rows = list(book[title].iter_rows(min_row=2, values_only=True))
        # the id, and for quarantine (whose first column repeats) the source row as well
        width = 2 if name == "quarantine" else 1
        shown = [tuple(str(value) for value in row[:width]) for row in rows if row[0] is not None]
        rule = victim_id_expr if name == "victims" else digit_runs_expr  # the workbook is masked
        expected = [
            (mask_one(rule, values[0]), *values[1:width]) for values in (list(r.values()) for r in table(run, name))
        ]
        assert shown == expected, name
