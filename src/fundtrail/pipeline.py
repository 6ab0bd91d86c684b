"""The steps of one reconciliation run, declared once (``STEPS``), as plain functions (no Prefect here).

A run is ``prepare`` (case.toml, the output folder and every input file's
header, checked once for the whole run) and then ``STEPS`` in order, each
handed the ``Run`` the one before returned. ``execute`` walks them; it is
the only place the order lives. ``run_case`` executes each step here, for
tests and scripts; ``flows/case_flow.py`` executes each as a Prefect task,
and the CLI's progress stages are ``STAGES``. Steps hand each other paths
and small records, never open connections, so each can run in its own task;
a step of independent parts (``Parts``: the ingest batches) can run its
parts side by side, on threads or a Dask cluster, and a step ``Beside`` the
ones after it (the traces, beside matching and the marts) on a thread of its own.

Outputs are written into a hidden folder beside OUT_DIR and moved into place
only when everything succeeded: an interrupted run leaves the previous
outputs whole (outputs.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import hashlib
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from fundtrail import changes, controls, ingest, match, outdir, progress, review, sqlrun, trace
from fundtrail.ingest import batch as batches
from fundtrail.ingest import cache as ingest_cache
from fundtrail.config import CaseConfig, load_case
from fundtrail.errors import RosterError
from fundtrail.kinds import KINDS
from fundtrail.run_warnings import run_warnings

OUTPUT_TABLES = (
    "defendants",
    "victims",
    "entries",
    "payments",
    "info_defendants",
    "quarantine",
    "unvalidated",
    "traces",
    "endpoints",
    "leads",
    "recoveries",
    "decisions",
    "changes",
)
# Beyond outputs.md: the auditor's list of balance breaks, gaps and overlaps, the identifier
# cells ingest normalised (docs/safety.md), the next bank requests (not_obtained accounts
# ranked), each victim's recoveries beside their loss, and the grain each tracing method was
# followed at (trace_grain: `account` is where `pooled:victims` rows come from), as tables too.
AUDIT_TABLES = ("statement_integrity", "normalised", "bank_requests", "victim_recoveries", "trace_grain")
# manifest.json keeps this many runs into the same OUT_DIR in ``history``, newest last.
HISTORY_KEPT = 20
FRAUD_MARTS = [
    "entries",
    "payments",
    "victims",
    "defendants",
    "liable_entries",
    "quarantine",
    "file_controls",
    "unvalidated",
    "decisions",
]


# DuckDB's own default is 80 % of the machine's memory, for DuckDB alone; the run's process also
# holds polars frames and Python's own objects, and the machine other programs (docs/scale.md).
DEFAULT_MEMORY_LIMIT = "50%"


@dataclass(frozen=True)
class DatabaseLimits:
    """What the run's DuckDB may take of the machine: ``memory_limit`` as DuckDB reads it ("4GB",
    "50%"; beyond it DuckDB spills to the staging folder), ``threads`` (None: one per core).
    ``[run] memory_limit`` / ``threads`` in the user's config (fundtrail.userconfig) set them."""

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None


@dataclass(frozen=True)
class RunPaths:
    """Where a run writes, and how it opens its case database there."""

    out_dir: Path
    staging_dir: Path
    limits: DatabaseLimits = DatabaseLimits()

    @property
    def db(self) -> Path:
        return self.staging_dir / "case.duckdb"

    @property
    def scratch(self) -> Path:
        return self.staging_dir / "_scratch"

    @property
    def cache(self) -> Path:
        """The ingest batches of earlier runs into OUT_DIR, beside it (fundtrail.ingest.cache)."""
        return ingest_cache.cache_dir(self.out_dir)

    @classmethod
    def for_output(cls, out_dir: str | Path, limits: DatabaseLimits = DatabaseLimits()) -> RunPaths:
        out_dir = Path(out_dir).resolve()
        return cls(out_dir, out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}", limits)


@dataclass(frozen=True)
class PlannedFile:
    source_index: int
    kind: str
    path: str
    sha256: str
    file_order: int
    duplicate_of: str | None
    size: int


# ---------------------------------------------------------------- the run and its steps


