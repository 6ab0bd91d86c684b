"""Every error a user can see carries a catalogue code, so it reads in their language.

The scan reads the source (src/fundtrail, flows) as Python syntax: a new
``raise SomeFundtrailError(f"...")`` without ``code=`` fails here, naming
its file and line. The read-back half checks the templates SQL-written
sentences are shown through (why a review decision is stale).
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from fundtrail import messages, review
from fundtrail.errors import FundtrailError, InvariantError, OutputFolderError
from fundtrail.messages import Phrase

REPO = Path(__file__).resolve().parents[1]
SCANNED = (REPO / "src" / "fundtrail", REPO / "flows")
ROOT_ERROR = "FundtrailError"
# (file relative to the repository, error class): why it may stay uncoded. Keep it short.
UNCODED_ALLOWED: dict[tuple[str, str], str] = {}


def _files() -> list[Path]:
    return sorted(p for root in SCANNED for p in root.rglob("*.py"))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """FundtrailError and every class defined in the scanned code that derives from it, however indirectly."""
    classes = {ROOT_ERROR}
    bases = {
        node.name: {_name(b) for b in node.bases}
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    while True:
        more = {name for name, of in bases.items() if of & classes} - classes
        if not more:
            return classes
        classes |= more


def _constant_codes(node: ast.expr) -> list[str] | None:
    """The codes a ``code=`` value can take when written as text (``"a"`` or ``"a" if x else "b"``); None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _constant_codes(node.body), _constant_codes(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _scan() -> tuple[list[str], list[str], set[tuple[str, str]]]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in _files()}
    classes = _error_classes(trees)
    uncoded, unknown, allowed_seen = [], [], set()
    for path, tree in trees.items():
        where = path.relative_to(REPO).as_posix()
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = _name(node.func)
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            if called in classes:
                if code is None:
                    if (where, called) in UNCODED_ALLOWED:
                        allowed_seen.add((where, called))
                    else:
                        uncoded.append(f"{where}:{node.lineno}: {ast.unparse(node)[:100]}")
                    continue
            elif called == "Phrase" and node.args:
                code = node.args[0]
            else:
                continue
            for text in _constant_codes(code) or []:
                if not messages.has(text):
                    unknown.append(f"{where}:{node.lineno}: {text}")
    return uncoded, unknown, allowed_seen


def test_every_fundtrail_error_raised_carries_a_catalogue_code():
    uncoded, unknown, allowed_seen = _scan()
    assert uncoded == [], "FundtrailError raised without code= (add a code to messages.toml):\n" + "\n".join(uncoded)
    assert unknown == [], "codes missing from messages.toml:\n" + "\n".join(unknown)
    stale = set(UNCODED_ALLOWED) - allowed_seen
    assert not stale, f"UNCODED_ALLOWED lists raises that are coded now or gone: remove {sorted(stale)}"


def test_the_scan_finds_an_uncoded_raise_and_a_subclass_of_a_subclass(tmp_path, monkeypatch):
    module = tmp_path / "src" / "fundtrail" / "made_up.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from fundtrail.errors import InputSchemaError\n"
        "class SheetError(InputSchemaError):\n    pass\n"
        "class WorseSheetError(SheetError):\n    pass\n"
        "def f(path):\n"
        "    raise WorseSheetError(f'{path}: odd')\n"
        "def g(path):\n"
        "    raise SheetError(code='no.such.code', path=path)\n"
        "def h(path):\n"
        "    raise SheetError(code='readers.no_sheet', path=path, sheet='S', found='T')\n",
        encoding="utf-8",
    )
    errors = REPO / "src" / "fundtrail" / "errors.py"
    monkeypatch.setitem(globals(), "REPO", tmp_path)
    monkeypatch.setitem(globals(), "SCANNED", (tmp_path / "src",))
    (tmp_path / "src" / "fundtrail" / "errors.py").write_text(errors.read_text(encoding="utf-8"), encoding="utf-8")
    uncoded, unknown, _ = _scan()
    assert [u.split(": ", 1)[0] for u in uncoded] == ["src/fundtrail/made_up.py:7"]
    assert unknown == ["src/fundtrail/made_up.py:9: no.such.code"]


# ---------------------------------------------------------------- every Chinese template reads as Chinese

SAMPLE_NUMBER = 7
PLACEHOLDER = "X1"


