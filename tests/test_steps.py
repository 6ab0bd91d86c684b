"""One orchestration (issue 14): the run's steps declared once, checked once, paths passed on. No Prefect here."""

from __future__ import annotations

import threading
import time

import duckdb
import polars as pl
import pytest

from conftest import REPO
from fundtrail import pipeline
from fundtrail.ingest import batch

FIXTURE = REPO / "data" / "fixture-fraud"


def test_stages_are_the_steps_stages_in_order_after_the_check():
    assert pipeline.STAGES == (
        "check", "ingest", "load", "transfers", "match", "marts", "validate", "tracing", "publish"
    )
    names = [step.name for step in pipeline.STEPS]
    assert len(set(names)) == len(names)
    assert names[0] == "ingest batch" and names[-1] == "finish"
    assert isinstance(pipeline.STEPS[0], pipeline.Parts)


def test_a_run_walks_every_step_once_in_order_and_reads_case_toml_and_headers_once(tmp_path, monkeypatch):
    loads, header_checks = [], []
    real_load, real_check = pipeline.load_case, batch.check_source
    monkeypatch.setattr(pipeline, "load_case", lambda case_dir: loads.append(case_dir) or real_load(case_dir))
    monkeypatch.setattr(
        batch, "check_source",
        lambda case, source, skip, contents: header_checks.append(source.index) or real_check(case, source, skip, contents),
    )
    performed, stages = [], []

    def perform(step, run):
        performed.append(step.name)
        return step.do(run)

    run = pipeline.prepare(FIXTURE, tmp_path / "out")
    finished = pipeline.execute(run, perform, stages.append)

    in_order = [step.name for step in pipeline.STEPS if not isinstance(step, pipeline.Beside)]
    assert [name for name in performed if name in in_order] == in_order
    assert sorted(performed) == sorted(step.name for step in pipeline.STEPS)
    assert stages == list(pipeline.STAGES[1:])
    assert len(loads) == 1
    assert header_checks == [source.index for source in run.case.sources]  # each source's headers, once
    assert finished.summary["totals"]["validated_amount"] == 522800  # EXPECTED.md step 4
    assert (tmp_path / "out" / "defendants.csv").is_file()
    assert not run.paths.staging_dir.exists()


def test_prepare_checks_each_csv_header_from_the_bytes_it_hashed(tmp_path, monkeypatch):
    """Each CSV is opened once before the run: its header is read from the bytes its SHA-256 was taken of."""
    given = {}
    real_read = batch.read_header_texts
    monkeypatch.setattr(batch, "read_header_texts", lambda path, rel_path, layout, data: given.setdefault(rel_path, data)
                        and real_read(path, rel_path, layout, data))
    run = pipeline.prepare(FIXTURE, tmp_path / "out")
    pipeline.abandon_run(run.paths)

    csv_files = [p.path for p in run.planned if p.path.endswith(".csv") and p.duplicate_of is None]
    assert len(csv_files) >= 5 and set(csv_files) <= set(given)
    assert all(given[path] == (FIXTURE / path).read_bytes() for path in csv_files)


