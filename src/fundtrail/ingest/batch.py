"""Many evidence files → one landing Parquet per batch, with every file's own facts kept exact.

A 调单 case is tens of thousands of files of a few dozen rows. Parsing them
one by one costs a polars query plan per file (the plan, not the rows, is
what a small file pays for), a scratch copy and two Parquet files each.
Here the planned files are grouped into batches (one source, a bounded
number of bytes); a batch is decoded file by file in memory, the files that
share a header row are concatenated with their file index folded into
``source_row``, and the ordinary parse of ``ingest.parse.parse_rows`` runs once over
them. The per-file facts (rows read, loaded, quarantined, blank and footer
rows, control totals, placeholders, what a preamble states) come from one
group-by on the file index. A file the fast path cannot take (a spreadsheet,
a quoted field spanning lines, quoting polars rejects) is read by the
single-file reader and joins its group all the same.
"""

from __future__ import annotations

import codecs
import functools
import os
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from fundtrail.config import CaseConfig, Source
from fundtrail.errors import InputSchemaError
from fundtrail.ingest.counts import FileStats, decimal, read_bytes, stated_summary
from fundtrail.ingest.mapping import map_columns, split_positions, with_split_columns
from fundtrail.ingest.parse import parse_rows, stats_money_column, write_parsed_rows
from fundtrail.ingest.readers import (
    SPREADSHEET_FORMATS,
    Layout,
    RawTable,
    _codec,
    clean_header,
    csv_cells,
    decode_whole,
    layout_of,
    layout_reads_file,
    read_header_texts,
    read_table,
    undecodable,
)

# About 100 bytes a statement row: ~80,000 rows a batch, small enough to parse
# in well under a second and to keep a batch's memory far below a worker's.
BATCH_BYTES = 8 << 20
# A file's index sits above its row number in source_row while the batch is parsed.
FILE_STRIDE = 1 << 32


@dataclass(frozen=True)
class BatchFile:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class IngestBatch:
    """Files of one source, in plan order; ``name`` names its Parquet files.

    ``texts``: each file's text as ``check_source`` decoded it from the bytes its SHA-256 was taken
    of (or None: read and decoded again here), for this process only: a batch sent to another
    (a Dask worker) goes without them, and its files are read there. ``load_batch`` takes them
    (``take_texts``), so they go as the batch is read, whoever still holds the batch.
    """

    name: str
    source_index: int
    files: tuple[BatchFile, ...]
    texts: list[str | None] = field(default_factory=list, compare=False, repr=False)

    def take_texts(self) -> list[str | None]:
        """The texts, one per file (None where there is none), once: the batch keeps none of them."""
        taken = self.texts[:] or [None] * len(self.files)
        self.texts.clear()
        return taken

    def __getstate__(self) -> dict:
        return {**self.__dict__, "texts": []}


def plan_batches(
    case: CaseConfig,
    files: Iterable[tuple[int, str, str] | tuple[int, str, str, int]],
    max_bytes: int | None = None,
    decoded: MutableMapping[tuple[int, str], str] | None = None,
) -> list[IngestBatch]:
    """(source index, path, sha256[, size]) in plan order → batches of one source, each at most ``max_bytes``
    (or one file). A file whose size is not given is looked at on disk.

    ``max_bytes`` defaults to BATCH_BYTES as it stands when called. ``decoded``: the texts
    ``check_source`` decoded, by (source index, path); each goes with its file's batch, and the
    mapping is left empty (its texts are the batches' now, and go when they do).
    """
    max_bytes = BATCH_BYTES if max_bytes is None else max_bytes
    decoded = {} if decoded is None else decoded
    batches: list[IngestBatch] = []
    current: list[BatchFile] = []
    texts: list[str | None] = []
    current_source = None
    size = 0

    def close() -> None:
        if current:
            number = sum(b.source_index == current_source for b in batches) + 1
            kept = texts if any(t is not None for t in texts) else []
            batches.append(IngestBatch(f"{current_source:03d}-b{number:05d}", current_source, tuple(current), kept))

    root = str(case.case_dir)
    for source_index, rel_path, sha256, *known_size in files:
        file_size = known_size[0] if known_size else os.stat(os.path.join(root, rel_path)).st_size
        if current and (source_index != current_source or size + file_size > max_bytes):
            close()
            current, texts, size = [], [], 0
        current_source = source_index
        current.append(BatchFile(rel_path, sha256, file_size))
        texts.append(decoded.pop((source_index, rel_path), None))
        size += file_size
    close()
    decoded.clear()  # the texts of files no batch reads (a copy of a file of another source)
    return batches


