"""The 7·29 fraud case: deposit sheets, bank statements, roster, victims, and the truth planted in them.

Victims are generated in batches of at most BATCH_PAYERS paying accounts; each
batch has its own receiving cards, so a batch is self-contained (matching
candidates never cross batches) and is written to disk before the next is
built. Memory stays flat however large --scale is.

Why the planted matching is the one the rules find (rules.md §3): within a
batch every amount a payment or an entry carries is distinct (one entry and
its single payment share theirs), and no two parts of a split add up to an
entry's amount; so each entry's only candidate is its own payment. One
payer account's payments are at least nine hours apart, so no split can be
assembled from unrelated payments. The single deliberate exception is the
"greedy trap": two entries of one amount 20 minutes apart and two payments
such that nearest-first pairing leaves one entry unmatched while the
maximum matching validates both.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from fundtrail.generate.org import (
    CASE_END,
    CASE_START,
    RESHUFFLE,
    UNKNOWN_CODE,
    Organisation,
    build_organisation,
)
from fundtrail.generate.writers import (
    account_numbers,
    chinese_names,
    epoch_day,
    local_time_text,
    money_text,
    new_workbook,
    source_block,
    toml_string,
    write_case_toml,
    write_csv,
)

SCALE1_VICTIMS = 1600
SCALE1_UNIDENTIFIED = 250
BATCH_PAYERS = 20_000
PAYERS_PER_CARD = 40
ROWS_PER_FILE = 250_000
# A victim's own banking (wages, shopping, bills) over the five months; 调单 replies
# return every row of the account, so the replies case carries a month's worth each month.
NOISE_PER_ACCOUNT = 8
NOISE_PER_ACCOUNT_REPLIES = 44
SHANGHAI, VIENTIANE = 8, 7
DAY = 86_400
SINGLE, SPLIT, ENTRY_ONLY, PAYMENT_ONLY = 0, 1, 2, 3
EXPORT_SPLIT_DAY = epoch_day(date(2019, 5, 20))
MERCHANTS = (
    ("1001300219000003", "财付通支付科技有限公司"),
    ("1001200129000017", "支付宝（中国）网络技术有限公司"),
    ("3100105010005258", "北京京东世纪贸易有限公司"),
    ("4000023009200081", "国网电力缴费"),
    ("1109067410101", "中国移动通信集团"),
    ("3201880000000392", "苏宁易购集团股份有限公司"),
)
COMPANY_WORDS = list("华信达泰丰恒瑞宏远鑫盛源隆安康博通嘉诚")
POLICE_HEADER = {
    "account_no": "交易卡号",
    "account_name": "交易户名",
    "ts": "交易时间",
    "amount": "交易金额",
    "balance": "交易余额",
    "direction": "收付标志",
    "counterparty_account": "交易对手账卡号",
    "counterparty_name": "对手户名",
    "txn_ref": "交易流水号",
    "currency": "币种",
    "memo": "摘要说明",
}
BANK_HEADER = {
    "account_no": "账号",
    "account_name": "户名",
    "ts": "交易时间",
    "direction": "借贷标志",
    "amount": "交易金额",
    "balance": "账户余额",
    "counterparty_account": "对方账号",
    "counterparty_name": "对方户名",
    "txn_ref": "交易流水号",
    "currency": "币种",
    "memo": "摘要",
}
ABC_HEADER = {
    "ts": "交易时间",
    "direction": "收支",
    "amount": "交易金额",
    "balance": "余额",
    "counterparty_account": "对方账号",
    "counterparty_name": "对方户名",
    "txn_ref": "流水号",
    "memo": "摘要",
}
SHEET_HEADER = {
    "entry_ref": "序号",
    "ts": "入金时间",
    "victim_ref": "客户编号",
    "amount": "金额",
    "receiving_account": "收款卡号",
    "member_code": "业务员",
}


@dataclass
class Counters:
    statement_rows: int = 0
    duplicate_rows: int = 0
    quarantined_rows: int = 0
    entries: int = 0
    entry_aggregates: list[pl.DataFrame] = field(default_factory=list)
    victim_tables: list[pl.DataFrame] = field(default_factory=list)
    victim_rows: list[pl.DataFrame] = field(default_factory=list)
    card_rows: list[pl.DataFrame] = field(default_factory=list)
    layer_rows: list[pl.DataFrame] = field(default_factory=list)
    frozen_rows: list[pl.DataFrame] = field(default_factory=list)
    fifo_endpoints: list[pl.DataFrame] = field(default_factory=list)
    abc_account: str = ""


def generate_fraud(out: Path, scale: float = 1.0, seed: int = 729, files_per_account: bool = False) -> Path:
    """Write the fraud case folder into ``out`` (case.toml, evidence, truth.json) and return ``out``.

    ``files_per_account`` writes every bank statement (receiving cards and
    victims alike, except the one bank's own export) as 调单 replies: one
    small police-query file per account, month and query, as banks answer a
    police request. The planted truth is the same either way.
    """
    from fundtrail.generate.truth import fraud_truth

    out = Path(out)
    for sub in ("bank", "sheets", "org", "victims", "frozen"):
        shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    org = build_organisation(seed)
    n_victims = max(40, round(SCALE1_VICTIMS * scale))
    n_unidentified = max(8, round(SCALE1_UNIDENTIFIED * scale))
    n_batches = -(-(n_victims + n_unidentified) // BATCH_PAYERS)
    counters = Counters()
    special_start = n_victims + 1
    v_done = u_done = card_done = 0
    for b in range(n_batches):
        v_here = n_victims * (b + 1) // n_batches - v_done
        u_here = n_unidentified * (b + 1) // n_batches - u_done
        batch = _plan_batch(
            org, seed, b, v_here, u_here, v_done, u_done, card_done, special_start,
            NOISE_PER_ACCOUNT_REPLIES if files_per_account else NOISE_PER_ACCOUNT,
        )
        _write_batch(out, batch, counters, files_per_account)
        v_done, u_done, card_done = v_done + v_here, u_done + u_here, card_done + batch.cards.height
    _write_static(out, org, counters)
    _write_case_toml(out, counters, files_per_account)
    fraud_truth(out, org, counters)
    return out


@dataclass
class Batch:
    index: int
    seed: int
    code_departments: pl.DataFrame  # member_code, department (which sheet books the code)
    payers: pl.DataFrame  # account_no, payer_key, name, identified, statement
    cards: pl.DataFrame  # account_no, holder_name, statement, listed, layout, overlap
    instalments: pl.DataFrame  # inst, account_no, payer_key, card, code, t_entry, amount, mode, named_card, named_victim
    transfers: pl.DataFrame  # payer, payee, amount, ts_payer, ts_payee, payer_vis, payee_vis, kind, inst
    holders: pl.DataFrame  # account_no, holder_name
    victims_csv: pl.DataFrame
    layers: pl.DataFrame  # account_no, holder_id, layer, statement, opening: the laundering layers' accounts
    frozen: pl.DataFrame  # account_no, amount, ts, authority_ref: the layer accounts frozen after the arrests


def _plan_batch(
    org: Organisation,
    seed: int,
    b: int,
    n_victims: int,
    n_unidentified: int,
    victim_offset: int,
    unidentified_offset: int,
    card_offset: int,
    special_start: int,
    noise_per_account: int = NOISE_PER_ACCOUNT,
) -> Batch:
    rng = np.random.default_rng([seed, 2, b])
    n_cards = max(6, round((n_victims + n_unidentified) / PAYERS_PER_CARD))
    card_no = account_numbers("622202", card_offset + 1, n_cards)
    card_statement = rng.random(n_cards) >= 0.08
    listed = np.ones(n_cards, dtype=bool)
    layout = np.full(n_cards, "police", dtype=object)
    overlap = rng.random(n_cards) < 0.25
    if b == 0:
        # card 0: a bank's own export; 1: the greedy trap; 4: named only in the sheets; 5: no statement
        card_statement[[0, 1, 2, 3, 4]] = True
        card_statement[5] = False
        listed[4] = False
        layout[0] = "abc"
        overlap[0], overlap[3] = False, True
    cards = pl.DataFrame(
        {
            "account_no": card_no,
            "holder_name": chinese_names(rng, n_cards),
            "statement": card_statement,
            "listed": listed,
            "layout": layout.astype(str),
            "overlap": overlap,
        }
    )

    # Paying accounts: identified victims (5% with a second account), then unidentified payers.
    victim_ids = np.char.add("V", np.char.zfill((np.arange(n_victims) + victim_offset + 1).astype(str), 6))
    victim_names = chinese_names(rng, n_victims)
    victim_statement = rng.random(n_victims) < 0.7
    second = rng.random(n_victims) < 0.05
    specials = _special_payers(b, special_start, rng)
    payers = pl.concat(
        [
            pl.DataFrame(
                {
                    "account_no": account_numbers("621700", victim_offset + 1, n_victims),
                    "payer_key": victim_ids,
                    "name": victim_names,
                    "identified": True,
                    "statement": victim_statement,
                    "primary": True,
                }
            ),
            pl.DataFrame(
                {
                    "account_no": account_numbers("622848", victim_offset + 1, n_victims)[second],
                    "payer_key": victim_ids[second],
                    "name": victim_names[second],
                    "identified": True,
                    "statement": victim_statement[second],
                    "primary": False,
                }
            ),
            specials.select("account_no", "payer_key", "name", "identified", "statement", "primary"),
        ]
    )
    unident_no = account_numbers("623668", unidentified_offset + 1, n_unidentified)
    payers = pl.concat(
        [
            payers,
            pl.DataFrame(
                {
                    "account_no": unident_no,
                    "payer_key": np.char.add("unidentified:", unident_no),
                    "name": chinese_names(rng, n_unidentified),
                    "identified": False,
                    "statement": False,
                    "primary": True,
                }
            ),
        ]
    )

    payer_keys = np.concatenate([victim_ids, np.char.add("unidentified:", unident_no)])
    regular = _regular_instalments(org, rng, n_victims, n_unidentified, payer_keys, cards, b)
    instalments = pl.concat([regular, _special_instalments(specials, org, b)], how="diagonal_relaxed")
    instalments = _assign_accounts(instalments, payers)
    instalments, parts = _amounts_and_parts(instalments, rng)

    holders = pl.concat(
        [
            payers.select("account_no", pl.col("name").alias("holder_name")),
            cards.select("account_no", "holder_name"),
        ]
    )
    transfers, extra_holders = _transfers(instalments, parts, payers, cards, rng, b, noise_per_account)
    transfers, layers, frozen, layer_holders = _laundering_layers(transfers, cards, seed, b)
    holders = pl.concat([holders, extra_holders, layer_holders]).unique("account_no", keep="first")

    reported = (
        transfers.filter(pl.col("kind") == "payment")
        .join(payers.select(pl.col("account_no").alias("payer"), "payer_key"), on="payer")
        .group_by("payer_key")
        .agg(pl.col("amount").sum().alias("paid"))
    )
    identified = payers.filter("identified")
    # One victim in ten has not put a figure on the loss; the figure stands on the first account's row.
    victims_csv = (
        identified.join(reported, on="payer_key", how="left", maintain_order="left")
        .with_columns(pl.Series("reports", rng.random(identified.height) >= 0.1))
        .with_columns(
            pl.when(pl.col("primary") & pl.col("reports"))
            .then(money_text((pl.col("paid").fill_null(0) + 9_999) // 10_000 * 10_000))
            .alias("reported_loss")
        )
        .select(pl.col("payer_key").alias("victim_id"), "name", "account_no", "reported_loss")
    )
    departments = org.codes.select("member_code", "department")
    return Batch(b, seed, departments, payers, cards, instalments, transfers, holders, victims_csv, layers, frozen)


def _special_payers(b: int, special_start: int, rng: np.random.Generator) -> pl.DataFrame:
    """Batch 0 only: the victims of the planted edge cases, one account each, with statements."""
    if b != 0:
        return pl.DataFrame(
            schema={"account_no": pl.String, "payer_key": pl.String, "name": pl.String,
                    "identified": pl.Boolean, "statement": pl.Boolean, "primary": pl.Boolean, "role": pl.String}
        )
    roles = ["trap_a", "trap_b"] + [f"edge_{i}" for i in range(8)] + ["unknown"]
    n = len(roles)
    ids = np.char.add("V", np.char.zfill(np.arange(special_start, special_start + n).astype(str), 6))
    return pl.DataFrame(
        {
            "account_no": account_numbers("621483", 1, n),
            "payer_key": ids,
            "name": chinese_names(rng, n),
            "identified": True,
            "statement": True,
            "primary": True,
            "role": roles,
        }
    )


def _special_instalments(specials: pl.DataFrame, org: Organisation, b: int) -> pl.DataFrame:
    """The planted edge cases (batch 0): greedy trap, midnight hand-overs, an unknown code."""
    if b != 0:
        return pl.DataFrame()
    keys = dict(zip(specials["role"], specials["payer_key"], strict=True))
    cards_of = {"trap": 1, "edge": 4, "unknown": 2}
    rows = []
    t0 = _utc(datetime(2019, 4, 20, 15, 0), SHANGHAI)
    # Entry E1 (t0) and E2 (t0+20 min), one amount; payments at t0-25 min and t0+10 min.
    # Nearest-first gives E1 the t0+10 payment and leaves E2 alone; the maximum matching
    # pairs E1 with t0-25 and E2 with t0+10, so both are validated.
    trap_day = (t0 + SHANGHAI * 3600) // DAY
    held = org.codes.filter((pl.col("first_day") <= trap_day) & (pl.col("last_day") >= trap_day))["member_code"]
    rows.append(("trap_a", held[0], t0, t0 - 25 * 60, SINGLE, "trap"))
    rows.append(("trap_b", held[1], t0 + 20 * 60, t0 + 10 * 60, SINGLE, "trap"))
    # Codes passing at the reshuffle: a deposit booked 22:30 Laos time on the old holder's
    # last day is 23:30 in Shanghai (old holder); one booked 23:30 is 00:30 next day (new holder).
    last_day = datetime.combine(RESHUFFLE - timedelta(days=1), datetime.min.time())
    for i, code in enumerate(org.handovers):
        for j, laos_hour in enumerate((22, 23)):
            t_entry = _utc(last_day + timedelta(hours=laos_hour, minutes=30), VIENTIANE)
            rows.append((f"edge_{2 * i + j}", code, t_entry, t_entry - 10 * 60, SINGLE, "edge"))
    t_unknown = _utc(datetime(2019, 6, 3, 11, 0), SHANGHAI)
    rows.append(("unknown", UNKNOWN_CODE, t_unknown, t_unknown - 6 * 60, SINGLE, "unknown"))
    rows.append(("unknown", UNKNOWN_CODE, t_unknown + 3 * DAY, t_unknown + 3 * DAY - 9 * 60, SINGLE, "unknown"))
    rows.append(("unknown", UNKNOWN_CODE, t_unknown + 6 * DAY, 0, ENTRY_ONLY, "unknown"))
    return pl.DataFrame(
        {
            "payer_key": [keys[r[0]] for r in rows],
            "code": [r[1] for r in rows],
            "t_entry": [r[2] for r in rows],
            "t_pay": [r[3] for r in rows],
            "mode": [r[4] for r in rows],
            "card_index": [cards_of[r[5]] for r in rows],
            "named_card": True,
            "named_victim": False,
            "amount_group": ["trap" if r[5] == "trap" else None for r in rows],
            "first": False,
        },
        schema_overrides={"t_entry": pl.Int64, "t_pay": pl.Int64, "mode": pl.Int8, "card_index": pl.Int64},
    )


def _utc(local: datetime, offset_hours: int) -> int:
    return int((local - datetime(1970, 1, 1)).total_seconds()) - offset_hours * 3600


def _regular_instalments(
    org: Organisation,
    rng: np.random.Generator,
    n_victims: int,
    n_unidentified: int,
    payer_keys: np.ndarray,
    cards: pl.DataFrame,
    b: int,
) -> pl.DataFrame:
    n = n_victims + n_unidentified
    identified = np.arange(n) < n_victims
    codes = org.codes
    span = (codes["last_day"] - codes["first_day"] + 1).to_numpy()
    p = codes["weight"].to_numpy() * span
    handler = rng.choice(codes.height, size=n, p=p / p.sum())
    first_day = codes["first_day"].to_numpy()[handler]
    last_day = codes["last_day"].to_numpy()[handler]
    start = first_day + (rng.random(n) * (last_day - first_day + 1)).astype(np.int64)

    count = np.where(identified, 1 + np.minimum(rng.geometric(0.35, n), 6), 1 + np.minimum(rng.geometric(0.5, n), 3))
    owner = np.repeat(np.arange(n), count)
    total = int(count.sum())
    firsts = np.cumsum(count) - count
    k = np.arange(total) - np.repeat(firsts, count)
    gap = np.where(k == 0, 0, rng.integers(1, 5, total))
    cum = np.cumsum(gap)
    day = start[owner] + cum - np.repeat(cum[firsts], count)
    keep = day <= last_day[owner]
    minute = rng.integers(8 * 60, 23 * 60, total)
    t_entry = day * DAY - SHANGHAI * 3600 + minute * 60

    roll = rng.random(total)
    mode = np.select(
        [k == 0, roll < 0.03, roll < 0.08, roll < 0.13],
        [SINGLE, SPLIT, ENTRY_ONLY, PAYMENT_ONLY],
        SINGLE,
    ).astype(np.int8)
    delay = rng.integers(60, 20 * 60 + 1, total)
    t_pay = np.where(mode == PAYMENT_ONLY, t_entry, t_entry - delay)

    statement_cards = np.flatnonzero(cards["statement"].to_numpy())
    primary = np.where(identified, rng.integers(0, cards.height, n), rng.choice(statement_cards, n))
    other = np.where(identified[owner], rng.integers(0, cards.height, total), rng.choice(statement_cards, total))
    card_index = np.where(rng.random(total) < 0.7, primary[owner], other)
    if b == 0:
        # card 0 is the bank-export card; keep the trap card and the sheet-only card for the plants
        card_index = np.where(np.isin(card_index, [1, 4]), 0, card_index)
    named_card = np.where(identified[owner], rng.random(total) >= 0.08, True)
    named_victim = np.where(identified[owner], ~named_card | (rng.random(total) < 0.3), False)
    frame = pl.DataFrame(
        {
            "owner": owner,
            "payer_key": payer_keys[owner],
            "code": codes["member_code"].to_numpy()[handler][owner],
            "t_entry": t_entry,
            "t_pay": t_pay,
            "mode": mode,
            "card_index": card_index,
            "named_card": named_card,
            "named_victim": named_victim,
            "first": k == 0,
            "pick_second": rng.random(total) < 0.5,
            "amount_group": pl.Series([None] * total, dtype=pl.String),
        }
    )
    return frame.filter(pl.Series(keep))


def _assign_accounts(instalments: pl.DataFrame, payers: pl.DataFrame) -> pl.DataFrame:
    """Give each instalment its paying account: a victim with two accounts uses either."""
    accounts = payers.group_by("payer_key").agg(
        pl.col("account_no").filter("primary").first().alias("primary_account"),
        pl.col("account_no").filter(~pl.col("primary")).first().alias("second_account"),
    )
    out = instalments.join(accounts, on="payer_key", how="left").with_columns(
        pl.when(pl.col("second_account").is_not_null() & pl.col("pick_second").fill_null(False))
        .then(pl.col("second_account"))
        .otherwise(pl.col("primary_account"))
        .alias("account_no")
    )
    return (
        out.sort("t_entry", "payer_key", "t_pay")
        .with_row_index("inst")
        .with_columns(pl.col("inst").cast(pl.Int64))
        .select("inst", "payer_key", "account_no", "code", "t_entry", "t_pay", "mode", "card_index",
                "named_card", "named_victim", "first", "amount_group")
    )


def _amounts_and_parts(instalments: pl.DataFrame, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = instalments.height
    first = instalments["first"].to_numpy()
    amount = np.where(
        first,
        rng.integers(200_00, 3_000_00, n),
        np.clip(np.round(np.exp(rng.normal(np.log(10_000), 0.9, n)) * 100), 500_00, 300_000_00).astype(np.int64)
        + rng.integers(0, 100, n),
    ).astype(np.int64)
    mode = instalments["mode"].to_numpy().copy()
    mode[(mode == SPLIT) & (amount < 2_000_00)] = SINGLE
    split_idx = np.flatnonzero(mode == SPLIT)
    n_parts = rng.integers(2, 4, split_idx.size)
    cut1 = np.where(n_parts == 2, rng.uniform(0.3, 0.7, split_idx.size), rng.uniform(0.2, 0.45, split_idx.size))
    cut2 = rng.uniform(0.55, 0.8, split_idx.size)
    group = instalments["amount_group"].to_numpy()
    copies = np.flatnonzero(group == "trap")
    copy_src, copy_dst = (copies[0], copies[1:]) if copies.size else (None, np.array([], dtype=np.int64))
    carries = np.ones(n, dtype=bool)
    carries[copy_dst] = False
    is_entry = mode != PAYMENT_ONLY

    while True:
        if copy_src is not None:
            amount[copy_dst] = amount[copy_src]
        total = amount[split_idx]
        c1 = np.round(total * cut1).astype(np.int64)
        c2 = np.where(n_parts == 3, np.round(total * cut2).astype(np.int64), total)
        parts = [c1, c2 - c1, total - c2]
        part_amount = np.concatenate([parts[0], parts[1], parts[2][n_parts == 3]])
        part_owner = np.concatenate([split_idx, split_idx, split_idx[n_parts == 3]])
        values = np.concatenate([amount[carries], part_amount])
        owners = np.concatenate([np.flatnonzero(carries), part_owner])
        order = np.argsort(values, kind="stable")
        dup = np.flatnonzero(values[order][1:] == values[order][:-1]) + 1
        bad = owners[order][dup]
        three = n_parts == 3
        pair_sums = np.concatenate([(parts[0] + parts[1])[three], (parts[0] + parts[2])[three], (parts[1] + parts[2])[three]])
        pair_owner = np.tile(split_idx[three], 3)
        bad = np.unique(np.concatenate([bad, pair_owner[np.isin(pair_sums, amount[is_entry])]]))
        if bad.size == 0:
            break
        if copy_src is not None and np.isin(copy_dst, bad).any():
            bad = np.union1d(bad, [copy_src])
        amount[bad] += rng.integers(1, 10_000, bad.size)

    instalments = instalments.with_columns(pl.Series("amount", amount), pl.Series("mode", mode.astype(np.int8)))
    t_entry = instalments["t_entry"].to_numpy()
    part_rows = []
    for i, piece in enumerate(parts):
        sel = np.ones(split_idx.size, dtype=bool) if i < 2 else (n_parts == 3)
        part_rows.append(
            pl.DataFrame(
                {
                    "inst": split_idx[sel].astype(np.int64),
                    "part": i,
                    "amount": piece[sel],
                    "t_pay": t_entry[split_idx[sel]] - rng.integers(2 * 60, 25 * 60, int(sel.sum())),
                }
            )
        )
    return instalments, pl.concat(part_rows).sort("inst", "part")


def _transfers(
    instalments: pl.DataFrame,
    parts: pl.DataFrame,
    payers: pl.DataFrame,
    cards: pl.DataFrame,
    rng: np.random.Generator,
    b: int,
    noise_per_account: int = NOISE_PER_ACCOUNT,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    card_no = cards["account_no"]
    inst = instalments.with_columns(pl.Series("card", card_no.to_numpy()[instalments["card_index"].to_numpy()]))
    singles = inst.filter(pl.col("mode").is_in([SINGLE, PAYMENT_ONLY])).select(
        "inst", "account_no", "card", "amount", "t_pay"
    )
    split_parts = parts.join(inst.select("inst", "account_no", "card"), on="inst", maintain_order="left").select(
        "inst", "account_no", "card", "amount", "t_pay"
    )
    payments = pl.concat([singles, split_parts]).select(
        pl.col("account_no").alias("payer"),
        pl.col("card").alias("payee"),
        "amount",
        pl.col("t_pay").alias("ts_payee"),
        "inst",
        pl.lit("payment").alias("kind"),
    )

    first = inst.filter(pl.col("first") & (pl.col("mode") == SINGLE))
    identified = first["payer_key"].str.starts_with("unidentified:").not_().to_numpy()
    gets_return = rng.random(first.height) < np.where(identified, 0.7, 0.3)
    special = first["payer_key"].is_in(_special_keys(payers)).to_numpy()
    gets_return &= ~special
    first = first.filter(pl.Series(gets_return))
    returns = first.select(
        pl.col("card").alias("payer"),
        pl.col("account_no").alias("payee"),
        (pl.col("amount") * pl.Series(rng.uniform(0.05, 0.3, first.height))).round().cast(pl.Int64).alias("amount"),
        (pl.col("t_pay") + pl.Series(rng.integers(3600, 20 * 3600, first.height))).alias("ts_payee"),
        pl.lit(None, dtype=pl.Int64).alias("inst"),
        pl.lit("return").alias("kind"),
    )

    # Each evening a card passes most of the day's takings on: to onward accounts, or to another card.
    n_cards = cards.height
    onward_no = account_numbers("623059", b * 100_000 + 1, 2 * n_cards)
    daily = (
        payments.with_columns(((pl.col("ts_payee") + SHANGHAI * 3600) // DAY).alias("day"))
        .group_by("payee", "day")
        .agg(pl.col("amount").sum())
        .sort("payee", "day")
    )
    m = daily.height
    two = rng.random(m) < 0.4
    share = rng.uniform(0.85, 0.97, m)
    to_card = rng.random(m) < 0.2
    src_index = np.searchsorted(card_no.to_numpy(), daily["payee"].to_numpy())
    other_card = card_no.to_numpy()[(src_index + rng.integers(1, n_cards, m)) % n_cards]
    dest = np.where(to_card, other_card, onward_no[rng.integers(0, onward_no.size, m)])
    sent = np.round(daily["amount"].to_numpy() * share).astype(np.int64)
    first_part = np.where(two, np.round(sent * rng.uniform(0.4, 0.6, m)).astype(np.int64), sent)
    base_ts = daily["day"].to_numpy() * DAY - SHANGHAI * 3600 + 22 * 3600
    laundering = pl.DataFrame(
        {
            "payer": np.concatenate([daily["payee"].to_numpy(), daily["payee"].to_numpy()[two]]),
            "payee": np.concatenate([dest, onward_no[rng.integers(0, onward_no.size, int(two.sum()))]]),
            "amount": np.concatenate([first_part, (sent - first_part)[two]]),
            "ts_payee": np.concatenate([base_ts + rng.integers(0, 3600, m), base_ts[two] + rng.integers(3600, 5400, int(two.sum()))]),
        }
    ).with_columns(pl.lit(None, dtype=pl.Int64).alias("inst"), pl.lit("laundering").alias("kind"))

    # Victims' ordinary banking around the fraud: wages in, shopping and bills out.
    with_statement = payers.filter(pl.col("statement"))["account_no"].to_numpy()
    per = rng.poisson(noise_per_account, with_statement.size)
    acct = np.repeat(with_statement, per)
    q = acct.size
    wage = rng.random(q) < 0.25
    employers = np.char.add("4400", np.char.zfill(rng.integers(0, 10**12, 50).astype(str), 12))
    employer_names = np.array([
        "深圳市" + "".join(rng.choice(COMPANY_WORDS, 2)) + "科技有限公司" for _ in range(50)
    ])
    merchant = rng.integers(0, len(MERCHANTS), q)
    employer = rng.integers(0, 50, q)
    other = np.where(wage, employers[employer], np.array([m_[0] for m_ in MERCHANTS])[merchant])
    noise_amount = np.where(wage, rng.integers(3_000_00, 20_000_00, q), rng.integers(20_00, 3_000_00, q))
    noise_ts = (
        epoch_day(CASE_START) * DAY - SHANGHAI * 3600
        + rng.integers(0, (epoch_day(CASE_END) - epoch_day(CASE_START) + 1) * DAY, q)
    )
    noise = pl.DataFrame(
        {
            "payer": np.where(wage, other, acct),
            "payee": np.where(wage, acct, other),
            "amount": noise_amount,
            "ts_payee": noise_ts,
        }
    ).with_columns(pl.lit(None, dtype=pl.Int64).alias("inst"), pl.lit("noise").alias("kind"))

    transfers = pl.concat([payments, returns, laundering, noise])
    statement_accounts = pl.concat(
        [
            payers.filter("statement").select("account_no"),
            cards.filter("statement").select("account_no"),
        ]
    ).with_columns(pl.lit(True).alias("vis"))
    transfers = (
        transfers.with_columns(
            (pl.col("ts_payee") - pl.Series(rng.integers(0, 31, transfers.height))).alias("ts_payer")
        )
        .join(statement_accounts.rename({"account_no": "payer", "vis": "payer_vis"}), on="payer", how="left",
              maintain_order="left")
        .join(statement_accounts.rename({"account_no": "payee", "vis": "payee_vis"}), on="payee", how="left",
              maintain_order="left")
        .with_columns(pl.col("payer_vis").fill_null(False), pl.col("payee_vis").fill_null(False))
    )
    extra = pl.concat(
        [
            pl.DataFrame({"account_no": onward_no, "holder_name": chinese_names(rng, onward_no.size)}),
            pl.DataFrame({"account_no": employers, "holder_name": employer_names}),
            pl.DataFrame({"account_no": [m_[0] for m_ in MERCHANTS], "holder_name": [m_[1] for m_ in MERCHANTS]}),
        ]
    )
    return transfers, extra


# The onward accounts (623059…) are layer 1. Layers 2 and 3 differ in their first four digits, so
# masked numbers (first and last four kept) of one serial tell the layers apart, and sort after
# every earlier statement account, so those statements' rows and references stay as they were.
LAYER_PREFIXES = ("623059", "622908", "623166")
PLATFORMS = ("1001300219000003", "1001200129000017")  # 财付通, 支付宝: [tracing] platform_accounts
FROZEN_PER_BATCH = 3
FREEZE_TS = (epoch_day(CASE_END) + 3) * DAY - SHANGHAI * 3600 + 10 * 3600  # 10:00 three days after the arrests


def _laundering_layers(
    transfers: pl.DataFrame, cards: pl.DataFrame, seed: int, b: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Where the cards' money went: 1–3 layers of mule accounts, then cash, spending or a frozen balance.

    The onward accounts the cards pay each evening are the first layer; three in four have a
    statement (调单 obtained). Each starts a chain of depth 1–3: a layer passes each arrival on
    (92–100 % of it, 20 minutes to 6 hours later) to the next; a layer-2 or -3 account without
    a statement ends the chain where the evidence stops (nothing after it is planted). The last
    layer with a statement cashes each arrival out (ATM, no counterparty), spends it at a
    merchant or payment platform, or keeps it; FROZEN_PER_BATCH last layers keep most of it and
    are frozen after the arrests at their balance. No layer pays a card or a payer, so no
    payment or return changes and the defendants' and victims' figures stay as they were. The
    draws come from their own stream: the rest of the case is drawn as before.

    Returns the transfers (laundering into a layer with a statement now seen on both sides, and
    the layers' own), the layer accounts, the freezes and the holders' names.
    """
    rng = np.random.default_rng([seed, 5, b])
    card_set = set(cards["account_no"].to_list())
    onward = np.array(sorted(set(transfers.filter(pl.col("kind") == "laundering")["payee"].to_list()) - card_set))
    n = onward.size
    depth = rng.choice([1, 2, 3], size=n, p=[0.4, 0.35, 0.25])
    statement = [rng.random(n) < 0.75, rng.random(n) < 0.9, rng.random(n) < 0.9]
    chains = [onward] + [account_numbers(prefix, b * 100_000 + 1, n) for prefix in LAYER_PREFIXES[1:]]
    # Layer k + 1 of a chain receives money when the chain is that deep and every layer before it
    # has a statement; it passes money on when layer k + 2 receives, else it is the last.
    receives = [np.ones(n, dtype=bool)]
    for k in (1, 2):
        receives.append(receives[k - 1] & statement[k - 1] & (depth > k))
    last = [receives[k] & statement[k] & (depth == k + 1) for k in range(3)]
    frozen_chain = np.zeros(n, dtype=bool)
    frozen_chain[rng.permutation(np.flatnonzero(last[0] | last[1] | last[2]))[:FROZEN_PER_BATCH]] = True

    seen_layer_1 = pl.col("payee").is_in(onward[statement[0]].tolist())
    transfers = transfers.with_columns(
        (pl.col("payee_vis") | ((pl.col("kind") == "laundering") & seen_layer_1)).alias("payee_vis")
    )
    position = {account: i for i, account in enumerate(onward.tolist())}
    arriving = transfers.filter((pl.col("kind") == "laundering") & seen_layer_1).select(
        pl.col("payee").alias("account"), "amount", pl.col("ts_payee").alias("ts")
    ).sort("ts", "account", "amount")
    chain = np.array([position[a] for a in arriving["account"].to_list()], dtype=np.int64)
    merchants = np.array([m_[0] for m_ in MERCHANTS])
    moves = []
    for k in range(3):
        m = arriving.height
        forward = receives[k + 1][chain] if k < 2 else np.zeros(m, dtype=bool)
        roll = rng.random(m)
        kind = np.where(
            forward,
            "layer",
            np.where(frozen_chain[chain], np.where(roll < 0.3, "cash", "keep"),
                     np.where(roll < 0.45, "cash", np.where(roll < 0.8, "spend", "keep"))),
        )
        payee = np.where(
            kind == "layer", chains[min(k + 1, 2)][chain],
            np.where(kind == "spend", merchants[rng.integers(0, merchants.size, m)], ""),
        )
        sent = np.round(arriving["amount"].to_numpy() * rng.uniform(0.92, 1.0, m)).astype(np.int64)
        delay = np.where(kind == "layer", rng.integers(20 * 60, 6 * 3600, m), rng.integers(3600, 24 * 3600, m))
        payee_vis = (kind == "layer") & (statement[min(k + 1, 2)][chain])
        moved = pl.DataFrame(
            {
                "payer": arriving["account"],
                "payee": pl.Series(payee).replace("", None),
                "amount": sent,
                "ts_payee": arriving["ts"].to_numpy() + delay,
                "kind": kind,
                "payee_vis": payee_vis,
                "chain": chain,
            }
        ).filter(pl.col("kind") != "keep")
        moves.append(moved.drop("chain"))
        onward_moves = moved.filter((pl.col("kind") == "layer") & pl.col("payee_vis"))
        arriving = onward_moves.select(pl.col("payee").alias("account"), "amount", pl.col("ts_payee").alias("ts"))
        chain = onward_moves["chain"].to_numpy()
    layered = pl.concat(moves)
    layered = layered.with_columns(
        (pl.col("ts_payee") - pl.Series(rng.integers(0, 31, layered.height))).alias("ts_payer"),
        pl.lit(None, dtype=pl.Int64).alias("inst"),
        pl.lit(True).alias("payer_vis"),
    ).select(transfers.columns)

    accounts = pl.concat(
        [
            pl.DataFrame({"account_no": chains[k][receives[k]], "layer": k + 1, "statement": statement[k][receives[k]]})
            for k in range(3)
        ]
    ).sort("account_no")
    accounts = accounts.with_columns(
        pl.Series("holder_id", [f"M{b:02d}{i:05d}" for i in range(accounts.height)]),
        pl.Series("opening", rng.integers(0, 500_00, accounts.height)),
    )
    everything = pl.concat([transfers, layered])
    balances = pl.concat(
        [
            everything.filter("payer_vis").select(pl.col("payer").alias("account_no"), -pl.col("amount")),
            everything.filter("payee_vis").select(pl.col("payee").alias("account_no"), "amount"),
        ]
    ).group_by("account_no").agg(pl.col("amount").sum())
    frozen_accounts = [chains[k][i] for k in range(3) for i in np.flatnonzero(last[k] & frozen_chain)]
    frozen = (
        accounts.filter(pl.col("account_no").is_in(frozen_accounts))
        .join(balances, on="account_no", how="left")
        .select(
            "account_no",
            (pl.col("opening") + pl.col("amount").fill_null(0)).alias("amount"),
            pl.lit(FREEZE_TS).alias("ts"),
            pl.format("公(刑)冻字〔2019〕{}号", pl.int_range(pl.len()) + 1 + b * 10).alias("authority_ref"),
        )
    )
    names = pl.DataFrame({"account_no": accounts["account_no"], "holder_name": chinese_names(rng, accounts.height)})
    columns = ["account_no", "holder_id", "layer", "statement", "opening"]
    return everything, accounts.select(columns), frozen, names


def _special_keys(payers: pl.DataFrame) -> list[str]:
    return payers.filter(pl.col("account_no").str.starts_with("621483"))["payer_key"].to_list()


# ---------------------------------------------------------------- writing


def _validity(batch: Batch) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Which planted entries the bank evidence validates, and each visible payment's fate.

    An entry is validated when every payment planted for it is in some statement;
    a payment is validated when its entry is.
    """
    t = batch.transfers.with_columns((pl.col("payer_vis") | pl.col("payee_vis")).alias("visible"))
    per_inst = (
        t.filter(pl.col("kind") == "payment")
        .group_by("inst")
        .agg(pl.col("visible").all().alias("all_visible"))
    )
    entries = (
        batch.instalments.filter(pl.col("mode") != PAYMENT_ONLY)
        .join(per_inst, on="inst", how="left")
        .with_columns(
            (pl.col("mode").is_in([SINGLE, SPLIT]) & pl.col("all_visible").fill_null(False)).alias("validated")
        )
    )
    payments = (
        t.filter((pl.col("kind") == "payment") & pl.col("visible"))
        .join(entries.select("inst", "validated"), on="inst", how="left")
        .with_columns(pl.col("validated").fill_null(False))
    )
    return entries, payments


def _write_batch(out: Path, batch: Batch, counters: Counters, files_per_account: bool = False) -> None:
    from fundtrail.generate.truth import fifo_endpoints

    entries, payments = _validity(batch)
    _write_sheets(out, batch, entries, counters)
    postings = _postings(batch)
    if files_per_account:
        _write_replies(out, batch, postings, counters)
    else:
        _write_police(out, batch, postings, counters)
        _write_layer_statements(out, batch, postings, counters)
        _write_victim_statements(out, batch, postings, counters)
    _write_abc(out, batch, postings, counters)
    counters.layer_rows.append(batch.layers.join(batch.holders, on="account_no", how="left", maintain_order="left"))
    counters.frozen_rows.append(batch.frozen)
    counters.fifo_endpoints.append(fifo_endpoints(batch, postings, PLATFORMS))

    counters.entry_aggregates.append(
        entries.with_columns(((pl.col("t_entry") + SHANGHAI * 3600) // DAY).alias("day"))
        .group_by("code", "day", "validated")
        .agg(pl.col("amount").sum(), pl.len().alias("count"))
    )
    key_of = batch.payers.select("account_no", "payer_key")
    paid = payments.join(key_of.rename({"account_no": "payer"}), on="payer")
    paying_accounts = paid.select(pl.col("payer").alias("payee")).unique()
    returns = (
        batch.transfers.filter((pl.col("kind") == "return") & (pl.col("payer_vis") | pl.col("payee_vis")))
        .join(paying_accounts, on="payee")
        .join(key_of.rename({"account_no": "payee"}), on="payee")
        .group_by("payer_key")
        .agg(pl.col("amount").sum().alias("returned"))
    )
    victims = (
        paid.group_by("payer_key")
        .agg(
            pl.col("amount").sum().alias("paid"),
            pl.col("amount").filter("validated").sum().alias("validated"),
            pl.len().alias("payments"),
        )
        .join(returns, on="payer_key", how="left")
    )
    identified = batch.payers.filter("identified").select("payer_key").unique()
    victims = pl.concat(
        [victims, identified.join(victims, on="payer_key", how="anti")], how="diagonal_relaxed"
    ).fill_null(0)
    counters.victim_tables.append(victims)
    counters.victim_rows.append(batch.victims_csv)
    counters.card_rows.append(batch.cards.filter("listed").select("account_no", "holder_name"))


def _write_sheets(out: Path, batch: Batch, entries: pl.DataFrame, counters: Counters) -> None:
    card_no = batch.cards["account_no"].to_numpy()
    frame = entries.with_columns(
        pl.Series("card", card_no[entries["card_index"].to_numpy()]),
    ).sort("t_entry", "inst")
    departments = batch.code_departments
    frame = frame.join(departments, left_on="code", right_on="member_code", how="left", maintain_order="left").with_columns(
        pl.col("department").fill_null("DEP1")
    )
    for dept in ("DEP1", "DEP2", "DEP3"):
        part = frame.filter(pl.col("department") == dept)
        extra_rows = 1 if (dept == "DEP3" and batch.index == 0) else 0
        if part.height == 0 and not extra_rows:
            continue
        part = part.with_row_index("row", offset=1).with_columns(
            (pl.lit(f"{dept}-{batch.index:02d}-") + pl.col("row").cast(pl.String).str.zfill(6)).alias("entry_ref"),
            pl.when("named_victim").then(pl.col("payer_key")).alias("victim_ref"),
            pl.when("named_card").then(pl.col("card")).alias("receiving_account"),
        )
        counters.entries += part.height
        if dept == "DEP3":
            _write_sheet_csv(out / "sheets" / f"b{batch.index:02d}_{dept.lower()}.csv", part, batch.index == 0)
            counters.quarantined_rows += extra_rows
        else:
            _write_sheet_xlsx(out / "sheets" / f"b{batch.index:02d}_{dept.lower()}.xlsx", part)


def _write_sheet_xlsx(path: Path, part: pl.DataFrame) -> None:
    workbook, sheet = new_workbook(path, "入金表")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    headers = [SHEET_HEADER[c] for c in ("entry_ref", "ts", "victim_ref", "amount", "receiving_account", "member_code")]
    sheet.write_row(0, 0, headers)
    local = pl.from_epoch(part["t_entry"] + VIENTIANE * 3600, time_unit="s").to_list()
    refs = part["entry_ref"].to_list()
    victims = part["victim_ref"].to_list()
    amounts = (part["amount"] / 100).to_list()
    cards = part["receiving_account"].to_list()
    codes = part["code"].to_list()
    for r in range(part.height):
        row = r + 1
        sheet.write_string(row, 0, refs[r])
        sheet.write_datetime(row, 1, local[r], when)
        if victims[r] is not None:
            sheet.write_string(row, 2, victims[r])
        sheet.write_number(row, 3, amounts[r], money)
        if cards[r] is not None:
            sheet.write_string(row, 4, cards[r])
        sheet.write_string(row, 5, codes[r])
    workbook.close()


def _write_sheet_csv(path: Path, part: pl.DataFrame, malformed: bool) -> None:
    table = part.select(
        pl.col("entry_ref").alias(SHEET_HEADER["entry_ref"]),
        local_time_text(pl.col("t_entry"), VIENTIANE, "%Y/%-m/%-d %H:%M").alias(SHEET_HEADER["ts"]),
        pl.col("victim_ref").alias(SHEET_HEADER["victim_ref"]),
        money_text(pl.col("amount")).alias(SHEET_HEADER["amount"]),
        pl.col("receiving_account").alias(SHEET_HEADER["receiving_account"]),
        pl.col("code").alias(SHEET_HEADER["member_code"]),
    )
    if malformed:
        # Written in words by whoever kept the sheet that day: not an amount.
        table = pl.concat(
            [table, pl.DataFrame([["DEP3-00-999999", "2019/5/2 14:20", None, "八千", None, "阿龙"]],
                                 schema=table.columns, orient="row")]
        )
    write_csv(path, table, encoding="gbk", preamble=["业务三部入金登记表（老挝时间）"], line_end="\r\n")


def _postings(batch: Batch) -> pl.DataFrame:
    """One row per statement line: each visible side of each transfer, with running balances."""
    t = batch.transfers
    cols = ["account_no", "ts", "amount", "counterparty", "memo"]
    memo_out = (
        pl.when(pl.col("kind") == "cash").then(pl.lit("ATM取款"))
        .when(pl.col("kind").is_in(["noise", "spend"])).then(pl.lit("快捷支付"))
        .otherwise(pl.lit("网银转账"))
    )
    memo_in = pl.when(pl.col("kind") == "noise").then(pl.lit("代发工资")).otherwise(pl.lit("转账存入"))
    out_side = t.filter("payer_vis").select(
        pl.col("payer").alias("account_no"), pl.col("ts_payer").alias("ts"), -pl.col("amount"),
        pl.col("payee").alias("counterparty"), memo_out.alias("memo"),
    )
    in_side = t.filter("payee_vis").select(
        pl.col("payee").alias("account_no"), pl.col("ts_payee").alias("ts"), pl.col("amount"),
        pl.col("payer").alias("counterparty"), memo_in.alias("memo"),
    )
    postings = pl.concat([out_side, in_side]).select(cols).sort("account_no", "ts", "amount", "counterparty")
    accounts = postings.select("account_no").unique().join(batch.layers, on="account_no", how="anti").sort("account_no")
    rng = np.random.default_rng([batch.seed, 3, batch.index])
    accounts = accounts.with_columns(pl.Series("opening", rng.integers(20_000_00, 300_000_00, accounts.height)))
    accounts = pl.concat([accounts, batch.layers.filter("statement").select("account_no", "opening")]).sort("account_no")
    names = batch.holders
    return (
        postings.join(accounts, on="account_no", maintain_order="left")
        .with_columns((pl.col("opening") + pl.col("amount").cum_sum().over("account_no")).alias("balance"))
        .with_row_index("seq")
        .with_columns(
            pl.concat_str(
                local_time_text(pl.col("ts"), SHANGHAI, "%Y%m%d"),
                pl.lit(f"{batch.index:02d}"),
                pl.col("seq").cast(pl.String).str.zfill(9),
            ).alias("txn_ref")
        )
        .join(names.rename({"holder_name": "account_name"}), on="account_no", how="left", maintain_order="left")
        .join(names.rename({"account_no": "counterparty", "holder_name": "counterparty_name"}), on="counterparty", how="left",
              maintain_order="left")
        .sort("seq")
    )


def _chunks(frame: pl.DataFrame, rows_per_file: int) -> list[pl.DataFrame]:
    """Split by whole accounts into files of about rows_per_file rows."""
    if frame.height == 0:
        return []
    sizes = frame.group_by("account_no", maintain_order=True).len()
    starts = np.cumsum(sizes["len"].to_numpy()) - sizes["len"].to_numpy()
    file_of = pl.DataFrame({"account_no": sizes["account_no"], "file": starts // rows_per_file})
    tagged = frame.join(file_of, on="account_no", maintain_order="left")
    return [part.drop("file") for part in tagged.partition_by("file", maintain_order=True)]


def _police_table(p: pl.DataFrame) -> pl.DataFrame:
    h = POLICE_HEADER
    return p.select(
        pl.col("account_no").alias(h["account_no"]),
        pl.col("account_name").alias(h["account_name"]),
        local_time_text(pl.col("ts"), SHANGHAI, "%Y-%m-%d %H:%M:%S").alias(h["ts"]),
        money_text(pl.col("amount").abs()).alias(h["amount"]),
        money_text(pl.col("balance")).alias(h["balance"]),
        pl.when(pl.col("amount") > 0).then(pl.lit("进")).otherwise(pl.lit("出")).alias(h["direction"]),
        pl.col("counterparty").alias(h["counterparty_account"]),
        pl.col("counterparty_name").alias(h["counterparty_name"]),
        pl.col("txn_ref").alias(h["txn_ref"]),
        pl.lit("人民币").alias(h["currency"]),
        pl.col("memo").alias(h["memo"]),
        pl.lit("网上银行").alias("交易网点名称"),
    )


def _write_police(out: Path, batch: Batch, postings: pl.DataFrame, counters: Counters) -> None:
    police_cards = batch.cards.filter(pl.col("statement") & (pl.col("layout") == "police"))
    rows = postings.join(police_cards.select("account_no", "overlap"), on="account_no", maintain_order="left")
    split = EXPORT_SPLIT_DAY * DAY - SHANGHAI * 3600
    # Cards queried twice: the first query ran three days past the start of the second.
    first = rows.filter(~pl.col("overlap") | (pl.col("ts") < split + 3 * DAY))
    second = rows.filter(pl.col("overlap") & (pl.col("ts") >= split))
    counters.duplicate_rows += rows.filter(pl.col("overlap") & pl.col("ts").is_between(split, split + 3 * DAY, closed="left")).height
    folder = out / "bank" / "police"
    for i, chunk in enumerate(_chunks(first, ROWS_PER_FILE)):
        table = _police_table(chunk)
        if batch.index == 0 and i == 0:
            table = pl.concat([table, _malformed_police(batch, table.columns)])
            counters.quarantined_rows += 3
        write_csv(folder / f"b{batch.index:02d}_q1_{i:02d}.csv", table, "gbk", _police_preamble(batch.index, 1, i), "\r\n")
        counters.statement_rows += table.height
    if second.height:
        path = folder / f"b{batch.index:02d}_q2.csv"
        write_csv(path, _police_table(second), "gbk", _police_preamble(batch.index, 2, 0), "\r\n")
        counters.statement_rows += second.height
        if batch.index == 0:
            # The same reply sent twice by the bank, saved under another name.
            shutil.copyfile(path, folder / "b00_q2_resend.csv")
            counters.statement_rows += second.height
            counters.duplicate_rows += second.height


def _write_replies(out: Path, batch: Batch, postings: pl.DataFrame, counters: Counters) -> None:
    """调单 replies: one police-query file per account, calendar month (Shanghai) and query.

    The quirks of the big exports are kept: overlapping second queries for a
    quarter of the cards (their three shared days repeat row for row), the
    three malformed rows in a card's reply, the "#####" amount in a victim's,
    and one reply the bank sent twice.
    """
    cards = batch.cards.filter(pl.col("statement") & (pl.col("layout") == "police")).select("account_no", "overlap")
    victims = batch.payers.filter("statement").select("account_no", pl.lit(False).alias("overlap"))
    layers = batch.layers.filter("statement").select("account_no", pl.lit(False).alias("overlap"))
    rows = postings.join(pl.concat([cards, victims, layers]).unique("account_no"), on="account_no", maintain_order="left")
    split = EXPORT_SPLIT_DAY * DAY - SHANGHAI * 3600
    counters.duplicate_rows += rows.filter(
        pl.col("overlap") & pl.col("ts").is_between(split, split + 3 * DAY, closed="left")
    ).height
    queries = pl.concat(
        [
            rows.filter(~pl.col("overlap") | (pl.col("ts") < split + 3 * DAY)).with_columns(pl.lit(1).alias("query")),
            rows.filter(pl.col("overlap") & (pl.col("ts") >= split)).with_columns(pl.lit(2).alias("query")),
        ]
    ).with_columns(local_time_text(pl.col("ts"), SHANGHAI, "%Y%m").alias("month"))
    folder = out / "bank" / "returns"
    card_with_bad_rows = batch.cards["account_no"][2] if batch.index == 0 else None
    victim_with_bad_row = victims["account_no"][0] if batch.index == 0 and victims.height else None
    resent = False
    parts = queries.partition_by("account_no", "month", "query", maintain_order=True, as_dict=True)
    for number, ((account, month, query), part) in enumerate(sorted(parts.items())):
        table = _police_table(part)
        if account == card_with_bad_rows:
            table = pl.concat([table, _malformed_police(batch, table.columns)])
            counters.quarantined_rows += 3
            card_with_bad_rows = None
        if account == victim_with_bad_row:
            # A cell too narrow when the bank printed it: "#####" instead of the amount.
            broken = list(table.row(0))
            broken[3], broken[8] = "#####", "MALFORMED000004"
            table = pl.concat([table, pl.DataFrame([broken], schema=table.columns, orient="row")])
            counters.quarantined_rows += 1
            victim_with_bad_row = None
        path = folder / f"b{batch.index:02d}_{account}_{month}_q{query}.csv"
        write_csv(path, table, "gbk", _police_preamble(batch.index, query, number), "\r\n")
        counters.statement_rows += table.height
        if batch.index == 0 and query == 2 and not resent:
            # The same reply sent twice by the bank, saved under another name.
            shutil.copyfile(path, path.with_name(f"{path.stem}_resend.csv"))
            counters.statement_rows += table.height
            counters.duplicate_rows += table.height
            resent = True


def _write_layer_statements(out: Path, batch: Batch, postings: pl.DataFrame, counters: Counters) -> None:
    """The laundering layers' statements, obtained by police query like the cards' (a third query)."""
    rows = postings.join(batch.layers.filter("statement").select("account_no"), on="account_no", maintain_order="left")
    for i, chunk in enumerate(_chunks(rows, ROWS_PER_FILE)):
        table = _police_table(chunk)
        write_csv(out / "bank" / "police" / f"b{batch.index:02d}_layers_{i:02d}.csv", table, "gbk",
                  _police_preamble(batch.index, 3, i), "\r\n")
        counters.statement_rows += table.height


def _police_preamble(b: int, query: int, part: int) -> list[str]:
    return ["公安机关电信网络诈骗涉案资金查询反馈结果", f"查询批次：ZJCX2019{b:02d}{query}{part:02d}"]


def _malformed_police(batch: Batch, columns: list[str]) -> pl.DataFrame:
    card = batch.cards["account_no"][2]
    name = batch.cards["holder_name"][2]
    base = [card, name, "2019-04-12 10:15:00", "1000.00", "150000.00", "进", "6230590000000000001", "赵某",
            "", "人民币", "转账存入", "网上银行"]
    bad_amount = base.copy()
    bad_amount[3], bad_amount[8] = "1,2O0.00", "MALFORMED000001"
    bad_time = base.copy()
    bad_time[2], bad_time[8] = "2019-04-31 10:15:00", "MALFORMED000002"
    usd = base.copy()
    usd[3], usd[8], usd[9] = "500.00", "MALFORMED000003", "USD"
    return pl.DataFrame([bad_amount, bad_time, usd], schema=columns, orient="row")


BANK_PREAMBLE = ["中国建设银行个人活期账户交易明细", "打印日期：2019-08-05", "币种：人民币 单位：元"]


def bank_statement_table(postings: pl.DataFrame, txn_ref: pl.Expr | None = None) -> pl.DataFrame:
    """Postings in the layout of a bank's own export (BANK_HEADER): 借/贷 flags, amounts unsigned with thousands separators."""
    h = BANK_HEADER
    return postings.select(
        pl.col("account_no").alias(h["account_no"]),
        pl.col("account_name").alias(h["account_name"]),
        local_time_text(pl.col("ts"), SHANGHAI, "%Y-%m-%d %H:%M:%S").alias(h["ts"]),
        pl.when(pl.col("amount") > 0).then(pl.lit("贷")).otherwise(pl.lit("借")).alias(h["direction"]),
        money_text(pl.col("amount").abs(), thousands=True).alias(h["amount"]),
        money_text(pl.col("balance"), thousands=True).alias(h["balance"]),
        pl.col("counterparty").alias(h["counterparty_account"]),
        pl.col("counterparty_name").alias(h["counterparty_name"]),
        (pl.col("txn_ref") if txn_ref is None else txn_ref).alias(h["txn_ref"]),
        pl.lit("人民币").alias(h["currency"]),
        pl.col("memo").alias(h["memo"]),
    )


def _write_victim_statements(out: Path, batch: Batch, postings: pl.DataFrame, counters: Counters) -> None:
    accounts = batch.payers.filter("statement").select("account_no")
    rows = postings.join(accounts, on="account_no", maintain_order="left")
    for i, chunk in enumerate(_chunks(rows, ROWS_PER_FILE)):
        table = bank_statement_table(chunk)
        if batch.index == 0 and i == 0:
            # A cell too narrow when the bank printed it to Excel: "#####" instead of the amount.
            broken = table.row(0)
            broken = [*broken[:4], "#####", *broken[5:8], "MALFORMED000004", *broken[9:]]
            table = pl.concat([table, pl.DataFrame([broken], schema=table.columns, orient="row")])
            counters.quarantined_rows += 1
        write_csv(out / "bank" / "victims" / f"b{batch.index:02d}_{i:02d}.csv", table, "gbk", BANK_PREAMBLE, "\r\n")
        counters.statement_rows += table.height


def _write_abc(out: Path, batch: Batch, postings: pl.DataFrame, counters: Counters) -> None:
    abc = batch.cards.filter(pl.col("statement") & (pl.col("layout") == "abc"))
    split = EXPORT_SPLIT_DAY * DAY - SHANGHAI * 3600
    h = ABC_HEADER
    for account, name in abc.select("account_no", "holder_name").iter_rows():
        rows = postings.filter(pl.col("account_no") == account)
        # Two exports a month apart, the first taken five days into the second's range.
        parts = [(1, rows.filter(pl.col("ts") < split + 5 * DAY)), (2, rows.filter(pl.col("ts") >= split))]
        counters.duplicate_rows += rows.filter(pl.col("ts").is_between(split, split + 5 * DAY, closed="left")).height
        for n, part in parts:
            table = part.select(
                local_time_text(pl.col("ts"), SHANGHAI, "%Y-%m-%dT%H:%M:%S").alias(h["ts"]),
                pl.when(pl.col("amount") > 0).then(pl.lit("收入")).otherwise(pl.lit("支出")).alias(h["direction"]),
                money_text(pl.col("amount").abs()).alias(h["amount"]),
                money_text(pl.col("balance")).alias(h["balance"]),
                pl.col("counterparty").alias(h["counterparty_account"]),
                pl.col("counterparty_name").alias(h["counterparty_name"]),
                pl.col("txn_ref").alias(h["txn_ref"]),
                pl.col("memo").alias(h["memo"]),
            )
            first_day = part["ts"].min() if part.height else split
            last_day = part["ts"].max() if part.height else split
            span = pl.select(
                local_time_text(pl.lit(first_day), SHANGHAI, "%Y-%m-%d"),
                local_time_text(pl.lit(last_day), SHANGHAI, "%Y-%m-%d").alias("b"),
            ).row(0)
            preamble = ["中国农业银行账户交易明细", f"账号：{account}", f"户名：{name}", f"起止日期：{span[0]} 至 {span[1]}"]
            write_csv(out / "bank" / "abc" / f"card_{n}.csv", table, "gbk", preamble, "\r\n")
            counters.statement_rows += table.height
        counters.abc_account = account


def _write_static(out: Path, org: Organisation, counters: Counters) -> None:
    write_csv(out / "org" / "units.csv", org.units)
    write_csv(
        out / "org" / "roster.csv",
        org.roster.with_columns(pl.col("valid_from").cast(pl.String), pl.col("valid_to").cast(pl.String)),
    )
    write_csv(out / "org" / "gang_accounts.csv", pl.concat(counters.card_rows).sort("account_no"))
    write_csv(out / "victims" / "victims.csv", pl.concat(counters.victim_rows).sort("victim_id", "account_no"))
    # The laundering layers' holders, known from the 调单 replies: parties, not suspects of this case.
    write_csv(
        out / "org" / "layer_accounts.csv",
        pl.concat(counters.layer_rows).sort("account_no").select(
            "account_no", "holder_id", "holder_name"
        ),
    )
    frozen = pl.concat(counters.frozen_rows).sort("account_no")
    write_csv(
        out / "frozen" / "frozen.csv",
        frozen.select("account_no", money_text(pl.col("amount")).alias("amount"),
                      local_time_text(pl.col("ts"), SHANGHAI, "%Y-%m-%d %H:%M:%S").alias("ts"), "authority_ref"),
    )


POLICE_DIRECTIONS = {"进": "in", "出": "out"}
BANK_DIRECTIONS = {"贷": "in", "借": "out"}


def _write_case_toml(out: Path, counters: Counters, files_per_account: bool = False) -> None:
    if files_per_account:
        statements = [source_block(
            "bank_statement", "bank/returns/*.csv", "调单: the banks' replies to police queries, one file per account, month and query.",
            POLICE_HEADER, POLICE_DIRECTIONS, encoding="gbk", skip_rows=2,
        )]
    else:
        statements = [
            source_block(
                "bank_statement", "bank/police/*.csv",
                "Police transaction-query replies for the receiving cards (many cards per file) and the laundering layers.",
                POLICE_HEADER, POLICE_DIRECTIONS, encoding="gbk", skip_rows=2,
            ),
            source_block("bank_statement", "bank/victims/*.csv", "Victims' own bank statements, exported by the bank.",
                         BANK_HEADER, BANK_DIRECTIONS, encoding="gbk", skip_rows=3),
        ]
    sources = [
        *statements,
        source_block(
            "bank_statement", "bank/abc/*.csv",
            "One card's statement from its bank, exported twice with overlapping dates;\nthe account number is only in the preamble.",
            ABC_HEADER, {"收入": "in", "支出": "out"}, encoding="gbk", skip_rows=4, account_no=counters.abc_account,
        ),
        source_block("deposit_sheet", "sheets/*.xlsx", "The gang's deposit sheets, kept in Laos time.", SHEET_HEADER,
                     sheet="入金表", timezone="Asia/Vientiane"),
        source_block("deposit_sheet", "sheets/*.csv", columns=SHEET_HEADER, encoding="gbk", skip_rows=1,
                     timezone="Asia/Vientiane"),
        source_block("roster", "org/roster.csv"),
        source_block("units", "org/units.csv"),
        source_block("gang_accounts", "org/gang_accounts.csv"),
        source_block("accounts", "org/layer_accounts.csv", "The laundering layers' accounts and holders (from the 调单 replies)."),
        source_block("frozen", "frozen/frozen.csv", "Layer accounts frozen after the arrests, at their balance."),
        source_block("victims", "victims/victims.csv"),
    ]
    tables = f'''[matching]
window_minutes = 30
amount_tolerance = "0.00"
max_split = 3
mirror_window_minutes = 10

[tracing]
platform_accounts = [{", ".join(toml_string(p) for p in PLATFORMS)}]  # 财付通, 支付宝

[liability]
financier = "gang"
shareholder = "gang"
leader = "unit"
staff = "own"
support = "gang"

'''
    write_case_toml(out, "729-fraud", "7·29 跨境电信诈骗案（生成的演示案例）", tables, sources)
