"""`fundtrail init CASE_DIR`: a first case.toml, written from the evidence files the folder holds.

Every CSV, XLSX and XLS file below the folder (hidden folders and a
``presets/`` folder left out) is recognised as ``fundtrail inspect`` does
(``fundtrail.inspect.inspect_file``): a bank or platform export by its
preset, a deposit sheet, roster, units list, victims list, gang-account list
or plain statement by its headers, on any sheet of a workbook. Files of one
folder with the same layout become one ``[[source]]`` whose path is a glob
(``bank/*.csv``) when they are all the folder holds of that ending;
otherwise each file is a source of its own. Paths are relative to the case
folder, mapped columns filled in, encodings, header lines and sheets set,
and a statement's account taken from its preamble where no column names it.

What the files cannot say is left to the user, marked TODO: the case's
title, the time zone a deposit sheet was kept in, an account no file names.
A file nothing recognises is listed as a comment to fill in. An existing
case.toml is never overwritten. The result is checked with the run's own
parser before it is written.
"""

from __future__ import annotations

import glob
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundtrail import messages
from fundtrail.config import CASE_ID, LIABILITY_DEFAULTS, MATCHING_DEFAULTS, parse_case
from fundtrail.errors import CaseConfigError, FundtrailError
from fundtrail.inspect import inspect_file, source_body
from fundtrail.kinds import KINDS

EVIDENCE_SUFFIXES = (".csv", ".xlsx", ".xls")
SKIPPED_FOLDERS = ("presets",)
# Sources in the order a reader of case.toml looks for them: who, then what they did, then the money.
KIND_ORDER = (
    "units", "roster", "victims", "gang_accounts", "accounts", "deposit_sheet", "payment_ledger",
    "bank_statement", "records", "frozen", "decisions",
)


@dataclass(frozen=True)
class Recognised:
    path: str  # relative to the case folder, POSIX
    result: dict[str, Any] | None  # inspect_file's answer; None when the file could not be read


@dataclass(frozen=True)
class PlannedSource:
    kind: str
    path: str  # the glob or file path case.toml will say
    files: tuple[Recognised, ...]


@dataclass(frozen=True)
class InitResult:
    toml_path: Path
    sources: tuple[PlannedSource, ...]
    unrecognised: tuple[Recognised, ...]


def init_case(case_dir: str | Path, lang: str = messages.DEFAULT_LANG) -> InitResult:
    """Write CASE_DIR/case.toml from the files found; refuse if one is there."""
    case_dir = Path(case_dir).resolve()
    toml_path = case_dir / "case.toml"
    if toml_path.exists():
        raise CaseConfigError(code="init.exists", file=toml_path)
    found = [_recognise(case_dir, rel_path) for rel_path in evidence_files(case_dir)]
    if not found:
        raise CaseConfigError(code="init.no_files", folder=case_dir)
    sources = plan_sources(case_dir, [f for f in found if _usable(f)])
    unrecognised = tuple(f for f in found if not _usable(f))
    text = render_case_toml(case_dir, sources, unrecognised, lang)
    parse_case(tomllib.loads(text), case_dir)  # what init writes, the run must read
    with toml_path.open("x", encoding="utf-8") as handle:  # "x": never over a case.toml written meanwhile
        handle.write(text)
    return InitResult(toml_path, tuple(sources), unrecognised)


def render_summary(result: InitResult, lang: str = messages.DEFAULT_LANG) -> str:
    """What init tells the user: the file written, what each file was taken for, what to do next."""
    t = lambda key, /, **params: messages.text(key, lang, **params)  # noqa: E731
    lines = [
        t(
            "init.wrote",
            file=result.toml_path,
            sources=len(result.sources),
            files=sum(len(s.files) for s in result.sources),
        )
    ]
    for source in result.sources:
        lines.append(t("init.recognised", path=source.path, what=_what(source.files[0].result, lang)))
    lines += [t("init.unrecognised", path=f.path) for f in result.unrecognised]
    lines.append(t("init.next", case_dir=result.toml_path.parent))
    return "\n".join(lines) + "\n"


def evidence_files(case_dir: Path) -> list[str]:
    """Every CSV/XLSX/XLS file below the case folder, relative and sorted; hidden and presets/ folders left out."""
    found = []
    for path in case_dir.rglob("*"):
        rel = path.relative_to(case_dir)
        if any(part.startswith(".") for part in rel.parts) or rel.parts[0] in SKIPPED_FOLDERS:
            continue
        if path.suffix.lower() in EVIDENCE_SUFFIXES and path.is_file():
            found.append(rel.as_posix())
    return sorted(found)


def plan_sources(case_dir: Path, found: list[Recognised]) -> list[PlannedSource]:
    """Files of one folder and one layout → one source; a glob when they are all of that folder's files with that ending."""
    groups: dict[tuple, list[Recognised]] = {}
    for item in found:
        groups.setdefault(_layout_key(item), []).append(item)
    siblings: dict[tuple[str, str], int] = {}
    for rel_path in evidence_files(case_dir):
        folder, suffix = _folder_and_suffix(rel_path)
        siblings[(folder, suffix)] = siblings.get((folder, suffix), 0) + 1
    planned = []
    for key, items in groups.items():
        folder, suffix = _folder_and_suffix(items[0].path)
        groupable = key[-1] and len(items) > 1 and siblings[(folder, suffix)] == len(items)
        if groupable:
            pattern = f"{glob.escape(folder)}/*{glob.escape(suffix)}" if folder else f"*{glob.escape(suffix)}"
            planned.append(PlannedSource(items[0].result["kind"], pattern, tuple(items)))
        else:
            planned += [PlannedSource(i.result["kind"], glob.escape(i.path), (i,)) for i in items]
    return sorted(planned, key=lambda s: (KIND_ORDER.index(s.kind), s.path))


