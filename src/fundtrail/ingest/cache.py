"""Parsed batches kept beside OUT_DIR, so that a rerun parses only the files that are new (docs/scale.md).

Bank returns arrive over weeks, and each run into the same OUT_DIR reads
the whole case again. What ingest writes for a batch (its landing,
quarantine and normalised Parquet, and each file's FileStats) is kept in
``.<OUT_DIR name>.cache/<key>/`` beside OUT_DIR. The key is a SHA-256 of
everything the batch's parse depends on: fundtrail's code, the case
currency, the [[source]]'s settings and each file's path and SHA-256.

A later run reuses every cached batch whose files are all still read, by
the same source and unchanged, and parses the rest in new batches. Adding
a file therefore makes one new batch and leaves every other batch's Parquet
as it is; a file changed or removed has the other files of its batch
parsed again with it. After a run finishes, the batches it did not use are
removed, so the cache holds one copy of the case's parsed rows. A batch is
written in a hidden folder and renamed into place whole, so a run that dies
mid-batch leaves nothing half-written to reuse. Everything here runs under
OUT_DIR's lock.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from fundtrail.config import CaseConfig, Source
from fundtrail.ingest.counts import FileStats

STATS_FILE = "stats.json"
# Bumped when the layout of a cache entry changes; an entry of another format is not read.
FORMAT = 2
# A FileStats as stats.json keeps it: its values in the order of its fields, named once per entry
# (20,000 records of named fields were a tenth of the ingest of a 20,000-file case).
STATS_FIELDS = [f.name for f in dataclasses.fields(FileStats)]


@dataclass(frozen=True)
class CachedBatch:
    """A batch parsed by an earlier run: its files (path, sha256) and their stats, paths into the cache."""

    key: str
    source_index: int
    files: tuple[tuple[str, str], ...]
    stats: tuple[FileStats, ...]


def cache_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.cache"


@functools.cache
def code_digest() -> str:
    """A SHA-256 over fundtrail's own source files: any change of the code leaves every cached batch unused.

    Narrower would be which modules a parse reads, but getting that wrong
    would reuse rows an older parser wrote; an upgrade costs one cold run.
    """
    import fundtrail

    root = Path(fundtrail.__file__).parent
    digest = hashlib.sha256(fundtrail.__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in {".py", ".toml"} and p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_key(case: CaseConfig, source: Source) -> str:
    """What a parse of ``source``'s files depends on besides the files: code, currency, the [[source]] itself."""
    settings = repr(replace(source, files=()))
    return hashlib.sha256(f"{FORMAT}\n{code_digest()}\n{case.currency}\n{settings}".encode()).hexdigest()


def batch_key(source_key_: str, files: Iterable[tuple[str, str]]) -> str:
    """The cache key of a batch of (path, sha256), read with the source settings ``source_key_``."""
    lines = "".join(f"{path}\t{sha256}\n" for path, sha256 in files)
    return hashlib.sha256(f"{source_key_}\n{lines}".encode()).hexdigest()[:32]


def reusable(folder: Path, case: CaseConfig, readers: Iterable[tuple[int, str, str]]) -> list[CachedBatch]:
    """The cached batches a run of ``case`` can take whole: every file still read, by the same source,
    with the same content and settings. ``readers`` are (source index, path, sha256) of the files to read.

    Two entries that share a file (left by a run that failed) cannot both be taken: the larger wins,
    then the smaller key, so the choice does not depend on the order of the folder.
    """
    current = {(source_index, path): sha256 for source_index, path, sha256 in readers}
    keys = {source.index: source_key(case, source) for source in case.sources}
    chosen: list[CachedBatch] = []
    taken: set[tuple[int, str]] = set()
    for batch in sorted(_entries(folder), key=lambda b: (-len(b.files), b.key)):
        if batch.source_index not in keys or batch_key(keys[batch.source_index], batch.files) != batch.key:
            continue  # the source's settings or the code changed since
        files = {(batch.source_index, path) for path, _ in batch.files}
        if files & taken or any(current.get((batch.source_index, path)) != sha for path, sha in batch.files):
            continue
        chosen.append(batch)
        taken |= files
    return sorted(chosen, key=lambda b: (b.source_index, b.key))


