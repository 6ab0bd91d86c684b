"""The case generators: shape of the planted cases, determinism, and the answer key's own arithmetic.

Whether the pipeline reproduces truth.json is tests/test_generate_truth.py (slow).
"""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fundtrail.config import load_case
from fundtrail.generate import generate_fraud, generate_info
from fundtrail.generate.fraud import (
    ENTRY_ONLY,
    PAYMENT_ONLY,
    PLATFORMS,
    SINGLE,
    SPLIT,
    _plan_batch,
    _validity,
)
from fundtrail.generate.info import id_numbers
from fundtrail.generate.org import UNKNOWN_CODE, build_organisation

SMALL = 0.05


@pytest.fixture(scope="module")
def fraud_small(tmp_path_factory) -> Path:
    return generate_fraud(tmp_path_factory.mktemp("fraud") / "case", scale=SMALL, seed=11)


@pytest.fixture(scope="module")
def fraud_full(tmp_path_factory) -> Path:
    return generate_fraud(tmp_path_factory.mktemp("fraud_full") / "case", scale=1.0)


@pytest.fixture(scope="module")
def info_full(tmp_path_factory) -> Path:
    return generate_info(tmp_path_factory.mktemp("info") / "case", scale=1.0)


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def money(text: str) -> Decimal:
    return Decimal(text)


def read_gbk(path: Path, skip: int) -> pl.DataFrame:
    text = path.read_bytes().decode("gbk")
    return pl.read_csv(io.StringIO(text), skip_rows=skip, infer_schema=False)


# ---------------------------------------------------------------- determinism and config


@pytest.mark.parametrize("make", [generate_fraud, generate_info])
def test_same_seed_gives_identical_bytes_and_another_seed_does_not(make, tmp_path):
    a = digest(make(tmp_path / "a", scale=SMALL, seed=5))
    b = digest(make(tmp_path / "b", scale=SMALL, seed=5))
    c = digest(make(tmp_path / "c", scale=SMALL, seed=6))
    assert a == b
    assert a != c
    assert set(a) == set(b)


def test_both_cases_parse_with_load_case(fraud_small, tmp_path):
    fraud = load_case(fraud_small)
    assert fraud.id == "729-fraud"
    kinds = sorted({s.kind for s in fraud.sources})
    assert kinds == ["accounts", "bank_statement", "deposit_sheet", "frozen", "gang_accounts", "roster", "units", "victims"]
    assert fraud.tracing.platform_accounts == PLATFORMS
    sheets = fraud.sources_of("deposit_sheet")
    assert {s.timezone for s in sheets} == {"Asia/Vientiane"}
    assert fraud.timezone == "Asia/Shanghai"
    # truth.json sits in the folder but no source names it
    assert not any("truth" in f for s in fraud.sources for f in s.files)

    info = load_case(generate_info(tmp_path / "info", scale=SMALL))
    assert info.insiders == ("D01", "D02")
    assert len(info.sources_of("records")) == 5
    assert len(info.sources_of("payment_ledger")) == 1


def test_regenerating_into_the_same_folder_leaves_no_stale_files(tmp_path):
    generate_fraud(tmp_path, scale=0.2, seed=1)
    generate_fraud(tmp_path, scale=SMALL, seed=1)
    fresh = digest(generate_fraud(tmp_path.parent / f"{tmp_path.name}-fresh", scale=SMALL, seed=1))
    assert digest(tmp_path) == fresh


# ---------------------------------------------------------------- the organisation


def test_organisation_has_the_shape_of_the_729_case(fraud_small):
    units = pl.read_csv(fraud_small / "org" / "units.csv")
    roster = pl.read_csv(fraud_small / "org" / "roster.csv", infer_schema=False)
    kinds = units.group_by("kind").len().sort("kind")
    assert kinds.rows() == [("department", 5), ("gang", 1), ("group", 17)]
    departments = set(units.filter(pl.col("kind") == "department")["unit_id"])
    assert set(units.filter(pl.col("kind") == "group")["parent_id"]) <= departments
    # 2 financiers + 4 shareholders + 17 leaders + 51 staff + 5 recruits + 3 support
    assert roster["defendant_id"].n_unique() == 82
    assert set(roster["role"]) == {"financier", "shareholder", "leader", "staff", "support"}


