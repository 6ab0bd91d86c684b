"""`fundtrail` command line: run, demo, schedule, inspect, generate, diff.

Exit codes (outputs.md): 0 the run finished (quarantined rows included),
1 the case could not be read or broke a balancing rule, 2 a usage error.
Prefect is imported only by the commands that run a flow, after its
environment is set: no telemetry, no server to configure, quiet logs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from fundtrail.errors import FundtrailError, RunEnvironmentError

def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except FundtrailError as exc:
        print(f"fundtrail: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # A full disk or a folder gone read-only mid-run: the staging folder is removed, OUT_DIR untouched.
        # A write into an open file names no file: the output folder is where it was going.
        target = exc.filename or getattr(args, "out", None)
        where = f"{target}: " if target else ""
        print(f"fundtrail: {where}{exc.strerror or exc}; earlier outputs are untouched", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fundtrail: interrupted; earlier outputs are untouched", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fundtrail", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="reconcile one case folder")
    run.add_argument("case_dir", type=Path)
    run.add_argument(
        "--out", type=_folder, required=True, help="output folder (replaced as a whole at the end)"
    )
    engine = run.add_mutually_exclusive_group()
    engine.add_argument(
        "--dask", metavar="ADDRESS", help="run the ingest batches on the Dask cluster at ADDRESS (tcp://host:8786); "
        "the case and output folders must be on a path every worker sees"
    )
    engine.add_argument(
        "--workers", type=_positive, metavar="N", help="run the ingest batches on a local Dask cluster of N processes"
    )
    _add_output_options(run)
    run.set_defaults(command=_run)

    demo = commands.add_parser("demo", help="generate the two seed cases, reconcile them, show the summary")
    demo.add_argument("--out", type=_folder, default=Path("demo-out"))
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=729)
    _add_output_options(demo)
    demo.set_defaults(command=_demo)

    schedule = commands.add_parser(
        "schedule", help="reconcile a case on a cron schedule (serves a Prefect deployment until stopped)"
    )
    schedule.add_argument("case_dir", type=Path)
    schedule.add_argument("--out", type=_folder, required=True)
    schedule.add_argument("--cron", required=True, help='e.g. "0 2 * * *" for 02:00 every day')
    _add_output_options(schedule)
    schedule.set_defaults(command=_schedule)

    inspect = commands.add_parser("inspect", help="name an export's layout and print a ready [[source]] block")
    inspect.add_argument("file", type=Path)
    inspect.set_defaults(command=_inspect)

    generate = commands.add_parser("generate", help="write a synthetic case folder with its answer key")
    generate.add_argument("case_kind", choices=("fraud", "info"))
    generate.add_argument("--out", type=_folder, required=True)
    generate.add_argument("--scale", type=float, default=1.0)
    generate.add_argument("--seed", type=int, default=729)
    generate.add_argument(
        "--files-per-account", action="store_true",
        help="fraud: write the bank statements as 调单 replies, one small file per account and month",
    )
    generate.set_defaults(command=_generate)

    diff = commands.add_parser("diff", help="list the figures that differ between two outputs, and the files")
    diff.add_argument("before", type=Path, help="the earlier output folder")
    diff.add_argument("after", type=Path, help="the later output folder")
    diff.add_argument("--unmask", action="store_true", help="show file names and payers' accounts in full")
    diff.set_defaults(command=_diff)
    return parser


def _folder(text: str) -> Path:
    """An --out value; an empty one would mean the current folder, which a run would replace."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty folder name (it would mean the current folder)")
    return Path(text)


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="column titles of report.xlsx")
    parser.add_argument("--unmask", action="store_true", help="show victims' names and accounts in the reports")
    parser.add_argument("--verbose", action="store_true", help="show Prefect's own logs")


def _run(args: argparse.Namespace) -> int:
    summary = _reconcile(args.case_dir, args.out, args)
    _print_summary(summary, args.out)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from fundtrail.generate import generate_fraud, generate_info

    cases = args.out / "cases"
    results = args.out / "results"
    for kind, generate in (("fraud", generate_fraud), ("info", generate_info)):
        case_dir = cases / kind
        print(f"generating the {kind} case → {case_dir}")
        generate(case_dir, scale=args.scale, seed=args.seed)
        summary = _reconcile(case_dir, results / kind, args)
        _print_summary(summary, results / kind)
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from fundtrail.config import load_case
    from fundtrail.pipeline import check_output

    case = load_case(args.case_dir)
    check_output(case, args.out)
    if not os.environ.get("PREFECT_API_URL"):
        # The temporary server of a plain run has no scheduler: nothing would ever start.
        print(
            "fundtrail: schedule needs a running Prefect server: start `prefect server start` "
            "and set PREFECT_API_URL=http://127.0.0.1:4200/api",
            file=sys.stderr,
        )
        return 2
    _quiet_prefect(verbose=args.verbose)
    from flows.case_flow import reconcile

    print(f"serving {case.id} on cron {args.cron!r}; outputs → {args.out.resolve()} (Ctrl-C stops)")
    reconcile.serve(
        name=f"reconcile-{case.id}",
        cron=args.cron,
        parameters={
            "case_dir": str(args.case_dir.resolve()),
            "out_dir": str(args.out.resolve()),
            "lang": args.lang,
            "unmask": args.unmask,
        },
    )
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from fundtrail.inspect import print_report

    return print_report(args.file)


