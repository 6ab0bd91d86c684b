"""Format presets: one TOML file per export layout.

A preset is data, not code: a new bank is a new file. Built-in presets live
in ``src/fundtrail/presets/``; a case may bring its own in a ``presets/``
folder beside case.toml (``format = "mybank"`` finds ``presets/mybank.toml``
there first) or name one by path (``format = "./presets/mybank.toml"``).
``format = "<name>"`` in a ``[[source]]`` takes the preset's column map,
value map, encodings and the rest; anything the ``[[source]]`` itself sets
wins. Header names decide, never positions: a column may list several header
texts (platforms rename and reorder columns between versions) and the first
one present is used.

Keys of a preset file (all but ``title`` and ``header`` optional). Every key
after ``encodings`` may also be written in a ``[[source]]`` (``[source.split]``,
``[[source.exclude]]``, ``[source.preamble]`` …) with the same meaning:

``title``        what the export is, for people.
``kind``         the source kind it fills (default ``bank_statement``).
``checked``      what the preset was checked against (``inspect`` shows it).
``encodings``    codecs tried in order for CSV files until the header is found.
``marks``        regexes over the lines above the header that only this export
                 holds (its title, 京东账号名): ``inspect`` uses them to tell
                 look-alike layouts apart (JD Pay's columns resemble
                 Alipay's). Loading ignores them.
``header``       names the header row must hold (an entry may be a list: any
                 one of them); the header row is found by these names, so a
                 preamble of any length works.
``footer``       regex: a row whose first cell matches is a footer line (not a
                 data row), counted in ``FileStats.footer_rows``.
``sign``         ``"in_positive"`` (default) or ``"out_positive"``: a signed
                 amount column where a positive amount is money out of the
                 account (credit-card bills: spending positive, repayments
                 negative).
``[columns]``    canonical column = header text, or a list of header texts.
``[values.<column>]`` raw value = canonical value (e.g. ``"借 Dr" = "out"``).
``[patterns.<column>]`` regex = canonical value, for cells no exact value
                 matches (e.g. a direction read from a memo: ``'^消费' = "out"``).
``[split]``      ``amount_in`` / ``amount_out``: separate unsigned in and out
                 columns; ``date`` / ``time``: a date column and a time column
                 (the time may be empty, or digits such as ``123456``);
                 ``date_fallback``: a second date column used on rows whose
                 ``date`` cell is empty (a bill's 记账日 where 交易日 is blank).
``[[exclude]]``  rows read and accounted for but not loaded: ``column`` (header
                 text or list), ``values`` (exact cell texts) and/or
                 ``pattern`` (a regex searched in the cell), and ``reason``
                 (``{value}`` is replaced by the cell). They are quarantined
                 with that reason; the first matching rule wins.
``[preamble]``   regexes over the lines above the header (group 1 is the
                 value): ``account_no``, ``account_name`` (the holder),
                 ``period_start``, ``period_end``, and ``year``: the bill's
                 year (group 1) and month (optional group 2) for days written
                 without a year (``MM/DD``); a day in a later month than the
                 bill's belongs to the year before (a January bill's 12/29).
``[preamble.summary]`` regexes for what the export says about its own rows:
                 ``count``, ``in_count``, ``in_amount``, ``out_count``,
                 ``out_amount``, ``neutral_count``, ``neutral_amount``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Callable

from fundtrail.errors import CaseConfigError
from fundtrail.kinds import KINDS
from fundtrail.messages import Phrase
from fundtrail.resources import resource_dir

Headers = tuple[str, ...]
Fail = Callable[[Phrase], CaseConfigError]

# Keys a preset file and a [[source]] share (beyond columns and values).
MAPPING_KEYS = {"header", "footer", "sign", "split", "exclude", "preamble", "patterns"}
PRESET_KEYS = {"title", "kind", "checked", "encodings", "marks", "columns", "values", *MAPPING_KEYS}
SPLIT_KEYS = {"amount_in", "amount_out", "date", "time", "date_fallback"}
PREAMBLE_KEYS = {"account_no", "account_name", "period_start", "period_end", "year", "summary"}
SUMMARY_KEYS = {"count", "in_count", "in_amount", "out_count", "out_amount", "neutral_count", "neutral_amount"}
SIGNS = ("in_positive", "out_positive")
# Where a case keeps its own presets, beside case.toml.
CASE_PRESETS_DIR = "presets"


@dataclass(frozen=True)
class Exclusion:
    headers: Headers
    values: frozenset[str]
    reason: str
    pattern: str | None = None


@dataclass(frozen=True)
class Mapping:
    """How rows are found and read beyond the column map: what a preset and a [[source]] both may say."""

    header: tuple[Headers, ...] = ()
    footer: str | None = None
    sign: str | None = None
    split: dict[str, Headers] = field(default_factory=dict)
    exclude: tuple[Exclusion, ...] = ()
    preamble: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    patterns: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def over(self, base: Mapping) -> Mapping:
        """This mapping's keys win over ``base``'s; exclusion rules are checked before base's."""
        return Mapping(
            header=self.header or base.header,
            footer=self.footer if self.footer is not None else base.footer,
            sign=self.sign or base.sign,
            split={**base.split, **self.split},
            exclude=(*self.exclude, *base.exclude),
            preamble={**base.preamble, **self.preamble},
            summary={**base.summary, **self.summary},
            patterns={**base.patterns, **self.patterns},
        )

    @property
    def derived(self) -> set[str]:
        """Canonical columns built from two file columns rather than read from one."""
        derived = set()
        if "amount_in" in self.split or "amount_out" in self.split:
            derived.add("amount")
        if "date" in self.split:
            derived.add("ts")
        return derived


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    kind: str
    checked: str
    encodings: tuple[str, ...]
    columns: dict[str, Headers]
    values: dict[str, dict[str, str]]
    mapping: Mapping
    marks: tuple[str, ...] = ()
    # The file it was read from: a built-in preset's or a case's own.
    path: Path | None = None

    @property
    def header(self) -> tuple[Headers, ...]:
        return self.mapping.header