def test_roster_plants_hand_overs_a_promotion_and_a_move(fraud_small):
    roster = pl.read_csv(fraud_small / "org" / "roster.csv", infer_schema=False)
    holders = roster.filter(pl.col("member_code").is_not_null()).group_by("member_code").agg(
        pl.col("defendant_id").n_unique().alias("people"),
        pl.col("valid_to").sort_by("valid_from").first().alias("old_to"),
        pl.col("valid_from").sort_by("valid_from").last().alias("new_from"),
    )
    passed = holders.filter(pl.col("people") == 2)
    assert passed.height == 4
    assert set(passed["old_to"]) == {"2019-05-15"}
    assert set(passed["new_from"]) == {"2019-05-16"}
    roles = roster.group_by("defendant_id").agg(pl.col("role").unique().sort(), pl.col("unit_id").unique().sort())
    assert roles.filter(pl.col("role") == ["leader", "staff"]).height == 1
    assert roles.filter(pl.col("unit_id") == ["G08", "G12"]).height == 1
    assert UNKNOWN_CODE not in set(roster["member_code"].drop_nulls())


# ---------------------------------------------------------------- the evidence files


def test_statements_are_gbk_with_preambles_flags_and_unsigned_amounts(fraud_small):
    police = read_gbk(next((fraud_small / "bank" / "police").glob("b00_q1_*.csv")), 2)
    assert set(police["收付标志"]) == {"进", "出"}
    assert not police["交易金额"].str.starts_with("-").any()
    victims = read_gbk(fraud_small / "bank" / "victims" / "b00_00.csv", 3)
    assert set(victims["借贷标志"]) == {"借", "贷"}
    assert victims["交易金额"].str.contains(",").any()  # thousands separators
    preamble = (fraud_small / "bank" / "abc" / "card_1.csv").read_bytes().decode("gbk").splitlines()[:4]
    account = load_case(fraud_small).sources_of("bank_statement")[2].account_no
    assert preamble[1] == f"账号：{account}"


def test_overlapping_exports_repeat_rows_exactly(fraud_small):
    police = fraud_small / "bank" / "police"
    first = pl.concat([read_gbk(p, 2) for p in sorted(police.glob("b00_q1_*.csv"))])
    second = read_gbk(police / "b00_q2.csv", 2)
    repeated = second.join(first, on=second.columns, how="semi")
    assert repeated.height > 0
    assert (police / "b00_q2_resend.csv").read_bytes() == (police / "b00_q2.csv").read_bytes()
    abc = fraud_small / "bank" / "abc"
    a, b = read_gbk(abc / "card_1.csv", 4), read_gbk(abc / "card_2.csv", 4)
    assert a.join(b, on=a.columns, how="semi").height > 0


