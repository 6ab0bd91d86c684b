"""The long, repeated rows of report.html, written in Python: the drill-downs' evidence rows and table bodies.

A 20,000-file case lists tens of thousands of evidence rows (up to 500
entries for each of up to 1,000 defendants, each with its payments and
source rows) and thousands of table rows; as Jinja loops with a macro per
cell and per source line they cost about a million template calls, most of
the report's time. The markup here is the one those loops wrote, row for
row (``sections/drilldowns.html`` and the ``table`` macro of
``macros.html`` call these functions where the loops were); every value is
escaped exactly as the autoescaping templates escape it (markupsafe's
rules), so the page is the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl
from markupsafe import Markup, escape

from fundtrail.reports.figures import money
from fundtrail.reports.templating import cell_text, numeric, plain_cell, value_zh

ESCAPES = (("&", "&amp;"), (">", "&gt;"), ("<", "&lt;"), ("'", "&#39;"), ('"', "&#34;"))  # markupsafe's, in its order


def esc(value: Any) -> str:
    """``{{ value }}`` of an autoescaping template: markupsafe's replacements, done on the text directly."""
    if type(value) is str:
        for char, entity in ESCAPES:
            value = value.replace(char, entity)
        return value
    return str(escape(value))


def entry_values(entries: pl.DataFrame) -> pl.DataFrame:
    """What ``entry_row`` shows of each (masked) entry, in its order: texts escaped and times as text (a
    column at a time, not a value at a time), both empty for no value; the row it was read from as it is."""
    cited = (
        pl.when(_given(entries, "source").fill_null("") != "")
        .then(pl.format("{}:{}", _given(entries, "source"), _given(entries, "source_row").cast(pl.String).fill_null("None")))
        .otherwise(pl.col("entry_id"))
    )
    return entries.select(
        _shown("entry_id"), _time("ts"), "amount", _shown("member_code"), _shown("defendant_id"), _shown("victim_id"),
        "ambiguous", "candidates", cited,
    )


def payment_values(payments: pl.DataFrame) -> pl.DataFrame:
    """What ``entry_row`` shows of each (masked) payment, in its order, prepared as ``entry_values``."""
    return payments.select(
        _shown("payment_id"), _time("ts"), "amount", _shown("from_account"), _shown("to_account"), _shown("victim_id"),
        _given(payments, "sources"),
    )


def _shown(name: str) -> pl.Expr:
    column = pl.col(name).cast(pl.String)
    for char, entity in ESCAPES:
        column = column.str.replace_all(char, entity, literal=True)
    return column.fill_null("")


def _time(name: str) -> pl.Expr:
    return pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S").fill_null("")


def _given(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column a caller's table may lack (a test's entries without ``source``): then empty."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String).alias(name)


def entry_row(entry: Sequence, payments: Iterable[Sequence]) -> str:
    """An entry's evidence row (``entry_values``), then a row per payment it was matched to (``payment_values``);
    each row ends its line. Money and counts are our own digits: nothing to escape."""
    entry_id, ts, amount, member_code, defendant_id, victim_id, ambiguous, candidates, cited = entry
    parts = [
        f'<tr class="entry"><td><code>{entry_id}</code></td><td>{ts}</td><td class="num">{money(amount)}</td>'
        f'<td>{member_code}</td><td>{defendant_id}</td><td>{victim_id}</td>'
        f'<td>{"⚠ " if ambiguous else ""}{cell_text(candidates)}</td><td>{source_lines(cited)}</td></tr>\n'
    ]
    for payment_id, paid_at, paid, from_account, to_account, payer, sources in payments:
        parts.append(
            f'<tr class="payment"><td>↳ <code>{payment_id}</code></td><td>{paid_at}</td><td class="num">{money(paid)}</td>'
            f'<td colspan="2">{from_account} → {to_account}</td><td>{payer}</td><td></td><td>{source_lines(sources)}</td></tr>\n'
        )
    return "".join(parts)


def source_lines(posting_ids: str | None) -> str:
    """``a.csv:12;b.csv:7`` → each posting's file and row, one per line; a posting without a row number as it is."""
    if not posting_ids:
        return ""
    lines = []
    for posting in posting_ids.split(";"):
        file, _, row = posting.rpartition(":")
        lines.append(f"<code>{esc(file)}</code> 第 {esc(row)} 行 row" if file else f"<code>{esc(posting)}</code>")
    return "<br>".join(lines)


def table_rows(table: Any, row_tier: bool = False) -> Markup:
    """The body rows of an ``html._Table``, one line each; ``row_tier`` gives each row its tier's class."""
    special = table.special
    columns = [(c, special.get(c)) for c in table.columns]
    lines = []
    for row in table.rows:
        cells = "".join([_cell(c, row[c], kind, row) for c, kind in columns])
        opening = f'<tr class="tier-row-{esc(row["tier"])}">' if row_tier else "<tr>"
        lines.append(f"{opening}{cells}</tr>\n")
    return Markup("".join(lines))


def tier_badge(tier: str | None) -> str:
    return "" if tier is None else f'<span class="tier tier-{esc(tier)}">{esc(value_zh(tier))} <small>{esc(tier)}</small></span>'


def _cell(column: str, value: Any, kind: str | None, row: dict[str, Any]) -> str:
    """A cell as its column's kind shows it (``html._Table.special``): a tier badge, a code with its Chinese word,
    a link to a drill-down; otherwise by its type (a number right-aligned)."""
    if kind == "tier":
        return f"<td>{tier_badge(value)}</td>"
    if kind == "coded":
        zh = value_zh(value, column)
        return f"<td>{esc(zh)}<small>{esc(value)}</small></td>" if value and zh != value else f"<td>{esc(zh)}</td>"
    if kind == "defendant":
        return f'<td><a href="#{esc(row["_anchor"])}">{esc(value)}</a></td>'
    if kind == "liable":
        return f'<td class="num liable"><a href="#{esc(row["_anchor"])}">{esc(money(value))}</a></td>'
    if numeric(value):
        return f'<td class="num">{esc(plain_cell(value, column))}</td>'
    return f"<td>{esc(cell_text(value))}</td>"
