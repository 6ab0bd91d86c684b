"""Writes chat/d01_wechat.xlsx, the clerk's chat export (see EXPECTED.md, source A).

Run from anywhere: ``python data/fixture-info/make_xlsx.py``. The generated
file is committed; this script is how a reviewer can see exactly what is in it.
Times are real spreadsheet date-time cells (naive, read in the case timezone).
Phones and ID numbers are text cells, as a chat export holds them: an 18-digit
ID as a number cell would lose its last digits, and a phone written with
spaces or a +86 prefix is text anyway.
"""

from datetime import datetime
from pathlib import Path

import xlsxwriter

HEADER = ["seller_id", "buyer_id", "ts", "name", "phone", "id_number", "category", "batch_ref"]


def d(day: int, hour: int, minute: int) -> datetime:
    return datetime(2023, 6, day, hour, minute)


# Sheet rows 2.. in order; the comment names the record of EXPECTED.md.
ROWS = [
    # D02 hands records to the clerk D01 (upstream of the chain)
    ("D02", "D01", d(1, 9, 0), "周一", "13910000001", "", "whereabouts", "D02-1"),  # 2  P1
    ("D02", "D01", d(1, 9, 1), "周二", "13910000002", "", "whereabouts", "D02-1"),  # 3  P2
    ("D02", "D01", d(1, 9, 2), "周三", "13910000003", "", "whereabouts", "D02-1"),  # 4  P3
    ("D02", "D01", d(1, 9, 3), "周四", "13910000004", "", "whereabouts", "D02-1"),  # 5  P4
    ("D02", "D01", d(1, 9, 4), "周五", "13910000005", "", "whereabouts", "D02-1"),  # 6  P5
    ("D02", "D01", d(1, 9, 5), "周六", "13910000006", "", "whereabouts", "D02-1"),  # 7  P6
    ("D02", "D01", d(2, 9, 0), "周七", "13910000007", "", "whereabouts", "D02-2"),  # 8  P7
    ("D02", "D01", d(2, 9, 1), "周八", "13910000008", "", "whereabouts", "D02-2"),  # 9  P8
    ("D02", "D01", d(2, 9, 2), "周三", "139 1000 0003", "", "whereabouts", "D02-2"),  # 10 P3 again
    ("D02", "D01", d(2, 9, 3), "周九", "1391000009", "", "whereabouts", "D02-2"),  # 11 invalid: 10 digits
    # D01 sells to the studio S01, first batch
    ("D01", "S01", d(3, 20, 0), "刘芳", "138 0013 8000", "", "whereabouts", "S01-0603"),  # 12 Q1
    ("D01", "S01", d(3, 20, 1), "张敏", "", "11010519491231002X", "whereabouts", "S01-0603"),  # 13 Q2
    ("D01", "S01", d(3, 20, 2), "何丽", "0086 13700001111", "", "health", "S01-0603"),  # 14 Q3
    ("D01", "S01", d(3, 20, 3), "林娟", "15000002222", "440304199001011233", "whereabouts", "S01-0603"),  # 15 Q4
    ("D01", "S01", d(3, 20, 4), "马兰", "15100003333", "", "whereabouts", "S01-0603"),  # 16 Q5
    ("D01", "S01", d(3, 20, 5), "黄蓉", "15200004444", "320102198503150414", "health", "S01-0603"),  # 17 Q6
    ("D01", "S01", d(3, 20, 6), "杨柳", "15300005555", "330106198807070016", "health", "S01-0603"),  # 18 Q7
    ("D01", "S01", d(3, 20, 7), "朱红", "12345678901", "420106198706210033", "whereabouts", "S01-0603"),  # 19 Q8
    ("D01", "S01", d(3, 20, 8), "秦月", "1380013800", "", "whereabouts", "S01-0603"),  # 20 R1
    ("D01", "S01", d(3, 20, 9), "许诺", "138001380001", "110105194912310021", "whereabouts", "S01-0603"),  # 21 R2
    ("D01", "S01", d(3, 20, 10), "张某", "", "", "whereabouts", "S01-0603"),  # 22 R3
    ("D01", "S01", d(3, 20, 11), "韩梅", "", "110105491231002", "whereabouts", "S01-0603"),  # 23 R4
    ("D01", "S01", d(3, 20, 12), "曹丹", "15500006666", "", "education", "S01-0603"),  # 24 Q9
    # D01 sells to S01 again: five of D02's records and two repeats
    ("D01", "S01", d(10, 21, 0), "周一", "13910000001", "", "whereabouts", "S01-0610"),  # 25 P1
    ("D01", "S01", d(10, 21, 1), "周二", "13910000002", "", "whereabouts", "S01-0610"),  # 26 P2
    ("D01", "S01", d(10, 21, 2), "周三", "13910000003", "", "whereabouts", "S01-0610"),  # 27 P3
    ("D01", "S01", d(10, 21, 3), "周四", "13910000004", "", "whereabouts", "S01-0610"),  # 28 P4
    ("D01", "S01", d(10, 21, 4), "周五", "13910000005", "", "whereabouts", "S01-0610"),  # 29 P5
    ("D01", "S01", d(10, 21, 5), "马兰", "151-0000-3333", "", "whereabouts", "S01-0610"),  # 30 Q5 again
    ("D01", "S01", d(10, 21, 6), "黄蓉", "152 0000 4444", "510107199211082829", "health", "S01-0610"),  # 31 Q6 again
    # D01 sells to a second buyer, the insurance agent S02
    ("D01", "S02", d(12, 19, 0), "周一", "13910000001", "", "whereabouts", "S02-0612"),  # 32 P1
    ("D01", "S02", d(12, 19, 1), "马兰", "15100003333", "", "whereabouts", "S02-0612"),  # 33 Q5
    ("D01", "S02", d(12, 19, 2), "沈冰", "15600007777", "", "health", "S02-0612"),  # 34 Q10
]


def main() -> None:
    target = Path(__file__).resolve().parent / "chat" / "d01_wechat.xlsx"
    workbook = xlsxwriter.Workbook(target)
    # A fixed creation date keeps the file byte-identical when regenerated.
    workbook.set_properties({"created": datetime(2023, 6, 30)})
    sheet = workbook.add_worksheet("聊天记录")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for col, title in enumerate(HEADER):
        sheet.write_string(0, col, title)
    for row, (seller, buyer, ts, name, phone, id_number, category, batch) in enumerate(ROWS, start=1):
        sheet.write_string(row, 0, seller)
        sheet.write_string(row, 1, buyer)
        sheet.write_datetime(row, 2, ts, when)
        sheet.write_string(row, 3, name)
        if phone:
            sheet.write_string(row, 4, phone)
        if id_number:
            sheet.write_string(row, 5, id_number)
        sheet.write_string(row, 6, category)
        sheet.write_string(row, 7, batch)
    workbook.close()


if __name__ == "__main__":
    main()
