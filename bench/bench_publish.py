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
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import resource
import shutil
import tempfile
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


def timed(spent: dict[str, float], owner: object, name: str, label: str) -> None:
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case_dir", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="the prepared database and Run of an earlier --work")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    work.mkdir(parents=True, exist_ok=True)
    run, database = prepared(args.case_dir, work, args.reuse)
    spent: dict[str, float] = defaultdict(float)
    if args.parts:
        timed(spent, writer, "write_tables", "tables")
        timed(spent, reports, "write_workbook", "report.xlsx")
        timed(spent, reports, "write_html_report", "report.html")
        timed(spent, writer, "write_json", "manifest.json")
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
        figures |= {f"{label}_cpu_s": round(seconds, 2) for label, seconds in spent.items()}
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
