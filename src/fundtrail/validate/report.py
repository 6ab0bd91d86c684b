"""The validation report as static HTML: index.html plus one page per suite.

GX's Data Docs load their CSS and JavaScript from CDNs and so open unstyled
without a network; this report is self-contained instead: inline CSS, no
script, no image, links only between its own pages.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
       "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif;
       margin: 0; color: #1f2933; background: #f5f7fa; }
header { background: #243b53; color: #fff; padding: 14px 28px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #bcccdc; }
main { padding: 18px 28px 40px; }
a { color: #1c5d99; }
table { border-collapse: collapse; background: #fff; margin: 10px 0 18px; width: 100%; }
th, td { border: 1px solid #d9e2ec; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #e4e9f0; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; font-size: 12px; font-weight: 600; }
.passed { background: #d3f2dc; color: #14532d; }
.failed { background: #fbd5d5; color: #7f1d1d; }
.skipped { background: #e4e9f0; color: #486581; }
.error { color: #7f1d1d; }
pre { white-space: pre-wrap; word-break: break-word; background: #f0f4f8; padding: 6px 8px; margin: 4px 0;
      font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
details summary { cursor: pointer; color: #486581; }
table.examples { width: auto; margin: 6px 0; }
table.examples td, table.examples th { font-size: 12px; }
.muted { color: #829ab1; }
.note { background: #fffbea; border-left: 4px solid #f0b429; padding: 6px 10px; }
h2 { font-size: 17px; margin: 26px 0 6px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
td.nowrap { white-space: nowrap; }
div.scroll { overflow-x: auto; }
tr.sentence td { border-top: none; padding-bottom: 9px; color: #486581; }
"""


def write_report(docs_dir: Path, suites: list[dict[str, Any]]) -> None:
    docs_dir.mkdir(parents=True, exist_ok=True)
    (docs_dir / "index.html").write_text(_index(suites), encoding="utf-8")
    for suite in suites:
        (docs_dir / suite["page"]).write_text(_suite_page(suite), encoding="utf-8")


def _page(title: str, subtitle: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f"<main>{body}</main></body></html>\n"
    )


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def _num(value: Any) -> str:
    return f'<td class="num">{"" if value is None else escape(f"{value:,}" if isinstance(value, int) else str(value))}</td>'


def _index(suites: list[dict[str, Any]]) -> str:
    ran = [s for s in suites if s["status"] != "skipped"]
    failed = [s for s in ran if not s["success"]]
    overall = "failed" if failed else "passed"
    rows = "".join(
        f"<tr><td><a href=\"{escape(s['page'])}\">{escape(s['suite'])}</a></td>"
        f"<td>{escape(s['purpose'])}</td><td>{_badge(s['status'])}</td>"
        f"{_num(s['rows'])}{_num(s['evaluated'])}{_num(s['failed'])}</tr>"
        for s in suites
    )
    body = (
        f"<p>Overall: {_badge(overall)} — {len(ran)} tables validated, {len(failed)} with failed "
        f"expectations, {len(suites) - len(ran)} skipped (table not in this case). "
        "A failed expectation is reported only; no data was changed or dropped.</p>"
        "<table><tr><th>suite / table</th><th>what it holds</th><th>status</th><th>rows</th>"
        f"<th>expectations</th><th>failed</th></tr>{rows}</table>"
        + "".join(_details_teaser(s) for s in suites if s.get("details"))
    )
    return _page("Validation report", "Expectation suites run on the case database", body)


def _details_teaser(suite: dict[str, Any]) -> str:
    teaser, _ = DETAIL_VIEWS[suite["details"]["kind"]]
    return teaser(suite["details"], suite["page"])


def _exclusions_teaser(details: dict[str, Any], page: str) -> str:
    excluded = details["records"] - details["valid"]
    return (
        f"<p>Information-sale records: {details['records']:,}, of which {details['valid']:,} valid "
        f"({_percent(details['valid'], details['records'])}) and {excluded:,} excluded from the counts — "
        f"<a href=\"{escape(page)}#exclusions\">why each was excluded, per file</a>.</p>"
    )