def test_validation_preload_starts_after_ingest_in_a_case_of_many_batches_before_it_in_a_small_one(monkeypatch, tmp_path):
    """GX's import (pure Python) on a thread beside ingest took the GIL from ingest's own Python half;
    in a case of one batch the steps before validation are shorter than the import."""
    performed, preloaded_after = [], []
    monkeypatch.setattr(pipeline, "preload_validation", lambda: preloaded_after.append(list(performed)))

    def perform(step, run):
        performed.append(step.name)
        return run

    def run_of(sizes):
        planned = tuple(pipeline.PlannedFile(1, "bank_statement", f"f{i}.csv", f"h{i}", i + 1, None, size)
                        for i, size in enumerate(sizes))
        return pipeline.Run("id", None, pipeline.RunPaths(tmp_path / "out", tmp_path / "staging"), None, planned)

    two_batches = [batch.BATCH_BYTES // 2 + 1] * 2
    pipeline.execute(run_of(two_batches), perform)
    assert preloaded_after == [["ingest batch"]]
    preloaded_after.clear()
    performed.clear()
    pipeline.execute(run_of(two_batches), perform, through="check invariants")  # no validation, no import
    assert preloaded_after == []
    performed.clear()
    pipeline.execute(run_of([batch.BATCH_BYTES // 2] * 2), perform)
    assert preloaded_after == [[]]


def test_execute_through_a_step_leaves_its_database_and_a_failure_leaves_nothing(tmp_path):
    run = pipeline.execute(pipeline.prepare(FIXTURE, tmp_path / "out"), through="check invariants")
    with duckdb.connect(str(run.paths.db), read_only=True) as con:
        assert con.execute("select count(*) from defendants").fetchall() == [(8,)]
    assert not (tmp_path / "out").exists()
    pipeline.abandon_run(run.paths)

    def fail_at_tracing(step, run):
        if step.name == "traces":  # a step beside others: its failure is the run's
            raise OSError(28, "No space left on device")
        return step.do(run)

    run = pipeline.prepare(FIXTURE, tmp_path / "out")
    with pytest.raises(OSError, match="No space left"):
        pipeline.execute(run, fail_at_tracing)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.cache"]  # no staging folder, no lock file: the batches stay
    with pytest.raises(ValueError, match="no step named 'publsh'"):
        pipeline.execute(run, through="publsh")


def test_a_step_beside_runs_while_the_steps_after_it_do_and_the_step_it_names_waits_for_it(tmp_path):
    """The traces are followed beside matching and the marts; leads and recoveries need them."""
    beside = next(step for step in pipeline.STEPS if isinstance(step, pipeline.Beside))
    between = [step.name for step in pipeline.STEPS[pipeline.STEPS.index(beside) + 1:]]
    between = between[: between.index(beside.until)]
    seen_beside, done = [], threading.Event()

    def perform(step, run):
        if step.name == beside.name:
            # Only finishes once every step between has run: without a thread of its own it never would.
            assert done.wait(timeout=30), "the steps between never ran beside it"
            seen_beside.append(step.name)
        elif step.name == between[-1]:
            done.set()
        elif step.name == beside.until:
            seen_beside.append(step.name)
        return run

    pipeline.execute(_bare_run(tmp_path), perform, through=beside.until)
    assert between == ["match entries", "marts", "check invariants", "validate"]
    assert seen_beside == [beside.name, beside.until]


def test_a_run_stopped_before_the_step_a_step_beside_waits_for_still_waits_for_it(tmp_path):
    finished = []

    def perform(step, run):
        if isinstance(step, pipeline.Beside):
            time.sleep(0.2)
            finished.append(step.name)
        return run

    pipeline.execute(_bare_run(tmp_path), perform, through="match entries")
    assert finished == ["traces"]


def _bare_run(tmp_path) -> pipeline.Run:
    """A Run of no files whose steps do nothing; a failure removes only its (temporary) staging folder."""
    return pipeline.Run("id", None, pipeline.RunPaths(tmp_path / "out", tmp_path / "staging"), None, ())


def test_load_reads_the_parquet_the_batches_named_never_a_glob_of_their_folders(tmp_path):
    """A stray Parquet where a batch wrote (left by anything) must not reach the case database."""
    stray = {"source": ["stray.csv"], "source_row": [2], "column": ["account_no"], "value": ["x"],
             "normalised": ["y"], "reason": ["full-width digits"]}

    def perform(step, run):
        run = step.do(run)
        if step.name == "ingest batch":  # beside the first batch's own normalised cells
            folder = pipeline._normalised_path(next(s for s in run.stats if s is not None).quarantine_path).parent
            pl.DataFrame(stray, schema=pipeline.ingest.cells.NORMALISED_SCHEMA).write_parquet(folder / "stray.parquet")
        return run

    run = pipeline.execute(pipeline.prepare(FIXTURE, tmp_path / "out"), perform, through="load DuckDB")
    with duckdb.connect(str(run.paths.db), read_only=True) as con:
        rows = con.execute("select count(*) from normalised").fetchall()
    pipeline.abandon_run(run.paths)
    assert rows == [(0,)]  # the fixture's own cells need no normalising (its normalised.csv is a header)
