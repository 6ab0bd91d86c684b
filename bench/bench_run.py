"""Wall time per stage of a whole reconciliation run, and rows per second.

Not a test. Run:

    /usr/bin/time -v .venv/bin/python bench/bench_run.py CASE_DIR [OUT_DIR]

CASE_DIR is any case folder, e.g. one made by
`fundtrail generate fraud --out /tmp/case-1m --scale 26.3` (about 1M
statement rows). This times the plain pipeline (`fundtrail.pipeline.run_case`,
no Prefect server): `fundtrail run` adds Prefect's start-up (about 10 s) and
runs ingest tasks side by side.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from fundtrail.pipeline import run_case


def main(argv: list[str]) -> None:
    case_dir = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="bench-run-")) / "out"
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    summary = run_case(case_dir, out, on_stage=lambda stage: marks.append((stage, time.perf_counter())))
    finished = time.perf_counter()
    marks.append(("end", finished))
    for (stage, at), (_, until) in zip(marks, marks[1:]):
        print(f"{stage:<10} {until - at:8.1f} s")
    rows = summary["totals"]["statement_rows"] + summary["totals"]["entries_count"]
    wall = finished - started
    print(f"{'total':<10} {wall:8.1f} s")
    print(f"statement rows {summary['totals']['statement_rows']:,}, deposit entries {summary['totals']['entries_count']:,}")
    print(f"rows per second, whole run: {rows / wall:,.0f}")
    ingest = next(until - at for (stage, at), (_, until) in zip(marks, marks[1:]) if stage == "ingest")
    print(f"rows per second, ingest stage (parse + quarantine + Parquet): {rows / ingest:,.0f}")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
