"""Masking of personal data in the reports (both workbook and HTML), as polars expressions.

Masked by default, shown only with ``unmask=True`` (the CLI's ``--unmask``):

- victims' names: the first character and one star, whatever the length
  (``张三`` and ``张三丰`` → ``张*``), so the length does not narrow the person down;
- phone numbers: first 3 and last 4 digits (``138****1234``), after
  dropping spaces, dashes and a ``+86``/``0086`` prefix;
- ID numbers: first 4 and last 4 characters around ten stars;
- account numbers, every account in every table, victims' and the gang's
  receiving cards alike: first 4 and last 4 (``6222 **** **** 1234``). The
  gang's cards are masked too because a receiving card is often a bought or
  borrowed card of an uninvolved person, and the reader identifies a card
  well enough by its ends;
- values shorter than the kept parts become ``****`` entirely;
- ``unidentified:<account>`` victim ids keep the prefix and mask the account;
- row ids (``<file>:<row>``), file names, posting lists and raw quarantined
  values: any run of 9 or more digits becomes its first 4 and last 4 digits
  around ``****``, because statement exports are commonly named after the
  account. A quarantined value of a name, account, phone or ID column is
  masked by that column's rule. (Roster names rejected into quarantine are
  masked too: quarantine does not say which kind a row came from.)

Defendants' names are never masked: they are the accused, named in the
indictment, and the prosecutor's workbook must name them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

UNIDENTIFIED = "unidentified:"
ACCOUNT_GAP = " **** **** "
ID_GAP = "*" * 10
LONG_DIGITS = r"(\d{4})\d+(\d{4})"
AMOUNT_TEXT = r"[+-]?[0-9]+\.[0-9]{2}"

NAME_COLUMNS = ("name", "account_name", "counterparty_name", "holder_name")
ACCOUNT_COLUMNS = (
    "account_no",
    "counterparty_account",
    "receiving_account",
    "from_account",
    "to_account",
    "payer_account",
    "payee_account",
    "payer",
    "payee",
)
PHONE_COLUMNS = ("phone",)
ID_NUMBER_COLUMNS = ("id_number",)
VICTIM_ID_COLUMNS = ("victim_id", "victim_ref")
ROW_ID_COLUMNS = ("entry_id", "payment_id", "transfer_id", "source", "sources", "payment_ids")


def _keep_ends(value: pl.Expr, head: int, gap: str, tail: int) -> pl.Expr:
    return (
        pl.when(value.str.len_chars() > head + tail)
        .then(pl.concat_str(value.str.slice(0, head), pl.lit(gap), value.str.slice(-tail)))
        .otherwise(pl.lit("****"))
    )


def _blank_stays(value: pl.Expr, masked: pl.Expr) -> pl.Expr:
    return pl.when(value.is_null() | (value == "")).then(value).otherwise(masked)


def name_expr(value: pl.Expr) -> pl.Expr:
    trimmed = value.str.strip_chars()
    return _blank_stays(trimmed, pl.concat_str(trimmed.str.slice(0, 1), pl.lit("*")))


def phone_expr(value: pl.Expr) -> pl.Expr:
    digits = value.str.replace_all(r"[\s\-]", "").str.replace(r"^(\+86|0086)", "")
    return _blank_stays(digits, _keep_ends(digits, 3, "****", 4))


def id_number_expr(value: pl.Expr) -> pl.Expr:
    compact = value.str.replace_all(r"\s", "")
    return _blank_stays(compact, _keep_ends(compact, 4, ID_GAP, 4))


def account_expr(value: pl.Expr) -> pl.Expr:
    compact = value.str.replace_all(r"\s", "")
    return _blank_stays(compact, _keep_ends(compact, 4, ACCOUNT_GAP, 4))


def victim_id_expr(value: pl.Expr) -> pl.Expr:
    account = value.str.strip_prefix(UNIDENTIFIED)
    return (
        pl.when(value.str.starts_with(UNIDENTIFIED))
        .then(pl.concat_str(pl.lit(UNIDENTIFIED), account_expr(account)))
        .otherwise(value)
    )


def digit_runs_expr(value: pl.Expr) -> pl.Expr:
    return value.str.replace_all(LONG_DIGITS, "${1}****${2}")


def quarantine_value_expr(column: pl.Expr, value: pl.Expr) -> pl.Expr:
    return (
        pl.when(column.is_in(NAME_COLUMNS))
        .then(name_expr(value))
        .when(column.is_in(ACCOUNT_COLUMNS))
        .then(account_expr(value))
        .when(column.is_in(PHONE_COLUMNS))
        .then(phone_expr(value))
        .when(column.is_in(ID_NUMBER_COLUMNS))
        .then(id_number_expr(value))
        .when(column.is_in(VICTIM_ID_COLUMNS))
        .then(victim_id_expr(value))
        .otherwise(digit_runs_expr(value))
    )


def _column_rule(table: str, column: str):
    if column in ROW_ID_COLUMNS:
        return digit_runs_expr
    if column in VICTIM_ID_COLUMNS:
        return victim_id_expr
    if column in ACCOUNT_COLUMNS:
        return account_expr
    if column in PHONE_COLUMNS:
        return phone_expr
    if column in ID_NUMBER_COLUMNS:
        return id_number_expr
    if column == "name" and table == "victims":
        return name_expr
    return None


def mask_table(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every personal column of ``table`` masked; other columns untouched."""
    exprs = []
    for column, dtype in frame.schema.items():
        if dtype != pl.String:
            continue
        rule = _column_rule(table, column)
        if table == "quarantine" and column == "value" and "column" in frame.columns:
            exprs.append(quarantine_value_expr(pl.col("column"), pl.col("value")).alias("value"))
        elif rule is not None:
            exprs.append(rule(pl.col(column)).alias(column))
    return frame.with_columns(exprs) if exprs else frame


