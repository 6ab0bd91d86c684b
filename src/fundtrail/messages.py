"""What fundtrail says to people, in Chinese (the default) or English, from one catalogue keyed by stable codes.

The catalogue is ``messages.toml`` beside this module: one table per code
with a ``zh`` and an ``en`` template (``str.format`` fields). Code raises
errors and builds warnings with a code and parameters, never with a sentence
to be translated later; the sentence is made here, in the language asked
for. Technical values (file names, keys, headers, cell values, the stable
quarantine reasons of outputs.md) stay as they are in both languages.

Quarantine reasons are data: the ``reason`` column of quarantine.csv keeps
the stable technical text (``bad amount``, ``not money moved: 交易关闭``).
``reason_label`` gives the label people read, the technical reason beside it
(``金额无法解析 (bad amount)``).

This module imports nothing of fundtrail's, so every module may use it.
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from pathlib import Path
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
CATALOGUE_FILE = Path(__file__).with_name("messages.toml")
# A quarantine reason is a code, or a code and its detail after ": " or inside " (…)" (outputs.md).
DETAIL_SEPARATORS = (": ", " (")


class Phrase:
    """A piece of a message that itself depends on the language (``source #3`` / ``来源 #3``)."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params

    def render(self, lang: str) -> str:
        return text(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.render("en")

    def __repr__(self) -> str:
        return f"Phrase({self.code!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phrase) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted(self.params))))


class _Texts:
    """Texts that make one piece of a message in any language; equal when of one kind with the same texts."""

    def __init__(self, items: tuple[Any, ...] | list[Any]) -> None:
        self.items = tuple(items)

    def render(self, lang: str) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render("en")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.items == other.items

    def __hash__(self) -> int:
        return hash(self.items)


class Alternatives(_Texts):
    """Header texts a column may have, each quoted: ``'交易时间' or '时间'`` / ``'交易时间' 或 '时间'``."""

    def render(self, lang: str) -> str:
        return text("term.or", lang).join(repr(t) for t in self.items)


class Lines(_Texts):
    """Pieces of a message shown one per line, each a Phrase or a text kept as it is."""

    def render(self, lang: str) -> str:
        return "\n".join(item.render(lang) if isinstance(item, Phrase) else item for item in self.items)


@functools.cache
def catalogue() -> dict[str, Any]:
    """The parsed catalogue: message codes (dotted) → {zh, en}, and the quarantine reason labels."""
    raw = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    reasons = raw.pop("quarantine_reason")
    messages: dict[str, dict[str, str]] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        if set(table) == set(LANGS):
            messages[prefix] = table
            return
        for key, value in table.items():
            walk(f"{prefix}.{key}" if prefix else key, value)

    walk("", raw)
    return {"messages": messages, "reasons": reasons}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGS)}")
    return lang


def text(code: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    """The message ``code`` in ``lang``, its fields filled from ``params``."""
    template = catalogue()["messages"][code][check_lang(lang)]
    rendered = {k: v.render(lang) if isinstance(v, (Phrase, _Texts)) else v for k, v in params.items()}
    return template.format_map(rendered)


def has(code: str) -> bool:
    return code in catalogue()["messages"]


def error_text(error: BaseException, lang: str = DEFAULT_LANG) -> str:
    """A FundtrailError as the user reads it: its coded message in ``lang``, or its text under its class's heading."""
    code = getattr(error, "code", None)
    if code is not None and has(code):
        return text(code, lang, **error.params)
    heading = getattr(error, "heading", "error.fundtrail")
    return text(heading, lang, message=str(error))


def reason_label(reason: str | None, lang: str = DEFAULT_LANG) -> str:
    """A quarantine reason for people: ``金额无法解析 (bad amount)``; a reason the catalogue lacks, as it is.

    The detail after a known code (the cell value a preset quotes, the review's
    own words) is kept as it was: it is evidence, not a message.
    """
    if not reason:
        return reason or ""
    if check_lang(lang) == "en":
        return reason
    labels = catalogue()["reasons"]
    if reason in labels:
        return f"{labels[reason]} ({reason})"
    for separator in DETAIL_SEPARATORS:
        code, found, detail = reason.partition(separator)
        if found and code in labels:
            if separator == " (" and detail.endswith(")"):
                detail = detail[:-1]
            return f"{labels[code]} ({code})：{detail}"
    return reason


def read_back(prefix: str, sentence: str) -> tuple[str, dict[str, str]] | None:
    """The code under ``prefix`` whose English template wrote ``sentence``, and the values it was given; None if none.

    For the few sentences written outside Python, in English, into an output that keeps
    them so (SQL writes why a review decision is stale into decisions.csv): reading one
    back against the catalogue's en templates lets it be shown in another language. The
    template with the most fixed text that matches wins (``the entry takes no payment
    now`` before ``the entry takes {payments} now``).
    """
    for code, pattern in _english_patterns(prefix):
        found = pattern.fullmatch(sentence)
        if found:
            return code, found.groupdict()
    return None


@functools.cache
def _english_patterns(prefix: str) -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for code, texts in catalogue()["messages"].items():
        if not code.startswith(f"{prefix}."):
            continue
        parts, seen, fixed = [], set(), 0
        for literal, field, _spec, _conversion in string.Formatter().parse(texts["en"]):
            parts.append(re.escape(literal))
            fixed += len(literal)
            if field is not None:
                parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
                seen.add(field)
        patterns.append((-fixed, code, re.compile("".join(parts), re.DOTALL)))
    return [(code, pattern) for _fixed, code, pattern in sorted(patterns)]


def reason_codes() -> tuple[str, ...]:
    """Every quarantine reason the catalogue labels."""
    return tuple(catalogue()["reasons"])