def check_source(
    case: CaseConfig,
    source: Source,
    skip: frozenset[tuple[int, str]] = frozenset(),
    contents: Mapping[tuple[int, str], bytes] | None = None,
    decoded_into: MutableMapping[tuple[int, str], str] | None = None,
) -> None:
    """``ingest.check_file`` for every file of ``source`` but those ``skip`` names (source index, path),
    the column mapping worked out once per header row. ``contents``: bytes of files already read,
    by (source index, path); the others are opened here. A CSV among them is decoded whole, and
    ``decoded_into`` (if given) receives its text by the same key, for ``plan_batches``."""
    layouts = _Layouts(case, source)
    checked: set[tuple] = set()
    contents = contents or {}
    for rel_path in source.files:
        if (source.index, rel_path) in skip:
            continue
        layout = layouts.of(rel_path)
        data: bytes | str | None = contents.get((source.index, rel_path))
        if data is not None and layout.format not in SPREADSHEET_FORMATS:
            text = decode_whole(data, layout)
            if text is not None:
                data = text
                if decoded_into is not None:
                    decoded_into[(source.index, rel_path)] = text
        headers = read_header_texts(layouts.file(rel_path), rel_path, layout, data)
        key = (tuple(headers), layouts.parse_key(rel_path, layout))
        if key not in checked:
            map_columns(source, layout, headers, rel_path)
            split_positions(layout, headers, rel_path)
            checked.add(key)


@dataclass
class _Read:
    """One file as read: its layout, header texts and either its body text (fast path) or its cells."""

    index: int
    file: BatchFile
    layout: Layout
    headers: list[str]
    header_line: str = ""
    body: str = ""
    lines: int = 0
    first_line: int = 0
    cells: pl.DataFrame | None = None


