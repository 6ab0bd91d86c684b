"""The hand-made fixture case against its hand-worked answers.

Every expected figure below comes from data/fixture-fraud/EXPECTED.md, which
works it out from the evidence files and the spec alone; the readings the
spec leaves open are listed at its end. Nothing here was copied from the
pipeline's output.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from fixturecheck import manifest_inputs_match, read_table, tree_digest

from fundtrail.pipeline import run_case

CASE_DIR = Path(__file__).resolve().parents[1] / "data" / "fixture-fraud"
SHANGHAI = timezone(timedelta(hours=8))

C1 = "6222000011110001"
C2 = "6222000022220002"
C3 = "6222000033330003"
V1A = "6217000000000011"
V1B = "6217000000000012"
V2 = "6217000000000021"
V3 = "6217000000000031"
U9 = "6217000000000099"
UNIDENTIFIED = f"unidentified:{U9}"

LAOS = "deposit/laos_sheet.csv"
XLSX = "deposit/sheet2.xlsx"
CARD1 = "bank/card1_gbk.csv"
PART1 = "bank/utf8/card2_part1.csv"
PART2 = "bank/utf8/card2_part2.csv"
RESENT = "bank/utf8/zz_resent_card2_part1.csv"
VICTIM_V1 = "bank/utf8/victim_v1.csv"

COLUMNS = {
    "defendants": "defendant_id, name, role, unit_ids, codes, first_day, last_day, own, "
    "own_unvalidated, unit, gang, liable, liable_basis, tier, entries, victims",
    "victims": "victim_id, name, paid, returned, net_loss, validated, unattributed, "
    "reported_loss, payments",
    "entries": "entry_id, source, source_row, ts, amount, member_code, defendant_id, unit_id, "
    "status, candidates, ambiguous, victim_id, payment_ids, seconds_apart, ts_text, amount_text",
    "payments": "payment_id, victim_id, from_account, to_account, ts, amount, status, "
    "entry_id, sources, ts_text, amount_text",
    "quarantine": "source, source_row, column, value, reason",
}

# defendant_id: (name, roles, unit_ids, codes, first_day, last_day,
#                own, own_unvalidated, unit, gang, liable, liable_basis, tier, entries, victims)
DEFENDANTS = {
    "P01": ("钱大富", {"financier"}, {"G1"}, set(), "2023-05-01", "",
            "0.00", "0.00", "521300.00", "522800.00", "522800.00", "gang", "especially_huge", 0, 0),
    "P02": ("赵部长", {"leader"}, {"D1"}, set(), "2023-05-01", "",
            "0.00", "0.00", "511800.00", "522800.00", "511800.00", "unit", "especially_huge", 0, 0),
    "P03": ("孙组长", {"staff", "leader"}, {"T1", "T2"}, {"S3"}, "2023-05-01", "",
            "8000.00", "1200.00", "511000.00", "522800.00", "511000.00", "unit", "especially_huge", 3, 2),
    "P04": ("周一", {"staff"}, {"T1"}, {"K7"}, "2023-05-01", "2023-06-01",
            "3000.00", "0.00", "22000.00", "22800.00", "3000.00", "own", "large", 1, 1),
    "P05": ("吴二", {"staff"}, {"T2"}, {"K7"}, "2023-06-02", "",
            "489000.00", "0.00", "489000.00", "500000.00", "489000.00", "own", "huge", 2, 2),
    "P06": ("郑三", {"staff"}, {"T1", "T3"}, {"M6"}, "2023-05-01", "",
            "20500.00", "0.00", "31500.00", "522800.00", "20500.00", "own", "large", 4, 3),
    "P07": ("冯股东", {"shareholder"}, {"G1"}, set(), "2023-06-02", "",
            "0.00", "0.00", "498500.00", "500000.00", "500000.00", "gang", "especially_huge", 0, 0),
    "P08": ("陈八", {"staff"}, {"T2"}, {"Q8"}, "2023-05-01", "",
            "800.00", "2000.00", "489800.00", "522800.00", "800.00", "own", "none", 2, 1),
}

# victim_id: (name or None = not asserted, paid, returned, net_loss, validated, unattributed,
#             reported_loss, payments)
VICTIMS = {
    "V1": ("张三", "29000.00", "0.00", "29000.00", "29000.00", "0.00", "30000.00", 5),
    "V2": ("李四", "484000.00", "200.00", "483800.00", "483000.00", "1000.00", "480000.00", 3),
    "V3": ("王五", "9300.00", "0.00", "9300.00", "9300.00", "0.00", "", 4),
    UNIDENTIFIED: (None, "5200.00", "0.00", "5200.00", "1500.00", "3700.00", "", 3),
}


def sh(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2023, 6, day, hour, minute, second, tzinfo=SHANGHAI)


# entry_id: (ts, amount, member_code, defendant_id, unit_id, status, candidates, ambiguous,
#            victim_id or None = not asserted, payment_ids, seconds_apart or None = not asserted)
ENTRIES = {
    f"{LAOS}:2": (sh(1, 15, 0), "5000.00", "S3", "P03", "T1", "validated", 1, False,
                  "V1", {f"{CARD1}:4"}, 20),
    f"{LAOS}:3": (sh(1, 18, 0), "8000.00", "M6", "P06", "T1", "validated", 0, False,
                  "V1", {f"{CARD1}:5", f"{CARD1}:6"}, None),
    f"{LAOS}:5": (sh(1, 1, 0), "2000.00", "Q8", "P08", "T2", "unvalidated", 0, False,
                  None, set(), None),
    f"{LAOS}:7": (sh(1, 23, 40), "3000.00", "K7", "P04", "T1", "validated", 1, False,
                  "V3", {f"{CARD1}:10"}, 70),
    f"{LAOS}:8": (sh(2, 0, 20), "9000.00", "K7", "P05", "T2", "validated", 1, False,
                  "V1", {f"{CARD1}:11"}, 60),
    f"{LAOS}:9": (sh(2, 12, 30), "7000.00", "M6", "P06", "T3", "validated", 1, False,
                  "V1", {f"{VICTIM_V1}:5"}, 90),
    f"{XLSX}:2": (sh(1, 10, 2), "3000.00", "S3", "P03", "T1", "validated", 2, True,
                  "V3", {f"{PART1}:5"}, 1380),
    f"{XLSX}:3": (sh(1, 9, 35), "3000.00", "M6", "P06", "T1", "validated", 1, False,
                  "V2", {f"{PART1}:4"}, 1500),
    f"{XLSX}:4": (sh(1, 11, 30), "800.00", "Q8", "P08", "T2", "validated", 1, False,
                  "V3", {f"{PART1}:6"}, 60),
    f"{XLSX}:5": (sh(2, 12, 0), "1500.00", "ZZ9", "", "", "validated", 1, False,
                  UNIDENTIFIED, {f"{PART2}:4"}, 300),
    f"{XLSX}:6": (sh(2, 14, 0), "2500.00", "M6", "P06", "T3", "validated", 2, True,
                  "V3", {f"{PART2}:6"}, 600),
    f"{XLSX}:7": (sh(2, 15, 0), "480000.00", "K7", "P05", "T2", "validated", 1, False,
                  "V2", {f"{PART2}:8"}, 180),
    f"{XLSX}:8": (sh(2, 16, 0), "1200.00", "S3", "P03", "T2", "unvalidated", 0, False,
                  None, set(), None),
}

# payment_id: (victim_id, from_account, to_account, ts, amount, status, entry_id, sources)
PAYMENTS = {
    f"{CARD1}:4": ("V1", V1A, C1, sh(1, 15, 0, 20), "5000.00", "validated", f"{LAOS}:2",
                   {f"{CARD1}:4", f"{VICTIM_V1}:3"}),
    f"{CARD1}:5": ("V1", V1B, C1, sh(1, 17, 45), "5000.00", "validated", f"{LAOS}:3", {f"{CARD1}:5"}),
    f"{CARD1}:6": ("V1", V1B, C1, sh(1, 18, 12), "3000.00", "validated", f"{LAOS}:3", {f"{CARD1}:6"}),
    f"{CARD1}:10": ("V3", V3, C1, sh(1, 23, 41, 10), "3000.00", "validated", f"{LAOS}:7", {f"{CARD1}:10"}),
    f"{CARD1}:11": ("V1", V1B, C1, sh(2, 0, 21), "9000.00", "validated", f"{LAOS}:8", {f"{CARD1}:11"}),
    f"{VICTIM_V1}:5": ("V1", V1A, C3, sh(2, 12, 31, 30), "7000.00", "validated", f"{LAOS}:9",
                       {f"{VICTIM_V1}:5"}),
    f"{PART1}:2": ("V2", V2, C2, sh(1, 8, 30), "1000.00", "unattributed", "", {f"{PART1}:2"}),
    f"{PART1}:4": ("V2", V2, C2, sh(1, 10, 0), "3000.00", "validated", f"{XLSX}:3", {f"{PART1}:4"}),
    f"{PART1}:5": ("V3", V3, C2, sh(1, 10, 25), "3000.00", "validated", f"{XLSX}:2", {f"{PART1}:5"}),
    f"{PART1}:6": ("V3", V3, C2, sh(1, 11, 31), "800.00", "validated", f"{XLSX}:4", {f"{PART1}:6"}),
    f"{PART2}:4": (UNIDENTIFIED, U9, C2, sh(2, 12, 5), "1500.00", "validated", f"{XLSX}:5", {f"{PART2}:4"}),
    f"{PART2}:6": ("V3", V3, C2, sh(2, 13, 50), "2500.00", "validated", f"{XLSX}:6", {f"{PART2}:6"}),
    f"{PART2}:7": (UNIDENTIFIED, U9, C2, sh(2, 14, 20), "2500.00", "unattributed", "", {f"{PART2}:7"}),
    f"{PART2}:8": ("V2", V2, C2, sh(2, 15, 3), "480000.00", "validated", f"{XLSX}:7", {f"{PART2}:8"}),
    f"{PART2}:9": (UNIDENTIFIED, U9, C2, sh(2, 16, 1), "1200.00", "unattributed", "", {f"{PART2}:9"}),
}

# (source, source_row, column, value, reason keyword pattern)
QUARANTINE = {
    (CARD1, 9, "direction", "", r"direction"),
    (PART2, 5, "currency", "USD", r"currenc|USD"),
    (VICTIM_V1, 4, "ts", "2023-06-02 25:61:00", r"time|timestamp|date|\bts\b"),
    (LAOS, 4, "amount", "5千", r"amount|money|number|numeric"),
    (LAOS, 6, "member_code", "", r"missing|required|empty"),
}

UNSIGNED_AS_DIRECTION = (CARD1, 9, "direction", "")
UNSIGNED_AS_AMOUNT = (CARD1, 9, "amount", "300.00")

# path: (kind, rows_read, rows_loaded, rows_quarantined, rows_duplicate, amount_in, |amount_out|)
MANIFEST = {
    "org/units.csv": ("units", 6, 6, 0, 0, None, None),
    "org/roster.csv": ("roster", 10, 10, 0, 0, None, None),
    "victims.csv": ("victims", 4, 4, 0, 0, None, None),
    "gang_accounts.csv": ("gang_accounts", 2, 2, 0, 0, None, None),
    LAOS: ("deposit_sheet", 8, 6, 2, 0, "34000.00", None),
    XLSX: ("deposit_sheet", 7, 7, 0, 0, "492000.00", None),
    CARD1: ("bank_statement", 8, 7, 1, 0, "25000.00", "11000.00"),
    PART1: ("bank_statement", 7, 7, 0, 0, "11800.00", "4000.00"),
    PART2: ("bank_statement", 8, 5, 1, 2, "487700.00", "0.00"),
    RESENT: ("bank_statement", 7, 0, 0, 7, None, None),
    VICTIM_V1: ("bank_statement", 4, 3, 1, 0, "10000.00", "12000.00"),
}


def by_key(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    keyed = {row[key]: row for row in rows}
    assert len(keyed) == len(rows), f"duplicate {key} values"
    return keyed


def as_set(text: str) -> set[str]:
    return {part.strip() for part in text.split(";") if part.strip()}


def as_bool(text: str) -> bool:
    assert text.strip().lower() in {"true", "false", "1", "0"}, text
    return text.strip().lower() in {"true", "1"}


def as_instant(text: str) -> datetime:
    assert text.endswith("+08:00"), f"{text!r} is not in the case timezone"
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    before = tree_digest(CASE_DIR)
    base = tmp_path_factory.mktemp("fixture-fraud")
    first, second = base / "run1", base / "run2"
    run_case(CASE_DIR, first)
    run_case(CASE_DIR, second)
    return first, second, before


@pytest.fixture(scope="module")
def out(runs: tuple[Path, Path, dict[str, str]]) -> Path:
    return runs[0]


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_columns_are_the_contracts(out: Path, table: str) -> None:
    header, _ = read_table(out, table)
    assert header == [c.strip() for c in COLUMNS[table].split(",")]


def test_quarantine_rows(out: Path) -> None:
    _, rows = read_table(out, "quarantine")
    found = {(r["source"], int(r["source_row"]), r["column"], r["value"]) for r in rows}
    # The spec does not say which column an unsigned amount without direction
    # blames: the missing direction, or the amount that cannot be signed.
    found = {UNSIGNED_AS_DIRECTION if q == UNSIGNED_AS_AMOUNT else q for q in found}
    assert found == {q[:4] for q in QUARANTINE}
    reasons = {(r["source"], int(r["source_row"])): r["reason"] for r in rows}
    for source, row, _, _, keyword in QUARANTINE:
        assert reasons[(source, row)] != ""
        assert re.search(keyword, reasons[(source, row)], flags=re.IGNORECASE), (
            f"{source}:{row} reason {reasons[(source, row)]!r} does not say {keyword!r}"
        )


def test_manifest_counts_every_row(out: Path) -> None:
    inputs = manifest_inputs_match(out, CASE_DIR, MANIFEST)
    assert inputs[RESENT]["duplicate_of"] == PART1
    assert not inputs[PART1].get("duplicate_of")


def test_entries(out: Path) -> None:
    _, rows = read_table(out, "entries")
    entries = by_key(rows, "entry_id")
    assert set(entries) == set(ENTRIES)
    for entry_id, expected in ENTRIES.items():
        (ts, amount, code, defendant, unit, status, candidates, ambiguous,
         victim, payment_ids, seconds) = expected
        row = entries[entry_id]
        source, source_row = entry_id.rsplit(":", 1)
        assert (row["source"], row["source_row"]) == (source, source_row), entry_id
        assert as_instant(row["ts"]) == ts, entry_id
        assert row["amount"] == amount, entry_id
        assert row["member_code"] == code, entry_id
        assert (row["defendant_id"], row["unit_id"]) == (defendant, unit), entry_id
        assert row["status"] == status, entry_id
        assert int(row["candidates"]) == candidates, entry_id
        assert as_bool(row["ambiguous"]) is ambiguous, entry_id
        if victim is not None:
            assert row["victim_id"] == victim, entry_id
        assert as_set(row["payment_ids"]) == payment_ids, entry_id
        if seconds is not None:
            assert Decimal(row["seconds_apart"]) == seconds, entry_id


def test_payments(out: Path) -> None:
    _, rows = read_table(out, "payments")
    payments = by_key(rows, "payment_id")
    assert set(payments) == set(PAYMENTS)
    for payment_id, (victim, payer, payee, ts, amount, status, entry, sources) in PAYMENTS.items():
        row = payments[payment_id]
        assert row["victim_id"] == victim, payment_id
        assert (row["from_account"], row["to_account"]) == (payer, payee), payment_id
        assert as_instant(row["ts"]) == ts, payment_id
        assert row["amount"] == amount, payment_id
        assert row["status"] == status, payment_id
        assert row["entry_id"] == entry, payment_id
        assert as_set(row["sources"]) == sources, payment_id


def test_defendants(out: Path) -> None:
    _, rows = read_table(out, "defendants")
    defendants = by_key(rows, "defendant_id")
    assert set(defendants) == set(DEFENDANTS)
    measures = ("own", "own_unvalidated", "unit", "gang", "liable")
    for defendant_id, expected in DEFENDANTS.items():
        (name, roles, unit_ids, codes, first_day, last_day, *amounts,
         basis, tier, entries, victims) = expected
        row = defendants[defendant_id]
        assert row["name"] == name, defendant_id
        assert as_set(row["role"]) == roles, defendant_id
        assert as_set(row["unit_ids"]) == unit_ids, defendant_id
        assert as_set(row["codes"]) == codes, defendant_id
        assert (row["first_day"], row["last_day"]) == (first_day, last_day), defendant_id
        assert {m: row[m] for m in measures} == dict(zip(measures, amounts)), defendant_id
        assert (row["liable_basis"], row["tier"]) == (basis, tier), defendant_id
        assert (int(row["entries"]), int(row["victims"])) == (entries, victims), defendant_id


def test_victims(out: Path) -> None:
    _, rows = read_table(out, "victims")
    victims = by_key(rows, "victim_id")
    assert set(victims) == set(VICTIMS)
    columns = ("paid", "returned", "net_loss", "validated", "unattributed", "reported_loss")
    for victim_id, (name, *amounts, payments) in VICTIMS.items():
        row = victims[victim_id]
        if name is not None:
            assert row["name"] == name, victim_id
        assert {c: row[c] for c in columns} == dict(zip(columns, amounts)), victim_id
        assert int(row["payments"]) == payments, victim_id


def test_two_runs_write_identical_tables(runs: tuple[Path, Path, dict[str, str]]) -> None:
    first, second, _ = runs
    names = sorted(p.name for p in first.glob("*.csv"))
    assert {f"{t}.csv" for t in COLUMNS} <= set(names)
    assert names == sorted(p.name for p in second.glob("*.csv"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_run_leaves_the_case_folder_untouched(runs: tuple[Path, Path, dict[str, str]]) -> None:
    assert tree_digest(CASE_DIR) == runs[2]
