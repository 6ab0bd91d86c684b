"""The reconciliation run as a Prefect flow: ``fundtrail.pipeline.STEPS``, one task per step.

The steps, their order and their stages are declared once, in
fundtrail.pipeline; this module only says how Prefect runs them. Tasks pass
the Run (paths and small records), never connections: each step opens the
case database itself. A step of parts (the ingest batches) is one task per
part, never one per file: a case of 80,000 files is a few dozen task runs.
The parts run side by side on the task runner (threads by default, or the
processes of a Dask cluster, ``task_runner``); every other step runs in the
flow's own process, on DuckDB (a ``Beside`` step on a thread of its own, which
pipeline.execute starts).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

from prefect import flow, task
from prefect.context import FlowRunContext
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import progress
from flows.server import health_problem
from fundtrail import console, pipeline
from fundtrail.errors import RunEnvironmentError
from fundtrail.messages import Phrase

# Runs the CLI prepared before Prefect started, by id, handed to the flow in this process: Prefect
# records the flow's parameters on its server, and a prepared run holds every file of the case.
_prepared: dict[str, pipeline.Run] = {}


def _task(name: str, fn, retries: int = 0):
    return task(
        fn,
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


check_case = _task("check case", pipeline.prepare)
# A part reads evidence files (from a network share, on a cluster): one more try after an OSError.
_TASKS = {
    step.name: _task(step.name, step.part if isinstance(step, pipeline.Parts) else step.do,
                     retries=1 if isinstance(step, pipeline.Parts) else 0)
    for step in pipeline.STEPS
}


def _as_tasks(step: pipeline.Step | pipeline.Parts | pipeline.Beside, run: pipeline.Run) -> pipeline.Run:
    # Prefect walks every task argument looking for futures; a case of 20,000 files made that
    # walk (over the case's file lists, the plan and the stats) most of a run. quote() skips it.
    # quote() does not survive Dask's own walk over a task's arguments: parts get the small case,
    # and their batch (its file list) quoted on threads only; one walk over a batch of 1,500 files
    # costs 0.04 s, and Prefect walks a task's arguments more than once.
    if isinstance(step, pipeline.Parts):
        settings = pipeline.settings_for_batches(run.case)
        items = step.plan(run)
        on_threads = isinstance(FlowRunContext.get().task_runner, ThreadPoolTaskRunner)
        futures = [_TASKS[step.name].submit(settings, quote(item) if on_threads else item, run.paths) for item in items]
        return step.join(run, progress.part_results(step.stage, futures, items))
    return _TASKS[step.name](quote(run))


@flow(name="fundtrail-reconcile", log_prints=False, persist_result=False)
def reconcile(
    case_dir: str, out_dir: str, lang: str = "zh", unmask: bool = False, prepared: str | None = None
) -> dict:
    """Check the case (unless the caller did: ``prepared``), then every step of the run; the run summary."""
    if prepared is not None:  # run_prepared watches the server for the whole flow call
        return pipeline.execute(_prepared[prepared], _as_tasks, progress.stage).summary
    progress.stage(pipeline.CHECK_STAGE)
    run = check_case(case_dir, out_dir, lang=lang, unmask=unmask)
    with ServerWatch(str(FlowRunContext.get().client.api_url), lambda message: _server_lost(run, message)):
        return pipeline.execute(run, _as_tasks, progress.stage).summary


class ServerWatch:
    """Ends a run whose Prefect server stopped answering, instead of letting it hang.

    Without the server, tasks run on, but every state they report is retried
    for minutes and, at exit, each queued event takes about 7 s to give up: a
    run whose server died would hang for minutes or hours before it failed.
    Every ``interval`` seconds the watch asks the API's ``/health``; after
    ``misses`` unanswered asks in a row it calls ``on_lost`` with the message
    ``lost`` (one for the user's server, one for the command's temporary one).
    """

    def __init__(self, api_url: str, on_lost: Callable[[Phrase], None], interval: float = 5.0, misses: int = 4,
                 lost: str = "cli.server_stopped") -> None:
        self.api_url = api_url.rstrip("/")
        self.on_lost, self.interval, self.misses, self.lost = on_lost, interval, misses, lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="fundtrail-server-watch", daemon=True)

    def __enter__(self) -> ServerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        unanswered = 0
        while not self._stop.wait(self.interval):
            answered = health_problem(self.api_url, timeout=self.interval) is None
            unanswered = 0 if answered else unanswered + 1
            if unanswered >= self.misses:
                self.on_lost(Phrase(self.lost, url=self.api_url, misses=self.misses,
                                    seconds=round(self.interval * self.misses)))
                return


def _api_url() -> str:
    """The Prefect API this process talks to; with no PREFECT_API_URL, that starts the temporary server."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return str(client.api_url)


def _server_lost(run: pipeline.Run, message: Phrase) -> None:
    """Prefect can neither finish nor fail the flow run now: say what became of the run, and leave at once.

    Leaving through os._exit is the point: a normal exit waits for Prefect's
    queued events, each given up on after about 7 s.
    """
    if pipeline.finished(run):
        print(
            console.line("cli.server_stopped_finished", run.lang, out=run.paths.out_dir, run_id=run.run_id,
                         url=message.params["url"]),
            file=sys.stderr,
            flush=True,
        )
        os._exit(0)
    print(console.line(message.code, run.lang, **message.params), file=sys.stderr, flush=True)
    pipeline.abandon_run(run.paths)
    os._exit(RunEnvironmentError.exit_code)


def run_prepared(run: pipeline.Run, task_runner=None, temporary_server: bool = False) -> dict:
    """The flow for a run already prepared in this process (the CLI checks the case before Prefect starts);
    ``temporary_server``: the API is the command's own temporary server (flows/server.py)."""
    key = run.run_id
    _prepared[key] = run
    flow_ = reconcile if task_runner is None else reconcile.with_options(task_runner=task_runner)
    lost = "cli.temporary_server_stopped" if temporary_server else "cli.server_stopped"
    try:
        with ServerWatch(_api_url(), lambda message: _server_lost(run, message), lost=lost):
            return flow_(str(run.case.case_dir), str(run.paths.out_dir), lang=run.lang, unmask=run.unmask, prepared=key)
    except BaseException:
        pipeline.abandon_run(run.paths)  # Prefect may fail before the first step: the lock must go all the same
        raise
    finally:
        _prepared.pop(key, None)


def task_runner(dask_address: str | None = None, workers: int | None = None):
    """Where the parts run: a Dask scheduler at ``dask_address``, a local cluster of
    ``workers`` processes, or (neither given) this process's threads."""
    if dask_address is None and workers is None:
        # Prefect's default is a thread per task: every batch of the case parsed at once, each holding
        # its files' text and frames (600 MB at 20,000 files). One per core keeps the cores busy.
        return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)
    from prefect_dask import DaskTaskRunner  # imports dask.distributed: only runs that use it pay

    if dask_address is not None:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None},
    )
