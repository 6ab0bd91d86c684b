"""Cell parsers as polars expressions: trimmed text in, typed value (or null) out.

A parser never raises on bad data: it yields null, and the loader turns "text
present but value null" into a quarantine reason. Patterns use [0-9] rather
than \\d because \\d also matches full-width digits, which the casts reject.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from fundtrail.kinds import CURRENCY_ALIASES

MONEY = pl.Decimal(18, 2)
# Any sum of amounts: 10M amounts of the largest DECIMAL(18,2) still fit.
MONEY_TOTAL = pl.Decimal(38, 2)
UTC_TS = pl.Datetime("us", "UTC")

# Runs of dashes (ASCII, full-width, en/em), a lone slash, null, N/A, and
# masked amounts such as ICBC's xx,yyyy.zz: what exports put in a cell that
# has no value.
PLACEHOLDER = r"^(?:[-－–—]+|/|(?i:null|n/a)|[xX]+(?:,[yY]+)*\.[zZ]+)$"

# Money text, step by step (docs/safety.md lists what is accepted). After NFKC (full-width
# digits and punctuation become ASCII): a trailing note in parentheses that names a refund,
# 131.77(已退款89.84) (the refund is a row of its own), or the code of China or its currency,
# 100.00(CN), is dropped (any other code, 100.00(USD), stays and fails); currency marks go;
# (1,234.00) is the accounting form of -1234.00.
MONEY_NOTE = r"\s*\((?:[^()]*退款[^()]*|\s*(?i:cn|chn|cny|rmb)\s*)\)$"
CURRENCY_MARKS = r"(?i)[¥元]|rmb|cny"
ACCOUNTING_NEGATIVE = (r"^\((.*)\)$", "-$1")
# A thousands separator (comma or space) only between valid groups of three: 1,234,567.89 and
# 1 234.50, never 12,34 or 1.200,00 (those stay as written and fail MONEY_TEXT).
GROUPED = r"^[+-]?[0-9]{1,3}(?:[, ][0-9]{3})+(?:\.[0-9]*)?$"
# At most two decimal places that matter; trailing zeros change nothing.
MONEY_TEXT = r"^[+-]?(?:[0-9]+(?:\.[0-9]{0,2}0*)?|\.[0-9]{1,2}0*)$"
# More whole digits than DECIMAL(18,2) holds (16): quarantined as out of range, never cast.
TOO_LARGE = r"^[+-]?0*[1-9][0-9]{16,}(?:\.|$)"
FLOAT_LIKE = r"^[+-]?[0-9]+\.[0-9]{3,}$"

DATE_PART = r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"
TS_PATTERN = (
    rf"^{DATE_PART}"
    r"(?:[ T]+([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2})(?:[.,]([0-9]{1,9}))?)?)?"
    r"\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
# The widest offset in use (Kiribati, +14:00); Baker Island is -12:00.
MAX_OFFSET_MINUTES = 14 * 60
DATE_PATTERN = rf"^{DATE_PART}(?:[ T]+0{{1,2}}:0{{1,2}}(?::0{{1,2}}(?:\.0+)?)?)?$"
# Compact forms some bank systems export: 20230601, 20230601 140322, 20230601140322.
COMPACT_DATE = (r"^([0-9]{4})([0-9]{2})([0-9]{2})$", "$1-$2-$3")
COMPACT_TS = (
    r"^([0-9]{4})([0-9]{2})([0-9]{2})[ T]?([0-9]{2}):?([0-9]{2}):?([0-9]{2})$",
    "$1-$2-$3 $4:$5:$6",
)

# Identifier columns (kinds.toml marks them: accounts, ids, codes, references) are compared
# character for character: an invisible character (zero-width space, BOM, NUL, other control and
# format characters) or a full-width digit would make a second, invisibly different account. They
# are normalised (NFKC, those characters removed) and each changed cell is listed in the
# `normalised` table. Records' phone and id_number are no identifiers: the information-sale checks judge them.
INVISIBLE = r"[\p{Cc}\p{Cf}]"
NORMALISED_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "source_row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "normalised": pl.String(),
    "reason": pl.String(),
}

DIRECTION_WORDS = {
    **{w: "in" for w in ("in", "进", "收", "收入", "贷", "贷方", "转入", "c", "cr", "+")},
    **{w: "out" for w in ("out", "出", "支", "支出", "借", "借方", "转出", "d", "dr", "-")},
}


def trimmed(raw: pl.Expr) -> pl.Expr:
    """Surrounding whitespace removed (Unicode: tabs, full-width spaces, NBSP); empty → null."""
    text = raw.str.strip_chars()
    return pl.when(text != "").then(text)


# Text of printable ASCII only: NFKC leaves it as it is, and it holds no INVISIBLE character.
NOT_PLAIN = r"[^ -~]"
# Money text of digits, signs and points only: no note, currency mark, space, parenthesis or
# separator for money_text to take out.
NOT_DIGITS = r"[^0-9.+-]"


def is_plain(text: str) -> bool:
    """Whether a text is printable ASCII only (what NOT_PLAIN finds nothing in)."""
    return text.isascii() and text.isprintable()


def identifier_text(text: pl.Expr, plain: bool = False) -> pl.Expr:
    """An identifier as compared: NFKC, invisible characters removed, trimmed; empty → null.

    ``plain``: every text is printable ASCII, which NFKC and the removal leave as they are (the
    two were a fifth of parsing a 20,000-file case of ASCII account numbers)."""
    normal = text if plain else text.str.normalize("NFKC").str.replace_all(INVISIBLE, "")
    cleaned = normal.str.strip_chars()
    return pl.when(cleaned != "").then(cleaned)


def normalised_cells(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per identifier cell that normalising changed: the text as written, shown with its
    invisible characters as <U+XXXX>, and the value the run uses.

    ``rows`` carries ``_normalised_<column>`` (the written text where it changed, else null)
    beside each identifier column, as the loader's parse leaves them.
    """
    parts = [
        rows.filter(pl.col(flag).is_not_null()).select(
            "source",
            "source_row",
            pl.lit(flag.removeprefix("_normalised_")).alias("column"),
            pl.col(flag).alias("value"),
            pl.col(flag.removeprefix("_normalised_")).alias("normalised"),
            pl.lit("normalised").alias("reason"),
        )
        for flag in rows.columns
        if flag.startswith("_normalised_")
    ]
    found = pl.concat(parts) if parts else pl.DataFrame(schema=NORMALISED_SCHEMA)
    return found.with_columns(
        pl.col("value").map_elements(_visible, return_dtype=pl.String)
    ).cast(NORMALISED_SCHEMA)


