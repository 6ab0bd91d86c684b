"""Writes deposit/sheet2.xlsx, the fixture's second deposit sheet (see EXPECTED.md).

Run from anywhere: ``python data/fixture-fraud/make_xlsx.py``. The generated
file is committed; this script is how a reviewer can see exactly what is in it.
Times are real spreadsheet date-time cells (naive, read in the case timezone),
amounts are number cells, account numbers are text cells (16 digits would lose
precision as numbers). A notes sheet comes first so that `sheet = "入金"` in
case.toml is what selects the data.
"""

from datetime import datetime
from pathlib import Path

import xlsxwriter

CARD2 = "6222000022220002"
HEADER = ["ts", "amount", "member_code", "receiving_account", "victim_ref", "entry_ref"]
ROWS = [
    # sheet row 2: entry A of the greedy trap (candidates: card2_part1 rows 4 and 5)
    (datetime(2023, 6, 1, 10, 2, 0), 3000, "S3", CARD2, "", "X-01"),
    # sheet row 3: entry B of the greedy trap (candidate: card2_part1 row 4 only)
    (datetime(2023, 6, 1, 9, 35, 0), 3000, "M6", CARD2, "", "X-02"),
    # sheet row 4: Q8's one validated entry, in T2 on 06-01
    (datetime(2023, 6, 1, 11, 30, 0), 800, "Q8", CARD2, "", "X-03"),
    # sheet row 5: unknown code
    (datetime(2023, 6, 2, 12, 0, 0), 1500, "ZZ9", CARD2, "", "X-04"),
    # sheet row 6: two candidate payments (ambiguous)
    (datetime(2023, 6, 2, 14, 0, 0), 2500, "M6", CARD2, "", "X-05"),
    # sheet row 7: the large one
    (datetime(2023, 6, 2, 15, 0, 0), 480000, "K7", CARD2, "", "X-06"),
    # sheet row 8: names victim V3, but the only 1200.00 payment came from an unidentified account
    (datetime(2023, 6, 2, 16, 0, 0), 1200, "S3", CARD2, "V3", "X-07"),
]


def main() -> None:
    target = Path(__file__).resolve().parent / "deposit" / "sheet2.xlsx"
    workbook = xlsxwriter.Workbook(target)
    # A fixed creation date keeps the file byte-identical when regenerated.
    workbook.set_properties({"created": datetime(2023, 6, 3)})
    notes = workbook.add_worksheet("说明")
    notes.write_string(0, 0, "入金表（北京时间）：第二张表，数据在「入金」工作表")
    sheet = workbook.add_worksheet("入金")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    money = workbook.add_format({"num_format": "0.00"})
    for col, title in enumerate(HEADER):
        sheet.write_string(0, col, title)
    for row, (ts, amount, code, account, victim, ref) in enumerate(ROWS, start=1):
        sheet.write_datetime(row, 0, ts, when)
        sheet.write_number(row, 1, amount, money)
        sheet.write_string(row, 2, code)
        sheet.write_string(row, 3, account)
        if victim:
            sheet.write_string(row, 4, victim)
        sheet.write_string(row, 5, ref)
    workbook.close()


if __name__ == "__main__":
    main()
