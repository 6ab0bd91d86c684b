"""The hand-made information-sale case against its hand-worked answers.

Every expected figure below comes from data/fixture-info/EXPECTED.md, which
works it out from the evidence files and the spec alone (rules.md §6); the
readings the spec leaves open are listed at its end. Nothing here was copied
from the pipeline's output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixturecheck import manifest_inputs_match, read_table, tree_digest

from fundtrail.pipeline import run_case

CASE_DIR = Path(__file__).resolve().parents[1] / "data" / "fixture-info"

COUNT_COLUMNS = ("records_passed", "records_valid", "records_unique", "records_corroborated")
GAIN_COLUMNS = ("received", "paid_upstream", "net_gain")
COLUMNS = ["defendant_id", *COUNT_COLUMNS, *GAIN_COLUMNS, "tier"]

# defendant_id: (counts of COUNT_COLUMNS, gains of GAIN_COLUMNS, tier, why)
DEFENDANTS = {
    "D01": ((28, 24, 18, 4), ("30000.00", "3100.00", "26900.00"), "especially_serious",
            "insider, net gain 26900 >= 10 x 2500"),
    "D02": ((10, 9, 8, 0), ("3100.00", "0.00", "3100.00"), "serious",
            "insider, net gain 3100 >= 2500; records 8/25 < 1"),
    "D03": ((36, 35, 34, 0), ("2000.00", "0.00", "2000.00"), "serious",
            "insider, 24/25 + 10/250 = 1 exactly: mixed and halved"),
    "D04": ((5, 4, 4, 0), ("7000.00", "2000.00", "5000.00"), "serious", "outsider, net gain exactly 5000"),
    "D05": ((3, 3, 3, 0), ("4000.00", "0.00", "4000.00"), "none", "outsider: 4000 < 5000 and 3/50 < 1"),
}

BOOK = "book/studio_book_gbk.csv"
MARKET = "broker/market_export.csv"

# (source, source_row, column, value, reason keyword pattern)
QUARANTINE = {
    (BOOK, 9, "ts", "2023/6/31", r"time|timestamp|date|\bts\b"),
    (MARKET, 10, "buyer_id", "", r"missing|required|empty"),
}

# path: (kind, rows_read, rows_loaded, rows_quarantined, rows_duplicate, amount_in, |amount_out|)
MANIFEST = {
    "accounts.csv": ("accounts", 8, 8, 0, 0, None, None),
    "chat/d01_wechat.xlsx": ("records", 33, 33, 0, 0, None, None),
    BOOK: ("records", 6, 5, 1, 0, None, None),
    "chat/d03_export.csv": ("records", 36, 36, 0, 0, None, None),
    MARKET: ("records", 9, 8, 1, 0, None, None),
    "bank/d01_card.csv": ("bank_statement", 7, 7, 0, 0, "22500.00", "5500.00"),
    "bank/std/d02_card.csv": ("bank_statement", 2, 2, 0, 0, "1700.00", "0.00"),
    "bank/std/d04_card.csv": ("bank_statement", 3, 3, 0, 0, "8000.00", "2000.00"),
    "ledger/d01_notebook.csv": ("payment_ledger", 5, 5, 0, 0, "18100.00", None),
    "ledger/d05_wechat.csv": ("payment_ledger", 2, 2, 0, 0, "4000.00", None),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    before = tree_digest(CASE_DIR)
    out_dir = tmp_path_factory.mktemp("fixture-info") / "out"
    run_case(CASE_DIR, out_dir)
    return out_dir, before


@pytest.fixture(scope="module")
def out(run: tuple[Path, dict[str, str]]) -> Path:
    return run[0]


@pytest.fixture(scope="module")
def info(out: Path) -> dict[str, dict[str, str]]:
    _, rows = read_table(out, "info_defendants")
    keyed = {row["defendant_id"]: row for row in rows}
    assert len(keyed) == len(rows), "one row per defendant"
    return keyed


def test_columns_are_the_contract(out: Path) -> None:
    header, _ = read_table(out, "info_defendants")
    assert header == COLUMNS


def test_defendants_are_the_sellers(info: dict[str, dict[str, str]]) -> None:
    assert set(info) == set(DEFENDANTS)


def test_rows_sorted_by_defendant(out: Path) -> None:
    _, rows = read_table(out, "info_defendants")
    assert [r["defendant_id"] for r in rows] == sorted(DEFENDANTS)


@pytest.mark.parametrize("defendant_id", sorted(DEFENDANTS))
def test_record_counts(info: dict[str, dict[str, str]], defendant_id: str) -> None:
    counts, _, _, _ = DEFENDANTS[defendant_id]
    assert tuple(int(info[defendant_id][c]) for c in COUNT_COLUMNS) == counts


@pytest.mark.parametrize("defendant_id", sorted(DEFENDANTS))
def test_gains(info: dict[str, dict[str, str]], defendant_id: str) -> None:
    _, gains, _, _ = DEFENDANTS[defendant_id]
    assert tuple(info[defendant_id][c] for c in GAIN_COLUMNS) == gains


@pytest.mark.parametrize("defendant_id", sorted(DEFENDANTS))
def test_tier(info: dict[str, dict[str, str]], defendant_id: str) -> None:
    _, _, tier, why = DEFENDANTS[defendant_id]
    assert info[defendant_id]["tier"] == tier, why


def test_quarantine_rows(out: Path) -> None:
    _, rows = read_table(out, "quarantine")
    found = {(r["source"], int(r["source_row"]), r["column"], r["value"]) for r in rows}
    assert found == {q[:4] for q in QUARANTINE}
    reasons = {(r["source"], int(r["source_row"])): r["reason"] for r in rows}
    for source, row, _, _, keyword in QUARANTINE:
        assert re.search(keyword, reasons[(source, row)], flags=re.IGNORECASE), (
            f"{source}:{row} reason {reasons[(source, row)]!r} does not say {keyword!r}"
        )


def test_manifest_counts_every_row(out: Path) -> None:
    manifest_inputs_match(out, CASE_DIR, MANIFEST)


def test_run_leaves_the_case_folder_untouched(run: tuple[Path, dict[str, str]]) -> None:
    assert tree_digest(CASE_DIR) == run[1]