def test_files_per_account_writes_one_small_police_reply_per_account_month_and_query(tmp_path):
    case = generate_fraud(tmp_path / "case", scale=SMALL, seed=11, files_per_account=True)
    assert sorted(p.name for p in (case / "bank").iterdir()) == ["abc", "returns"]
    replies = sorted((case / "bank" / "returns").glob("*.csv"))
    frames = {p.name: read_gbk(p, 2) for p in replies}
    for name, frame in frames.items():
        batch, account, month, query = Path(name).stem.split("_")[:4]
        assert frame.columns[:4] == ["交易卡号", "交易户名", "交易时间", "交易金额"], name
        assert set(frame["交易卡号"]) == {account}, name
        regular = frame.filter(~pl.col("交易流水号").str.starts_with("MALFORMED"))
        assert set(regular["交易时间"].str.slice(0, 7).str.replace("-", "")) == {month}, name
        assert set(regular["收付标志"]) <= {"进", "出"}
    assert len(replies) > 10 * len({n.split("_")[1] for n in frames}) // 10  # several months per account
    resent = [p for p in replies if p.stem.endswith("_resend")]
    assert len(resent) == 1
    assert resent[0].read_bytes() == resent[0].with_name(resent[0].name.replace("_resend", "")).read_bytes()
    malformed = pl.concat(frames.values()).filter(pl.col("交易流水号").str.starts_with("MALFORMED"))
    assert sorted(malformed["交易流水号"]) == [f"MALFORMED00000{i}" for i in range(1, 5)]
    abc_rows = sum(read_gbk(p, 4).height for p in (case / "bank" / "abc").glob("*.csv"))
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    assert sum(f.height for f in frames.values()) + abc_rows == truth["totals"]["statement_rows"]
    sources = [s.files for s in load_case(case).sources_of("bank_statement")]
    assert [len(files) for files in sources] == [len(replies), 2]


def test_deposit_sheets_are_kept_in_laos_time(fraud_small):
    """The hand-over plants: 22:30 and 23:30 in Laos on the old holders' last day (15 May)."""
    sheets = pl.concat(
        [pl.read_excel(p, sheet_name="入金表") for p in sorted((fraud_small / "sheets").glob("*.xlsx"))]
    )
    csv = read_gbk(fraud_small / "sheets" / "b00_dep3.csv", 1)
    times = set(sheets["入金时间"].dt.strftime("%Y-%m-%d %H:%M")) | set(csv["入金时间"])
    assert {"2019-05-15 22:30", "2019-05-15 23:30"} <= times | {
        t.replace("2019/5/15", "2019-05-15") for t in times
    }
    assert UNKNOWN_CODE in set(sheets["业务员"])
    assert "八千" in set(csv["金额"])


# ---------------------------------------------------------------- the planted matching


def test_each_entry_has_only_its_planted_candidates():
    """rules.md §3 candidates worked out on the plan: one per validated single, none for the rest."""
    org = build_organisation(3)
    batch = _plan_batch(org, 3, 0, 300, 40, 0, 0, 0, 301)
    entries, payments = _validity(batch)
    cards = batch.cards["account_no"].to_numpy()
    key = batch.payers.select(pl.col("account_no").alias("payer"), "payer_key")
    entries = entries.with_columns(pl.Series("card", cards[entries["card_index"].to_numpy()]))
    pay = payments.join(key, on="payer").select(
        pl.col("inst").alias("paid_for"), "payee", "amount", "ts_payee", pl.col("payer_key").alias("from_key")
    )
    pairs = entries.join(pay, on="amount").filter(
        ((pl.col("t_entry") - pl.col("ts_payee")).abs() <= 30 * 60)
        & (~pl.col("named_card") | (pl.col("card") == pl.col("payee")))
        & (~pl.col("named_victim") | (pl.col("payer_key") == pl.col("from_key")))
    )
    counts = entries.join(pairs.group_by("inst").agg(pl.len().alias("candidates")), on="inst", how="left")
    counts = counts.with_columns(pl.col("candidates").fill_null(0))
    singles = counts.filter((pl.col("mode") == SINGLE) & pl.col("validated"))
    by_count = singles.group_by("candidates").agg(pl.len().alias("entries")).sort("candidates")
    # the greedy trap: entry E1 (t0) sees both payments, E2 (t0+20 min) only one
    assert by_count.rows() == [(1, singles.height - 1), (2, 1)]
    assert counts.filter(pl.col("mode").is_in([ENTRY_ONLY, SPLIT]))["candidates"].max() == 0
    assert counts.filter((pl.col("mode") == SINGLE) & ~pl.col("validated"))["candidates"].max() in (0, None)
    assert PAYMENT_ONLY not in set(counts["mode"])


