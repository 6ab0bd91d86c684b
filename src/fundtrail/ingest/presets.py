"""Format presets: one TOML file per export layout in ``src/fundtrail/presets/``.

A preset is data, not code: a new bank is a new file. ``format = "<name>"``
in a ``[[source]]`` takes the preset's column map, value map, encodings and
the rest; anything the ``[[source]]`` itself sets wins. Header names decide,
never positions: a column may list several header texts (platforms rename
and reorder columns between versions) and the first one present is used.

Keys of a preset file (all but ``title`` and ``header`` optional):

``title``        what the export is, for people.
``kind``         the source kind it fills (default ``bank_statement``).
``checked``      what the preset was checked against (``inspect`` shows it).
``encodings``    codecs tried in order for CSV files until the header is found.
``header``       names the header row must hold (an entry may be a list: any
                 one of them); the header row is found by these names, so a
                 preamble of any length works.
``footer``       regex: a row whose first cell matches is a footer line (not a
                 data row), counted in ``FileStats.footer_rows``.
``[columns]``    canonical column = header text, or a list of header texts.
``[values.<column>]`` raw value = canonical value (e.g. ``"进" = "in"``).
``[split]``      ``amount_in`` / ``amount_out``: separate unsigned in and out
                 columns; ``date`` / ``time``: a date column and a time column
                 (the time may be empty, or digits such as ``123456``).
``[[exclude]]``  rows read and accounted for but not loaded: ``column`` (header
                 text or list), ``values`` (exact cell texts) and ``reason``
                 (``{value}`` is replaced by the cell). They are quarantined
                 with that reason; the first matching rule wins.
``[preamble]``   regexes over the lines above the header (group 1 is the
                 value): ``account_no``, ``period_start``, ``period_end``.
``[preamble.summary]`` regexes for what the export says about its own rows:
                 ``count``, ``in_count``, ``in_amount``, ``out_count``,
                 ``out_amount``, ``neutral_count``, ``neutral_amount``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fundtrail.errors import CaseConfigError
from fundtrail.kinds import KINDS
from fundtrail.resources import resource_dir

Headers = tuple[str, ...]

PRESET_KEYS = {
    "title", "kind", "checked", "encodings", "header", "footer", "columns", "values", "split", "exclude", "preamble",
}
SPLIT_KEYS = {"amount_in", "amount_out", "date", "time"}
PREAMBLE_KEYS = {"account_no", "period_start", "period_end", "summary"}
SUMMARY_KEYS = {"count", "in_count", "in_amount", "out_count", "out_amount", "neutral_count", "neutral_amount"}


@dataclass(frozen=True)
class Exclusion:
    headers: Headers
    values: frozenset[str]
    reason: str


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    kind: str
    checked: str
    encodings: tuple[str, ...]
    header: tuple[Headers, ...]
    footer: str | None
    columns: dict[str, Headers]
    values: dict[str, dict[str, str]]
    split: dict[str, Headers]
    exclude: tuple[Exclusion, ...]
    preamble: dict[str, str]
    summary: dict[str, str]

    @property
    def derived(self) -> set[str]:
        """Canonical columns built from two file columns rather than read from one."""
        derived = set()
        if "amount_in" in self.split or "amount_out" in self.split:
            derived.add("amount")
        if "date" in self.split:
            derived.add("ts")
        return derived


@cache
def presets() -> dict[str, Preset]:
    return {p.stem: _parse(p) for p in sorted(resource_dir("presets").glob("*.toml"))}


def preset_names() -> list[str]:
    return list(presets())


def get_preset(name: str) -> Preset | None:
    return presets().get(name)


def _parse(path: Path) -> Preset:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseConfigError(f"preset {path}: not valid TOML: {exc}") from None

    def fail(message: str) -> CaseConfigError:
        return CaseConfigError(f"preset {path}: {message}")

    unknown = sorted(set(raw) - PRESET_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]} (allowed: {', '.join(sorted(PRESET_KEYS))})")
    kind = raw.get("kind", "bank_statement")
    if kind not in KINDS:
        raise fail(f"kind = {kind!r} is not one of {', '.join(KINDS)}")
    known = {c.name for c in KINDS[kind]}
    if not raw.get("title") or not raw.get("header"):
        raise fail("title and header are required")
    columns = {k: _headers(v, f"columns.{k}", fail) for k, v in raw.get("columns", {}).items()}
    values = raw.get("values", {})
    for name in (*columns, *values):
        if name not in known:
            raise fail(f"{kind} has no column {name!r}")
    split = {k: _headers(v, f"split.{k}", fail) for k, v in raw.get("split", {}).items()}
    if set(split) - SPLIT_KEYS:
        raise fail(f"unknown split key {sorted(set(split) - SPLIT_KEYS)[0]} (allowed: {', '.join(sorted(SPLIT_KEYS))})")
    preamble = dict(raw.get("preamble", {}))
    summary = preamble.pop("summary", {})
    if set(preamble) - PREAMBLE_KEYS or set(summary) - SUMMARY_KEYS:
        raise fail(f"unknown preamble key (allowed: {', '.join(sorted(PREAMBLE_KEYS | SUMMARY_KEYS))})")
    for key, pattern in {**preamble, **summary}.items():
        try:
            if re.compile(pattern).groups < 1:
                raise fail(f"preamble {key}: the pattern needs a group holding the value")
        except re.error as exc:
            raise fail(f"preamble {key}: bad regex: {exc}") from None
    exclude = tuple(
        Exclusion(
            headers=_headers(rule.get("column"), "exclude.column", fail),
            values=frozenset(str(v) for v in rule.get("values", [])),
            reason=str(rule.get("reason", "excluded: {value}")),
        )
        for rule in raw.get("exclude", [])
    )
    return Preset(
        name=path.stem,
        title=str(raw["title"]),
        kind=kind,
        checked=str(raw.get("checked", "")),
        encodings=tuple(raw.get("encodings", ["utf-8", "gb18030"])),
        header=tuple(_headers(h, "header", fail) for h in raw["header"]),
        footer=raw.get("footer"),
        columns=columns,
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        split=split,
        exclude=exclude,
        preamble=preamble,
        summary=summary,
    )


def _headers(value: Any, key: str, fail: Any) -> Headers:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise fail(f"{key} must be a header text or a list of header texts")
