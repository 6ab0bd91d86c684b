"""`fundtrail inspect FILE`: which export layout a file is, and a ready `[[source]]` block for it.

Every preset (the built-in ones, and the case's own ``presets/`` folder when
the file lies in a case folder) is tried on the file: its header names, in
its encodings, below any preamble. Each preset that finds its header gets a
confidence: how much of the file's header row it names, how many of its own
columns the file holds, and whether the preamble holds the preset's marks
(京东账号名 for JD Pay, 支付宝 for Alipay). The best is named with the
runner-up; the file is then loaded as the best would load it, so the answer
shows the rows read, loaded and quarantined and the money in and out before
anyone writes a case.toml.

A file no preset fits is matched against the source kinds (deposit sheets,
rosters, victims lists, gang-account lists, plain bank statements) by their
canonical or common Chinese headers (时间, 金额, 代号, 收款账户, 交易金额,
对方账号 …), on every sheet of a workbook, and gets a plain csv/xlsx block
with the columns mapped; failing that, the closest preset's missing headers
and a block to fill in. A plain statement without an account column takes
its account from a preamble line such as ``账号：6222…``.
"""

from __future__ import annotations

import glob
import json
import re
import tempfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastexcel
import polars as pl

from fundtrail import messages
from fundtrail.config import CaseConfig, Source, parse_case
from fundtrail.errors import FundtrailError, InputSchemaError
from fundtrail.ingest import load_file
from fundtrail.ingest.presets import Preset, case_presets, presets
from fundtrail.ingest.readers import (
    FORMAT_BY_SUFFIX,
    SPREADSHEET_FORMATS,
    Layout,
    clean_header,
    head_rows,
    header_index,
    layout_of,
    read_header_texts,
)
from fundtrail.kinds import KINDS, required_columns

# Stands in for an account the export does not name, so the rows can be counted.
ACCOUNT_STAND_IN = "(account not named in the file)"
PLAIN_ENCODINGS = ("utf-8", "gb18030")

# Preamble lines that name the account or its holder, in any export (a preset's own patterns come first).
PREAMBLE_ACCOUNT = r"(?:账\s*号|卡\s*号|账\s*户|帐\s*号)\s*[:：]\s*\[?\s*([0-9][0-9* ]{7,}[0-9*])"
PREAMBLE_CARD_TAIL = r"卡号(?:末|后)四位\s*[:：]?\s*\[?\s*([0-9]{4})\b"
PREAMBLE_HOLDER = r"(?:户\s*名|账户名称|客户姓名|客户名称|持卡人|姓\s*名)\s*[:：]\s*\[?\s*([^\s,:：\]]+)"

# The account a plain statement's preamble names, as a [source.preamble] pattern the loader reads per file.
PREAMBLE_ACCOUNT_PATTERN = r"(?:账\s*号|卡\s*号|账\s*户|帐\s*号)\s*[:：]\s*([0-9]{8,})"

