"""Evidence file → header texts + a frame of raw text cells, each row tagged with its physical row.

Everything is read as text: 19-digit account numbers and amounts must reach
the typed parsers exactly as written. ``source_row`` is what a text editor
(CSV line) or spreadsheet program (sheet row) shows, counted from 1 with the
preamble and header included. A record whose quoted field spans several
lines gets the line it starts on. Blank lines produce (all-empty) rows here,
so they never shift the numbering; the loader sets them aside.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import fastexcel
import polars as pl

from fundtrail.config import Source
from fundtrail.errors import InputSchemaError
from fundtrail.messages import Phrase
from fundtrail.ingest.presets import Mapping, Preset, get_preset, preset_names

FORMAT_BY_SUFFIX = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
SPREADSHEET_FORMATS = {"xlsx", "xls"}
DECODE_CHUNK_BYTES = 16 << 20
# How far down a preset looks for its header row.
SCAN_ROWS = 100
SCAN_BYTES = 256 << 10
# gb18030 is a superset of both; exports labelled GBK often hold a few
# characters only gb18030 has (rare surnames).
CODEC_UPGRADES = {"gbk": "gb18030", "gb2312": "gb18030", "utf-8": "utf-8-sig"}
EXTRA_FIELDS = "extra_fields"


@dataclass(frozen=True)
class Layout:
    """How one file is read and named: a [[source]]'s settings, filled in by its preset if it names one.

    A column maps to one header text, or to several of which the first present
    is used. ``mapping`` is the preset's header, footer, split, exclusion and
    preamble rules with the [[source]]'s own over them. Once the file is
    opened (``locate_header``), ``skip_rows`` and ``encoding`` are what header
    detection found, ``account_no`` is the [[source]]'s (which then wins over
    a preset's rows) or the preamble's, ``account_name`` the preamble's
    holder, ``bill_year``/``bill_month`` the preamble's year for days written
    without one, and ``stated`` what the preamble says about the rows.
    """

    format: str
    encoding: str = "utf-8"
    skip_rows: int = 0
    sheet: str | None = None
    columns: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    account_no: str | None = None
    preset: Preset | None = None
    # Columns the preset maps whose header may be missing in some versions of the export.
    preset_columns: frozenset[str] = frozenset()
    account_no_wins: bool = False
    account_from: str | None = None
    stated: dict[str, str] = field(default_factory=dict)
    mapping: Mapping = field(default_factory=Mapping)
    account_name: str | None = None
    bill_year: int | None = None
    bill_month: int | None = None

    @property
    def derived(self) -> set[str]:
        return self.mapping.derived

    @property
    def name(self) -> str:
        """What the layout is called in messages: the preset's name, or "csv"/"xlsx"/"xls"."""
        return self.preset.name if self.preset else self.format


@dataclass(frozen=True)
class RawTable:
    """``cells`` has String columns c0..cN (one per header) and ``source_row`` (Int64); when a
    CSV record has more fields than the header, also EXTRA_FIELDS (String): the text of those
    beyond it that hold any, joined by ',' (null on the other rows)."""

    headers: list[str]
    cells: pl.DataFrame


def _source_preset(source: Source) -> Preset | None:
    if source.preset is None and source.format and source.format not in {"csv", *SPREADSHEET_FORMATS}:
        return get_preset(source.format)
    return source.preset


def layout_reads_file(source: Source) -> bool:
    """Whether a file's layout depends on what the file holds (header row found by name, preamble read).

    When it does not, every file of the source with one file ending has the same layout.
    """
    own = source.mapping or Mapping()
    return _source_preset(source) is not None or bool(own.header or own.preamble or own.summary)


