"""Expectation suites on a hand-made case database: which checks pass and which fail, and why.

The database holds a handful of rows per table; the bad rows are chosen so each
failing check below can be worked out by hand from the rows (comments say which
row breaks which rule).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fundtrail.kinds import KINDS, SQL_TYPES, staged_columns
from fundtrail.validate import SuiteError, validate_database

REPO = Path(__file__).resolve().parents[1]
SHA_A = "a" * 64


def staged_ddl(kind: str, **types: str) -> str:
    return ", ".join(f"{c.name} {types.get(c.name, SQL_TYPES[c.type])}" for c in staged_columns(kind))


SCHEMA = {
    **{f"stg_{kind}": staged_ddl(kind) for kind in KINDS},
    # amount as DOUBLE breaks the money contract: the column_types check must catch it.
    "stg_payment_ledger": staged_ddl("payment_ledger", amount="DOUBLE"),
    "file_controls": "path VARCHAR, sha256 VARCHAR, kind VARCHAR, rows_read BIGINT, rows_loaded BIGINT, "
    "rows_quarantined BIGINT, rows_duplicate BIGINT, amount_in DECIMAL(38,2), amount_out DECIMAL(38,2), "
    "amount_quarantined DECIMAL(38,2), placeholder_cells BIGINT, duplicate_of VARCHAR",
    "quarantine": 'source VARCHAR, source_row BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR',
    "entries": "entry_id VARCHAR, source VARCHAR, source_row BIGINT, ts TIMESTAMPTZ, amount DECIMAL(18,2), "
    "member_code VARCHAR, defendant_id VARCHAR, unit_id VARCHAR, status VARCHAR, candidates BIGINT, "
    "ambiguous BOOLEAN, victim_id VARCHAR, payment_ids VARCHAR, seconds_apart BIGINT, ts_text VARCHAR, amount_text VARCHAR",
    "payments": "payment_id VARCHAR, victim_id VARCHAR, from_account VARCHAR, to_account VARCHAR, ts TIMESTAMPTZ, "
    "amount DECIMAL(18,2), status VARCHAR, entry_id VARCHAR, sources VARCHAR, ts_text VARCHAR, amount_text VARCHAR",
    "victims": "victim_id VARCHAR, name VARCHAR, paid DECIMAL(38,2), returned DECIMAL(38,2), "
    "net_loss DECIMAL(38,2), validated DECIMAL(38,2), unattributed DECIMAL(38,2), "
    "reported_loss DECIMAL(18,2), payments BIGINT",
    "defendants": "defendant_id VARCHAR, name VARCHAR, role VARCHAR, unit_ids VARCHAR, codes VARCHAR, "
    "first_day DATE, last_day DATE, own DECIMAL(38,2), own_unvalidated DECIMAL(38,2), unit DECIMAL(38,2), "
    "gang DECIMAL(38,2), liable DECIMAL(38,2), liable_basis VARCHAR, tier VARCHAR, entries BIGINT, victims BIGINT",
}

ROWS = {
    "stg_bank_statement": [
        ("bank/a.csv", 2, "6222001", "卡主", "2023-06-01 02:00:00+00", "5000.00", None, "6217009", "受害人甲", "T1", "CNY", None),
        ("bank/a.csv", 3, "6222001", "卡主", "2023-06-02 02:00:00+00", "-1200.00", None, "6217009", "受害人甲", "T2", "CNY", None),
        # row 4: a posting of 0 moves no money (amount_not_zero)
        ("bank/a.csv", 4, "6222001", "卡主", "2023-06-03 02:00:00+00", "0.00", None, None, None, "T3", "CNY", None),
        # row 5: a space inside the account number (account_no_has_no_spaces)
        ("bank/a.csv", 5, "6222 001", "卡主", "2023-06-04 02:00:00+00", "300.00", None, "6217999", None, "T4", "CNY", None),
    ],
    "stg_deposit_sheet": [
        ("sheet/d.csv", 2, "2023-06-01 02:01:00+00", "5000.00", "A01", "6222001", "V1", None),
        ("sheet/d.csv", 3, "2023-06-01 03:00:00+00", "800.00", "A02", "6222001", None, None),
        ("sheet/d.csv", 4, "2023-06-02 03:00:00+00", "200.00", "ZZ", None, None, None),
        # row 5: negative deposit (amount_positive); it has no entry either (every_deposit_row_is_one_entry)
        ("sheet/d.csv", 5, "2023-06-02 04:00:00+00", "-50.00", "A01", None, None, None),
    ],
    "stg_roster": [
        ("roster.csv", 2, "D1", "张三", "leader", "G1", "A01", "2023-01-01", None),
        ("roster.csv", 3, "D2", "李四", "staff", "G1", "A02", "2023-01-01", "2023-12-31"),
        # row 4: unknown role (role_in_set) and valid_to before valid_from (period_not_inverted)
        ("roster.csv", 4, "D3", "王五", "boss", "G1", "A03", "2023-03-01", "2023-02-01"),
        # row 5: A02 is still D2's from 2023-06-01 to 2023-12-31 (code_held_by_one_person_per_day)
        ("roster.csv", 5, "D4", "赵六", "staff", "G1", "A02", "2023-06-01", None),
    ],
    "stg_units": [
        ("units.csv", 2, "GANG", "集团", "gang", None),
        ("units.csv", 3, "G1", "一组", "group", "GANG"),
        # row 4: parent NOPE is no unit (parent_is_a_unit)
        ("units.csv", 4, "G2", "二组", "group", "NOPE"),
    ],
    "stg_victims": [
        ("victims.csv", 2, "V1", "受害人甲", "6217009", "6000.00"),
        ("victims.csv", 3, "V2", "受害人乙", "6217010", None),
        ("victims.csv", 4, "V2", "受害人乙", "6217011", None),
    ],
    "stg_gang_accounts": [("gang.csv", 2, "6222001", "卡主")],
    # "approve" is no action (action_in_set)
    "stg_decisions": [("review.csv", 2, "approve", "sheet/d.csv:2", "bank/a.csv:2", None, "核对", "王会计", None)],
    "file_controls": [
        # bank/a.csv: 5 read = 4 loaded + 1 quarantined; in 5000+300, out 1200
        ("bank/a.csv", SHA_A, "bank_statement", 5, 4, 1, 0, "5300.00", "1200.00", "0.00", 0, None),
        ("bank/b.csv", SHA_A, "bank_statement", 5, 0, 0, 5, "0.00", "0.00", "0.00", 0, "bank/a.csv"),
        ("sheet/d.csv", "b" * 64, "deposit_sheet", 4, 4, 0, 0, "5950.00", None, "0.00", 0, None),
        # roster has no money, yet amount_in says 10.00 (amounts_tie_out)
        ("roster.csv", "c" * 64, "roster", 4, 4, 0, 0, "10.00", None, "0.00", 0, None),
        # not a hex digest (sha256_is_hex)
        ("units.csv", "not-a-hash", "units", 3, 3, 0, 0, None, None, "0.00", 0, None),
        ("victims.csv", "d" * 64, "victims", 3, 3, 0, 0, "6000.00", None, "0.00", 0, None),
        # 2 read but 1 loaded, nothing quarantined (rows_balance) and 1 staged, not 2 (rows_staged_tie_out)
        ("gang.csv", "e" * 64, "gang_accounts", 2, 1, 0, 0, None, None, "0.00", 0, None),
    ],
    "quarantine": [
        ("bank/a.csv", 6, "amount", "abc", "not an amount"),
        # ghost.csv is no input file (source_is_an_input_file)
        ("ghost.csv", 2, "ts", "x", "not a time"),
    ],
    "entries": [
        ("sheet/d.csv:2", "sheet/d.csv", 2, "2023-06-01 02:01:00+00", "5000.00", "A01", "D1", "G1",
         "validated", 2, True, "V1", "bank/a.csv:2", 60),
        # one candidate only, yet flagged ambiguous (ambiguous_only_when_validated_with_several_candidates)
        ("sheet/d.csv:3", "sheet/d.csv", 3, "2023-06-01 03:00:00+00", "800.00", "A02", "D2", "G1",
         "validated", 1, True, "V2", "p2", 60),
        ("sheet/d.csv:4", "sheet/d.csv", 4, "2023-06-02 03:00:00+00", "200.00", "ZZ", None, None,
         "unvalidated", 0, False, None, None, None),
    ],
    "payments": [
        ("bank/a.csv:2", "V1", "6217009", "6222001", "2023-06-01 02:00:00+00", "5000.00", "validated", "sheet/d.csv:2", "bank/a.csv:2"),
        ("p2", "V2", "6217010", "6222001", "2023-06-01 02:59:00+00", "800.00", "validated", "sheet/d.csv:3", "x"),
        ("p3", "unidentified:6217999", "6217999", "6222001", "2023-06-04 02:00:00+00", "300.00", "unattributed", None, "x"),
        # validated but serving no entry (validated_iff_entry)
        ("p4", "V2", "6217011", "6222001", "2023-06-05 02:00:00+00", "100.00", "validated", None, "x"),
    ],
    "victims": [
        ("V1", "受害人甲", "5000.00", "1200.00", "3800.00", "5000.00", "0.00", "6000.00", 1),
        ("V2", "受害人乙", "900.00", "0.00", "900.00", "900.00", "0.00", None, 2),
        # 300.00 paid - 0 returned is not 250.00 (net_loss_is_paid_minus_returned)
        ("unidentified:6217999", None, "300.00", "0.00", "250.00", "0.00", "300.00", None, 1),
    ],
    "defendants": [
        ("D1", "张三", "leader", "G1", "A01", "2023-01-01", None, "5000.00", "0.00", "5800.00", "5800.00",
         "5800.00", "unit", "large", 1, 1),
        # liable 800.00 is below 3,000: tier must be none (tier_matches_liable)
        ("D2", "李四", "staff", "G1", "A02", "2023-01-01", "2023-12-31", "800.00", "0.00", "5800.00", "5800.00",
         "800.00", "own", "large", 1, 1),
        # last_day before first_day (days_in_order)
        ("D3", "王五", "support", "G1", "A03", "2023-03-01", "2023-02-01", "0.00", "0.00", "0.00", "5800.00",
         "5800.00", "gang", "large", 0, 0),
        # basis unit is 0.00, liable says 10.00 (liable_is_basis_column)
        ("D4", "赵六", "leader;staff", "G1", "A02", "2023-06-01", None, "0.00", "0.00", "0.00", "0.00",
         "10.00", "unit", "none", 0, 0),
    ],
}

EXPECTED_FAILURES = {
    "stg_bank_statement": {"amount_not_zero", "account_no_has_no_spaces"},
    "stg_deposit_sheet": {"amount_positive"},
    "stg_payment_ledger": {"column_types"},
    "stg_roster": {"role_in_set", "period_not_inverted", "code_held_by_one_person_per_day"},
    "stg_units": {"parent_is_a_unit"},
    "stg_victims": set(),
    "stg_gang_accounts": set(),
    "stg_accounts": set(),
    "stg_records": set(),
    "stg_decisions": {"action_in_set"},
    "stg_frozen": set(),
    "file_controls": {"sha256_is_hex", "amounts_tie_out", "rows_balance", "rows_staged_tie_out"},
    "quarantine": {"source_is_an_input_file"},
    "entries": {"every_deposit_row_is_one_entry", "ambiguous_only_when_validated_with_several_candidates"},
    "payments": {"validated_iff_entry"},
    "victims": {"net_loss_is_paid_minus_returned"},
    "defendants": {"tier_matches_liable", "days_in_order", "liable_is_basis_column"},
}


def build_database(path: Path, rows: dict[str, list[tuple]]) -> None:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    for table, columns in SCHEMA.items():
        con.execute(f"create table {table} ({columns})")
        names = [d[0] for d in con.execute(f"select * from {table} limit 0").description]
        for row in rows.get(table, []):
            # A row lists the leading columns; those it leaves out (columns kinds.toml adds later) are empty.
            listed = ", ".join(f'"{n}"' for n in names[: len(row)])
            con.execute(f"insert into {table} ({listed}) values ({', '.join('?' for _ in row)})", list(row))
    con.close()


class NoNetwork(AssertionError):
    pass


def _refuse(*args, **kwargs):
    raise NoNetwork(f"network use attempted: {args[1:]!r}")


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """One validation run with sockets and pandas disabled: GX must neither call out nor build a
    DataFrame (every check is SQL in DuckDB; only counts and a few failing rows come back)."""
    import pandas
    from great_expectations.execution_engine import PandasExecutionEngine

    tmp = tmp_path_factory.mktemp("validate")
    build_database(tmp / "case.duckdb", ROWS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(socket, "create_connection", _refuse)
        for reader in ("read_sql", "read_sql_query", "read_sql_table"):
            patch.setattr(pandas, reader, _refuse)
        patch.setattr(PandasExecutionEngine, "__init__", _refuse)
        patch.setattr(pandas.DataFrame, "__init__", _refuse)
        summary = validate_database(tmp / "case.duckdb", tmp / "validation")
    return summary, tmp / "validation"


def _suite(summary: dict, name: str) -> dict:
    return summary["suites"][name]


def test_each_suite_fails_exactly_the_checks_its_bad_rows_break(validated):
    summary, _ = validated
    got = {name: {f["check"] for f in s["failures"]} for name, s in summary["suites"].items() if s["status"] != "skipped"}
    assert got == EXPECTED_FAILURES
    assert summary["success"] is False


def test_no_expectation_errors_out(validated):
    summary, _ = validated
    errors = [(name, f["check"], f["error"]) for name, s in summary["suites"].items() for f in s["failures"] if f["error"]]
    assert errors == []


def test_counts_per_suite(validated):
    summary, _ = validated
    roster = _suite(summary, "stg_roster")
    expectations = json.loads((REPO / "expectations" / "stg_roster.json").read_text(encoding="utf-8"))["expectations"]
    assert (roster["status"], roster["rows"], roster["failed"]) == ("failed", 4, 3)
    assert roster["evaluated"] == len(expectations)
    victims = _suite(summary, "stg_victims")
    assert (victims["status"], victims["success"], victims["failed"], victims["failures"]) == ("passed", True, 0, [])


def test_missing_table_is_skipped(validated):
    summary, docs = validated
    info = _suite(summary, "info_defendants")
    assert info["status"] == "skipped" and info["success"] is None and info["evaluated"] == 0
    assert "info_defendants is not in the database" in info["reason"]
    assert "skipped" in (docs / "info_defendants.html").read_text(encoding="utf-8")


def test_column_failure_names_column_and_exact_example_rows(validated):
    summary, _ = validated
    bank = _suite(summary, "stg_bank_statement")
    zero = next(f for f in bank["failures"] if f["check"] == "amount_not_zero")
    assert zero["expectation"] == "expect_column_values_to_not_be_in_set"
    assert zero["column"] == "amount" and zero["kwargs"]["value_set"] == [0]
    assert (zero["unexpected_count"], zero["element_count"]) == (1, 4)
    # money stays exact (a decimal string), keyed by the file row
    assert zero["examples"] == [{"source": "bank/a.csv", "source_row": 4, "amount": "0.00"}]


def test_balancing_failure_shows_the_rows_that_do_not_tie(validated):
    summary, _ = validated
    controls = _suite(summary, "file_controls")
    amounts = next(f for f in controls["failures"] if f["check"] == "amounts_tie_out")
    assert amounts["expectation"] == "unexpected_rows_expectation"
    assert amounts["unexpected_count"] == 1
    assert [(r["path"], r["amount_in"], r["staged_in"]) for r in amounts["examples"]] == [("roster.csv", "10.00", "0.00")]
    balance = next(f for f in controls["failures"] if f["check"] == "rows_balance")
    assert [(r["path"], r["rows_read"], r["rows_loaded"]) for r in balance["examples"]] == [("gang.csv", 2, 1)]


def test_wrong_column_type_is_reported(validated):
    summary, _ = validated
    ledger = _suite(summary, "stg_payment_ledger")
    types = next(f for f in ledger["failures"] if f["check"] == "column_types")
    assert types["examples"] == [{"column_name": "amount", "expected_type": r"DECIMAL\(18,2\)", "column_type": "DOUBLE"}]


def test_summary_is_json_serialisable(validated):
    summary, _ = validated
    assert json.loads(json.dumps(summary)) == summary


def test_report_is_static_offline_html(validated):
    summary, docs = validated
    pages = sorted(p.name for p in docs.glob("*.html"))
    assert pages == sorted(["index.html"] + [s["page"] for s in summary["suites"].values()])
    for page in docs.iterdir():
        text = page.read_text(encoding="utf-8")
        assert "http" not in text.lower(), page.name
        assert "<script" not in text and "<link" not in text and "url(" not in text, page.name
        assert "<style>" in text, page.name
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert 'href="entries.html"' in index
    entries = (docs / "entries.html").read_text(encoding="utf-8")
    assert "every_deposit_row_is_one_entry" in entries and "sheet/d.csv" in entries
    # the same page shell and stylesheet as report.html
    shared_css = (REPO / "src" / "fundtrail" / "reports" / "templates" / "report.css").read_text(encoding="utf-8")
    assert shared_css.strip() in index and shared_css.strip() in entries


def test_report_escapes_what_it_shows(tmp_path):
    """Suite texts and failing values are data: a tag inside one is shown as text, never parsed."""
    from fundtrail.validate.report import write_report

    tag = "<img src=x onerror=alert(1)>"
    expectation = {
        "check": "odd", "expectation": "expect_column_values_to_not_be_null", "description": f"described {tag}",
        "column": "memo", "kwargs": {"column": "memo"}, "success": False, "error": None,
        "unexpected_count": 1, "element_count": 1, "examples": [{"memo": tag, "source_row": 2}],
    }
    suite = {
        "suite": "notes", "table": "notes", "purpose": f"purpose {tag}", "note": "", "page": "notes.html",
        "status": "failed", "success": False, "rows": 1, "evaluated": 1, "failed": 1, "expectations": [expectation],
    }
    write_report(tmp_path, [suite])
    for name in ("index.html", "notes.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text, name
    page = (tmp_path / "notes.html").read_text(encoding="utf-8")
    assert '<td>&lt;img src=x onerror=alert(1)&gt;</td><td class="num">2</td>' in page


def test_gx_is_left_as_it_was_after_a_validation(validated):
    """The session's memos for GX's recomputations end with the session."""
    from great_expectations.core.id_dict import IDDict
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.validator.validation_graph import ValidationGraph

    assert Expectation.configuration.fget.__module__.startswith("great_expectations")
    assert ExpectationConfiguration.to_domain_obj.__module__.startswith("great_expectations")
    assert IDDict.to_id.__module__.startswith("great_expectations")
    assert ValidationGraph.build_metric_dependency_graph.__module__.startswith("great_expectations")


def test_preload_imports_gx_on_a_thread_and_the_package_alone_does_not():
    """A run can start the GX import beside ingest; importing fundtrail.validate must not pay it.

    The cycle collector, paused for the import, runs again afterwards, and what the import
    made is in the permanent generation: a full collection then finds nothing of it to walk."""
    code = (
        "import gc, os, sys, threading\n"
        "from fundtrail import validate\n"
        "before = 'great_expectations' in sys.modules\n"
        "thread = threading.Thread(target=validate.preload)\n"
        "thread.start(); thread.join()\n"
        "print(before, 'great_expectations' in sys.modules, os.environ['GX_ANALYTICS_ENABLED'])\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 100_000)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.split() == ["False", "True", "false", "True", "True"]


def _zero_amount_failure(tmp_path: Path, rows: int, order: str = "n") -> dict:
    """The amount_not_zero failure of stg_bank_statement holding ``rows`` zero amounts (source rows
    2, 3, … inserted in ``order``), validated with that suite alone."""
    build_database(tmp_path / "case.duckdb", {})
    con = duckdb.connect(str(tmp_path / "case.duckdb"))
    con.execute(
        "insert into stg_bank_statement (source, source_row, account_no, ts, amount) "
        "select 'bank/big.csv', n, '6222001', timestamptz '2023-06-01 02:00:00+00', 0 "
        f"from range(2, {rows + 2}) as r(n) order by {order}"
    )
    con.close()
    suites = tmp_path / "suites"
    suites.mkdir()
    shutil.copy(REPO / "expectations" / "stg_bank_statement.json", suites)
    summary = validate_database(tmp_path / "case.duckdb", tmp_path / "validation", suites)
    return next(f for f in _suite(summary, "stg_bank_statement")["failures"] if f["check"] == "amount_not_zero")


def test_many_bad_rows_stay_in_duckdb(tmp_path):
    """5,000 failing rows: counted in SQL, only five example rows come back to Python."""
    zero = _zero_amount_failure(tmp_path, 5000)
    assert zero["unexpected_count"] == 5000
    assert len(zero["examples"]) == 5


@pytest.mark.parametrize("counted_by", ["fundtrail", "gx"])
def test_compound_uniqueness_counts_the_rows_whose_listed_values_are_all_set_and_repeat(tmp_path, monkeypatch, counted_by):
    """row_identity_unique on (source, source_row): a.csv row 2 three times and b.csv row 5 twice
    are the 5 repeated rows; a.csv row 3 once is unique; the two rows of a.csv without a row number
    and the two with neither value repeat, but GX never counts a row with a null among the listed
    columns (it joins the group counts back on equality). gx_duckdb counts in one grouped query what
    GX's own join counts: both give 5 of 10 rows."""
    from fundtrail.validate import gx_duckdb

    if counted_by == "gx":
        monkeypatch.setattr(gx_duckdb, "COMPOUND_UNIQUE_COUNT", "(left to GX)")
    build_database(tmp_path / "case.duckdb", {})
    con = duckdb.connect(str(tmp_path / "case.duckdb"))
    con.execute(
        "insert into stg_bank_statement (source, source_row, account_no, ts, amount) "
        "select source, source_row, '6222001', timestamptz '2023-06-01 02:00:00+00', 1 from (values "
        "('a.csv', 2), ('a.csv', 2), ('a.csv', 2), ('a.csv', 3), ('b.csv', 5), ('b.csv', 5), "
        "('a.csv', null), ('a.csv', null), (null, null), (null, null)) as r(source, source_row)"
    )
    con.close()
    suites = tmp_path / "suites"
    suites.mkdir()
    shutil.copy(REPO / "expectations" / "stg_bank_statement.json", suites)
    summary = validate_database(tmp_path / "case.duckdb", tmp_path / "validation", suites)
    failure = next(f for f in _suite(summary, "stg_bank_statement")["failures"] if f["check"] == "row_identity_unique")
    assert (failure["unexpected_count"], failure["element_count"], failure["error"]) == (5, 10, None)
    # GX's own failing values (a compound check has no index query): the repeated pairs only.
    assert [(row["value"]["source"], row["value"]["source_row"]) for row in failure["examples"]] == [
        ("a.csv", 2), ("a.csv", 2), ("a.csv", 2), ("b.csv", 5), ("b.csv", 5)
    ]