# Common headers of the source kinds, canonical name first: how a sheet says each column.
KIND_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "bank_statement": {
        "account_no": ("account_no", "账号", "卡号", "本方账号", "本方卡号", "查询账号", "交易卡号"),
        "account_name": ("account_name", "户名", "账户名称", "本方户名", "客户名称"),
        "ts": ("ts", "交易时间", "交易日期时间", "记账时间", "入账时间"),
        "amount": ("amount", "交易金额", "发生额", "金额"),
        "direction": ("direction", "收支", "收/支", "借贷", "借贷标志", "借贷方向", "收付标志", "资金流向"),
        "balance": ("balance", "余额", "账户余额", "交易后余额", "联机余额"),
        "counterparty_account": ("counterparty_account", "对方账号", "对方卡号", "对手账号", "交易对手账号", "对方账户"),
        "counterparty_name": ("counterparty_name", "对方户名", "对方名称", "对手户名", "交易对手名称", "对方账户名称"),
        "txn_ref": ("txn_ref", "交易流水号", "流水号", "交易序号", "凭证号"),
        "currency": ("currency", "币种", "币别"),
        "memo": ("memo", "摘要", "备注", "用途", "附言"),
    },
    "deposit_sheet": {
        "ts": ("ts", "时间", "日期", "入金时间", "存款时间", "充值时间", "到账时间", "入账时间", "交易时间"),
        "amount": ("amount", "金额", "入金金额", "存款金额", "充值金额", "到账金额", "入金"),
        "member_code": ("member_code", "代号", "业务员代号", "员工代号", "业务员", "工号", "所属代号"),
        "receiving_account": ("receiving_account", "收款账户", "收款账号", "收款卡号", "收款银行卡"),
        "victim_ref": ("victim_ref", "客户", "客户编号", "客户名", "受害人", "被害人", "受害人编号", "被害人编号", "投资人"),
        "entry_ref": ("entry_ref", "单号", "入金单号", "流水号", "编号", "序号"),
    },
    "roster": {
        "defendant_id": ("defendant_id", "人员编号", "编号", "身份证号", "员工编号"),
        "name": ("name", "姓名"),
        "role": ("role", "角色", "职务", "岗位", "职位"),
        "unit_id": ("unit_id", "部门", "团队", "小组", "组别", "单位"),
        "member_code": ("member_code", "代号", "工号", "业务员代号"),
        "valid_from": ("valid_from", "入职日期", "入职时间", "起始日期", "加入日期"),
        "valid_to": ("valid_to", "离职日期", "离职时间", "截止日期", "退出日期"),
    },
    "victims": {
        "victim_id": ("victim_id", "被害人编号", "报案编号", "编号", "序号"),
        "name": ("name", "被害人", "被害人姓名", "姓名", "报案人"),
        "account_no": ("account_no", "被害人账号", "转出账号", "账号", "卡号", "银行卡号"),
        "reported_loss": ("reported_loss", "被骗金额", "损失金额", "报案金额", "涉案金额"),
    },
    "gang_accounts": {
        "account_no": ("account_no", "涉案账号", "账号", "卡号", "银行卡号", "账户"),
        "holder_name": ("holder_name", "户名", "开户人", "持卡人", "开户名", "账户名称", "姓名"),
    },
    "units": {
        "unit_id": ("unit_id", "单位编号", "部门编号", "编号"),
        "name": ("name", "名称", "单位名称", "部门名称"),
        "kind": ("kind", "类型", "层级"),
        "parent_id": ("parent_id", "上级", "上级编号", "上级部门"),
    },
}


def inspect_file(path: Path) -> dict[str, Any]:
    """What the file is: detected preset or kind, confidence and runner-up, encoding, header line, columns, counts."""
    path = Path(path)
    if not path.is_file():
        raise InputSchemaError(code="inspect.no_such_file", path=path)
    file_format = FORMAT_BY_SUFFIX.get(path.suffix.lower(), "csv")
    matches = []
    for preset in _candidates(path).values():
        layout, headers = _try(preset, path)
        if layout is not None:
            preamble = _preamble_text(path, layout)
            matches.append((_confidence(preset, headers, preamble), preset, layout, headers, preamble))
    if not matches:
        return _unknown(path, file_format)
    matches.sort(key=lambda m: (-m[0], m[1].name))
    confidence, preset, layout, headers, preamble = matches[0]
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
        "confidence": confidence,
        "runner_up": {"preset": matches[1][1].name, "confidence": matches[1][0]} if len(matches) > 1 else None,
        "account_no": layout.account_no,
        "account_from": layout.account_from,
        "account_name": layout.account_name,
        "stated": dict(layout.stated),
        "also_fits": [m[1].name for m in matches[1:]],
    }
    result.update(_preamble_hints(preamble, layout))
    result.update(_load_counts(path, preset, layout))
    return result


def render_source_block(
    result: dict[str, Any], path: str | None = None, files: int = 1, lang: str = messages.DEFAULT_LANG
) -> str:
    """A `[[source]]` block to paste into case.toml, with what was found as comments in ``lang``.

    ``path`` is what the block's ``path`` says (the file's name, glob-escaped,
    unless given); ``files`` how many files that path matches, all of the
    same layout: a preamble's account is then read from each file's own
    preamble (``[source.preamble]``) instead of written out once.
    """
    return "\n".join([*source_comments(result, lang), *source_body(result, path, files, lang)]) + "\n"


