"""The one Jinja2 environment of every fundtrail HTML page (report.html and the validation report).

Autoescaped: every value reaches the page escaped, so no Python code escapes
by hand. The templates share ``base.html`` (page shell, inline ``report.css``),
``macros.html`` (cells, tables, badges, cut notes), the filters below and
``rows.py`` (table rows, tier badges and evidence rows, written outside the
templates for speed with these filters, or in polars as they do), so a
number, an amount or an empty cell looks the same on every page. A page is
written as the template makes it (``write``), never held whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from fundtrail.reports import figures, labels

TEMPLATES = Path(__file__).parent / "templates"
# Row numbers are shown without thousands separators: row 1234 is a row, not an amount.
PLAIN_NUMBER_COLUMNS = ("source_row", "before_row", "after_row")


@functools.cache
def environment() -> jinja2.Environment:
    from fundtrail.reports import rows  # rows writes cells with this module's filters

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # The templates ship with the package: no need to look at their files again on every use.
        auto_reload=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=figures.money, share=figures.share, cell=cell_text, plain=plain_cell, percent=percent, json=json_text
    )
    env.tests.update(numeric=numeric)
    env.globals.update(
        col_zh=lambda c: labels.column_title("zh", c),
        col_en=lambda c: labels.column_title("en", c),
        total_zh=lambda k: labels.summary_label("zh", k),
        total_en=lambda k: labels.summary_label("en", k),
        value_zh=value_zh,
        table_rows=rows.table_rows,
        tier_badge=lambda tier: Markup(rows.tier_badge(tier)),
    )
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def write(template: str, path: Path, **values: Any) -> None:
    """The page ``render`` gives, written to ``path`` as UTF-8 piece by piece as the template makes it:
    a 20 MB page is never one text (twice that as Python holds it) nor one run of bytes."""
    with open(path, "w", encoding="utf-8") as page:
        page.writelines(environment().get_template(template).generate(**values))


def numeric(value: Any) -> bool:
    return isinstance(value, (Decimal, int)) and not isinstance(value, bool)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return figures.money(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def plain_cell(value: Any, column: str) -> str:
    return str(value) if column in PLAIN_NUMBER_COLUMNS and numeric(value) else cell_text(value)


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def percent(part: int, whole: int) -> str:
    """``5`` of ``6`` → ``83.33%``; a dash when there is nothing to take a share of."""
    return f"{part / whole:.2%}" if whole else "—"


def value_zh(value: Any, column: str | None = None) -> str:
    """A code in Chinese (as it means in ``column``); a list of codes (``leader;staff``: two roles
    over time) word by word."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "；".join(labels.value_label("zh", part, column) for part in value.split(";"))
    return labels.value_label("zh", value, column)