def test_split_parts_add_up_and_no_other_amount_repeats():
    org = build_organisation(4)
    batch = _plan_batch(org, 4, 0, 600, 60, 0, 0, 0, 601)
    pay = batch.transfers.filter(pl.col("kind") == "payment")
    splits = batch.instalments.filter(pl.col("mode") == SPLIT)
    assert splits.height > 0
    sums = pay.group_by("inst").agg(pl.col("amount").sum().alias("parts"), pl.len().alias("n"))
    checked = splits.join(sums, on="inst")
    assert (checked["parts"] == checked["amount"]).all()
    assert checked["n"].is_between(2, 3).all()
    amounts = pl.concat([pay["amount"], batch.instalments.filter(pl.col("mode") != PAYMENT_ONLY)["amount"]])
    # an amount appears once as an entry and once as its payment, or twice each in the trap
    counts = amounts.value_counts()["count"]
    assert counts.max() <= 4


def test_laundering_layers_pass_the_money_on_to_cash_spending_and_frozen_balances(fraud_full):
    layers = pl.read_csv(fraud_full / "org" / "layer_accounts.csv", infer_schema=False)
    statements = pl.concat([read_gbk(p, 2) for p in sorted((fraud_full / "bank" / "police").glob("b00_layers_*.csv"))])
    assert set(statements["交易卡号"]) <= set(layers["account_no"])
    assert json.loads((fraud_full / "truth.json").read_text(encoding="utf-8"))["tracing"]["layer_accounts"].keys() == {
        "1", "2", "3"
    }
    # A layer never pays a card or a victim: no payment or return of the case changes.
    cards = set(pl.read_csv(fraud_full / "org" / "gang_accounts.csv", infer_schema=False)["account_no"])
    payers = set(pl.read_csv(fraud_full / "victims" / "victims.csv", infer_schema=False)["account_no"])
    paid = statements.filter(pl.col("收付标志") == "出")
    assert not set(paid["交易对手账卡号"].drop_nulls()) & (cards | payers)
    # The chains end in ATM withdrawals (no counterparty), spending at merchants and platforms, or a balance.
    assert paid.filter(pl.col("交易对手账卡号").is_null())["摘要说明"].unique().to_list() == ["ATM取款"]
    assert set(PLATFORMS) <= set(paid["交易对手账卡号"].drop_nulls())
    # Frozen after the arrests at the balance the statement ends with.
    frozen = pl.read_csv(fraud_full / "frozen" / "frozen.csv", infer_schema=False)
    assert frozen.height == 3
    last = statements.group_by("交易卡号", maintain_order=True).last()
    balances = dict(zip(last["交易卡号"], last["交易余额"], strict=True))
    assert {a: balances[a] for a in frozen["account_no"]} == dict(zip(frozen["account_no"], frozen["amount"], strict=True))
    assert set(frozen["ts"]) == {"2019-07-31 10:00:00"}


def test_the_fifo_answer_key_finds_every_frozen_balance_and_every_kind_of_end(fraud_full):
    fifo = pl.read_csv(fraud_full / "truth_endpoints_fifo.csv", infer_schema=False)
    assert set(fifo["kind"]) >= {"cash", "platform", "not_obtained", "frozen", "held"}
    assert set(fifo["method"]) == {"fifo"}
    # each frozen account's statement is complete, opening balance included: fifo finds all of it
    frozen = json.loads((fraud_full / "truth.json").read_text(encoding="utf-8"))["tracing"]["frozen"]
    found = fifo.filter(pl.col("kind") == "frozen").group_by("account_no").agg(pl.col("amount").cast(pl.Decimal(18, 2)).sum())
    assert {a: str(amount) for a, amount in found.iter_rows()} == frozen
    # payments into a card without a statement end there, under the paying victim
    no_statement = fifo.filter(pl.col("account_no") == "6222020000000000006")
    assert set(no_statement["kind"]) == {"not_obtained"}
    assert no_statement["origin"].str.starts_with("V").any()


