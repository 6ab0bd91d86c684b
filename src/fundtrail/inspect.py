"""`fundtrail inspect FILE`: which export layout a file is, and a ready `[[source]]` block for it.

Every preset is tried on the file (its header names, in its encodings, below
any preamble); the one that finds its header and the most of its columns
wins. The file is then loaded as that preset would load it, so the answer
shows the rows read, loaded and quarantined and the money in and out before
anyone writes a case.toml. A file no preset fits gets the closest preset's
missing headers and a plain csv/xlsx block to fill in.
"""

from __future__ import annotations

import glob
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from fundtrail.config import Source, parse_case
from fundtrail.errors import FundtrailError, InputSchemaError
from fundtrail.ingest import load_file
from fundtrail.ingest.presets import Preset, presets
from fundtrail.ingest.readers import (
    FORMAT_BY_SUFFIX,
    SPREADSHEET_FORMATS,
    Layout,
    head_rows,
    header_index,
    layout_of,
    read_header_texts,
)
from fundtrail.kinds import KINDS, required_columns

# Stands in for an account the export does not name, so the rows can be counted.
ACCOUNT_STAND_IN = "(account not named in the file)"
PLAIN_ENCODINGS = ("utf-8", "gb18030")


def inspect_file(path: Path) -> dict[str, Any]:
    """What the file is: detected preset (or None), encoding, header line, columns, row counts and totals."""
    path = Path(path)
    if not path.is_file():
        raise InputSchemaError(f"{path}: no such file")
    file_format = FORMAT_BY_SUFFIX.get(path.suffix.lower(), "csv")
    matches = []
    for preset in presets().values():
        layout, headers = _try(preset, path, file_format)
        if layout is not None:
            matches.append((_score(preset, headers), preset, layout, headers))
    if not matches:
        return _unknown(path, file_format)
    matches.sort(key=lambda m: (-m[0], m[1].name))
    _, preset, layout, headers = matches[0]
    result: dict[str, Any] = {
        "path": str(path),
        "preset": preset.name,
        "title": preset.title,
        "checked": preset.checked,
        "kind": preset.kind,
        "format": file_format,
        "encoding": None if file_format in SPREADSHEET_FORMATS else layout.encoding,
        "header_line": layout.skip_rows + 1,
        "columns": [h for h in headers if h],
        "mapping": _mapping(preset, headers),
        "account_no": layout.account_no,
        "account_from": layout.account_from,
        "stated": dict(layout.stated),
        "also_fits": [m[1].name for m in matches[1:]],
    }
    result.update(_load_counts(path, preset, layout))
    return result


def render_source_block(result: dict[str, Any]) -> str:
    """A `[[source]]` block to paste into case.toml, with what was found as comments."""
    name = Path(result["path"]).name
    lines = []
    if result.get("preset"):
        lines += [
            f"# {name}: {result['title']}",
            f"# header on line {result['header_line']}"
            + (f", encoding {result['encoding']}" if result.get("encoding") else "")
            + f"; {result['rows']} rows read: {result['rows_loaded']} loadable, {result['rows_quarantined']} quarantined"
            + f"; money in {result['amount_in']}, out {result['amount_out']}",
            f"# preset checked against: {result['checked']}",
        ]
        if result.get("also_fits"):
            lines.append(f"# other presets that also fit: {', '.join(result['also_fits'])}")
        if result.get("stated"):
            stated = ", ".join(f"{k} {v}" for k, v in result["stated"].items())
            lines.append(f"# the preamble states: {stated} (checked against the rows in statement_integrity)")
        lines += [
            "[[source]]",
            f"kind = {_toml(result['kind'])}",
            f"path = {_toml(glob.escape(name))}",
            f"format = {_toml(result['preset'])}",
        ]
        if "account_no" in result["mapping"]:
            lines.append(
                f'# account_no = "…"  # optional: the rows name it in {result["mapping"]["account_no"]}; '
                "set it to name the account in full (it then wins over the rows)"
            )
        elif result.get("account_no") is None:
            lines.append('# account_no = "…"  # required: this export does not name its account')
        elif result.get("account_from") == "preamble":
            lines.append(
                f"# account_no = {_toml(result['account_no'])}  # from the preamble; set it to name the account otherwise"
            )
        return "\n".join(lines) + "\n"

    lines += [f"# {name}: no preset fits this file"]
    closest = result.get("closest")
    if closest:
        lines.append(
            f"# closest preset: {closest['preset']} ({closest['title']}), missing headers: "
            + ", ".join(closest["missing"])
        )
    lines.append(f"# headers found on line {result['header_line']}: " + ", ".join(result["columns"]))
    lines += [
        "[[source]]",
        'kind = "bank_statement"',
        f"path = {_toml(glob.escape(name))}",
        f"format = {_toml(result['format'])}",
    ]
    if result.get("encoding"):
        lines.append(f"encoding = {_toml(result['encoding'])}")
    if result["header_line"] > 1:
        lines.append(f"skip_rows = {result['header_line'] - 1}")
    lines.append("[source.columns]  # canonical name = header in the file; required ones first")
    required = required_columns("bank_statement")
    optional = [c.name for c in KINDS["bank_statement"] if c.name not in required]
    lines += [f'# {c} = ""' for c in [*required, *optional]]
    return "\n".join(lines) + "\n"