@dataclass(frozen=True)
class Run:
    """One run as its steps hand it on: the checked case, where it writes, and what earlier steps found."""

    run_id: str
    case: CaseConfig
    paths: RunPaths
    started: datetime
    planned: tuple[PlannedFile, ...]
    lang: str = "zh"
    unmask: bool = False
    # The batches earlier runs parsed that this run takes from the cache as they are.
    cached: tuple[ingest_cache.CachedBatch, ...] = ()
    # One per planned file, in plan order, once ingest has run: its stats, or None for a file read once already.
    stats: tuple[ingest.FileStats | None, ...] = ()
    # The cache entries this run read (taken or parsed): the rest go when it finishes.
    batches_used: frozenset[str] = frozenset()
    validation: dict = field(default_factory=dict)
    # The runs that wrote OUT_DIR before this one, oldest first (manifest.json ``history``).
    earlier_runs: tuple[dict, ...] = ()
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """A step run in the run's own process, on the case database: ``do`` takes the Run and returns the next."""

    name: str
    stage: str
    do: Callable[[Run], Run]


@dataclass(frozen=True)
class Parts:
    """A step of independent parts, each of which may run in another process or on another machine.

    ``plan`` lists the parts; ``part`` does one, given only the case settings (no file lists, see
    ``settings_for_batches``) and the run's paths; ``join`` hands their results on as the next Run.
    """

    name: str
    stage: str
    plan: Callable[[Run], list]
    part: Callable[[CaseConfig, Any, RunPaths], Any]
    join: Callable[[Run, list], Run]

    def do(self, run: Run) -> Run:
        """The parts one after the other, here."""
        settings = settings_for_batches(run.case)
        return self.join(run, [self.part(settings, item, run.paths) for item in self.plan(run)])


@dataclass(frozen=True)
class Beside:
    """A step on the case database that runs on a thread of its own beside the steps after it, up to
    the step named ``until``, which waits for it.

    It hands the Run on as it was (``_on_database``), and the steps beside it neither read nor write
    what it makes: only database work that needs nothing they make goes beside them. It has no stage
    of its own: its time shows in the ``until`` step's, which waits for it.
    """

    name: str
    do: Callable[[Run], Run]
    until: str


# prepare's stage: case.toml, the output folder, every input file's hash and header.
CHECK_STAGE = "check"


def prepare(
    case_dir: str | Path,
    out_dir: str | Path,
    lang: str = "zh",
    unmask: bool = False,
    limits: DatabaseLimits = DatabaseLimits(),
) -> Run:
    """Everything that can be checked before any evidence is loaded, once for the whole run.

    case.toml and OUT_DIR (one a run may replace); then OUT_DIR's lock is
    taken, the staging folder made, every input file's SHA-256 computed, the
    batches an earlier run parsed looked up in the cache, and the header of
    every other file checked against its kind (case-format.md; a cached
    file's header passed when it was parsed). The Run returned is what
    ``execute`` needs; nothing after this reads case.toml or a header again.
    """
    started = datetime.now(timezone.utc)
    case = load_case(case_dir)
    check_output(case, out_dir)
    paths = start_run(out_dir, lang, limits)
    try:
        contents: dict[tuple[int, str], bytes] = {}
        planned = plan_inputs(case, contents)
        readers = [(p.source_index, p.path, p.sha256) for p in planned if p.duplicate_of is None]
        cached = ingest_cache.reusable(paths.cache, case, readers)
        check_inputs(case, skip=_header_known(planned, cached), contents=contents)
    except BaseException:
        abandon_run(paths)
        raise
    return Run(uuid.uuid4().hex, case, paths, started, tuple(planned), lang=lang, unmask=unmask, cached=tuple(cached))


def _header_known(planned: list[PlannedFile], cached: list[ingest_cache.CachedBatch]) -> frozenset[tuple[int, str]]:
    """(source index, path) of the files whose header needs no check: a cached file's passed when it
    was parsed, and a copy of a file of the same source has that file's header."""
    read = {(p.source_index, p.path) for p in planned if p.duplicate_of is None}
    copies = {(p.source_index, p.path) for p in planned if (p.source_index, p.duplicate_of) in read}
    return frozenset(copies | {(batch.source_index, path) for batch in cached for path, _ in batch.files})


