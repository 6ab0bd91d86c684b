"""report.html's traced fund flow (victims → cards → layers → end points) and one victim's path, per method.

One small case (tests/sqlcase.py) worked out by hand, times 2023-06-01 Shanghai:

    GANG (a card): V1 pays 1,000.00 (09:00); pays LAYER_1 500.00 (10:00); V2 pays 1,000.00 (11:00);
      pays LAYER_1 600.00 (12:00); pays V2 back 100.00 (12:30, a return).
    LAYER_1: pays LAYER_2 550.00 (13:00); withdraws 200.00 in cash (14:00, no counterparty).
    LAYER_2: pays ONWARD 300.00 (14:30; ONWARD has no statement); frozen at 15:00 (250.00).

fifo: GANG pays V1 500 (10:00), then V1 500 + V2 100 (12:00), V2 100 back to V2 (12:30: not_obtained
at the victim's own account, drawn as `returned`) and keeps V2 800 (held). LAYER_1
holds V1 500, V1 500, V2 100; pays V1 500 + V1 50 to LAYER_2 (hop 2), V1 200 in cash, keeps V1 250
and V2 100 (held). LAYER_2 holds V1 500, V1 50; pays V1 300 to ONWARD (hop 3, not_obtained),
and V1 200 + V1 50 are frozen. End points: held 800 + 350 = 1,150.00, cash 200.00, not_obtained
300.00, returned 100.00, frozen 250.00 (2,000.00 in all). Layers: GANG 0, LAYER_1 1, LAYER_2 2; ONWARD is not
traced, so the link into it is drawn to not_obtained.

pro_rata (followed at account level with a lot budget of 0): GANG pays V1 500 (10:00), then 600 of
V1 500 + V2 1,000 (12:00): V1 200, V2 400 (the return at 12:30 takes from what stays in GANG); LAYER_1 holds V1 700, V2 400 and pays half to LAYER_2
(V1 350, V2 200); LAYER_2 pays out 300 of its 550 and the 250 left is frozen in the proportion
350 : 200: V1 159.0909…, V2 90.9090… → V1 159.09, V2 90.91 (the one fen left to the larger
remainder, V2's .909). libr finds no `other` money anywhere, so it takes what pro_rata takes: the
`traced` recovery (libr's lots at the freeze) and the `pro_rata` one (the 350 : 200 that arrived) are
both V1 159.09, V2 90.91.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
from sqlcase import GANG, LAYER_1, LAYER_2, ONWARD, VICTIM_A, VICTIM_B, build_case, rows, statement

from fundtrail import publish, sqlrun, trace
from fundtrail.reports import html, write_html_report, write_workbook

CASE = {
    "victims": [
        {"victim_id": "V1", "name": "张三", "account_no": VICTIM_A},
        {"victim_id": "V2", "name": "李四", "account_no": VICTIM_B},
    ],
    "gang_accounts": [{"account_no": GANG}],
    "bank_statement": [
        statement(GANG, "2023-06-01 09:00:00+08", "1000.00", VICTIM_A, source="card.csv"),
        statement(GANG, "2023-06-01 10:00:00+08", "-500.00", LAYER_1, source="card.csv"),
        statement(GANG, "2023-06-01 11:00:00+08", "1000.00", VICTIM_B, source="card.csv"),
        statement(GANG, "2023-06-01 12:00:00+08", "-600.00", LAYER_1, source="card.csv"),
        statement(GANG, "2023-06-01 12:30:00+08", "-100.00", VICTIM_B, source="card.csv"),
        statement(LAYER_1, "2023-06-01 10:00:00+08", "500.00", GANG, source="l1.csv"),
        statement(LAYER_1, "2023-06-01 12:00:00+08", "600.00", GANG, source="l1.csv"),
        statement(LAYER_1, "2023-06-01 13:00:00+08", "-550.00", LAYER_2, source="l1.csv"),
        statement(LAYER_1, "2023-06-01 14:00:00+08", "-200.00", None, source="l1.csv"),
        statement(LAYER_2, "2023-06-01 13:00:00+08", "550.00", LAYER_1, source="l2.csv"),
        statement(LAYER_2, "2023-06-01 14:30:00+08", "-300.00", ONWARD, source="l2.csv"),
    ],
    "frozen": [{"account_no": LAYER_2, "amount": "250.00", "ts": "2023-06-01 15:00:00+08"}],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The case traced with pro_rata and libr at account level (lot budget 0); the page and the database."""
    tmp = tmp_path_factory.mktemp("trace_report")
    con, case, _ = build_case(tmp, CASE)
    trace.build_tracing(con, case, lot_budget=0)
    out = tmp / "report"
    out.mkdir()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    names = ["victims", "payments", "endpoints", "recoveries", "trace_flow", "trace_victim_paths", "trace_grain"]
    write_html_report(publish.frames(con, names), {"case_id": "t", "timezone": "Asia/Shanghai"}, out / "report.html")
    yield (out / "report.html").read_text(encoding="utf-8"), con
    con.close()