@cache
def presets() -> dict[str, Preset]:
    """The built-in presets by name."""
    return {p.stem: load_preset_file(p) for p in sorted(resource_dir("presets").glob("*.toml"))}


def preset_names() -> list[str]:
    return list(presets())


def get_preset(name: str) -> Preset | None:
    return presets().get(name)


def case_presets(case_dir: Path) -> dict[str, Preset]:
    """A case's own presets (``presets/*.toml`` beside case.toml), by name; none if there is no such folder."""
    folder = Path(case_dir) / CASE_PRESETS_DIR
    if not folder.is_dir():
        return {}
    return {p.stem: load_preset_file(p) for p in sorted(folder.glob("*.toml"))}


def is_preset_path(fmt: str) -> bool:
    """``format`` names a preset file by path (``./presets/mybank.toml``) rather than by name."""
    return fmt.endswith(".toml") or "/" in fmt or "\\" in fmt


def resolve_preset(fmt: str, case_dir: Path, fail: Fail) -> Preset:
    """The preset a [[source]]'s ``format`` names: a file path inside the case, a case preset, or a built-in one."""
    case_dir = Path(case_dir).resolve()
    if is_preset_path(fmt):
        path = (case_dir / fmt).resolve()
        if Path(fmt).is_absolute() or not path.is_relative_to(case_dir):
            raise fail(Phrase("presets.outside_case", value=fmt))
        if not path.is_file():
            raise fail(Phrase("presets.no_file", value=fmt, path=path))
        return load_preset_file(path)
    own = case_presets(case_dir)
    if fmt in own:
        return own[fmt]
    preset = get_preset(fmt)
    if preset is None:
        names = ", ".join(dict.fromkeys([*own, *preset_names()]))
        raise fail(Phrase("presets.unknown", value=fmt, names=names))
    return preset


def load_preset_file(path: Path) -> Preset:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CaseConfigError(code="presets.not_toml", path=path, detail=str(exc)) from None
    except OSError as exc:
        raise CaseConfigError(code="presets.unreadable", path=path, reason=exc.strerror) from None

    def fail(detail: Phrase) -> CaseConfigError:
        return CaseConfigError(code="presets.detail", path=path, detail=detail)

    unknown = sorted(set(raw) - PRESET_KEYS)
    if unknown:
        raise fail(Phrase("presets.unknown_key", key=unknown[0], allowed=", ".join(sorted(PRESET_KEYS))))
    kind = raw.get("kind", "bank_statement")
    if kind not in KINDS:
        raise fail(Phrase("presets.kind", value=kind, allowed=", ".join(KINDS)))
    known = {c.name for c in KINDS[kind]}
    if not raw.get("title") or not raw.get("header"):
        raise fail(Phrase("presets.title_header"))
    columns = {k: _headers(v, f"columns.{k}", fail) for k, v in _table(raw, "columns", fail).items()}
    values = _table(raw, "values", fail)
    for name in (*columns, *values):
        if name not in known:
            raise fail(Phrase("presets.no_column", kind=kind, column=name))
    encodings = raw.get("encodings", ["utf-8", "gb18030"])
    if not isinstance(encodings, list) or not all(isinstance(e, str) for e in encodings):
        raise fail(Phrase("presets.encodings"))
    marks = _list(raw, "marks", fail)
    for i, mark in enumerate(marks, start=1):
        _regex(mark, f"marks #{i}", fail)
    return Preset(
        name=Path(path).stem,
        title=str(raw["title"]),
        kind=kind,
        checked=str(raw.get("checked", "")),
        encodings=tuple(encodings),
        columns=columns,
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        mapping=parse_mapping(raw, kind, fail),
        marks=tuple(marks),
        path=Path(path),
    )


