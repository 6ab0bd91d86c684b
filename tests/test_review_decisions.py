"""rules.md §9 decisions: reject, link, confirm and exclude, applied before matching, and stale ones.

Cases are folders written here from a few CSV lines and run step by step, with the review
functions where the pipeline calls them (``run_steps``). The main test compares a case with a
decisions file against the same case changed by hand in its evidence.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from sqlcase import GANG, ORG_SOURCES, VICTIM_A, VICTIM_B, case_toml, source_tables

from fundtrail import pipeline, review
from fundtrail.run_warnings import run_warnings

SHEET_HEADER = "ts,amount,member_code,victim_ref\n"
BANK_HEADER = "account_no,ts,amount,counterparty_account,txn_ref\n"
DECISIONS_HEADER = "action,entry_id,payment_ids,row_id,reason,decided_by,decided_at\n"
CASE_TOML = case_toml("review", [
    *ORG_SOURCES,
    {"kind": "deposit_sheet", "path": "deposit/sheet.csv"},
    {"kind": "bank_statement", "path": "bank/gang.csv"},
])
DECISIONS_SOURCE = source_tables([{"kind": "decisions", "path": "review/*.csv"}])

# The gang card's statement. Row numbers are the physical lines (header = line 1).
BANK_ROWS = [
    f"{GANG},2023-06-01 10:05:00,1000.00,{VICTIM_A},P1\n",   # :2  V1
    f"{GANG},2023-06-01 10:20:00,1000.00,{VICTIM_B},P2\n",   # :3  V2
    f"{GANG},2023-06-01 12:00:00,2500.00,{VICTIM_A},P3\n",   # :4  V1
    f"{GANG},2023-06-01 14:00:00,700.00,{VICTIM_B},P4\n",    # :5  V2
    f"{GANG},2023-06-01 14:20:00,700.00,{VICTIM_A},P4b\n",   # :6  V1
    f"{GANG},2023-06-01 14:10:00,800.00,{VICTIM_A},P5\n",    # :7  V1
]
EXCLUDED_BANK_ROW = f"{GANG},2023-06-01 16:00:00,3000.00,{VICTIM_B},P6\n"  # :8  V2, excluded


def sheet(e2_victim: str, e4_victim: str) -> str:
    return SHEET_HEADER + (
        f"2023-06-01 10:00:00,1000.00,A01,{e2_victim}\n"   # :2
        "2023-06-01 10:25:00,1000.00,B02,\n"               # :3
        f"2023-06-01 12:00:00,2500.00,A01,{e4_victim}\n"   # :4
        "2023-06-01 12:10:00,2500.00,B02,\n"               # :5
        "2023-06-01 14:05:00,700.00,A01,\n"                # :6
        "2023-06-01 16:00:00,3000.00,B02,\n"               # :7
    )


DECISIONS = DECISIONS_HEADER + (
    # :2 reject: sheet:2 may not take P1 (hand: the sheet names V2 for it)
    "reject,deposit/sheet.csv:2,bank/gang.csv:2,,回单显示李四付款,王会计,2024-03-01 10:00\n"
    # :3 link: sheet:4 takes P3 from V1 although the sheet names V2 (hand: the sheet names V1)
    "link,deposit/sheet.csv:4,bank/gang.csv:4,,入金表受害人写错,王会计,2024-03-01 10:05\n"
    # :4 confirm: sheet:6 takes P4, checked against the receipt
    "confirm,deposit/sheet.csv:6,bank/gang.csv:5,,核对回单无误,李审计,\n"
    # :5 exclude: the statement's last row, a reversed posting (hand: the row deleted)
    "exclude,,,bank/gang.csv:8,冲正交易; 已撤销,王会计,\n"
    # :6 stale link: 800.00 for a 1,000.00 entry
    "link,deposit/sheet.csv:3,bank/gang.csv:7,,疑似拆分,李审计,\n"
    # :7 stale reject: no such payment
    "reject,deposit/sheet.csv:2,bank/gang.csv:99,,核对,王会计,\n"
)


def write_case(case_dir: Path, files: dict[str, str], with_decisions: bool) -> Path:
    base = {
        "case.toml": CASE_TOML + (DECISIONS_SOURCE if with_decisions else ""),
        "org/units.csv": "unit_id,name,kind,parent_id\nG,gang,gang,\nG1,group 1,group,G\n",
        "org/roster.csv": (
            "defendant_id,name,role,unit_id,member_code,valid_from,valid_to\n"
            "D01,甲,staff,G1,A01,2023-01-01,\n"
            "D02,乙,staff,G1,B02,2023-01-01,\n"
        ),
        "victims.csv": f"victim_id,name,account_no\nV1,张三,{VICTIM_A}\nV2,李四,{VICTIM_B}\n",
        "gang.csv": f"account_no\n{GANG}\n",
    }
    for name, text in {**base, **files}.items():
        path = case_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return case_dir


def run_steps(case_dir: Path, out_dir: Path) -> tuple[duckdb.DuckDBPyConnection, list[dict[str, str]]]:
    """The pipeline's steps up to its balancing rules (the review calls sit inside them), then its warnings."""
    run = pipeline.execute(pipeline.prepare(case_dir, out_dir), through="check invariants")
    con = duckdb.connect(str(run.paths.db))
    found = run_warnings(con, lang="en")
    con.execute("SET TimeZone = ?", [run.case.timezone])
    return con, [w for w in found if w["code"] == "stale_decision"]


