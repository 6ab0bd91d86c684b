"""Chinese first: every message in both languages from one catalogue, quarantine reasons labelled, nothing left untranslated.

The catalogue half checks messages.toml itself; the CLI half runs `fundtrail`
(flows.cli.main) in both languages on a good case and on failing ones and
reads everything it prints.
"""

from __future__ import annotations

import pickle
import re
import string
from pathlib import Path

import pytest

from fundtrail import messages, run_warnings
from fundtrail.config import load_case
from fundtrail.errors import CaseConfigError, FundtrailError, InputSchemaError
from fundtrail.ingest.parse import Reason
from fundtrail.ingest.presets import presets

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "data" / "fixture-fraud"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_both_languages_with_the_same_fields():
    catalogue = messages.catalogue()["messages"]
    assert len(catalogue) > 100
    for code, texts in catalogue.items():
        assert _fields(texts["zh"]) == _fields(texts["en"]), code


def test_chinese_templates_are_chinese_and_english_ones_hold_no_chinese():
    for code, texts in messages.catalogue()["messages"].items():
        bare = {lang: re.sub(r"\{[^}]*\}", "", text) for lang, text in texts.items()}
        # A template that is nothing but its fields ("{message}") has nothing to translate.
        if bare["zh"].strip(" :") and code not in ("term.source", "term.source_key", "progress.count", "progress.count_of"):
            assert CJK.search(bare["zh"]), f"{code}: zh template without Chinese: {texts['zh']!r}"
        assert not CJK.search(bare["en"]), f"{code}: en template with Chinese: {texts['en']!r}"


def test_every_quarantine_reason_of_ingest_and_the_presets_has_a_chinese_label():
    codes = set(messages.reason_codes())
    ingest_reasons = {v for k, v in vars(Reason).items() if k.isupper()}
    assert ingest_reasons <= codes
    for preset in presets().values():
        for rule in preset.mapping.exclude:
            shown = messages.reason_label(rule.reason.replace("{value}", "交易关闭"), "zh")
            assert CJK.search(shown.split(" (")[0]), (preset.name, rule.reason)


@pytest.mark.parametrize(
    "reason, zh",
    [
        ("bad amount", "金额无法解析 (bad amount)"),
        ("missing required value", "缺少必填值 (missing required value)"),
        ("currency not case currency (USD)", "币种不是案件币种 (currency not case currency)：USD"),
        ("not money moved: 交易关闭", "未实际发生资金变动 (not money moved)：交易关闭"),
        ("neutral transaction (不计收支)", "不计收支的交易 (neutral transaction)：不计收支"),
        ("excluded by review: 重复报案", "复核决定排除 (excluded by review)：重复报案"),
        # A case's own preset may give its own words: they are shown as written.
        ("my bank's own reason", "my bank's own reason"),
    ],
)
def test_quarantine_reasons_read_in_chinese_with_the_technical_reason_beside(reason, zh):
    assert messages.reason_label(reason, "zh") == zh
    assert messages.reason_label(reason, "en") == reason


def test_a_coded_error_reads_in_either_language_and_its_text_stays_english(tmp_path):
    (tmp_path / "case.toml").write_text('[case]\nid = "x"\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(CaseConfigError) as caught:
        load_case(tmp_path)
    error = caught.value
    where = tmp_path.resolve() / "case.toml"
    assert str(error) == f"{where}: unknown key case.colour (allowed: currency, id, timezone, title)"
    assert messages.error_text(error, "en") == str(error)
    assert messages.error_text(error, "zh") == f"{where}：未知的键 case.colour（可用的键：currency, id, timezone, title）"
    again = pickle.loads(pickle.dumps(error))  # as it comes back from a Dask worker
    assert (type(again), again.code, messages.error_text(again, "zh")) == (
        CaseConfigError, "config.unknown_key", messages.error_text(error, "zh"))


def test_a_source_key_names_the_source_in_the_reader_s_language(tmp_path):
    (tmp_path / "case.toml").write_text('[case]\nid = "x"\n[[source]]\nkind = "bank"\npath = "a.csv"\n', encoding="utf-8")
    with pytest.raises(CaseConfigError, match=r"source #1\.kind = 'bank' is not one of") as caught:
        load_case(tmp_path)
    assert "来源 #1.kind = 'bank' 不是可选值之一" in messages.error_text(caught.value, "zh")


def test_an_uncoded_error_is_shown_under_its_class_heading():
    assert messages.error_text(InputSchemaError("x.csv: odd"), "zh") == "证据文件无法读取：x.csv: odd"
    assert messages.error_text(FundtrailError("x.csv: odd"), "en") == "x.csv: odd"


def test_warnings_are_written_in_the_run_s_language_with_the_account_masked():
    zh = run_warnings.message("unexplained_statement", "zh", source="bank/l1.csv", account="6230000000000077", count=2)
    en = run_warnings.message("unexplained_statement", "en", source="bank/l1.csv", account="6230000000000077", count=2)
    assert zh.startswith("bank/l1.csv：账户 6230 **** **** 0077 的流水（2 笔）既不是涉案账户也不是被害人的账户")
    assert en.startswith("bank/l1.csv: statement of account 6230 **** **** 0077 (2 postings) is neither a gang account")
    assert "6230000000000077" not in zh + en