def check_inputs(
    case: CaseConfig,
    skip: frozenset[tuple[int, str]] = frozenset(),
    contents: dict[tuple[int, str], bytes] | None = None,
) -> None:
    """Every file's header (but ``skip``'s) against its kind, before anything is loaded (case-format.md);
    ``contents`` holds files ``plan_inputs`` read already."""
    for source in case.sources:
        batches.check_source(case, source, skip, contents)


def check_output(case: CaseConfig, out_dir: str | Path) -> None:
    """OUT_DIR is one a run may replace: absent, empty or an earlier output, outside the case folder."""
    outdir.check_output_folder(out_dir, case.case_dir)


def start_run(out_dir: str | Path, lang: str = "en", limits: DatabaseLimits = DatabaseLimits()) -> RunPaths:
    """Take OUT_DIR's lock (a second run into it is refused), clear leftovers, make the staging folder."""
    paths = RunPaths.for_output(out_dir, limits)
    outdir.lock(paths.out_dir)
    try:
        outdir.remove_stale(paths.out_dir, lang)
        if paths.staging_dir.exists():
            shutil.rmtree(paths.staging_dir)
        paths.scratch.mkdir(parents=True)
    except BaseException:
        outdir.unlock(paths.out_dir)
        raise
    return paths


# plan_inputs keeps the bytes of files up to this size for the header check (a 调单 return is a few kB).
KEEP_FOR_HEADER = 1 << 20


def plan_inputs(case: CaseConfig, contents: dict[tuple[int, str], bytes] | None = None) -> list[PlannedFile]:
    """Every file of every source, in source then path order; identical files (SHA-256) are read once.

    ``contents``, if given, receives the bytes of each file of at most KEEP_FOR_HEADER bytes, by
    (source index, path), for ``check_inputs``: 20,000 files were otherwise each opened twice.
    """
    planned: list[PlannedFile] = []
    first_by_hash: dict[str, str] = {}
    root = str(case.case_dir)  # a Path per file costs more than hashing a small one
    for source in case.sources:
        for rel_path in source.files:
            digest, size, data = ingest.counts.read_and_hash(os.path.join(root, rel_path), KEEP_FOR_HEADER)
            if contents is not None and data is not None:
                contents[(source.index, rel_path)] = data
            planned.append(
                PlannedFile(
                    source_index=source.index,
                    kind=source.kind,
                    path=rel_path,
                    sha256=digest,
                    file_order=len(planned) + 1,
                    duplicate_of=first_by_hash.get(digest),
                    size=size,
                )
            )
            first_by_hash.setdefault(digest, rel_path)
    return planned


def plan_batches(
    case: CaseConfig, planned: list[PlannedFile], cached: tuple[ingest_cache.CachedBatch, ...] = ()
) -> list[batches.IngestBatch]:
    """The files to parse (not the SHA-256 duplicates, not those of ``cached`` batches) in batches of one
    source and bounded size, each named by its cache key."""
    taken = {(b.source_index, path) for b in cached for path, _ in b.files}
    planned_batches = batches.plan_batches(
        case,
        [(p.source_index, p.path, p.sha256, p.size) for p in planned
         if p.duplicate_of is None and (p.source_index, p.path) not in taken],
    )
    keys = {source.index: ingest_cache.source_key(case, source) for source in case.sources}
    return [
        replace(b, name=ingest_cache.batch_key(keys[b.source_index], [(f.path, f.sha256) for f in b.files]))
        for b in planned_batches
    ]


def ingest_batch(case: CaseConfig, batch: batches.IngestBatch, paths: RunPaths) -> list[ingest.FileStats]:
    """Parse one batch into the cache beside OUT_DIR (a new entry, renamed into place whole)."""
    files = tuple((f.path, f.sha256) for f in batch.files)
    return ingest_cache.store(
        paths.cache, batch.name, batch.source_index, files,
        lambda work_dir, entry: batches.load_batch(case, batch, work_dir, named_in=entry),
    )


def settings_for_batches(case: CaseConfig) -> CaseConfig:
    """The case as an ingest batch needs it: without the sources' file lists, which each batch carries.

    What a batch task is sent (to a thread or a Dask worker) stays small however many files the case has.
    """
    return replace(case, sources=tuple(replace(s, files=()) for s in case.sources))


