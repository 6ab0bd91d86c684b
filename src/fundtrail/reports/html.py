"""report.html: one self-contained page for prosecutors, auditors and the court.

Rendered from the Jinja2 templates in ``templates/`` (autoescaped: every
value reaches the page escaped, so no section escapes by hand). This module
only shapes data: each ``_section`` function below takes the tables, cuts
them at the limit named beside it, masks the rows it keeps and hands plain
values to its template; the templates decide the markup, but for the rows
there are thousands of (table bodies, the drill-downs' evidence rows), which
``rows.py`` writes with the same escaping. The page goes to its file piece
by piece as the template makes it; the evidence rows, most of its 20 MB at
20,000 files, stay in polars until their piece is written (``_Rows``).

No network: the CSS, the few lines of JavaScript and every diagram (inline
SVG) are in the file, and no URL is referenced except ``validation_href``, a
relative link to the validation report (validation/index.html) beside it.

Order of the page, what a prosecutor reads first at the top: the warnings;
the case's headline figures with the defendants by tier and their liable
amounts (every other total one click away); the information-sale
defendants; the defendants table; validation and statement integrity as one
line each, the detail one click away; one drill-down per defendant, from the
liable amount to the entries it is made of (``liable_entries``: the
pipeline's list of the entries behind each liable amount, cut at the first
rows per defendant, with the full count and sum), to the payments each
entry was matched to, to the source file and row of each; the organisation
chart; the fund flow; where the money went (when tracing tables are given);
victims; quarantined rows.

An information-sale case (information-sale defendants and no deposit
entries, payments or fraud defendants) shows only its own figures: no fraud
cards, no fraud defendants table of zeros, no organisation chart. A run that
found nothing at all shows the fraud figures as zeros with a sentence saying
so, rather than an empty page.

Every amount shown is formatted from its Decimal (``12,345.60``); floats are
used only for diagram geometry.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from markupsafe import Markup

from fundtrail import messages
from fundtrail.reports import figures, labels, mask, templating
from fundtrail.reports.mask import account_expr, digit_runs_expr, mask_ahead, mask_one, mask_table, victim_id_expr
from fundtrail.reports.rows import entry_rows, money_texts, payment_rows
from fundtrail.reports.templating import cell_text, numeric, plain_cell

# Limits of what the page lists; the CSV named in each cut note holds every row.
MAX_DRILL_ENTRIES = 500  # entries behind one liable amount (the pipeline passes as many)
MAX_UNVALIDATED_ENTRIES = 200  # one defendant's unvalidated entries with their reasons
MAX_TABLE_ROWS = 1000  # defendants, victims, information-sale defendants
MAX_QUARANTINE_ROWS = 200
MAX_HEADLINE_PER_TIER = 12  # defendants named per tier at the top; the rest are in the table below
MAX_ENDPOINTS = 50  # where-the-money-went rows per method
FLOW_NODES_PER_LAYER = 20
OTHERS = "\x00others"
# The column naming whose liable amount an entry is listed under (entries have a defendant_id of their own).
LIABLE_OF = "\x00liable_of"
RETURNED = "\x00returned"

FRAUD_HEADLINE = ("validated_amount", "validated_share", "entries_total", "payments_total", "victims", "defendants")
INFO_HEADLINE = ("info_defendants",)
FRAUD_KEYS = (
    "entries_count", "entries_total", "validated_amount", "unvalidated_amount", "validated_share",
    "payments_count", "payments_total", "unattributed_amount", "victims", "defendants",
    "entries_validated", "entries_unknown_code", "victims_identified", "payers_unidentified",
)
INFO_KEYS = ("info_defendants",)
INTEGRITY_MONEY = ("expected", "actual", "expected_balance", "actual_balance", "missing_amount")
DEFENDANT_COLUMNS_FIRST = ("defendant_id", "name", "role", "liable", "tier", "liable_basis", "unit_ids", "codes", "entries", "victims")


def write_html_report(
    tables: dict[str, pl.DataFrame],
    summary: dict[str, Any],
    path: Path,
    unmask: bool = False,
    validation_href: str = "validation/index.html",
) -> None:
    raw = {name: figures.in_case_time(frame, summary.get("timezone")) for name, frame in tables.items()}
    shown = _Masker(unmask)
    case = _CaseKind.of(raw, summary)
    defendants = raw.get("defendants", pl.DataFrame())
    anchors = {d: f"d-{i}" for i, d in enumerate(defendants.get_column("defendant_id").to_list())} if defendants.height else {}
    info = figures.info_defendants(raw, summary)
    templating.write(
        "report.html",
        path,
        title=str(summary.get("title") or summary.get("case_id") or ""),
        unmask=unmask,
        validation_href=validation_href,
        facts=_facts(summary),
        warnings=_warnings(summary, shown),
        headline=_headline(raw, summary, case, anchors, info),
        info=_info_defendants(info),
        defendants=_defendants(raw, anchors) if case.fraud else None,
        validation=_validation(summary, shown, validation_href),
        drilldowns=_drilldowns(raw, anchors, shown),
        org=_org_chart(raw, anchors) if case.fraud else None,
        flow=None if "trace_flow" in raw and raw["trace_flow"].height else _fund_flow(raw, shown),
        traced_flow=_traced_flow(raw, shown),
        paths=_victim_paths(raw, shown),
        money=_money_went(raw, shown),
        victims=_plain_table(raw, "victims", shown) if case.fraud else None,
        quarantine=_quarantine(raw, shown),
    )


class _Masker:
    """Masks the rows about to be shown; joins and sums run on the real values, so two masked values never merge."""

    def __init__(self, unmask: bool) -> None:
        self.unmask = unmask

    def table(self, name: str, frame: pl.DataFrame) -> pl.DataFrame:
        return frame if self.unmask else mask_table(name, frame)

    def account(self, value: str) -> str:
        return value if self.unmask else mask_one(account_expr, value)

    def victim(self, value: str) -> str:
        return value if self.unmask else mask_one(victim_id_expr, value)

    def text(self, value: str) -> str:
        return value if self.unmask else mask_one(digit_runs_expr, value)

    def ahead(self, rule: Any, values: Iterable[str]) -> None:
        """Values about to be masked one by one by ``rule``, masked together first (``mask.mask_ahead``)."""
        if not self.unmask:
            mask_ahead(rule, values)

    def loose_table(self, name: str, frame: pl.DataFrame) -> pl.DataFrame:
        """A table mask.py has no rules for (the tracing and unvalidated hooks): its rules where a column has one,
        and every other text keeps only the ends of its long digit runs (row ids name statement files after accounts)."""
        if self.unmask:
            return frame
        masked = mask_table(name, frame)
        return masked.with_columns(digit_runs_expr(pl.col(c)).alias(c) for c, dtype in masked.schema.items() if dtype == pl.String)


@dataclass(frozen=True)
class _CaseKind:
    """Which evidence the case holds: fraud (entries, payments, defendants) and/or information sale."""

    fraud: bool
    info: bool

    @staticmethod
    def of(raw: dict[str, pl.DataFrame], summary: dict[str, Any]) -> _CaseKind:
        given = summary.get("totals") or {}
        fraud = any(raw.get(t) is not None and raw[t].height > 0 for t in ("entries", "payments", "defendants")) or any(
            _positive(given.get(k)) for k in ("entries_count", "payments_count", "defendants")
        )
        info = figures.info_defendants(raw, summary) is not None or _positive(given.get("info_defendants"))
        # A run that found nothing keeps the fraud figures, as zeros that say so.
        return _CaseKind(fraud=fraud or not info, info=info)

    def shows(self, key: str) -> bool:
        return (self.fraud or key not in FRAUD_KEYS) and (self.info or key not in INFO_KEYS)


def _positive(value: Any) -> bool:
    try:
        return value is not None and Decimal(str(value)) > 0
    except ArithmeticError:
        return False


def _sum(frame: pl.DataFrame, column: str = "amount") -> Decimal:
    total = frame.get_column(column).sum() if frame.height else None
    return Decimal(total) if total is not None else Decimal("0.00")


@dataclass
class _Table:
    """Rows to show (already cut and masked), with the full row count for the cut note."""

    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    where: str
    special: dict[str, str] = field(default_factory=dict)


def _table(frame: pl.DataFrame, total: int, where: str, special: dict[str, str] | None = None) -> _Table:
    return _Table(frame.columns, frame.to_dicts(), total, where, {k: v for k, v in (special or {}).items() if k in frame.columns})


# ---------------------------------------------------------------- header, warnings, headline


def _facts(summary: dict[str, Any]) -> list[tuple[str, str]]:
    facts = []
    for key in ("case_id", "timezone", "started", "finished", "code_version"):
        value = summary.get(key)
        if value is not None:
            facts.append((key, figures.case_time(value, summary.get("timezone")) if key in ("started", "finished") else cell_text(value)))
    return facts


def _warnings(summary: dict[str, Any], shown: _Masker) -> list[dict[str, str]]:
    """manifest ``warnings`` ({code, message}): a run whose figures should not be trusted as they stand."""
    found = summary.get("warnings") or []
    return [
        {"code": str(w.get("code") or ""), "message": shown.text(str(w.get("message") or ""))}
        for w in found
        if isinstance(w, dict)
    ]


def _headline(
    raw: dict[str, pl.DataFrame],
    summary: dict[str, Any],
    case: _CaseKind,
    anchors: dict[str, str],
    info: pl.DataFrame | None,
) -> dict[str, Any]:
    every = {k: v for k, v in figures.totals(summary).items() if case.shows(k)}
    keys = (FRAUD_HEADLINE if case.fraud else ()) + (INFO_HEADLINE if case.info else ())
    cards = [(k, _total_text(k, every[k])) for k in keys if k in every]
    defendants = raw.get("defendants")
    tiers = []
    if case.fraud and defendants is not None and defendants.height:
        tiers += _tier_groups(defendants, "liable", anchors)
    if info is not None:
        tiers += _tier_groups(info, "net_gain", {}, info=True)
    found_nothing = case.fraud and not case.info and not any(_positive(every.get(k)) for k in ("entries_count", "payments_count", "defendants"))
    return {
        "cards": cards,
        "all": [(k, _total_text(k, v), numeric(v)) for k, v in every.items()],
        "tiers": tiers,
        "found_nothing": found_nothing,
    }


def _total_text(key: str, value: Any) -> str:
    if key == "validated_share":
        return figures.share(value)
    if isinstance(value, Decimal) and figures.is_money_key(key):
        return figures.money(value)
    return cell_text(value)


def _tier_groups(frame: pl.DataFrame, amount: str, anchors: dict[str, str], info: bool = False) -> list[dict[str, Any]]:
    """Defendants per tier, most serious first, each with the amount the tier rests on (liable, or net gain)."""
    if "tier" not in frame.columns:
        return []
    groups = []
    for tier in sorted(frame.get_column("tier").unique().to_list(), key=figures.tier_key):
        members = frame.filter(pl.col("tier") == tier) if tier is not None else frame.filter(pl.col("tier").is_null())
        members = members.sort([amount, "defendant_id"], descending=[True, False], nulls_last=True)
        listed = members.head(MAX_HEADLINE_PER_TIER)
        groups.append({
            "tier": tier,
            "info": info,
            "count": members.height,
            "total": _sum(members, amount),
            "left_out": members.height - listed.height,
            "people": [
                {"id": r["defendant_id"], "name": r.get("name") or "", "anchor": anchors.get(r["defendant_id"]), "amount": r[amount]}
                for r in listed.iter_rows(named=True)
            ],
        })
    return groups


# ---------------------------------------------------------------- defendants


def _defendants(raw: dict[str, pl.DataFrame], anchors: dict[str, str]) -> dict[str, Any] | None:
    frame = raw.get("defendants")
    if frame is None or frame.height == 0:
        return None
    ordered = figures.by_tier(frame, "liable")
    columns = [c for c in DEFENDANT_COLUMNS_FIRST if c in frame.columns] + [c for c in frame.columns if c not in DEFENDANT_COLUMNS_FIRST]
    listed = ordered.select(columns).head(MAX_TABLE_ROWS)
    table = _table(listed, frame.height, "defendants.csv", {
        "defendant_id": "defendant", "liable": "liable", "tier": "tier", "role": "coded", "liable_basis": "coded",
    })
    for row in table.rows:
        row["_anchor"] = anchors[row["defendant_id"]]
    return {"table": table}


def _info_defendants(info: pl.DataFrame | None) -> dict[str, Any] | None:
    if info is None:
        return None
    ordered = figures.by_tier(info, "net_gain") if "net_gain" in info.columns and "tier" in info.columns else info
    return {"table": _table(ordered.head(MAX_TABLE_ROWS), info.height, "info_defendants.csv", {"tier": "tier"})}


# ---------------------------------------------------------------- validation and integrity


def _validation(summary: dict[str, Any], shown: _Masker, validation_href: str) -> dict[str, Any]:
    """Each suite links to its own page when the summary names it (``page``), else to the report's index."""
    folder = validation_href.rpartition("/")[0]
    suites = [
        {
            "suite": str(r.get("suite", "")),
            "success": r.get("success"),
            "failed": r.get("failed"),
            "href": f"{folder}/{r['page']}" if folder and r.get("page") else r.get("page") or validation_href,
        }
        for r in summary.get("validation") or []
    ]
    findings = (summary.get("totals") or {}).get("integrity_findings")
    integrity = _integrity(summary.get("integrity"), shown, summary.get("timezone"), findings)
    return {
        "suites": suites,
        "passed": sum(1 for s in suites if s["success"]),
        "failed": sum(1 for s in suites if s["success"] is False),
        "skipped": sum(1 for s in suites if s["success"] is None),
        "integrity": integrity,
        "integrity_total": findings if isinstance(findings, int) else integrity["listed"] if integrity else 0,
    }