def mask_tables(tables: dict[str, pl.DataFrame], unmask: bool) -> dict[str, pl.DataFrame]:
    if unmask:
        return dict(tables)
    return {name: mask_table(name, frame) for name, frame in tables.items()}


# What mask_one and mask_ahead found, by (rule, value): the reports mask the same accounts and file names
# in every finding and drill-down line. Emptied when it grows past the limit.
_MASKED: dict[tuple[Any, str], str] = {}
MASKED_KEPT = 1 << 17


def mask_one(rule, value: str | None) -> str | None:
    """Apply one of the ``*_expr`` rules to a single value (summary lines, tests); cached (``mask_ahead``)."""
    if value is None:
        return _masked_values(rule, [None])[0]
    found = _MASKED.get((rule, value))
    if found is None:
        found = _masked_values(rule, [value])[0]
        _remember(rule, [value], [found])
    return found


def mask_ahead(rule, values: Iterable[str]) -> None:
    """Mask with one polars query every text of ``values`` not masked before, for mask_one to find:
    a report about to mask hundreds of findings one by one asks for them all first."""
    fresh = [v for v in dict.fromkeys(values) if (rule, v) not in _MASKED]
    if fresh:
        _remember(rule, fresh, _masked_values(rule, fresh))


def _remember(rule, values: list[str], masked: list[str]) -> None:
    if len(_MASKED) + len(values) > MASKED_KEPT:
        _MASKED.clear()
    _MASKED.update(((rule, v), m) for v, m in zip(values, masked, strict=True))


def _masked_values(rule, values: list[str | None]) -> list[str | None]:
    """The rule applied to each value, in one polars query."""
    return pl.select(rule(pl.Series(values, dtype=pl.String))).to_series().to_list()


# Tables whose ``name`` is a defendant's (never masked, see above) rather than a victim's or a holder's.
DEFENDANT_TABLES = ("defendants", "stg_roster", "roster_periods", "roster_conflicts", "info_defendants")


def mask_row(table: str, row: dict) -> dict:
    """One row of ``table`` as a dict, masked for the validation report and manifest.json (always masked).

    Each column takes its rule above; a name column is masked in every table
    but the defendants'; any other text keeps only the ends of its runs of
    nine or more digits, so an account number in an unexpected column (a
    memo, an id, an error message) is cut too.
    """
    return {column: _mask_value(table, column, value, mask_one) for column, value in row.items()}


def _mask_value(table: str, column: str, value: object, apply: Callable[[Any, str], str]) -> object:
    """``value`` (a text, or a list of them) with each text's rule applied by ``apply(rule, text)``."""
    if isinstance(value, list):
        return [_mask_value(table, column, v, apply) for v in value]
    if not isinstance(value, str):
        return value
    rule = _rule_for(table, column, value)
    return value if rule is None else apply(rule, value)


def mask_rows(table: str, rows: list[dict]) -> list[dict]:
    """``mask_row`` of each row, each rule applied once to all the values it masks (one polars
    query per rule, not per value: manifest.json masks the paths of tens of thousands of files)."""
    wanted: dict = {}  # rule -> the distinct values it masks (a dict keeps their order)
    for row in rows:
        for column, value in row.items():
            _collect(table, column, value, wanted)
    masked = {}
    for rule, values in wanted.items():
        texts = list(values)
        masked[rule] = dict(zip(texts, _masked_values(rule, texts), strict=True))
    def looked_up(rule: Any, text: str) -> str:
        return masked[rule][text]

    return [{column: _mask_value(table, column, value, looked_up) for column, value in row.items()} for row in rows]


def _rule_for(table: str, column: str, value: str):
    """The rule that masks this text, or None when it stays as it is."""
    if column in NAME_COLUMNS and table not in DEFENDANT_TABLES:
        return name_expr
    rule = _column_rule(table, column)
    if rule is None and re.fullmatch(AMOUNT_TEXT, value):
        return None  # an amount written out (Decimal as text), not an identifier
    return rule or digit_runs_expr


def _collect(table: str, column: str, value: object, wanted: dict) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(table, column, item, wanted)
    elif isinstance(value, str):
        rule = _rule_for(table, column, value)
        if rule is not None:
            wanted.setdefault(rule, {})[value] = None