@pytest.mark.parametrize("order", ["n", "-n"])
def test_example_rows_do_not_depend_on_the_order_rows_were_loaded(tmp_path, order):
    """Load order follows the ingest cache's batch names, which change with the code: the examples
    are the failing rows first in their own order (by file, then row), whichever order they came in."""
    zero = _zero_amount_failure(tmp_path, 500, order)
    assert [row["source_row"] for row in zero["examples"]] == [2, 3, 4, 5, 6]


def test_staging_suites_follow_the_canonical_kinds():
    for kind, columns in KINDS.items():
        suite = json.loads((REPO / "expectations" / f"stg_{kind}.json").read_text(encoding="utf-8"))
        listed = next(e for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_ordered_list")
        expected = [c.name for c in staged_columns(kind)]
        assert listed["kwargs"]["column_list"] == expected, kind
        not_null = {e["kwargs"]["column"] for e in suite["expectations"] if e["type"] == "expect_column_values_to_not_be_null"}
        assert {c.name for c in columns if c.required} <= not_null, kind


def test_suites_have_unique_check_names_and_no_urls():
    for path in (REPO / "expectations").glob("*.json"):
        text = path.read_text(encoding="utf-8")
        checks = [e["meta"]["check"] for e in json.loads(text)["expectations"]]
        assert len(checks) == len(set(checks)), path.name
        assert not re.search(r"https?://", text), path.name


def test_unreadable_suite_is_an_error(tmp_path):
    build_database(tmp_path / "case.duckdb", {})
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "entries.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SuiteError, match=r"entries\.json: not a readable JSON suite"):
        validate_database(tmp_path / "case.duckdb", tmp_path / "out", suites)


def test_unknown_expectation_type_is_an_error(tmp_path):
    build_database(tmp_path / "case.duckdb", {})
    suites = tmp_path / "suites"
    suites.mkdir()
    bad = {"name": "entries", "expectations": [{"type": "expect_the_moon", "kwargs": {}}]}
    (suites / "entries.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"entries\.json: not a valid expectation suite"):
        validate_database(tmp_path / "case.duckdb", tmp_path / "out", suites)


def test_empty_suites_folder_is_an_error(tmp_path):
    build_database(tmp_path / "case.duckdb", {})
    with pytest.raises(SuiteError, match="no expectation suites"):
        validate_database(tmp_path / "case.duckdb", tmp_path / "out", tmp_path)
