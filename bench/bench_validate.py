"""Wall and CPU time of the validation step (every expectation suite) on a built case database.

Not a test. Run:

    .venv/bin/python bench/bench_validate.py [CASE_DIR] [--repeat N] [--profile]
    .venv/bin/python bench/bench_validate.py --db CASE_DB [--timezone TZ] [--repeat N] [--profile]
    .venv/bin/python bench/bench_validate.py CASE_DIR --overlap [--repeat N]

CASE_DIR defaults to data/fixture-fraud. The case is run once without Prefect
(``fundtrail.pipeline.run_case``) for its ``case.duckdb``; the bench then times
``fundtrail.validate.validate_database`` on a copy of it N times (the first call
in the process pays GX's first-use costs, as a run does), and, in a fresh
interpreter, the import of GX that the validate step also pays. CPU time is
printed beside wall time because the machine may be shared.

``--db`` skips the run: the validations are timed on a copy of that finished
case database (a run's ``case.duckdb``, left as it is), with the case's time zone
from ``--timezone`` (UTC when not given; only the statement-findings times shown
depend on it).

``--overlap`` measures what ``fundtrail.validate.preload`` in a background thread
saves a whole run: N times in turn, a child process runs the case plainly, and
another starts ``preload`` on a thread as the run starts (as the pipeline does); each
prints the run's wall and CPU seconds and each stage's (the import moves CPU out of
validate and into the stages it overlaps).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMPORT = (
    "import time; started, cpu = time.perf_counter(), time.process_time(); import fundtrail.validate.gx_duckdb; "
    "print(f'{time.perf_counter() - started:.2f} {time.process_time() - cpu:.2f}')"
)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case_dir", nargs="?", default="data/fixture-fraud")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", help="a finished case.duckdb to validate (a copy of it) instead of running CASE_DIR")
    parser.add_argument("--timezone", help="the case time zone, with --db")
    parser.add_argument("--profile", action="store_true", help="print the 30 costliest calls of the last call")
    parser.add_argument("--overlap", action="store_true", help="whole runs with and without preload, in turn")
    parser.add_argument("--child", choices=("plain", "preload"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.case_dir, args.out, preloaded=args.child == "preload")
    if args.overlap:
        return overlap(args.case_dir, args.repeat)

    imported = subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, text=True, check=True)
    wall, cpu = map(float, imported.stdout.split())
    print(f"GX import, fresh interpreter      {wall:6.2f} s wall {cpu:6.2f} s CPU")

    from fundtrail import validate
    from fundtrail.config import load_case
    from fundtrail.pipeline import run_case

    work = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        db = work / "case.duckdb"
        if args.db:
            shutil.copyfile(args.db, db)
            timezone = args.timezone
        else:
            run_case(args.case_dir, work / "out")
            shutil.copy(work / "out" / "case.duckdb", db)
            timezone = load_case(args.case_dir).timezone
        walls = []
        for attempt in range(1, args.repeat + 1):
            profile = cProfile.Profile() if args.profile and attempt == args.repeat else None
            cpu, wall = time.process_time(), time.perf_counter()
            if profile:
                profile.enable()
            result = validate.validate_database(db, work / f"validation-{attempt}", timezone=timezone)
            if profile:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            walls.append(wall)
            ran = sum(s["status"] != "skipped" for s in result["suites"].values())
            evaluated = sum(s["evaluated"] for s in result["suites"].values())
            print(
                f"validate_database #{attempt}             {wall:6.2f} s wall {cpu:6.2f} s CPU "
                f"({ran} suites, {evaluated} expectations, success={result['success']})"
            )
            if profile:
                pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
        print(f"validate_database best             {min(walls):6.2f} s wall")
    finally:
        shutil.rmtree(work)


def overlap(case_dir: str, repeat: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        for attempt in range(1, repeat + 1):
            for kind in ("plain", "preload"):
                child = subprocess.run(
                    [sys.executable, __file__, case_dir, "--child", kind, "--out", str(work / kind)],
                    capture_output=True, text=True, check=True, env=env,
                )
                figures = json.loads(child.stdout.splitlines()[-1])
                stages = "; ".join(f"{stage} {wall:.2f}/{cpu:.2f}" for stage, (wall, cpu) in figures["stages"].items())
                print(f"#{attempt} {kind:8s} run {figures['wall']:6.2f} s wall {figures['cpu']:6.2f} s CPU; "
                      f"stages wall/CPU s: {stages}")
                # The run's ingest cache (beside its output) goes too: every run parses every file.
                for left in work.iterdir():
                    shutil.rmtree(left)
    finally:
        shutil.rmtree(work)


def run_child(case_dir: str, out_dir: str, preloaded: bool) -> None:
    """Inside the child: one run, with the GX import started on a thread first or not at all."""
    import threading

    started, cpu = time.perf_counter(), time.process_time()
    from fundtrail import validate
    from fundtrail.pipeline import run_case

    if preloaded:
        threading.Thread(target=validate.preload, name="preload-gx", daemon=True).start()
    marks: list[tuple[str, float, float]] = []
    run_case(case_dir, out_dir, on_stage=lambda stage: marks.append((stage, time.perf_counter(), time.process_time())))
    marks.append(("end", time.perf_counter(), time.process_time()))
    stages = {stage: (until - at, cpu_until - cpu_at) for (stage, at, cpu_at), (_, until, cpu_until) in zip(marks, marks[1:])}
    print(json.dumps({"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu, "stages": stages}))


if __name__ == "__main__":
    main(sys.argv[1:])