def _sample_values(template: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for _literal, field, spec, _conversion in string.Formatter().parse(template):
        if field:
            values[field.split(".")[0].split("[")[0]] = SAMPLE_NUMBER if spec else PLACEHOLDER
    return values


def test_no_chinese_message_holds_an_untranslated_english_sentence():
    from tests.test_lang import assert_all_chinese

    for code, texts in messages.catalogue()["messages"].items():
        shown = texts["zh"].format_map(_sample_values(texts["zh"]))
        try:
            assert_all_chinese(shown, (PLACEHOLDER,))
        except AssertionError as exc:
            raise AssertionError(f"{code}: {exc}") from None


# ---------------------------------------------------------------- errors raised by the modules, in both languages


@pytest.mark.parametrize(
    "error, en, zh",
    [
        (
            InvariantError(
                code="controls.entry_paid", entry="deposit/s.csv:4", status="validated", amount="700.00",
                paid="900.00", payments=Phrase("term.payments_many", count=2),
            ),
            "entry deposit/s.csv:4: validated 700.00 but the payments serving it add up to 900.00 (2 payments)",
            "入金 deposit/s.csv:4：validated 700.00，但对应它的付款合计 900.00（2 笔付款）",
        ),
        (
            OutputFolderError(code="outdir.locked", out=Path("/cases/out"), holder="4242"),
            "/cases/out: another fundtrail run (PID 4242) is writing this output folder; "
            "wait for it to finish or choose another --out",
            "/cases/out：另一个 fundtrail 运行（PID 4242）正在写入这个输出文件夹；请等它结束，或另选 --out",
        ),
    ],
)
def test_a_coded_error_keeps_its_english_text_and_reads_in_chinese(error, en, zh):
    assert str(error) == en
    assert messages.error_text(error, "en") == en
    assert messages.error_text(error, "zh") == zh


def test_a_balancing_stop_names_its_rows_in_the_reader_s_language(tmp_path):
    import duckdb

    from fundtrail.controls import file_quarantine_balance

    con = duckdb.connect()
    con.execute("create table input_files as select 'bank/a.csv' as path, 2 as rows_quarantined")
    con.execute("create table quarantine as select 'bank/a.csv' as source")
    with pytest.raises(InvariantError, match=r"^bank/a\.csv: rows quarantined 2 ≠ 1 row of the file in quarantine$") as caught:
        file_quarantine_balance(con, None)
    assert messages.error_text(caught.value, "zh") == "bank/a.csv：剔除计数 2 ≠ 剔除表中该文件的 1 行"


# ---------------------------------------------------------------- why a review decision is stale, read back from SQL's English

DETAILS = [
    # (the SQL's sentence, as decisions.csv keeps it; the Chinese shown)
    ("the linked sum 800.00 and the entry amount 1000.00 are more than the amount tolerance 0.00 apart",
     "关联的付款合计 800.00 与入金金额 1000.00 之差超过金额容差 0.00"),
    ("no payment bank/gang.csv:99 in the case", "本案中没有付款 bank/gang.csv:99"),
    ("the entry takes no payment now", "该入金现在没有对应任何付款"),
    ("the entry takes bank/g.csv:4;bank/g.csv:5 now", "该入金现在对应的付款是 bank/g.csv:4;bank/g.csv:5"),
    ("rejected for this entry: bank/g.csv:2 by review/d.csv:3, bank/g.csv:4 by review/d.csv:5",
     "已被拒绝用于该入金：bank/g.csv:2（由 review/d.csv:3 拒绝）, bank/g.csv:4（由 review/d.csv:5 拒绝）"),
    ("outside the 30-minute window: bank/g.csv:2 (2700 s)", "超出 30 分钟的时间窗口：bank/g.csv:2（相隔 2700 秒）"),
    ("the row is already quarantined: bad amount", "该行已被剔除：金额无法解析 (bad amount)"),
    ("a.csv is identical to b.csv, whose rows are the ones loaded: exclude b.csv:4",
     "a.csv 与 b.csv 完全相同，载入的是后者的行：请排除 b.csv:4"),
    ("unknown action 'frobnicate' (one of reject, link, confirm, exclude)",
     "未知的动作 'frobnicate'（可选：reject, link, confirm, exclude）"),
    # A sentence no template wrote (a newer SQL's) is shown as written rather than lost.
    ("some new reason", "some new reason"),
]


@pytest.mark.parametrize("detail, zh", DETAILS)
def test_a_stale_decision_s_detail_reads_in_chinese_and_stays_as_sql_wrote_it_in_english(detail, zh):
    assert review.stale_detail(detail, "zh") == zh
    assert review.stale_detail(detail, "en") == detail


@pytest.mark.parametrize("prefix", ["decision", "decision_item"])
def test_every_decision_template_reads_back_to_its_code_and_values(prefix):
    codes = [code for code in messages.catalogue()["messages"] if code.startswith(f"{prefix}.")]
    assert len(codes) >= 2
    for code in codes:
        template = messages.catalogue()["messages"][code]["en"]
        fields = [(f, spec, conv) for _l, f, spec, conv in string.Formatter().parse(template) if f]
        # Read back compares text: a conversion or format spec would not give the value back.
        assert all(not spec and not conv for _f, spec, conv in fields), code
        values = {f: f"v-{f}" for f, _s, _c in fields}
        assert messages.read_back(prefix, template.format_map(values)) == (code, values), code


def test_sql_writes_only_details_the_catalogue_can_read_back():
    """Each fixed phrase the decision SQL writes into a detail is in some decision.* template: a reworded sentence fails here."""
    english = " ".join(t["en"] for c, t in messages.catalogue()["messages"].items() if c.startswith("decision"))
    sources = [REPO / "sql" / "core" / f"{name}.sql" for name in ("decision_list", "decision_checks", "decision_confirms")]
    phrases = []
    for path in [*sources, REPO / "src" / "fundtrail" / "review.py"]:
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))  # SQL comments
        # The value of each branch of a CASE, and the coalesce that adds the contradictions.
        for branch in re.findall(r"\b(?:then|else)\b.*?(?=\n\s*(?:when|end|else)\b)|coalesce\(f\.detail.*?\n", text, re.DOTALL):
            phrases += [p.replace("''", "'").strip() for p in re.findall(r"'((?:[^']|'')*)'", branch)]
    phrases = [p for p in phrases if " " in p]
    assert len(phrases) >= 20
    assert [p for p in phrases if p not in english] == []