def source_comments(result: dict[str, Any], lang: str = messages.DEFAULT_LANG) -> list[str]:
    """What inspect found in the file, as comment lines."""
    name = Path(result["path"]).name
    t = _texts(lang)
    if result.get("preset"):
        return _preset_comments(name, result, t)
    if result.get("kind"):
        return _kind_comments(name, result, t)
    lines = [t("inspect.no_preset", name=name)]
    closest = result.get("closest")
    if closest:
        lines.append(
            t("inspect.closest", preset=closest["preset"], title=closest["title"], missing=", ".join(closest["missing"]))
        )
    lines.append(t("inspect.headers_found", line=result["header_line"], headers=", ".join(result["columns"])))
    return lines


def source_body(
    result: dict[str, Any], path: str | None = None, files: int = 1, lang: str = messages.DEFAULT_LANG
) -> list[str]:
    """The `[[source]]` table itself (see render_source_block)."""
    path = path if path is not None else glob.escape(Path(result["path"]).name)
    t = _texts(lang)
    if result.get("preset"):
        return _preset_body(path, result, files, t)
    if result.get("kind"):
        return _kind_body(path, result, files, t)
    lines = _plain_head(path, result, "bank_statement")
    lines.append(f"[source.columns]  # {t('inspect.columns_to_fill')}")
    required = required_columns("bank_statement")
    optional = [c.name for c in KINDS["bank_statement"] if c.name not in required]
    lines += [f'# {c} = ""' for c in [*required, *optional]]
    return lines


def print_report(path: Path, lang: str = messages.DEFAULT_LANG) -> int:
    """The CLI's `inspect` command: print the block, return the exit code."""
    print(render_source_block(inspect_file(path), lang=lang), end="")
    return 0


class _texts:
    """The catalogue's messages in one language, and its quarantine reason labels."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, /, **params: Any) -> str:
        return messages.text(key, self.lang, **params)

    def reason(self, reason: str) -> str:
        return messages.reason_label(reason, self.lang)


def _runner_up(result: dict[str, Any], t, name_key: str) -> str:
    runner_up = result.get("runner_up")
    if runner_up:
        return t("inspect.runner_up", name=runner_up[name_key], confidence=runner_up["confidence"])
    return t("inspect.no_other") if name_key == "preset" else ""


def _preset_comments(name: str, result: dict[str, Any], t) -> list[str]:
    lines = [
        t("inspect.preset_title", name=name, title=result["title"]),
        t("inspect.confidence", confidence=result["confidence"], runner_up=_runner_up(result, t, "preset")),
        t(
            "inspect.header_line",
            line=result["header_line"],
            encoding=t("inspect.encoding", encoding=result["encoding"]) if result.get("encoding") else "",
            rows=result["rows"],
            loaded=result["rows_loaded"],
            quarantined=result["rows_quarantined"],
            amount_in=result["amount_in"],
            amount_out=result["amount_out"],
        ),
        t("inspect.checked", checked=result["checked"]),
    ]
    if result.get("quarantine_reasons"):
        reasons = ", ".join(f"{n} × {t.reason(reason)}" for reason, n in result["quarantine_reasons"].items())
        lines.append(t("inspect.quarantined", reasons=reasons))
    if result.get("stated"):
        lines.append(t("inspect.stated", stated=", ".join(f"{k} {v}" for k, v in result["stated"].items())))
    if result.get("account_name"):
        lines.append(t("inspect.holder", holder=result["account_name"]))
    return lines


def _preset_body(path: str, result: dict[str, Any], files: int, t) -> list[str]:
    lines = [
        "[[source]]",
        f"kind = {_toml(result['kind'])}",
        f"path = {_toml(path)}",
        f"format = {_toml(result['preset'])}",
    ]
    tables: list[str] = []
    if "account_no" in result["mapping"]:
        lines.append(f'# account_no = "…"  # {t("inspect.account_in_rows", column=result["mapping"]["account_no"])}')
    elif result.get("account_from") == "preamble":
        lines.append(f"# account_no = {_toml(result['account_no'])}  # {t('inspect.account_in_preamble')}")
    elif result.get("preamble_account"):
        tables = _preamble_account(result, lines, files, t)
    elif result.get("preamble_card_tail"):
        lines.append(f'account_no = "…"  # {t("inspect.account_card_tail", tail=result["preamble_card_tail"])}')
    elif result["kind"] == "bank_statement":
        lines.append(f'account_no = "…"  # {t("inspect.account_missing_export")}')
    return lines + tables


def _preamble_account(result: dict[str, Any], lines: list[str], files: int, t) -> list[str]:
    """One file: its account written out (a line of ``lines``); several: the pattern that reads each one's."""
    line = _toml(result["preamble_account_line"])
    if files == 1:
        lines.append(f"account_no = {_toml(result['preamble_account'])}  # {t('inspect.account_from_line', line=line)}")
        return []
    lines.append(t("inspect.account_per_file", line=line))
    return ["[source.preamble]", f"account_no = '{PREAMBLE_ACCOUNT_PATTERN}'"]