def _visible(text: str) -> str:
    return "".join(f"<U+{ord(ch):04X}>" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def is_placeholder(text: pl.Expr) -> pl.Expr:
    return text.str.contains(PLACEHOLDER).fill_null(False)


def money_text(
    text: pl.Expr, from_spreadsheet: bool = False, plain: bool = False, digits_only: bool = False
) -> pl.Expr:
    """The amount as plain ``[+-]digits[.digits]`` when it is written in an accepted form (stage 1 of money).

    Text in no accepted form comes back with its separators, so ``money_from_text``
    rejects it. Spreadsheet readers print some float cells with binary noise
    (9099250.47 → "9099250.470000001"). Such text is replaced by the float's
    cent value only when it lies within float precision of a cent; a real
    third decimal (1234.567) stays and is quarantined. ``plain``: every text is printable ASCII,
    which NFKC leaves as it is. ``digits_only``: no text has a character NOT_DIGITS finds, which
    every cleaning step leaves as it is (they were most of parsing a column of such amounts).
    """
    if digits_only:
        cleaned = text
    else:
        bare = (
            (text if plain else text.str.normalize("NFKC"))
            .str.replace(MONEY_NOTE, "")
            .str.replace_all(CURRENCY_MARKS, "")
            .str.strip_chars()
            .str.replace(r"^([+-])\s+", "$1")
            .str.replace(*ACCOUNTING_NEGATIVE)
        )
        cleaned = pl.when(bare.str.contains(GROUPED)).then(bare.str.replace_all(r"[, ]", "")).otherwise(bare)
    if not from_spreadsheet:
        return cleaned
    as_float = cleaned.cast(pl.Float64, strict=False)
    cents = as_float.round(2)
    float_noise = cleaned.str.contains(FLOAT_LIKE) & (
        (as_float - cents).abs() <= as_float.abs() * 1e-14 + 1e-9
    )
    return pl.when(float_noise.fill_null(False)).then(cents.cast(pl.String)).otherwise(cleaned)


def money_from_text(cleaned: pl.Expr) -> pl.Expr:
    """Exact Decimal(18,2) from ``money_text``, or null when it is not an amount with ≤ 2 decimals or too large."""
    return pl.when(cleaned.str.contains(MONEY_TEXT) & ~money_out_of_range(cleaned)).then(
        cleaned.cast(MONEY, strict=False)
    )


def money_out_of_range(cleaned: pl.Expr) -> pl.Expr:
    """True for an amount in an accepted form whose whole part has more digits than DECIMAL(18,2) holds."""
    return (cleaned.str.contains(MONEY_TEXT) & cleaned.str.contains(TOO_LARGE)).fill_null(False)


def sign_from_text(cleaned: pl.Expr) -> pl.Expr:
    """'+', '-' or null: the sign written in the cell, if any."""
    return cleaned.str.extract(r"^([+-])", 1)


# A time as most exports write it: no fraction, no offset, every field at its full width.
PLAIN_TS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"


def plain_wall_time(text: pl.Expr) -> pl.Expr:
    """``wall_time(timestamp_parts(text))`` of texts that all match PLAIN_TS (a tenth of its cost):
    one strptime, the same leap-second rule; a naive time, so ``local_instant`` gives its instant."""
    second_ok = text.str.slice(17, 2).cast(pl.Int64) < 60
    return pl.when(second_ok).then(text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False))


