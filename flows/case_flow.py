"""The reconciliation run as a Prefect flow: one task per step of fundtrail.pipeline.

Tasks pass paths and small records, never connections (a DuckDB connection
cannot be hashed for a cache key, and each task opens the case database
itself). Ingest runs one task per batch of files (fundtrail.ingest.batch),
never one per file: a case of 80,000 files is a few dozen task runs. The
batches run side by side on the task runner: threads by default, or the
processes of a Dask cluster (``task_runner``); every other step runs in the
flow's own process, on DuckDB.
"""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

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
def read_case(case_dir: str, check_inputs: bool = True) -> CaseConfig:
    progress.stage("config")
    case = load_case(case_dir)
    if check_inputs:
        pipeline.check_inputs(case)
    return case


@_step("plan inputs")
def plan_inputs(case: CaseConfig) -> list[pipeline.PlannedFile]:
    progress.stage("ingest")
    return pipeline.plan_inputs(case)


@_step("ingest batch", retries=1)
def ingest_batch(case: CaseConfig, batch, paths: pipeline.RunPaths):
    return pipeline.ingest_batch(case, batch, paths)


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


def task_runner(dask_address: str | None = None, workers: int | None = None):
    """Where the ingest batches run: a Dask scheduler at ``dask_address``, a local cluster of
    ``workers`` processes, or (neither given) this process's threads."""
    if dask_address is None and workers is None:
        return ThreadPoolTaskRunner()
    from prefect_dask import DaskTaskRunner  # imports dask.distributed: only runs that use it pay

    if dask_address is not None:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None},
    )


@flow(name="fundtrail-reconcile", log_prints=False, persist_result=False)
def reconcile(
    case_dir: str, out_dir: str, lang: str = "zh", unmask: bool = False, inputs_checked: bool = False
) -> dict:
    """``inputs_checked``: the caller has run pipeline.check_inputs on this case already (the CLI
    does, before Prefect starts); reading every file's header twice costs seconds on 20,000 files."""
    started = datetime.now(timezone.utc)
    case = read_case(case_dir, check_inputs=not inputs_checked)
    pipeline.check_output(case, out_dir)
    paths = pipeline.start_run(out_dir)
    # Prefect walks every task argument looking for futures; a case of 20,000 files made that
    # walk (over the case's file lists, the plan and the stats) most of a run. quote() skips it.
    # quote() does not survive Dask's own walk over a task's arguments: batches get the small case.
    try:
        planned = plan_inputs(quote(case))
        settings = pipeline.settings_for_batches(case)
        futures = [ingest_batch.submit(settings, b, paths) for b in pipeline.plan_batches(case, planned)]
        stats = pipeline.file_stats(planned, [f.result() for f in futures])
        load_database(quote(case), quote(planned), quote(stats), paths)
        build_transfers(quote(case), paths)
        match_entries(quote(case), paths)
        build_marts(quote(case), paths)
        build_tracing(quote(case), paths)
        validation = validate(quote(case), paths)
        return publish(quote(case), paths, validation, started, lang, unmask)
    except BaseException:
        pipeline.abandon_run(paths)
        raise
