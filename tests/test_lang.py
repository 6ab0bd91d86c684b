"""Chinese first: every message in both languages from one catalogue, quarantine reasons labelled, nothing left untranslated.

The catalogue half checks messages.toml itself; the CLI half runs `fundtrail`
(flows.cli.main) in both languages on a good case and on failing ones and
reads everything it prints.
"""

from __future__ import annotations

import json
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


# ---------------------------------------------------------------- the command line in both languages

QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|“[^”]*”")
KEY_VALUE = re.compile(r"\S+=\S*")
# A path ends where Chinese text begins: Chinese has no spaces, and a path must not swallow the sentence around it.
NOT_PATH = r"\s\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
PATHISH = re.compile(rf"[^{NOT_PATH}]*[/\\][^{NOT_PATH}]*|[^{NOT_PATH}]+\.(?:csv|xlsx|xls|toml|json|html|parquet)\b")
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}[ ]+[A-Za-z]{2,}")


def _technical_removed(text: str, data: tuple[str, ...]) -> str:
    """The text without what stays as it is in every language: data values, quoted values, paths, key=value cells, reasons."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    for reason in sorted(messages.reason_codes(), key=len, reverse=True):
        text = text.replace(f"({reason})", " ")
    return PATHISH.sub(" ", KEY_VALUE.sub(" ", QUOTED.sub(" ", text)))


def assert_all_chinese(output: str, data: tuple[str, ...] = ()) -> None:
    for line in output.splitlines():
        rest = _technical_removed(line, data)
        assert not ENGLISH_RUN.search(rest), f"untranslated in the Chinese output: {line!r}"


def assert_all_english(output: str, data: tuple[str, ...] = ()) -> None:
    for line in output.splitlines():
        rest = _technical_removed(line, data)
        assert not CJK.search(rest), f"Chinese in the English output: {line!r}"


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _small_case(folder: Path, amount: str = "5000.00", header: str = "入账时间,金额,业务员代号,收款账号") -> Path:
    """One gang card, one victim, one staff member; the deposit sheet's amount and header as given."""
    _write(folder, "org/units.csv", "unit_id,name,kind,parent_id\nG1,测试集团,gang,\n")
    _write(folder, "org/roster.csv", "defendant_id,name,role,unit_id,member_code,valid_from,valid_to\nP1,周一,staff,G1,K7,2024-01-01,\n")
    _write(folder, "victims.csv", "victim_id,name,account_no\nV1,张三,6217000000000011\n")
    _write(folder, "gang_accounts.csv", "account_no,holder_name\n6222000011110001,王卡一\n")
    _write(
        folder, "deposit/sheet.csv",
        f"{header}\n2024-03-01 10:00:00,{amount},K7,6222000011110001\n2024-03-01 11:00:00,800.00,K7,6222000011110001\n",
    )
    _write(
        folder, "bank/card.csv",
        "account_no,ts,amount,counterparty_account,txn_ref\n"
        "6222000011110001,2024-03-01 10:00:10,5000.00,6217000000000011,T1\n"
        "6222000011110001,2024-03-01 11:00:10,800.00,6217000000000011,T2\n",
    )
    _write(
        folder, "case.toml",
        '[case]\nid = "small"\ntitle = "小案件"\n'
        + "".join(f'[[source]]\nkind = "{k}"\npath = "{p}"\n' for k, p in (
            ("units", "org/units.csv"), ("roster", "org/roster.csv"), ("victims", "victims.csv"),
            ("gang_accounts", "gang_accounts.csv"), ("bank_statement", "bank/card.csv")))
        + '[[source]]\nkind = "deposit_sheet"\npath = "deposit/sheet.csv"\n[source.columns]\n'
        'ts = "入账时间"\namount = "金额"\nmember_code = "业务员代号"\nreceiving_account = "收款账号"\n',
    )
    return folder


def _with_stale_decisions(case: Path) -> Path:
    """A reviewer's file none of whose decisions can apply to the bad-amount case (its sheet row 2 is quarantined)."""
    _write(
        case, "review/decisions.csv",
        "action,entry_id,payment_ids,row_id,reason,decided_by,decided_at\n"
        "reject,deposit/sheet.csv:2,bank/card.csv:2,,回单不符,王会计,\n"      # the entry is quarantined
        "link,deposit/sheet.csv:3,bank/card.csv:2,,疑似拆分,李审计,\n"        # 5,000.00 for an 800.00 entry
        "exclude,,,deposit/sheet.csv:2,重复报案,王会计,\n"                   # the row is already quarantined
        "confirm,deposit/sheet.csv:3,bank/card.csv:9,,核对回单,李审计,\n"     # no such payment
        "approve,deposit/sheet.csv:3,,,看过了,李审计,\n",                    # no such action
    )
    with (case / "case.toml").open("a", encoding="utf-8") as toml:
        toml.write('[[source]]\nkind = "decisions"\npath = "review/decisions.csv"\n')
    return case