def store(folder: Path, key: str, source_index: int, files: tuple[tuple[str, str], ...],
          parse: Callable[[Path, Path], list[FileStats]]) -> list[FileStats]:
    """``parse(work, final)`` writes into a hidden folder ``work``, its stats naming the files as they
    will be in ``final`` (``folder/key``), which it is then renamed to."""
    final = Path(folder) / key
    work = Path(folder) / f".tmp-{key}-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        stats = parse(work, final)
        shutil.rmtree(work / "batch-scratch", ignore_errors=True)  # spreadsheets' converted copies
        in_entry = functools.lru_cache(maxsize=None)(lambda path: path.relative_to(final).as_posix())
        entry = {
            "format": FORMAT,
            "key": key,
            "source_index": source_index,
            "files": [list(f) for f in files],
            "fields": STATS_FIELDS,
            "stats": [_stats_record(stat, in_entry) for stat in stats],
        }
        (work / STATS_FILE).write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        if final.exists():  # the same key is the same content: an entry a failed run left
            shutil.rmtree(final)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return stats


def entry_of(stat: FileStats) -> str:
    """The key of the cache entry a file's stats point into (``<key>/quarantine/<key>.parquet``)."""
    return stat.quarantine_path.parent.parent.name


def prune(folder: Path, keep: set[str]) -> None:
    """Remove every entry but ``keep`` (and any hidden leftover of an interrupted batch)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def _entries(folder: Path) -> list[CachedBatch]:
    """Every readable entry of the cache; an unreadable or incomplete one is skipped (and pruned later)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            record = json.loads((entry / STATS_FILE).read_text(encoding="utf-8"))
            if (record.get("format"), record.get("key"), record.get("fields")) != (FORMAT, entry.name, STATS_FIELDS):
                continue
            # A batch's files share its few Parquet files: each path is made and looked for once.
            paths = functools.lru_cache(maxsize=None)(lambda relative, entry=entry: entry / relative)
            stats = tuple(_stats_from_record(r, paths) for r in record["stats"])
            if not all(p.is_file() for s in stats for p in {s.landing_path, s.quarantine_path}):
                continue
            files = tuple((str(path), str(sha)) for path, sha in record["files"])
            found.append(CachedBatch(entry.name, int(record["source_index"]), files, stats))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return found


def _stats_record(stat: FileStats, in_entry: Callable[[Path], str]) -> list:
    """FileStats as JSON (its values in STATS_FIELDS order), every value typed so that it reads back
    equal (Decimal, datetime, paths in the entry)."""
    # vars() is the fields in order; a batch writes this for each of thousands of files.
    return [
        value if type(value) in _AS_THEY_ARE else in_entry(value) if isinstance(value, Path) else _typed(value)
        for value in vars(stat).values()
    ]


# What JSON keeps as it is (bool is not among them: FileStats has no bool; _typed takes one all the same).
_AS_THEY_ARE = frozenset({str, int, type(None)})


def _stats_from_record(record: list, in_entry: Callable[[str], Path]) -> FileStats:
    values = {name: _untyped(value) for name, value in zip(STATS_FIELDS, record, strict=True)}
    for name in ("landing_path", "quarantine_path"):
        values[name] = in_entry(values[name])
    return FileStats(**values)


def _typed(value: object) -> object:
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dict):
        return {"dict": {k: _typed(v) for k, v in value.items()}}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot keep {type(value).__name__} in the ingest cache")


def _untyped(value: object) -> object:
    if isinstance(value, dict):
        [(tag, inner)] = value.items()
        if tag == "decimal":
            return Decimal(inner)
        if tag == "datetime":
            return datetime.fromisoformat(inner)
        if tag == "dict":
            return {k: _untyped(v) for k, v in inner.items()}
        raise ValueError(f"unknown tag {tag}")
    return value
