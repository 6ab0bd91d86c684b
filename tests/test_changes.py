"""What changed since the previous run (issue 12): the `changes` table, manifest history, `fundtrail diff`."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import polars as pl

from conftest import REPO
from flows.cli import main
from fundtrail import changes, console
from fundtrail.pipeline import run_case

FIXTURE = REPO / "data" / "fixture-fraud"
# V3's own statement, one row: 1,200.00 to gang card C2 at 06-02 16:05, five minutes after
# sheet2.xlsx:8 (1200 → C2, victim V3, 16:00), which no payment could validate until now.
V3_STATEMENT = (
    "account_no,account_name,ts,amount,counterparty_account,counterparty_name,txn_ref,currency\n"
    "6217000000000031,王五,2023-06-02 16:05:00,-1200.00,6222000022220002,李卡二,V3T0001,CNY\n"
)


def figures(defendants: dict[str, dict], victims: dict[str, dict], inputs: dict[str, str]) -> changes.Figures:
    def frame(rows: dict[str, dict], key: str) -> pl.DataFrame:
        return pl.DataFrame([{key: k, **v} for k, v in rows.items()], schema_overrides={key: pl.String})

    return changes.Figures(
        {"defendants": frame(defendants, "defendant_id"), "victims": frame(victims, "victim_id")},
        pl.DataFrame({"path": list(inputs), "sha256": list(inputs.values())}, schema={"path": pl.String, "sha256": pl.String}),
    )


def test_compare_lists_moved_figures_and_files_but_not_names_or_a_column_one_side_lacks():
    before = figures(
        {"P1": {"name": "甲", "own": "100.00", "tier": "none"}, "P2": {"name": "乙", "own": "5.00", "tier": "none"}},
        {"V1": {"name": "张三", "paid": "100.00"}},
        {"a.csv": "aa", "b.csv": "bb", "c.csv": "cc"},
    )
    after = figures(
        {"P1": {"name": "甲二", "own": "150.00", "tier": "none", "new_column": "x"}, "P3": {"name": "丙", "own": "7.00", "tier": "none"}},
        {"V1": {"name": "张三丰", "paid": "100.00"}},
        {"a.csv": "aa", "b.csv": "b2", "d.csv": "dd"},
    )
    found = changes.compare(before, after)
    assert found.rows() == [
        ("defendants", "P1", "own", "100.00", "150.00"),
        ("defendants", "P2", "own", "5.00", None),
        ("defendants", "P2", "tier", "none", None),
        ("defendants", "P3", "own", None, "7.00"),
        ("defendants", "P3", "tier", None, "none"),
        ("inputs", "b.csv", "sha256", "bb", "b2"),
        ("inputs", "c.csv", "sha256", "cc", None),
        ("inputs", "d.csv", "sha256", None, "dd"),
    ]
    assert changes.counts(found) == {"figures": 5, "inputs_added": 1, "inputs_removed": 1, "inputs_changed": 1}
    assert changes.describe(found, 2) == ["defendants P1 own: 100.00 → 150.00", "defendants P2 own: 5.00 → (none)"]
    assert changes.describe(found)[-3:] == ["inputs b.csv: changed", "inputs c.csv: removed", "inputs d.csv: added"]
    assert changes.compare(after, after).is_empty()


def read_csv(path: Path) -> list[tuple]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [tuple(row) for row in csv.reader(handle)]


def test_reruns_report_nothing_then_exactly_the_figures_one_new_statement_moved(tmp_path, capsys):
    case = tmp_path / "case"
    shutil.copytree(FIXTURE, case)
    out = tmp_path / "out"
    run_case(case, out)
    assert read_csv(out / "changes.csv") == [("table", "key", "column", "before", "after")]  # a first run

    summary = run_case(case, out)
    assert read_csv(out / "changes.csv") == [("table", "key", "column", "before", "after")]
    assert summary["changes"] == {"figures": 0, "inputs_added": 0, "inputs_removed": 0, "inputs_changed": 0, "lines": []}
    first = tmp_path / "first"
    shutil.copytree(out, first)

    (case / "bank" / "utf8" / "victim_v3.csv").write_text(V3_STATEMENT, encoding="utf-8")
    summary = run_case(case, out)

    digest = hashlib.sha256(V3_STATEMENT.encode()).hexdigest()
    # By hand (EXPECTED.md step 4): sheet2.xlsx:8 (1200, P03's code S3, unit T2, 06-02) is now validated.
    # P03 owns it; every unit and gang measure that covers T2 on 06-02 grows by 1200; V3 paid one more time.
    assert read_csv(out / "changes.csv") == [
        ("table", "key", "column", "before", "after"),
        ("defendants", "P01", "gang", "522800.00", "524000.00"),
        ("defendants", "P01", "liable", "522800.00", "524000.00"),
        ("defendants", "P01", "unit", "521300.00", "522500.00"),
        ("defendants", "P02", "gang", "522800.00", "524000.00"),
        ("defendants", "P02", "liable", "511800.00", "513000.00"),
        ("defendants", "P02", "unit", "511800.00", "513000.00"),
        ("defendants", "P03", "gang", "522800.00", "524000.00"),
        ("defendants", "P03", "liable", "511000.00", "512200.00"),
        ("defendants", "P03", "own", "8000.00", "9200.00"),
        ("defendants", "P03", "own_unvalidated", "1200.00", "0.00"),
        ("defendants", "P03", "unit", "511000.00", "512200.00"),
        ("defendants", "P05", "gang", "500000.00", "501200.00"),
        ("defendants", "P05", "unit", "489000.00", "490200.00"),
        ("defendants", "P06", "gang", "522800.00", "524000.00"),
        ("defendants", "P07", "gang", "500000.00", "501200.00"),
        ("defendants", "P07", "liable", "500000.00", "501200.00"),
        ("defendants", "P07", "unit", "498500.00", "499700.00"),
        ("defendants", "P08", "gang", "522800.00", "524000.00"),
        ("defendants", "P08", "unit", "489800.00", "491000.00"),
        ("inputs", "bank/utf8/victim_v3.csv", "sha256", "", digest),
        ("victims", "V3", "net_loss", "9300.00", "10500.00"),
        ("victims", "V3", "paid", "9300.00", "10500.00"),
        ("victims", "V3", "payments", "4", "5"),
        ("victims", "V3", "validated", "9300.00", "10500.00"),
    ]
    assert summary["changes"]["figures"] == 23 and summary["changes"]["inputs_added"] == 1

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["changes"] == {"figures": 23, "inputs_added": 1, "inputs_removed": 0, "inputs_changed": 0}
    history = manifest["history"]
    assert [h["inputs"] for h in history] == [11, 11, 12]  # 4 reference files, 2 deposit sheets, 5 statements; then V3's
    assert history[0]["inputs_sha256"] == history[1]["inputs_sha256"] != history[2]["inputs_sha256"]
    assert history[-1]["run_id"] == manifest["run_id"] and len({h["run_id"] for h in history}) == 3
    lines = sorted(f"{i['path']}\t{i['sha256']}\n" for i in manifest["inputs"])
    assert history[-1]["inputs_sha256"] == hashlib.sha256("".join(lines).encode()).hexdigest()

    print(console.summary_text(summary, out, "CNY", "en"), end="")
    printed = capsys.readouterr().out.splitlines()
    assert printed[2] == "  CHANGES since the previous run into this folder: 23 figures moved; 1 input file added"
    assert printed[3] == "    defendants P01 gang: 522800.00 → 524000.00"
    assert "    … 4 more in changes.csv" in printed

    assert main(["diff", "--lang", "en", str(first), str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "23 figures moved; 1 input file added"
    assert printed[1:] == [f"  {line}" for line in changes.describe(changes.between(first, out))]
    assert "  victims V3 payments: 4 → 5" in printed
    assert main(["diff", "--lang", "en", str(out), str(out)]) == 0
    assert capsys.readouterr().out == "no changes: the same figures from the same files\n"


def test_diff_of_a_folder_that_is_no_output_exits_1_naming_it(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    assert main(["diff", "--lang", "en", str(tmp_path / "a"), str(tmp_path / "a")]) == 1
    assert "a: not the output of a fundtrail run (no case.duckdb in it)" in capsys.readouterr().err