def file_stats(planned: list[PlannedFile], batch_stats: list[list[ingest.FileStats]]) -> list[ingest.FileStats | None]:
    """One entry per planned file, in plan order: its stats, or None for a file read once already."""
    by_path = {s.path: s for stats in batch_stats for s in stats}
    return [None if p.duplicate_of is not None else by_path[p.path] for p in planned]


def load_database(
    case: CaseConfig, planned: list[PlannedFile], stats: list[ingest.FileStats | None], paths: RunPaths
) -> None:
    """Landing tables from the Parquet files the batches wrote (named in ``stats``), plus input_files; then staging views."""
    read = [s for s in stats if s is not None]
    with _connect(case, paths) as con:
        for kind in KINDS:
            files = [s.landing_path for s in read if s.kind == kind]
            _load_parquet(con, f"landing_{kind}", files, ingest.landing_schema(kind))
        # A batch's files share its Parquet files: each path is looked at once.
        quarantine_files = {s.quarantine_path for s in read}
        _load_parquet(con, "landing_quarantine", list(quarantine_files), ingest.QUARANTINE_SCHEMA)
        # Identifier cells ingest normalised (issue 9): listed, loaded with the normalised value.
        _load_parquet(con, "normalised", [_normalised_path(q) for q in quarantine_files], ingest.cells.NORMALISED_SCHEMA)

        input_files = pl.DataFrame(
            [_input_file_row(p, s) for p, s in zip(planned, stats, strict=True)], schema=ingest.INPUT_FILES_SCHEMA
        )
        sqlrun.create_table(con, "input_files", input_files)
        sqlrun.create_table(con, "statement_summaries", ingest.statement_summaries(stats))
        sqlrun.build(con, [f"stg_{kind}" for kind in KINDS])
        review.apply_exclusions(con)  # rules.md §9: excluded rows leave every figure before anything is built on them


def check_roster(case: CaseConfig, paths: RunPaths) -> None:
    with _connect(case, paths) as con:
        sqlrun.build(con, ["roster_conflicts"])
        conflicts = con.execute(
            "select roster_row, other_row, problem from roster_conflicts order by all limit 5"
        ).fetchall()
    if conflicts:
        raise RosterError.of_conflicts(conflicts)


def build_transfers(case: CaseConfig, paths: RunPaths) -> None:
    """Postings → mirror pairs (one transfer seen from both accounts) → transfers, payments, returns."""
    with _connect(case, paths) as con:
        sqlrun.build(con, ["postings", "mirror_candidates"])
        pairs = match.max_matching(con.sql("select * from mirror_candidates").pl())
        sqlrun.create_table(
            con,
            "mirror_pairs",
            pairs.select(pl.col("left").alias("out_posting"), pl.col("right").alias("in_posting")),
        )
        sqlrun.build(con, ["transfers", "unplaced_postings", "case_payments", "case_returns", "statement_integrity"])


# Matching's steps as progress counts them: candidates, one-to-one pairing, split candidates, splits.
MATCH_STEPS = 4


def match_entries(case: CaseConfig, paths: RunPaths) -> None:
    """rules.md §3: one-to-one pairing first, then splits for what is left."""
    with _connect(case, paths) as con:
        progress.advance("match", 0, MATCH_STEPS, "steps")
        sqlrun.build(con, ["deposit_entries", "entry_candidates"])
        progress.advance("match", 1, MATCH_STEPS, "steps")
        singles = match.max_matching(con.sql("select * from entry_candidates").pl())
        sqlrun.create_table(con, "entry_single_matches", singles)
        progress.advance("match", 2, MATCH_STEPS, "steps")
        sqlrun.build(con, ["split_candidates"])
        candidates = con.sql("select * from split_candidates").pl()
        progress.advance("match", 3, MATCH_STEPS, "steps")
        open_entries = candidates.select("entry_id", pl.col("entry_amount").alias("amount"), "entry_order").unique()
        splits = match.find_splits(
            open_entries,
            candidates.select("entry_id", "payment_id", "payer_account", "ts", "amount"),
            case.matching.max_split,
            case.matching.amount_tolerance,
        )
        entry_matches = pl.concat(
            [
                singles.select(
                    pl.col("left").alias("entry_id"),
                    pl.col("right").alias("payment_id"),
                    pl.lit("single").alias("match_kind"),
                ),
                splits.select("entry_id", "payment_id", pl.lit("split").alias("match_kind")),
            ]
        )
        sqlrun.create_table(con, "entry_matches", entry_matches)
        review.add_linked_matches(con)
        progress.advance("match", MATCH_STEPS, MATCH_STEPS, "steps")