def timestamp_parts(text: pl.Expr) -> pl.Expr:
    """Stage 1 of a timestamp: a struct of the date, time, fraction and offset texts."""
    return text.str.replace(*COMPACT_TS).str.replace(*COMPACT_DATE).str.extract_groups(TS_PATTERN)


def wall_time(parts: pl.Expr) -> pl.Expr:
    """Stage 2: the naive date-time written in the cell (null if no such calendar time).

    Null too for a leap second (23:59:60: banks do not post them, and a parse
    would roll it into the next day) and for an offset no place uses
    (beyond ±14:00, or 60 minutes or more): such a time is quarantined, never
    read as naive or wrapped around.
    """
    field = parts.struct.field

    def two(i: int) -> pl.Expr:
        return field(str(i)).fill_null("0").str.zfill(2)

    wall_text = pl.concat_str(
        [field("1"), two(2), two(3), pl.lit(" "), two(4), pl.lit(":"), two(5), pl.lit(":"), two(6)]
    )
    fraction_us = field("7").str.pad_end(6, "0").str.slice(0, 6).cast(pl.Int64).fill_null(0)
    wall = wall_text.str.strptime(pl.Datetime("us"), "%Y%m%d %H:%M:%S", strict=False) + pl.duration(
        microseconds=fraction_us
    )
    offset_digits = field("8").str.replace_all(":", "")
    offset_hours = offset_digits.str.slice(1, 2).cast(pl.Int64, strict=False)
    offset_mins = offset_digits.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    offset_ok = (
        field("8").is_null()
        | (field("8") == "Z")
        | ((offset_mins < 60) & (offset_hours * 60 + offset_mins <= MAX_OFFSET_MINUTES))
    )
    second_ok = field("6").cast(pl.Int64, strict=False).fill_null(0) < 60
    return pl.when(offset_ok & second_ok).then(wall)


