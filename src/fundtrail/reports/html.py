"""report.html: one self-contained page for prosecutors, auditors and the court.

No network: CSS, the few lines of JavaScript and every diagram (inline SVG)
are in the file, and no URL is referenced except ``validation_href``, a
relative link to the Great Expectations Data Docs and integrity results
beside the report.

Sections: the case and its totals; validation and statement integrity;
the defendants with tier colours; the organisation chart (units from the
``units`` table, members from ``defendants.unit_ids``, each unit with the
entries booked to it and below it); the fund flow (victims → receiving
cards → onward accounts, band widths proportional to amounts); one
drill-down per defendant, from the liable amount to the entries it is made
of, to the payments each entry was matched to (``entries.payment_ids``),
to the source file and row of each (``entry_id``, ``payments.sources``);
then victims, information-sale defendants and quarantined rows.

Every amount shown is formatted from its Decimal (``12,345.60``); floats are
used only for diagram geometry. Work is done on the full tables with polars
and only the displayed rows reach Python; long lists are cut at a stated
limit, with the count of rows left out and the CSV to find them in.

Drill-down set per liability basis (rules.md §4): when ``tables`` holds
``liable_entries`` (defendant_id, entry_id, basis_entries, basis_amount: the
pipeline's exact list of the entries behind each liable amount, cut at the
first rows per defendant, with the full count and sum), those entries are
listed. Without it the set is approximated: ``own`` = the defendant's
validated entries (``entries.defendant_id``); ``unit`` = validated entries of
the defendant's units and the units below them, dated from ``first_day`` to
``last_day``; ``gang`` = every validated entry in that span. Either way the
total is compared with ``liable``, and the page says when they differ
instead of pretending they agree.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import polars as pl

from fundtrail.reports import figures, labels, mask
from fundtrail.reports.mask import account_expr, digit_runs_expr, mask_one, mask_table, victim_id_expr

MAX_DRILL_ENTRIES = 500
MAX_TABLE_ROWS = 1000
MAX_QUARANTINE_ROWS = 200
FLOW_NODES_PER_LAYER = 20
OTHERS = "\x00others"
RETURNED = "\x00returned"

e = html.escape


def write_html_report(
    tables: dict[str, pl.DataFrame],
    summary: dict[str, Any],
    path: Path,
    unmask: bool = False,
    validation_href: str = "validation/index.html",
) -> None:
    timezone = summary.get("timezone")
    raw = {name: figures.in_case_time(frame, timezone) for name, frame in tables.items()}
    shown = _Masker(unmask)
    defendants = raw.get("defendants", pl.DataFrame())
    anchors = {d: f"d-{i}" for i, d in enumerate(defendants.get_column("defendant_id").to_list())} if defendants.height else {}
    body = [
        _header(summary, unmask, validation_href, info=figures.info_defendants(tables, summary) is not None),
        _totals(tables, summary),
        _validation(summary, validation_href, shown),
        _info_defendants(raw, summary),
        _defendants(raw, anchors),
        _org_chart(raw, anchors),
        _fund_flow(raw, shown),
        _drilldowns(raw, anchors, shown),
        _plain_table_section("victims", "被害人 · Victims", raw, shown),
        _quarantine(raw, shown),
    ]
    title = str(summary.get("title") or summary.get("case_id") or "fundtrail")
    page = (
        "<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{e(title)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{JS}</script>\n</body>\n</html>\n"
    )
    path.write_text(page, encoding="utf-8")


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


# ---------------------------------------------------------------- cells and tables


PLAIN_NUMBER_COLUMNS = ("source_row", "before_row", "after_row")


def _cell(value: Any) -> str:
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
    return str(value)


def _th(column: str) -> str:
    zh, en = labels.column_title("zh", column), labels.column_title("en", column)
    return f"<th>{e(zh)}<small>{e(en)}</small></th>" if zh != en else f"<th>{e(zh)}</th>"


def _th_text(column: str) -> str:
    """A column's title inline, before its value (the finding's sentence row)."""
    return f"<b>{e(labels.column_title('zh', column))} {e(labels.column_title('en', column))}:</b> "


def _td(value: Any, column: str = "") -> str:
    numeric = isinstance(value, (Decimal, int)) and not isinstance(value, bool)
    text = str(value) if column in PLAIN_NUMBER_COLUMNS and numeric else _cell(value)
    return f"<td class=\"num\">{e(text)}</td>" if numeric else f"<td>{e(text)}</td>"


def _table(
    frame: pl.DataFrame,
    special: dict[str, Callable[[dict[str, Any]], str]] | None = None,
    row_class: Callable[[dict[str, Any]], str] | None = None,
) -> str:
    special = special or {}
    head = "".join(_th(c) for c in frame.columns)
    rows = []
    for record in frame.iter_rows(named=True):
        cells = "".join(special[c](record) if c in special else _td(v, c) for c, v in record.items())
        cls = f" class=\"{row_class(record)}\"" if row_class else ""
        rows.append(f"<tr{cls}>{cells}</tr>")
    return f"<div class=\"scroll\"><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def _cut_note(total: int, shown: int, where: str) -> str:
    if total <= shown:
        return ""
    return (
        f"<p class=\"note\">仅显示前 {shown:,} 行，共 {total:,} 行；其余见 {e(where)}。"
        f" Showing the first {shown:,} of {total:,} rows; the rest are in {e(where)}.</p>"
    )


def _tier_badge(tier: str | None) -> str:
    if tier is None:
        return ""
    zh = labels.value_label("zh", tier)
    return f"<span class=\"tier tier-{e(tier)}\">{e(zh)} <small>{e(tier)}</small></span>"


def _sum(frame: pl.DataFrame, column: str = "amount") -> Decimal:
    total = frame.get_column(column).sum() if frame.height else None
    return Decimal(total) if total is not None else Decimal("0.00")


# ---------------------------------------------------------------- header, totals, validation


def _header(summary: dict[str, Any], unmask: bool, validation_href: str, info: bool) -> str:
    title = summary.get("title") or summary.get("case_id") or ""
    facts = []
    for key in ("case_id", "timezone", "started", "finished", "code_version"):
        if summary.get(key) is not None:
            value = summary[key]
            shown = figures.case_time(value, summary.get("timezone")) if key in ("started", "finished") else _cell(value)
            facts.append(
                f"<dt>{e(labels.summary_label('zh', key))} <small>{e(labels.summary_label('en', key))}</small></dt>"
                f"<dd>{e(shown)}</dd>"
            )
    privacy = "unmasked" if unmask else "masked"
    return (
        f"<header><h1>{e(str(title))}</h1><dl class=\"facts\">{''.join(facts)}</dl>"
        f"<p class=\"privacy {privacy}\">{e(labels.summary_label('zh', privacy))}<br>"
        f"<small>{e(labels.summary_label('en', privacy))}</small></p>"
        "<nav><a href=\"#totals\">合计 Totals</a> <a href=\"#validation\">校验 Validation</a> "
        + ("<a href=\"#info-defendants\">信息类被告人 Information-sale defendants</a> " if info else "")
        + "<a href=\"#defendants\">被告人 Defendants</a> <a href=\"#org\">组织结构 Organisation</a> "
        "<a href=\"#flow\">资金流向 Fund flow</a> <a href=\"#drill\">证据明细 Evidence</a> "
        "<a href=\"#victims\">被害人 Victims</a> <a href=\"#quarantine\">剔除数据 Quarantine</a> "
        f"<a href=\"{e(validation_href)}\">数据校验报告 Data Docs</a></nav></header>"
    )


def _totals(tables: dict[str, pl.DataFrame], summary: dict[str, Any]) -> str:
    cards = []
    for key, value in figures.totals(tables, summary).items():
        if key == "validated_share":
            text = figures.share(value)
        elif isinstance(value, Decimal) and figures.is_money_key(key):
            text = figures.money(value)
        else:
            text = _cell(value)
        cards.append(
            f"<div class=\"card\" data-key=\"{e(key)}\"><div class=\"value\">{e(text)}</div>"
            f"<div class=\"label\">{e(labels.summary_label('zh', key))}<small>{e(labels.summary_label('en', key))}</small></div></div>"
        )
    tiers = "".join(
        f"<li>{_tier_badge(tier)} <b>{count}</b></li>" for tier, count in figures.tiers(tables, summary).items()
    )
    tier_block = f"<h3>各档次被告人数 <small>Defendants by tier</small></h3><ul class=\"tiers\">{tiers}</ul>" if tiers else ""
    return f"<section id=\"totals\"><h2>合计 <small>Totals</small></h2><div class=\"cards\">{''.join(cards)}</div>{tier_block}</section>"


def _validation(summary: dict[str, Any], validation_href: str, shown: _Masker) -> str:
    link = (
        f"<p><a class=\"button\" href=\"{e(validation_href)}\">打开数据校验报告（Great Expectations Data Docs）与流水完整性结果"
        " · Open the validation report and integrity results</a></p>"
    )
    rows = []
    for result in summary.get("validation") or []:
        success = result.get("success")
        status = (
            "<span class=\"note\">— 跳过（本案无此表或无数据） skipped</span>" if success is None
            else "<span class=\"ok\">✓ 通过 passed</span>" if success else "<span class=\"bad\">✗ 未通过 failed</span>"
        )
        rows.append(
            f"<tr><td><a href=\"{e(validation_href)}\">{e(str(result.get('suite', '')))}</a></td>"
            f"<td>{status}</td><td class=\"num\">{e(_cell(result.get('failed')))}</td></tr>"
        )
    suites = (
        "<table><thead><tr><th>校验集<small>Suite</small></th><th>结果<small>Result</small></th>"
        f"<th>未通过项<small>Failed expectations</small></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else ""
    )
    findings = (summary.get("totals") or {}).get("integrity_findings")
    return (
        "<section id=\"validation\"><h2>数据校验 <small>Validation</small></h2>"
        f"{link}{suites}{_integrity(summary.get('integrity'), shown, summary.get('timezone'), findings)}</section>"
    )


INTEGRITY_MONEY = ("expected", "actual", "expected_balance", "actual_balance", "missing_amount")


def _integrity(integrity: Any, shown: _Masker, timezone: str | None, total: int | None = None) -> str:
    """The findings as given (a mapping, or a list of records), titled, amounts right-aligned, accounts masked."""
    if not integrity:
        return ""

    def text(value: Any) -> str:
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False, default=str)
        return e(shown.text(_cell(value)))

    def cell(key: str, value: Any) -> str:
        if value is None:
            return "<td></td>"
        if key in mask.ACCOUNT_COLUMNS and isinstance(value, str):
            return f"<td class=\"account\">{e(shown.account(value))}</td>"
        if key == "kind" and isinstance(value, str):
            zh = labels.value_label("zh", value)
            return f"<td>{e(zh)}<small>{e(value)}</small></td>" if zh != value else f"<td>{e(value)}</td>"
        if key in INTEGRITY_MONEY or isinstance(value, Decimal):
            try:
                return f"<td class=\"num\">{e(figures.money(Decimal(str(value))))}</td>"
            except ArithmeticError:
                return f"<td>{text(value)}</td>"
        if isinstance(value, dt.datetime):
            return f"<td class=\"time\">{e(figures.case_time(value, timezone))}</td>"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"<td class=\"num\">{e(str(value) if key in PLAIN_NUMBER_COLUMNS else _cell(value))}</td>"
        return f"<td>{text(value)}</td>"

    heading = "<h3>流水完整性检查 <small>Statement integrity</small></h3>"
    if isinstance(integrity, dict):
        rows = "".join(f"<tr>{_th(str(k))}{cell(str(k), v)}</tr>" for k, v in integrity.items())
        return f"{heading}<table class=\"integrity\"><tbody>{rows}</tbody></table>"
    records = [r for r in integrity if isinstance(r, dict)] if isinstance(integrity, list) else []
    # Columns no finding fills are left out; the sentence of each finding gets a full-width row
    # under its figures, where it can be read without scrolling sideways.
    keys = [k for k in dict.fromkeys(k for r in records for k in r) if any(r.get(k) is not None for r in records)]
    columns = [k for k in keys if k != "detail"]
    head = "".join(_th(k) for k in columns)
    rows = "".join(
        "<tr class=\"finding\">" + "".join(cell(k, r.get(k)) for k in columns) + "</tr>"
        + (f"<tr class=\"detail\"><td colspan=\"{len(columns)}\">{_th_text('detail')}{text(r['detail'])}</td></tr>"
           if r.get("detail") is not None else "")
        for r in records
    )
    return (
        f"{heading}<p class=\"note\">列出 {len(records):,} 项 · {len(records):,} findings listed.</p>"
        f"{_cut_note(total if isinstance(total, int) else 0, len(records), 'statement_integrity.csv')}"
        f"<div class=\"scroll\"><table class=\"integrity\"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


# ---------------------------------------------------------------- defendants


def _defendants(raw: dict[str, pl.DataFrame], anchors: dict[str, str]) -> str:
    frame = raw.get("defendants")
    if frame is None:
        return ""

    def linked_id(record: dict[str, Any]) -> str:
        d = record["defendant_id"]
        return f"<td><a href=\"#{anchors[d]}\">{e(d)}</a></td>"

    def liable(record: dict[str, Any]) -> str:
        d = record["defendant_id"]
        return f"<td class=\"num liable\"><a href=\"#{anchors[d]}\">{e(figures.money(record['liable']))}</a></td>"

    def tier(record: dict[str, Any]) -> str:
        return f"<td>{_tier_badge(record['tier'])}</td>"

    def coded(column: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: f"<td>{e(labels.value_label('zh', r[column]) if r[column] else '')}<small>{e(r[column] or '')}</small></td>"

    special = {"defendant_id": linked_id, "liable": liable, "tier": tier, "role": coded("role"), "liable_basis": coded("liable_basis")}
    table = _table(frame, {k: v for k, v in special.items() if k in frame.columns}, lambda r: f"tier-row-{r.get('tier')}")
    return (
        "<section id=\"defendants\"><h2>被告人 <small>Defendants</small></h2>"
        "<p class=\"note\">点击编号或应担责金额查看证据明细。 Click an id or a liable amount for the evidence behind it.</p>"
        f"{table}</section>"
    )


# ---------------------------------------------------------------- organisation chart


MEMBERS_LIST = '<ul class="members">'


def _wrap(opening: str, items: str) -> str:
    return f"{opening}{items}</ul>" if items else ""


def _org_chart(raw: dict[str, pl.DataFrame], anchors: dict[str, str]) -> str:
    units = raw.get("units")
    if units is None or units.height == 0:
        return ""
    entries = raw.get("entries", pl.DataFrame(schema={"unit_id": pl.String, "status": pl.String, "amount": pl.Decimal(18, 2)}))
    booked = entries.group_by("unit_id", "status").agg(pl.col("amount").sum(), pl.len().alias("n"))
    direct: dict[str | None, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
    for unit_id, status, amount, n in booked.iter_rows():
        direct[unit_id][status] = (Decimal(amount), n)

    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    defendants = raw.get("defendants")
    if defendants is not None and defendants.height:
        exploded = defendants.with_columns(pl.col("unit_ids").str.split(";")).explode("unit_ids")
        for record in exploded.iter_rows(named=True):
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
            if child in seen:
                continue
            for status, (amount, n) in subtree_totals(child, seen | {child}).items():
                old = sums.get(status, (Decimal("0.00"), 0))
                sums[status] = (old[0] + amount, old[1] + n)
        return sums

    def node(unit_id: str, seen: frozenset[str]) -> str:
        record = known[unit_id]
        sums = subtree_totals(unit_id, seen)
        validated, n_valid = sums.get("validated", (Decimal("0.00"), 0))
        unvalidated, n_unval = sums.get("unvalidated", (Decimal("0.00"), 0))
        people = "".join(
            f"<li class=\"member tier-row-{e(m['tier'] or '')}\"><a href=\"#{anchors[m['defendant_id']]}\">"
            f"{e(m['defendant_id'])} {e(m['name'] or '')}</a> <small>{e(labels.value_label('zh', m['role']) if m['role'] else '')}</small>"
            f" 应担责 <b>{e(figures.money(m['liable']))}</b></li>"
            for m in members.get(unit_id, [])
        )
        kids = "".join(node(c, seen | {c}) for c in sorted(children.get(unit_id, [])) if c not in seen)
        kind = record.get("kind") or ""
        return (
            f"<li><div class=\"unit kind-{e(kind)}\" id=\"u-{e(unit_id)}\"><b>{e(record.get('name') or unit_id)}</b>"
            f" <small>{e(unit_id)} · {e(labels.value_label('zh', kind) if kind != 'gang' else '团伙')} {e(kind)}</small>"
            f"<div class=\"amounts\">已核实入金 validated <b>{e(figures.money(validated))}</b> ({n_valid} 笔)"
            f" · 未核实 unvalidated {e(figures.money(unvalidated))} ({n_unval} 笔)</div>"
            f"{_wrap(MEMBERS_LIST, people)}</div>{_wrap('<ul>', kids)}</li>"
        )

    tree = "".join(node(root, frozenset({root})) for root in sorted(children.get(None, [])))
    unknown = direct.get(None, {})
    unknown_note = ""
    if unknown:
        amount = sum((v[0] for v in unknown.values()), Decimal("0.00"))
        count = sum(v[1] for v in unknown.values())
        unknown_note = (
            f"<p class=\"note\">代号未能对应花名册的入金 {count} 笔，金额 {e(figures.money(amount))}（计入团伙金额）。"
            f" Entries under codes not on the roster: {count}, {e(figures.money(amount))} (counted in the gang's amounts).</p>"
        )
    return (
        "<section id=\"org\"><h2>组织结构 <small>Organisation</small></h2>"
        "<p class=\"note\">单位金额含下级单位。 A unit's amounts include the units below it.</p>"
        f"<ul class=\"tree\">{tree}</ul>{unknown_note}</section>"
    )


# ---------------------------------------------------------------- fund flow


def _top(links: pl.DataFrame, key: str) -> tuple[pl.DataFrame, int]:
    """Links with every ``key`` outside the largest (by amount) folded into one 'others' node, and how many were folded."""
    ranked = links.group_by(key).agg(pl.col("amount").sum()).sort(["amount", key], descending=[True, False])
    keep = ranked.head(FLOW_NODES_PER_LAYER).get_column(key)
    folded = links.with_columns(
        pl.when(pl.col(key).is_in(keep.implode())).then(pl.col(key)).otherwise(pl.lit(OTHERS)).alias(key)
    )
    return folded.group_by("src", "dst").agg(pl.col("amount").sum()), ranked.height - keep.len()


def _fund_flow(raw: dict[str, pl.DataFrame], shown: _Masker) -> str:
    payments = raw.get("payments")
    if payments is None or payments.height == 0:
        return ""
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

    svg = _sankey([list(paid.iter_rows()), list(onward.iter_rows())], label)
    return (
        "<section id=\"flow\"><h2>资金流向 <small>Fund flow: victims → receiving cards → onward accounts</small></h2>"
        "<p class=\"note\">带宽与金额成正比；每层显示金额最大的 "
        f"{FLOW_NODES_PER_LAYER} 个，其余合并。卡间互转未画出。 Band widths are proportional to amounts; each layer shows its "
        f"{FLOW_NODES_PER_LAYER} largest nodes and folds the rest; transfers between receiving cards are not drawn.</p>"
        f"{svg}</section>"
    )


def _sankey(layers: list[list[tuple[str, str, Decimal]]], label: Callable[[int, str], str]) -> str:
    """A three-column layered flow diagram; ``layers[i]`` are the (source, target, amount) links from column i to i+1."""
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
        return ""
    width, node_w, top, gap, min_slot = 1100, 14, 20, 8, 30
    usable = 520
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
    parts = []
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
            tip = f"{label(i, src)} → {label(i + 1, dst)}: {figures.money(amount)}"
            parts.append(
                f"<path class=\"link l{i}\" d=\"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
                f" L{x1:.1f},{y1 + t:.1f} C{mid:.1f},{y1 + t:.1f} {mid:.1f},{y0 + t:.1f} {x0:.1f},{y0 + t:.1f} Z\">"
                f"<title>{e(tip)}</title></path>"
            )
    headings = ["被害人 victims", "收款卡 receiving cards", "下游账户 onward accounts"]
    for i in range(columns):
        parts.append(f"<text class=\"col\" x=\"{x[i]:.1f}\" y=\"12\">{e(headings[i] if i < len(headings) else '')}</text>")
        for key, (y, h) in pos[i].items():
            received, sent = inflow[i].get(key), outflow[i].get(key)
            if received is not None and sent is not None:
                text = f"{label(i, key)}  收 in {figures.money(received)} · 出 out {figures.money(sent)}"
            else:
                text = f"{label(i, key)}  {figures.money(values[i][key])}"
            parts.append(
                f"<rect class=\"node c{i}\" x=\"{x[i]:.1f}\" y=\"{y:.1f}\" width=\"{node_w}\" height=\"{h:.1f}\"><title>{e(text)}</title></rect>"
                f"<text x=\"{x[i] + node_w + 4:.1f}\" y=\"{y + min(h, min_slot) / 2 + 4:.1f}\">{e(text)}</text>"
            )
    return (
        f"<div class=\"scroll\"><svg class=\"sankey\" viewBox=\"0 0 {width} {height:.0f}\" width=\"{width}\" height=\"{height:.0f}\""
        f" role=\"img\" aria-label=\"fund flow\">{''.join(parts)}</svg></div>"
    )


# ---------------------------------------------------------------- drill-down


def _descendants(units: pl.DataFrame | None, roots: list[str]) -> list[str]:
    if units is None or units.height == 0:
        return roots
    children: dict[str, list[str]] = defaultdict(list)
    for unit_id, parent in units.select("unit_id", "parent_id").iter_rows():
        if parent:
            children[parent].append(unit_id)
    found, stack = set(), list(roots)
    while stack:
        unit = stack.pop()
        if unit not in found:
            found.add(unit)
            stack.extend(children.get(unit, []))
    return sorted(found)


def _basis_entries(raw: dict[str, pl.DataFrame], defendant: dict[str, Any]) -> tuple[pl.DataFrame, int, Decimal]:
    """The entries behind the liable amount, with their full count and sum (the list may be cut)."""
    traced = raw.get("liable_entries")
    if traced is not None:
        mine = traced.filter(pl.col("defendant_id") == defendant["defendant_id"])
        chosen = raw["entries"].join(mine.select("entry_id"), on="entry_id", how="semi")
        if mine.height == 0:
            return chosen, 0, Decimal("0.00")
        return chosen, int(mine["basis_entries"][0]), Decimal(mine["basis_amount"][0])
    chosen = _approximate_basis_entries(raw, defendant)
    return chosen, chosen.height, _sum(chosen)


def _approximate_basis_entries(raw: dict[str, pl.DataFrame], defendant: dict[str, Any]) -> pl.DataFrame:
    entries = raw["entries"].filter(pl.col("status") == "validated")
    basis = defendant.get("liable_basis")
    if basis == "own" or basis not in ("unit", "gang"):
        return entries.filter(pl.col("defendant_id") == defendant["defendant_id"])
    day = pl.col("ts").dt.date()
    in_span = pl.lit(True)
    if defendant.get("first_day") is not None:
        in_span = in_span & (day >= defendant["first_day"])
    if defendant.get("last_day") is not None:
        in_span = in_span & (day <= defendant["last_day"])
    entries = entries.filter(in_span)
    if basis == "unit":
        own_units = [u for u in (defendant.get("unit_ids") or "").split(";") if u]
        entries = entries.filter(pl.col("unit_id").is_in(_descendants(raw.get("units"), own_units)))
    return entries


def _sources(posting_ids: str | None) -> str:
    """``a.csv:12;b.csv:7`` → one 'file, row' line per posting."""
    if not posting_ids:
        return ""
    lines = []
    for posting in posting_ids.split(";"):
        file, _, row = posting.rpartition(":")
        lines.append(f"<code>{e(file or posting)}</code> 第 {e(row)} 行 row" if file else f"<code>{e(posting)}</code>")
    return "<br>".join(lines)


def _drilldowns(raw: dict[str, pl.DataFrame], anchors: dict[str, str], shown: _Masker) -> str:
    defendants = raw.get("defendants")
    entries = raw.get("entries")
    if defendants is None or entries is None or defendants.height == 0:
        return ""
    payments = raw.get("payments")
    blocks = []
    for defendant in defendants.iter_rows(named=True):
        blocks.append(_drilldown(raw, defendant, anchors[defendant["defendant_id"]], payments, shown))
    return (
        "<section id=\"drill\"><h2>证据明细 <small>Evidence: from each liable amount to the source rows</small></h2>"
        "<p><button type=\"button\" onclick=\"toggleAll(true)\">全部展开 expand all</button> "
        "<button type=\"button\" onclick=\"toggleAll(false)\">全部收起 collapse all</button></p>"
        f"{''.join(blocks)}</section>"
    )


def _drilldown(
    raw: dict[str, pl.DataFrame],
    defendant: dict[str, Any],
    anchor: str,
    payments: pl.DataFrame | None,
    shown: _Masker,
) -> str:
    basis = defendant.get("liable_basis") or "own"
    chosen, count, total = _basis_entries(raw, defendant)
    liable = defendant.get("liable")
    agrees = liable is not None and total == Decimal(liable)
    check = (
        f"<p class=\"ok\">✓ 下列 {count} 笔已核实入金合计 {e(figures.money(total))}，与应担责金额一致。"
        f" The {count} validated entries below add up to {e(figures.money(total))}, equal to the liable amount.</p>"
        if agrees
        else f"<p class=\"bad\">≠ 下列 {count} 笔已核实入金合计 {e(figures.money(total))}，与应担责金额 {e(figures.money(liable))} 不一致"
        "（花名册期间有间断或单位任职期短于起止日）。请以 entries.csv 核对。"
        f" The {count} validated entries in the span add up to {e(figures.money(total))}, not the liable "
        f"{e(figures.money(liable))}: the roster periods have gaps or unit tenures are shorter than the span; check entries.csv.</p>"
    )
    explain = {
        "own": "本人代号名下的已核实入金 · validated entries under the defendant's own code names",
        "unit": "所在单位（含下级单位）在起止日期间的已核实入金 · validated entries of the defendant's units and those below them, first to last day",
        "gang": "起止日期间全团伙的已核实入金 · validated entries of the whole organisation, first to last day",
    }.get(basis, basis)
    listed = chosen.bottom_k(MAX_DRILL_ENTRIES, by=["ts", "entry_id"]).sort("ts", "entry_id")
    matched = _matched_payments(listed, payments, shown)
    rows = []
    masked_entries = shown.table("entries", listed)
    for real, record in zip(listed.iter_rows(named=True), masked_entries.iter_rows(named=True)):
        rows.append(
            "<tr class=\"entry\">"
            f"<td><code>{e(record['entry_id'])}</code></td><td>{e(_cell(record['ts']))}</td>"
            f"<td class=\"num\">{e(figures.money(record['amount']))}</td><td>{e(record.get('member_code') or '')}</td>"
            f"<td>{e(record.get('defendant_id') or '')}</td><td>{e(record.get('victim_id') or '')}</td>"
            f"<td>{'⚠ ' if record.get('ambiguous') else ''}{e(_cell(record.get('candidates')))}</td>"
            f"<td>{_sources(record['source'] + ':' + str(record['source_row']) if record.get('source') else record['entry_id'])}</td></tr>"
        )
        for payment in matched.get(real["entry_id"], []):
            rows.append(
                "<tr class=\"payment\">"
                f"<td>↳ <code>{e(payment['payment_id'])}</code></td><td>{e(_cell(payment['ts']))}</td>"
                f"<td class=\"num\">{e(figures.money(payment['amount']))}</td>"
                f"<td colspan=\"2\">{e(payment.get('from_account') or '')} → {e(payment.get('to_account') or '')}</td>"
                f"<td>{e(payment.get('victim_id') or '')}</td><td></td><td>{_sources(payment.get('sources'))}</td></tr>"
            )
    head = (
        "<tr><th>入金记录 / 付款<small>Entry / payment</small></th><th>时间<small>Time</small></th><th>金额<small>Amount</small></th>"
        "<th>代号<small>Code</small></th><th>被告人<small>Defendant</small></th><th>被害人<small>Victim</small></th>"
        "<th>候选<small>Candidates</small></th><th>来源文件与行<small>Source file and row</small></th></tr>"
    )
    unvalidated = defendant.get("own_unvalidated")
    return (
        f"<details id=\"{anchor}\" class=\"drill\"><summary><b>{e(defendant['defendant_id'])} {e(defendant.get('name') or '')}</b>"
        f" 应担责金额 liable <b class=\"liable\">{e(figures.money(liable))}</b> {_tier_badge(defendant.get('tier'))}"
        f" <small>依据 basis: {e(labels.value_label('zh', basis))} {e(basis)}</small></summary>"
        f"<p>{e(explain)}。 本人未核实入金（不计入） own unvalidated, not counted: {e(figures.money(unvalidated))}</p>"
        f"{check}{_cut_note(count, listed.height, 'entries.csv')}"
        f"<div class=\"scroll\"><table class=\"evidence\"><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
        "<p><a href=\"#defendants\">↑ 返回被告人表 back to defendants</a></p></details>"
    )


def _matched_payments(
    entries: pl.DataFrame, payments: pl.DataFrame | None, shown: _Masker
) -> dict[str, list[dict[str, Any]]]:
    """Payments of each listed entry, keyed by the real entry_id, masked for display."""
    if payments is None or entries.height == 0:
        return {}
    wanted = (
        entries.select(pl.col("entry_id").alias("for_entry"), pl.col("payment_ids").str.split(";").alias("payment_id"))
        .explode("payment_id")
        .filter(pl.col("payment_id").is_not_null() & (pl.col("payment_id") != ""))
        .with_row_index("order")
    )
    joined = wanted.join(payments.drop("entry_id", strict=False), on="payment_id", how="inner").sort("order")
    result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in shown.table("payments", joined).iter_rows(named=True):
        result[record["for_entry"]].append(record)
    return result


# ---------------------------------------------------------------- victims, info cases, quarantine


def _plain_table_section(name: str, heading: str, raw: dict[str, pl.DataFrame], shown: _Masker) -> str:
    frame = raw.get(name)
    if frame is None:
        return ""
    listed = shown.table(name, frame.head(MAX_TABLE_ROWS))
    special = {"tier": lambda r: f"<td>{_tier_badge(r['tier'])}</td>"} if "tier" in frame.columns else None
    zh, _, en = heading.partition(" · ")
    return (
        f"<section id=\"{name.replace('_', '-')}\"><h2>{e(zh)} <small>{e(en)}</small></h2>"
        f"{_cut_note(frame.height, listed.height, name + '.csv')}{_table(listed, special)}</section>"
    )


def _info_defendants(raw: dict[str, pl.DataFrame], summary: dict[str, Any]) -> str:
    frame = figures.info_defendants(raw, summary)
    if frame is None:
        return ""
    listed = frame.head(MAX_TABLE_ROWS)
    special = {"tier": lambda r: f"<td>{_tier_badge(r['tier'])}</td>"}
    return (
        "<section id=\"info-defendants\"><h2>信息类被告人 <small>Information-sale defendants</small></h2>"
        "<p class=\"note\">有效记录按买方去重、按上下游链条计数；违法所得 = 收入 − 支付上游（rules.md §6）。"
        " Valid records de-duplicated per buyer and counted along the chain; net gain = received − paid upstream.</p>"
        f"{_cut_note(frame.height, listed.height, 'info_defendants.csv')}{_table(listed, special)}</section>"
    )


def _quarantine(raw: dict[str, pl.DataFrame], shown: _Masker) -> str:
    frame = raw.get("quarantine")
    if frame is None:
        return ""
    counts = shown.table("quarantine", figures.quarantine_counts(raw))
    listed = shown.table("quarantine", frame.head(MAX_QUARANTINE_ROWS))
    return (
        "<section id=\"quarantine\"><h2>剔除数据 <small>Quarantined input rows</small></h2>"
        f"<p>共 {frame.height:,} 行 · {frame.height:,} rows in total.</p>"
        f"<h3>按来源与原因 <small>By source and reason</small></h3>{_table(counts)}"
        f"<h3>明细 <small>Rows</small></h3>{_cut_note(frame.height, listed.height, 'quarantine.csv')}{_table(listed)}</section>"
    )


CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--accent:#1c5d99}
*{box-sizing:border-box}
body{font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;color:var(--ink);margin:0 auto;max-width:1400px;padding:0 24px 48px;line-height:1.45}
h1{margin:24px 0 8px}h2{border-bottom:2px solid var(--accent);padding-bottom:4px;margin-top:40px}
h2 small,h3 small,th small,.label small{display:block;font-weight:normal;color:var(--muted);font-size:.75em}
h2 small,h3 small{display:inline}
a{color:var(--accent)}
nav a{margin-right:12px;white-space:nowrap}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.privacy{padding:8px 12px;border-radius:4px}.privacy.masked{background:#e6fcf5}.privacy.unmasked{background:#fff5f5;border:1px solid #e03131}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:180px}
.card .value{font-size:1.35em;font-weight:bold;font-variant-numeric:tabular-nums}.card .label{color:var(--muted)}
table{border-collapse:collapse;font-size:.9em;margin:8px 0}
th,td{border:1px solid var(--line);padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f0f4f8;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td small{display:block;color:var(--muted)}
.scroll{overflow-x:auto;max-width:100%}
.note{color:var(--muted);font-size:.9em}
.ok{color:#2b8a3e}.bad{color:#c92a2a}
.tier{padding:1px 6px;border-radius:3px;white-space:nowrap}
.tier small{color:var(--muted);display:inline}
.tier-none,.tier-row-none{background:#e9ecef}
.tier-large,.tier-row-large{background:#fff3bf}
.tier-huge,.tier-row-huge,.tier-serious,.tier-row-serious{background:#ffd8a8}
.tier-especially_huge,.tier-row-especially_huge,.tier-especially_serious,.tier-row-especially_serious{background:#ffa8a8}
ul.tiers{list-style:none;padding:0;display:flex;gap:16px}
ul.tree,ul.tree ul{list-style:none;padding-left:28px;margin:0}
ul.tree{padding-left:0}
ul.tree ul{border-left:2px solid var(--line)}
ul.tree li{margin:8px 0;position:relative}
ul.tree ul>li:before{content:"";position:absolute;left:-28px;top:18px;width:24px;border-top:2px solid var(--line)}
.unit{display:inline-block;border:1px solid var(--line);border-left:5px solid var(--accent);border-radius:4px;padding:6px 10px;background:#fff}
.unit.kind-gang{border-left-color:#862e9c}.unit.kind-department{border-left-color:#1c5d99}.unit.kind-group{border-left-color:#2b8a3e}
.unit .amounts{font-size:.9em;font-variant-numeric:tabular-nums}
ul.members{list-style:none;padding:0;margin:4px 0 0;display:flex;flex-wrap:wrap;gap:4px}
li.member{margin:0;padding:1px 6px;border-radius:3px;font-size:.85em}
svg.sankey{font-size:11px}
svg .link{fill-opacity:.35;stroke:none}svg .link:hover{fill-opacity:.6}
svg .link.l0{fill:#e8590c}svg .link.l1{fill:#1c7ed6}
svg .node.c0{fill:#d9480f}svg .node.c1{fill:#5f3dc4}svg .node.c2{fill:#1864ab}
svg text{fill:var(--ink)}svg text.col{font-weight:bold}
details.drill{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:6px 10px}
details.drill[open]{background:#fbfcfd}
details.drill summary{cursor:pointer}
details.drill:target{outline:3px solid var(--accent)}
.liable{font-variant-numeric:tabular-nums}
tr.payment td{background:#f8f9fa;font-size:.95em}
code{font-size:.95em;word-break:break-all}
table.integrity td.account,table.integrity td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
table.integrity tr.finding td{border-bottom:none}
table.integrity tr.detail td{border-top:none;color:var(--muted);padding-bottom:8px}
.button{display:inline-block;padding:6px 12px;border:1px solid var(--accent);border-radius:4px;text-decoration:none}
@media print{nav,button{display:none}th{position:static}}
"""

JS = """
function toggleAll(open){document.querySelectorAll('details.drill').forEach(function(d){d.open=open;});}
function openTarget(){var id=decodeURIComponent(location.hash.slice(1));var t=id&&document.getElementById(id);if(t&&t.tagName==='DETAILS'){t.open=true;t.scrollIntoView();}}
window.addEventListener('hashchange',openTarget);window.addEventListener('DOMContentLoaded',openTarget);
window.addEventListener('beforeprint',function(){toggleAll(true);});
"""
