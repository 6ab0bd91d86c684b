"""Time and peak memory of the case generator.

Not a test. Run:

    /usr/bin/time -v .venv/bin/python bench/bench_generate.py [fraud|info] [SCALE] [OUT_DIR]

Prints the wall time, the statement rows written, rows per second, the peak
resident memory of this process (ru_maxrss) and the size on disk. SCALE 26.3
gives about 1M statement rows for the fraud case (39,599 rows at scale 1; before the
laundering layers 36.3 did, and the default stays 36.3, the scale README's figure was measured at).
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from fundtrail.generate import generate_fraud, generate_info


def main(argv: list[str]) -> None:
    kind = argv[0] if argv else "fraud"
    scale = float(argv[1]) if len(argv) > 1 else 36.3
    out = Path(argv[2]) if len(argv) > 2 else Path(tempfile.mkdtemp(prefix="bench-generate-"))
    make = generate_fraud if kind == "fraud" else generate_info
    started = time.perf_counter()
    make(out, scale=scale)
    seconds = time.perf_counter() - started
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    rows = truth.get("totals", {}).get("statement_rows")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{kind} scale {scale}: {seconds:.1f} s, peak RSS {peak_mb:.0f} MB, {size / 1e6:.0f} MB on disk")
    if rows:
        print(f"statement rows {rows:,}, {rows / seconds:,.0f} rows/s; entries {truth['totals']['entries']:,}")
        print(f"validated {truth['totals']['validated']} CNY, {len(truth['victims']):,} victims")
    if len(argv) <= 2:
        shutil.rmtree(out)


if __name__ == "__main__":
    main(sys.argv[1:])