def build_marts(case: CaseConfig, paths: RunPaths) -> None:
    with _connect(case, paths) as con:
        sqlrun.build(con, FRAUD_MARTS)
        sqlrun.build(con, ["info_defendants", "info_record_checks"])


def build_traces(case: CaseConfig, paths: RunPaths) -> None:
    """rules.md §7: money followed onward from the receiving cards, lot by lot (needs only the transfers)."""
    with _connect(case, paths) as con:
        trace.build_traces(con, case)


def build_leads_and_recoveries(case: CaseConfig, paths: RunPaths) -> None:
    """rules.md §7-§8 on the traces and the marts: leads, bank requests, frozen money allotted to victims."""
    with _connect(case, paths) as con:
        trace.build_leads_and_recoveries(con, case)


def validate(case: CaseConfig, paths: RunPaths) -> dict:
    from fundtrail import validate as gx_validate  # GX import costs ~3 s; only runs that validate pay it

    return gx_validate.validate_database(paths.db, paths.staging_dir / "validation", timezone=case.timezone)


def compare_with_earlier(run: Run) -> Run:
    """``changes``: this run's figures against those of the earlier output in OUT_DIR, if it holds one.

    Read from OUT_DIR before this run's outputs move into place (outputs.md);
    the earlier manifest's history of runs is handed on to this run's.
    """
    earlier = outdir.earlier_manifest(run.paths.out_dir)
    before = changes.read_output(run.paths.out_dir) if earlier is not None else None
    with _connect(run.case, run.paths) as con:
        found = changes.compare(before, changes.read_figures(con)) if before is not None else changes.empty()
        sqlrun.create_table(con, "changes", found)
    return replace(run, earlier_runs=_earlier_runs(earlier))


def publish(run: Run) -> dict:
    """CSV + Parquet per table, the reports and manifest.json, all into the staging folder."""
    from fundtrail import publish as writer

    case, paths = run.case, run.paths
    with _connect(case, paths) as con:
        con.execute("SET TimeZone = ?", [case.timezone])
        summary = writer.summary(con, case, run.started, run.validation)
        summary["warnings"] = run_warnings(con, run.lang)
        summary["changes"] = writer.changes_summary(con, unmask=run.unmask)
        from_cache = {path for batch in run.cached for path, _ in batch.files}
        inputs = writer.input_controls(con)
        for item in inputs:
            if "duplicate_of" not in item:  # a duplicate is not read at all
                item["ingest"] = "cache" if item["path"] in from_cache else "parsed"
        summary["ingest"] = {
            "parsed": sum(i.get("ingest") == "parsed" for i in inputs),
            "from_cache": sum(i.get("ingest") == "cache" for i in inputs),
        }
        report_tables = writer.report_frames(con)
        with writer.tables_written_beside(con, OUTPUT_TABLES + AUDIT_TABLES, paths.staging_dir):
            writer.write_reports(report_tables, summary, paths.staging_dir, lang=run.lang, unmask=run.unmask)
        masked = writer.masked_manifest_parts(case.raw, inputs, writer.integrity(con))
    this_run = {
        "run_id": run.run_id,
        "started": summary["started"],
        "finished": summary["finished"],
        "code_version": summary["code_version"],
        **_inputs_digest(masked["inputs"]),
    }
    manifest = {
        "case_id": case.id,
        "title": case.title,
        "run_id": run.run_id,
        "started": summary["started"],
        "finished": summary["finished"],
        "code_version": summary["code_version"],
        "case_toml": masked["case_toml"],
        "warnings": summary["warnings"],
        "changes": {k: v for k, v in summary["changes"].items() if k != "lines"},
        "ingest": summary["ingest"],
        "inputs": masked["inputs"],
        "totals": summary["totals"],
        "statement_integrity": masked["statement_integrity"],
        "expectations": run.validation,
        "history": [*run.earlier_runs, this_run][-HISTORY_KEPT:],
    }
    writer.write_json(paths.staging_dir / "manifest.json", manifest)
    return summary


