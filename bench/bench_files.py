"""A whole run against the floor: polars reading every input file once, measured in the same run.

Not a test. Run:

    .venv/bin/python bench/bench_files.py CASE_DIR [--prefect [--workers N]] [--no-plain] [--out DIR]
    .venv/bin/python bench/bench_files.py --generate 3.3 [--prefect]

``--generate SCALE`` first writes `fundtrail generate fraud --files-per-account`
style replies into a temporary folder (scale 3.3: about 20,000 files and
226,000 statement rows; scale 14: about 80,000 files and 1M rows).

The floor reads each file of each [[source]] with polars, in the encoding and
after the preamble rows ingest uses, all text, nothing else: the least any
run must do. Every file is read once untimed first, so that floor and run
both find the files in the page cache. The floor is read again after each run,
and each run is set against the mean of the floors read just before and after it:
this machine's speed drifts by a quarter within minutes, and one floor read
30 s before a run was as often a fast moment as a slow one. Then the pipeline runs in a child process (plain
``fundtrail.pipeline.run_case``, no Prefect) and, with ``--prefect``, the CLI
``fundtrail run`` in another (its stage lines read through a pseudo-terminal;
the "prefect" stage is Prefect's own start-up, reported beside the ratio and
not counted in it). Each child's peak resident memory comes from wait4; the
plain run also prints each stage's wall and CPU seconds (CPU of every thread,
comparable when other work shares the machine) and the peak memory at the
stage's end.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from fundtrail.config import load_case
from fundtrail.ingest.readers import SPREADSHEET_FORMATS, _codec, layout_of

ROOT = Path(__file__).resolve().parent.parent
# A stage's closing line as the CLI prints it: "[3/10] ingest: 12.0 s (21,982/21,982 files, …)".
STAGE_LINE = re.compile(r"\[\d+/\d+\] (\w+): ([0-9.]+) s")


def read_floor(case_dir: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds for polars to read every input file once, the files and the rows read."""
    case = load_case(case_dir)
    jobs = []
    for source in case.sources:
        for rel_path in source.files:
            path = case.case_dir / rel_path
            # Presets find their header row by reading the head; that is ingest's work, not the floor's.
            jobs.append((path, layout_of(source, rel_path, path if source.format else None)))
    for path, _ in jobs:
        # The run reads the files from the page cache; so does the floor, or a cold disk makes it slow.
        path.read_bytes()
    rows = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for path, layout in jobs:
        if layout.format in SPREADSHEET_FORMATS:
            frame = pl.read_excel(path, sheet_name=layout.sheet, has_header=False, infer_schema_length=0)
        else:
            frame = pl.read_csv(
                path,
                has_header=False,
                skip_rows=layout.skip_rows,
                encoding=_codec(layout.encoding),
                infer_schema=False,
                truncate_ragged_lines=True,
            )
        rows += frame.height
    return time.perf_counter() - started, time.process_time() - cpu_started, len(jobs), rows


def _floor(case_dir: Path) -> tuple[float, float]:
    floor, floor_cpu, files, rows = read_floor(case_dir)
    print(f"floor: polars reads {files:,} files ({rows:,} lines after preambles) in {floor:.2f} s, "
          f"{floor_cpu:.2f} s CPU ({floor / files * 1000:.2f} ms per file)")
    return floor, floor_cpu


def _around(before: tuple[float, float], after: tuple[float, float]) -> tuple[float, float]:
    """The floor of a run: the mean of those read just before and just after it (wall, CPU)."""
    return (before[0] + after[0]) / 2, (before[1] + after[1]) / 2


def run_child(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str, int]:
    """Wall and CPU seconds, exit status, everything printed (through a pseudo-terminal), peak RSS in MB."""
    master, slave = pty.openpty()
    started = time.perf_counter()
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    output = b"".join(chunks).decode("utf-8", "replace")
    return seconds, cpu, os.waitstatus_to_exitcode(status), output, usage.ru_maxrss // 1024


