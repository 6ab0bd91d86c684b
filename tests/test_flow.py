"""The Prefect flow end to end on the hand-made fixture (figures checked in test_fixture_case.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import REPO

FIXTURE = REPO / "data" / "fixture-fraud"

pytestmark = pytest.mark.slow


def earlier_output(out: Path) -> None:
    """What a previous run left: a run only replaces a folder holding its manifest (docs/safety.md)."""
    out.mkdir()
    manifest = {"case_id": "earlier", "code_version": "0", "case_toml": {}, "inputs": []}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def task_run_names(flow_run_id) -> list[str]:
    """The task runs Prefect recorded for one flow run, by task name, in the order they started."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return [r.name.rsplit("-", 1)[0] for r in sorted(runs, key=lambda r: (r.start_time, r.name))]


def test_flow_runs_the_pipeline_steps_as_tasks_and_replaces_outputs_whole(prefect_harness, tmp_path, monkeypatch):
    """The CLI's way: the case checked before Prefect starts, then one task per step and per ingest batch."""
    from prefect.client.orchestration import get_client

    from flows.case_flow import run_prepared
    from fundtrail import pipeline
    from fundtrail.ingest import batch

    monkeypatch.setattr(batch, "BATCH_BYTES", 512)  # the fixture's statements in several batches
    out = tmp_path / "out"
    earlier_output(out)
    (out / "stale.csv").write_text("from an earlier run", encoding="utf-8")
    run = pipeline.prepare(FIXTURE, out)
    batches = pipeline.plan_batches(run.case, list(run.planned))
    assert len(batches) > len(run.case.sources)

    summary = run_prepared(run)

    assert not (out / "stale.csv").exists()
    assert summary["totals"]["validated_amount"] == pytest.approx(522800)  # EXPECTED.md step 4
    defendants = {row["defendant_id"]: row for row in read_csv(out / "defendants.csv")}
    assert defendants["P05"]["liable"] == "489000.00"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["case_id"] == "fixture-fraud"
    assert all(i["rows_read"] == i["rows_loaded"] + i["rows_quarantined"] + i["rows_duplicate"] for i in manifest["inputs"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".out.cache"]  # no staging, no lock

    with get_client(sync_client=True) as client:
        [flow_run] = client.read_flow_runs(limit=1, sort="START_TIME_DESC")
    assert flow_run.parameters["prepared"] == run.run_id  # a short id, not the plan
    names = task_run_names(flow_run.id)
    ingest = [step.name for step in pipeline.STEPS if isinstance(step, pipeline.Parts)]
    assert ingest == ["ingest batch"]
    in_order = [step.name for step in pipeline.STEPS[1:] if not isinstance(step, pipeline.Beside)]
    assert [name for name in names if name in in_order or name == "ingest batch"] == ["ingest batch"] * len(batches) + in_order
    # The traces start once the transfers are made, beside the steps up to the one that waits for them.
    assert names.count("traces") == 1
    assert names.index("transfers") < names.index("traces") < names.index(pipeline.LEADS_STEP)


def test_failed_run_leaves_previous_outputs_whole(prefect_harness, tmp_path):
    from flows.case_flow import reconcile
    from fundtrail.errors import RosterError

    case = tmp_path / "case"
    case.mkdir()
    (case / "roster.csv").write_text(
        "defendant_id,name,role,unit_id,member_code,valid_from,valid_to\n"
        "D1,甲,staff,T1,K7,2023-01-01,2023-06-01\n"
        "D2,乙,staff,T1,K7,2023-06-01,\n",
        encoding="utf-8",
    )
    (case / "case.toml").write_text(
        '[case]\nid = "clash"\n[[source]]\nkind = "roster"\npath = "roster.csv"\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    earlier_output(out)
    (out / "defendants.csv").write_text("previous", encoding="utf-8")

    with pytest.raises(RosterError, match=r"roster.csv:2 / roster.csv:3: code K7 held by D1 and D2 on 2023-06-01"):
        reconcile(str(case), str(out))

    assert (out / "defendants.csv").read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".out.cache"]  # parsed batches stay


def test_demo_generates_reconciles_and_summarises_both_cases(prefect_harness, tmp_path, capsys):
    from flows.cli import main

    assert main(["demo", "--lang", "en", "--out", str(tmp_path / "demo"), "--scale", "0.05"]) == 0

    printed = capsys.readouterr().out
    assert "729-fraud" in printed and "maternity-info" in printed
    assert "defendants by tier:" in printed
    assert "unique valid records" in printed
    for case in ("fraud", "info"):
        out = tmp_path / "demo" / "results" / case
        assert (out / "report.html").is_file() and (out / "validation" / "index.html").is_file()
