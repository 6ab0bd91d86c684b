"""The validation report as static HTML: index.html plus one page per suite.

GX's Data Docs load their CSS and JavaScript from CDNs and so open unstyled
without a network; this report is self-contained instead, rendered from the
same autoescaped Jinja2 templates as report.html (``reports/templates``:
``base.html``, ``macros.html``, ``report.css``; its own pages under
``validation/``): inline CSS, no script, no image, links only between its own
pages and to ``statement_integrity.csv`` beside them. This module only shapes
the suites' results into what the pages show; the templates hold the markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from fundtrail.reports import templating

KIND_NAMES = {  # (one, several): how the pages count each kind of statement finding
    "balance_break": ("balance break", "balance breaks"),
    "statement_gap": ("gap", "gaps"),
    "statement_overlap": ("overlap", "overlaps"),
    "summary_mismatch": ("summary mismatch", "summary mismatches"),
    "outside_stated_period": ("file with rows outside its stated period", "files with rows outside their stated period"),
}
FINDING_COLUMNS = (
    "account_no", "kind", "source", "before_row", "after_row", "before_time", "after_time",
    "expected_balance", "actual_balance", "missing_amount", "stated", "found",
)


def preload_templates() -> None:
    """Compile every template the pages use ahead of the first report (Jinja2 keeps them).

    That is each one under ``validation/`` (index.html imports a details view by name) and
    what they name in turn (base.html, macros.html, the inlined CSS)."""
    env = templating.environment()
    waiting = env.list_templates(filter_func=lambda name: name.startswith("validation/"))
    compiled: set[str] = set()
    while waiting:
        name = waiting.pop()
        if name in compiled:
            continue
        env.get_template(name)
        compiled.add(name)
        source, _, _ = env.loader.get_source(env, name)
        waiting.extend(n for n in jinja2.meta.find_referenced_templates(env.parse(source)) if n)


def write_report(docs_dir: Path, suites: list[dict[str, Any]]) -> None:
    docs_dir.mkdir(parents=True, exist_ok=True)
    shown = [suite | {"details": _details(suite.get("details"))} for suite in suites]
    ran = [s for s in shown if s["status"] != "skipped"]
    failed = [s for s in ran if not s["success"]]
    index = templating.render(
        "validation/index.html",
        lang="en",
        title="Validation report",
        subtitle="Expectation suites run on the case database",
        suites=shown,
        overall="failed" if failed else "passed",
        ran=len(ran),
        failed=len(failed),
        skipped=len(shown) - len(ran),
    )
    (docs_dir / "index.html").write_text(index, encoding="utf-8")
    for suite in shown:
        page = templating.render(
            "validation/suite.html",
            lang="en",
            title=f"Suite {suite['suite']}",
            subtitle=suite["purpose"],
            suite=suite,
            expectations=[_expectation(suite["table"], e) for e in sorted(suite["expectations"], key=lambda e: e["success"])],
        )
        (docs_dir / suite["page"]).write_text(page, encoding="utf-8")


def _expectation(table: str, entry: dict[str, Any]) -> dict[str, Any]:
    """One row of a suite page (failures are listed first): its parameters, runnable SQL and example columns."""
    query = entry["kwargs"].get("unexpected_rows_query")
    return entry | {
        "params": {k: v for k, v in entry["kwargs"].items() if k != "unexpected_rows_query"},
        "query": query.format(batch=table) if query else None,  # as GX substitutes it; runs as is on case.duckdb
        "example_columns": [(c, c) for c in dict.fromkeys(k for row in entry["examples"] for k in row)],
    }


def _details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if details is None or details["kind"] != "statement_findings":
        return details
    rows = [_short_row_ids(row) for row in details["listed"]]
    return details | {
        "kind_names": KIND_NAMES,
        "kind_columns": [(kind, several) for kind, (_one, several) in KIND_NAMES.items()],
        # Columns no listed finding fills (stated and found outside summary findings) are left out.
        "columns": [key for key in FINDING_COLUMNS if any(row.get(key) is not None for row in rows)],
        "rows": rows,
    }


def _short_row_ids(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the finding's own file by its number (the file is in the column before); another file's in full."""
    prefix = f"{row.get('source')}:"
    return row | {
        key: row[key][len(prefix):]
        for key in ("before_row", "after_row")
        if isinstance(row.get(key), str) and row[key].startswith(prefix)
    }
