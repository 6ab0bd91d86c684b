"""The hand-made tracing fixture (data/fixture-trace): tracing's tables equal its expected.json.

The figures were worked out by hand from the rules alone (EXPECTED.md), independently of the
code; here the pipeline steps up to the marts run on the fixture folder, then build_tracing.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from fundtrail import pipeline, trace
from fundtrail.config import load_case

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture-trace"


@pytest.fixture(scope="module")
def traced_fixture(tmp_path_factory):
    case = load_case(FIXTURE)
    paths = pipeline.start_run(tmp_path_factory.mktemp("trace") / "out")
    planned = pipeline.plan_inputs(case)
    stats = [pipeline.ingest_file(case, p, paths) for p in planned]
    pipeline.load_database(case, planned, stats, paths)
    pipeline.check_roster(case, paths)
    pipeline.build_transfers(case, paths)
    pipeline.match_entries(case, paths)
    pipeline.build_marts(case, paths)
    con = duckdb.connect(str(paths.db))
    con.execute("SET TimeZone = 'UTC'")
    trace.build_tracing(con, case)
    yield con
    con.close()


EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_fixture_table_equals_the_hand_calculation(traced_fixture, table):
    expected_rows = EXPECTED[table]
    assert expected_rows, table
    columns = list(expected_rows[0])
    expected = sorted(tuple(None if r[c] is None else str(r[c]) for c in columns) for r in expected_rows)
    quoted = ", ".join(f'"{c}"' for c in columns)
    found = sorted(
        tuple(None if v is None else str(v) for v in row)
        for row in traced_fixture.execute(f"select {quoted} from {table}").fetchall()
    )
    assert found == expected
