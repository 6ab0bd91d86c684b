"""Issue 9 item 2: no value reaches SQL spliced into its text.

Every f-string in src/ and flows/ that builds SQL (it is passed to
execute/sql, or its text reads as SQL) may interpolate only the generated
identifiers and constants listed in GENERATED. A path, a time zone or any
other value must go as a parameter (``?``). A new interpolation fails this
test until it is turned into a parameter or, if it truly is an identifier the
code generated, added here with the reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from fundtrail import pipeline
from fundtrail.config import load_case

REPO = Path(__file__).resolve().parents[1]
SQL_TEXT = re.compile(
    r"(?is)^\s*(?:(?:select|with|copy|create|insert|update|delete|drop|attach|pragma)\b|set\s+\w+\s*=|set variable\b)"
    r"|\bselect\b.+\bfrom\b|\bcopy\b.+\bto\b"
)
SQL_CALLS = {"execute", "executemany", "sql", "query"}
# Interpolations that are identifiers or SQL fragments the code built itself, never input values.
GENERATED = {
    "table",  # a table name from the code's own lists (OUTPUT_TABLES, suite names from expectations/)
    "name",  # a landing/variable name from KINDS or the parameter dict's keys
    "first", "order", "formatted", "inner",  # publish.write_table: column names from information_schema, quoted
    "t",  # publish.frames: table names from the caller's literal list
    "TABLE", "CASE_TZ", "known", "per_kind", "kind_order", "kind",  # validate/integrity.py: constants
    "REASON",  # validate/records.py: a constant expression
    "query",  # validate: GX's own query for failing rows, or the suite's unexpected_rows_query
    "INTEGRITY_SHOWN", "MAX_LISTED_ROWS", "EXAMPLE_ROWS", "DRILL_ENTRIES",  # integer constants
    "ACCOUNTS_SHOWN", "FINDINGS_SHOWN", "EXAMPLES_PER_REASON",
    "minutes", "col",  # publish._text: quoted column names
    "loaded",  # review.py: a union of landing tables named from KINDS
    "amount",  # review.py: a money column named in kinds.py, or a typed null
    "is_in", "is_out",  # review.py: fixed conditions on a statement's sign
    "columns", "types",  # staging.py: staged column names and their types, from kinds.toml
    "signed", "money", "union",  # staging.staged_money_sql: true/false, a kind's money column cast, its selects
}


def interpolations(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, interpolated expression) for every interpolation in an f-string that builds SQL."""
    passed = {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS
        for arg in node.args[:1]
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        if id(node) not in passed and not SQL_TEXT.search(text):
            continue
        found += [(node.lineno, ast.unparse(v.value)) for v in node.values if isinstance(v, ast.FormattedValue)]
    return found


def sql_fstrings() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted([*(REPO / "src").rglob("*.py"), *(REPO / "flows").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [(str(path.relative_to(REPO)), line, expr) for line, expr in interpolations(tree)]
    return found


def test_sql_fstrings_interpolate_only_generated_identifiers() -> None:
    found = sql_fstrings()
    assert found, "the scan found no SQL f-string at all: the scanner is broken"
    spliced = [f"{file}:{line}: {{{expr}}}" for file, line, expr in found if expr not in GENERATED]
    assert spliced == []


def test_the_scan_catches_a_spliced_path(tmp_path: Path) -> None:
    """The checker itself: the form main had (SET temp_directory = '{path}') is caught."""
    source = (
        "def f(con, paths, plain, tz):\n"
        "    con.execute(f\"SET temp_directory = '{paths.scratch}'\")\n"
        "    sql = f\"copy (select 1) to '{plain}' (header)\"\n"
        "    con.execute(sql)\n"
        "    con.execute(f\"SET TimeZone = '{tz}'\")\n"
        "    message = f\"set encoding in source {tz}\"\n"
    )
    assert sorted(interpolations(ast.parse(source))) == [(2, "paths.scratch"), (3, "plain"), (5, "tz")]


@pytest.mark.parametrize("evil", ["x'; copy (select 1) to '{pwned}'; set temp_directory = 'z", "o'ut"])
def test_an_out_dir_with_quotes_is_a_path_not_sql(tmp_path: Path, evil: str) -> None:
    """The repro of the issue: the quote-laden OUT_DIR is just a folder name."""
    pwned = tmp_path / "pwned.csv"
    out = tmp_path / evil.format(pwned=pwned).replace("/", "_")
    case = load_case(REPO / "data" / "fixture-fraud")
    paths = pipeline.start_run(out)
    try:
        with pipeline._connect(case, paths) as con:
            [(temp,)] = con.execute("select current_setting('temp_directory')").fetchall()
            from fundtrail import publish

            con.execute("create table victims as select 'V1' as victim_id")
            con.execute("SET TimeZone = ?", [case.timezone])
            publish.write_table(con, "victims", paths.staging_dir)
    finally:
        pipeline.abandon_run(paths)
    assert temp == str(paths.scratch / "duckdb_tmp")
    assert not pwned.exists()


def test_a_time_zone_reaches_duckdb_as_a_value() -> None:
    con = duckdb.connect()
    with pytest.raises(duckdb.Error):
        con.execute("SET TimeZone = ?", ["UTC'; select 1; --"])