def print_report(path: Path) -> int:
    """The CLI's `inspect` command: print the block, return the exit code."""
    print(render_source_block(inspect_file(path)), end="")
    return 0


def _try(preset: Preset, path: Path, file_format: str) -> tuple[Layout | None, list[str]]:
    source = Source(index=1, kind=preset.kind, path=path.name, files=(path.name,), format=preset.name)
    try:
        layout = layout_of(source, path.name, path)
        return layout, read_header_texts(path, path.name, layout)
    except FundtrailError:
        return None, []


def _score(preset: Preset, headers: list[str]) -> int:
    wanted = [*preset.columns.values(), *preset.split.values(), *(r.headers for r in preset.exclude)]
    return sum(header_index(headers, alternatives) is not None for alternatives in wanted)


def _mapping(preset: Preset, headers: list[str]) -> dict[str, str]:
    found = {}
    for name, alternatives in {**preset.columns, **{f"split.{k}": v for k, v in preset.split.items()}}.items():
        index = header_index(headers, alternatives)
        if index is not None:
            found[name] = headers[index]
    return found


def _load_counts(path: Path, preset: Preset, layout: Layout) -> dict[str, Any]:
    """Load the file as the preset would, in a scratch folder, for its counts and totals."""
    source: dict[str, Any] = {"kind": preset.kind, "path": glob.escape(path.name), "format": preset.name}
    if layout.account_no is None and preset.kind == "bank_statement":
        source["account_no"] = ACCOUNT_STAND_IN
    case = parse_case({"case": {"id": "inspect"}, "source": [source]}, path.parent.resolve())
    with tempfile.TemporaryDirectory(prefix="fundtrail-inspect-") as work:
        stats = load_file(case, case.sources[0], path.name, Path(work))
    return {
        "rows": stats.rows_read,
        "rows_loaded": stats.rows_loaded,
        "rows_quarantined": stats.rows_quarantined,
        "footer_rows": stats.footer_rows,
        "amount_in": stats.amount_in,
        "amount_out": stats.amount_out,
    }


def _unknown(path: Path, file_format: str) -> dict[str, Any]:
    """No preset fits: the likeliest header row (the first of the widest rows) and the closest preset."""
    rows: list[list[str]] = []
    encoding = None
    for candidate in [None] if file_format in SPREADSHEET_FORMATS else PLAIN_ENCODINGS:
        try:
            head = head_rows(path, path.name, Layout(format=file_format, encoding=candidate or "utf-8"))
        except FundtrailError:
            head = None
        if head is not None:
            rows, encoding = head, candidate
            break
    widths = [sum(bool(c) for c in row) for row in rows]
    at = widths.index(max(widths)) if widths else 0
    headers = rows[at] if rows else []
    closest = None
    for preset in presets().values():
        missing = ["/".join(group) for group in preset.header if header_index(headers, group) is None]
        if closest is None or len(missing) < len(closest["missing"]):
            closest = {"preset": preset.name, "title": preset.title, "missing": missing}
    return {
        "path": str(path),
        "preset": None,
        "format": file_format,
        "encoding": encoding,
        "header_line": at + 1,
        "columns": [h for h in headers if h],
        "closest": closest,
    }


def _toml(value: object) -> str:
    if isinstance(value, Decimal):
        value = str(value)
    return json.dumps(value, ensure_ascii=False)
