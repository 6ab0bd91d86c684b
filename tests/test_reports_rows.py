"""The drill-down's evidence rows, made in polars (reports/rows.py), on the values worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from fundtrail.reports import rows


def _entries(**columns) -> pl.DataFrame:
    base = {
        "entry_id": ["e1"], "source": [None], "source_row": [None], "ts": [None], "amount": [Decimal("1.00")],
        "member_code": ["m"], "defendant_id": ["d"], "victim_id": ["v"], "ambiguous": [False], "candidates": [1],
    }
    base.update(columns)
    height = len(next(iter(columns.values()))) if columns else 1
    frame = {k: (v * height if len(v) == 1 else v) for k, v in base.items()}
    return pl.DataFrame(frame, schema_overrides={
        "source": pl.String, "source_row": pl.Int64, "ts": pl.Datetime("us"), "amount": pl.Decimal(18, 2),
        "ambiguous": pl.Boolean, "candidates": pl.Int64,
    })


def _cells(row: str) -> list[str]:
    return row.removeprefix('<tr class="entry"><td>').removesuffix("</td></tr>\n").split("</td><td")


def test_amounts_and_counts_are_grouped_by_thousands():
    amounts = [Decimal("-1234567.89"), Decimal("0.50"), Decimal("-0.01"), Decimal("999.00"), Decimal("1000.00"), None]
    counts = [1234, -1000, None, 0, 999, 1_000_000]
    made = rows.entry_rows(_entries(amount=amounts, candidates=counts)).to_list()
    shown = [(_cells(r)[2], _cells(r)[6]) for r in made]
    assert shown == [
        (' class="num">-1,234,567.89', ">1,234"),
        (' class="num">0.50', ">-1,000"),
        (' class="num">-0.01', ">"),
        (' class="num">999.00', ">0"),
        (' class="num">1,000.00', ">999"),
        (' class="num">', ">1,000,000"),
    ]


def test_source_lines_split_each_posting_at_its_last_colon_and_escape():
    cited = ["a.csv:12;b:c.csv:7", ":5", "x<y&z", "a:", "", "q'\"s.csv:1>"]
    made = rows.payment_rows(pl.DataFrame({
        "payment_id": ["p"] * len(cited), "ts": [dt.datetime(2023, 6, 1, 9, 5, 7)] * len(cited),
        "amount": pl.Series([Decimal("5.00")] * len(cited), dtype=pl.Decimal(18, 2)),
        "from_account": ["f"] * len(cited), "to_account": ["t<"] * len(cited), "victim_id": [None] * len(cited),
        "sources": cited,
    })).to_list()
    assert made[0] == (
        '<tr class="payment"><td>↳ <code>p</code></td><td>2023-06-01 09:05:07</td><td class="num">5.00</td>'
        '<td colspan="2">f → t&lt;</td><td></td><td></td>'
        "<td><code>a.csv</code> 第 12 行 row<br><code>b:c.csv</code> 第 7 行 row</td></tr>\n"
    )
    lines = [r.rsplit("<td>", 1)[1].removesuffix("</td></tr>\n") for r in made]
    assert lines[1:] == [
        "<code>:5</code>",
        "<code>x&lt;y&amp;z</code>",
        "<code>a</code> 第  行 row",
        "",
        "<code>q&#39;&#34;s.csv</code> 第 1&gt; 行 row",
    ]


def test_an_entry_row_cites_its_file_and_row_else_its_id():
    made = rows.entry_rows(_entries(
        entry_id=["a&b.csv:3", "z.csv:9"], source=["s.csv", None], source_row=[4, None], ambiguous=[True, None],
    )).to_list()
    assert made[0] == (
        '<tr class="entry"><td><code>a&amp;b.csv:3</code></td><td></td><td class="num">1.00</td><td>m</td>'
        "<td>d</td><td>v</td><td>⚠ 1</td><td><code>s.csv</code> 第 4 行 row</td></tr>\n"
    )
    assert _cells(made[1])[6] == ">1" and made[1].endswith("<td><code>z.csv</code> 第 9 行 row</td></tr>\n")