def _generate(args: argparse.Namespace) -> int:
    from fundtrail.generate import generate_fraud, generate_info

    generate = generate_fraud if args.case_kind == "fraud" else generate_info
    if args.files_per_account and args.case_kind != "fraud":
        print("fundtrail: --files-per-account is for the fraud case", file=sys.stderr)
        return 2
    options = {"files_per_account": True} if args.files_per_account else {}
    out = generate(args.out, scale=args.scale, seed=args.seed, **options)
    print(f"wrote {args.case_kind} case to {out} (answer key: {out / 'truth.json'})")
    return 0


def _diff(args: argparse.Namespace) -> int:
    import polars as pl

    from fundtrail import changes
    from fundtrail.reports.mask import digit_runs_expr

    found = changes.between(args.before, args.after)
    if not args.unmask:
        found = found.with_columns(digit_runs_expr(pl.col("key")).alias("key"))
    print(_changes_headline(changes.counts(found)) if found.height else "no changes: the same figures from the same files")
    for line in changes.describe(found):
        print(f"  {line}")
    return 0


def _changes_headline(counts: dict) -> str:
    files = ", ".join(
        f"{counts[key]} input file{'s' if counts[key] != 1 else ''} {state}"
        for key, state in (("inputs_added", "added"), ("inputs_removed", "removed"), ("inputs_changed", "changed"))
        if counts[key]
    )
    figures = f"{counts['figures']} figure{'s' if counts['figures'] != 1 else ''} moved"
    return f"{figures}; {files}" if files else figures


def _reconcile(case_dir: Path, out_dir: Path, args: argparse.Namespace) -> dict:
    from fundtrail import pipeline

    engine = _engine(args)
    # The case is checked here, once (bad case.toml, headers or output folder: reported before Prefect starts).
    stages = (pipeline.CHECK_STAGE, "prefect", *pipeline.STAGES[1:])
    display = _StageDisplay(stages, enabled=sys.stderr.isatty() and not args.verbose)
    try:
        display.stage(pipeline.CHECK_STAGE)
        run = pipeline.prepare(case_dir, out_dir, lang=args.lang, unmask=args.unmask)
        try:
            _quiet_prefect(verbose=args.verbose)
            display.stage("prefect")  # the temporary Prefect server takes ~10 s to start with no API URL
            _check_server()
            import httpx

            from flows import progress
            from flows.case_flow import run_prepared, task_runner

            runner = task_runner(*engine)
        except BaseException:
            pipeline.abandon_run(run.paths)
            raise
        with progress.listening(display.stage):
            try:
                return run_prepared(run, runner)
            except httpx.HTTPError as exc:
                # The server went away and Prefect's client gave up before the ServerWatch did.
                if pipeline.finished(run):
                    print(f"fundtrail: the run finished, its outputs are in {run.paths.out_dir}; the Prefect "
                          f"server stopped answering ({exc}): the flow run is not recorded there", file=sys.stderr)
                    raise SystemExit(0) from None
                raise RunEnvironmentError(
                    f"the Prefect server {os.environ.get('PREFECT_API_URL') or '(temporary)'} does not answer "
                    f"({exc}); earlier outputs are untouched. Start it again (or unset PREFECT_API_URL to "
                    "use a temporary one) and run again"
                ) from None
    finally:
        display.close()


def _engine(args: argparse.Namespace) -> tuple[str | None, int | None]:
    """Where the ingest batches run: --dask / --workers, else [run] of the user's config file."""
    dask, workers = getattr(args, "dask", None), getattr(args, "workers", None)
    if dask is not None or workers is not None:
        return dask, workers
    from fundtrail.userconfig import load_user_config

    config = load_user_config()
    if config.dask is not None or config.workers is not None:
        where = f"the Dask cluster at {config.dask}" if config.dask else f"a local Dask cluster of {config.workers} processes"
        print(f"fundtrail: ingest batches run on {where} ({config.path})", file=sys.stderr)
    return config.dask, config.workers


