"""Time trace.build_tracing on a generated case.

Not a test. Run, e.g. for 1M statement rows:
    fundtrail generate fraud --scale 26.3 --out /tmp/gen1m
    /usr/bin/time -v .venv/bin/python bench/bench_trace.py /tmp/gen1m /tmp/gen1m-db [MEMORY_LIMIT, e.g. 16GB]

The first call runs the pipeline steps up to the marts into DB_DIR/case.duckdb
(ingest, transfers, matching, marts: not what is measured); later calls reuse
it and time only the tracing step, on a copy, printing row counts and the
seconds each part took.
"""

from __future__ import annotations

import resource
import shutil
import sys
import time
from pathlib import Path

import duckdb

from fundtrail import pipeline, trace
from fundtrail.config import load_case


def prepare(case_dir: Path, db_dir: Path) -> Path:
    db = db_dir / "case.duckdb"
    if db.exists():
        return db
    run = pipeline.execute(pipeline.prepare(case_dir, db_dir / "run"), through="marts")
    db_dir.mkdir(parents=True, exist_ok=True)
    shutil.move(run.paths.db, db)
    pipeline.abandon_run(run.paths)
    return db


def main() -> None:
    case_dir, db_dir = Path(sys.argv[1]), Path(sys.argv[2])
    memory_limit = sys.argv[3] if len(sys.argv) > 3 else "6GB"  # 6 GB leaves room on a shared machine
    started = time.perf_counter()
    db = prepare(case_dir, db_dir)
    print(f"prepared {db} in {time.perf_counter() - started:.1f} s")
    work = db_dir / "trace.duckdb"
    work.with_suffix(".duckdb.wal").unlink(missing_ok=True)  # a killed earlier run's log must not replay onto the copy
    shutil.copy(db, work)
    case = load_case(case_dir)
    con = duckdb.connect(str(work))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = $limit", {"limit": memory_limit})
    rows = con.execute("select count(*) from postings").fetchall()[0][0]
    started = time.perf_counter()
    timings = trace.build_tracing(con, case)
    elapsed = time.perf_counter() - started
    print(f"postings {rows:,}; build_tracing {elapsed:.1f} s")
    for part, seconds in timings.items():
        print(f"  {part}: {seconds:.1f} s")
    for table in ("trace_events", "traces", "endpoints", "leads", "recoveries"):
        count = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        print(f"  {table}: {count:,} rows")
    for method, grain, rows_ in con.execute(
        "select g.method, g.grain, count(t.method) from trace_grain as g left join traces as t using (method) "
        "group by all order by 1"
    ).fetchall():
        print(f"  {method}: followed at {grain} level, {rows_:,} traces rows")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