def _kind_comments(name: str, result: dict[str, Any], t) -> list[str]:
    lines = [
        t(
            "inspect.kind_title", name=name, kind=result["kind"], kind_label=t(f"kind.{result['kind']}"),
            confidence=result["confidence"],
            runner_up=_runner_up(result, t, "kind"),
        ),
        t("inspect.headers_found", line=result["header_line"], headers=", ".join(result["columns"])),
    ]
    if "rows" in result:
        lines.append(
            t("inspect.rows", rows=result["rows"], loaded=result["rows_loaded"], quarantined=result["rows_quarantined"])
        )
    return lines


def _kind_body(path: str, result: dict[str, Any], files: int, t) -> list[str]:
    kind = result["kind"]
    lines = _plain_head(path, result, kind)
    tables: list[str] = []
    if kind == "bank_statement" and "account_no" not in result["mapping"]:
        if result.get("preamble_account"):
            tables = _preamble_account(result, lines, files, t)
        else:
            lines.append(f'account_no = "…"  # {t("inspect.account_missing_plain")}')
    mapped = {c: h for c, h in result["mapping"].items() if h != c}
    if mapped:
        lines.append("[source.columns]")
        lines += [f"{c} = {_toml(h)}" for c, h in mapped.items()]
    missing = [c.name for c in KINDS[kind] if not c.required and c.name not in result["mapping"]]
    if missing:
        lines.append(t("inspect.optional_missing", columns=", ".join(missing)))
    return lines + tables


def _plain_head(path: str, result: dict[str, Any], kind: str) -> list[str]:
    lines = [
        "[[source]]",
        f"kind = {_toml(kind)}",
        f"path = {_toml(path)}",
        f"format = {_toml(result['format'])}",
    ]
    if result.get("sheet"):
        lines.append(f"sheet = {_toml(result['sheet'])}")
    if result.get("encoding"):
        lines.append(f"encoding = {_toml(result['encoding'])}")
    if result["header_line"] > 1:
        lines.append(f"skip_rows = {result['header_line'] - 1}")
    return lines


def _candidates(path: Path) -> dict[str, Preset]:
    """The built-in presets, and over them the presets of the case folder the file lies in (if any)."""
    found = dict(presets())
    for folder in Path(path).resolve().parents:
        if (folder / "case.toml").is_file():
            found.update(case_presets(folder))
            break
    return found


def _try(preset: Preset, path: Path) -> tuple[Layout | None, list[str]]:
    source = Source(
        index=1, kind=preset.kind, path=path.name, files=(path.name,), format=preset.name, preset=preset
    )
    try:
        layout = layout_of(source, path.name, path)
        return layout, read_header_texts(path, path.name, layout)
    except FundtrailError:
        return None, []


def _preamble_text(path: Path, layout: Layout) -> str:
    rows = head_rows(path, path.name, layout) or []
    return "\n".join(" ".join(c for c in row if c) for row in rows[: layout.skip_rows])