def plain_child(case_dir: str, out_dir: str) -> None:
    """Runs inside the child: the pipeline without Prefect, stage times as one JSON line."""
    from fundtrail.pipeline import run_case

    marks: list[tuple[str, float, float, int]] = []

    def mark(stage: str) -> None:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        marks.append((stage, time.perf_counter(), time.process_time(), peak_mb))

    run_case(case_dir, out_dir, on_stage=mark)
    mark("end")
    # CPU seconds per stage (every thread of the process) stay comparable when other work shares
    # the machine; the peak resident memory at the stage's end says which stage set the run's peak.
    stages = {
        stage: [round(until - at, 2), round(cpu_until - cpu_at, 2), peak_mb]
        for (stage, at, cpu_at, _), (_, until, cpu_until, peak_mb) in zip(marks, marks[1:])
    }
    print("STAGES " + json.dumps(stages))


def report(label: str, run: tuple, floor: float, floor_cpu: float, stages: dict) -> None:
    seconds, cpu, status, output, peak_mb = run
    prefect = stages.pop("prefect", 0.0)
    counted = seconds - prefect
    print(f"\n{label}: exit {status}, {seconds:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak_mb:,} MB")
    if status != 0:
        print(output[-3000:])
        return
    for stage, took in stages.items():
        if isinstance(took, list):  # the plain run: wall and CPU seconds, peak RSS so far
            print(f"  {stage:<10} {took[0]:8.2f} s wall {took[1]:8.2f} s CPU  peak {took[2]:,} MB")
        else:
            print(f"  {stage:<10} {took:8.2f} s")
    if prefect:
        print(f"  Prefect start-up {prefect:.1f} s (not counted)")
    print(f"  run / floor = {counted:.1f} / {floor:.1f} = {counted / floor:.2f}× (wall; floor: mean of before and after)")
    if not prefect:
        # CPU seconds stay comparable when other work shares the machine; Prefect's start-up is not separable there.
        print(f"  run / floor = {cpu:.1f} / {floor_cpu:.1f} = {cpu / floor_cpu:.2f}× (CPU)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case_dir", nargs="?", type=Path)
    parser.add_argument("--generate", type=float, metavar="SCALE")
    parser.add_argument("--prefect", action="store_true", help="also time `fundtrail run` (Prefect)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain pipeline run")
    parser.add_argument("--workers", type=int, help="with --prefect: `fundtrail run --workers N` (local Dask cluster)")
    parser.add_argument("--out", type=Path, help="where the runs write (default: a temporary folder)")
    parser.add_argument("--child-plain", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_plain:
        plain_child(*args.child_plain)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-files-"))
    out_root = args.out or work
    case_dir = args.case_dir
    if args.generate is not None:
        from fundtrail.generate import generate_fraud

        started = time.perf_counter()
        case_dir = generate_fraud(work / "case", scale=args.generate, files_per_account=True)
        print(f"generated scale {args.generate} in {time.perf_counter() - started:.0f} s → {case_dir}")
    assert case_dir is not None, "give CASE_DIR or --generate SCALE"

    before = _floor(case_dir)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    if not args.no_plain:
        command = [sys.executable, __file__, "--child-plain", str(case_dir), str(out_root / "out-plain")]
        run = run_child(command, env)
        found = re.search(r"STAGES (\{.*\})", run[3])
        after = _floor(case_dir)
        report("plain run_case", run, *_around(before, after), json.loads(found.group(1)) if found else {})
        before = after
    if args.prefect:
        # English stage names: the lines are read by STAGE_LINE.
        cli = [sys.executable, "-m", "flows.cli", "run", "--lang", "en", str(case_dir), "--out", str(out_root / "out-prefect")]
        run = run_child(cli + [f"--workers={args.workers}"] if args.workers else cli, env)
        stages = {m.group(1): float(m.group(2)) for m in STAGE_LINE.finditer(run[3])}
        server = env.get("PREFECT_API_URL") or "temporary server"
        after = _floor(case_dir)
        report(f"fundtrail run ({server})", run, *_around(before, after), stages)
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
