"""Canonical columns of every source kind (case-format.md, "Kinds and canonical columns").

This table is the single statement of the input contract: the loader checks
headers against it, parses each column by its type, and the staging SQL
selects exactly these columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["text", "ts", "date", "money", "direction"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False


KINDS: dict[str, tuple[Column, ...]] = {
    "bank_statement": (
        Column("account_no", "text", True),
        Column("account_name", "text"),
        Column("ts", "ts", True),
        Column("amount", "money", True),
        Column("direction", "direction"),
        Column("balance", "money"),
        Column("counterparty_account", "text"),
        Column("counterparty_name", "text"),
        Column("txn_ref", "text"),
        Column("currency", "text"),
        Column("memo", "text"),
    ),
    "deposit_sheet": (
        Column("ts", "ts", True),
        Column("amount", "money", True),
        Column("member_code", "text", True),
        Column("receiving_account", "text"),
        Column("victim_ref", "text"),
        Column("entry_ref", "text"),
    ),
    "payment_ledger": (
        Column("ts", "ts", True),
        Column("payer", "text", True),
        Column("payee", "text", True),
        Column("amount", "money", True),
        Column("entry_ref", "text"),
        Column("memo", "text"),
    ),
    "roster": (
        Column("defendant_id", "text", True),
        Column("name", "text", True),
        Column("role", "text", True),
        Column("unit_id", "text", True),
        Column("member_code", "text"),
        Column("valid_from", "date", True),
        Column("valid_to", "date"),
    ),
    "units": (
        Column("unit_id", "text", True),
        Column("name", "text", True),
        Column("kind", "text", True),
        Column("parent_id", "text"),
    ),
    "victims": (
        Column("victim_id", "text", True),
        Column("name", "text", True),
        Column("account_no", "text", True),
        Column("reported_loss", "money"),
    ),
    "gang_accounts": (
        Column("account_no", "text", True),
        Column("holder_name", "text"),
    ),
    "accounts": (
        Column("account_no", "text", True),
        Column("holder_id", "text", True),
        Column("holder_name", "text"),
    ),
    "records": (
        Column("seller_id", "text", True),
        Column("buyer_id", "text", True),
        Column("ts", "ts", True),
        Column("name", "text"),
        Column("phone", "text"),
        Column("id_number", "text"),
        Column("category", "text"),
        Column("batch_ref", "text"),
    ),
    "frozen": (
        Column("account_no", "text", True),
        Column("amount", "money", True),
        Column("ts", "ts", True),
        Column("authority_ref", "text"),
    ),
    # rules.md §9: one row per review decision. Which ids an action needs is checked when the
    # decisions are applied (a malformed decision is reported stale), not at loading.
    "decisions": (
        Column("action", "text", True),
        Column("entry_id", "text"),
        Column("payment_ids", "text"),
        Column("row_id", "text"),
        Column("reason", "text", True),
        Column("decided_by", "text", True),
        Column("decided_at", "ts"),
    ),
}
DECISION_ACTIONS = ("reject", "link", "confirm", "exclude")

ROLES = ("financier", "shareholder", "leader", "staff", "support")
LIABILITY_BASES = ("own", "unit", "gang")
UNIT_KINDS = ("gang", "department", "group")
RECORD_CATEGORIES = (
    "whereabouts",
    "communication",
    "credit",
    "property",
    "accommodation",
    "communication_records",
    "health",
    "transaction",
    "other",
)
CURRENCY_ALIASES = {"CNY", "RMB", "人民币", "¥", "￥", "元"}


def column(kind: str, name: str) -> Column:
    for col in KINDS[kind]:
        if col.name == name:
            return col
    raise KeyError(f"{kind} has no column {name}")


def required_columns(kind: str) -> list[str]:
    return [c.name for c in KINDS[kind] if c.required]