def _panel(page: str, method: str) -> str:
    start = page.index(f'data-method="{method}"', page.index('<section id="flow"'))
    return page[start:page.index("</svg>", start)]


def _labels(panel: str) -> list[str]:
    return re.findall(r'<text class="label"[^>]*>([^<]*)</text>', panel)


def _paths(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="path-data">(.*?)</script>', page, re.S).group(1))


def test_flow_diagram_shows_every_layer_and_end_point_kind_with_the_hand_figures(report):
    page, _ = report
    fifo = _panel(page, "fifo")
    headings = re.findall(r'<text class="col"[^>]*>([^<]*)</text>', fifo)
    assert headings == ["被害人 victims", "收款卡 receiving cards", "第 1 层 layer 1", "第 2 层 layer 2", "终点 end points"]
    labels = _labels(fifo)
    assert "V1  1,000.00" in labels and "V2  1,000.00" in labels
    assert "6222 **** **** 0001  2,000.00" in labels  # the card: in 2,000.00, out 1,100.00 + 100.00 + held 800.00
    assert "6230 **** **** 0101  1,100.00" in labels  # LAYER_1: in 1,100.00 = 550 + 200 + 350
    assert "6230 **** **** 0102  550.00" in labels
    kinds = (["cash"], ["platform"], ["not_obtained"], ["returned"], ["frozen"], ["held"], ["max_hops"], ["dust"])
    assert [label for label in labels if label.split()[-2:-1] in kinds] == [
        "取现 cash  200.00", "流水未调取 not_obtained  300.00", "返还付款人 returned  100.00", "已冻结 frozen  250.00",
        "留存账户 held  1,150.00",
    ]
    # accounts without a statement past the card are their end kind, not nodes (ONWARD, V2's own account)
    assert ONWARD not in page and "0777" not in fifo and "0022" not in fifo
    assert "按账户汇总追踪" not in page[page.index('data-method="fifo"'):page.index('data-method="lifo"')]


def test_a_method_at_account_level_says_so_in_the_diagram(report):
    page, _ = report
    for method in ("pro_rata", "libr"):
        start = page.index(f'data-method="{method}"', page.index('<section id="flow"'))
        assert "pooled:victims" in page[start:page.index("<svg", start)], method
    assert "已冻结 frozen  250.00" in _labels(_panel(page, "pro_rata"))


def test_victim_drill_down_lists_the_path_hop_by_hop_per_method(report):
    page, _ = report
    data = _paths(page)
    assert [m["method"] for m in data["methods"]] == ["fifo", "lifo", "pro_rata", "libr"]
    assert {m["method"]: m["grain"] for m in data["methods"]} == {
        "fifo": "lot", "lifo": "lot", "pro_rata": "account", "libr": "account"}
    first = data["victims"][0]  # V1 and V2 lost 1,000.00 each: the lower victim_id first
    assert (first["id"], first["net_loss"], first["traced"], first["pro_rata"]) == ("V1", "1,000.00", "159.09", "159.09")
    fifo = first["methods"]["fifo"]
    card, layer_1, layer_2 = "6222 **** **** 0001", "6230 **** **** 0101", "6230 **** **** 0102"
    assert [(hop, frm, to, ts, amount) for hop, frm, to, ts, amount, _ in fifo["moves"]] == [
        (0, "6217 **** **** 0011", card, "2023-06-01 09:00:00", "1,000.00"),
        (1, card, layer_1, "2023-06-01 10:00:00", "500.00"),
        (1, card, layer_1, "2023-06-01 12:00:00", "500.00"),
        (2, layer_1, layer_2, "2023-06-01 13:00:00", "500.00"),  # one outflow's parts: the larger first
        (2, layer_1, layer_2, "2023-06-01 13:00:00", "50.00"),
        (3, layer_2, "6230 **** **** 0777", "2023-06-01 14:30:00", "300.00"),
    ]
    assert [(account, kind, amount) for account, kind, _, amount in fifo["ends"]] == [
        ("6230 **** **** 0777", "not_obtained", "300.00"),
        (layer_1, "held", "250.00"),
        (layer_2, "frozen", "250.00"),
        (layer_1, "cash", "200.00"),
    ]
    assert (fifo["ends_total"], fifo["ends_amount"]) == (4, "1,000.00")
    pooled = first["methods"]["pro_rata"]  # account level: the payment, then the pool; per victim only where frozen
    assert [(hop, to, amount) for hop, _, to, _, amount, _ in pooled["moves"]] == [(0, card, "1,000.00")]
    assert [(account, kind, amount) for account, kind, _, amount in pooled["ends"]] == [(layer_2, "frozen", "159.09")]
    assert (first["pooled_in"], first["pool_share"]) == ("2,000.00", "50.00%")  # V1's 1,000.00 of the victims' 2,000.00


def test_drill_down_is_bounded_to_the_largest_losses_and_steps(report):
    _, con = report
    sqlrun.set_parameters(con, {"report_victims": 1, "report_victim_steps": 2})
    con.execute("drop table trace_victim_paths")
    sqlrun.build(con, ["trace_victim_paths"])
    got = rows(con, "select victim_id, method, step, step_no, amount, steps_total, amount_total from trace_victim_paths "
                    "where method = 'fifo' order by step desc, step_no")
    assert got == [
        ("V1", "fifo", "move", 1, Decimal("1000.00"), 6, Decimal("2850.00")),
        ("V1", "fifo", "move", 2, Decimal("500.00"), 6, Decimal("2850.00")),
        ("V1", "fifo", "end", 1, Decimal("300.00"), 4, Decimal("1000.00")),
        ("V1", "fifo", "end", 2, Decimal("250.00"), 4, Decimal("1000.00")),
    ]
    sqlrun.set_parameters(con, {"report_victims": trace.REPORT_VICTIMS, "report_victim_steps": trace.REPORT_VICTIM_STEPS})


def test_small_flows_are_folded_per_layer_with_their_count_and_amount():
    # 20 victims paying 100.00 × i into one card: the 15 largest are named, V01..V05 (100 + 200 + 300
    # + 400 + 500 = 1,500.00) are one node; the card keeps all 21,000.00 (held).
    links = [("fifo", -1, f"V{i:02d}", 0, "6222000000000001", False, Decimal(100 * i)) for i in range(1, 21)]
    links.append(("fifo", 0, "6222000000000001", None, "held", True, Decimal("21000.00")))
    frame = pl.DataFrame(links, schema={"method": pl.String, "source_layer": pl.Int64, "source": pl.String,
                                        "target_layer": pl.Int64, "target": pl.String, "target_is_end": pl.Boolean,
                                        "amount": pl.Decimal(38, 2)}, orient="row")
    flow = html._traced_flow({"trace_flow": frame}, html._Masker(unmask=True))
    (fifo,) = flow["methods"]
    assert fifo["folded"] == [("被害人 victims", 5, Decimal("1500.00"))]
    texts = [n["text"] for n in fifo["svg"]["nodes"]]
    assert "其他 5 个 · 5 others  1,500.00" in texts
    assert "V06  600.00" in texts and "V05  500.00" not in texts
    assert "留存账户 held  21,000.00" in texts


def test_workbook_has_the_recoveries_sheet(report, tmp_path):
    _, con = report
    tables = publish.frames(con, ["defendants", "victims", "entries", "payments", "quarantine", "recoveries"])
    write_workbook(tables, {"case_id": "t", "timezone": "Asia/Shanghai"}, tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert "冻结款分配" in book.sheetnames
    sheet = book["冻结款分配"]
    got = [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=2)]
    # LAYER_2's 250.00 under both allocations: V1 159.09, V2 90.91 (masked account, as every sheet)
    assert got == [("6230 **** **** 0102", "V1", 159.09, 159.09), ("6230 **** **** 0102", "V2", 90.91, 90.91)]