def layout_of(source: Source, rel_path: str, path: Path | None = None) -> Layout:
    """The layout of one file. With the file's ``path``, the header row is found by its names and the preamble read."""
    preset = _source_preset(source)
    fmt = FORMAT_BY_SUFFIX.get(Path(rel_path).suffix.lower()) if preset or not source.format else source.format
    if fmt is None:
        raise InputSchemaError(code="readers.no_format", path=rel_path, source=Phrase("term.source", index=source.index))
    if fmt not in {"csv", *SPREADSHEET_FORMATS}:
        raise InputSchemaError(
            code="readers.unknown_format", path=rel_path, source=Phrase("term.source", index=source.index),
            value=fmt, presets=", ".join(preset_names()),
        )
    own = source.mapping or Mapping()
    if preset is None:
        layout = Layout(
            format=fmt,
            encoding=source.encoding,
            skip_rows=source.skip_rows,
            sheet=source.sheet,
            columns=dict(source.columns),
            values={k: dict(v) for k, v in source.values.items()},
            account_no=source.account_no,
            mapping=own,
        )
        return locate_header(layout, path, rel_path, source) if path is not None and layout_reads_file(source) else layout
    values = {k: dict(v) for k, v in preset.values.items()}
    for name, mapping in source.values.items():
        values[name] = {**values.get(name, {}), **mapping}
    layout = Layout(
        format=fmt,
        encoding=source.encoding,
        skip_rows=source.skip_rows,
        sheet=source.sheet,
        columns={**preset.columns, **source.columns},
        values=values,
        account_no=source.account_no,
        preset=preset,
        preset_columns=frozenset(set(preset.columns) - set(source.columns)),
        account_no_wins=source.account_no is not None,
        account_from="source" if source.account_no is not None else None,
        mapping=own.over(preset.mapping),
    )
    return layout if path is None else locate_header(layout, path, rel_path, source)


def locate_header(layout: Layout, path: Path, rel_path: str, source: Source) -> Layout:
    """Find the header row (by its names) and read the preamble above it.

    ``skip_rows`` set in the [[source]], or no header names to look for, fixes
    the header row instead. For a CSV the [[source]]'s encoding is tried
    first, then the preset's: the right one is the one in which the header
    names appear.
    """
    mapping = layout.mapping
    preset_encodings = layout.preset.encodings if layout.preset else ()
    encodings = [layout.encoding] if layout.format in SPREADSHEET_FORMATS else [layout.encoding, *preset_encodings]
    attempts = []
    for encoding in dict.fromkeys(encodings):
        rows = head_rows(path, rel_path, replace(layout, encoding=encoding))
        if rows is not None:
            attempts.append((encoding, rows))
    for encoding, cleaned in attempts:
        if layout.skip_rows or not mapping.header:
            at = layout.skip_rows if layout.skip_rows < len(cleaned) else None
        else:
            at = find_header(cleaned, mapping.header)
        if at is None:
            continue
        return replace(layout, encoding=encoding, skip_rows=at, **read_preamble(cleaned[:at], layout))
    wanted = ", ".join("/".join(h) for h in mapping.header)
    tried = ", ".join(e for e, _ in attempts) or ", ".join(dict.fromkeys(encodings))
    if layout.preset is None:
        raise InputSchemaError(
            code="readers.no_header_named", path=rel_path, rows=SCAN_ROWS, wanted=wanted,
            source=Phrase("term.source", index=source.index), tried=tried,
        )
    raise InputSchemaError(
        code="readers.not_preset_export", path=rel_path, preset=layout.preset.name, rows=SCAN_ROWS, wanted=wanted,
        tried=tried,
    )


def read_preamble(rows: list[list[str]], layout: Layout) -> dict[str, object]:
    """What the preamble lines tell: account, holder, bill year and month, and the stated summary and period."""
    mapping = layout.mapping
    preamble = "\n".join(" ".join(c for c in row if c) for row in rows)
    found = {key: m.group(1).strip() for key, pattern in {**mapping.preamble, **mapping.summary}.items()
             if (m := re.search(pattern, preamble))}
    account, account_from = layout.account_no, layout.account_from
    if account is None and found.get("account_no"):
        account, account_from = found["account_no"], "preamble"
    found.pop("account_no", None)
    holder = found.pop("account_name", None) or None
    year = month = None
    if "year" in found:
        found.pop("year")
        m = re.search(mapping.preamble["year"], preamble)
        assert m is not None
        year = int(m.group(1)) if m.group(1).isdigit() else None
        if m.re.groups >= 2 and m.group(2) and m.group(2).isdigit():
            month = int(m.group(2))
    return {
        "account_no": account, "account_from": account_from, "account_name": holder,
        "bill_year": year, "bill_month": month, "stated": found,
    }