def _integrity(integrity: Any, shown: _Masker, timezone: str | None, total: int | None) -> dict[str, Any] | None:
    """The findings as given (a mapping, or a list of records): titled cells, amounts right-aligned, accounts masked."""
    if not integrity:
        return None

    def cell(key: str, value: Any) -> dict[str, Any]:
        """text, its class, and the code under a translated kind."""
        if value is None:
            return {"text": "", "cls": "", "small": None}
        if key in mask.ACCOUNT_COLUMNS and isinstance(value, str):
            return {"text": shown.account(value), "cls": "account", "small": None}
        if key == "kind" and isinstance(value, str):
            zh = labels.value_label("zh", value)
            return {"text": zh, "cls": "", "small": value if zh != value else None}
        if key in INTEGRITY_MONEY or isinstance(value, Decimal):
            try:
                return {"text": figures.money(Decimal(str(value))), "cls": "num", "small": None}
            except ArithmeticError:
                pass
        if isinstance(value, dt.datetime):
            return {"text": figures.case_time(value, timezone), "cls": "time", "small": None}
        if numeric(value):
            return {"text": plain_cell(value, key), "cls": "num", "small": None}
        return {"text": shown.text(cell_text(value)), "cls": "", "small": None}

    if isinstance(integrity, dict):
        return {"pairs": [(str(k), cell(str(k), v)) for k, v in integrity.items()], "listed": len(integrity)}
    records = [r for r in integrity if isinstance(r, dict)] if isinstance(integrity, list) else []
    shown.ahead(account_expr, (v for r in records for k, v in r.items() if k in mask.ACCOUNT_COLUMNS and isinstance(v, str)))
    shown.ahead(digit_runs_expr, (cell_text(v) for r in records for v in r.values() if isinstance(v, (str, dict, list))))
    # Columns no finding fills are left out; the sentence of each finding gets a full-width row
    # under its figures, where it can be read without scrolling sideways.
    keys = [k for k in dict.fromkeys(k for r in records for k in r) if any(r.get(k) is not None for r in records)]
    columns = [k for k in keys if k != "detail"]
    return {
        "columns": columns,
        "findings": [
            {
                "cells": [cell(k, r.get(k)) for k in columns],
                "detail": shown.text(cell_text(r["detail"])) if r.get("detail") is not None else None,
            }
            for r in records
        ],
        "listed": len(records),
        "total": total if isinstance(total, int) else len(records),
    }


