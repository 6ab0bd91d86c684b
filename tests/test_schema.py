"""kinds.toml is the one statement of every kind's columns: what is made from it matches it.

The checked-in files made from it (the stg suites, the docs' column tables), and the mart
suites' value lists made from the seeds, must equal what ``python -m fundtrail.staging`` would write; the staging views and the landing schema follow
it; and a column added to it reaches all of them with no other edit.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sqlcase import GANG, VICTIM_A, build_case, entry, rows, statement

from fundtrail import ingest, kinds, sqlrun, staging
from fundtrail.kinds import KINDS, Column

REPO = Path(__file__).resolve().parents[1]
REWRITE = "run `python -m fundtrail.staging` to rewrite it from kinds.toml"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_stg_suite_file_is_what_kinds_toml_makes_of_it(kind):
    path = REPO / "expectations" / f"stg_{kind}.json"
    written = path.read_text(encoding="utf-8")
    made = staging.suite_text(staging.suite(kind, staging.own_checks(kind, json.loads(written))))
    assert written == made, f"{path.name} differs from kinds.toml: {REWRITE}"


@pytest.mark.parametrize("name", staging.SEEDED_SUITES)
def test_the_value_lists_of_each_mart_suite_are_what_the_seeds_make(name):
    path = REPO / "expectations" / f"{name}.json"
    written = path.read_text(encoding="utf-8")
    made = staging.suite_text(staging.with_seeded_values(name, json.loads(written)))
    assert written == made, f"{path.name} differs from sql/seeds: run `python -m fundtrail.staging` to rewrite it"


def test_a_seeded_check_takes_the_seeds_values_in_its_set_query_and_description():
    stale = {"expectations": [
        {"type": "unexpected_rows_query", "kwargs": {"unexpected_rows_query": "select role from t where r not in ('boss')"},
         "description": "Every role is one of: boss.", "meta": {"check": "roles_known"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "tier", "value_set": ["none"]},
         "description": "tier is one of: none.", "meta": {"check": "tier_in_set"}},
    ]}
    roles, tiers = staging.with_seeded_values("defendants", stale)["expectations"]
    assert roles["kwargs"]["unexpected_rows_query"] == (
        "select role from t where r not in ('financier', 'shareholder', 'leader', 'staff', 'support')"
    )
    assert roles["description"] == "Every role is one of: financier, shareholder, leader, staff, support."
    assert tiers["kwargs"] == {"column": "tier", "value_set": ["especially_huge", "huge", "large", "none"]}
    assert tiers["description"] == "tier is one of: especially_huge, huge, large, none."


def test_the_column_tables_of_case_format_are_what_kinds_toml_makes():
    doc = (REPO / "docs" / "case-format.md").read_text(encoding="utf-8")
    assert doc == staging.with_column_tables(doc), f"docs/case-format.md column tables differ: {REWRITE}"


def test_the_roster_table_in_the_docs_reads_as_written_by_hand():
    table = staging.column_table("roster").splitlines()
    assert table[4] == (
        "| `role` | text | yes | `financier`, `shareholder`, `leader`, `staff` or `support` "
        "(use `values` to translate 组长 etc.) |"
    )
    assert table[2] == "| `defendant_id` | text | yes | stable id of the person (`D01`) |"
    assert staging.column_table("units").splitlines()[2] == "| `unit_id` | text | yes | |"


def test_a_staging_view_casts_landing_to_the_contract_types():
    con = duckdb.connect()
    con.execute(
        "create table landing_roster (source VARCHAR, source_row INTEGER, defendant_id VARCHAR, name VARCHAR,"
        " role VARCHAR, unit_id VARCHAR, member_code VARCHAR, valid_from VARCHAR, valid_to VARCHAR)"
    )
    con.execute("insert into landing_roster values ('r.csv', 2, 'D1', '甲', 'staff', 'G1', 'A', '2024-01-31', null)")
    assert sqlrun.build(con, ["stg_roster"]) == ["stg_roster"]
    described = con.execute("select column_name, column_type from (describe stg_roster)").fetchall()
    assert described == [
        ("source", "VARCHAR"),
        ("source_row", "BIGINT"),
        ("defendant_id", "VARCHAR"),
        ("name", "VARCHAR"),
        ("role", "VARCHAR"),
        ("unit_id", "VARCHAR"),
        ("member_code", "VARCHAR"),
        ("valid_from", "DATE"),
        ("valid_to", "DATE"),
    ]
    assert con.execute("select valid_from::VARCHAR from stg_roster").fetchall() == [("2024-01-31",)]


def test_landing_holds_the_row_identity_and_every_column_but_direction_typed_by_kind():
    landing = ingest.landing_schema("bank_statement")
    names = list(landing)
    assert names[:2] == ["source", "source_row"]
    assert names[2:-2] == [c.name for c in KINDS["bank_statement"] if c.name != "direction"]
    assert names[-2:] == ["ts_text", "amount_text"]  # keep_text: the cells as written, last
    typed = {"source_row": pl.Int64(), "ts": pl.Datetime("us", "UTC"), "amount": pl.Decimal(18, 2),
             "balance": pl.Decimal(18, 2)}
    assert landing == {name: typed.get(name, pl.String()) for name in names}
    assert ingest.landing_schema("roster")["valid_from"] == pl.Date()


def test_a_column_added_to_kinds_toml_reaches_landing_staging_the_suite_and_the_docs(monkeypatch):
    channel = Column("channel", "text", meaning="交易渠道: counter, online, ATM")
    monkeypatch.setitem(KINDS, "bank_statement", (*KINDS["bank_statement"], channel))
    assert ingest.landing_schema("bank_statement")["channel"] == pl.String()
    # after the canonical columns come the kept texts (ts_text, amount_text)
    assert "    channel::VARCHAR as channel,\n    ts_text::VARCHAR as ts_text," in staging.view_sql("bank_statement")
    made = staging.suite("bank_statement", [])
    assert made["expectations"][0]["kwargs"]["column_list"][-3:] == ["channel", "ts_text", "amount_text"]
    assert "('channel', 'VARCHAR'), ('ts_text', 'VARCHAR')" in made["expectations"][1]["kwargs"]["unexpected_rows_query"]
    assert staging.column_table("bank_statement").splitlines()[-1] == "| `channel` | text | no | 交易渠道: counter, online, ATM |"


def test_a_hand_written_check_may_not_take_the_name_of_one_kinds_toml_makes():
    clash = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ts"}, "meta": {"check": "ts_not_null"}}
    with pytest.raises(ValueError, match=r"stg_frozen: checks \['ts_not_null'\] come from kinds.toml"):
        staging.suite("frozen", [clash])


def test_kinds_toml_refuses_a_key_it_does_not_know(tmp_path):
    path = tmp_path / "kinds.toml"
    path.write_text('[x]\ngrain = "g"\ncolumns = [{ name = "a", type = "text", requird = true }]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"x\.a: unknown keys \{'requird'\}"):
        kinds._read_schema(path)


def test_design_md_lists_the_input_files_columns_of_ingest():
    design = (REPO / "docs" / "design.md").read_text(encoding="utf-8")
    listed = re.search(r"`input_files\(([^)]*)\)`", design)
    assert listed is not None
    assert [c.strip() for c in listed.group(1).split(",")] == list(ingest.INPUT_FILES_SCHEMA)


def test_entries_and_payments_show_the_time_and_amount_cells_as_written(tmp_path):
    con, _, _ = build_case(tmp_path, {
        "gang_accounts": [{"account_no": GANG}],
        "bank_statement": [
            statement(VICTIM_A, "2024-03-10 16:20:00+00", "-1000.00", GANG, source="victim.csv",
                      ts_text="2024/3/11 0:20", amount_text="-1,000.00"),
            statement(GANG, "2024-03-10 16:25:00+00", "1000.00", VICTIM_A, source="card.csv",
                      ts_text="20240311 002500", amount_text="1,000.00元"),
        ],
        # booked in Laos (UTC+7): 23:30 there is 16:30 UTC, 5 minutes after the receiving bank's 16:25
        "deposit_sheet": [entry("2024-03-10 16:30:00+00", "1000.00", ts_text="2024/3/10 23:30", amount_text="1000")],
    })
    assert rows(con, "select entry_id, status, ts_text, amount_text, amount from entries") == [
        ("deposit_sheet.csv:2", "validated", "2024/3/10 23:30", "1000", Decimal("1000.00"))
    ]
    # the payment carries the receiving card's row (card.csv:2), so its cells are that row's
    assert rows(con, "select payment_id, ts_text, amount_text, amount from payments") == [
        ("card.csv:2", "20240311 002500", "1,000.00元", Decimal("1000.00"))
    ]