ENTRY_FIGURES = (
    "entry_id, ts, amount, member_code, defendant_id, unit_id, status, victim_id, payment_ids, seconds_apart"
)


def figures(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {
        "defendants": con.execute("select * from defendants order by defendant_id").fetchall(),
        "victims": con.execute("select * from victims order by victim_id").fetchall(),
        "entries": con.execute(f"select {ENTRY_FIGURES} from entries order by entry_id").fetchall(),
        "payments": con.execute("select payment_id, status, entry_id from payments order by payment_id").fetchall(),
    }


@pytest.fixture(scope="module")
def both_cases(tmp_path_factory):
    base = tmp_path_factory.mktemp("review")
    decided = write_case(base / "decided", {
        "deposit/sheet.csv": sheet(e2_victim="", e4_victim="V2"),
        "bank/gang.csv": BANK_HEADER + "".join(BANK_ROWS) + EXCLUDED_BANK_ROW,
        "review/decisions.csv": DECISIONS,
    }, with_decisions=True)
    by_hand = write_case(base / "by_hand", {
        "deposit/sheet.csv": sheet(e2_victim="V2", e4_victim="V1"),
        "bank/gang.csv": BANK_HEADER + "".join(BANK_ROWS),
    }, with_decisions=False)
    decided_con, warnings = run_steps(decided, base / "decided_out")
    hand_con, hand_warnings = run_steps(by_hand, base / "hand_out")
    yield decided_con, warnings, hand_con, hand_warnings
    decided_con.close()
    hand_con.close()


def test_decisions_give_the_figures_of_the_case_changed_by_hand(both_cases):
    decided, _, by_hand, _ = both_cases
    assert figures(decided) == figures(by_hand)


def test_the_figures_themselves_worked_out_by_hand(both_cases):
    decided, _, _, _ = both_cases
    # :2 (reject of P1) takes P2; :3 takes P1 (1,200 s); :4 linked to P3; :5 lost P3 to the
    # link; :6 takes P4 (300 s, P4b 900 s away); :7's payment P6 is excluded.
    assert decided.execute(
        "select entry_id, status, payment_ids, victim_id, candidates, ambiguous from entries order by entry_id"
    ).fetchall() == [
        ("deposit/sheet.csv:2", "validated", "bank/gang.csv:3", "V2", 1, False),
        ("deposit/sheet.csv:3", "validated", "bank/gang.csv:2", "V1", 2, True),
        ("deposit/sheet.csv:4", "validated", "bank/gang.csv:4", "V1", 1, False),
        ("deposit/sheet.csv:5", "unvalidated", None, None, 0, False),
        ("deposit/sheet.csv:6", "validated", "bank/gang.csv:5", "V2", 2, False),
        ("deposit/sheet.csv:7", "unvalidated", None, None, 0, False),
    ]
    # D01: 1,000 + 2,500 + 700 validated; D02: 1,000 validated, 2,500 + 3,000 not.
    assert decided.execute("select defendant_id, own, own_unvalidated from defendants order by 1").fetchall() == [
        ("D01", Decimal("4200.00"), Decimal("0.00")),
        ("D02", Decimal("1000.00"), Decimal("5500.00")),
    ]
    # V1 paid P1 + P3 + P4b + P5 = 5,000, of which P1 + P3 validated; V2 paid P2 + P4 (P6 excluded).
    assert decided.execute("select victim_id, paid, validated, unattributed from victims order by 1").fetchall() == [
        ("V1", Decimal("5000.00"), Decimal("3500.00"), Decimal("1500.00")),
        ("V2", Decimal("1700.00"), Decimal("1700.00"), Decimal("0.00")),
    ]
    assert decided.execute("select * from unvalidated order by entry_id").fetchall() == [
        ("deposit/sheet.csv:5", "taken", "bank/gang.csv:4", -600, Decimal("0.00"), "deposit/sheet.csv:4"),
        ("deposit/sheet.csv:7", "none", None, None, None, None),
    ]


def test_only_the_confirmed_entry_differs_in_ambiguity_from_the_hand_case(both_cases):
    decided, _, by_hand, _ = both_cases
    query = "select entry_id from entries where ambiguous order by 1"
    assert by_hand.execute(query).fetchall() == [("deposit/sheet.csv:3",), ("deposit/sheet.csv:6",)]
    assert decided.execute(query).fetchall() == [("deposit/sheet.csv:3",)]


def test_each_decision_is_reported_applied_or_stale_with_why(both_cases):
    decided, warnings, _, hand_warnings = both_cases
    assert decided.execute(
        "select action, entry_id, payment_ids, row_id, reason, decided_by, status, detail from decisions"
        " order by action, entry_id, payment_ids"
    ).fetchall() == [
        ("confirm", "deposit/sheet.csv:6", "bank/gang.csv:5", None, "核对回单无误", "李审计", "applied", None),
        ("exclude", None, None, "bank/gang.csv:8", "冲正交易; 已撤销", "王会计", "applied", None),
        ("link", "deposit/sheet.csv:3", "bank/gang.csv:7", None, "疑似拆分", "李审计", "stale",
         "the linked sum 800.00 and the entry amount 1000.00 are more than the amount tolerance 0.00 apart"),
        ("link", "deposit/sheet.csv:4", "bank/gang.csv:4", None, "入金表受害人写错", "王会计", "applied", None),
        ("reject", "deposit/sheet.csv:2", "bank/gang.csv:2", None, "回单显示李四付款", "王会计", "applied", None),
        ("reject", "deposit/sheet.csv:2", "bank/gang.csv:99", None, "核对", "王会计", "stale",
         "no payment bank/gang.csv:99 in the case"),
    ]
    assert [w["code"] for w in warnings] == ["stale_decision", "stale_decision"]
    assert warnings[0]["message"].startswith("review/decisions.csv:6: link deposit/sheet.csv:3 is stale")
    assert warnings[1]["message"].startswith("review/decisions.csv:7: reject deposit/sheet.csv:2 is stale")
    assert hand_warnings == []


def test_an_excluded_row_is_quarantined_verbatim_and_its_file_still_ties_out(both_cases):
    decided, _, by_hand, _ = both_cases
    assert decided.execute("select * from quarantine").fetchall() == [
        ("bank/gang.csv", 8, "row", "review/decisions.csv:5", "excluded by review: 冲正交易; 已撤销"),
    ]
    controls = (
        "select rows_read, rows_loaded, rows_quarantined, rows_duplicate, amount_in, amount_out, amount_quarantined"
        " from file_controls where path = 'bank/gang.csv'"
    )
    # 7 data rows read, 6 loaded, 1 quarantined with its 3,000.00; by hand the row is gone.
    assert decided.execute(controls).fetchall() == [
        (7, 6, 1, 0, Decimal("6700.00"), Decimal("0.00"), Decimal("3000.00"))
    ]
    assert by_hand.execute(controls).fetchall() == [(6, 6, 0, 0, Decimal("6700.00"), Decimal("0.00"), Decimal("0.00"))]


# ---------------------------------------------------------------- one rule at a time


def decided_case(tmp_path: Path, sheet_rows: str, bank_rows: str, decisions: str, extra: dict[str, str] | None = None):
    case_dir = write_case(tmp_path / "case", {
        "deposit/sheet.csv": sheet_rows,
        "bank/gang.csv": BANK_HEADER + bank_rows,
        "review/decisions.csv": DECISIONS_HEADER + decisions,
        **(extra or {}),
    }, with_decisions=True)
    return run_steps(case_dir, tmp_path / "out")


def outcomes(con) -> list[tuple]:
    return con.execute("select decision_id, status, detail from decision_outcomes order by decision_order").fetchall()


def decisions_file(table: list[tuple[str, str, str | None]]) -> tuple[str, list[tuple]]:
    """A decisions file's rows, each beside the outcome it must get (status, detail), and those
    outcomes as ``outcomes`` reads them: the file's rows start at line 2."""
    text = "".join(row + "\n" for row, _, _ in table)
    expected = [(f"review/decisions.csv:{line}", status, detail) for line, (_, status, detail) in enumerate(table, start=2)]
    return text, expected


def test_a_link_overrides_the_account_and_the_entry_it_took_from_is_matched_again(tmp_path):
    # sheet:2 10:04 names another receiving account: no candidate. sheet:3 10:00 would take P1
    # (10:05, 300 s) and leave P2 (10:20, 1,200 s). The link gives P1 to sheet:2, so sheet:3 is
    # matched again and takes P2.
    con, warnings = decided_case(
        tmp_path,
        "ts,amount,member_code,receiving_account\n"
        "2023-06-01 10:04:00,1000.00,A01,6222000000000002\n"
        "2023-06-01 10:00:00,1000.00,B02,\n",
        f"{GANG},2023-06-01 10:05:00,1000.00,{VICTIM_A},P1\n{GANG},2023-06-01 10:20:00,1000.00,{VICTIM_B},P2\n",
        "link,deposit/sheet.csv:2,bank/gang.csv:2,,卡号记错,王会计,\n",
        {"gang.csv": f"account_no\n{GANG}\n6222000000000002\n"},
    )
    assert con.execute("select entry_id, payment_ids, seconds_apart from entries order by 1").fetchall() == [
        ("deposit/sheet.csv:2", "bank/gang.csv:2", 60),
        ("deposit/sheet.csv:3", "bank/gang.csv:3", 1200),
    ]
    assert outcomes(con) == [("review/decisions.csv:2", "applied", None)]
    assert warnings == []


def test_a_link_may_join_payers_and_is_stale_outside_the_window(tmp_path):
    # sheet:2 3,000.00 at 12:00 = P1 1,000.00 (V1, 11:50) + P2 2,000.00 (V2, 12:10): two payers,
    # no split by the rules, but the link takes both. sheet:3 500.00 at 15:00 linked to P3
    # (15:31, 1,860 s) is outside the 30-minute window: stale, and sheet:3 stays unvalidated.
    con, warnings = decided_case(
        tmp_path,
        SHEET_HEADER + "2023-06-01 12:00:00,3000.00,A01,\n2023-06-01 15:00:00,500.00,A01,\n",
        f"{GANG},2023-06-01 11:50:00,1000.00,{VICTIM_A},P1\n{GANG},2023-06-01 12:10:00,2000.00,{VICTIM_B},P2\n"
        f"{GANG},2023-06-01 15:31:00,500.00,{VICTIM_A},P3\n",
        "link,deposit/sheet.csv:2,bank/gang.csv:3; bank/gang.csv:2,,两人分别转账,王会计,\n"
        "link,deposit/sheet.csv:3,bank/gang.csv:4,,回单,王会计,\n",
    )
    assert con.execute("select entry_id, status, payment_ids, victim_id, candidates from entries order by 1").fetchall() == [
        ("deposit/sheet.csv:2", "validated", "bank/gang.csv:2;bank/gang.csv:3", "V1", 2, ),
        ("deposit/sheet.csv:3", "unvalidated", None, None, 0),
    ]
    assert outcomes(con) == [
        ("review/decisions.csv:2", "applied", None),
        ("review/decisions.csv:3", "stale", "outside the 30-minute window: bank/gang.csv:4 (1860 s)"),
    ]
    assert con.execute("select reason, nearest_seconds from unvalidated").fetchall() == [("window", 1860)]
    assert len(warnings) == 1


def test_links_that_contradict_each_other_are_both_stale_and_a_rejected_pair_cannot_be_linked(tmp_path):
    # :2 and :3 both link P1 (10:05), to sheet:2 (10:00) and sheet:3 (10:10): both stale, neither
    # applies. :4 rejects sheet:4 (10:20) – P1 and :5 links that very pair: stale (rejected).
    # The rules then pair P1 with sheet:2 (300 s; sheet:3 is as near but later; sheet:4 rejected).
    con, warnings = decided_case(
        tmp_path,
        SHEET_HEADER + "2023-06-01 10:00:00,1000.00,A01,\n2023-06-01 10:10:00,1000.00,B02,\n"
        "2023-06-01 10:20:00,1000.00,B02,\n",
        f"{GANG},2023-06-01 10:05:00,1000.00,{VICTIM_A},P1\n",
        "link,deposit/sheet.csv:2,bank/gang.csv:2,,甲,王会计,\n"
        "link,deposit/sheet.csv:3,bank/gang.csv:2,,乙,李审计,\n"
        "reject,deposit/sheet.csv:4,bank/gang.csv:2,,不是他,王会计,\n"
        "link,deposit/sheet.csv:4,bank/gang.csv:2,,还是他,李审计,\n",
    )
    assert outcomes(con) == [
        ("review/decisions.csv:2", "stale",
         "contradicts review/decisions.csv:3 (same entry or payment): resolve them into one decision"),
        ("review/decisions.csv:3", "stale",
         "contradicts review/decisions.csv:2 (same entry or payment): resolve them into one decision"),
        ("review/decisions.csv:4", "applied", None),
        ("review/decisions.csv:5", "stale", "rejected for this entry: bank/gang.csv:2 by review/decisions.csv:4"),
    ]
    assert con.execute("select entry_id, payment_ids from entries order by 1").fetchall() == [
        ("deposit/sheet.csv:2", "bank/gang.csv:2"), ("deposit/sheet.csv:3", None), ("deposit/sheet.csv:4", None),
    ]
    assert con.execute("select entry_id, reason, taken_by from unvalidated order by 1").fetchall() == [
        ("deposit/sheet.csv:3", "taken", "deposit/sheet.csv:2"),
        ("deposit/sheet.csv:4", "rejected", "review/decisions.csv:4"),
    ]
    assert len(warnings) == 3


def test_a_confirm_is_stale_once_the_entry_takes_other_payments(tmp_path):
    # sheet:2 takes P1 (10:05); :2 confirms it with P2 instead: stale, ambiguous stays true.
    # sheet:3 has no payment at all; :3 confirms it takes none: applied. :4 names an entry not
    # in the case.
    decisions, expected = decisions_file([
        ("confirm,deposit/sheet.csv:2,bank/gang.csv:3,,核对,王会计,", "stale", "the entry takes bank/gang.csv:2 now"),
        ("confirm,deposit/sheet.csv:3,,,确无回单,王会计,", "applied", None),
        ("confirm,deposit/sheet.csv:9,bank/gang.csv:2,,核对,王会计,", "stale", "entry deposit/sheet.csv:9 is not in the case"),
    ])
    con, warnings = decided_case(
        tmp_path,
        SHEET_HEADER + "2023-06-01 10:00:00,1000.00,A01,\n2023-06-02 10:00:00,4000.00,A01,\n",
        f"{GANG},2023-06-01 10:05:00,1000.00,{VICTIM_A},P1\n{GANG},2023-06-01 10:25:00,1000.00,{VICTIM_B},P2\n",
        decisions,
    )
    assert outcomes(con) == expected
    assert con.execute("select entry_id, ambiguous from entries order by 1").fetchall() == [
        ("deposit/sheet.csv:2", True), ("deposit/sheet.csv:3", False),
    ]
    assert len(warnings) == 2


def test_malformed_decisions_are_stale_and_say_what_is_missing(tmp_path):
    decisions, expected = decisions_file([
        ("approve,deposit/sheet.csv:2,bank/gang.csv:2,,?,王会计,", "stale",
         "unknown action 'approve' (one of reject, link, confirm, exclude)"),
        ("reject,deposit/sheet.csv:2,,,?,王会计,", "stale", "a reject names one or more payment ids in payment_ids"),
        ("link,,bank/gang.csv:2,,?,王会计,", "stale", "a link names its entry in entry_id"),
        ("exclude,deposit/sheet.csv:2,,,?,王会计,", "stale", "an exclude names the input row to leave out in row_id"),
        ("confirm,deposit/sheet.csv:2,bank/gang.csv:2,bank/gang.csv:2,?,王会计,", "stale",
         "row_id is for exclude only; a confirm names entry_id and payment_ids"),
    ])
    con, warnings = decided_case(
        tmp_path, SHEET_HEADER + "2023-06-01 10:00:00,1000.00,A01,\n", f"{GANG},2023-06-01 10:05:00,1000.00,{VICTIM_A},P1\n", decisions
    )
    assert outcomes(con) == expected
    # nothing changed: the one entry takes its one payment, still ambiguous-free
    assert con.execute("select status, payment_ids, ambiguous from entries").fetchall() == [
        ("validated", "bank/gang.csv:2", False)
    ]
    assert len(warnings) == 5


def test_excludes_of_rows_that_are_not_loaded_are_stale(tmp_path):
    # bank/gang.csv:3 has a bad amount (quarantined by ingest); :1 is the header; bank/zcopy.csv
    # is identical to bank/gang.csv (not parsed); review/decisions.csv:2 is a decision.
    # The only applied exclude is sheet:2 (then excluded a second time by :9: stale).
    bank = f"{GANG},2023-06-01 10:05:00,1000.00,{VICTIM_A},P1\n{GANG},2023-06-01 11:00:00,abc,{VICTIM_A},P2\n"
    case_dir = write_case(tmp_path / "case", {
        "case.toml": CASE_TOML.replace('path = "bank/gang.csv"', 'path = "bank/*.csv"') + DECISIONS_SOURCE,
        "deposit/sheet.csv": SHEET_HEADER + "2023-06-01 10:00:00,1000.00,A01,\n2023-06-01 11:00:00,300.00,A01,\n",
        "bank/gang.csv": BANK_HEADER + bank,
        "bank/zcopy.csv": BANK_HEADER + bank,
        "review/decisions.csv": DECISIONS_HEADER + (
            "exclude,,,bank/gang.csv:3,?,王会计,\n"
            "exclude,,,bank/gang.csv:1,?,王会计,\n"
            "exclude,,,bank/zcopy.csv:2,?,王会计,\n"
            "exclude,,,review/decisions.csv:2,?,王会计,\n"
            "exclude,,,bank/none.csv:2,?,王会计,\n"
            "exclude,,,bank/gang.csv,?,王会计,\n"
            "exclude,,,deposit/sheet.csv:3,作废,王会计,\n"
            "exclude,,,deposit/sheet.csv:3,作废,李审计,\n"
        ),
    }, with_decisions=True)
    con, warnings = run_steps(case_dir, tmp_path / "out")
    assert outcomes(con) == [
        ("review/decisions.csv:2", "stale", "the row is already quarantined: bad amount"),
        ("review/decisions.csv:3", "stale", "bank/gang.csv has no loaded row 1"),
        ("review/decisions.csv:4", "stale",
         "bank/zcopy.csv is identical to bank/gang.csv, whose rows are the ones loaded: exclude bank/gang.csv:2"),
        ("review/decisions.csv:5", "stale", "a decision is withdrawn by changing its own row, not by an exclude"),
        ("review/decisions.csv:6", "stale", "no input file bank/none.csv in the case"),
        ("review/decisions.csv:7", "stale", "row_id bank/gang.csv is not <file>:<row>"),
        ("review/decisions.csv:8", "applied", None),
        ("review/decisions.csv:9", "stale", "the row is already excluded by review/decisions.csv:8"),
    ]
    assert con.execute("select entry_id from entries").fetchall() == [("deposit/sheet.csv:2",)]
    assert con.execute(
        "select rows_read, rows_loaded, rows_quarantined, amount_in, amount_quarantined from file_controls"
        " where path = 'deposit/sheet.csv'"
    ).fetchall() == [(2, 1, 1, Decimal("1000.00"), Decimal("300.00"))]
    assert len(warnings) == 7


def test_the_decisions_and_unvalidated_suites_pass_on_the_decided_case(both_cases, tmp_path):
    import shutil

    from fundtrail.validate import validate_database

    decided, _, _, _ = both_cases
    [(db,)] = decided.execute("select path from duckdb_databases() where not internal").fetchall()
    suites = tmp_path / "suites"
    suites.mkdir()
    repo = Path(__file__).resolve().parents[1]
    for name in ("decisions", "unvalidated", "stg_decisions", "entries", "quarantine", "file_controls"):
        shutil.copy(repo / "expectations" / f"{name}.json", suites)
    copy = tmp_path / "case.duckdb"
    shutil.copy(db, copy)
    summary = validate_database(copy, tmp_path / "validation", suites)
    assert {name: s["status"] for name, s in summary["suites"].items()} == {
        "decisions": "passed", "unvalidated": "passed", "stg_decisions": "passed",
        "entries": "passed", "quarantine": "passed", "file_controls": "passed",
    }


def test_the_fixture_cases_unvalidated_entries_say_why(tmp_path):
    # data/fixture-fraud/EXPECTED.md: laos_sheet.csv:5 (2,000.00) has no payment of that amount
    # in the case; sheet2.xlsx:8 (1,200.00, victim V3) has card2_part2.csv:9 at 16:01, 60 s
    # later, but from U9, not V3.
    repo = Path(__file__).resolve().parents[1]
    con, warnings = run_steps(repo / "data" / "fixture-fraud", tmp_path / "out")
    assert con.execute("select * from unvalidated order by entry_id").fetchall() == [
        ("deposit/laos_sheet.csv:5", "none", None, None, None, None),
        ("deposit/sheet2.xlsx:8", "victim", "bank/utf8/card2_part2.csv:9", 60, Decimal("0.00"), None),
    ]
    assert con.execute("select count(*) from decisions").fetchall() == [(0,)]
    assert warnings == []


def test_an_excluded_row_of_a_kind_without_amount_column_moves_its_money_column(tmp_path):
    # victims.csv:3 (V2, reported loss 500.00) excluded: V2 is no identified victim any more, so
    # P2 from V2's account is an unidentified payer's; the file quarantines the row and its
    # reported_loss, which ingest counts as the file's money (amount_in holds the rest, 900.00).
    con, warnings = decided_case(
        tmp_path,
        SHEET_HEADER + "2023-06-01 10:00:00,1000.00,A01,\n",
        f"{GANG},2023-06-01 10:05:00,1000.00,{VICTIM_A},P1\n{GANG},2023-06-02 10:05:00,300.00,{VICTIM_B},P2\n",
        "exclude,,,victims.csv:3,报案人撤回,王会计,\n",
        {"victims.csv": f"victim_id,name,account_no,reported_loss\nV1,张三,{VICTIM_A},900.00\nV2,李四,{VICTIM_B},500.00\n"},
    )
    assert con.execute("select victim_id, paid from victims order by 1").fetchall() == [
        ("V1", Decimal("1000.00")), (f"unidentified:{VICTIM_B}", Decimal("300.00")),
    ]
    assert con.execute(
        "select rows_read, rows_loaded, rows_quarantined, amount_in, amount_quarantined from file_controls"
        " where path = 'victims.csv'"
    ).fetchall() == [(2, 1, 1, Decimal("900.00"), Decimal("500.00"))]
    assert warnings == []


def test_applying_exclusions_twice_changes_nothing_the_second_time(both_cases):
    decided, _, _, _ = both_cases
    before = decided.execute("select * from exclusion_outcomes").fetchall()
    controls = decided.execute("select * from input_files order by path").fetchall()
    review.apply_exclusions(decided)
    assert decided.execute("select * from exclusion_outcomes").fetchall() == before
    assert decided.execute("select * from input_files order by path").fetchall() == controls
    assert decided.execute("select count(*) from landing_quarantine").fetchall() == [(1,)]
