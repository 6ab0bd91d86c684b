"""The reconciliation run as a Prefect flow: one task per step of fundtrail.pipeline.

Tasks pass paths and small records, never connections (a DuckDB connection
cannot be hashed for a cache key, and each task opens the case database
itself). Ingest tasks run side by side on the task runner's threads.
"""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import progress
from fundtrail import pipeline
from fundtrail.config import CaseConfig, load_case


def _step(name: str, retries: int = 0):
    return task(
        name=name,
        cache_policy=NO_CACHE,
        retries=retries,
        retry_condition_fn=_only_io_errors,
        persist_result=False,
    )


def _only_io_errors(task, task_run, state) -> bool:
    """A flaky disk or network share is worth a second try; bad evidence is not."""
    error = state.result(raise_on_failure=False)
    return isinstance(error, OSError)


@_step("read case.toml")
def read_case(case_dir: str) -> CaseConfig:
    progress.stage("config")
    case = load_case(case_dir)
    pipeline.check_inputs(case)
    return case


@_step("plan inputs")
def plan_inputs(case: CaseConfig) -> list[pipeline.PlannedFile]:
    progress.stage("ingest")
    return pipeline.plan_inputs(case)


@_step("ingest file", retries=1)
def ingest_file(case: CaseConfig, planned: pipeline.PlannedFile, paths: pipeline.RunPaths):
    return pipeline.ingest_file(case, planned, paths)


@_step("load DuckDB")
def load_database(case, planned, stats, paths) -> None:
    progress.stage("load")
    pipeline.load_database(case, planned, stats, paths)
    pipeline.check_roster(case, paths)


@_step("transfers")
def build_transfers(case, paths) -> None:
    progress.stage("transfers")
    pipeline.build_transfers(case, paths)


@_step("match entries")
def match_entries(case, paths) -> None:
    progress.stage("match")
    pipeline.match_entries(case, paths)


@_step("marts")
def build_marts(case, paths) -> None:
    progress.stage("marts")
    pipeline.build_marts(case, paths)
    pipeline.check_invariants(case, paths)


@_step("tracing")
def build_tracing(case, paths) -> None:
    progress.stage("tracing")
    pipeline.build_tracing(case, paths)


@_step("validate")
def validate(case, paths) -> dict:
    progress.stage("validate")
    return pipeline.validate(case, paths)


@_step("publish")
def publish(case, paths, validation, started, lang, unmask) -> dict:
    progress.stage("publish")
    summary = pipeline.publish(case, paths, validation, started, lang=lang, unmask=unmask)
    pipeline.finish_run(paths)
    return summary


@flow(name="fundtrail-reconcile", log_prints=False, persist_result=False)
def reconcile(case_dir: str, out_dir: str, lang: str = "zh", unmask: bool = False) -> dict:
    started = datetime.now(timezone.utc)
    case = read_case(case_dir)
    pipeline.check_output(case, out_dir)
    paths = pipeline.start_run(out_dir)
    try:
        planned = plan_inputs(case)
        stats = [f.result() for f in [ingest_file.submit(case, p, paths) for p in planned]]
        load_database(case, planned, stats, paths)
        build_transfers(case, paths)
        match_entries(case, paths)
        build_marts(case, paths)
        build_tracing(case, paths)
        validation = validate(case, paths)
        return publish(case, paths, validation, started, lang, unmask)
    except BaseException:
        pipeline.abandon_run(paths)
        raise
