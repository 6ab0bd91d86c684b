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
from fundtrail.errors import InvariantError

CASE_DIR = Path(__file__).resolve().parents[1] / "data" / "fixture-fraud"


def run_fixture(tmp_path: Path, after: str | None = None, corruption: str = "") -> tuple:
    """The fixture through the pipeline's steps up to the marts, ``corruption`` run right after the
    step named ``after`` (a name of pipeline.STEPS)."""

    def perform(step, run):
        run = step.do(run)
        if step.name == after:
            with duckdb.connect(str(run.paths.db)) as con:
                con.execute(corruption)
        return run

    run = pipeline.execute(pipeline.prepare(CASE_DIR, tmp_path / "out"), perform, through="marts")
    return run.case, run.paths


def test_the_fixture_as_it_is_passes_every_stop(tmp_path):
    case, paths = run_fixture(tmp_path)
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


# (the step after which one row is corrupted, the corruption, the stop's message)
STOPS = [
    # card1_gbk.csv: 8 data rows read, row 9 quarantined, 7 loaded (EXPECTED.md); one loaded row gone.
    pytest.param(
        "load DuckDB",
        "delete from landing_bank_statement where source = 'bank/card1_gbk.csv' and source_row = 7",
        r"^bank/card1_gbk\.csv: rows read 8 ≠ loaded 6 \+ quarantined 1 \+ duplicate 0 \(the staging tables hold 6 rows of the file\)$",
        id="a_statement_row_lost_after_ingest_breaks_the_file_row_balance",
    ),
    pytest.param(
        "load DuckDB",
        "insert into landing_gang_accounts values ('extra_cards.csv', 2, '6222000099990009', null)",
        r"^extra_cards\.csv: 1 row staged from a file the run never read$",
        id="rows_staged_under_a_file_the_run_never_read_stop_the_run",
    ),
    # card1_gbk.csv row 9 is its one quarantined row (unsigned amount without direction).
    pytest.param(
        "load DuckDB",
        "delete from landing_quarantine where source = 'bank/card1_gbk.csv'",
        r"^bank/card1_gbk\.csv: rows quarantined 1 ≠ 0 rows of the file in quarantine$",
        id="a_quarantine_row_lost_breaks_the_quarantine_count",
    ),
    # laos_sheet.csv loads 5000 + 8000 + 2000 + 3000 + 9000 + 7000 = 34000.00; row 2 gains 1.00.
    pytest.param(
        "load DuckDB",
        "update landing_deposit_sheet set amount = amount + 1 where source = 'deposit/laos_sheet.csv' and source_row = 2",
        r"^deposit/laos_sheet\.csv: money in loaded 34000\.00 ≠ staged 34001\.00$",
        id="staged_money_that_differs_from_what_ingest_loaded_stops_the_run",
    ),
    # card1_gbk.csv pays out 7000 (row 7) + 4000 (row 8) = 11000.00; row 8 becomes -4500.00.
    pytest.param(
        "load DuckDB",
        "update landing_bank_statement set amount = -4500.00 where source = 'bank/card1_gbk.csv' and source_row = 8",
        r"^bank/card1_gbk\.csv: money out loaded 11000\.00 ≠ staged 11500\.00$",
        id="statement_money_out_is_balanced_too",
    ),
    # laos_sheet.csv:7 took card1:10; made to take card1:4, which laos_sheet.csv:2 already takes.
    pytest.param(
        "match entries",
        "update entry_matches set payment_id = 'bank/card1_gbk.csv:4' where entry_id = 'deposit/laos_sheet.csv:7'",
        r"^payment bank/card1_gbk\.csv:4 serves 2 entries$",
        id="a_payment_matched_to_two_entries_stops_the_run",
    ),
    # laos_sheet.csv stages 6 rows (34000.00); its unvalidated 2000.00 entry (row 5) is dropped.
    pytest.param(
        "match entries",
        "delete from deposit_entries where entry_id = 'deposit/laos_sheet.csv:5'",
        r"^deposit/laos_sheet\.csv: 6 deposit rows staged \(34000\.00\) but 5 entries \(32000\.00\)$",
        id="a_deposit_row_lost_before_the_marts_breaks_the_entry_count",
    ),
    # card2_part1.csv:2: V2's unattributed 1000.00 payment.
    pytest.param(
        "marts",
        "delete from payments where payment_id = 'bank/utf8/card2_part1.csv:2'",
        r"^payment bank/utf8/card2_part1\.csv:2 of 1000\.00: 0 rows in payments$",
        id="a_payment_missing_from_the_payments_table_stops_the_run",
    ),
    # laos_sheet.csv:2 (5000.00) is matched to card1:4 (5000.00); the payment becomes 4999.00 after
    # matching, so the entry stays validated with less money behind it (tolerance 0.00).
    pytest.param(
        "match entries",
        "update case_payments set amount = 4999.00 where payment_id = 'bank/card1_gbk.csv:4'",
        r"^entry deposit/laos_sheet\.csv:2: validated 5000\.00 but the payments serving it add up to 4999\.00 \(1 payment\)$",
        id="a_validated_entry_whose_payment_changed_amount_stops_the_run",
    ),
    pytest.param(
        "marts",
        "update payments set status = 'unattributed' where payment_id = 'bank/card1_gbk.csv:10'",
        r"^payment bank/card1_gbk\.csv:10: unattributed but serves entry deposit/laos_sheet\.csv:7$",
        id="a_payment_serving_an_entry_must_say_validated",
    ),
    # V1 paid 5000 + 5000 + 3000 + 9000 + 7000 = 29000.00 (EXPECTED.md); the mart is made to say 29100.00.
    pytest.param(
        "marts",
        "update victims set paid = paid + 100 where victim_id = 'V1'",
        r"^victim V1: paid 29100\.00 but their payments add up to 29000\.00$",
        id="a_victim_figure_that_is_not_the_sum_of_their_payments_stops_the_run",
    ),
    # P01 (financier → gang) is liable for every validated entry while in the organisation: 522800.00.
    pytest.param(
        "marts",
        "update defendants set liable = 500000.00 where defendant_id = 'P01'",
        r"^defendant P01: liable 500000\.00 but the entries behind it add up to 522800\.00$",
        id="a_liable_amount_that_is_not_its_entries_stops_the_run",
    ),
    # sheet2.xlsx:7 (480000.00, 2023-06) is moved ten years back after the marts: no roster period
    # holds that day, so it leaves every unit and gang list. P01's gang 522800.00 (EXPECTED.md) now
    # has 522800.00 - 480000.00 = 42800.00 of entries behind it.
    pytest.param(
        "marts",
        "update deposit_entries set case_day = case_day - interval 3650 day where entry_id = 'deposit/sheet2.xlsx:7'",
        r"^defendant P01: gang 522800\.00 but the entries behind it add up to 42800\.00$",
        id="a_gang_measure_that_is_not_its_entries_stops_the_run",
    ),
]


@pytest.mark.parametrize(("after", "corruption", "message"), STOPS)
def test_each_stop_fires_on_its_corrupted_row(tmp_path, after, corruption, message):
    case, paths = run_fixture(tmp_path, after, corruption)
    with pytest.raises(InvariantError, match=message):
        controls.check_invariants(case, paths)