def parse_mapping(raw: dict[str, Any], kind: str, fail: Fail) -> Mapping:
    """The MAPPING_KEYS of a preset file or a [[source]] table, checked; ``fail`` names where they came from."""
    known = {c.name for c in KINDS[kind]}
    header = tuple(_headers(h, "header", fail) for h in _list(raw, "header", fail))
    footer = raw.get("footer")
    if footer is not None:
        _regex(footer, "footer", fail)
    sign = raw.get("sign")
    if sign is not None and sign not in SIGNS:
        raise fail(Phrase("mapping.sign", value=sign, allowed=", ".join(SIGNS)))
    split = {k: _headers(v, f"split.{k}", fail) for k, v in _table(raw, "split", fail).items()}
    if set(split) - SPLIT_KEYS:
        raise fail(Phrase("mapping.split_key", key=sorted(set(split) - SPLIT_KEYS)[0], allowed=", ".join(sorted(SPLIT_KEYS))))
    if sign == "out_positive" and {"amount_in", "amount_out"} & set(split):
        raise fail(Phrase("mapping.sign_split"))
    if {"time", "date_fallback"} & set(split) and "date" not in split:
        raise fail(Phrase("mapping.split_date"))
    preamble = dict(_table(raw, "preamble", fail))
    summary = preamble.pop("summary", {})
    if not isinstance(summary, dict):
        raise fail(Phrase("mapping.summary_table"))
    unknown = sorted((set(preamble) - PREAMBLE_KEYS) | (set(summary) - SUMMARY_KEYS))
    if unknown:
        raise fail(Phrase("mapping.preamble_key", key=unknown[0], allowed=", ".join(sorted(PREAMBLE_KEYS | SUMMARY_KEYS))))
    for key, pattern in {**preamble, **summary}.items():
        if _regex(pattern, f"preamble {key}", fail).groups < 1:
            raise fail(Phrase("mapping.preamble_group", key=key))
    exclude = []
    for i, rule in enumerate(_list(raw, "exclude", fail), start=1):
        if not isinstance(rule, dict) or set(rule) - {"column", "values", "pattern", "reason"}:
            raise fail(Phrase("mapping.exclude_keys", number=i))
        if "values" not in rule and "pattern" not in rule:
            raise fail(Phrase("mapping.exclude_needs", number=i))
        pattern = rule.get("pattern")
        if pattern is not None:
            _regex(pattern, f"exclude #{i} pattern", fail)
        exclude.append(
            Exclusion(
                headers=_headers(rule.get("column"), f"exclude #{i} column", fail),
                values=frozenset(str(v) for v in rule.get("values", [])),
                reason=str(rule.get("reason", "excluded: {value}")),
                pattern=pattern,
            )
        )
    patterns = {}
    for name, table in _table(raw, "patterns", fail).items():
        if name not in known:
            raise fail(Phrase("mapping.patterns_column", name=name, kind=kind))
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise fail(Phrase("mapping.patterns_map", name=name))
        for regex in table:
            _regex(regex, f"patterns.{name}", fail)
        patterns[name] = tuple(table.items())
    return Mapping(
        header=header, footer=footer, sign=sign, split=split, exclude=tuple(exclude),
        preamble=preamble, summary=summary, patterns=patterns,
    )


def _regex(pattern: Any, key: str, fail: Fail) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise fail(Phrase("mapping.not_regex", key=key))
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise fail(Phrase("mapping.bad_regex", key=key, detail=str(exc))) from None


def _table(raw: dict[str, Any], key: str, fail: Fail) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise fail(Phrase("mapping.not_table", key=key))
    return value


def _list(raw: dict[str, Any], key: str, fail: Fail) -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise fail(Phrase("mapping.not_list", key=key))
    return value


def _headers(value: Any, key: str, fail: Fail) -> Headers:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise fail(Phrase("mapping.headers", key=key))