def find_header(rows: list[list[str]], header: tuple[tuple[str, ...], ...]) -> int | None:
    """Index of the first row holding one of each group of header names."""
    for i, row in enumerate(rows):
        cells = set(row)
        if all(any(name in cells for name in group) for group in header):
            return i
    return None


def head_rows(path: Path, rel_path: str, layout: Layout) -> list[list[str]] | None:
    """The first SCAN_ROWS rows as cleaned cells; None when a CSV's head is not valid in the layout's encoding."""
    if layout.format in SPREADSHEET_FORMATS:
        grid = _sheet_grid(path, rel_path, layout, n_rows=SCAN_ROWS)
        return [[clean_header(c) for c in row] for row in grid.rows()]
    with path.open("rb") as handle:
        head = handle.read(SCAN_BYTES)
    try:
        text = codecs.getincrementaldecoder(_codec(layout.encoding))().decode(head, final=len(head) < SCAN_BYTES)
    except UnicodeError:
        return None
    lines = text.split("\n")
    if len(head) == SCAN_BYTES:
        lines = lines[:-1]  # the last line may be cut
    return [
        [clean_header(c) for c in _csv_line(line.rstrip("\r"), rel_path, number)]
        for number, line in enumerate(lines[:SCAN_ROWS], start=1)
    ]


