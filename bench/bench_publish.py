"""The publish step alone, repeated on one prepared database: its CPU and wall seconds and peak memory.

Not a test. Run:

    .venv/bin/python bench/bench_publish.py CASE_DIR [--work DIR] [--repeat N] [--parts] [--reuse]

The case runs once through the ``changes`` step (everything before publish)
into ``--work`` (default: a temporary folder); its case.duckdb is kept (with
the Run, pickled: ``--reuse`` takes both from an earlier call's ``--work``
instead of running the case again, so ``peak_mb`` is then publish's own), and
each repetition copies it into a fresh staging folder and times
``pipeline.publish`` there: the CSV and Parquet files, report.xlsx,
report.html and manifest.json. ``--parts`` also prints the CPU seconds of
the tables, each report and manifest.json (once pipeline.publish writes it with
publish.write_json). CPU seconds count every thread
(DuckDB's too) and are the figure to compare when other work shares the
machine; compare two checkouts back to back. ``peak_mb`` is the process's peak so far, the
preparing run's included unless ``--reuse``.

Side by side, the tables' CPU seconds (``process_time``, every thread) count the reports' too.
``--serial`` writes the tables after the reports instead of beside them, so each part's CPU
seconds are its own; ``--parts`` then also prints each part's peak (``<part>_peak_mb``: the
highest resident memory sampled every 5 ms while it ran) and the memory it rose by over what
the process held as it started (``<part>_rise_mb``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import pickle
import resource
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from fundtrail import outdir, pipeline
from fundtrail import publish as writer
from fundtrail import reports


def prepared(case_dir: Path, work: Path, reuse: bool) -> tuple[pipeline.Run, Path]:
    """The case run through ``changes``; its Run and a copy of its staging folder's case.duckdb."""
    database, pickled = work / "prepared.duckdb", work / "run.pickle"
    if reuse and database.exists() and pickled.exists():
        return pickle.loads(pickled.read_bytes()), database
    run = pipeline.execute(pipeline.prepare(case_dir, work / "out"), through="changes")
    shutil.copy(run.paths.db, database)
    pickled.write_bytes(pickle.dumps(run))
    outdir.unlock(run.paths.out_dir)
    shutil.rmtree(run.paths.staging_dir)
    return run, database


class Resident:
    """The process's resident memory, sampled every 5 ms on a thread: the highest seen since ``mark``."""

    def __init__(self) -> None:
        self.highest = 0
        threading.Thread(target=self._sample, daemon=True).start()

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()

    def mark(self) -> int:
        self.highest = current = self.now()
        return current

    def _sample(self) -> None:
        while True:
            self.highest = max(self.highest, self.now())
            time.sleep(0.005)


def timed(spent: dict[str, float], owner: object, name: str, label: str, resident: Resident | None = None) -> None:
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.process_time()
        held = resident.mark() if resident else 0
        try:
            return function(*args, **kwargs)
        finally:
            spent[f"{label}_cpu_s"] += time.process_time() - started
            if resident:
                spent[f"{label}_peak_mb"] = max(spent[f"{label}_peak_mb"], resident.highest / 2**20)
                spent[f"{label}_rise_mb"] = max(spent[f"{label}_rise_mb"], (resident.highest - held) / 2**20)

    setattr(owner, name, wrapper)


@contextlib.contextmanager
def tables_written_after(con, tables, out_dir):
    """``publish.tables_written_beside`` without the thread: the tables once the block has run."""
    yield
    writer.write_tables(con, tables, out_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case_dir", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="the prepared database and Run of an earlier --work")
    parser.add_argument("--serial", action="store_true", help="the tables after the reports, not beside them")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    work.mkdir(parents=True, exist_ok=True)
    run, database = prepared(args.case_dir, work, args.reuse)
    spent: dict[str, float] = defaultdict(float)
    if args.serial:
        writer.tables_written_beside = tables_written_after
    if args.parts:
        resident = Resident() if args.serial else None
        timed(spent, writer, "write_tables", "tables", resident)
        timed(spent, writer, "report_frames", "frames", resident)
        timed(spent, reports, "write_workbook", "report.xlsx", resident)
        timed(spent, reports, "write_html_report", "report.html", resident)
        timed(spent, writer, "write_json", "manifest.json", resident)
    for _ in range(args.repeat):
        staging = work / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "_scratch").mkdir(parents=True)
        shutil.copy(database, staging / "case.duckdb")
        spent.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        pipeline.publish(dataclasses.replace(run, paths=dataclasses.replace(run.paths, staging_dir=staging)))
        figures = {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2)}
        figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        figures |= {label: round(value, 2) for label, value in spent.items()}
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