# ---------------------------------------------------------------- drill-down


def _drilldowns(raw: dict[str, pl.DataFrame], anchors: dict[str, str], shown: _Masker) -> list[dict[str, Any]]:
    defendants = raw.get("defendants")
    entries = raw.get("entries")
    if defendants is None or entries is None or defendants.height == 0:
        return []
    unvalidated = _unvalidated_by_defendant(raw, shown)
    listed_defendants = figures.by_tier(defendants, "liable").head(MAX_TABLE_ROWS)
    basis = _basis_entries(raw, shown, listed_defendants.get_column("defendant_id"))
    return [
        _drilldown(defendant, anchors[defendant["defendant_id"]], basis, unvalidated)
        for defendant in listed_defendants.iter_rows(named=True)
    ]


@dataclass(frozen=True)
class _Rows:
    """One defendant's evidence rows: which of the entries' rows (kept once each, in polars, as UTF-8),
    joined into a Python text only as the page is written (markupsafe reads ``__html__``). A 20,000-file
    case lists 18 MB of rows, an entry under up to three defendants; as texts, twice that."""

    written: pl.Series
    at: pl.Series

    def __html__(self) -> str:
        return self.written.gather(self.at).str.join("").item()


@dataclass(frozen=True)
class _Basis:
    """The entries behind every defendant's liable amount, each defendant's list as report.html shows it."""

    rows: dict[str, _Rows]  # defendant -> the evidence rows (masked, markup), at most MAX_DRILL_ENTRIES entries
    listed: dict[str, int]  # defendant -> entries listed
    totals: dict[str, tuple[int, Decimal]]  # defendant -> the full count and sum of the entries behind the amount


def _basis_entries(raw: dict[str, pl.DataFrame], shown: _Masker, defendant_ids: pl.Series) -> _Basis:
    """The lists of the defendants the page lists (``defendant_ids``), all at once (one join, one mask,
    one pass): the first entries by time behind each liable amount, their full count and sum from
    ``liable_entries``; every list empty without it."""
    traced = raw.get("liable_entries")
    if traced is None:
        return _Basis(rows={}, listed={}, totals={})
    traced = traced.filter(pl.col("defendant_id").is_in(defendant_ids.implode()))
    totals = {
        defendant: (int(count), Decimal(amount))
        for defendant, count, amount in traced.group_by("defendant_id", maintain_order=True)
        .agg(pl.col("basis_entries").first(), pl.col("basis_amount").first())
        .iter_rows()
    }
    chosen = (
        traced.select(pl.col("defendant_id").alias(LIABLE_OF), "entry_id").unique()
        .join(raw["entries"], on="entry_id", how="inner")
    )
    # The first entries by (ts, entry_id), an entry without a time after every timed one; listed by time.
    listed = (
        chosen.sort(LIABLE_OF, "ts", "entry_id", nulls_last=True)
        .filter(pl.int_range(pl.len()).over(LIABLE_OF) < MAX_DRILL_ENTRIES)
        .sort(LIABLE_OF, "ts", "entry_id")
    )
    # An entry behind several defendants' amounts (own, unit, gang) is written once, its payments' rows below it.
    distinct = listed.unique("entry_id", maintain_order=True)
    written = (
        pl.DataFrame({"entry_id": distinct.get_column("entry_id"), "row": entry_rows(shown.table("entries", distinct))})
        .join(_matched_payments(distinct, raw.get("payments"), shown), on="entry_id", how="left")
        .select("entry_id", pl.concat_str("row", pl.col("payment_rows").fill_null("")).alias("rows"))
    )
    lists = (
        listed.select(LIABLE_OF, "entry_id")
        .join(written.select("entry_id").with_row_index("at"), on="entry_id", how="left", maintain_order="left")
        .group_by(LIABLE_OF, maintain_order=True)
        .agg("at", pl.len().alias("listed"))
    )
    rows = written.get_column("rows")
    return _Basis(
        rows={
            defendant: _Rows(rows, pl.Series(at, dtype=pl.UInt32))
            for defendant, at in zip(lists.get_column(LIABLE_OF).to_list(), lists.get_column("at").to_list(), strict=True)
        },
        listed=dict(zip(lists.get_column(LIABLE_OF).to_list(), lists.get_column("listed").to_list(), strict=True)),
        totals=totals,
    )