def offset_minutes(parts: pl.Expr) -> pl.Expr:
    """Stage 2: minutes east of UTC written in the cell, or null for a naive time."""
    offset = parts.struct.field("8")
    digits = offset.str.replace_all(":", "")
    magnitude = digits.str.slice(1, 2).cast(pl.Int64, strict=False) * 60 + digits.str.slice(3, 2).str.zfill(2).cast(
        pl.Int64, strict=False
    ).fill_null(0)
    return (
        pl.when(offset == "Z")
        .then(0)
        .when(offset.str.starts_with("-"))
        .then(-magnitude)
        .otherwise(magnitude)
    )


def instant(wall: pl.Expr, offset: pl.Expr, timezone: str) -> pl.Expr:
    """Stage 3: the UTC instant. Naive times are read in ``timezone``.

    An ambiguous local time (a DST fall-back hour) takes the earlier instant;
    a time that does not exist locally (spring-forward gap) is a bad time.
    """
    with_offset = wall.dt.replace_time_zone("UTC") - pl.duration(minutes=offset)
    return pl.when(offset.is_not_null()).then(with_offset).otherwise(local_instant(wall, timezone))


def local_instant(wall: pl.Expr, timezone: str) -> pl.Expr:
    """``instant`` of a naive time: read in ``timezone``, the earlier of an ambiguous hour, null in a gap."""
    local = wall.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return local.dt.convert_time_zone("UTC")


def date_parts(text: pl.Expr) -> pl.Expr:
    """Stage 1 of a date: a struct of year, month and day texts."""
    return text.str.replace(*COMPACT_DATE).str.extract_groups(DATE_PATTERN)


def date_from_parts(parts: pl.Expr) -> pl.Expr:
    """Stage 2: the calendar date; a spreadsheet date cell (its midnight) counts as the date."""
    field = parts.struct.field
    date_text = pl.concat_str([field("1"), field("2").str.zfill(2), field("3").str.zfill(2)])
    return date_text.str.strptime(pl.Date, "%Y%m%d", strict=False)


def parse_money(values: pl.Series, from_spreadsheet: bool = False) -> pl.Series:
    return _staged(values, money_text(pl.col("v"), from_spreadsheet), money_from_text(pl.col("v")))


def parse_timestamps(values: pl.Series, timezone: str) -> pl.Series:
    return _staged(
        values,
        timestamp_parts(pl.col("v")),
        pl.struct(wall=wall_time(pl.col("v")), offset=offset_minutes(pl.col("v"))),
        instant(pl.col("v").struct.field("wall"), pl.col("v").struct.field("offset"), timezone),
    )


def parse_dates(values: pl.Series) -> pl.Series:
    return _staged(values, date_parts(pl.col("v")), date_from_parts(pl.col("v")))


def _staged(values: pl.Series, *stages: pl.Expr) -> pl.Series:
    """Run one column through parser stages, each materialised.

    Polars evaluates a struct expression once per ``struct.field`` call, so
    an unstaged timestamp parse runs its regex eight times.
    """
    frame = pl.LazyFrame({"v": values.cast(pl.String)})
    for stage in stages:
        frame = frame.with_columns(stage.alias("v"))
    return frame.collect().get_column("v").alias(values.name)


def direction_value(text: pl.Expr) -> pl.Expr:
    """'in', 'out', or null for a value that is not a known direction word."""
    return text.str.to_lowercase().replace_strict(DIRECTION_WORDS, default=None, return_dtype=pl.String)


def accepted_currency(text: pl.Expr, case_currency: str) -> pl.Expr:
    """True where the cell names the case currency; an empty cell means the case currency."""
    if case_currency.upper() == "CNY":
        names = sorted({a.upper() for a in CURRENCY_ALIASES})
        return text.is_null() | text.str.to_uppercase().is_in(names)
    return text.is_null() | (text == case_currency)
