"""`fundtrail` command line: run, check, init, demo, schedule, inspect, generate, diff.

Exit codes (outputs.md): 0 the run finished (quarantined rows included),
1 the case could not be read or broke a balancing rule, 2 a usage error.
Prefect is imported only by the commands that run a flow, after its
environment is set: no telemetry, no server to configure, quiet logs.
Everything printed is in the user's language (``--lang``, Chinese by
default), made from the message catalogue (fundtrail.messages, fundtrail.console).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from flows.server import TemporaryServer, health_problem
from fundtrail import console, messages
from fundtrail.errors import FundtrailError, RunEnvironmentError

if TYPE_CHECKING:
    from fundtrail.userconfig import UserConfig


def main(argv: list[str] | None = None) -> int:
    """The command of ``argv``; as the process's own entry (no ``argv``), it then leaves at once (``_leave``)."""
    if argv is None:
        _leave(_command(sys.argv[1:]))
    return _command(list(argv))


def _leave(code: int) -> None:
    """End the process with ``code`` without Python's teardown of every module and object.

    After a run that teardown took 1.7 to 2.5 s (1.1 s for Great Expectations' thousands of classes
    alone), longer than most steps of a small case. What a normal exit does first is done here:
    the threads that would be waited for are, the exit handlers run (Prefect delivers its last
    events and logs in them), the output is flushed. Every file the run wrote is closed by then.
    """
    import atexit
    import threading

    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _command(argv: list[str]) -> int:
    args = _parser(_lang_of(argv)).parse_args(argv)
    try:
        return args.command(args)
    except FundtrailError as exc:
        print(console.error_line(exc, args.lang), file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # A full disk or a folder gone read-only mid-run: the staging folder is removed, OUT_DIR untouched.
        print(console.os_error_line(exc, getattr(args, "out", None), args.lang), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(console.line("cli.interrupted", args.lang), file=sys.stderr)
        return 130


def _lang_of(argv: list[str]) -> str:
    """The --lang asked for, read before parsing so that the help and argument errors are in it too."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.removeprefix("--lang=")
        else:
            continue
        if value in messages.LANGS:
            return value
    return messages.DEFAULT_LANG


def _parser(lang: str) -> argparse.ArgumentParser:
    h = lambda key, /, **params: messages.text(f"cli.help.{key}", lang, **params)  # noqa: E731
    # --lang belongs to each command: a top-level one would be overwritten by the command's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=messages.LANGS, default=messages.DEFAULT_LANG, help=h("lang"))
    parser = argparse.ArgumentParser(prog="fundtrail", description=h("description"))
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, handler) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=h(name), description=h(name), parents=[common])
        sub.set_defaults(command=handler)
        return sub

    run = command("run", _run)
    run.add_argument("case_dir", type=Path)
    run.add_argument("--out", type=_folder(lang), required=True, help=h("out"))
    engine = run.add_mutually_exclusive_group()
    engine.add_argument("--dask", metavar="ADDRESS", help=h("dask"))
    engine.add_argument("--workers", type=_positive(lang), metavar="N", help=h("workers"))
    _add_output_options(run, h)

    command("check", _check).add_argument("case_dir", type=Path)
    command("init", _init).add_argument("case_dir", type=Path)

    demo = command("demo", _demo)
    demo.add_argument("--out", type=_folder(lang), default=Path("demo-out"), help=h("demo_out"))
    demo.add_argument("--scale", type=float, default=1.0, help=h("scale"))
    demo.add_argument("--seed", type=int, default=729, help=h("seed"))
    _add_output_options(demo, h)

    schedule = command("schedule", _schedule)
    schedule.add_argument("case_dir", type=Path)
    schedule.add_argument("--out", type=_folder(lang), required=True, help=h("out"))
    schedule.add_argument("--cron", required=True, help=h("cron"))
    _add_output_options(schedule, h)

    command("inspect", _inspect).add_argument("file", type=Path)

    generate = command("generate", _generate)
    generate.add_argument("case_kind", choices=("fraud", "info"))
    generate.add_argument("--out", type=_folder(lang), required=True, help=h("generate_out"))
    generate.add_argument("--scale", type=float, default=1.0, help=h("scale"))
    generate.add_argument("--seed", type=int, default=729, help=h("seed"))
    generate.add_argument("--files-per-account", action="store_true", help=h("files_per_account"))

    diff = command("diff", _diff)
    diff.add_argument("before", type=Path, help=h("diff_before"))
    diff.add_argument("after", type=Path, help=h("diff_after"))
    diff.add_argument("--unmask", action="store_true", help=h("diff_unmask"))
    return parser


def _folder(lang: str):
    def folder(text: str) -> Path:
        """An --out value; an empty one would mean the current folder, which a run would replace."""
        if not text.strip():
            raise argparse.ArgumentTypeError(messages.text("cli.empty_folder", lang))
        return Path(text)

    return folder


def _positive(lang: str):
    def positive(text: str) -> int:
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError(messages.text("cli.not_positive", lang, value=text))
        return value

    return positive


def _add_output_options(parser: argparse.ArgumentParser, h) -> None:
    parser.add_argument("--unmask", action="store_true", help=h("unmask"))
    parser.add_argument("--verbose", action="store_true", help=h("verbose"))


def _run(args: argparse.Namespace) -> int:
    with _prefect_api(args.verbose) as server:
        summary, currency = _reconcile(args.case_dir, args.out, args, server)
    print(console.summary_text(summary, args.out, currency, args.lang, args.unmask), end="")
    return 0


def _check(args: argparse.Namespace) -> int:
    from fundtrail.check import check_case, render

    print(render(check_case(args.case_dir), args.lang), end="")
    return 0


def _init(args: argparse.Namespace) -> int:
    from fundtrail.init import init_case, render_summary

    print(render_summary(init_case(args.case_dir, args.lang), args.lang), end="")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from fundtrail.generate import generate_fraud, generate_info

    cases = args.out / "cases"
    results = args.out / "results"
    with _prefect_api(args.verbose) as server:
        for kind, generate in (("fraud", generate_fraud), ("info", generate_info)):
            case_dir = cases / kind
            print(messages.text("cli.generating", args.lang, kind=kind, case_dir=case_dir))
            generate(case_dir, scale=args.scale, seed=args.seed)
            summary, currency = _reconcile(case_dir, results / kind, args, server)
            print(console.summary_text(summary, results / kind, currency, args.lang, args.unmask), end="")
    return 0


@contextlib.contextmanager
def _prefect_api(verbose: bool) -> Iterator[TemporaryServer | None]:
    """The Prefect server of the command's runs: the user's (PREFECT_API_URL), or a temporary one
    (flows/server.py), started now and stopped when the command ends."""
    _quiet_prefect(verbose=verbose)
    if _configured_api_url():
        yield None
        return
    server = TemporaryServer()
    os.environ["PREFECT_API_URL"] = server.url
    try:
        with contextlib.ExitStack() as settings:
            if "prefect.settings" in sys.modules:  # read by an earlier command of this process (tests)
                from prefect.settings import PREFECT_API_URL, temporary_settings

                settings.enter_context(temporary_settings({PREFECT_API_URL: server.url}))
            yield server
    finally:
        os.environ.pop("PREFECT_API_URL")
        if "prefect.context" in sys.modules:  # Prefect read the server's URL from the environment as it loaded
            from prefect.context import refresh_global_settings_context

            refresh_global_settings_context()
        server.stop()


def _configured_api_url() -> str | None:
    """The server the user set up: PREFECT_API_URL, or, once Prefect is imported, its settings' (a test harness)."""
    url = os.environ.get("PREFECT_API_URL")
    if url or "prefect.settings" not in sys.modules:
        return url or None
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def _schedule(args: argparse.Namespace) -> int:
    from fundtrail.config import load_case
    from fundtrail.pipeline import check_output

    case = load_case(args.case_dir)
    check_output(case, args.out)
    if not os.environ.get("PREFECT_API_URL"):
        # The temporary server of a plain run has no scheduler: nothing would ever start.
        print(console.line("cli.schedule_needs_server", args.lang), file=sys.stderr)
        return 2
    _quiet_prefect(verbose=args.verbose)
    from flows.case_flow import reconcile

    print(messages.text("cli.serving", args.lang, case_id=case.id, cron=args.cron, out=args.out.resolve()))
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

    return print_report(args.file, args.lang)


def _generate(args: argparse.Namespace) -> int:
    from fundtrail.generate import generate_fraud, generate_info

    generate = generate_fraud if args.case_kind == "fraud" else generate_info
    if args.files_per_account and args.case_kind != "fraud":
        print(console.line("cli.files_per_account_fraud_only", args.lang), file=sys.stderr)
        return 2
    options = {"files_per_account": True} if args.files_per_account else {}
    out = generate(args.out, scale=args.scale, seed=args.seed, **options)
    print(messages.text("cli.generated", args.lang, kind=args.case_kind, out=out, truth=out / "truth.json"))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from fundtrail import changes

    print(console.diff_text(changes.between(args.before, args.after), args.lang, args.unmask), end="")
    return 0


def _reconcile(case_dir: Path, out_dir: Path, args: argparse.Namespace, server: TemporaryServer | None) -> tuple[dict, str]:
    """The run's summary and the case's currency (the summary's amounts are in it), on the user's
    Prefect server or on ``server``, the command's temporary one."""
    from fundtrail import pipeline
    from fundtrail.progress import StageDisplay
    from fundtrail.userconfig import load_user_config

    config = load_user_config()
    engine = _engine(args, config)
    limits = pipeline.DatabaseLimits(
        memory_limit=config.memory_limit or pipeline.DEFAULT_MEMORY_LIMIT, threads=config.threads
    )
    # The case is checked here, once (bad case.toml, headers or output folder: reported before Prefect starts).
    stages = (pipeline.CHECK_STAGE, "prefect", *pipeline.STAGES[1:])
    # Prefect's own logs take the progress lines' place under --verbose.
    display = None if args.verbose else StageDisplay(sys.stderr, stages, args.lang)
    show = display or (lambda event: None)
    try:
        show(pipeline.CHECK_STAGE)
        run = pipeline.prepare(case_dir, out_dir, lang=args.lang, unmask=args.unmask, limits=limits)
        try:
            show("prefect")
            if server is None:
                _check_server()
            else:
                # Great Expectations' import (~3 s of CPU, needed by validation) while the server comes up.
                pipeline.preload_validation()
                server.wait_until_up()
            import httpx

            from flows import progress
            from flows.case_flow import run_prepared, task_runner

            runner = task_runner(*engine)
        except BaseException:
            pipeline.abandon_run(run.paths)
            raise
        with progress.listening(show):
            try:
                return run_prepared(run, runner, temporary_server=server is not None), run.case.currency
            except httpx.HTTPError as exc:
                # The server went away and Prefect's client gave up before the ServerWatch did.
                if pipeline.finished(run):
                    if display is not None:
                        display.close()
                    print(
                        console.line("cli.server_gone_finished", args.lang, out=run.paths.out_dir, detail=exc),
                        file=sys.stderr,
                    )
                    raise SystemExit(0) from None
                if server is not None:
                    raise RunEnvironmentError(code="cli.temporary_server_gone", url=server.url, detail=str(exc)) from None
                url = os.environ.get("PREFECT_API_URL")
                raise RunEnvironmentError(code="cli.server_gone", url=url, detail=str(exc)) from None
    finally:
        if display is not None:
            display.close()


def _engine(args: argparse.Namespace, config: UserConfig) -> tuple[str | None, int | None]:
    """Where the ingest batches run: --dask / --workers, else [run] of the user's config file (``config``)."""
    dask, workers = getattr(args, "dask", None), getattr(args, "workers", None)
    if dask is not None or workers is not None:
        return dask, workers
    if config.dask is not None or config.workers is not None:
        where = (
            messages.Phrase("cli.engine_dask", address=config.dask)
            if config.dask
            else messages.Phrase("cli.engine_local", workers=config.workers)
        )
        lang = getattr(args, "lang", messages.DEFAULT_LANG)
        print(console.line("cli.engine", lang, where=where, path=config.path), file=sys.stderr)
    return config.dask, config.workers


def _check_server() -> None:
    """A PREFECT_API_URL that does not answer fails now, not after Prefect's client has retried for a minute."""
    url = os.environ.get("PREFECT_API_URL")
    if url and (problem := health_problem(url, timeout=10)) is not None:
        raise RunEnvironmentError(code="cli.no_server", url=url, problem=problem)


def _quiet_prefect(verbose: bool) -> None:
    """Prefect settings must be in the environment before prefect is imported."""
    defaults = {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
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
        # The temporary server would otherwise fail to start, later and less clearly.
        raise RunEnvironmentError(code="cli.prefect_home", home=home, reason=exc.strerror) from None


if __name__ == "__main__":
    main()
