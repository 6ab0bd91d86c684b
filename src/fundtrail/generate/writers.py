"""Formatting and file writing shared by the case generators.

Money is integer fen (int64) until the moment it is written; times are UTC
epoch seconds until they are written as naive wall-clock text in the zone the
evidence was kept in. Every writer is deterministic: same frame, same bytes.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉玲红梅志鹏飞宇浩俊峰婷雪琳晨欣怡佳然子轩梓涵一诺雨萱思彤博文嘉怡海燕春梅丹凤晓东立新丽萍")


def chinese_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """n person names (surname + one or two given characters); repeats are allowed, as in life."""
    surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    g2 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    two = rng.random(n) < 0.7
    return np.where(two, np.char.add(np.char.add(surname, g1), g2), np.char.add(surname, g1))


def account_numbers(prefix: str, start: int, n: int) -> np.ndarray:
    """19-digit card numbers: a 6-digit bank prefix, then a serial that keeps every number unique."""
    serial = np.arange(start, start + n, dtype=np.int64)
    return np.char.add(prefix, np.char.zfill(serial.astype(str), 19 - len(prefix)))


def money_text(fen: pl.Expr, thousands: bool = False) -> pl.Expr:
    """Exact decimal text with two places ("1234.50", or "1,234.50"), from integer fen."""
    units = fen.abs() // 100
    cents = (fen.abs() % 100).cast(pl.String).str.zfill(2)
    if thousands:
        g = [((units // 1000**i) % 1000).cast(pl.String) for i in range(4)]
        pad = [x.str.zfill(3) for x in g]
        whole = (
            pl.when(units >= 10**9).then(pl.concat_str([g[3], pad[2], pad[1], pad[0]], separator=","))
            .when(units >= 10**6).then(pl.concat_str([g[2], pad[1], pad[0]], separator=","))
            .when(units >= 10**3).then(pl.concat_str([g[1], pad[0]], separator=","))
            .otherwise(g[0])
        )
    else:
        whole = units.cast(pl.String)
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, whole, pl.lit("."), cents])


def fen_text(fen: int) -> str:
    """One amount as the decimal string truth.json and the outputs use ("12345.60")."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def local_time_text(utc_seconds: pl.Expr, offset_hours: int, fmt: str) -> pl.Expr:
    """Naive wall-clock text in a fixed-offset zone (Shanghai +8 and Vientiane +7 have no DST)."""
    return pl.from_epoch(utc_seconds + offset_hours * 3600, time_unit="s").dt.strftime(fmt)


def write_csv(
    path: Path,
    frame: pl.DataFrame,
    encoding: str = "utf-8",
    preamble: list[str] | None = None,
    line_end: str = "\n",
) -> None:
    """CSV with optional preamble lines before the header, in the given encoding."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, line_terminator=line_end)
    text = "".join(line + line_end for line in preamble or []) + buffer.getvalue().decode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def write_case_toml(out: Path, case_id: str, title: str, tables: str, sources: list[str]) -> None:
    """case.toml: the [case] table (Shanghai time, CNY), the other tables as given, then the [[source]] blocks."""
    head = (
        f"[case]\nid = {toml_string(case_id)}\ntitle = {toml_string(title)}\n"
        'timezone = "Asia/Shanghai"\ncurrency = "CNY"\n\n'
    )
    (out / "case.toml").write_text(head + tables + "\n".join(sources), encoding="utf-8")


def new_workbook(path: Path, sheet_name: str) -> tuple[xlsxwriter.Workbook, Worksheet]:
    """An .xlsx workbook with one sheet, written row by row; a fixed creation date keeps its bytes the same every run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": datetime(2019, 8, 1)})
    return workbook, workbook.add_worksheet(sheet_name)


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def epoch_day(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def source_block(
    kind: str,
    path: str,
    comment: str = "",
    columns: dict[str, str] | None = None,
    directions: dict[str, str] | None = None,
    **settings: str | int,
) -> str:
    """One ``[[source]]`` table of case.toml: kind, path, the settings in the order given, the
    column mapping and the direction values, after a comment line per line of ``comment``."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += ["[[source]]", f"kind = {toml_string(kind)}", f"path = {toml_string(path)}"]
    lines += [f"{key} = {value if isinstance(value, int) else toml_string(value)}" for key, value in settings.items()]
    if columns:
        lines += ["[source.columns]", *(f"{key} = {toml_string(header)}" for key, header in columns.items())]
    if directions:
        lines += ["[source.values.direction]", *(f"{toml_string(v)} = {toml_string(d)}" for v, d in directions.items())]
    return "\n".join(lines) + "\n"