def _csv_line(line: str, rel_path: str, number: int) -> list[str]:
    """One CSV line as cells; a field beyond the csv module's limit is no table this reads."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:
        raise InputSchemaError(code="readers.not_csv_row", path=rel_path, line=number, detail=str(exc)) from None


def clean_header(text: str | None) -> str:
    return (text or "").strip().strip("\ufeff").strip()


def header_index(headers: list[str], alternatives: tuple[str, ...]) -> int | None:
    """Position of the first of ``alternatives`` that is a header, or None."""
    for name in alternatives:
        wanted = clean_header(name)
        if wanted in headers:
            return headers.index(wanted)
    return None


def read_table(path: Path, rel_path: str, layout: Layout, scratch_dir: Path) -> RawTable:
    """The whole file; ``scratch_dir`` takes a temporary UTF-8 copy of a CSV."""
    if layout.format in SPREADSHEET_FORMATS:
        grid = _sheet_grid(path, rel_path, layout)
        rows = grid.with_columns(source_row=pl.int_range(1, grid.height + 1, dtype=pl.Int64))
        rows = rows.slice(layout.skip_rows)
    else:
        copy = _utf8_copy(path, rel_path, layout, scratch_dir / "utf8.csv")
        try:
            rows = _csv_rows(copy, first_line=layout.skip_rows + 1)
        except InputSchemaError as exc:
            raise InputSchemaError(code="readers.in_file", path=rel_path, error=Phrase(exc.code, **exc.params)) from None
    if rows.height == 0:
        raise InputSchemaError(code="readers.no_header_row", path=rel_path, row=layout.skip_rows + 1)
    width = len([c for c in rows.columns if c not in ("source_row", EXTRA_FIELDS)])
    headers = [clean_header(h) for h in rows.row(0)[:width]]
    return RawTable(headers=headers, cells=rows.slice(1))


def read_header_texts(path: Path | str, rel_path: str, layout: Layout, data: bytes | str | None = None) -> list[str]:
    """Only the header row, for checking every file's columns before anything is loaded.

    ``data``: the file's bytes, when the caller has read them already (a CSV is then not opened
    again), or its text (``decode_whole``).
    """
    if layout.format in SPREADSHEET_FORMATS:
        grid = _sheet_grid(path, rel_path, layout, n_rows=layout.skip_rows + 1)
        if grid.height <= layout.skip_rows:
            raise InputSchemaError(code="readers.no_header_row", path=rel_path, row=layout.skip_rows + 1)
        return [clean_header(h) for h in grid.row(layout.skip_rows)]
    if isinstance(data, str):
        line = _line_of(data, layout.skip_rows + 1)
        if line is not None:
            return _header(line, rel_path, layout)
        data = None  # a lone '\r' above the header (old Mac line breaks): read as ever, from the file
    raw_file = open(path, "rb") if data is None else io.BytesIO(data)
    with raw_file as raw, io.TextIOWrapper(raw, encoding=_codec(layout.encoding), newline="") as handle:
        line = ""
        try:
            for _ in range(layout.skip_rows + 1):
                line = handle.readline()
                if not line:
                    break  # the end of the file comes before the header row
        except UnicodeError as exc:  # UTF-16 without a BOM raises a plain UnicodeError
            raise _head_undecodable(path, rel_path, layout, exc) from None
    return _header(line, rel_path, layout)


def decode_whole(data: bytes, layout: Layout) -> str | None:
    """A CSV's bytes decoded whole in its layout's encoding, or None where they are not valid in it
    (``read_header_texts`` of the bytes then names them as it always does)."""
    try:
        return codecs.decode(data, _codec(layout.encoding))
    except UnicodeError:
        return None


def _line_of(text: str, number: int) -> str | None:
    """Line ``number`` (from 1) of ``text`` with its line break, as ``readline`` of a text file opened
    with ``newline=""`` reads it ("" past the end); None when a lone '\r' (a line break there too)
    comes before its end."""
    parts = text.split("\n", number)
    for part in parts[:number]:
        if "\r" in part[:-1]:
            return None
    if len(parts) < number:
        return ""
    return parts[number - 1] + ("\n" if len(parts) > number else "")


def _header(line: str, rel_path: str, layout: Layout) -> list[str]:
    header = _header_line_cells(line, rel_path, layout.skip_rows + 1)
    if not line or not header:
        raise InputSchemaError(code="readers.no_header_line", path=rel_path, line=layout.skip_rows + 1)
    return list(header)


def _header_line_cells(line: str, rel_path: str, number: int) -> tuple[str, ...]:
    """``_csv_line`` of a header line, cleaned; the files of one export share a handful of header lines."""
    try:
        return _cleaned_csv_line(line)
    except csv.Error as exc:
        raise InputSchemaError(code="readers.not_csv_row", path=rel_path, line=number, detail=str(exc)) from None


@functools.lru_cache(maxsize=256)
def _cleaned_csv_line(line: str) -> tuple[str, ...]:
    return tuple(clean_header(h) for h in next(csv.reader([line]), []))


def _head_undecodable(path: Path | str, rel_path: str, layout: Layout, exc: UnicodeError) -> InputSchemaError:
    """The line and bytes a CSV's head fails on (the reader decodes ahead of the header row, so they may lie
    below it); the codec's own reason when it names no bytes (UTF-16 without a BOM)."""
    if isinstance(exc, UnicodeDecodeError):
        with open(path, "rb") as handle:
            head = handle.read(SCAN_BYTES)
        try:
            codecs.getincrementaldecoder(_codec(layout.encoding))().decode(head, final=False)
        except UnicodeDecodeError as found:
            return undecodable(rel_path, layout, found)
    reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
    return InputSchemaError(code="readers.header_encoding", path=rel_path, encoding=layout.encoding, reason=reason)