def finish_run(paths: RunPaths) -> Path:
    """Move the finished outputs into place; the previous outputs survive until this moment."""
    shutil.rmtree(paths.scratch, ignore_errors=True)
    out = paths.out_dir
    previous = out.parent / f".{out.name}.previous-{os.getpid()}"
    if out.exists():
        out.rename(previous)
    try:
        paths.staging_dir.rename(out)
    except OSError:
        if previous.exists() and not out.exists():
            previous.rename(out)
        raise
    if previous.exists():
        shutil.rmtree(previous)
    outdir.unlock(out)
    return out


def finished(run: Run) -> bool:
    """Whether this run's outputs are in place: OUT_DIR holds the manifest it wrote."""
    manifest = outdir.earlier_manifest(run.paths.out_dir)
    return manifest is not None and manifest.get("run_id") == run.run_id


def abandon_run(paths: RunPaths) -> None:
    shutil.rmtree(paths.staging_dir, ignore_errors=True)
    outdir.unlock(paths.out_dir)


# ---------------------------------------------------------------- the steps, in order


def _on_database(step: Callable[[CaseConfig, RunPaths], object]) -> Callable[[Run], Run]:
    """A step that only reads and writes the case database: it hands the Run on as it was."""

    def do(run: Run) -> Run:
        step(run.case, run.paths)
        return run

    do.__name__, do.__qualname__ = step.__name__, step.__qualname__
    return do


def _ingest_plan(run: Run) -> list[batches.IngestBatch]:
    return plan_batches(run.case, list(run.planned), run.cached)


def _ingest_join(run: Run, results: list[list[ingest.FileStats]]) -> Run:
    stats = file_stats(list(run.planned), [list(b.stats) for b in run.cached] + results)
    used = {b.key for b in run.cached} | {ingest_cache.entry_of(s) for parsed in results for s in parsed}
    return replace(run, stats=tuple(stats), batches_used=frozenset(used))


def _load(run: Run) -> Run:
    load_database(run.case, list(run.planned), list(run.stats), run.paths)
    return run


def _validate(run: Run) -> Run:
    return replace(run, validation=validate(run.case, run.paths))


def _publish(run: Run) -> Run:
    return replace(run, summary=publish(run))


def _finish(run: Run) -> Run:
    finish_run(run.paths)
    ingest_cache.prune(run.paths.cache, set(run.batches_used))
    return run


# The step that needs Great Expectations, and the one ``preload_validation`` starts importing it
# before, in a case of more than one batch: after ingest, whose Python half the import would take
# the GIL from (see there).
VALIDATE_STEP = "validate"
PRELOAD_STEP = "load DuckDB"
LEADS_STEP = "leads and recoveries"
STEPS: tuple[Step | Parts | Beside, ...] = (
    Parts("ingest batch", "ingest", _ingest_plan, ingest_batch, _ingest_join),
    Step(PRELOAD_STEP, "load", _load),
    Step("check roster", "load", _on_database(check_roster)),
    Step("transfers", "transfers", _on_database(build_transfers)),
    # Following the money is mostly Python (one core), matching and the marts DuckDB's: side by side.
    Beside("traces", _on_database(build_traces), until=LEADS_STEP),
    Step("match entries", "match", _on_database(match_entries)),
    Step("marts", "marts", _on_database(build_marts)),
    Step("check invariants", "marts", _on_database(controls.check_invariants)),
    # No suite reads what tracing makes: validation goes on while the traces may still be followed.
    Step(VALIDATE_STEP, "validate", _validate),
    Step(LEADS_STEP, "tracing", _on_database(build_leads_and_recoveries)),
    Step("changes", "publish", compare_with_earlier),
    Step("publish", "publish", _publish),
    Step("finish", "publish", _finish),
)
# The stages a run reports, in order: prepare's, then the steps'.
STAGES: tuple[str, ...] = (CHECK_STAGE, *dict.fromkeys(step.stage for step in STEPS if not isinstance(step, Beside)))


