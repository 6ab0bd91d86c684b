"""The maternity-data sale: records passed along a chain, the studio's books and the money.

D02, a colleague at the maternal-health clinic, supplies about 38,000
mother-and-baby records to D01, a clerk there; D01 adds about 1,100 of her
own and sells them to a photo studio (S01), and a few hundred also to a
confinement centre (S02). Both obtained the records through their jobs
(insiders). The studio pays D01 about 310,000 CNY; D01 passes about 160,000
on to D02.

Evidence: chat exports from D01's phone (with D02, with the studio, with the
centre) and part of D02's phone (with D01); the studio's customer book
(a second, independent record of what D01 sold it) and its account book
(payment_ledger); bank statements of D01's two cards and D02's card.

Every data subject has one phone and one ID number, unique to them, and the
same usable keys in every row that names them (a person whose phone is
unusable has it unusable everywhere), so the pipeline's de-duplication by
phone or ID groups exactly the rows of one person: the truth counts persons.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from fundtrail.generate.fraud import (
    BANK_DIRECTIONS,
    BANK_HEADER,
    BANK_PREAMBLE,
    DAY,
    SHANGHAI,
    _utc,
    bank_statement_table,
)
from fundtrail.generate.writers import (
    chinese_names,
    fen_text,
    local_time_text,
    new_workbook,
    source_block,
    toml_string,
    write_case_toml,
    write_csv,
    write_json,
)

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))
REGIONS = np.array(["310101", "310104", "310105", "310106", "310107", "310110", "310112", "310115"])
PHONE_PREFIXES = np.array(["130", "131", "135", "136", "137", "138", "139", "150", "152", "158", "159",
                           "176", "177", "186", "187", "188", "189", "199"])
THRESHOLDS = {"whereabouts": 50, "communication": 50, "credit": 50, "property": 50, "accommodation": 500,
              "communication_records": 500, "health": 500, "transaction": 500, "other": 5000}
INSIDERS = ("D01", "D02")
RECORD_HEADER = {
    "seller_id": "发送人",
    "buyer_id": "接收人",
    "ts": "发送时间",
    "name": "姓名",
    "phone": "手机号",
    "id_number": "身份证号",
    "category": "信息类别",
    "batch_ref": "消息编号",
}
BOOK_HEADER = {
    "seller_id": "信息提供人",
    "buyer_id": "登记门店",
    "ts": "登记日期",
    "name": "客户姓名",
    "phone": "联系电话",
    "id_number": "身份证号",
}
LEDGER_HEADER = {"ts": "日期", "payer": "付款方", "payee": "收款方", "amount": "金额", "entry_ref": "凭证号", "memo": "摘要"}
START = datetime(2019, 1, 7)
PERIOD_DAYS = 170


def id_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 18-character resident IDs of women born 1979-1997, with the MOD 11-2 check character."""
    bodies: list[str] = []
    seen: set[str] = set()
    while len(bodies) < n:
        m = (n - len(bodies)) * 2
        birth = np.datetime64("1979-01-01") + rng.integers(0, 19 * 365, m).astype("timedelta64[D]")
        # Odd 17th digit is male: mothers get an even one.
        seq = rng.integers(0, 500, m) * 2
        body = np.char.add(
            np.char.add(REGIONS[rng.integers(0, REGIONS.size, m)], np.char.replace(birth.astype(str), "-", "")),
            np.char.zfill(seq.astype(str), 3),
        )
        for text in body.tolist():
            if text not in seen and len(bodies) < n:
                seen.add(text)
                bodies.append(text)
    body = np.array(bodies)
    digits = np.array([list(b) for b in bodies], dtype=np.int64)
    return np.char.add(body, ID_CHECK[(digits @ ID_WEIGHTS) % 11])


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct valid mobile numbers: a multiplier coprime to 10^8 permutes the serials."""
    serial = (np.arange(n, dtype=np.int64) * 7_919 + int(rng.integers(0, 10**8))) % 10**8
    return np.char.add(PHONE_PREFIXES[rng.integers(0, PHONE_PREFIXES.size, n)], np.char.zfill(serial.astype(str), 8))


def _people(rng: np.random.Generator, n_valid: int, n_invalid: int) -> pl.DataFrame:
    """Data subjects: valid ones (a reachable phone or ID, the same in every row), then unreachable ones."""
    n = n_valid + n_invalid
    phone = phone_numbers(rng, n)
    ident = id_numbers(rng, n)
    kind = np.where(np.arange(n) >= n_valid, "invalid", np.where(rng.random(n) < 0.04, "phone_bad",
                    np.where(rng.random(n) < 0.03, "id_bad", "good")))
    wrong_check = np.char.add(np.array([i[:17] for i in ident.tolist()]), np.where(np.char.endswith(ident, "1"), "2", "1"))
    # Unusable as typed: masked, a digit short, a landline, or a 12- prefix.
    masked = np.array([p[:3] + "****" + p[7:] for p in phone.tolist()])
    short = np.array([p[:10] for p in phone.tolist()])
    landline = np.char.add("021-", np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8))
    prefix12 = np.array(["12" + p[2:] for p in phone.tolist()])
    bad_phone = np.choose(rng.integers(0, 4, n), [masked, short, landline, prefix12])
    bad_id = np.where(rng.random(n) < 0.5, np.array([i[:6] + i[8:17] for i in ident.tolist()]), "")
    final_phone = np.where(np.isin(kind, ["phone_bad", "invalid"]), bad_phone, phone)
    final_id = np.where(kind == "id_bad", wrong_check, np.where(kind == "invalid", bad_id, ident))
    return pl.DataFrame(
        {
            "person": np.arange(n),
            "name": chinese_names(rng, n),
            "phone": final_phone,
            "id_number": final_id,
            "valid": kind != "invalid",
        }
    )


def _format_phone(rng: np.random.Generator, phone: pl.Series) -> pl.Series:
    """How a usable number was typed: plain, spaced, dashed, with +86 or 0086."""
    text = phone.to_numpy().astype(str)
    ok = np.array([len(p) == 11 and p.isdigit() for p in text.tolist()])
    style = rng.integers(0, 20, text.size)
    spaced = np.array([f"{p[:3]} {p[3:7]} {p[7:]}" for p in text.tolist()])
    dashed = np.array([f"{p[:3]}-{p[3:7]}-{p[7:]}" for p in text.tolist()])
    out = np.select(
        [~ok, style < 12, style < 15, style < 17, style < 19],
        [text, text, spaced, dashed, np.char.add("+86 ", text)],
        np.char.add("0086-", dashed),
    )
    return pl.Series(out)


def generate_info(out: Path, scale: float = 1.0, seed: int = 729) -> Path:
    """Write the information-sale case folder into ``out`` (case.toml, evidence, truth.json)."""
    out = Path(out)
    for sub in ("chats", "book", "bank", "parties", "org"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 10])

    n_supplied = max(200, round(38_000 * scale))
    n_own = max(10, round(1_100 * scale))
    n_withheld = max(5, round(700 * scale))
    n_centre = max(10, round(600 * scale))
    n_invalid = max(20, round(1_500 * scale))
    people = _people(rng, n_supplied + n_own, n_invalid)
    supplied = np.arange(n_supplied)
    own = np.arange(n_supplied, n_supplied + n_own)
    invalid = np.arange(n_supplied + n_own, n_supplied + n_own + n_invalid)

    # D02 -> D01: all supplied people and the unreachable ones, in chat batches, some sent twice in a batch.
    n_batches = max(4, round(20 * scale ** 0.5))
    upstream = _chat_rows(rng, np.concatenate([supplied, invalid]), "D02", "D01", n_batches, 0, within_dupes=0.03)
    # D01 -> S01: what D01 kept back is withheld; half the unreachable ones passed on unchecked.
    passed = np.concatenate([rng.permutation(supplied)[n_withheld:], own, invalid[: n_invalid // 2]])
    to_studio = _chat_rows(rng, np.sort(passed), "D01", "S01", n_batches, 60, within_dupes=0.01)
    valid_passed = np.sort(passed[passed < n_supplied + n_own])
    booked = np.sort(rng.choice(valid_passed, int(valid_passed.size * 0.85), replace=False))
    # Re-sent to the studio in a later batch: only people the studio's book also holds, so the
    # repeat never decides whether a record is corroborated, whether sources are counted by file or by export.
    resent = to_studio.filter(pl.col("person").is_in(rng.choice(booked, max(1, booked.size // 50), replace=False).tolist()))
    resent = resent.unique("person", keep="first").with_columns(
        ((pl.col("batch") + 1) % n_batches).alias("batch"), (pl.col("ts") + 3 * DAY).alias("ts")
    )
    to_studio = pl.concat([to_studio, resent]).sort("batch", "ts", "person")
    book = (
        to_studio.filter(pl.col("person").is_in(booked.tolist()))
        .unique("person", keep="first")
        .sort("ts", "person")
        .with_columns(((pl.col("ts") + SHANGHAI * 3600) // DAY * DAY - SHANGHAI * 3600 + DAY).alias("ts"))
    )
    centre_people = np.sort(rng.choice(valid_passed, n_centre, replace=False))
    to_centre = _chat_rows(rng, centre_people, "D01", "S02", 2, 120, within_dupes=0.0)
    # D02's phone, seized later, still held the first quarter of their chat with D01.
    d02_phone = upstream.filter(pl.col("batch") < max(1, n_batches // 4))

    folders = {
        "upstream": "chats/d01_phone_d02",
        "d02_phone": "chats/d02_phone_d01",
        "to_studio": "chats/d01_phone_studio",
        "to_centre": "chats/d01_phone_centre",
    }
    frames = {"upstream": upstream, "d02_phone": d02_phone, "to_studio": to_studio, "to_centre": to_centre}
    record_rows = []
    for key, frame in frames.items():
        frame = frame.join(people, on="person", maintain_order="left")
        frame = frame.with_columns(_format_phone(rng, frame["phone"]).alias("phone_text"))
        tag = "D02-" if key == "d02_phone" else "D01-"
        for batch, part in frame.sort("batch", "ts", "person").partition_by("batch", maintain_order=True, as_dict=True).items():
            table = part.select(
                pl.col("seller").alias(RECORD_HEADER["seller_id"]),
                pl.col("buyer").alias(RECORD_HEADER["buyer_id"]),
                local_time_text(pl.col("ts"), SHANGHAI, "%Y-%m-%d %H:%M:%S").alias(RECORD_HEADER["ts"]),
                pl.col("name").alias(RECORD_HEADER["name"]),
                pl.col("phone_text").alias(RECORD_HEADER["phone"]),
                pl.col("id_number").alias(RECORD_HEADER["id_number"]),
                pl.lit("health").alias(RECORD_HEADER["category"]),
                (pl.lit(f"{tag}{key}-{batch[0]:03d}-") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(5))
                .alias(RECORD_HEADER["batch_ref"]),
            )
            write_csv(out / folders[key] / f"batch_{batch[0]:03d}.csv", table, encoding="utf-8-sig")
        record_rows.append(frame.select("seller", "buyer", "person", pl.lit(key).alias("source"), pl.lit("health").alias("category")))
    book = book.join(people, on="person", maintain_order="left")
    _write_book(out / "book" / "studio_customers.xlsx", book.with_columns(_format_phone(rng, book["phone"]).alias("phone_text")))
    record_rows.append(book.select("seller", "buyer", "person", pl.lit("book").alias("source"), pl.lit("other").alias("category")))
    records = pl.concat(record_rows).join(people.select("person", "valid"), on="person")

    money = _money(rng, scale)
    _write_money(out, rng, money)
    _write_parties(out)
    _write_info_toml(out, list(folders.values()))
    _info_truth(out, records, money)
    return out


def _chat_rows(
    rng: np.random.Generator, persons: np.ndarray, seller: str, buyer: str, n_batches: int, day_offset: int,
    within_dupes: float,
) -> pl.DataFrame:
    """One row per record sent; batches are chat files, a few records pasted twice into one batch."""
    order = rng.permutation(persons)
    batch = np.sort(rng.integers(0, n_batches, order.size))
    base = _utc(START, SHANGHAI) + (day_offset + batch * 3) * DAY
    ts = base + rng.integers(9 * 3600, 22 * 3600, order.size)
    rows = pl.DataFrame({"person": order, "batch": batch, "ts": ts})
    dupes = rows.filter(pl.Series(rng.random(rows.height) < within_dupes)).with_columns(pl.col("ts") + 60)
    return (
        pl.concat([rows, dupes])
        .with_columns(pl.lit(seller).alias("seller"), pl.lit(buyer).alias("buyer"))
        .sort("batch", "ts", "person")
    )


def _write_book(path: Path, book: pl.DataFrame) -> None:
    workbook, sheet = new_workbook(path, "客户登记")
    date_format = workbook.add_format({"num_format": "yyyy/m/d"})
    columns = ["seller_id", "buyer_id", "ts", "name", "phone", "id_number"]
    sheet.write_row(0, 0, [BOOK_HEADER[c] for c in columns])
    days = pl.from_epoch(book["ts"] + SHANGHAI * 3600, time_unit="s").to_list()
    values = book.select("seller", "buyer", "name", "phone_text", "id_number").rows()
    for r, (seller, buyer, name, phone, ident) in enumerate(values, start=1):
        sheet.write_string(r, 0, seller)
        sheet.write_string(r, 1, buyer)
        sheet.write_datetime(r, 2, days[r - 1], date_format)
        sheet.write_string(r, 3, name)
        sheet.write_string(r, 4, phone)
        if ident:
            sheet.write_string(r, 5, ident)
    workbook.close()


ACCOUNTS = {
    "d01_salary": ("6222021001012345678", "D01"),
    "d01_card": ("6217001830012345671", "D01"),
    "d02_card": ("6228480038112345679", "D02"),
    "studio": ("31050161393600001234", "S01"),
    "centre": ("31001520313050005678", "S02"),
}
HOLDERS = {"D01": "顾晓梅", "D02": "陆敏", "S01": "上海某某摄影工作室", "S02": "上海某某月子会所"}


def _money(rng: np.random.Generator, scale: float) -> pl.DataFrame:
    """Every payment between the parties, and where it is evidenced (bank, ledger or both)."""
    def whole_yuan(n: int, low: int, high: int) -> np.ndarray:
        """n distinct amounts in whole yuan, so no payment can be mistaken for another."""
        return (low + rng.choice(max(high - low, 4 * n), n, replace=False)).astype(np.int64) * 100

    n_studio = max(4, round(40 * scale))
    n_upstream = max(3, round(25 * scale))
    n_centre = max(1, round(2 * scale))
    # Distinct within each payer-payee pair: a ledger row can only be taken for its own bank payment.
    amounts = np.concatenate([
        whole_yuan(n_studio, 5_600, 9_600),
        whole_yuan(n_upstream, 5_500, 7_300),
        whole_yuan(n_centre, 2_000, 4_000),
    ])
    payer = ["S01"] * n_studio + ["D01"] * n_upstream + ["S02"] * n_centre
    payee = ["D01"] * n_studio + ["D02"] * n_upstream + ["D01"] * n_centre
    day = rng.integers(20, PERIOD_DAYS, amounts.size)
    ts = _utc(START, SHANGHAI) + day * DAY + rng.integers(9 * 3600, 21 * 3600, amounts.size)
    # The studio's book holds most bank payments, misses some, and records a few paid in cash.
    roll = rng.random(amounts.size)
    evidence = np.where(np.array(payer) != "S01", "bank", np.where(roll < 0.8, "both", np.where(roll < 0.9, "bank", "ledger")))
    return pl.DataFrame(
        {"payer": payer, "payee": payee, "amount": amounts, "ts": ts, "evidence": evidence}
    ).sort("ts", "payer")


def _write_money(out: Path, rng: np.random.Generator, money: pl.DataFrame) -> None:
    account_of = {"S01": ACCOUNTS["studio"][0], "S02": ACCOUNTS["centre"][0], "D01": ACCOUNTS["d01_card"][0],
                  "D02": ACCOUNTS["d02_card"][0]}
    bank = money.filter(pl.col("evidence") != "ledger").with_columns(
        pl.col("payer").replace_strict(account_of).alias("payer_account"),
        pl.col("payee").replace_strict(account_of).alias("payee_account"),
    )
    lines = [
        bank.select(pl.col("payee_account").alias("account_no"), pl.col("ts"), pl.col("amount"),
                    pl.col("payer_account").alias("counterparty"), pl.lit("转账存入").alias("memo")),
        bank.filter(pl.col("payer") == "D01").select(
            pl.col("payer_account").alias("account_no"), pl.col("ts") - 7, -pl.col("amount"),
            pl.col("payee_account").alias("counterparty"), pl.lit("网银转账").alias("memo")),
    ]
    # Wages and everyday spending on the parties' own cards.
    for account, _holder in (ACCOUNTS["d01_salary"], ACCOUNTS["d01_card"], ACCOUNTS["d02_card"]):
        n = 30
        wage = np.arange(n) % 6 == 0
        lines.append(pl.DataFrame({
            "account_no": account,
            "ts": _utc(START, SHANGHAI) + rng.integers(0, PERIOD_DAYS * DAY, n),
            "amount": np.where(wage, rng.integers(6_000_00, 9_000_00, n), -rng.integers(20_00, 2_000_00, n)),
            "counterparty": np.where(wage, "31001520313050009999", "1001300219000003"),
            "memo": np.where(wage, "代发工资", "快捷支付"),
        }))
    names = {**{a: HOLDERS[h] for a, h in ACCOUNTS.values()}, "31001520313050009999": "上海市某区妇幼保健所",
             "1001300219000003": "财付通支付科技有限公司"}
    postings = (
        pl.concat(lines, how="vertical_relaxed")
        .sort("account_no", "ts", "amount")
        .with_columns(
            (pl.lit(50_000_00) + pl.col("amount").cum_sum().over("account_no")).alias("balance"),
            pl.col("account_no").replace_strict(names).alias("account_name"),
            pl.col("counterparty").replace_strict(names).alias("counterparty_name"),
        )
        .with_row_index("seq")
    )
    table = bank_statement_table(postings, pl.lit("IN2019") + pl.col("seq").cast(pl.String).str.zfill(8))
    write_csv(out / "bank" / "statements.csv", table, "gbk", BANK_PREAMBLE, "\r\n")

    ledger = money.filter(pl.col("evidence") != "bank")
    # The book is kept by day; a few studio expenses sit between the payments to D01.
    rent = pl.DataFrame({
        "payer": "S01", "payee": "房东", "amount": [12_000_00] * 6,
        "ts": [_utc(datetime(2019, m, 1, 12), SHANGHAI) for m in range(1, 7)],
    })
    ledger = (
        pl.concat([ledger.select("payer", "payee", "amount", "ts"), rent])
        .with_columns(((pl.col("ts") + SHANGHAI * 3600) // DAY * DAY - SHANGHAI * 3600).alias("day"))
        .sort("ts", "payee")
        .with_row_index("n", offset=1)
    )
    path = out / "book" / "studio_ledger.xlsx"
    workbook, sheet = new_workbook(path, "流水账")
    date_format = workbook.add_format({"num_format": "yyyy/m/d"})
    money_format = workbook.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, [LEDGER_HEADER[c] for c in ("ts", "payer", "payee", "amount", "entry_ref", "memo")])
    days = pl.from_epoch(ledger["day"] + SHANGHAI * 3600, time_unit="s").to_list()
    for r, row in enumerate(ledger.iter_rows(named=True), start=1):
        sheet.write_datetime(r, 0, days[r - 1], date_format)
        sheet.write_string(r, 1, row["payer"])
        sheet.write_string(r, 2, row["payee"])
        sheet.write_number(r, 3, row["amount"] / 100, money_format)
        sheet.write_string(r, 4, f"PZ{row['n']:04d}")
        sheet.write_string(r, 5, "房租" if row["payee"] == "房东" else "资料费")
    workbook.close()


def _write_parties(out: Path) -> None:
    write_csv(
        out / "parties" / "accounts.csv",
        pl.DataFrame(
            [(a, h, HOLDERS[h]) for a, h in ACCOUNTS.values()],
            schema=["account_no", "holder_id", "holder_name"],
            orient="row",
        ).sort("account_no"),
    )
    write_csv(out / "org" / "units.csv", pl.DataFrame(
        {"unit_id": ["U00"], "name": ["某区妇幼保健所涉案人员"], "kind": ["gang"], "parent_id": [None]},
        schema_overrides={"parent_id": pl.String},
    ))
    write_csv(out / "org" / "roster.csv", pl.DataFrame({
        "defendant_id": ["D01", "D02"], "name": [HOLDERS["D01"], HOLDERS["D02"]], "role": ["staff", "staff"],
        "unit_id": ["U00", "U00"], "member_code": [None, None], "valid_from": ["2019-01-01", "2019-01-01"],
        "valid_to": [None, None],
    }, schema_overrides={"member_code": pl.String, "valid_to": pl.String}))


def _write_info_toml(out: Path, chat_folders: list[str]) -> None:
    chats = [source_block("records", f"{folder}/*.csv", columns=RECORD_HEADER, encoding="utf-8-sig") for folder in chat_folders]
    chats[0] = "# Chat exports: D01's phone (with D02, the studio, the centre) and D02's phone (with D01).\n" + chats[0]
    sources = [
        *chats,
        source_block("records", "book/studio_customers.xlsx",
                     "The studio's customer book: a second, independent record of what D01 sold it.", BOOK_HEADER,
                     sheet="客户登记"),
        source_block("payment_ledger", "book/studio_ledger.xlsx", "The studio's account book.", LEDGER_HEADER,
                     sheet="流水账"),
        source_block("bank_statement", "bank/*.csv", columns=BANK_HEADER, directions=BANK_DIRECTIONS, encoding="gbk",
                     skip_rows=3),
        source_block("accounts", "parties/accounts.csv"),
        source_block("roster", "org/roster.csv"),
        source_block("units", "org/units.csv"),
    ]
    tables = f'''[info]
insiders = [{", ".join(toml_string(i) for i in INSIDERS)}]

'''
    write_case_toml(out, "maternity-info", "母婴信息出售案（生成的演示案例）", tables, sources)


def _info_truth(out: Path, records: pl.DataFrame, money: pl.DataFrame) -> dict:
    """rules.md §6 on the planted rows: persons stand for de-duplicated records."""
    threshold = pl.col("category").replace_strict(THRESHOLDS, return_dtype=pl.Int64)
    unique = (
        records.filter("valid")
        .group_by("seller", "buyer", "person")
        .agg(pl.col("source").n_unique().alias("sources"), threshold.min().alias("threshold"))
    )
    per_seller = records.group_by("seller").agg(pl.len().alias("passed"), pl.col("valid").sum().alias("valid"))
    counted = unique.group_by("seller").agg(
        pl.len().alias("unique"),
        (pl.col("sources") >= 2).sum().alias("corroborated"),
        (5000 // pl.col("threshold")).sum().alias("points"),  # sum(count/threshold) >= 1  <=>  points >= 5000
    )
    received = money.group_by("payee").agg(pl.col("amount").sum().alias("received")).rename({"payee": "seller"})
    upstream = money.group_by("payer").agg(pl.col("amount").sum().alias("paid_upstream")).rename({"payer": "seller"})
    table = (
        per_seller.join(counted, on="seller", how="left")
        .join(received, on="seller", how="left")
        .join(upstream.filter(pl.col("seller").is_in(["D01", "D02"])), on="seller", how="left")
        .fill_null(0)
        .sort("seller")
    )
    result = {}
    for row in table.iter_rows(named=True):
        net = row["received"] - row["paid_upstream"]
        divisor = 2 if row["seller"] in INSIDERS else 1
        by_records = 2 if row["points"] * divisor >= 50_000 else 1 if row["points"] * divisor >= 5_000 else 0
        by_gain = 2 if net * divisor >= 50_000_00 else 1 if net * divisor >= 5_000_00 else 0
        result[row["seller"]] = {
            "records_passed": row["passed"],
            "records_valid": row["valid"],
            "records_unique": row["unique"],
            "records_corroborated": row["corroborated"],
            "received": fen_text(row["received"]),
            "paid_upstream": fen_text(row["paid_upstream"]),
            "net_gain": fen_text(net),
            "tier": ("none", "serious", "especially_serious")[max(by_records, by_gain)],
        }
    truth = {"case": "maternity-info", "info_defendants": result}
    write_json(out / "truth.json", truth)
    return truth