def _drilldown(
    defendant: dict[str, Any],
    anchor: str,
    basis: _Basis,
    unvalidated: dict[str, _Table],
) -> dict[str, Any]:
    defendant_id = defendant["defendant_id"]
    count, total = basis.totals.get(defendant_id, (0, Decimal("0.00")))
    liable = defendant.get("liable")
    return {
        "id": defendant_id,
        "name": defendant.get("name") or "",
        "anchor": anchor,
        "liable": liable,
        "tier": defendant.get("tier"),
        "basis": defendant.get("liable_basis") or "own",
        "own_unvalidated": defendant.get("own_unvalidated"),
        "traced": basis is not None,
        "count": count,
        "total": total,
        "agrees": liable is not None and total == Decimal(liable),
        "listed": basis.listed.get(defendant_id, 0),
        "rows": basis.rows.get(defendant_id, Markup("")),
        "unvalidated": unvalidated.get(defendant_id),
    }


def _matched_payments(entries: pl.DataFrame, payments: pl.DataFrame | None, shown: _Masker) -> pl.DataFrame:
    """``entry_id`` (the real one) and ``payment_rows``: the rows (``rows.payment_rows``, masked) of the
    payments each listed entry was matched to, in the order of its payment_ids."""
    empty = pl.DataFrame(schema={"entry_id": pl.String, "payment_rows": pl.String})
    if payments is None or entries.height == 0:
        return empty
    wanted = (
        entries.select(pl.col("entry_id").alias("for_entry"), pl.col("payment_ids").str.split(";").alias("payment_id"))
        .explode("payment_id")
        .filter(pl.col("payment_id").is_not_null() & (pl.col("payment_id") != ""))
        .with_row_index("order")
    )
    joined = wanted.join(payments.drop("entry_id", strict=False), on="payment_id", how="inner").sort("order")
    if joined.is_empty():
        return empty
    return (
        pl.DataFrame({"entry_id": joined.get_column("for_entry"), "row": payment_rows(shown.table("payments", joined))})
        .group_by("entry_id", maintain_order=True)
        .agg(pl.col("row").str.join("").alias("payment_rows"))
    )


UNVALIDATED_COLUMNS = ("entry_id", "ts", "amount", "reason", "nearest_payment_id", "nearest_seconds", "amount_difference", "taken_by")


def _unvalidated_by_defendant(raw: dict[str, pl.DataFrame], shown: _Masker) -> dict[str, _Table]:
    """Each defendant's unvalidated entries with the reason none of their candidates was taken (``tables["unvalidated"]``)."""
    reasons = raw.get("unvalidated")
    entries = raw.get("entries")
    if reasons is None or entries is None:
        return {}
    joined = (
        entries.select("entry_id", "ts", "amount", "defendant_id")
        .join(reasons, on="entry_id", how="inner")
        .filter(pl.col("defendant_id").is_not_null())
        .sort("defendant_id", "ts", "entry_id")
    )
    columns = [c for c in UNVALIDATED_COLUMNS if c in joined.columns]
    result = {}
    for (defendant_id,), mine in joined.group_by("defendant_id", maintain_order=True):
        listed = shown.loose_table("unvalidated", mine.head(MAX_UNVALIDATED_ENTRIES).select(columns))
        result[defendant_id] = _table(listed, mine.height, "entries.csv", {"reason": "coded"})
    return result


# ---------------------------------------------------------------- organisation chart