def execute(
    run: Run,
    perform: Callable[[Step | Parts | Beside, Run], Run] = lambda step, run: step.do(run),
    on_stage: Callable[[str], None] = lambda stage: None,
    through: str | None = None,
) -> Run:
    """STEPS in order, each through ``perform`` (here by default; the flow makes each a Prefect task).

    ``on_stage`` hears each stage as it begins. ``through`` stops after the
    step of that name (and whatever runs beside it) and leaves the staging
    folder (and its case.duckdb) for the caller; otherwise the last step moves
    the outputs into place. On any failure the staging folder is removed and
    OUT_DIR stays as it was.
    """
    if through is not None and through not in {step.name for step in STEPS}:
        raise ValueError(f"no step named {through!r}")
    names = [step.name for step in STEPS]
    validates = VALIDATE_STEP in names[: names.index(through) + 1 if through else None]
    preload_before = PRELOAD_STEP if _parsed_bytes(run) > batches.BATCH_BYTES else STEPS[0].name
    stage = None
    try:
        with _fewer_collections(), _StepsBeside() as beside:
            for step in STEPS:
                beside.wait_for(step.name)
                if isinstance(step, Beside):
                    beside.start(step, perform, run)
                else:
                    if step.stage != stage:
                        stage = step.stage
                        on_stage(stage)
                    if validates and step.name == preload_before:
                        preload_validation()
                    run = perform(step, run)
                if step.name == through:
                    break
    except BaseException:
        abandon_run(run.paths)
        raise
    return run