def _suite_page(suite: dict[str, Any]) -> str:
    head = (
        f"<p><a href=\"index.html\">&larr; all suites</a></p>"
        f"<p>{_badge(suite['status'])} table <b>{escape(suite['table'])}</b>"
    )
    if suite["status"] == "skipped":
        body = head + f" — {escape(suite['reason'])}.</p>"
        return _page(f"Suite {suite['suite']}", suite["purpose"], body)
    head += (
        f" — {suite['rows']:,} rows, {suite['evaluated']} expectations, "
        f"{suite['failed']} failed.</p>"
    )
    if suite.get("note"):
        head += f"<p class=\"note\">{escape(suite['note'])}</p>"
    ordered = sorted(suite["expectations"], key=lambda e: e["success"])  # failures first
    rows = "".join(_expectation_row(suite["table"], e) for e in ordered)
    body = (
        head + "<table><tr><th>status</th><th>check</th><th>expectation</th><th>result</th></tr>"
        f"{rows}</table>"
    )
    if suite.get("details"):
        _, section = DETAIL_VIEWS[suite["details"]["kind"]]
        body += section(suite["details"])
    return _page(f"Suite {suite['suite']}", suite["purpose"], body)


def _expectation_row(table: str, entry: dict[str, Any]) -> str:
    status = "passed" if entry["success"] else "failed"
    params = {k: v for k, v in entry["kwargs"].items() if k != "unexpected_rows_query"}
    query = entry["kwargs"].get("unexpected_rows_query")
    detail = f"<code>{escape(entry['expectation'])}</code>"
    if params:
        detail += f"<pre>{escape(json.dumps(params, ensure_ascii=False))}</pre>"
    if query:
        runnable = query.format(batch=table)  # as GX substitutes it; runs as is on case.duckdb
        detail += f"<details><summary>SQL of the failing rows</summary><pre>{escape(runnable)}</pre></details>"
    return (
        f"<tr><td>{_badge(status)}</td>"
        f"<td><b>{escape(entry['check'] or '')}</b><br>{escape(entry['description'] or '')}</td>"
        f"<td>{detail}</td><td>{_result(entry)}</td></tr>"
    )


def _result(entry: dict[str, Any]) -> str:
    if entry["error"]:
        return f'<span class="error">could not be evaluated: {escape(entry["error"])}</span>'
    parts = []
    if "unexpected_count" in entry:
        of = f" of {entry['element_count']:,}" if entry.get("element_count") is not None else ""
        count = entry["unexpected_count"]
        parts.append(f"{count:,}{of} {'row' if count == 1 else 'rows'} unexpected")
        if entry.get("share"):
            share = entry["share"]
            parts.append(
                f"<b>{_percent(share['met'], share['of'])}</b> meet it ({share['met']:,} of {share['of']:,}); "
                f"required: at least {share['required']:.0%}"
            )
    elif entry.get("observed") is not None:
        parts.append(f"observed: <code>{escape(json.dumps(entry['observed'], ensure_ascii=False))}</code>")
    html = "<br>".join(parts) or '<span class="muted">—</span>'
    if entry["examples"]:
        html += f"<br><span class=\"muted\">first {len(entry['examples'])}:</span>" + _examples(entry["examples"])
    return html


def _examples(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows
    )
    return f'<table class="examples"><tr>{head}</tr>{body}</table>'


def _cell(value: Any) -> str:
    return '<span class="muted">∅</span>' if value is None else escape(str(value))


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.2%}" if whole else "—"


def _rows_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], total: int, where: str) -> str:
    """``columns``: (key, title); counts right-aligned; a cut list says how many rows it leaves out."""
    head = "".join(f"<th>{escape(title)}</th>" for _key, title in columns)
    body = "".join(
        "<tr>" + "".join(_num(r.get(k)) if isinstance(r.get(k), int) else f"<td>{_cell(r.get(k))}</td>" for k, _ in columns)
        + "</tr>"
        for r in rows
    )
    cut = (
        f'<p class="muted">The first {len(rows):,} of {total:,} rows; all of them: {escape(where)}.</p>'
        if total > len(rows) else ""
    )
    return f"<table><tr>{head}</tr>{body}</table>{cut}"


EXAMPLE_COLUMNS = [
    ("source", "file"), ("source_row", "row"), ("seller_id", "seller"), ("buyer_id", "buyer"), ("name", "name"),
    ("phone", "phone (masked)"), ("phone_chars", "phone length"), ("id_number", "ID number (masked)"),
    ("id_chars", "ID length"), ("phone_problem", "phone problem"), ("id_problem", "ID problem"),
]


