"""The hand-made tracing fixture (data/fixture-trace): the published tables equal its expected.json.

The figures were worked out by hand from the rules alone (EXPECTED.md), independently of the
code; here the whole plain run writes the fixture's outputs and the CSV files are compared.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from fundtrail.pipeline import run_case

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture-trace"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("trace") / "out"
    summary = run_case(FIXTURE, out)
    return out, summary


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_fixture_table_equals_the_hand_calculation(fixture_run, table):
    out, _ = fixture_run
    expected_rows = EXPECTED[table]
    assert expected_rows, table
    columns = list(expected_rows[0])
    expected = sorted(tuple("" if r[c] is None else str(r[c]) for c in columns) for r in expected_rows)
    found = sorted(tuple(row[c] for c in columns) for row in _csv_rows(out / f"{table}.csv"))
    assert found == expected


def test_layer_statements_are_warned_about_in_manifest_and_report(fixture_run):
    """outputs.md: a loaded statement whose account is neither a gang nor a victim's account is a warning."""
    out, summary = fixture_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    layers = [w for w in manifest["warnings"] if w["code"] == "unexplained_statement"]
    # L1-L4 and the mule account X have statements and are in neither gang_accounts nor victims.
    # The run's language is Chinese by default: "<file>：账户 … 的流水".
    assert [w["message"].split("：")[0] for w in layers] == [
        "bank/layer_l1.csv",
        "bank/layer_l2.csv",
        "bank/layer_l3.csv",
        "bank/layer_l4.csv",
        "bank/mule_x.csv",
    ]
    assert summary["warnings"] == manifest["warnings"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "bank/mule_x.csv：账户" in html


def test_every_expectation_suite_passes_on_the_tracing_fixture(fixture_run):
    """The frozen kind is a kind like the others: file controls tie out for frozen.csv too."""
    _, summary = fixture_run
    assert [v["suite"] for v in summary["validation"] if v.get("success") is False] == []
