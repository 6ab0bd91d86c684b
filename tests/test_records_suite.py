"""The info_records suite and the "why records were excluded" section of the validation report.

info_records is built by the real sql/info from a dozen hand-written record rows; every
count below is worked out from those rows (comments say which row does what).
"""

from __future__ import annotations

import json
import shutil
import socket
from datetime import datetime, timezone
from itertools import product
from pathlib import Path

import duckdb
import pytest

from fundtrail import sqlrun
from fundtrail.validate import SuiteError, validate_database

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2023, 6, 1, 2, 0, tzinfo=timezone.utc)
# Check digits worked out in tests/test_info.py: 167 mod 11 = 2 → 'X'; 222 mod 11 = 2 → 'X'.
VALID_ID = "11010519491231002X"
VALID_ID_2 = "11010119900307803X"
WRONG_CHECK_ID = "11010519491231003X"  # 169 mod 11 = 4 → '8', not 'X'

# (source, source_row, name, phone, id_number, category)
RECORDS = [
    ("chat/a.csv", 2, "王五", "13812345678", VALID_ID, None),            # valid (phone and ID)
    ("chat/a.csv", 3, "赵六", "+86 139 0000 0001", VALID_ID_2, None),    # valid
    ("chat/a.csv", 4, "钱七", "12345", None, None),                      # phone not 11 digits; no id number
    ("chat/a.csv", 5, "张三", "12812345678", WRONG_CHECK_ID, None),      # does not start 13-19; check digit wrong
    ("chat/a.csv", 6, "孙八", None, None, None),                         # no reachable contact
    ("chat/a.csv", 7, "周九", None, VALID_ID, "credit"),                 # valid (ID only)
    ("chat/b.csv", 2, "吴十", "1381234567a", None, None),                # characters other than digits; no id
    ("chat/b.csv", 3, "郑一", "12345", None, None),                      # phone not 11 digits; no id number
    ("chat/b.csv", 4, "冯二", "13900000002", VALID_ID, None),            # valid
    ("chat/b.csv", 5, "陈三", "13900000003", VALID_ID_2, "gossip"),      # valid; category not recognised
    ("chat/b.csv", 6, "褚四", "54321", None, None),                      # phone not 11 digits; no id number
    ("chat/b.csv", 7, "卫五", "12345", None, None),                      # phone not 11 digits; no id number
    ("chat/b.csv", 8, "蒋六", "1234567", None, None),                    # phone not 11 digits; no id number
]
# 13 records, valid a:2,3,7 b:4,5 = 5. Phones carried by all but a:6, a:7 = 11, valid a:2,3 b:4,5 = 4.
# IDs carried by a:2,3,5,7 b:4,5 = 6, valid all but a:5 = 5.
RAW_SECRETS = ["12812345678", WRONG_CHECK_ID, "张三", "钱七", "1381234567a"]


@pytest.fixture(scope="module")
def sql_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sql")
    (root / "info").symlink_to(REPO / "sql" / "info")
    (root / "seeds").symlink_to(REPO / "sql" / "seeds")
    return root


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("suites")
    shutil.copy(REPO / "expectations" / "info_records.json", folder)
    return folder


def build_records(path: Path, sql_root: Path, records: list[tuple]) -> None:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("""create table stg_records (source varchar, source_row bigint, seller_id varchar,
        buyer_id varchar, ts timestamptz, name varchar, phone varchar, id_number varchar,
        category varchar, batch_ref varchar)""")
    if records:
        con.executemany(
            "insert into stg_records values (?, ?, 'D01', 'B01', ?, ?, ?, ?, ?, null)",
            [[source, row, T0, name, phone, id_number, category]
             for source, row, name, phone, id_number, category in records],
        )
    sqlrun.build(con, ["info_records"], sql_root=sql_root)
    con.close()


def _refuse(*args, **kwargs):
    raise AssertionError(f"not allowed in validation: {args[1:]!r}")