def _record_exclusions(details: dict[str, Any]) -> str:
    """The auditor's answer to 'why was this record not counted?': reasons by file, and rows to look at."""
    records, valid = details["records"], details["valid"]
    shares = (
        "<table><tr><th></th><th>valid</th><th>of</th><th>share</th></tr>"
        f"<tr><td>records (a valid phone or a valid ID number)</td>{_num(valid)}{_num(records)}"
        f"{_num(_percent(valid, records))}</tr>"
        f"<tr><td>phones, of the records that carry one</td>{_num(details['phones_valid'])}"
        f"{_num(details['phones_present'])}{_num(_percent(details['phones_valid'], details['phones_present']))}</tr>"
        f"<tr><td>ID numbers, of the records that carry one</td>{_num(details['ids_valid'])}"
        f"{_num(details['ids_present'])}{_num(_percent(details['ids_valid'], details['ids_present']))}</tr></table>"
    )
    view = "the view info_record_checks in case.duckdb"
    parts = [
        '<h2 id="exclusions">Why records were excluded</h2>',
        f"<p>{records:,} records read; {valid:,} valid, {records - valid:,} excluded from every count. "
        "A record counts when it names a reachable person: a phone of 11 digits starting 1[3-9] (after removing "
        "spaces, dashes and +86) or an 18-character resident ID whose check digit is right (rules.md §6). "
        "An excluded record failed both; its reason names the phone's problem and the ID's.</p>",
        shares,
    ]
    if details["by_reason"]:
        parts += [
            "<h3>Reasons</h3>",
            _rows_table(details["by_reason"], [("reason", "reason"), ("records", "records"), ("files", "files")],
                        details["by_reason_total"], view),
            "<h3>Example rows per reason</h3>"
            '<p class="muted">The first rows of each reason by file and row. Names, phones and ID numbers are masked; '
            "the lengths are those of the values as loaded. The full rows are in table info_records of case.duckdb "
            "(source, source_row).</p>",
        ]
        for reason in (r["reason"] for r in details["by_reason"]):
            rows = details["examples"].get(reason, [])
            parts.append(f"<h4>{escape(reason)}</h4>{_rows_table(rows, EXAMPLE_COLUMNS, len(rows), '')}")
    else:
        parts.append("<p>No record was excluded.</p>")
    parts += [
        "<h3>Records per file</h3>",
        _rows_table(details["by_file"], [("source", "file"), ("records", "records"), ("valid", "valid"),
                                         ("excluded", "excluded")], details["by_file_total"], view),
    ]
    if details["by_reason_and_file"]:
        parts += [
            "<h3>Reasons per file</h3>",
            _rows_table(details["by_reason_and_file"], [("reason", "reason"), ("source", "file"), ("records", "records")],
                        details["by_reason_and_file_total"], view),
        ]
    if details["unknown_categories"]:
        parts += [
            "<h3>Categories not recognised (counted as other)</h3>"
            "<p class=\"muted\">These records are not excluded; they count under the 5,000-record threshold of "
            "other information.</p>",
            _rows_table(details["unknown_categories"], [("source", "file"), ("category_raw", "category as written"),
                                                        ("records", "records")], details["unknown_categories_total"], view),
        ]
    return "".join(parts)


KIND_NAMES = {  # (one, several): the teaser's words for each kind of finding
    "balance_break": ("balance break", "balance breaks"),
    "statement_gap": ("gap", "gaps"),
    "statement_overlap": ("overlap", "overlaps"),
    "summary_mismatch": ("summary mismatch", "summary mismatches"),
    "outside_stated_period": ("file with rows outside its stated period", "files with rows outside their stated period"),
}
FINDING_COLUMNS = [
    ("account_no", "account (masked)"), ("kind", "kind"), ("source", "file"), ("before_row", "between row"),
    ("after_row", "and row"), ("before_time", "time of the first"), ("after_time", "time of the second"),
    ("expected_balance", "expected balance"), ("actual_balance", "actual balance"),
    ("missing_amount", "missing amount"), ("stated", "stated"), ("found", "found"),
]
FINDING_MONEY = ("expected_balance", "actual_balance", "missing_amount")
FINDING_UNBROKEN = ("account_no", "before_time", "after_time")
FINDINGS_CSV = "statement_integrity.csv"


def _kind_count(kind: str, count: int) -> str:
    one, several = KIND_NAMES.get(kind, (kind, kind))
    return f"{count:,} {one if count == 1 else several}"


