"""The fraud organisation: units and the roster of who held which code name, when.

The shape is fixed (it mirrors the 7·29 case and does not grow with --scale):
a gang, 5 departments (3 business departments holding 17 groups, and the
technical and finance departments where the support staff sit), 2 financiers,
4 shareholders, 17 group leaders, 51 staff and 5 later recruits, 3 support.
Names, code names and activity weights come from the seed.

A reshuffle on RESHUFFLE hands codes to new holders at midnight in the case
timezone, promotes a staff member of G05 to lead it, and moves a member from
G08 to G12 with his code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from fundtrail.generate.writers import chinese_names, epoch_day

CASE_START = date(2019, 3, 1)
CASE_END = date(2019, 7, 28)  # arrests on 29 July
RESHUFFLE = date(2019, 5, 16)
CODE_NAMES = (
    "阿龙 阿杰 阿豪 阿彪 阿强 阿斌 阿坤 阿伟 阿峰 阿明 阿辉 阿亮 阿华 阿勇 阿文 阿涛 阿鹏 阿军 阿超 阿新 "
    "小龙 小杰 小豪 小彪 小强 小斌 小坤 小伟 小峰 小明 小辉 小亮 小华 小勇 小文 小涛 小鹏 小军 小超 小新 "
    "老六 老七 老九 大圣 黑豹 猎豹 金牛 银狐 飞鹰 海狼 山猫 火狐"
).split()
UNKNOWN_CODE = "阿飞"  # booked in the sheets, held by nobody on the roster
DEPARTMENTS = (
    ("DEP1", "业务一部"),
    ("DEP2", "业务二部"),
    ("DEP3", "业务三部"),
    ("DEP4", "技术部"),
    ("DEP5", "财务部"),
)
GROUP_DEPARTMENT = ["DEP1"] * 6 + ["DEP2"] * 6 + ["DEP3"] * 5
NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Organisation:
    units: pl.DataFrame  # unit_id, name, kind, parent_id
    roster: pl.DataFrame  # roster columns; dates as date, valid_to null = still active
    codes: pl.DataFrame  # member_code, first_day, last_day (epoch days), department, weight
    handovers: tuple[str, ...]  # codes that pass to a new holder at RESHUFFLE

    def subtree(self) -> pl.DataFrame:
        """(unit_id, member_unit_id): every unit and each unit at or below it."""
        parent = dict(zip(self.units["unit_id"], self.units["parent_id"], strict=True))
        pairs = []
        for unit in parent:
            node: str | None = unit
            while node is not None:
                pairs.append((node, unit))
                node = parent[node]
        return pl.DataFrame(pairs, schema=["unit_id", "member_unit_id"], orient="row")


def group_name(n: int) -> str:
    tens, ones = divmod(n, 10)
    text = (NUMERALS[tens - 2] if tens > 1 else "") + ("十" if tens else "") + (NUMERALS[ones - 1] if ones else "")
    return f"{text}组"


def build_organisation(seed: int) -> Organisation:
    rng = np.random.default_rng([seed, 0])
    units = [("U00", "7·29跨境电信诈骗集团", "gang", None)]
    units += [(uid, name, "department", "U00") for uid, name in DEPARTMENTS]
    units += [(f"G{g:02d}", group_name(g), "group", GROUP_DEPARTMENT[g - 1]) for g in range(1, 18)]

    names = iter(chinese_names(rng, 82).tolist())
    codes = iter(rng.permutation(CODE_NAMES).tolist())
    rows: list[tuple] = []
    day_before = RESHUFFLE - timedelta(days=1)

    def person(n: int) -> str:
        return f"D{n:02d}"

    for n in (1, 2):
        rows.append((person(n), next(names), "financier", "U00", None, CASE_START, None))
    for n in (3, 4, 5, 6):
        joined = date(2019, 4, 1) if n == 6 else CASE_START
        rows.append((person(n), next(names), "shareholder", "U00", None, joined, None))

    leader_of = {g: person(6 + g) for g in range(1, 18)}
    for g, pid in leader_of.items():
        rows.append((pid, next(names), "leader", f"G{g:02d}", None, CASE_START, day_before if g == 5 else None))

    staff_code: dict[tuple[int, int], str] = {}
    staff_id: dict[tuple[int, int], str] = {}
    for g in range(1, 18):
        for j in range(3):
            staff_id[(g, j)] = person(24 + 3 * (g - 1) + j)
            staff_code[(g, j)] = next(codes)

    promoted, leavers = (5, 0), [(2, 1), (9, 0), (14, 2)]
    mover, retired, late_joiner = (8, 1), (16, 1), (7, 2)
    for (g, j), pid in staff_id.items():
        name, code, unit = next(names), staff_code[(g, j)], f"G{g:02d}"
        start = date(2019, 4, 10) if (g, j) == late_joiner else CASE_START
        if (g, j) == promoted:
            rows.append((pid, name, "staff", unit, code, start, day_before))
            rows.append((pid, name, "leader", unit, None, RESHUFFLE, None))
        elif (g, j) in leavers:
            rows.append((pid, name, "staff", unit, code, start, day_before))
        elif (g, j) == mover:
            rows.append((pid, name, "staff", unit, code, start, day_before))
            rows.append((pid, name, "staff", "G12", code, RESHUFFLE, None))
        elif (g, j) == retired:
            rows.append((pid, name, "staff", unit, code, start, date(2019, 6, 20)))
        else:
            rows.append((pid, name, "staff", unit, code, start, None))

    # Recruits take over the codes freed at the reshuffle; one lands in another group.
    successors = [(promoted, 5), (leavers[0], 2), (leavers[1], 11), (leavers[2], 14)]
    n = 75
    for old, group in successors:
        rows.append((person(n), next(names), "staff", f"G{group:02d}", staff_code[old], RESHUFFLE, None))
        n += 1
    rows.append((person(n), next(names), "staff", "G03", next(codes), date(2019, 7, 18), None))
    for n, unit, joined in ((80, "DEP4", CASE_START), (81, "DEP4", date(2019, 4, 15)), (82, "DEP5", CASE_START)):
        rows.append((person(n), next(names), "support", unit, None, joined, None))

    roster = pl.DataFrame(
        rows,
        schema={
            "defendant_id": pl.String,
            "name": pl.String,
            "role": pl.String,
            "unit_id": pl.String,
            "member_code": pl.String,
            "valid_from": pl.Date,
            "valid_to": pl.Date,
        },
        orient="row",
    ).sort("defendant_id", "valid_from")

    department = dict(zip([u[0] for u in units], [u[3] for u in units], strict=True))
    coded = roster.filter(pl.col("member_code").is_not_null())
    spans = (
        coded.with_columns(pl.col("valid_to").fill_null(CASE_END))
        .group_by("member_code")
        .agg(
            pl.col("valid_from").min().alias("first"),
            pl.col("valid_to").max().alias("last"),
            pl.col("unit_id").sort_by("valid_from").first().alias("home_unit"),
        )
        .sort("member_code")
    )
    code_table = pl.DataFrame(
        {
            "member_code": spans["member_code"],
            "first_day": [epoch_day(d) for d in spans["first"]],
            "last_day": [epoch_day(d) for d in spans["last"]],
            "department": [department[u] for u in spans["home_unit"]],
        }
    )
    # Productivity differs a lot between members; a fixed draw per code keeps it seeded.
    weights = np.random.default_rng([seed, 1]).gamma(2.0, 1.0, code_table.height)
    code_table = code_table.with_columns(pl.Series("weight", weights))
    handovers = tuple(sorted(staff_code[old] for old, _ in successors))
    return Organisation(
        units=pl.DataFrame(units, schema=["unit_id", "name", "kind", "parent_id"], orient="row"),
        roster=roster,
        codes=code_table,
        handovers=handovers,
    )