def test_the_error_family_is_one_tree():
    """The scan starts from FundtrailError: each class it finds is one (a renamed root would blind it)."""
    from fundtrail.reports.labels import ReportLanguageError
    from fundtrail.validate import SuiteError

    assert issubclass(SuiteError, FundtrailError) and issubclass(ReportLanguageError, FundtrailError)
    assert ROOT_ERROR == FundtrailError.__name__


def test_a_layout_key_s_problem_reads_in_chinese_inside_the_error_naming_the_source(tmp_path):
    import pickle

    from fundtrail.config import load_case
    from fundtrail.errors import CaseConfigError

    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "case.toml").write_text(
        '[case]\nid = "x"\n[[source]]\nkind = "bank_statement"\npath = "a.csv"\nsign = "up"\n', encoding="utf-8"
    )
    with pytest.raises(CaseConfigError, match=r"source #1: sign = 'up' must be one of ") as caught:
        load_case(tmp_path)
    zh = messages.error_text(caught.value, "zh")
    assert "来源 #1 的版式设置有误（sign = 'up' 必须是以下之一：" in zh
    assert messages.error_text(pickle.loads(pickle.dumps(caught.value)), "zh") == zh  # as from a Dask worker


ROSTER_CONFLICTS = [
    ("org/roster.csv:2", "org/roster.csv:3", "code K7 held by P1 and P2 on 2024-01-01"),
    ("org/roster.csv:4", None, "valid_to 2024-01-01 is before valid_from 2024-02-01"),
    ("org/roster.csv:5", None, "role boss is not one of staff, team_leader"),
]


def test_roster_conflicts_keep_their_english_lines_and_read_in_chinese():
    from fundtrail.errors import RosterError

    error = RosterError.of_conflicts(ROSTER_CONFLICTS)
    assert str(error) == (
        "roster error (fix the roster and run again):\n"
        "  org/roster.csv:2 / org/roster.csv:3: code K7 held by P1 and P2 on 2024-01-01\n"
        "  org/roster.csv:4: valid_to 2024-01-01 is before valid_from 2024-02-01\n"
        "  org/roster.csv:5: role boss is not one of staff, team_leader"
    )
    assert messages.error_text(error, "zh") == (
        "花名册有矛盾（请修正花名册后重新运行）：\n"
        "  org/roster.csv:2 / org/roster.csv:3：代号 K7 在 2024-01-01 同时属于 P1 和 P2\n"
        "  org/roster.csv:4：valid_to 2024-01-01 早于 valid_from 2024-02-01\n"
        "  org/roster.csv:5：角色 boss 不是以下之一：staff, team_leader"
    )


def test_the_roster_sql_writes_only_problems_the_catalogue_can_read_back():
    english = " ".join(t["en"] for c, t in messages.catalogue()["messages"].items() if c.startswith("roster_problem."))
    text = re.sub(r"--[^\n]*", "", (REPO / "sql" / "core" / "roster_conflicts.sql").read_text(encoding="utf-8"))
    phrases = [p.strip() for p in re.findall(r"'([^']*)'", text) if re.search("[a-z]", p)]
    assert len(phrases) >= 8
    assert [p for p in phrases if p not in english] == []


def test_leftovers_of_an_interrupted_run_are_reported_in_the_run_s_language(tmp_path, capsys):
    import subprocess

    from fundtrail import outdir

    ended = subprocess.Popen(["true"])  # a child that has ended and been reaped: no process has its PID
    ended.wait()
    leftover = tmp_path / f".out.partial-{ended.pid}"
    leftover.mkdir()
    said = f"已删除 {leftover}：这是一次被中断的运行（PID {ended.pid}）留下的"
    assert outdir.remove_stale(tmp_path / "out", "zh") == [said]
    assert capsys.readouterr().err == f"fundtrail：{said}\n"
    assert not leftover.exists()