def _check_server() -> None:
    """A PREFECT_API_URL that does not answer fails now, not after Prefect's client has retried for a minute."""
    import urllib.request

    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url.rstrip("/") + "/health", timeout=10) as response:
            if response.status == 200:
                return
            problem = f"HTTP {response.status}"
    except (OSError, ValueError) as exc:
        problem = str(getattr(exc, "reason", exc))
    raise RunEnvironmentError(
        f"PREFECT_API_URL={url}: no Prefect server answers there ({problem}); start `prefect server start` "
        "or unset PREFECT_API_URL to use a temporary server"
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: must be 1 or more")
    return value


def _quiet_prefect(verbose: bool) -> None:
    """Prefect settings must be in the environment before prefect is imported."""
    defaults = {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_HOME": str(Path.home() / ".cache" / "fundtrail" / "prefect"),
        # Failed task runs are logged at ERROR with a traceback; the CLI reports the error itself.
        "PREFECT_LOGGING_LEVEL": "INFO" if verbose else "CRITICAL",
        "PREFECT_LOGGING_SERVER_LEVEL": "INFO" if verbose else "CRITICAL",
        # Its machinery logs each event it cannot deliver to a server that went away, in full.
        "PREFECT_INTERNAL_LOGGING_LEVEL": "INFO" if verbose else "CRITICAL",
        "PREFECT_UI_ENABLED": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    home = Path(os.environ["PREFECT_HOME"]).expanduser()
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=home, prefix=".fundtrail-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        # Prefect would otherwise fail ~20 s later with "ephemeral server timed out".
        raise RunEnvironmentError(
            f"PREFECT_HOME={home}: cannot write there ({exc.strerror}); Prefect keeps its run records "
            "in that folder: set PREFECT_HOME to a writable folder"
        ) from None


class _StageDisplay:
    """One line per stage with its time, on a terminal only; no personal data ever goes here."""

    def __init__(self, stages: tuple[str, ...], enabled: bool) -> None:
        self.stages = stages
        self.enabled = enabled
        self.current: str | None = None
        self.since = time.monotonic()

    def stage(self, name: str) -> None:
        self._finish_current()
        self.current, self.since = name, time.monotonic()
        if self.enabled:
            position = self.stages.index(name) + 1 if name in self.stages else 0
            print(f"  [{position}/{len(self.stages)}] {name} …", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        self._finish_current()

    def _finish_current(self) -> None:
        if self.enabled and self.current is not None:
            print(f" {time.monotonic() - self.since:.1f} s", file=sys.stderr, flush=True)
        self.current = None


def _print_summary(summary: dict, out_dir: Path) -> None:
    totals = summary["totals"]
    print(f"\n{summary['case_id']}: {summary['title']}")
    moved = summary.get("changes", {})
    if moved.get("lines"):
        print(f"  CHANGES since the previous run into this folder: {_changes_headline(moved)}")
        for line in moved["lines"]:
            print(f"    {line}")
        shown = sum(moved[k] for k in ("figures", "inputs_added", "inputs_removed", "inputs_changed"))
        if shown > len(moved["lines"]):
            print(f"    … {shown - len(moved['lines'])} more in changes.csv")
    for warning in summary.get("warnings", []):
        print(f"  WARNING [{warning['code']}] {warning['message']}")
    if totals["entries_count"]:
        print(
            f"  deposit entries {totals['entries_count']:,}: validated {totals['entries_validated']:,} "
            f"({float(totals['validated_share']) * 100:.1f}% of the amount), "
            f"validated amount {totals['validated_amount']:,.2f} CNY, unvalidated {totals['unvalidated_amount']:,.2f} CNY"
        )
        tiers = ", ".join(f"{tier} {count}" for tier, count in totals["defendants_by_tier"].items())
        print(f"  defendants by tier: {tiers}")
        for d in summary["top_defendants"]:
            print(f"    {d['defendant_id']:<8} {d['role']:<22} liable {d['liable']:>18,.2f} ({d['liable_basis']}) {d['tier']}")
        print(
            f"  victims identified {totals['victims_identified']:,}, unidentified paying accounts "
            f"{totals['payers_unidentified']:,}; unattributed payments {totals['unattributed_amount']:,.2f} CNY"
        )
    for d in summary["info_defendants"]:
        print(
            f"  {d['defendant_id']}: {d['records_unique']:,} unique valid records "
            f"({d['records_corroborated']:,} corroborated), received {d['received']:,.2f}, "
            f"paid upstream {d['paid_upstream']:,.2f}, net gain {d['net_gain']:,.2f} CNY: {d['tier']}"
        )
    print(
        f"  statement rows {totals['statement_rows']:,}; quarantined rows {totals['quarantined_rows']:,}; "
        f"duplicate rows {totals['duplicate_rows']:,}"
    )
    ingest = summary.get("ingest")
    if ingest:
        print(f"  input files parsed {ingest['parsed']:,}, taken from earlier runs' cache {ingest['from_cache']:,}")
    failed = [v["suite"] for v in summary.get("validation", []) if v.get("success") is False]
    print(f"  expectations: {'all passed' if not failed else 'FAILED in ' + ', '.join(failed)}")
    out = out_dir.resolve()
    print(f"  outputs: {out}\n  report: {out / 'report.html'}\n  validation: {out / 'validation' / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
