"""Wall and CPU time of each SQL model of the roster, transfers, match and marts steps, on a finished case database.

Not a test. Run:

    .venv/bin/python bench/bench_sql.py CASE_DIR FINISHED_CASE_DUCKDB [--work DIR] [--compression METHOD]

FINISHED_CASE_DUCKDB is the case.duckdb of a plain run of CASE_DIR (never written to). A copy
keeps only what the load step leaves (landing tables, staging views, input_files,
statement_summaries, normalised, the exclusions); the steps then run on it as a run runs them
(``fundtrail.pipeline``'s own step functions), each model timed as ``sqlrun`` executes it,
and every table and view they made is compared with the finished database's (EXCEPT ALL
both ways, and the columns): "bad 0" means the same rows. The commit at each connection's
close is timed apart (``<commit>``): writing the tables, compressing them included, costs
more than most models' queries.

``--compression METHOD`` sets DuckDB's ``force_compression`` on every connection of the steps
(e.g. ``uncompressed``), to measure what compressing the tables as they are written costs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import duckdb

from fundtrail import controls, pipeline, sqlrun
from fundtrail.config import load_case
from fundtrail.kinds import KINDS

STEPS = (
    ("roster", pipeline.check_roster),
    ("transfers", pipeline.build_transfers),
    ("match", pipeline.match_entries),
    ("marts", pipeline.build_marts),
    ("invariants", controls.check_invariants),
)


def loaded_copy(finished: Path, target: Path) -> None:
    """``finished`` as the load step left it: every later step's tables and views dropped."""
    shutil.copy(finished, target)
    target.chmod(0o644)
    keep = {"input_files", "statement_summaries", "normalised", "exclusion_outcomes", "staged_money"}
    keep |= {f"landing_{kind}" for kind in KINDS} | {"landing_quarantine"} | {f"stg_{kind}" for kind in KINDS}
    keep |= {m.name for m in sqlrun.build_order(["decision_list", "row_id_order"])}
    with duckdb.connect(str(target)) as con:
        found = con.execute("select table_name, table_type from information_schema.tables").fetchall()
        for name, kind in found:
            if name not in keep:
                con.execute(f'drop {"view" if kind == "VIEW" else "table"} if exists "{name}" cascade')


def differences(db: Path, finished: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("attach ? as finished (read_only)", [str(finished)])
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall()]
        bad = []
        for name in sorted(names):
            columns = "select column_name, data_type from information_schema.columns where table_catalog = ? " \
                "and table_name = ? order by ordinal_position"
            same_columns = con.execute(columns, [db.stem, name]).fetchall() == con.execute(
                columns, ["finished", name]
            ).fetchall()
            extra = con.execute(f'select count(*) from (from "{name}" except all from finished."{name}")').fetchall()
            missing = con.execute(f'select count(*) from (from finished."{name}" except all from "{name}")').fetchall()
            if not same_columns or extra[0][0] or missing[0][0]:
                bad.append(f"{name}: {extra[0][0]} rows more, {missing[0][0]} fewer, same columns {same_columns}")
        return bad


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case_dir")
    parser.add_argument("finished", type=Path)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-sql"))
    parser.add_argument("--compression")
    args = parser.parse_args(argv)
    case = load_case(args.case_dir)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    paths = pipeline.RunPaths(args.work, args.work)
    loaded_copy(args.finished, paths.db)

    timed: list[tuple[str, float, float]] = []
    execute_file, connect = sqlrun.execute_file, pipeline._connect

    def timed_file(con: duckdb.DuckDBPyConnection, model: sqlrun.Model) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        execute_file(con, model)
        timed.append((model.name, time.perf_counter() - wall, time.process_time() - cpu))

    class TimedClose:
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def __getattr__(self, name: str) -> object:
            return getattr(self.con, name)

        def __enter__(self) -> TimedClose:
            return self

        def __exit__(self, *exc: object) -> None:
            wall, cpu = time.perf_counter(), time.process_time()
            self.con.close()
            timed.append(("<commit>", time.perf_counter() - wall, time.process_time() - cpu))

    def timed_connect(case_config: object, run_paths: pipeline.RunPaths) -> TimedClose:
        con = connect(case_config, run_paths)
        if args.compression:
            con.execute("SET force_compression = ?", [args.compression])
        return TimedClose(con)

    sqlrun.execute_file, pipeline._connect = timed_file, timed_connect
    try:
        for stage, step in STEPS:
            wall, cpu = time.perf_counter(), time.process_time()
            step(case, paths)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            for name, model_wall, model_cpu in sorted(timed, key=lambda t: -t[2]):
                if model_cpu >= 0.01:
                    print(f"    {name:30s} {model_wall:6.3f} s wall {model_cpu:6.3f} s CPU")
            timed.clear()
            print(f"{stage:12s} {wall:6.2f} s wall {cpu:6.2f} s CPU", flush=True)
    finally:
        sqlrun.execute_file, pipeline._connect = execute_file, connect
    bad = differences(paths.db, args.finished)
    print("\n".join(bad) or "every table and view as in the finished database (bad 0)")
    print(f"case.duckdb {paths.db.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