def _confidence(preset: Preset, headers: list[str], preamble: str) -> int:
    """0-100: the share of the file's headers the preset names, and of the preset's columns the file holds.

    A preset with marks (text only its export's preamble holds) whose marks
    are absent keeps half its score: JD Pay's header could pass for
    Alipay's, its 京东账号名 line cannot.
    """
    wanted = [
        *preset.columns.values(),
        *preset.mapping.split.values(),
        *(r.headers for r in preset.mapping.exclude),
        *preset.header,
    ]
    named = {clean_header(h) for alternatives in wanted for h in alternatives}
    present = [h for h in headers if h]
    explained = sum(h in named for h in present) / len(present) if present else 0.0
    held = sum(header_index(headers, alternatives) is not None for alternatives in wanted) / len(wanted)
    score = (explained + held) / 2
    if preset.marks and not any(re.search(mark, preamble) for mark in preset.marks):
        score /= 2
    return round(score * 100)


def _mapping(preset: Preset, headers: list[str]) -> dict[str, str]:
    found = {}
    for name, alternatives in {**preset.columns, **{f"split.{k}": v for k, v in preset.mapping.split.items()}}.items():
        index = header_index(headers, alternatives)
        if index is not None:
            found[name] = headers[index]
    return found


def _preamble_hints(preamble: str, layout: Layout) -> dict[str, Any]:
    """Account and holder named in the preamble in the common ways, where the preset's own patterns found none."""
    hints: dict[str, Any] = {}
    if layout.account_no is None:
        for line in preamble.splitlines():
            if m := re.search(PREAMBLE_ACCOUNT, line):
                hints["preamble_account"] = m.group(1).replace(" ", "")
                hints["preamble_account_line"] = line.strip()
                break
            if m := re.search(PREAMBLE_CARD_TAIL, line):
                hints.setdefault("preamble_card_tail", m.group(1))
    if layout.account_name is None and (m := re.search(PREAMBLE_HOLDER, preamble)):
        hints["account_name"] = m.group(1)
    return hints


def _load_counts(path: Path, preset: Preset, layout: Layout) -> dict[str, Any]:
    """Load the file as the preset would, in a scratch folder, for its counts and totals."""
    # The preset is set after parsing: a case's own preset need not be found from the file's folder.
    source: dict[str, Any] = {"kind": preset.kind, "path": glob.escape(path.name)}
    if layout.account_no is None and preset.kind == "bank_statement":
        source["account_no"] = ACCOUNT_STAND_IN
    case = parse_case({"case": {"id": "inspect"}, "source": [source]}, path.parent.resolve())
    case = replace(case, sources=(replace(case.sources[0], format=preset.name, preset=preset),))
    return _counts(case, path)