class _StepsBeside:
    """The ``Beside`` steps running, each on its thread, until the step it is waited for by.

    Leaving waits for every one still running, so no thread is left writing to a staging folder
    a failed run removes, and raises the first failure among them, unless one is raised already.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(thread_name_prefix="fundtrail-beside")
        self._running: dict[str, list[Future]] = {}

    def start(self, step: Beside, perform: Callable[[Beside, Run], Run], run: Run) -> None:
        # In the thread's copy of this context: a Prefect flow's task runs find their flow run in it.
        done = self._pool.submit(contextvars.copy_context().run, perform, step, run)
        self._running.setdefault(step.until, []).append(done)

    def wait_for(self, name: str) -> None:
        for done in self._running.pop(name, []):
            done.result()

    def __enter__(self) -> _StepsBeside:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        running = [done for waiting in self._running.values() for done in waiting]
        self._pool.shutdown(wait=True)
        if error is None:
            for done in running:
                done.result()


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Python's cycle collector at a higher threshold while the steps run.

    A run makes millions of small objects that live until its step ends (GX's metric graphs,
    the report's rows, Prefect's task records); at the default threshold of 700 new objects
    the collector walked them about 1,700 times, 1.8 s of a 20,000-file run, to find almost
    no cycles. Every 50,000 it runs about 135 times (0.3 s); the threshold is the process's,
    so it is put back afterwards.
    """
    before = gc.get_threshold()
    gc.set_threshold(50_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@functools.cache
def preload_validation() -> None:
    """``fundtrail.validate.preload`` (Great Expectations' import, about 3 s of CPU) on a thread
    while the steps before validation run; once a process (a second call finds it started).

    A caller with time to spare before the steps may start it earlier: the CLI does while
    Prefect's temporary server starts in a process of its own.

    Load and the SQL steps spend most of their time in DuckDB, which releases the GIL, so on a
    second core the import costs the run little wall time; the validate step then finds the
    module imported, or waits on Python's import lock for the thread to finish it. It starts
    after ingest: ingest is half Python (decoding, per-file stats), and the import, pure
    Python too, took the GIL from it (20,000 files: ingest 5.9 s wall beside the import). A case
    of one batch or less starts it before ingest: there the steps before validation take less time
    than the import, which is then what validation waits for.
    """
    from fundtrail import validate  # sets GX's environment in this thread, before the import

    threading.Thread(target=validate.preload, name="fundtrail-preload-validation", daemon=True).start()


def _parsed_bytes(run: Run) -> int:
    """The bytes of the case's evidence, each file that repeats another counted once: how long the
    steps after ingest take grows with it."""
    return sum(p.size for p in run.planned if p.duplicate_of is None)


def run_case(
    case_dir: str | Path,
    out_dir: str | Path,
    lang: str = "zh",
    unmask: bool = False,
    on_stage: Callable[[str], None] = lambda stage: None,
    limits: DatabaseLimits = DatabaseLimits(),
) -> dict:
    """The whole run here, without Prefect; returns the run summary."""
    on_stage(CHECK_STAGE)
    run = prepare(case_dir, out_dir, lang=lang, unmask=unmask, limits=limits)
    return execute(run, on_stage=on_stage).summary


# ---------------------------------------------------------------- helpers


def _connect(case: CaseConfig, paths: RunPaths) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(paths.db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET temp_directory = ?", [str(paths.scratch / "duckdb_tmp")])
    con.execute("SET memory_limit = ?", [paths.limits.memory_limit])
    if paths.limits.threads is not None:
        con.execute("SET threads = ?", [paths.limits.threads])
    m = case.matching
    sqlrun.set_parameters(
        con,
        {
            "case_tz": case.timezone,
            "currency": case.currency,
            "window_minutes": m.window_minutes,
            "mirror_window_minutes": m.mirror_window_minutes,
            "max_split": m.max_split,
            "ledger_window_days": m.ledger_window_days,
            "insiders": list(case.insiders),
        },
    )
    con.execute("SET VARIABLE amount_tolerance = ?::DECIMAL(18, 2)", [str(m.amount_tolerance)])
    con.execute(
        "SET VARIABLE liability = MAP(?::VARCHAR[], ?::VARCHAR[])",
        [list(case.liability), list(case.liability.values())],
    )
    return con


def _load_parquet(con: duckdb.DuckDBPyConnection, name: str, files: list[Path | None], schema: dict) -> None:
    """One table from the Parquet files the batches wrote; empty, with its columns, when none."""
    files = sorted({f for f in files if f is not None})
    if files:
        con.execute(
            f"create or replace table {name} as select * from read_parquet(?, union_by_name = true)",
            [[str(f) for f in files]],
        )
    else:
        sqlrun.create_table(con, name, pl.DataFrame(schema=schema))


def _normalised_path(quarantine_path: Path | None) -> Path | None:
    """The normalised-cells Parquet ingest wrote beside a quarantine Parquet (``ingest.write_parsed_rows``)."""
    if quarantine_path is None:
        return None
    return quarantine_path.parent.parent / "normalised" / quarantine_path.name


def _input_file_row(planned: PlannedFile, stats: ingest.FileStats | None) -> dict:
    """A file skipped as identical to an earlier one contributes no rows of its own here."""
    zero = Decimal("0.00")
    return {
        "path": planned.path,
        "sha256": planned.sha256,
        "kind": planned.kind,
        "source_index": planned.source_index,
        "file_order": planned.file_order,
        "rows_read": stats.rows_read if stats else 0,
        "rows_quarantined": stats.rows_quarantined if stats else 0,
        "amount_in": stats.amount_in if stats else zero,
        "amount_out": stats.amount_out if stats else zero,
        "amount_quarantined": stats.amount_quarantined if stats else zero,
        "placeholder_cells": stats.placeholder_cells if stats else 0,
        "blank_rows": stats.blank_rows if stats else 0,
        "footer_rows": stats.footer_rows if stats else 0,
        "preset": stats.preset if stats else None,
        "account_from": stats.account_from if stats else None,
        "duplicate_of": planned.duplicate_of,
    }


def _earlier_runs(earlier: dict | None) -> tuple[dict, ...]:
    """The history an earlier manifest kept; one written before runs kept a history stands for itself."""
    if earlier is None:
        return ()
    if isinstance(earlier.get("history"), list):
        return tuple(earlier["history"])
    inputs = earlier.get("inputs") if isinstance(earlier.get("inputs"), list) else []
    return (
        {
            "run_id": earlier.get("run_id"),
            "started": earlier.get("started"),
            "finished": earlier.get("finished"),
            "code_version": earlier.get("code_version"),
            **_inputs_digest(inputs),
        },
    )


def _inputs_digest(inputs: list[dict]) -> dict:
    """How many input files a run read, and one SHA-256 over them: of the lines ``path<TAB>sha256``,
    sorted, as manifest.json's ``inputs`` shows them (so anyone can recompute it from the manifest)."""
    lines = sorted(f"{i.get('path')}\t{i.get('sha256')}\n" for i in inputs if isinstance(i, dict))
    return {"inputs": len(lines), "inputs_sha256": hashlib.sha256("".join(lines).encode()).hexdigest()}
