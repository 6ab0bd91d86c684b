"""Each balancing stop of controls.py fires when one row of an intermediate table is corrupted.

The hand-made fixture (data/fixture-fraud) is run through the pipeline's own steps; between two
steps one row of the case database is deleted or altered, the remaining steps run on it, and
``controls.check_invariants`` must stop with a message naming the file (entry, payment, victim,
defendant) and the two figures that no longer tie. Every figure in the expected messages comes from
data/fixture-fraud/EXPECTED.md (its per-file tables, payments and defendants), changed by hand by
the corruption the test makes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from fundtrail import controls, pipeline
from fundtrail.config import load_case
from fundtrail.errors import InvariantError

CASE_DIR = Path(__file__).resolve().parents[1] / "data" / "fixture-fraud"
STEPS = ("load", "transfers", "match", "marts")


def run_fixture(tmp_path: Path, after: str | None = None, corruption: str = "") -> tuple:
    """The fixture through every step up to the marts, running ``corruption`` right after step ``after``."""
    case = load_case(CASE_DIR)
    paths = pipeline.start_run(tmp_path / "out")

    def step_done(name: str) -> None:
        if name == after:
            con = duckdb.connect(str(paths.db))
            con.execute(corruption)
            con.close()

    planned = pipeline.plan_inputs(case)
    batches = pipeline.plan_batches(case, planned)
    stats = pipeline.file_stats(planned, [pipeline.ingest_batch(case, b, paths) for b in batches])
    pipeline.load_database(case, planned, stats, paths)
    step_done("load")
    pipeline.check_roster(case, paths)
    pipeline.build_transfers(case, paths)
    step_done("transfers")
    pipeline.match_entries(case, paths)
    step_done("match")
    pipeline.build_marts(case, paths)
    step_done("marts")
    return case, paths


def test_the_fixture_as_it_is_passes_every_stop(tmp_path):
    case, paths = run_fixture(tmp_path)
    controls.check_invariants(case, paths)


def test_a_statement_row_lost_after_ingest_breaks_the_file_row_balance(tmp_path):
    # card1_gbk.csv: 8 data rows read, row 9 quarantined, 7 loaded (EXPECTED.md); one loaded row gone.
    case, paths = run_fixture(
        tmp_path, "load", "delete from landing_bank_statement where source = 'bank/card1_gbk.csv' and source_row = 7"
    )
    with pytest.raises(
        InvariantError,
        match=r"^bank/card1_gbk\.csv: rows read 8 ≠ loaded 6 \+ quarantined 1 \+ duplicate 0 "
        r"\(the staging tables hold 6 rows of the file\)$",
    ):
        controls.check_invariants(case, paths)


def test_rows_staged_under_a_file_the_run_never_read_stop_the_run(tmp_path):
    case, paths = run_fixture(
        tmp_path, "load", "insert into landing_gang_accounts values ('extra_cards.csv', 2, '6222000099990009', null)"
    )
    with pytest.raises(InvariantError, match=r"^extra_cards\.csv: 1 row staged from a file the run never read$"):
        controls.check_invariants(case, paths)


def test_a_quarantine_row_lost_breaks_the_quarantine_count(tmp_path):
    # card1_gbk.csv row 9 is its one quarantined row (unsigned amount without direction).
    case, paths = run_fixture(tmp_path, "load", "delete from landing_quarantine where source = 'bank/card1_gbk.csv'")
    with pytest.raises(InvariantError, match=r"^bank/card1_gbk\.csv: rows quarantined 1 ≠ 0 rows of the file in quarantine$"):
        controls.check_invariants(case, paths)


def test_staged_money_that_differs_from_what_ingest_loaded_stops_the_run(tmp_path):
    # laos_sheet.csv loads 5000 + 8000 + 2000 + 3000 + 9000 + 7000 = 34000.00; row 2 gains 1.00.
    case, paths = run_fixture(
        tmp_path,
        "load",
        "update landing_deposit_sheet set amount = amount + 1 where source = 'deposit/laos_sheet.csv' and source_row = 2",
    )
    with pytest.raises(InvariantError, match=r"^deposit/laos_sheet\.csv: money in loaded 34000\.00 ≠ staged 34001\.00$"):
        controls.check_invariants(case, paths)


def test_statement_money_out_is_balanced_too(tmp_path):
    # card1_gbk.csv pays out 7000 (row 7) + 4000 (row 8) = 11000.00; row 8 becomes -4500.00.
    case, paths = run_fixture(
        tmp_path,
        "load",
        "update landing_bank_statement set amount = -4500.00 where source = 'bank/card1_gbk.csv' and source_row = 8",
    )
    with pytest.raises(InvariantError, match=r"^bank/card1_gbk\.csv: money out loaded 11000\.00 ≠ staged 11500\.00$"):
        controls.check_invariants(case, paths)


def test_a_payment_matched_to_two_entries_stops_the_run(tmp_path):
    # laos_sheet.csv:7 took card1:10; made to take card1:4, which laos_sheet.csv:2 already takes.
    case, paths = run_fixture(
        tmp_path,
        "match",
        "update entry_matches set payment_id = 'bank/card1_gbk.csv:4' where entry_id = 'deposit/laos_sheet.csv:7'",
    )
    with pytest.raises(InvariantError, match=r"^payment bank/card1_gbk\.csv:4 serves 2 entries$"):
        controls.check_invariants(case, paths)


def test_a_deposit_row_lost_before_the_marts_breaks_the_entry_count(tmp_path):
    # laos_sheet.csv stages 6 rows (34000.00); its unvalidated 2000.00 entry (row 5) is dropped.
    case, paths = run_fixture(
        tmp_path, "match", "delete from deposit_entries where entry_id = 'deposit/laos_sheet.csv:5'"
    )
    with pytest.raises(
        InvariantError, match=r"^deposit/laos_sheet\.csv: 6 deposit rows staged \(34000\.00\) but 5 entries \(32000\.00\)$"
    ):
        controls.check_invariants(case, paths)


def test_a_payment_missing_from_the_payments_table_stops_the_run(tmp_path):
    # card2_part1.csv:2: V2's unattributed 1000.00 payment.
    case, paths = run_fixture(
        tmp_path, "marts", "delete from payments where payment_id = 'bank/utf8/card2_part1.csv:2'"
    )
    with pytest.raises(InvariantError, match=r"^payment bank/utf8/card2_part1\.csv:2 of 1000\.00: 0 rows in payments$"):
        controls.check_invariants(case, paths)


def test_a_validated_entry_whose_payment_changed_amount_stops_the_run(tmp_path):
    # laos_sheet.csv:2 (5000.00) is matched to card1:4 (5000.00); the payment becomes 4999.00 after
    # matching, so the entry stays validated with less money behind it (tolerance 0.00).
    case, paths = run_fixture(
        tmp_path, "match", "update case_payments set amount = 4999.00 where payment_id = 'bank/card1_gbk.csv:4'"
    )
    with pytest.raises(
        InvariantError,
        match=r"^entry deposit/laos_sheet\.csv:2: validated 5000\.00 but the payments serving it add up to 4999\.00 \(1 payment\)$",
    ):
        controls.check_invariants(case, paths)


def test_a_payment_serving_an_entry_must_say_validated(tmp_path):
    case, paths = run_fixture(
        tmp_path, "marts", "update payments set status = 'unattributed' where payment_id = 'bank/card1_gbk.csv:10'"
    )
    with pytest.raises(
        InvariantError, match=r"^payment bank/card1_gbk\.csv:10: unattributed but serves entry deposit/laos_sheet\.csv:7$"
    ):
        controls.check_invariants(case, paths)


def test_a_victim_figure_that_is_not_the_sum_of_their_payments_stops_the_run(tmp_path):
    # V1 paid 5000 + 5000 + 3000 + 9000 + 7000 = 29000.00 (EXPECTED.md); the mart is made to say 29100.00.
    case, paths = run_fixture(tmp_path, "marts", "update victims set paid = paid + 100 where victim_id = 'V1'")
    with pytest.raises(InvariantError, match=r"^victim V1: paid 29100\.00 but their payments add up to 29000\.00$"):
        controls.check_invariants(case, paths)


def test_a_liable_amount_that_is_not_its_entries_stops_the_run(tmp_path):
    # P01 (financier → gang) is liable for every validated entry while in the organisation: 522800.00.
    case, paths = run_fixture(tmp_path, "marts", "update defendants set liable = 500000.00 where defendant_id = 'P01'")
    with pytest.raises(
        InvariantError, match=r"^defendant P01: liable 500000\.00 but the entries behind it add up to 522800\.00$"
    ):
        controls.check_invariants(case, paths)


def test_the_suites_rows_balance_counts_the_staging_tables_not_file_controls(tmp_path):
    # A statement row lost after the marts: file_controls (built before) still says card1_gbk.csv
    # read 8 = loaded 7 + quarantined 1, but the staging tables now hold 6 of its rows.
    import shutil

    from fundtrail.validate import validate_database

    case, paths = run_fixture(
        tmp_path, "marts", "delete from landing_bank_statement where source = 'bank/card1_gbk.csv' and source_row = 7"
    )
    suites = tmp_path / "suites"
    suites.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "expectations" / "file_controls.json", suites)
    summary = validate_database(paths.db, tmp_path / "docs", suites_dir=suites, timezone=case.timezone)
    balance = next(f for f in summary["suites"]["file_controls"]["failures"] if f["check"] == "rows_balance")
    assert [(r["path"], r["rows_read"], r["rows_loaded"], r["rows_staged"], r["quarantine_rows"]) for r in balance["examples"]] == [
        ("bank/card1_gbk.csv", 8, 7, 6, 1)
    ]


def test_a_gang_measure_that_is_not_its_entries_stops_the_run(tmp_path):
    # sheet2.xlsx:7 (480000.00, 2023-06) is moved ten years back after the marts: no roster period
    # holds that day, so it leaves every unit and gang list. P01's gang 522800.00 (EXPECTED.md) now
    # has 522800.00 - 480000.00 = 42800.00 of entries behind it.
    case, paths = run_fixture(
        tmp_path,
        "marts",
        "update deposit_entries set case_day = case_day - interval 3650 day where entry_id = 'deposit/sheet2.xlsx:7'",
    )
    with pytest.raises(
        InvariantError, match=r"^defendant P01: gang 522800\.00 but the entries behind it add up to 42800\.00$"
    ):
        controls.check_invariants(case, paths)
