"""The long, repeated rows of report.html, written outside the templates: the drill-downs' evidence rows (in polars, a column at a time) and table bodies (in Python).

A 20,000-file case lists tens of thousands of evidence rows (up to 500
entries for each of up to 1,000 defendants, each with its payments and
source rows) and thousands of table rows; as Jinja loops with a macro per
cell and per source line they cost about a million template calls, most of
the report's time, and as Python loops over each value still a second. The
markup here is the one those loops wrote, row for row
(``sections/drilldowns.html`` and the ``table`` macro of ``macros.html``
show what these functions make where the loops were); every value is
escaped exactly as the autoescaping templates escape it (markupsafe's
rules), so the page is the same.
"""

from __future__ import annotations

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


def entry_rows(entries: pl.DataFrame) -> pl.Series:
    """Each (masked) entry's evidence row, in its order, one line each; made in polars, a column at a time.

    The cells are what the drill-down's loop wrote: texts escaped (``esc``), the time as text, the
    amount and count with thousands separators (``money``, ``cell_text``), each empty for no value.
    """
    cited = (
        pl.when(_given(entries, "source").fill_null("") != "")
        .then(pl.format("{}:{}", _given(entries, "source"), _given(entries, "source_row").cast(pl.String).fill_null("None")))
        .otherwise(pl.col("entry_id"))
    )
    flag = pl.when(pl.col("ambiguous")).then(pl.lit("⚠ ")).otherwise(pl.lit(""))
    row = pl.concat_str(
        pl.lit('<tr class="entry"><td><code>'), _shown("entry_id"), pl.lit("</code></td><td>"), _time("ts"),
        pl.lit('</td><td class="num">'), money_texts(entries, "amount"), pl.lit("</td><td>"), _shown("member_code"),
        pl.lit("</td><td>"), _shown("defendant_id"), pl.lit("</td><td>"), _shown("victim_id"), pl.lit("</td><td>"),
        flag, _count_text(entries, "candidates"), pl.lit("</td><td>"), _source_lines(cited), pl.lit("</td></tr>\n"),
    )
    return entries.select(row.alias("row")).to_series()


def payment_rows(payments: pl.DataFrame) -> pl.Series:
    """Each (masked) payment's row under the entry it was matched to, in its order, made as ``entry_rows``."""
    row = pl.concat_str(
        pl.lit('<tr class="payment"><td>↳ <code>'), _shown("payment_id"), pl.lit("</code></td><td>"), _time("ts"),
        pl.lit('</td><td class="num">'), money_texts(payments, "amount"), pl.lit('</td><td colspan="2">'),
        _shown("from_account"), pl.lit(" → "), _shown("to_account"), pl.lit("</td><td>"), _shown("victim_id"),
        pl.lit("</td><td></td><td>"), _source_lines(_given(payments, "sources")), pl.lit("</td></tr>\n"),
    )
    return payments.select(row.alias("row")).to_series()


def _shown(name: str) -> pl.Expr:
    return _escaped(pl.col(name).cast(pl.String)).fill_null("")


def _escaped(text: pl.Expr) -> pl.Expr:
    """``esc`` of each text."""
    for char, entity in ESCAPES:
        text = text.str.replace_all(char, entity, literal=True)
    return text


def _time(name: str) -> pl.Expr:
    return pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S").fill_null("")


def _given(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column a caller's table may lack (a test's entries without ``source``): then empty."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String).alias(name)


def _grouped(digits: pl.Expr) -> pl.Expr:
    """Unsigned digits with a comma between each group of three from the right (``1234567`` → ``1,234,567``)."""
    return digits.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.strip_suffix(",").str.reverse()


def _signed_grouped(text: pl.Expr) -> pl.Expr:
    negative = text.str.starts_with("-")
    return pl.concat_str(pl.when(negative).then(pl.lit("-")).otherwise(pl.lit("")), _grouped(text.str.strip_prefix("-")))


def money_texts(frame: pl.DataFrame, name: str) -> pl.Expr:
    """``money`` of each amount of ``frame``'s column ``name``: polars writes a two-place Decimal's exact digits, grouped here; other
    types (a test's amounts of another scale, say, which ``money`` rounds) go through ``money`` itself."""
    dtype = frame.schema[name]
    if not (isinstance(dtype, pl.Decimal) and dtype.scale == 2):
        return pl.col(name).map_elements(money, return_dtype=pl.String, skip_nulls=False)
    parts = pl.col(name).cast(pl.String).str.split_exact(".", 1)
    return pl.concat_str(_signed_grouped(parts.struct[0]), pl.lit("."), parts.struct[1]).fill_null("").alias(name)


def _count_text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """``cell_text`` of each count: an integer's digits grouped by thousands; other types through ``cell_text``."""
    if not frame.schema[name].is_integer():
        return pl.col(name).map_elements(cell_text, return_dtype=pl.String, skip_nulls=False)
    return _signed_grouped(pl.col(name).cast(pl.String)).fill_null("")


# A posting of a file and a row: everything before its last colon (at least one character) and after it.
_POSTING = r"(?s)^(.+):([^:]*)$"


def _source_lines(posting_ids: pl.Expr) -> pl.Expr:
    """``source_lines`` of each text of postings, in polars."""
    posting = pl.element()
    file, row = posting.str.extract(_POSTING, 1), posting.str.extract(_POSTING, 2)
    line = (
        pl.when(file.is_not_null())
        .then(pl.concat_str(pl.lit("<code>"), _escaped(file), pl.lit("</code> 第 "), _escaped(row), pl.lit(" 行 row")))
        .otherwise(pl.concat_str(pl.lit("<code>"), _escaped(posting), pl.lit("</code>")))
    )
    lines = posting_ids.str.split(";").list.eval(line).list.join("<br>")
    return pl.when(posting_ids.fill_null("") == "").then(pl.lit("")).otherwise(lines)


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