def _counts(case: CaseConfig, path: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fundtrail-inspect-") as work:
        stats = load_file(case, case.sources[0], path.name, Path(work))
        assert stats.quarantine_path is not None
        reasons = pl.read_parquet(stats.quarantine_path).get_column("reason").value_counts(sort=True)
    return {
        "rows": stats.rows_read,
        "rows_loaded": stats.rows_loaded,
        "rows_quarantined": stats.rows_quarantined,
        "footer_rows": stats.footer_rows,
        "amount_in": stats.amount_in,
        "amount_out": stats.amount_out,
        "quarantine_reasons": {r: n for r, n in sorted(reasons.iter_rows(), key=lambda x: (-x[1], x[0]))},
    }


def _head(path: Path, file_format: str, sheet: str | None = None) -> tuple[list[list[str]], str | None]:
    for candidate in [None] if file_format in SPREADSHEET_FORMATS else PLAIN_ENCODINGS:
        try:
            head = head_rows(path, path.name, Layout(format=file_format, encoding=candidate or "utf-8", sheet=sheet))
        except FundtrailError:
            head = None
        if head is not None:
            return head, candidate
    return [], None


def _sheet_names(path: Path, file_format: str) -> list[str | None]:
    """A workbook's sheets in order (a notes sheet often comes first); a CSV has one table."""
    if file_format not in SPREADSHEET_FORMATS:
        return [None]
    try:
        return list(fastexcel.read_excel(path).sheet_names) or [None]
    except Exception:  # fastexcel raises its own error types; the reader names the problem later
        return [None]


def _kind_of(headers: list[str]) -> list[tuple[int, str, dict[str, str]]]:
    """Kinds whose required columns the headers all hold: (confidence, kind, canonical → header), best first.

    A statement's account may be named above the header instead of in a column.
    """
    present = [h for h in headers if h]
    fits = []
    for kind, synonyms in KIND_HEADERS.items():
        mapping: dict[str, str] = {}
        for column, names in synonyms.items():
            lowered = {h.lower(): h for h in present if h not in mapping.values()}
            hit = next((lowered[n.lower()] for n in names if n.lower() in lowered), None)
            if hit is not None:
                mapping[column] = hit
        if all(c in mapping for c in required_columns(kind) if (kind, c) != ("bank_statement", "account_no")):
            explained = len(mapping) / len(present)
            held = len(mapping) / len(synonyms)
            fits.append((round((explained + held) / 2 * 100), kind, mapping))
    fits.sort(key=lambda f: (-f[0], -len(required_columns(f[1])), f[1]))
    return fits


def _unknown(path: Path, file_format: str) -> dict[str, Any]:
    """No preset fits: a kind's sheet if its headers say so (on any sheet), else the likeliest header row and closest preset."""
    sheets = _sheet_names(path, file_format)
    heads = []
    for sheet in sheets:
        rows, encoding = _head(path, file_format, sheet)
        heads.append((rows, encoding))
        for at, row in enumerate(rows):
            fits = _kind_of(row)
            if fits:
                confidence, kind, mapping = fits[0]
                result: dict[str, Any] = {
                    "path": str(path),
                    "preset": None,
                    "kind": kind,
                    "format": file_format,
                    "encoding": encoding,
                    "sheet": sheet if len(sheets) > 1 else None,
                    "header_line": at + 1,
                    "columns": [h for h in row if h],
                    "mapping": mapping,
                    "confidence": confidence,
                    "runner_up": {"kind": fits[1][1], "confidence": fits[1][0]} if len(fits) > 1 else None,
                }
                if kind == "bank_statement" and "account_no" not in mapping:
                    preamble = "\n".join(" ".join(c for c in r if c) for r in rows[:at])
                    result.update(_preamble_hints(preamble, Layout(format=file_format)))
                result.update(_kind_counts(path, result))
                return result
    rows, encoding = heads[0]
    widths = [sum(bool(c) for c in row) for row in rows]
    at = widths.index(max(widths)) if widths else 0
    headers = rows[at] if rows else []
    closest = None
    for preset in _candidates(path).values():
        missing = ["/".join(group) for group in preset.header if header_index(headers, group) is None]
        if closest is None or len(missing) < len(closest["missing"]):
            closest = {"preset": preset.name, "title": preset.title, "missing": missing}
    return {
        "path": str(path),
        "preset": None,
        "kind": None,
        "format": file_format,
        "encoding": encoding,
        "header_line": at + 1,
        "columns": [h for h in headers if h],
        "closest": closest,
    }


def _kind_counts(path: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Load the sheet with the guessed mapping; a sheet that does not load gets no counts rather than an error."""
    source: dict[str, Any] = {
        "kind": result["kind"],
        "path": glob.escape(path.name),
        "format": result["format"],
        "skip_rows": result["header_line"] - 1,
        "columns": {c: h for c, h in result["mapping"].items() if h != c},
    }
    if result["encoding"]:
        source["encoding"] = result["encoding"]
    if result.get("sheet"):
        source["sheet"] = result["sheet"]
    if result["kind"] == "bank_statement" and "account_no" not in result["mapping"]:
        source["account_no"] = result.get("preamble_account") or ACCOUNT_STAND_IN
    try:
        case = parse_case({"case": {"id": "inspect"}, "source": [source]}, path.parent.resolve())
        return _counts(case, path)
    except FundtrailError:
        return {}


def _toml(value: object) -> str:
    if isinstance(value, Decimal):
        value = str(value)
    return json.dumps(value, ensure_ascii=False)