def _codec(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return CODEC_UPGRADES.get(name, name)


@dataclass(frozen=True)
class Utf8Copy:
    """A CSV after its preamble, re-encoded as UTF-8 for polars."""

    path: Path
    lines: int
    has_quotes: bool


def undecodable(rel_path: str, layout: Layout, exc: UnicodeDecodeError, lines_before: int = 0) -> InputSchemaError:
    """The error for bytes not valid in the layout's encoding, naming the line they are on."""
    line = lines_before + exc.object.count(b"\n", 0, exc.start) + 1
    return InputSchemaError(
        code="readers.undecodable", path=rel_path, line=line, bytes=exc.object[exc.start:exc.end].hex(" "),
        encoding=layout.encoding,
    )


def _utf8_copy(path: Path, rel_path: str, layout: Layout, target: Path) -> Utf8Copy:
    """Decode in chunks (bounded memory for 10M-row files), dropping the preamble lines.

    Lines are counted in the decoded text so any codec works (UTF-16 too); a
    last line without a newline counts.
    """
    decoder = codecs.getincrementaldecoder(_codec(layout.encoding))()
    preamble_left = layout.skip_rows
    newlines = 0
    has_quotes = False
    last_char = ""
    source_lines_before = 0
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as copy:
        while True:
            chunk = source.read(DECODE_CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise undecodable(rel_path, layout, exc, source_lines_before) from None
            source_lines_before += chunk.count(b"\n")
            while preamble_left and text:
                newline = text.find("\n")
                if newline < 0:
                    text = ""
                else:
                    text = text[newline + 1 :]
                    preamble_left -= 1
            if text:
                copy.write(text)
                newlines += text.count("\n")
                has_quotes = has_quotes or '"' in text
                last_char = text[-1]
            if not chunk:
                break
    if preamble_left:
        raise InputSchemaError(code="readers.no_header_line", path=rel_path, line=layout.skip_rows + 1)
    return Utf8Copy(target, newlines + (last_char not in ("", "\n")), has_quotes)


def _csv_rows(copy: Utf8Copy, first_line: int) -> pl.DataFrame:
    """Parse with polars; fall back to the csv module for quoting polars rejects.

    Every record spans at least one line and blank lines are records too, so
    when there are as many records as lines each record is one line. Otherwise
    (a quoted field holds a newline) a line starts a record when the quotes
    before it are balanced. The fallback (stray quotes inside unquoted fields,
    which polars refuses) is a row-wise Python loop, acceptable for the rare
    malformed export.

    A record with more fields than the header (its first record) keeps what
    the fields beyond it hold in EXTRA_FIELDS: polars refuses such a file, so
    it is read again as wide as its longest line, or by the csv module when it
    has quotes.
    """
    frame = csv_cells(copy.path, copy.has_quotes)
    if frame is None:
        return _csv_rows_by_module(copy, first_line)
    if frame.height == copy.lines:
        return frame.with_columns(source_row=pl.int_range(first_line, first_line + frame.height, dtype=pl.Int64))
    lines = pl.Series([copy.path.read_text(encoding="utf-8")]).str.split("\n").explode().slice(0, copy.lines)
    quotes = lines.str.count_matches('"', literal=True).cast(pl.Int64)
    starts_record = ((quotes.cum_sum() - quotes) % 2) == 0
    record_lines = pl.int_range(first_line, first_line + copy.lines, dtype=pl.Int64, eager=True).filter(
        starts_record
    )
    if len(record_lines) != frame.height:
        return _csv_rows_by_module(copy, first_line)
    return frame.with_columns(source_row=record_lines)


def csv_cells(source: Path | bytes, has_quotes: bool) -> pl.DataFrame | None:
    """A UTF-8 CSV's records as text fields c0..cN, N set by the first record (the header), plus
    EXTRA_FIELDS where a record is wider; None when polars refuses the quoting (or a wider
    record comes with quotes), for the caller's csv-module fallback."""
    try:
        frame = _polars_csv(source, has_quotes)
    except pl.exceptions.PolarsError:
        frame = None if has_quotes else _wide_csv(source)
        if frame is None:
            return None
    return frame.rename({c: f"c{i}" for i, c in enumerate(c for c in frame.columns if c != EXTRA_FIELDS)})


def _polars_csv(source: Path | bytes, has_quotes: bool, width: int | None = None) -> pl.DataFrame:
    """Every field as text; raises for a record wider than ``width`` (default: the first record)."""
    wider = {"schema": {f"f{i}": pl.String for i in range(width)}, "missing_columns": "insert"} if width else {}
    return pl.read_csv(
        source,
        has_header=False,
        infer_schema=False,
        truncate_ragged_lines=False,
        quote_char='"' if has_quotes else None,
        raise_if_empty=False,
        **wider,
    )


def _wide_csv(source: Path | bytes) -> pl.DataFrame | None:
    """An unquoted CSV some of whose lines have more fields than its first: that line's columns
    plus EXTRA_FIELDS. None if polars still refuses it."""
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source.decode("utf-8")
    lines = pl.Series(text.removesuffix("\n").split("\n"))
    fields = lines.str.count_matches(",", literal=True) + 1
    try:
        frame = _polars_csv(source, has_quotes=False, width=int(fields.max()))
    except pl.exceptions.PolarsError:
        return None
    width = int(fields[0])
    extra = [pl.col(c) for c in frame.columns[width:]]
    beyond = pl.concat_str([pl.when(c.str.strip_chars() != "").then(c) for c in extra], separator=",", ignore_nulls=True)
    return frame.select(*frame.columns[:width], pl.when(beyond != "").then(beyond).alias(EXTRA_FIELDS))


def _csv_rows_by_module(copy: Utf8Copy, first_line: int) -> pl.DataFrame:
    reader = csv.reader(io.StringIO(copy.path.read_text(encoding="utf-8"), newline=""))
    records: list[list[str]] = []
    start_lines: list[int] = []
    lines_before = 0
    try:
        for record in reader:
            records.append(record)
            start_lines.append(first_line + lines_before)
            lines_before = reader.line_num
    except csv.Error as exc:
        raise InputSchemaError(
            code="readers.not_csv_line", line=first_line + reader.line_num - 1, detail=str(exc)
        ) from None
    width = len(records[0]) if records else 0
    padded = [r[:width] + [""] * (width - len(r)) for r in records]
    frame = pl.DataFrame(padded, schema=[(f"c{i}", pl.String) for i in range(width)], orient="row")
    extra = [",".join(f for f in r[width:] if f.strip()) or None for r in records]
    if any(extra):
        frame = frame.with_columns(pl.Series(EXTRA_FIELDS, extra, dtype=pl.String))
    return frame.with_columns(source_row=pl.Series(start_lines, dtype=pl.Int64))


def _sheet_grid(path: Path, rel_path: str, layout: Layout, n_rows: int | None = None) -> pl.DataFrame:
    """The sheet from cell A1 on, every cell as text; row i of the frame is sheet row i + 1.

    ``skip_rows=0`` matters: without it calamine starts at the first used
    row, and leading empty rows would shift every row number.
    """
    try:
        reader = fastexcel.read_excel(path)
    except Exception as exc:  # fastexcel raises its own error types per failure
        raise InputSchemaError(code="readers.not_workbook", path=rel_path, format=layout.format, detail=str(exc)) from None
    sheet = layout.sheet if layout.sheet is not None else reader.sheet_names[0]
    if sheet not in reader.sheet_names:
        raise InputSchemaError(code="readers.no_sheet", path=rel_path, sheet=sheet, found=", ".join(reader.sheet_names))
    try:
        loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, n_rows=n_rows, dtypes="string")
        grid = loaded.to_polars()
    except Exception as exc:
        raise InputSchemaError(code="readers.sheet_unreadable", path=rel_path, sheet=sheet, detail=str(exc)) from None
    return grid.select(pl.col(c).cast(pl.String).alias(f"c{i}") for i, c in enumerate(grid.columns))