def _org_chart(raw: dict[str, pl.DataFrame], anchors: dict[str, str]) -> dict[str, Any] | None:
    units = raw.get("units")
    if units is None or units.height == 0:
        return None
    entries = raw.get("entries", pl.DataFrame(schema={"unit_id": pl.String, "status": pl.String, "amount": pl.Decimal(18, 2)}))
    booked = entries.group_by("unit_id", "status").agg(pl.col("amount").sum(), pl.len().alias("n"))
    direct: dict[str | None, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    for unit_id, status, amount, n in booked.iter_rows():
        direct[unit_id][status] = (Decimal(amount), n)

    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    defendants = raw.get("defendants")
    if defendants is not None and defendants.height:
        for record in defendants.with_columns(pl.col("unit_ids").str.split(";")).explode("unit_ids").iter_rows(named=True):
            if record["unit_ids"]:
                members[record["unit_ids"]].append(record)

    known = {r["unit_id"]: r for r in units.iter_rows(named=True)}
    children: dict[str | None, list[str]] = defaultdict(list)
    for unit_id, record in known.items():
        parent = record.get("parent_id")
        children[parent if parent in known else None].append(unit_id)

    gang_roots = [u for u in children.get(None, []) if known[u].get("kind") == "gang"]
    if len(gang_roots) == 1:
        # Entries under unknown codes are the gang's, booked to no unit below it (rules.md §4).
        for status, value in direct.get(None, {}).items():
            old = direct[gang_roots[0]].get(status, (Decimal("0.00"), 0))
            direct[gang_roots[0]][status] = (old[0] + value[0], old[1] + value[1])

    def subtree_totals(unit_id: str, seen: frozenset[str]) -> dict[str, tuple[Decimal, int]]:
        sums = dict(direct.get(unit_id, {}))
        for child in children.get(unit_id, []):
            if child not in seen:
                for status, (amount, n) in subtree_totals(child, seen | {child}).items():
                    old = sums.get(status, (Decimal("0.00"), 0))
                    sums[status] = (old[0] + amount, old[1] + n)
        return sums

    def node(unit_id: str, seen: frozenset[str]) -> dict[str, Any]:
        record = known[unit_id]
        sums = subtree_totals(unit_id, seen)
        return {
            "id": unit_id,
            "name": record.get("name") or unit_id,
            "kind": record.get("kind") or "",
            "validated": sums.get("validated", (Decimal("0.00"), 0)),
            "unvalidated": sums.get("unvalidated", (Decimal("0.00"), 0)),
            "members": [{**m, "anchor": anchors[m["defendant_id"]]} for m in members.get(unit_id, [])],
            "children": [node(c, seen | {c}) for c in sorted(children.get(unit_id, [])) if c not in seen],
        }

    unknown = direct.get(None, {})
    return {
        "roots": [node(root, frozenset({root})) for root in sorted(children.get(None, []))],
        "unknown_count": sum(v[1] for v in unknown.values()),
        "unknown_amount": sum((v[0] for v in unknown.values()), Decimal("0.00")),
    }


# ---------------------------------------------------------------- fund flow


def _top(links: pl.DataFrame, key: str) -> tuple[pl.DataFrame, int]:
    """Links with every ``key`` outside the largest (by amount) folded into one 'others' node, and how many were folded."""
    ranked = links.group_by(key).agg(pl.col("amount").sum()).sort(["amount", key], descending=[True, False])
    keep = ranked.head(FLOW_NODES_PER_LAYER).get_column(key)
    folded = links.with_columns(
        pl.when(pl.col(key).is_in(keep.implode())).then(pl.col(key)).otherwise(pl.lit(OTHERS)).alias(key)
    )
    return folded.group_by("src", "dst").agg(pl.col("amount").sum()), ranked.height - keep.len()


def _fund_flow(raw: dict[str, pl.DataFrame], shown: _Masker) -> dict[str, Any] | None:
    payments = raw.get("payments")
    if payments is None or payments.height == 0:
        return None
    paid = payments.group_by(pl.col("victim_id").alias("src"), pl.col("to_account").alias("dst")).agg(pl.col("amount").sum())
    paid, hidden_victims = _top(paid, "src")
    paid, hidden_cards = _top(paid, "dst")

    onward = pl.DataFrame(schema={"src": pl.String, "dst": pl.String, "amount": pl.Decimal(18, 2)})
    hidden_onward = 0
    transfers = raw.get("transfers")
    if transfers is not None and transfers.height:
        cards = payments.get_column("to_account").unique().implode()
        payers = payments.get_column("from_account").unique().implode()
        drawn_cards = paid.get_column("dst").unique().implode()
        out = transfers.filter(pl.col("payer_account").is_in(cards) & ~pl.col("payee_account").is_in(cards)).select(
            pl.when(pl.col("payer_account").is_in(drawn_cards)).then(pl.col("payer_account")).otherwise(pl.lit(OTHERS)).alias("src"),
            pl.when(pl.col("payee_account").is_in(payers)).then(pl.lit(RETURNED)).otherwise(pl.col("payee_account")).alias("dst"),
            "amount",
        )
        onward, hidden_onward = _top(out, "dst")
    hidden = (hidden_victims, hidden_cards, hidden_onward)

    def label(layer: int, key: str) -> str:
        if key == OTHERS:
            return f"其他 {hidden[layer]} 个 · {hidden[layer]} others"
        if key == RETURNED:
            return "返还被害人 · returned to payers"
        return shown.victim(key) if layer == 0 else shown.account(key)

    diagram = _sankey([list(paid.iter_rows()), list(onward.iter_rows())], label)
    return {"svg": diagram, "nodes_per_layer": FLOW_NODES_PER_LAYER}


def _sankey(layers: list[list[tuple[str, str, Decimal]]], label: Any) -> dict[str, Any] | None:
    """Geometry of a three-column layered flow diagram; ``layers[i]`` are the (source, target, amount) links from column i to i+1."""
    columns = len(layers) + 1
    inflow: list[dict[str, Decimal]] = [defaultdict(Decimal) for _ in range(columns)]
    outflow: list[dict[str, Decimal]] = [defaultdict(Decimal) for _ in range(columns)]
    for i, links in enumerate(layers):
        for src, dst, amount in links:
            outflow[i][src] += amount
            inflow[i + 1][dst] += amount
    values = [
        {k: max(inflow[i].get(k, Decimal(0)), outflow[i].get(k, Decimal(0))) for k in set(inflow[i]) | set(outflow[i])}
        for i in range(columns)
    ]
    order = [sorted(v, key=lambda k: (k == OTHERS, k == RETURNED, -v[k], k)) for v in values]
    largest = max((sum(v.values(), Decimal(0)) for v in values if v), default=Decimal(0))
    if largest == 0:
        return None
    width, node_w, top, gap, min_slot, usable = 1100, 14, 20, 8, 30, 520
    scale = usable / float(largest)
    x = [10 + i * (width - 360) / (columns - 1) for i in range(columns)]
    pos: list[dict[str, tuple[float, float]]] = []
    height = 0.0
    for i in range(columns):
        y, placed = float(top), {}
        for key in order[i]:
            h = max(2.0, float(values[i][key]) * scale)
            placed[key] = (y, h)
            y += max(h, min_slot) + gap
        pos.append(placed)
        height = max(height, y)
    paths = []
    out_used: list[dict[str, float]] = [defaultdict(float) for _ in range(columns)]
    in_used: list[dict[str, float]] = [defaultdict(float) for _ in range(columns)]
    for i, links in enumerate(layers):
        for src, dst, amount in sorted(links, key=lambda link: (order[i + 1].index(link[1]), order[i].index(link[0]))):
            t = float(amount) * scale
            y0 = pos[i][src][0] + out_used[i][src]
            y1 = pos[i + 1][dst][0] + in_used[i + 1][dst]
            out_used[i][src] += t
            in_used[i + 1][dst] += t
            x0, x1 = x[i] + node_w, x[i + 1]
            mid = (x0 + x1) / 2
            paths.append({
                "layer": i,
                "d": f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
                     f" L{x1:.1f},{y1 + t:.1f} C{mid:.1f},{y1 + t:.1f} {mid:.1f},{y0 + t:.1f} {x0:.1f},{y0 + t:.1f} Z",
                "tip": f"{label(i, src)} → {label(i + 1, dst)}: {figures.money(amount)}",
            })
    headings = ["被害人 victims", "收款卡 receiving cards", "下游账户 onward accounts"]
    nodes = []
    for i in range(columns):
        for key, (y, h) in pos[i].items():
            received, sent = inflow[i].get(key), outflow[i].get(key)
            if received is not None and sent is not None:
                text = f"{label(i, key)}  收 in {figures.money(received)} · 出 out {figures.money(sent)}"
            else:
                text = f"{label(i, key)}  {figures.money(values[i][key])}"
            nodes.append({"layer": i, "x": f"{x[i]:.1f}", "y": f"{y:.1f}", "h": f"{h:.1f}",
                          "text_x": f"{x[i] + node_w + 4:.1f}", "text_y": f"{y + min(h, min_slot) / 2 + 4:.1f}", "text": text})
    return {
        "width": width,
        "height": f"{height:.0f}",
        "node_w": node_w,
        "headings": [(f"{x[i]:.1f}", headings[i] if i < len(headings) else "") for i in range(columns)],
        "paths": paths,
        "nodes": nodes,
    }


# ---------------------------------------------------------------- fund flow, traced hop by hop (trace_flow)

METHOD_ORDER = ("fifo", "lifo", "pro_rata", "libr")
# rules.md §7's kinds, and `returned`: not_obtained at a payer's own account (sql/trace/trace_flow.sql)
END_KIND_ORDER = ("cash", "platform", "not_obtained", "returned", "frozen", "held", "max_hops", "dust")
TRACED_VICTIM_NODES = 15  # victims named in the traced flow diagram; the rest are one node
TRACED_NODES_PER_LAYER = 12  # accounts named per layer (receiving cards included)
FOLDED = "\x00folded"


@dataclass
class _FlowColumn:
    """One column of the traced flow diagram: node → amount, and what was folded into its FOLDED node."""

    heading: str
    values: dict[str, Decimal] = field(default_factory=dict)
    folded_count: int = 0


def _traced_flow(raw: dict[str, pl.DataFrame], shown: _Masker) -> dict[str, Any] | None:
    """One diagram per tracing method: victims → receiving cards → layers 1..n → end point kinds (trace_flow)."""
    flow = raw.get("trace_flow")
    if flow is None or flow.height == 0:
        return None
    grain = _grain(raw)
    endpoints = raw.get("endpoints")
    diagrams = []
    for method in [m for m in METHOD_ORDER if m in set(flow.get_column("method").to_list())]:
        links = flow.filter(pl.col("method") == method)
        not_victims = Decimal("0.00")
        if endpoints is not None and endpoints.height:
            not_victims = _sum(endpoints.filter((pl.col("method") == method) & pl.col("origin").is_in(["other", "opening"])))
        diagrams.append({"method": method, "grain": grain.get(method, "lot"), "other_money": not_victims,
                         **_layered_diagram(links, shown)})
    return {"methods": diagrams, "victim_nodes": TRACED_VICTIM_NODES, "nodes_per_layer": TRACED_NODES_PER_LAYER}


def _grain(raw: dict[str, pl.DataFrame]) -> dict[str, str]:
    frame = raw.get("trace_grain")
    return dict(frame.select("method", "grain").iter_rows()) if frame is not None and frame.height else {}


def _layered_diagram(links: pl.DataFrame, shown: _Masker) -> dict[str, Any]:
    """Columns, folding and geometry of one method's diagram; links within a layer or back are counted, not drawn."""
    deepest = max((v for v in (links.get_column("source_layer").max(), links.get_column("target_layer").max()) if v is not None), default=0)
    end_column = deepest + 2
    # Tens of thousands of links per method: their columns, sums and folding are worked out in polars;
    # only the folded diagram's few links come to Python.
    placed = links.select(
        (pl.col("source_layer") + 1).alias("a"),
        "source",
        pl.when(pl.col("target_is_end")).then(pl.lit(end_column, dtype=pl.Int64)).otherwise(pl.col("target_layer") + 1).alias("b"),
        "target",
        "amount",
    )
    back = placed.filter(pl.col("b") <= pl.col("a"))
    sideways, sideways_links = _sum(back), back.height
    edges = placed.filter(pl.col("b") > pl.col("a")).group_by("a", "source", "b", "target").agg(pl.col("amount").sum())
    headings = ["被害人 victims", "收款卡 receiving cards"] + [f"第 {k} 层 layer {k}" for k in range(1, deepest + 1)] + ["终点 end points"]
    columns = [_FlowColumn(h) for h in headings]
    kept = _kept_nodes(edges, end_column)
    for i, count in kept.group_by("column").agg(pl.col("folded").first()).iter_rows():
        columns[i].folded_count = count
    folded_edges = _folded_edges(edges, kept.filter(pl.col("kept")).select("column", "node"))
    inflow, outflow, folded = _node_totals(folded_edges, len(columns))
    for column, values in zip(columns, folded, strict=True):
        column.values = values

    # The diagram's accounts and victims masked in one query per rule, not one each (72 at 20,000 files).
    shown.ahead(victim_id_expr, (key for key in columns[0].values if key != FOLDED))
    shown.ahead(account_expr, (key for column in columns[1:end_column] for key in column.values if key != FOLDED))

    def label(i: int, key: str) -> str:
        if key == FOLDED:
            return f"其他 {columns[i].folded_count} 个 · {columns[i].folded_count} others"
        if i == end_column:
            return f"{templating.value_zh(key)} {key}"
        return shown.victim(key) if i == 0 else shown.account(key)

    def order(i: int) -> list[str]:
        values = columns[i].values
        if i == end_column:
            return sorted(values, key=lambda k: (END_KIND_ORDER.index(k) if k in END_KIND_ORDER else len(END_KIND_ORDER), k))
        return sorted(values, key=lambda k: (k == FOLDED, -values[k], k))

    svg = _layered_svg(columns, [order(i) for i in range(len(columns))], folded_edges, inflow, outflow, label, end_column)
    return {
        "svg": svg,
        "layers": deepest,
        "kinds": order(end_column),
        "sideways": sideways,
        "sideways_links": sideways_links,
        "folded": [(c.heading, c.folded_count, c.values.get(FOLDED)) for c in columns if c.folded_count],
    }


def _kept_nodes(edges: pl.DataFrame, end_column: int) -> pl.DataFrame:
    """Each node of each column (``column``, ``node``) with its size (the larger of what it receives and sends),
    whether the diagram names it (``kept``: every end point kind, the largest victims and accounts of each
    other column) and how many its column folds into one (``folded``)."""
    sent = edges.group_by(pl.col("a").alias("column"), pl.col("source").alias("node")).agg(pl.col("amount").sum().alias("sent"))
    received = edges.group_by(pl.col("b").alias("column"), pl.col("target").alias("node")).agg(pl.col("amount").sum().alias("received"))
    nodes = pl.len().over("column").cast(pl.Int64)
    limit = (
        pl.when(pl.col("column") == end_column).then(nodes)
        .when(pl.col("column") == 0).then(pl.lit(TRACED_VICTIM_NODES))
        .otherwise(pl.lit(TRACED_NODES_PER_LAYER))
    )
    return (
        sent.join(received, on=["column", "node"], how="full", coalesce=True)
        .with_columns(pl.max_horizontal("sent", "received").alias("size"))
        .sort(["column", "size", "node"], descending=[False, True, False])
        .with_columns(
            (pl.int_range(pl.len()).over("column") < limit).alias("kept"),
            (nodes - limit).clip(lower_bound=0).alias("folded"),
        )
    )


def _folded_edges(edges: pl.DataFrame, kept: pl.DataFrame) -> dict[tuple[int, str, int, str], Decimal]:
    """The links with every node the diagram does not name replaced by its column's FOLDED node, summed."""
    def named(column: str, node: str) -> pl.DataFrame:
        return kept.rename({"column": column, "node": node}).with_columns(pl.lit(True).alias(f"{node}_named"))

    def shown(node: str) -> pl.Expr:
        return pl.when(pl.col(f"{node}_named")).then(pl.col(node)).otherwise(pl.lit(FOLDED)).alias(node)

    folded = (
        edges.join(named("a", "source"), on=["a", "source"], how="left")
        .join(named("b", "target"), on=["b", "target"], how="left")
        .group_by("a", shown("source"), "b", shown("target"))
        .agg(pl.col("amount").sum())
    )
    return {(a, source, b, target): amount for a, source, b, target, amount in folded.iter_rows()}


def _node_totals(
    edges: dict[tuple[int, str, int, str], Decimal], n_columns: int
) -> tuple[list[dict[str, Decimal]], list[dict[str, Decimal]], list[dict[str, Decimal]]]:
    """Per column: what each node receives, what it sends, and its size (the larger of the two)."""
    inflow: list[dict[str, Decimal]] = [defaultdict(Decimal) for _ in range(n_columns)]
    outflow: list[dict[str, Decimal]] = [defaultdict(Decimal) for _ in range(n_columns)]
    for (a, source, b, target), amount in edges.items():
        outflow[a][source] += amount
        inflow[b][target] += amount
    sizes = [
        {k: max(received.get(k, Decimal(0)), sent.get(k, Decimal(0))) for k in set(received) | set(sent)}
        for received, sent in zip(inflow, outflow, strict=True)
    ]
    return inflow, outflow, sizes


def _layered_svg(
    columns: list[_FlowColumn],
    order: list[list[str]],
    edges: dict[tuple[int, str, int, str], Decimal],
    inflow: list[dict[str, Decimal]],
    outflow: list[dict[str, Decimal]],
    label: Any,
    end_column: int,
) -> dict[str, Any] | None:
    """Geometry of a layered flow diagram whose links may skip columns (an end point reached from any layer)."""
    largest = max((sum(c.values.values(), Decimal(0)) for c in columns if c.values), default=Decimal(0))
    if largest == 0:
        return None
    step, node_w, top, gap, min_slot, usable = 210, 14, 34, 10, 30, 640
    width = step * (len(columns) - 1) + 340
    scale = usable / float(largest)
    x = [10 + i * step for i in range(len(columns))]
    pos: list[dict[str, tuple[float, float]]] = []
    height = 0.0
    for i in range(len(columns)):
        y, placed = float(top), {}
        for key in order[i]:
            h = max(2.0, float(columns[i].values[key]) * scale)
            placed[key] = (y, h)
            y += max(h, min_slot) + gap
        pos.append(placed)
        height = max(height, y)
    rank = [{key: n for n, key in enumerate(keys)} for keys in order]
    out_used: dict[tuple[int, str], float] = defaultdict(float)
    in_used: dict[tuple[int, str], float] = defaultdict(float)
    paths = []
    # Bands leave a node in the order of where they go, and arrive in the order of where they come from.
    by_target = sorted(edges.items(), key=lambda e: (e[0][0], rank[e[0][0]][e[0][1]], e[0][2], rank[e[0][2]][e[0][3]]))
    starts = {}
    for (a, source, b, target), amount in by_target:
        starts[(a, source, b, target)] = pos[a][source][0] + out_used[(a, source)]
        out_used[(a, source)] += float(amount) * scale
    by_source = sorted(edges.items(), key=lambda e: (e[0][2], rank[e[0][2]][e[0][3]], e[0][0], rank[e[0][0]][e[0][1]]))
    for (a, source, b, target), amount in by_source:
        t = float(amount) * scale
        y0 = starts[(a, source, b, target)]
        y1 = pos[b][target][0] + in_used[(b, target)]
        in_used[(b, target)] += t
        x0, x1 = x[a] + node_w, x[b]
        mid = (x0 + x1) / 2
        paths.append({  # a band into an end point takes the kind's colour, any other its source column's
            "cls": (f"k-{target}" if b == end_column else f"l{min(a, 4)}") + (" skip" if b - a > 1 else ""),
            "d": f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
                 f" L{x1:.1f},{y1 + t:.1f} C{mid:.1f},{y1 + t:.1f} {mid:.1f},{y0 + t:.1f} {x0:.1f},{y0 + t:.1f} Z",
            "tip": f"{label(a, source)} → {label(b, target)}: {figures.money(amount)}",
        })
    nodes = []
    for i in range(len(columns)):
        for key in order[i]:
            y, h = pos[i][key]
            received, sent = inflow[i].get(key), outflow[i].get(key)
            amount = figures.money(columns[i].values[key])
            tip = f"{label(i, key)}  收 in {figures.money(received)} · 出 out {figures.money(sent)}" if received is not None and sent is not None else f"{label(i, key)}  {amount}"
            nodes.append({
                "cls": f"k-{key}" if i == end_column else f"c{min(i, 4)}",
                "x": f"{x[i]:.1f}", "y": f"{y:.1f}", "h": f"{h:.1f}",
                "text_x": f"{x[i] + node_w + 4:.1f}", "text_y": f"{y + min(h, min_slot) / 2 + 4:.1f}",
                "text": f"{label(i, key)}  {amount}", "tip": tip,
            })
    return {
        "width": width,
        "height": f"{height:.0f}",
        "node_w": node_w,
        "headings": [(f"{x[i]:.1f}", c.heading) for i, c in enumerate(columns)],
        "paths": paths,
        "nodes": nodes,
    }


# ---------------------------------------------------------------- one victim's money, hop by hop (trace_victim_paths)


def _victim_paths(raw: dict[str, pl.DataFrame], shown: _Masker) -> dict[str, Any] | None:
    """The drill-down's data, for report.js: per victim (largest net loss first) and method, moves and end points."""
    from fundtrail.trace import REPORT_VICTIM_STEPS  # here: `fundtrail check` imports the reports without duckdb

    steps = raw.get("trace_victim_paths")
    if steps is None or steps.height == 0:
        return None
    grain = _grain(raw)
    victims = raw.get("victims")
    recoveries = raw.get("recoveries")
    recovered: dict[str, tuple[Decimal, Decimal]] = {}
    if recoveries is not None and recoveries.height:
        for victim_id, traced, pro_rata in recoveries.group_by("victim_id").agg(pl.col("traced").sum(), pl.col("pro_rata").sum()).iter_rows():
            recovered[victim_id] = (traced, pro_rata)
    losses = {}
    if victims is not None and victims.height:
        losses = {row[0]: row[1:] for row in victims.select("victim_id", "paid", "returned", "net_loss").iter_rows()}
    # Every victim's money entering the cards (the same starts under every method): what a pooled method's pool is made of.
    flow = raw.get("trace_flow")
    pooled_in = Decimal("0.00")
    if flow is not None and flow.height:
        first = flow.get_column("method").min()
        pooled_in = _sum(flow.filter((pl.col("method") == first) & (pl.col("source_layer") == -1)))
    masked = shown.loose_table("trace_victim_paths", steps)
    # Each step's values as the drill-down shows them, made in polars a column at a time.
    shown_steps = masked.select(
        steps.get_column("victim_id").alias("real"), "victim_id", "method", "step", "hop",
        pl.col("from_account").fill_null(""), "account_no",
        pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S").fill_null(""), "kind", money_texts(masked, "amount"),
        pl.col("posting_id").fill_null(""), "steps_total", money_texts(masked, "amount_total"),
    )
    people: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for real, victim_id, method, step, hop, from_account, account_no, ts, kind, amount, posting_id, steps_total, amount_total in shown_steps.iter_rows():
        if real not in index:
            index[real] = len(people)
            paid, returned, net_loss = losses.get(real, (None, None, None))
            traced, pro_rata = recovered.get(real, (None, None))
            people.append({
                "id": victim_id,
                "paid": figures.money(paid), "returned": figures.money(returned), "net_loss": figures.money(net_loss),
                "traced": figures.money(traced), "pro_rata": figures.money(pro_rata),
                "pool_share": figures.share(paid / pooled_in) if paid is not None and pooled_in else "",
                "pooled_in": figures.money(pooled_in),
                "methods": {m: _empty_path() for m in METHOD_ORDER},
            })
        path = people[index[real]]["methods"].setdefault(method, _empty_path())
        if step == "move":
            path["moves"].append([hop, from_account, account_no, ts, amount, posting_id])
            path["moves_total"], path["moves_amount"] = steps_total, amount_total
        else:
            path["ends"].append([account_no, kind, templating.value_zh(kind), amount])
            path["ends_total"], path["ends_amount"] = steps_total, amount_total
    return {
        "victims": people,
        "methods": [{"method": m, "zh": templating.value_zh(m), "grain": grain.get(m, "lot")} for m in METHOD_ORDER],
        "shown": len(people),
        "total": victims.height if victims is not None else len(people),
        "steps": REPORT_VICTIM_STEPS,
    }


def _empty_path() -> dict[str, Any]:
    """One victim's drill-down under one method before its steps are added."""
    return {"moves": [], "ends": [], "moves_total": 0, "ends_total": 0, "moves_amount": "0.00", "ends_amount": "0.00"}


# ---------------------------------------------------------------- where the money went (tracing)


def _money_went(raw: dict[str, pl.DataFrame], shown: _Masker) -> dict[str, Any] | None:
    """Endpoints of the traced money per tracing method, and what each victim could recover; None without tracing tables."""
    endpoints, recoveries, leads = raw.get("endpoints"), raw.get("recoveries"), raw.get("leads")
    if all(t is None or t.height == 0 for t in (endpoints, recoveries, leads)):
        return None
    methods = []
    if endpoints is not None and endpoints.height:
        for (method,), rows in endpoints.group_by("method", maintain_order=True):
            by_kind = rows.group_by("kind").agg(pl.col("amount").sum(), pl.len().alias("n")).sort(["amount", "kind"], descending=[True, False])
            largest = rows.sort(["amount", "account_no"], descending=[True, False])
            listed = shown.loose_table("endpoints", largest.head(MAX_ENDPOINTS).drop("method"))
            methods.append({
                "method": method,
                "total": _sum(rows),
                "kinds": by_kind.to_dicts(),
                "table": _table(listed, rows.height, "endpoints.csv", {"kind": "coded"}),
            })
        methods.sort(key=lambda m: str(m["method"]))

    def plain(name: str, frame: pl.DataFrame | None, by: list[str], descending: list[bool]) -> _Table | None:
        if frame is None or frame.height == 0:
            return None
        ordered = frame.sort(by, descending=descending) if all(c in frame.columns for c in by) else frame
        return _table(shown.loose_table(name, ordered.head(MAX_ENDPOINTS)), frame.height, f"{name}.csv")

    return {
        "methods": methods,
        "recoveries": plain("recoveries", recoveries, ["pro_rata", "account_no"], [True, False]),
        "leads": plain("leads", leads, ["amount_in", "account_no"], [True, False]),
    }


# ---------------------------------------------------------------- victims, quarantine


def _plain_table(raw: dict[str, pl.DataFrame], name: str, shown: _Masker) -> _Table | None:
    frame = raw.get(name)
    if frame is None or frame.height == 0:
        return None
    return _table(shown.table(name, frame.head(MAX_TABLE_ROWS)), frame.height, f"{name}.csv")


def _reason_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """The reason as people read it, the stable technical reason beside it: 金额无法解析 (bad amount) (docs/language.md)."""
    reasons = frame.get_column("reason").drop_nulls().unique().to_list()
    return frame.with_columns(pl.col("reason").replace({r: messages.reason_label(r, "zh") for r in reasons}))


def _quarantine(raw: dict[str, pl.DataFrame], shown: _Masker) -> dict[str, Any] | None:
    frame = raw.get("quarantine")
    if frame is None:
        return None
    counts = _reason_labels(shown.table("quarantine", figures.quarantine_counts(raw)))
    listed = _reason_labels(shown.table("quarantine", frame.head(MAX_QUARANTINE_ROWS)))
    return {
        "rows": frame.height,
        "counts": _table(counts, counts.height, "quarantine.csv"),
        "table": _table(listed, frame.height, "quarantine.csv"),
    }