def render_case_toml(
    case_dir: Path, sources: list[PlannedSource], unrecognised: tuple[Recognised, ...], lang: str
) -> str:
    """The commented case.toml: [case], the default [matching] and [liability], one block per source."""
    t = lambda key, /, **params: messages.text(key, lang, **params)  # noqa: E731
    files = sum(len(s.files) for s in sources) + len(unrecognised)
    case_id = _case_id(case_dir.name)
    lines = [
        t("init.toml.head", files=files),
        "",
        "[case]",
        f"id = {_toml(case_id)}  # {t('init.toml.id')}",
        f"title = {_toml(case_dir.name)}  # TODO: {t('init.toml.title')}",
        f'timezone = "Asia/Shanghai"  # {t("init.toml.timezone")}',
        'currency = "CNY"',
        "",
        f"[matching]  # {t('init.toml.matching')}",
        *(f"{key} = {_toml(value)}" for key, value in MATCHING_DEFAULTS.items()),
        "",
        f"[liability]  # {t('init.toml.liability')}",
        *(f"{role} = {_toml(basis)}" for role, basis in LIABILITY_DEFAULTS.items()),
    ]
    for source in sources:
        lines += ["", *_source_lines(source, lang)]
    if unrecognised:
        lines += ["", f"# {t('init.toml.unrecognised')}"]
        for item in unrecognised:
            lines += [f"# - {item.path}" + _headers_note(item)]
    return "\n".join(lines) + "\n"


def _source_lines(source: PlannedSource, lang: str) -> Iterator[str]:
    t = lambda key, /, **params: messages.text(key, lang, **params)  # noqa: E731
    first = source.files[0].result
    assert first is not None
    yield f"# {source.path}: {_what(first, lang)}"
    if len(source.files) > 1:
        yield "# " + t("init.toml.files", count=len(source.files), paths=", ".join(f.path for f in source.files))
    rows = [f.result.get("rows") for f in source.files if f.result is not None]
    if all(r is not None for r in rows):
        loaded = sum(f.result["rows_loaded"] for f in source.files)
        quarantined = sum(f.result["rows_quarantined"] for f in source.files)
        yield "# " + t("init.toml.rows", rows=sum(rows), loaded=loaded, quarantined=quarantined)
    body = source_body(first, source.path, len(source.files), lang)
    if source.kind == "deposit_sheet":
        # A sheet kept abroad writes local times, and nothing in the file says which zone: the keys go before any table.
        at = next((i for i, line in enumerate(body) if line.startswith("[source.")), len(body))
        notes = [f'# timezone = "Asia/Shanghai"  # TODO: {t("init.toml.sheet_timezone")}']
        if "receiving_account" not in first["mapping"]:
            notes.append(f"# TODO: {t('init.toml.no_receiving_account')}")
        body[at:at] = notes
    yield from body


def _what(result: dict[str, Any] | None, lang: str) -> str:
    """What a file was taken for, in words: the preset's title or the kind recognised by its headers."""
    assert result is not None
    kind = messages.text(f"kind.{result['kind']}", lang)
    if result.get("preset"):
        return messages.text(
            "init.by_preset", lang, kind=kind, preset=result["preset"], title=result["title"],
            confidence=result["confidence"],
        )
    return messages.text("init.by_headers", lang, kind=kind, confidence=result["confidence"])


def _recognise(case_dir: Path, rel_path: str) -> Recognised:
    try:
        return Recognised(rel_path, inspect_file(case_dir / rel_path))
    except FundtrailError:
        return Recognised(rel_path, None)


def _usable(item: Recognised) -> bool:
    return item.result is not None and item.result.get("kind") in KINDS


def _layout_key(item: Recognised) -> tuple:
    """What a file's block depends on besides its path; the last item says whether files may share one block."""
    r = item.result
    assert r is not None
    folder, suffix = _folder_and_suffix(item.path)
    per_file_account = r["kind"] == "bank_statement" and "account_no" not in r["mapping"] and not (
        r.get("account_from") == "preamble" or r.get("preamble_account")
    )
    return (
        folder,
        suffix,
        r["kind"],
        r.get("preset"),
        r["format"],
        r.get("encoding"),
        r.get("sheet"),
        None if r.get("preset") else r["header_line"],
        tuple(sorted(r["mapping"].items())),
        bool(r.get("preamble_account")),
        not per_file_account,
    )


def _folder_and_suffix(rel_path: str) -> tuple[str, str]:
    path = Path(rel_path)
    folder = path.parent.as_posix()
    return ("" if folder == "." else folder), path.suffix


def _case_id(name: str) -> str:
    """The folder's name as a case id: letters, digits, '-' and '_' (others become '_')."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")
    return cleaned if CASE_ID.fullmatch(cleaned) else "case"


def _headers_note(item: Recognised) -> str:
    result = item.result
    if result and result.get("columns"):
        return f" ({result['header_line']}: {', '.join(result['columns'][:12])})"
    return ""


def _toml(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
