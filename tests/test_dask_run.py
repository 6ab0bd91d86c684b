"""The flow on a local Dask cluster of two worker processes gives the plain run's outputs, byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fundtrail.generate import generate_fraud
from fundtrail.ingest import batch

pytestmark = pytest.mark.slow


def csv_digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


def test_two_dask_workers_give_byte_identical_csvs_to_a_plain_run(prefect_harness, tmp_path, monkeypatch):
    from flows.case_flow import reconcile, task_runner
    from fundtrail.pipeline import run_case

    case = generate_fraud(tmp_path / "case", scale=0.05, seed=3, files_per_account=True)
    replies = sorted((case / "bank" / "returns").glob("*.csv"))
    # Small batches, so the replies are spread over several batches and both workers.
    monkeypatch.setattr(batch, "BATCH_BYTES", sum(p.stat().st_size for p in replies) // 6)
    plain = tmp_path / "plain"
    run_case(case, plain)
    on_dask = tmp_path / "dask"
    reconcile.with_options(task_runner=task_runner(workers=2))(str(case), str(on_dask))
    digests = csv_digests(plain)
    assert {"defendants.csv", "victims.csv", "entries.csv", "payments.csv", "quarantine.csv"} <= set(digests)
    assert csv_digests(on_dask) == digests