def _findings_teaser(details: dict[str, Any], page: str) -> str:
    link = f"<a href=\"{escape(page)}#findings\">the findings, per account</a>"
    if details["findings"] == 0:
        return (
            "<p>Statement integrity: no findings — balances chain row to row, statements of one account "
            f"neither leave gaps nor overlap, stated summaries agree with the rows — see {link}.</p>"
        )
    kinds = ", ".join(_kind_count(r["kind"], r["findings"]) for r in details["by_kind"] if r["findings"])
    noun = "finding" if details["findings"] == 1 else "findings"
    accounts = "account" if details["accounts"] == 1 else "accounts"
    return (
        f"<p>Statement integrity: {details['findings']:,} {noun} ({escape(kinds)}) on {details['accounts']:,} "
        f"{accounts} — see {link}. A finding is about the evidence, not a failed expectation.</p>"
    )


def _statement_findings(details: dict[str, Any]) -> str:
    """The auditor's answer to 'can these statements be taken at their word?', account by account."""
    parts = [
        '<h2 id="findings">Statement integrity findings</h2>',
        (
            "<p>Each account's statements are checked before their totals are trusted: the running balance "
            "(previous balance + amount = balance) row to row and from one statement to the next, days no statement "
            "covers and statements that overlap, and the count, totals and period a file's preamble states against "
            "its rows. A finding does not change any figure of the run; it says where the evidence itself is "
            "incomplete.</p>"
        ),
    ]
    if details["findings"] == 0:
        parts.append("<p><b>No findings.</b> Every balance chains, no statements of one account leave gaps or "
                     "overlap, and every stated summary agrees with the rows.</p>")
        return "".join(parts)
    parts += [
        "<h3>By kind</h3>",
        _rows_table(details["by_kind"], [("kind", "kind"), ("findings", "findings"), ("accounts", "accounts")],
                    len(details["by_kind"]), ""),
        "<h3>By account</h3>",
        _rows_table(details["by_account"], [("account_no", "account (masked)"), ("findings", "findings"),
                                            ("files", "files")] + [(k, KIND_NAMES[k][1]) for k in KIND_NAMES],
                    details["accounts"], FINDINGS_CSV),
        "<h3>Findings</h3>",
        (
            "<p class=\"muted\">Rows are numbered as in the file (a row of another file is named "
            f"<code>file:row</code>); times are in {escape(details['timezone'])}. Missing amount = actual balance − "
            "expected balance: what the rows between the two must have moved.</p>"
        ),
        _findings_table(details["listed"], details["findings"]),
    ]
    return "".join(parts)


def _findings_table(rows: list[dict[str, Any]], total: int) -> str:
    """Each finding's figures on one line, its sentence on the full-width line under it.

    Columns no listed finding fills (stated and found outside summary findings) are left out."""
    columns = [(key, title) for key, title in FINDING_COLUMNS if any(row.get(key) is not None for row in rows)]
    head = "".join(f"<th>{escape(title)}</th>" for _key, title in columns)
    body = "".join(
        "<tr>" + "".join(_finding_cell(key, _short_row_id(key, row)) for key, _ in columns)
        + f"</tr><tr class=\"sentence\"><td colspan=\"{len(columns)}\">{_cell(row.get('detail'))}</td></tr>"
        for row in rows
    )
    cut = (
        f'<p class="note">The first {len(rows):,} of {total:,} findings are listed; all of them are in '
        f'<a href="../{FINDINGS_CSV}">{FINDINGS_CSV}</a> (and table statement_integrity of case.duckdb).</p>'
        if total > len(rows) else ""
    )
    return f"{cut}<div class=\"scroll\"><table><tr>{head}</tr>{body}</table></div>"


def _short_row_id(key: str, row: dict[str, Any]) -> Any:
    """A row of the finding's own file by its number (the file is in the column before); another file's in full."""
    value = row.get(key)
    prefix = f"{row.get('source')}:"
    if key in ("before_row", "after_row") and isinstance(value, str) and value.startswith(prefix):
        return value[len(prefix):]
    return value


def _finding_cell(key: str, value: Any) -> str:
    if key in FINDING_MONEY:
        return _num(value)
    if key in FINDING_UNBROKEN:
        return f"<td class=\"nowrap\">{_cell(value)}</td>"
    return f"<td>{_cell(value)}</td>"


DETAIL_VIEWS = {  # details kind: (index teaser, section of the suite page)
    "record_exclusions": (_exclusions_teaser, _record_exclusions),
    "statement_findings": (_findings_teaser, _statement_findings),
}