# ---------------------------------------------------------------- the answer key


def test_truth_is_internally_consistent(fraud_small):
    truth = json.loads((fraud_small / "truth.json").read_text(encoding="utf-8"))
    victims, totals = truth["victims"], truth["totals"]
    for vid, v in victims.items():
        assert money(v["net_loss"]) == money(v["paid"]) - money(v["returned"]), vid
        assert money(v["paid"]) == money(v["validated"]) + money(v["unattributed"]), vid
    assert sum(money(v["validated"]) for v in victims.values()) == money(totals["validated"])
    assert any(k.startswith("unidentified:") for k in victims)
    marks = [(Decimal(500000), "especially_huge"), (Decimal(30000), "huge"), (Decimal(3000), "large")]
    for did, d in truth["defendants"].items():
        assert d["liable"] == d[d["liable_basis"]], did
        liable = money(d["liable"])
        assert d["tier"] == next((t for m, t in marks if liable >= m), "none"), did
        assert money(d["own"]) <= money(d["gang"]) or d["own"] == "0.00", did
    assert truth["defendants"]["D01"]["liable_basis"] == "gang"
    assert truth["defendants"]["D07"]["liable_basis"] == "unit"
    # the promoted staff member (G05 staff #1) is liable on the unit basis, leader of his group
    assert truth["defendants"]["D36"]["liable_basis"] == "unit"
    assert totals["quarantined_rows"] == 5  # 3 police rows, 1 victim statement row, 1 sheet row


def test_full_scale_case_takes_over_50_million_and_has_60_plus_defendants(fraud_full):
    truth = json.loads((fraud_full / "truth.json").read_text(encoding="utf-8"))
    assert money(truth["totals"]["validated"]) > Decimal(50_000_000)
    assert len(truth["defendants"]) >= 60
    assert truth["totals"]["statement_rows"] > 20_000


def test_info_truth_mirrors_the_maternity_case(info_full):
    truth = json.loads((info_full / "truth.json").read_text(encoding="utf-8"))["info_defendants"]
    clerk, colleague = truth["D01"], truth["D02"]
    # 38,000 supplied - 700 withheld + 1,100 of her own to the studio, 600 also to the centre
    assert clerk["records_unique"] == 39_000
    assert colleague["records_unique"] == 38_000
    assert Decimal(290_000) < money(clerk["received"]) < Decimal(330_000)
    assert Decimal(145_000) < money(clerk["paid_upstream"]) < Decimal(175_000)
    assert clerk["paid_upstream"] == colleague["received"]
    assert money(clerk["net_gain"]) == money(clerk["received"]) - money(clerk["paid_upstream"])
    assert clerk["records_passed"] > clerk["records_valid"] > clerk["records_unique"] > clerk["records_corroborated"] > 0
    assert colleague["records_corroborated"] > 0
    assert clerk["tier"] == colleague["tier"] == "especially_serious"


def test_generated_ids_carry_the_mod_11_2_check_character():
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

    def check(body: str) -> str:
        return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]

    assert check("11010519491231002") == "X"  # the example of GB 11643-1999
    ids = id_numbers(np.random.default_rng(1), 500)
    assert len(set(ids.tolist())) == 500
    assert all(len(i) == 18 and check(i[:17]) == i[17] for i in ids.tolist())


def test_info_records_mix_usable_and_unusable_contacts(tmp_path):
    case = generate_info(tmp_path, scale=SMALL)
    rows = pl.concat(
        [pl.read_csv(p, infer_schema=False) for p in sorted((case / "chats" / "d01_phone_d02").glob("*.csv"))]
    )
    phones = rows["手机号"]
    assert phones.str.starts_with("+86").any()
    assert phones.str.contains("\\*").any()
    assert phones.str.starts_with("021-").any()
    ids = rows["身份证号"].drop_nulls()
    assert (ids.str.len_chars() == 15).any()
