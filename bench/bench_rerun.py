"""A rerun as one more bank return arrives, against the cold run before it (issue 12).

Not a test. Run:

    .venv/bin/python bench/bench_rerun.py --generate 3.3 [--verify]
    .venv/bin/python bench/bench_rerun.py CASE_DIR --arriving bank/returns/some_reply.csv [--verify]

With ``--generate SCALE`` a case of 调单 replies is written first (3.3: about
20,000 files) and one reply, from the middle of the list, is held back.
The cold run reads the case without it into a new OUT_DIR; the file then
arrives and the rerun goes into the same OUT_DIR, where the cache beside it
holds every batch the cold run parsed. Each run is the plain pipeline
(``run_case``, no Prefect) in a child process; its stage times, wall and
CPU seconds and peak memory are printed, and the rerun's ingest stage as a
share of the cold run's. ``--verify`` runs the full case cold once more
into a copy of the cold run's output (no cache beside it) and compares
every CSV and Parquet file with the rerun's, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_files import ROOT, run_child


def timed_run(case_dir: Path, out_dir: Path, env: dict[str, str]) -> tuple[dict, tuple]:
    command = [sys.executable, str(Path(__file__).with_name("bench_files.py")), "--child-plain", str(case_dir), str(out_dir)]
    run = run_child(command, env)
    if run[2] != 0:
        raise SystemExit(f"run into {out_dir} failed:\n{run[3][-3000:]}")
    found = re.search(r"STAGES (\{.*\})", run[3])
    return json.loads(found.group(1)), run


def show(label: str, stages: dict, run: tuple, manifest: dict) -> None:
    seconds, cpu, _, _, peak_mb = run
    ingest = manifest.get("ingest", {})
    print(f"\n{label}: {seconds:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak_mb:,} MB; "
          f"files parsed {ingest.get('parsed')}, from the cache {ingest.get('from_cache')}")
    for stage, (wall, cpu_seconds, stage_peak_mb) in stages.items():
        print(f"  {stage:<10} {wall:8.2f} s wall {cpu_seconds:8.2f} s CPU  peak {stage_peak_mb:,} MB")


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in {".csv", ".parquet"}}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case_dir", nargs="?", type=Path)
    parser.add_argument("--generate", type=float, metavar="SCALE")
    parser.add_argument("--arriving", help="with CASE_DIR: the file (relative to it) that arrives for the rerun")
    parser.add_argument("--verify", action="store_true", help="also compare the rerun's outputs with a cold run's")
    parser.add_argument("--out", type=Path, help="where the runs write (default: a temporary folder)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-rerun-"))
    out_root = args.out or work
    if args.generate is not None:
        from fundtrail.generate import generate_fraud

        started = time.perf_counter()
        case_dir = generate_fraud(work / "case", scale=args.generate, files_per_account=True)
        print(f"generated scale {args.generate} in {time.perf_counter() - started:.0f} s → {case_dir}")
        replies = sorted((case_dir / "bank" / "returns").glob("*.csv"))
        arriving = replies[len(replies) // 2]
    else:
        assert args.case_dir is not None and args.arriving, "give --generate SCALE, or CASE_DIR and --arriving FILE"
        case_dir, arriving = args.case_dir, args.case_dir / args.arriving
    print(f"{sum(1 for p in case_dir.rglob('*') if p.is_file()):,} files in the case; arriving: "
          f"{arriving.relative_to(case_dir)}")

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    out = out_root / "out"
    held = work / "held-back"
    arriving.rename(held)
    cold_stages, cold = timed_run(case_dir, out, env)
    show("cold run (without the arriving file)", cold_stages, cold, json.loads((out / "manifest.json").read_text()))
    before_rerun = out_root / "cold-copy"
    if args.verify:
        shutil.copytree(out, before_rerun)
    held.rename(arriving)

    warm_stages, warm = timed_run(case_dir, out, env)
    show("rerun (the file arrived; same OUT_DIR)", warm_stages, warm, json.loads((out / "manifest.json").read_text()))
    # Stage figures are [wall s, CPU s, peak MB] (bench_files); the shares compare CPU seconds.
    cold_ingest, warm_ingest = cold_stages["ingest"][1], warm_stages["ingest"][1]
    print(f"\n  rerun ingest / cold ingest = {warm_ingest:.2f} / {cold_ingest:.2f} s CPU = {warm_ingest / cold_ingest:.1%}")
    print(f"  rerun check / cold check  = {warm_stages['check'][1]:.2f} / {cold_stages['check'][1]:.2f} s CPU "
          "(hashing every file, headers of the new ones only)")

    if args.verify:
        timed_run(case_dir, before_rerun, env)
        same = outputs(out) == outputs(before_rerun)
        print(f"\n  rerun outputs byte-identical to a cold run of the same case: {same}")
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
