"""Reruns as returns arrive (issue 12): only new files are parsed, the outputs are those of a cold run."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from fundtrail import pipeline
from fundtrail.config import load_case
from fundtrail.generate import generate_fraud
from fundtrail.ingest import batch
from fundtrail.ingest import cache as ingest_cache
from fundtrail.ingest.counts import FileStats
from fundtrail.reports.mask import digit_runs_expr, mask_one


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in {".csv", ".parquet"}}


def ingest_of(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {i["path"]: i["ingest"] for i in manifest["inputs"] if "ingest" in i}


def test_a_rerun_parses_only_the_new_file_and_writes_what_a_cold_run_writes(tmp_path, monkeypatch):
    case_dir = generate_fraud(tmp_path / "case", scale=0.03, seed=3, files_per_account=True)
    replies = sorted((case_dir / "bank" / "returns").glob("*.csv"))
    # Small batches, so the replies are spread over several of them.
    monkeypatch.setattr(batch, "BATCH_BYTES", sum(p.stat().st_size for p in replies) // 6)
    arriving = replies[len(replies) // 2]
    held_back = tmp_path / arriving.name
    arriving.rename(held_back)

    out = tmp_path / "out"
    pipeline.run_case(case_dir, out)
    first = ingest_of(out)
    assert set(first.values()) == {"parsed"}
    cache = tmp_path / ".out.cache"
    entries_before = {p.name for p in cache.iterdir()}
    assert len(entries_before) >= 6
    earlier = tmp_path / "cold"
    shutil.copytree(out, earlier)  # the same earlier output, without a cache beside it

    held_back.rename(arriving)
    rel = mask_one(digit_runs_expr, arriving.relative_to(case_dir).as_posix())  # as manifest.json shows paths
    headers_read = []
    real_read = batch.read_header_texts
    monkeypatch.setattr(batch, "read_header_texts", lambda path, rel_path, layout, data: headers_read.append(rel_path)
                        or real_read(path, rel_path, layout, data))
    summary = pipeline.run_case(case_dir, out)
    monkeypatch.setattr(batch, "read_header_texts", real_read)

    # A cached file's header passed when it was parsed: only the new file's is checked.
    assert headers_read == [arriving.relative_to(case_dir).as_posix()]

    rerun = ingest_of(out)
    assert [path for path, how in rerun.items() if how == "parsed"] == [rel]
    assert {path for path, how in rerun.items() if how == "cache"} == set(first)
    assert summary["ingest"] == {"parsed": 1, "from_cache": len(first)}
    entries_after = {p.name for p in cache.iterdir()}
    assert entries_before < entries_after and len(entries_after - entries_before) == 1  # one new batch, none lost

    pipeline.run_case(case_dir, earlier)
    assert set(ingest_of(earlier).values()) == {"parsed"}
    assert outputs(out) == outputs(earlier)  # every table, changes included, byte for byte
    assert b"bank/returns/" in outputs(out)["changes.csv"]  # the file that arrived is listed

    # What the next run could reuse: every entry, as they stand ...
    case = load_case(case_dir)
    planned = pipeline.plan_inputs(case)
    readers = [(p.source_index, p.path, p.sha256) for p in planned if p.duplicate_of is None]
    cached = ingest_cache.reusable(cache, case, readers)
    assert {b.key for b in cached} == entries_after
    assert pipeline.plan_batches(case, planned, tuple(cached)) == []
    # ... a reply removed: the other files of its batch are parsed again, every other batch is kept ...
    gone = next(b for b in cached if len(b.files) > 1 and b.files[0][0].startswith("bank/returns/"))
    removed = gone.files[0][0]
    without = [r for r in readers if r[1] != removed]
    kept = ingest_cache.reusable(cache, case, without)
    assert {b.key for b in kept} == entries_after - {gone.key}
    smaller = [p for p in planned if p.path != removed]
    assert [f.path for b in pipeline.plan_batches(case, smaller, tuple(kept)) for f in b.files] == [
        path for path, _ in gone.files[1:]
    ]
    # ... the replies' source read another way: none of its batches, the other sources' all.
    source = case.sources[gone.source_index - 1]
    changed = replace(case, sources=tuple(replace(s, timezone="Asia/Bangkok") if s is source else s for s in case.sources))
    assert {b.source_index for b in ingest_cache.reusable(cache, changed, readers)} == (
        {b.source_index for b in cached} - {source.index}
    )
    # An entry whose record is damaged is not read (and the next run parses its files again).
    (cache / gone.key / ingest_cache.STATS_FILE).write_text("{", encoding="utf-8")
    assert gone.key not in {b.key for b in ingest_cache.reusable(cache, case, readers)}


def test_the_cache_keeps_every_stat_exactly_and_leaves_nothing_half_written(tmp_path):
    stats = FileStats(
        path="a.csv", sha256="ab", kind="bank_statement", source_index=2, rows_read=3, rows_loaded=2,
        rows_quarantined=1, amount_in=Decimal("1.50"), amount_out=Decimal("0.00"),
        amount_quarantined=Decimal("7.25"), placeholder_cells=1,
        stated_summary={"count": 3, "in_amount": Decimal("1.50"),
                        "period_start": datetime(2024, 3, 1, 16, tzinfo=timezone.utc)},
    )

    def parse(work: Path, final: Path) -> list:
        for sub in ("landing/bank_statement", "quarantine", "normalised"):
            (work / sub).mkdir(parents=True)
            (work / sub / "k.parquet").write_bytes(b"PAR1")
        return [replace(stats, landing_path=final / "landing/bank_statement/k.parquet",
                        quarantine_path=final / "quarantine/k.parquet")]

    folder = tmp_path / "cache"
    [stored] = ingest_cache.store(folder, "k", 2, (("a.csv", "ab"),), parse)
    assert stored.landing_path == folder / "k" / "landing/bank_statement/k.parquet"
    [entry] = ingest_cache._entries(folder)
    assert entry.stats == (stored,) and entry.files == (("a.csv", "ab"),)
    # The record names its fields once; one written with other fields (an older FileStats) is not read.
    record = json.loads((folder / "k" / ingest_cache.STATS_FILE).read_text(encoding="utf-8"))
    assert record["fields"][:3] == ["path", "sha256", "kind"]
    assert record["stats"][0][:3] == ["a.csv", "ab", "bank_statement"]
    kept = (folder / "k" / ingest_cache.STATS_FILE).read_text(encoding="utf-8")
    record["fields"] = record["fields"][:-1]
    (folder / "k" / ingest_cache.STATS_FILE).write_text(json.dumps(record), encoding="utf-8")
    assert ingest_cache._entries(folder) == []
    (folder / "k" / ingest_cache.STATS_FILE).write_text(kept, encoding="utf-8")

    def fails(work: Path, final: Path) -> list:
        (work / "half.parquet").write_bytes(b"PAR")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        ingest_cache.store(folder, "k2", 2, (("b.csv", "cd"),), fails)
    assert sorted(p.name for p in folder.iterdir()) == ["k"]
    ingest_cache.prune(folder, set())
    assert list(folder.iterdir()) == []