def load_batch(case: CaseConfig, batch: IngestBatch, work_dir: Path, named_in: Path | None = None) -> list[FileStats]:
    """Parse every file of ``batch``; write landing/<kind>/, quarantine/ and normalised/<name>.parquet.

    ``named_in``: the folder ``work_dir`` will be moved to, where the stats' paths are to point.
    """
    source = case.sources[batch.source_index - 1]
    work_dir = Path(work_dir)
    layouts = _Layouts(case, source)
    texts = batch.take_texts()
    reads = [_read(case, layouts, i, f, work_dir, text) for i, (f, text) in enumerate(zip(batch.files, texts, strict=True))]
    groups: dict[tuple, list[_Read]] = {}
    for r in reads:
        groups.setdefault((tuple(r.headers), layouts.parse_key(r.file.path, r.layout)), []).append(r)
    parsed = pl.concat([_parse_group(case, source, group, work_dir) for group in groups.values()], how="vertical")

    paths = pl.Series([f.path for f in batch.files], dtype=pl.String)
    parsed = parsed.with_columns((pl.col("source_row") // FILE_STRIDE).alias("_file")).with_columns(
        pl.col("_file").replace_strict(range(len(paths)), paths, return_dtype=pl.String).alias("source"),
        (pl.col("source_row") % FILE_STRIDE).alias("source_row"),
    )
    rows = parsed.filter(~pl.col("_blank") & ~pl.col("_footer"))
    _, _, landing_path, quarantine_path = write_parsed_rows(rows, source.kind, work_dir, batch.name)
    if named_in is not None:
        landing_path = Path(named_in) / landing_path.relative_to(work_dir)
        quarantine_path = Path(named_in) / quarantine_path.relative_to(work_dir)

    facts = _file_facts(parsed, source.kind)
    stats = []
    for r in reads:
        fact = facts.get(r.index, {})
        read, loaded, quarantined = fact.get("rows_read", 0), fact.get("rows_loaded", 0), fact.get("rows_quarantined", 0)
        stated = stated_summary(r.layout.stated, source.timezone)
        stats.append(
            FileStats(
                path=r.file.path,
                sha256=r.file.sha256,
                kind=source.kind,
                source_index=source.index,
                rows_read=read,
                rows_loaded=loaded,
                rows_quarantined=quarantined,
                amount_in=decimal(fact.get("amount_in")),
                amount_out=decimal(fact.get("amount_out")),
                amount_quarantined=decimal(fact.get("amount_quarantined")),
                placeholder_cells=fact.get("placeholder_cells", 0),
                blank_rows=fact.get("blank_rows", 0),
                landing_path=landing_path,
                quarantine_path=quarantine_path,
                footer_rows=fact.get("footer_rows", 0),
                preset=r.layout.preset.name if r.layout.preset else None,
                account_no=r.layout.account_no,
                account_from=r.layout.account_from,
                stated_summary=stated,
                row_summary=_row_summary(fact) if stated and "_flow" in parsed.columns else {},
            )
        )
    return stats


class _Layouts:
    """Each file's layout; without a preset it depends only on the file ending, so it is worked out once per ending.

    Paths stay text here: a case of 20,000 files would build a Path per file and use several times over.
    """

    def __init__(self, case: CaseConfig, source: Source) -> None:
        self.source = source
        self.root = str(case.case_dir)
        self.by_suffix: dict[str, Layout] = {}
        self.per_file = layout_reads_file(source)
        self.keys: dict[str, str] = {}

    def file(self, rel_path: str) -> str:
        """The file's path on disk."""
        return os.path.join(self.root, rel_path)

    def of(self, rel_path: str) -> Layout:
        """The file's layout; with a preset or header names to look for, read from the file's head."""
        if self.per_file:
            return layout_of(self.source, rel_path, Path(self.file(rel_path)))
        suffix = _suffix(rel_path)
        if suffix not in self.by_suffix:
            self.by_suffix[suffix] = layout_of(self.source, rel_path)
        return self.by_suffix[suffix]

    def parse_key(self, rel_path: str, layout: Layout) -> str:
        """``_parse_key`` of the file's layout, once per ending when the layout is the ending's."""
        if self.per_file:
            return _parse_key(layout)
        suffix = _suffix(rel_path)
        if suffix not in self.keys:
            self.keys[suffix] = _parse_key(layout)
        return self.keys[suffix]


def _suffix(rel_path: str) -> str:
    """``Path(rel_path).suffix.lower()`` of a case-relative path (always with '/'), without making a Path."""
    name = rel_path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


@functools.lru_cache(maxsize=256)
def _header_cells(header_line: str) -> tuple[str, ...]:
    """A header line's cleaned cells; the files of one export share a handful of header lines."""
    return tuple(clean_header(h) for h in header_line.split(","))


def _parse_key(layout: Layout) -> str:
    """What the parse of a file depends on: its layout but for how the file is read (encoding,
    preamble rows) and what its preamble states, which the batch keeps per file."""
    return repr(replace(layout, encoding="", skip_rows=0, stated={}, account_from=None))


def _read(case: CaseConfig, layouts: _Layouts, index: int, file: BatchFile, work_dir: Path, text: str | None) -> _Read:
    """Decode in memory (unless ``text`` is the file's, decoded already) and cut off the preamble;
    spreadsheets go to the single-file reader."""
    layout = layouts.of(file.path)
    if layout.format in SPREADSHEET_FORMATS:
        return _read_whole(case, index, file, layout, work_dir)
    if text is None:
        data = read_bytes(layouts.file(file.path))
        try:
            text = codecs.decode(data, _codec(layout.encoding))
        except UnicodeDecodeError as exc:
            raise undecodable(file.path, layout, exc) from None
    parts = text.split("\n", layout.skip_rows + 1)
    if len(parts) <= layout.skip_rows or (len(parts) == layout.skip_rows + 1 and not parts[-1]):
        raise InputSchemaError(code="readers.no_header_line", path=file.path, line=layout.skip_rows + 1)
    header_line = parts[layout.skip_rows].rstrip("\r")
    body = parts[layout.skip_rows + 1] if len(parts) > layout.skip_rows + 1 else ""
    if '"' in header_line:
        return _read_whole(case, index, file, layout, work_dir)
    headers = list(_header_cells(header_line))
    lines = body.count("\n")
    if body and not body.endswith("\n"):
        body += "\n"
        lines += 1
    return _Read(index, file, layout, headers, header_line, body, lines, layout.skip_rows + 2)


def _read_whole(case: CaseConfig, index: int, file: BatchFile, layout: Layout, work_dir: Path) -> _Read:
    scratch = work_dir / "batch-scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    table = read_table(case.case_dir / file.path, file.path, layout, scratch)
    return _Read(index, file, layout, table.headers, cells=table.cells)


def _parse_group(case: CaseConfig, source: Source, group: list[_Read], work_dir: Path) -> pl.DataFrame:
    """One parse over every file of the group (same header row, same layout); the file index rides in source_row."""
    fast = [r for r in group if r.cells is None]
    whole = [r for r in group if r.cells is not None]
    frames = []
    if fast:
        cells = _fast_cells(fast)
        if cells is None:
            # A quoted field spans lines, or polars rejects the quoting: each file on its own.
            whole += [_read_whole(case, r.index, r.file, r.layout, work_dir) for r in fast]
        else:
            frames.append(cells)
    frames += [r.cells.with_columns(pl.col("source_row") + r.index * FILE_STRIDE) for r in whole]
    first = group[0]
    table = RawTable(first.headers, pl.concat(frames, how="diagonal_relaxed"))
    positions = map_columns(source, first.layout, table.headers, first.file.path)
    table, positions = with_split_columns(table, positions, first.layout, first.file.path)
    return parse_rows(table, positions, first.layout, source, case, first.file.path)


def _fast_cells(fast: list[_Read]) -> pl.DataFrame | None:
    """The bodies of files sharing a header row, parsed in one polars call; None if records ≠ lines."""
    text = fast[0].header_line + "\n" + "".join(r.body for r in fast)
    # The one-file reader's CSV cells, so a row wider than its header keeps its extra fields and is
    # quarantined as a ragged row in a batch too.
    cells = csv_cells(text.encode("utf-8"), '"' in text)
    if cells is None:
        return None
    cells = cells.slice(1)
    counts = pl.Series([r.lines for r in fast], dtype=pl.Int64)
    if cells.height != counts.sum():
        return None
    numbering = pl.DataFrame(
        {"file": [r.index for r in fast], "start": [r.first_line for r in fast], "n": counts},
        schema={"file": pl.Int64, "start": pl.Int64, "n": pl.Int64},
    ).select(
        (pl.col("file") * FILE_STRIDE + pl.col("start")).repeat_by("n").explode()
        + pl.int_ranges(0, "n").explode()
    )
    return cells.with_columns(numbering.to_series().alias("source_row"))


def _file_facts(parsed: pl.DataFrame, kind: str) -> dict[int, dict[str, object]]:
    """Per file index: the counts and control totals FileStats carries, in one group-by."""
    rows = ~pl.col("_blank") & ~pl.col("_footer")
    failed = pl.col("_failure").is_not_null()
    loaded = rows & ~failed
    money = stats_money_column(kind)
    aggregates = [
        rows.sum().alias("rows_read"),
        loaded.sum().alias("rows_loaded"),
        (rows & failed).sum().alias("rows_quarantined"),
        pl.col("_blank").sum().alias("blank_rows"),
        (~pl.col("_blank") & pl.col("_footer")).sum().alias("footer_rows"),
    ]
    placeholders = [c for c in parsed.columns if c.startswith("_placeholder_")]
    if placeholders:
        aggregates.append(
            pl.sum_horizontal(pl.col(placeholders).cast(pl.Int64)).filter(rows).sum().alias("placeholder_cells")
        )
    if money is not None:
        amount = pl.col(money)
        if kind == "bank_statement":
            aggregates.append(amount.filter(loaded & (amount > 0)).sum().alias("amount_in"))
            aggregates.append((-amount.filter(loaded & (amount < 0))).sum().alias("amount_out"))
        else:
            aggregates.append(amount.filter(loaded).sum().alias("amount_in"))
        aggregates.append(pl.col("_amount_abs").filter(rows & failed).sum().alias("amount_quarantined"))
    if "_flow" in parsed.columns:
        for item, flow in (("in", pl.col("_flow") == "in"), ("out", pl.col("_flow") == "out"),
                           ("neutral", pl.col("_flow").is_null())):
            aggregates.append((rows & flow).sum().alias(f"{item}_count"))
            aggregates.append(pl.col("_amount_abs").filter(rows & flow).sum().alias(f"{item}_amount"))
    facts = parsed.group_by("_file").agg(aggregates)
    return {row["_file"]: row for row in facts.iter_rows(named=True)}


def _row_summary(fact: dict[str, object]) -> dict[str, object]:
    """The items ``ingest.counts._row_summary`` counts for one file."""
    summary: dict[str, object] = {"count": fact.get("rows_read", 0)}
    for item in ("in", "out", "neutral"):
        summary[f"{item}_count"] = fact.get(f"{item}_count", 0)
        summary[f"{item}_amount"] = decimal(fact.get(f"{item}_amount"))
    return summary
