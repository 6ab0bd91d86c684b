"""Statement integrity in the validation report: the suite checks the table's shape, the page shows the findings.

The database holds a statement_integrity table of hand-written findings; every count
below is worked out from those rows (comments say which row counts where).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from fundtrail.pipeline import run_case
from fundtrail.validate import validate_database

REPO = Path(__file__).resolve().parents[1]
# The column types sql/core/statement_integrity.sql produces (sums DECIMAL(38,2): issue 9).
SCHEMA = (
    "account_no VARCHAR, kind VARCHAR, source VARCHAR, before_row VARCHAR, after_row VARCHAR, "
    "before_ts TIMESTAMPTZ, after_ts TIMESTAMPTZ, expected_balance DECIMAL(38,2), actual_balance DECIMAL(38,2), "
    "missing_amount DECIMAL(38,2), stated VARCHAR, found VARCHAR, detail VARCHAR"
)
CARD_A = "6222000011112222"
CARD_B = "6217000099998888"
CARD_C = "6228000055556666"
FINDINGS = [
    # card A: a break inside one file (row 4 → row 6, 300.00 missing) and a gap between its two files
    (CARD_A, "balance_break", "bank/a.csv", "bank/a.csv:4", "bank/a.csv:6",
     "2023-06-01 02:00:00+00", "2023-06-01 05:30:00+00", "1000.00", "1300.00", "300.00", None, None,
     "balance 1000.00 after bank/a.csv:4 plus 0.00 = 1000.00, but bank/a.csv:6 shows 1300.00"),
    (CARD_A, "statement_gap", "bank/a2.csv", "bank/a.csv:9", "bank/a2.csv:2",
     "2023-06-02 02:00:00+00", "2023-06-05 02:00:00+00", None, None, None, None, None,
     "no statement of this account covers 2023-06-03 to 2023-06-04"),
    # card B: a break of -50.00 and a preamble whose count disagrees with the rows
    (CARD_B, "balance_break", "bank/b.csv", "bank/b.csv:3", "bank/b.csv:5",
     "2023-06-01 07:00:05+00", "2023-06-02 04:31:30+00", "18000.00", "17950.00", "-50.00", None, None,
     "balance 25000.00 after bank/b.csv:3 plus -7000.00 = 18000.00, but bank/b.csv:5 shows 17950.00"),
    (CARD_B, "summary_mismatch", "bank/b.csv", None, None, None, None, None, None, None, "12", "11",
     "the preamble states count = 12, the rows read hold 11"),
    # card C: two exports that overlap
    (CARD_C, "statement_overlap", "bank/c2.csv", "bank/c1.csv:8", "bank/c2.csv:2",
     "2023-06-01 12:15:00+00", "2023-06-01 12:00:30+00", "12300.00", "12100.00", "-200.00", None, None,
     "bank/c2.csv starts before bank/c1.csv ends"),
]


def build_database(path: Path, rows: list[tuple]) -> None:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"create table statement_integrity ({SCHEMA})")
    for row in rows:
        con.execute(f"insert into statement_integrity values ({', '.join('?' for _ in row)})", list(row))
    con.close()


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("suites")
    shutil.copy(REPO / "expectations" / "statement_integrity.json", folder)
    return folder


@pytest.fixture(scope="module")
def validated(tmp_path_factory, suites):
    tmp = tmp_path_factory.mktemp("integrity")
    build_database(tmp / "case.duckdb", FINDINGS)
    summary = validate_database(tmp / "case.duckdb", tmp / "validation", suites, timezone="Asia/Shanghai")
    return summary, tmp / "validation"


def _page(docs: Path, name: str = "statement_integrity.html") -> str:
    return (docs / name).read_text(encoding="utf-8")


def _cells(html: str) -> list[list[str]]:
    """The table rows after the "Findings" heading, as lists of cell texts."""
    listed = html.split("<h3>Findings</h3>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        for row in listed.split("<tr")[1:]
    ]


def _finding(html: str, account: str, kind: str) -> dict[str, str]:
    rows = _cells(html)
    head = rows[0]
    matches = [dict(zip(head, r)) for r in rows[1:] if r[:2] == [account, kind]]
    assert len(matches) == 1, (account, kind, rows)
    return matches[0]


def test_findings_do_not_fail_the_suite(validated):
    summary, _ = validated
    suite = summary["suites"]["statement_integrity"]
    assert (suite["status"], suite["success"], suite["rows"], suite["failures"]) == ("passed", True, 5, [])
    assert summary["success"] is True


def test_counts_by_kind_and_account_go_into_the_manifest_summary(validated):
    summary, _ = validated
    details = summary["suites"]["statement_integrity"]["details"]
    assert details == {
        "findings": 5,
        "accounts": 3,
        # A: break + gap, B: break + mismatch, C: overlap
        "by_kind": {"balance_break": 2, "statement_gap": 1, "statement_overlap": 1, "summary_mismatch": 1,
                    "outside_stated_period": 0},
    }
    assert json.loads(json.dumps(summary)) == summary


def test_page_counts_per_account(validated):
    _, docs = validated
    html = _page(docs)
    by_account = html.split("<h3>By account</h3>", 1)[1].split("</table>", 1)[0]
    rows = [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]
            for r in by_account.split("<tr")[1:]]
    # account, findings, files, then breaks, gaps, overlaps, mismatches, outside period
    assert rows[1:] == [
        ["6217 **** **** 8888", "2", "1", "1", "0", "0", "1", "0"],  # both of B's findings are about bank/b.csv
        ["6222 **** **** 2222", "2", "2", "1", "1", "0", "0", "0"],  # A's break in a.csv, its gap found at a2.csv
        ["6228 **** **** 6666", "1", "1", "0", "0", "1", "0", "0"],
    ]


def test_each_finding_shows_its_rows_balances_and_missing_amount(validated):
    _, docs = validated
    html = _page(docs)
    first = _finding(html, "6222 **** **** 2222", "balance_break")
    assert (first["between row"], first["and row"]) == ("4", "6")  # rows of the finding's own file by number
    balances = (first["expected balance"], first["actual balance"], first["missing amount"])
    assert balances == ("1000.00", "1300.00", "300.00")
    # 02:00 UTC is 10:00 in Shanghai (UTC+8)
    assert (first["time of the first"], first["time of the second"]) == ("2023-06-01 10:00:00", "2023-06-01 13:30:00")
    overlap = _finding(html, "6228 **** **** 6666", "statement_overlap")
    assert (overlap["between row"], overlap["and row"]) == ("bank/c1.csv:8", "2")  # the earlier file's row in full
    mismatch = _finding(html, "6217 **** **** 8888", "summary_mismatch")
    assert (mismatch["stated"], mismatch["found"]) == ("12", "11")
    assert "the preamble states count = 12, the rows read hold 11" in html
    assert "times are in Asia/Shanghai" in html


def test_accounts_are_masked_everywhere(validated):
    _, docs = validated
    for page in docs.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for card in (CARD_A, CARD_B, CARD_C):
            assert card not in text, (page.name, card)


def test_index_teaser_counts_the_findings(validated):
    _, docs = validated
    index = _page(docs, "index.html")
    assert (
        "Statement integrity: 5 findings (2 balance breaks, 1 gap, 1 overlap, 1 summary mismatch) on 3 accounts"
        in index
    )
    assert 'href="statement_integrity.html#findings"' in index


def test_report_stays_offline(validated):
    _, docs = validated
    for page in docs.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "http" not in text.lower() and "<script" not in text and "<link" not in text, page.name


def test_long_list_is_cut_with_a_pointer_to_the_csv(tmp_path, suites):
    build_database(tmp_path / "case.duckdb", [])
    con = duckdb.connect(str(tmp_path / "case.duckdb"))
    # 250 breaks of 1.00 each on one card, rows 2→3, 3→4, ...
    con.execute(
        f"""
        insert into statement_integrity
        select '{CARD_A}', 'balance_break', 'bank/big.csv', 'bank/big.csv:' || n, 'bank/big.csv:' || (n + 1),
               timestamptz '2023-06-01 00:00:00+00' + to_minutes(n),
               timestamptz '2023-06-01 00:00:00+00' + to_minutes(n + 1),
               100.00, 101.00, 1.00, null, null, 'one more break'
        from range(2, 252) as r(n)
        """
    )
    con.close()
    summary = validate_database(tmp_path / "case.duckdb", tmp_path / "validation", suites)
    assert summary["suites"]["statement_integrity"]["success"] is True
    html = _page(tmp_path / "validation")
    assert "The first 200 of 250 findings are listed" in html
    assert 'href="../statement_integrity.csv"' in html
    assert html.count("one more break") == 200
    assert "times are in UTC" in html  # no case timezone given
    index = _page(tmp_path / "validation", "index.html")
    assert "Statement integrity: 250 findings (250 balance breaks) on 1 account" in index


def test_no_findings_is_said_as_such(tmp_path, suites):
    build_database(tmp_path / "case.duckdb", [])
    summary = validate_database(tmp_path / "case.duckdb", tmp_path / "validation", suites)
    suite = summary["suites"]["statement_integrity"]
    assert (suite["status"], suite["rows"], suite["details"]["findings"]) == ("passed", 0, 0)
    assert "Statement integrity: no findings" in _page(tmp_path / "validation", "index.html")
    assert "<b>No findings.</b>" in _page(tmp_path / "validation")


def test_a_malformed_table_fails_the_shape_checks(tmp_path, suites):
    build_database(tmp_path / "case.duckdb", [
        # a break that states no missing amount
        (CARD_A, "balance_break", "bank/a.csv", "bank/a.csv:4", "bank/a.csv:6", None, None, "1000.00", "1300.00",
         None, None, None, "balance does not chain"),
        # a kind the page does not know, about no account
        (None, "balance_wobble", "bank/a.csv", None, None, None, None, None, None, None, None, None, "?"),
        # missing is not actual − expected (1300.00 − 1000.00 = 300.00)
        (CARD_B, "balance_break", "bank/b.csv", "bank/b.csv:2", "bank/b.csv:3", None, None, "1000.00", "1300.00",
         "30.00", None, None, "typo"),
    ])
    summary = validate_database(tmp_path / "case.duckdb", tmp_path / "validation", suites)
    suite = summary["suites"]["statement_integrity"]
    assert {f["check"] for f in suite["failures"]} == {
        "balance_break_located", "kind_in_set", "account_no_not_null", "missing_is_actual_minus_expected",
    }
    located = next(f for f in suite["failures"] if f["check"] == "balance_break_located")
    # Failing rows are shown masked (issue 9): the report and manifest.json have no --unmask.
    assert [(r["account_no"], r["before_row"]) for r in located["examples"]] == [("6222 **** **** 2222", "bank/a.csv:4")]
    # two accounts and one finding without one; the unknown kind is counted after the known ones
    assert suite["details"]["accounts"] == 3
    assert list(suite["details"]["by_kind"].items())[-1] == ("balance_wobble", 1)


def test_fixture_run_shows_its_two_balance_breaks(tmp_path):
    """data/fixture-fraud: card 6222000011110001 misses 300.00, card 6217000000000011 -50.00 (EXPECTED.md)."""
    run_case(REPO / "data" / "fixture-fraud", tmp_path / "out")
    docs = tmp_path / "out" / "validation"
    html = _page(docs)
    card1 = _finding(html, "6222 **** **** 0001", "balance_break")
    assert card1["missing amount"] == "300.00"
    victim = _finding(html, "6217 **** **** 0011", "balance_break")
    assert victim["missing amount"] == "-50.00"
    assert "6222000011110001" not in html and "6217000000000011" not in html
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    suite = manifest["expectations"]["suites"]["statement_integrity"]
    assert suite["success"] is True
    assert suite["details"]["by_kind"]["balance_break"] == 2
    assert "2 balance breaks" in _page(docs, "index.html")