@pytest.fixture(scope="module")
def validated(tmp_path_factory, sql_root, suites):
    """One run with sockets and pandas refused: counts and examples come from DuckDB queries."""
    import pandas
    from great_expectations.execution_engine import PandasExecutionEngine

    tmp = tmp_path_factory.mktemp("records")
    build_records(tmp / "case.duckdb", sql_root, RECORDS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(PandasExecutionEngine, "__init__", _refuse)
        patch.setattr(pandas.DataFrame, "__init__", _refuse)
        summary = validate_database(tmp / "case.duckdb", tmp / "validation", suites)
    return summary["suites"]["info_records"], tmp / "validation"


def _failure(suite: dict, check: str) -> dict:
    return next(f for f in suite["failures"] if f["check"] == check)


def test_only_the_share_checks_fail_and_they_report_the_share(validated):
    suite, _ = validated
    assert (suite["status"], suite["rows"]) == ("failed", 13)
    assert {f["check"] for f in suite["failures"]} == {"records_valid_share", "phone_valid_share"}
    assert all(f["error"] is None for f in suite["failures"])
    # 5 of 13 records valid, 4 of the 11 phones carried: both under 80 %.
    assert _failure(suite, "records_valid_share")["share"] == {"met": 5, "of": 13, "required": 0.8}
    assert _failure(suite, "phone_valid_share")["share"] == {"met": 4, "of": 11, "required": 0.8}


def test_id_share_passes_and_is_shown(validated):
    _, docs = validated
    page = (docs / "info_records.html").read_text(encoding="utf-8")
    # 5 of the 6 IDs carried are valid: 83.33 % ≥ 80 %.
    assert "<b>83.33%</b> meet it (5 of 6); required: at least 80%" in page
    assert "<b>38.46%</b> meet it (5 of 13)" in page
    assert "<b>36.36%</b> meet it (4 of 11)" in page


def test_exclusion_counts_go_to_the_manifest_without_rows(validated):
    suite, _ = validated
    details = suite["details"]
    assert details == {
        "records": 13, "valid": 5, "phones_present": 11, "phones_valid": 4, "ids_present": 6, "ids_valid": 5,
        "by_reason": [
            {"reason": "phone not 11 digits; no id number", "records": 5},  # a:4, b:3, b:6, b:7, b:8
            {"reason": "no reachable contact: no phone, no id number", "records": 1},
            {"reason": "phone does not start with 13-19; id check digit wrong", "records": 1},
            {"reason": "phone has characters other than digits; no id number", "records": 1},
        ],
    }
    assert json.loads(json.dumps(suite)) == suite


def test_report_shows_reasons_per_file_and_masked_examples(validated):
    _, docs = validated
    page = (docs / "info_records.html").read_text(encoding="utf-8")
    section = page[page.index('id="exclusions"'):]
    assert "13 records read; 5 valid, 8 excluded" in section
    # per file: b.csv 7 records, 2 valid, 5 excluded comes before a.csv 6, 3, 3
    per_file = section[section.index("Records per file"):]
    assert per_file.index("chat/b.csv") < per_file.index("chat/a.csv")
    assert ('<td>chat/b.csv</td><td class="num">7</td><td class="num">2</td><td class="num">5</td>') in per_file
    by_reason_file = section[section.index("Reasons per file"):]
    assert '<td>phone not 11 digits; no id number</td><td>chat/b.csv</td><td class="num">4</td>' in by_reason_file
    assert '<td>phone not 11 digits; no id number</td><td>chat/a.csv</td><td class="num">1</td>' in by_reason_file
    # the wrong-check-digit record, masked: phone 3 + 4, ID 4 + 4, name first character
    assert "128****5678" in section and "1101**********003X" in section and "张*" in section
    for secret in RAW_SECRETS:
        assert secret not in page
    # five records have the commonest reason; three are shown, the first by file and row
    examples = section[section.index("<h4>phone not 11 digits; no id number</h4>"):]
    examples = examples[: examples.index("</table>")]
    assert examples.count("<tr>") == 4  # header + 3
    assert "<td>chat/a.csv</td><td class=\"num\">4</td>" in examples
    assert "<td>chat/b.csv</td><td class=\"num\">7</td>" not in examples
    # an unrecognised category is listed apart: it is counted as other, not excluded
    assert "<td>chat/b.csv</td><td>gossip</td><td class=\"num\">1</td>" in section


def test_index_links_to_the_exclusions(validated):
    _, docs = validated
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "Information-sale records: 13, of which 5 valid (38.46%) and 8 excluded" in index
    assert 'href="info_records.html#exclusions"' in index


def test_broken_rows_fail_the_checks_they_break(tmp_path, sql_root, suites):
    db = tmp_path / "case.duckdb"
    build_records(db, sql_root, RECORDS)
    con = duckdb.connect(str(db))
    con.execute("update info_records set buyer_id = null where source = 'chat/b.csv' and source_row = 4")
    con.execute("update info_records set seller_id = '  ' where source = 'chat/b.csv' and source_row = 5")
    con.execute("update info_records set invalid_reason = null where source = 'chat/a.csv' and source_row = 6")
    con.execute("update info_records set invalid_reason = 'looked odd' where source = 'chat/a.csv' and source_row = 5")
    con.close()
    suite = validate_database(db, tmp_path / "validation", suites)["suites"]["info_records"]
    assert {f["check"] for f in suite["failures"]} == {
        "buyer_id_not_null", "parties_not_blank", "invalid_records_have_a_reason", "invalid_reason_in_set",
        "records_valid_share", "phone_valid_share",
    }
    reasonless = _failure(suite, "invalid_records_have_a_reason")
    assert reasonless["examples"] == [
        {"source": "chat/a.csv", "source_row": 6, "is_valid": False, "invalid_reason": None}
    ]
    assert _failure(suite, "invalid_reason_in_set")["unexpected_count"] == 1


def test_every_reason_the_sql_gives_is_in_the_known_set(tmp_path, sql_root, suites):
    """Each phone problem with each ID problem: 16 distinct reasons, all accepted by the suite."""
    phones = [None, "1381234567a", "12345", "12812345678"]
    ids = [None, "123", "11010519491231002A", WRONG_CHECK_ID]
    records = [("chat/all.csv", row, "某", p, i, None) for row, (p, i) in enumerate(product(phones, ids), start=2)]
    build_records(tmp_path / "case.duckdb", sql_root, records)
    suite = validate_database(tmp_path / "case.duckdb", tmp_path / "validation", suites)["suites"]["info_records"]
    assert len(suite["details"]["by_reason"]) == 16
    checks = {f["check"] for f in suite["failures"]}
    assert checks == {"records_valid_share", "phone_valid_share", "id_valid_share"}  # nothing valid at all


def test_case_without_records_skips_the_suite(tmp_path, sql_root, suites):
    build_records(tmp_path / "case.duckdb", sql_root, [])
    summary = validate_database(tmp_path / "case.duckdb", tmp_path / "validation", suites)
    suite = summary["suites"]["info_records"]
    assert (suite["status"], suite["rows"], suite["evaluated"]) == ("skipped", 0, 0)
    assert "info_records has no rows" in suite["reason"]
    assert "details" not in suite and summary["success"] is True
    page = (tmp_path / "validation" / "info_records.html").read_text(encoding="utf-8")
    assert "skipped" in page and "Why records were excluded" not in page


def test_unknown_details_name_is_a_suite_error(tmp_path, sql_root):
    build_records(tmp_path / "case.duckdb", sql_root, RECORDS[:1])
    folder = tmp_path / "suites"
    folder.mkdir()
    suite = json.loads((REPO / "expectations" / "info_records.json").read_text(encoding="utf-8"))
    suite["meta"]["details"] = "horoscope"
    (folder / "info_records.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"info_records\.json: meta\.details = 'horoscope' is not one of record_exclusions"):
        validate_database(tmp_path / "case.duckdb", tmp_path / "validation", folder)