@pytest.fixture()
def cases(tmp_path):
    bad_config = tmp_path / "bad_config"
    _write(bad_config, "case.toml", '[case]\nid = "x"\n[[source]]\nkind = "bank_statment"\npath = "a.csv"\n')
    return {
        "good": FIXTURE,
        "bad_amount": _small_case(tmp_path / "bad_amount", amount="5千"),
        "bad_header": _small_case(tmp_path / "bad_header", header="入账时间,金额,代号X,收款账号"),
        "bad_config": bad_config,
    }


FIXTURE_DATA = ("Hand-made fixture: 金鼎 telecom fraud ring", "小案件")


def _cli(capsys, *argv: str) -> tuple[int, str]:
    from flows.cli import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_check_speaks_one_language_on_good_and_failing_cases(cases, capsys, lang):
    expected_codes = {"good": 0, "bad_amount": 0, "bad_header": 1, "bad_config": 1}
    outputs = {}
    for name, case in cases.items():
        code, output = _cli(capsys, "check", str(case), "--lang", lang)
        assert code == expected_codes[name], (name, output)
        outputs[name] = output
        (assert_all_chinese if lang == "zh" else assert_all_english)(output, FIXTURE_DATA)
    if lang == "zh":
        assert "剔除：1 × 金额无法解析 (bad amount)（例如 deposit/sheet.csv:2 amount='5千'）" in outputs["bad_amount"]
        assert "来源 #6 把列 'member_code' 对应到表头 '业务员代号'，但文件中没有这个表头" in outputs["bad_header"]
        assert "来源 #1.kind = 'bank_statment' 不是可选值之一" in outputs["bad_config"]
    else:
        assert "quarantined: 1 × bad amount (e.g. deposit/sheet.csv:2 amount='5千')" in outputs["bad_amount"]
        assert "column 'member_code' is mapped to header '业务员代号' in source #6, but the file has no such header" in outputs["bad_header"]
        assert "source #1.kind = 'bank_statment' is not one of" in outputs["bad_config"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_run_stops_before_prefect_in_the_user_s_language(cases, capsys, tmp_path, lang):
    for name in ("bad_config", "bad_header"):
        code, output = _cli(capsys, "run", str(cases[name]), "--out", str(tmp_path / f"out-{name}"), "--lang", lang)
        assert code == 1 and "Traceback" not in output
        (assert_all_chinese if lang == "zh" else assert_all_english)(output)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_init_and_inspect_speak_one_language(tmp_path, capsys, lang):
    case = _small_case(tmp_path / "case")
    (case / "case.toml").unlink()
    code, output = _cli(capsys, "init", str(case), "--lang", lang)
    assert code == 0
    code2, block = _cli(capsys, "inspect", str(case / "deposit" / "sheet.csv"), "--lang", lang)
    assert code2 == 0
    # The block's comments quote the file's headers: data, not messages.
    headers = ("入账时间", "金额", "业务员代号", "收款账号", "测试集团", "周一", "张三", "王卡一")
    comments = "\n".join(line for line in block.splitlines() if line.startswith("#"))
    for shown in (output, comments):
        (assert_all_chinese if lang == "zh" else assert_all_english)(shown, headers)


# Under pytest, library deprecation warnings are shown (Prefect logs them); a plain run does not show them.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_run_with_a_bad_amount_and_stale_decisions_speaks_one_language(cases, capsys, tmp_path, prefect_harness, lang):
    out = tmp_path / "out"
    case = _with_stale_decisions(cases["bad_amount"])
    code, output = _cli(capsys, "run", str(case), "--out", str(out), "--lang", lang)
    assert code == 0, output
    (assert_all_chinese if lang == "zh" else assert_all_english)(output, FIXTURE_DATA)
    if lang == "zh":
        assert "剔除原因：1 × 金额无法解析 (bad amount)" in output
        assert "[3/10] 读取证据文件：" in output  # stderr is no terminal here: one line per stage
        for why in (
            "review/decisions.csv:2：复核决定 reject deposit/sheet.csv:2 已失效，未改变任何数字：本案中没有入金 deposit/sheet.csv:2",
            "关联的付款合计 5000.00 与入金金额 800.00 之差超过金额容差 0.00",
            "该行已被剔除：金额无法解析 (bad amount)",
            "本案中没有付款 bank/card.csv:9",
            "未知的动作 'approve'",
        ):
            assert why in output
    else:
        assert "quarantined: 1 × bad amount" in output
        assert "[3/10] ingest: " in output
        assert "review/decisions.csv:2: reject deposit/sheet.csv:2 is stale, so it changes nothing: " \
            "entry deposit/sheet.csv:2 is not in the case" in output
    # The warnings of manifest.json and report.html are in the run's language too.
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    stale = [w["message"] for w in manifest["warnings"] if w["code"] == "stale_decision"]
    assert len(stale) == 5
    (assert_all_chinese if lang == "zh" else assert_all_english)("\n".join(stale))
    # report.html is bilingual: a quarantine reason shows its Chinese label with the technical reason beside it.
    assert "<td>金额无法解析 (bad amount)</td>" in (out / "report.html").read_text(encoding="utf-8")
    # decisions.csv keeps the SQL's technical English detail whatever the language (outputs.md).
    assert "entry deposit/sheet.csv:2 is not in the case" in (out / "decisions.csv").read_text(encoding="utf-8-sig")
    # The CSV keeps the stable technical reason whatever the language (outputs.md).
    assert "bad amount" in (out / "quarantine.csv").read_text(encoding="utf-8-sig")


# ---------------------------------------------------------------- more ways a command stops, in both languages


def _stops(capsys, lang: str, *argv: str) -> str:
    code, output = _cli(capsys, *argv, "--lang", lang)
    assert code == 1 and "Traceback" not in output, output
    (assert_all_chinese if lang == "zh" else assert_all_english)(output)
    return output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_output_folder_a_run_must_not_replace_is_refused_in_the_user_s_language(tmp_path, capsys, lang):
    case = _small_case(tmp_path / "case")
    foreign = tmp_path / "my documents"
    _write(foreign, "letter.txt", "keep me")
    output = _stops(capsys, lang, "run", str(case), "--out", str(foreign))
    if lang == "zh":
        assert "输出文件夹不为空，且其中没有之前 fundtrail 运行留下的 manifest.json" in output
    else:
        assert "the output folder is not empty and holds no manifest.json of an earlier fundtrail run" in output
    assert (foreign / "letter.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_file_that_cannot_be_read_is_named_in_the_user_s_language(tmp_path, capsys, lang):
    undecodable = _small_case(tmp_path / "undecodable")
    sheet = undecodable / "deposit" / "sheet.csv"
    sheet.write_bytes(sheet.read_bytes().replace("800.00".encode(), b"\xff800.00"))
    empty = _small_case(tmp_path / "empty")
    (empty / "deposit" / "sheet.csv").write_text("\n", encoding="utf-8")  # one blank line where the header should be
    first = _stops(capsys, lang, "check", str(undecodable))
    second = _stops(capsys, lang, "check", str(empty))
    if lang == "zh":
        assert "deposit/sheet.csv：第 3 行：字节 ff 不是有效的 utf-8 编码" in first
        assert "deposit/sheet.csv：第 1 行没有表头" in second
    else:
        assert "deposit/sheet.csv: line 3: bytes ff are not valid utf-8; set encoding in the [[source]]" in first
        assert "deposit/sheet.csv: no header row at line 1" in second


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_diff_of_a_folder_no_run_wrote_and_a_missing_user_config_stop_in_the_user_s_language(
    tmp_path, capsys, monkeypatch, lang
):
    not_output = tmp_path / "not-output"
    not_output.mkdir()
    output = _stops(capsys, lang, "diff", str(not_output), str(not_output))
    assert ("不是 fundtrail 运行的输出" if lang == "zh" else "not the output of a fundtrail run") in output
    monkeypatch.setenv("FUNDTRAIL_CONFIG", str(tmp_path / "nowhere.toml"))
    output = _stops(capsys, lang, "run", str(_small_case(tmp_path / "case")), "--out", str(tmp_path / "out"))
    assert ("FUNDTRAIL_CONFIG 指向的文件不存在" if lang == "zh" else "FUNDTRAIL_CONFIG names a file that is not there") in output
