"""End to end: the pipeline reproduces, exactly, the truth the generator planted.

Slow: each case is generated and run through fundtrail.pipeline.run_case
(no Prefect). Compares every defendant's and victim's figures in the
published CSVs (UTF-8 with BOM, outputs.md) with truth.json, every fifo end
point with truth_endpoints_fifo.csv, and each frozen account's recoveries
with its frozen amount.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fundtrail.generate import generate_fraud, generate_info

pytestmark = pytest.mark.slow

DEFENDANT_FIELDS = ["own", "own_unvalidated", "unit", "gang", "liable", "liable_basis", "tier"]
VICTIM_FIELDS = ["paid", "returned", "net_loss", "validated", "unattributed"]
INFO_FIELDS = [
    "records_passed", "records_valid", "records_unique", "records_corroborated",
    "received", "paid_upstream", "net_gain", "tier",
]


def published(out_dir: Path, table: str) -> dict[str, dict[str, str]]:
    path = out_dir / f"{table}.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), f"{path} has no BOM"
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
    frame = frame.rename({frame.columns[0]: frame.columns[0].lstrip("\ufeff")})
    key = frame.columns[0]
    return {row[key]: {k: (v or "") for k, v in row.items() if k != key} for row in frame.iter_rows(named=True)}


def differences(truth: dict[str, dict], got: dict[str, dict[str, str]], fields: list[str]) -> list[str]:
    problems = [f"missing {k}" for k in sorted(set(truth) - set(got))]
    problems += [f"unexpected {k}" for k in sorted(set(got) - set(truth))]
    for key in sorted(set(truth) & set(got)):
        for field in fields:
            if str(truth[key][field]) != got[key][field]:
                problems.append(f"{key}.{field}: truth {truth[key][field]} pipeline {got[key][field]}")
    return problems


def fifo_differences(case: Path, out: Path) -> list[str]:
    """The pipeline's fifo end points against the answer key's (truth_endpoints_fifo.csv), row for row."""
    def rows(path: Path) -> dict[tuple[str, str, str], str]:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        frame = frame.rename({frame.columns[0]: frame.columns[0].lstrip("\ufeff")}).filter(pl.col("method") == "fifo")
        return {(a, k, o): amount for a, k, o, amount in frame.select("account_no", "kind", "origin", "amount").iter_rows()}

    truth, got = rows(case / "truth_endpoints_fifo.csv"), rows(out / "endpoints.csv")
    return [f"fifo {key}: truth {truth.get(key)} pipeline {got.get(key)}" for key in sorted(set(truth) | set(got))
            if truth.get(key) != got.get(key)]


def recovery_differences(case: Path, out: Path) -> list[str]:
    """Each frozen account's recoveries add up to its frozen amount (truth.json) under both allocations."""
    frozen = json.loads((case / "truth.json").read_text(encoding="utf-8"))["tracing"]["frozen"]
    recoveries = pl.read_csv(out / "recoveries.csv", infer_schema=False, encoding="utf8")
    recoveries = recoveries.rename({recoveries.columns[0]: recoveries.columns[0].lstrip("\ufeff")})
    sums = recoveries.group_by("account_no").agg(
        pl.col("traced").cast(pl.Decimal(18, 2)).sum(), pl.col("pro_rata").cast(pl.Decimal(18, 2)).sum()
    )
    found = {a: (str(t), str(p)) for a, t, p in sums.iter_rows()}
    return [f"recoveries {a}: frozen {amount}, allotted {found.get(a)}" for a, amount in sorted(frozen.items())
            if found.get(a) != (amount, amount)]


def fraud_problems(case: Path, out: Path) -> list[str]:
    """Every way the published outputs differ from the fraud case's answer key."""
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    problems = differences(truth["defendants"], published(out, "defendants"), DEFENDANT_FIELDS)
    problems += differences(truth["victims"], published(out, "victims"), VICTIM_FIELDS)
    problems += fifo_differences(case, out) + recovery_differences(case, out)
    quarantined = pl.read_csv(out / "quarantine.csv", infer_schema=False).height
    if quarantined != truth["totals"]["quarantined_rows"]:
        problems.append(f"quarantined rows: truth {truth['totals']['quarantined_rows']} pipeline {quarantined}")
    return problems


def run(case: Path, out: Path) -> Path:
    from fundtrail.pipeline import run_case

    run_case(case, out)
    return out


@pytest.mark.parametrize(
    ("scale", "seed"), [(0.1, 729), (0.1, 1), (0.1, 2024), (1.0, 729)], ids=["0.1-729", "0.1-1", "0.1-2024", "1-729"]
)
def test_pipeline_reproduces_fraud_truth(tmp_path, scale, seed):
    case = generate_fraud(tmp_path / "case", scale=scale, seed=seed)
    out = run(case, tmp_path / "out")
    problems = fraud_problems(case, out)
    assert not problems, "\n".join(problems[:40])


def test_pipeline_reproduces_fraud_truth_from_one_file_per_account_and_month(tmp_path):
    case = generate_fraud(tmp_path / "case", scale=0.1, seed=729, files_per_account=True)
    assert len(list((case / "bank" / "returns").glob("*.csv"))) > 500
    out = run(case, tmp_path / "out")
    problems = fraud_problems(case, out)
    assert not problems, "\n".join(problems[:40])
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    # The overlapping second queries' shared days and the resent reply, row for row.
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["totals"]["duplicate_rows"] == truth["totals"]["duplicate_rows"]


@pytest.mark.parametrize("scale", [0.1, 1.0])
def test_pipeline_reproduces_info_truth(tmp_path, scale):
    case = generate_info(tmp_path / "case", scale=scale)
    out = run(case, tmp_path / "out")
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    problems = differences(truth["info_defendants"], published(out, "info_defendants"), INFO_FIELDS)
    assert not problems, "\n".join(problems)
