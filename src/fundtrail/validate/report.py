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
body { font: 14px/1.45 -apple-system, "Segoe UI", "Noto Sans", "Microsoft YaHei", sans-serif;
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
    )
    return _page("Validation report", "Expectation suites run on the case database", body)


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
    ordered = sorted(suite["expectations"], key=lambda e: e["success"])  # failures first
    rows = "".join(_expectation_row(suite["table"], e) for e in ordered)
    body = (
        head + "<table><tr><th>status</th><th>check</th><th>expectation</th><th>result</th></tr>"
        f"{rows}</table>"
    )
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
