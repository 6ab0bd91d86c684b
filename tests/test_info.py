"""Information-sale cases (rules.md §6): sql/info on hand-made staging tables.

Every expected number below is worked out by hand from the rows each test writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from fundtrail import sqlrun
from fundtrail.errors import SqlStepError

REPO_SQL = Path(__file__).resolve().parents[1] / "sql"
T0 = datetime(2023, 6, 1, 10, 0, tzinfo=timezone.utc)

# 11010519491231002X: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 times the digits
# 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 give
# 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2; '10X98765432'[2] = 'X'.
VALID_ID = "11010519491231002X"
# Last body digit 2 → 3 adds weight 2: 169 mod 11 = 4 → check '8', not 'X'.
WRONG_CHECK_ID = "11010519491231003X"
# 11010119900307803?: 7+9+0+5+0+4+2+9+54+0+0+27+0+35+64+0+6 = 222; 222 mod 11 = 2 → 'X'.
VALID_ID_2 = "11010119900307803X"


@pytest.fixture(scope="module")
def sql_root(tmp_path_factory) -> Path:
    # Only sql/info and the seeds it reads: the other layers' models would try to
    # rebuild the inputs this test writes by hand.
    root = tmp_path_factory.mktemp("sql")
    (root / "info").symlink_to(REPO_SQL / "info")
    (root / "seeds").symlink_to(REPO_SQL / "seeds")
    return root


def phone_record(seller: str, buyer: str, phone: str | None = None, id_number: str | None = None,
                 category: str | None = None, source: str = "chat/seller.csv", name: str | None = "张三") -> dict:
    return {"seller_id": seller, "buyer_id": buyer, "phone": phone, "id_number": id_number,
            "category": category, "source": source, "name": name}


def phones(n: int, start: int = 0) -> list[str]:
    return [f"139{start + i:08d}" for i in range(n)]


def build(sql_root: Path, records=(), accounts=(), ledger=(), transfers=(), insiders=(),
          window_days: int = 1) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("""create table stg_records (source varchar, source_row bigint, seller_id varchar,
        buyer_id varchar, ts timestamptz, name varchar, phone varchar, id_number varchar,
        category varchar, batch_ref varchar)""")
    con.execute("""create table stg_accounts (source varchar, source_row bigint, account_no varchar,
        holder_id varchar, holder_name varchar)""")
    con.execute("""create table stg_payment_ledger (source varchar, source_row bigint, ts timestamptz,
        payer varchar, payee varchar, amount decimal(18,2), entry_ref varchar, memo varchar)""")
    con.execute("""create table transfers (transfer_id varchar, payer_account varchar,
        payee_account varchar, ts timestamptz, amount decimal(18,2), sources varchar, seen_on varchar)""")
    if records:
        con.executemany("insert into stg_records values (?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
                        [[r["source"], row_no, r["seller_id"], r["buyer_id"], T0, r["name"], r["phone"],
                          r["id_number"], r["category"]] for row_no, r in enumerate(records, start=2)])
    for row_no, (account_no, holder) in enumerate(accounts, start=2):
        con.execute("insert into stg_accounts values ('accounts.csv', ?, ?, ?, null)", [row_no, account_no, holder])
    for row_no, (ts, payer, payee, amount) in enumerate(ledger, start=2):
        con.execute("insert into stg_payment_ledger values ('book.xlsx', ?, ?, ?, ?, ?, null, null)",
                    [row_no, ts, payer, payee, Decimal(amount)])
    for row_no, (ts, payer_account, payee_account, amount) in enumerate(transfers, start=2):
        transfer_id = f"bank/{payee_account}.csv:{row_no}"
        con.execute("insert into transfers values (?, ?, ?, ?, ?, ?, 'payee')",
                    [transfer_id, payer_account, payee_account, ts, Decimal(amount), transfer_id])
    sqlrun.set_parameters(con, {"ledger_window_days": window_days, "insiders": list(insiders),
                                "case_tz": "Asia/Shanghai"})
    sqlrun.build(con, ["info_defendants"], sql_root=sql_root)
    return con


def defendants(con) -> dict[str, dict]:
    rel = con.sql("select * from info_defendants order by defendant_id")
    return {row[0]: dict(zip(rel.columns, row)) for row in rel.fetchall()}


def normalised(sql_root, **record) -> tuple:
    con = build(sql_root, [phone_record("S", "B", **record)])
    return con.sql("select phone, phone_problem, id_number, id_problem, is_valid, invalid_reason "
                   "from info_records").fetchall()[0]


# --- normalisation -------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "139 0000 0000",        # spaces
    "139-0000-0000",        # dashes
    "(139)0000-0000",       # parentheses
    "+86 139 0000 0000",    # +86
    "0086-13900000000",     # 0086
    "8613900000000",        # bare 86 before 11 digits
    "１３９００００００００",  # full-width digits, as Chinese spreadsheets hold them
])
def test_phone_forms_that_normalise_to_one_number(sql_root, raw):
    phone, problem, _, _, is_valid, reason = normalised(sql_root, phone=raw)
    assert (phone, problem, is_valid, reason) == ("13900000000", None, True, None)


@pytest.mark.parametrize(("raw", "problem"), [
    ("1390000000", "phone not 11 digits"),                    # 10 digits
    ("139000000001", "phone not 11 digits"),                  # 12 digits
    ("12900000000", "phone does not start with 13-19"),       # prefix 12
    ("10900000000", "phone does not start with 13-19"),
    ("139O0000000", "phone has characters other than digits"),  # letter O
])
def test_phones_that_are_not_valid(sql_root, raw, problem):
    phone, phone_problem, _, _, is_valid, reason = normalised(sql_root, phone=raw)
    assert (phone, phone_problem, is_valid) == (None, problem, False)
    assert reason == f"{problem}; no id number"


def test_id_check_digit(sql_root):
    assert normalised(sql_root, id_number=VALID_ID)[2:5] == (VALID_ID, None, True)
    # lower-case x is the same number
    assert normalised(sql_root, id_number=VALID_ID.lower())[2:5] == (VALID_ID, None, True)
    assert normalised(sql_root, id_number=VALID_ID_2)[2:5] == (VALID_ID_2, None, True)
    assert normalised(sql_root, id_number=WRONG_CHECK_ID)[2:6] == (
        None, "id check digit wrong", False, "no phone; id check digit wrong")
    assert normalised(sql_root, id_number="110105491231002")[3] == "id not 18 characters"
    assert normalised(sql_root, id_number="1101051949123100AX")[3] == "id not 17 digits and a check character"


def test_valid_when_either_contact_is_valid(sql_root):
    # a good ID rescues a bad phone, and the bad phone stays visible
    assert normalised(sql_root, phone="12345", id_number=VALID_ID) == (
        None, "phone not 11 digits", VALID_ID, None, True, None)
    assert normalised(sql_root, phone="13900000000", id_number=WRONG_CHECK_ID) == (
        "13900000000", None, None, "id check digit wrong", True, None)
    assert normalised(sql_root, phone=None, id_number=None)[4:] == (
        False, "no reachable contact: no phone, no id number")


def test_names_and_categories(sql_root):
    con = build(sql_root, [
        phone_record("S", "B", phone=p, category=c, name=n)
        for p, c, n in [("13900000001", " Health ", "  李四 "), ("13900000002", "", ""),
                        ("13900000003", None, None), ("13900000004", "gossip", "王五"),
                        ("13900000005", "Communication Records", "赵六")]
    ])
    rows = con.sql("select name, category, category_known from info_records order by source_row").fetchall()
    assert rows == [("李四", "health", True), (None, "other", True), (None, "other", True),
                    ("王五", "other", False), ("赵六", "communication_records", True)]
    sqlrun.build(con, ["info_record_checks"], sql_root=sql_root)
    checks = con.sql("select outcome, record_rows from info_record_checks order by outcome").fetchall()
    assert checks == [("category not recognised: gossip", 1), ("valid", 5)]


# --- counting ------------------------------------------------------------------------

def test_same_buyer_counts_once_different_buyers_once_each(sql_root):
    con = build(sql_root, [
        phone_record("S", "B", phone="139 0000 0001"),
        phone_record("S", "B", phone="+8613900000001"),   # same phone, same buyer: once
        phone_record("S", "C", phone="13900000001"),      # another buyer: once more
        phone_record("S", "C", phone="10 digits!"),       # passed but not valid
    ])
    s = defendants(con)["S"]
    assert (s["records_passed"], s["records_valid"], s["records_unique"]) == (4, 3, 2)


def test_phone_and_id_link_records_within_one_seller_buyer_pair(sql_root):
    con = build(sql_root, [
        phone_record("S", "B", phone="13900000001", id_number=VALID_ID),
        phone_record("S", "B", phone="13900000001"),                       # same phone
        phone_record("S", "B", phone="13900000002", id_number=VALID_ID),   # same ID, other phone
        phone_record("S", "B", phone="13900000002"),                       # linked through the row above
        phone_record("S", "B", phone="13900000003"),                       # someone else
        phone_record("S", "B", id_number=VALID_ID_2),                      # someone else again
        # another pair's link between 13900000003 and VALID_ID_2 does not merge S→B's rows
        phone_record("T", "B", phone="13900000003", id_number=VALID_ID_2),
    ])
    got = defendants(con)
    assert got["S"]["records_unique"] == 3
    assert got["T"]["records_unique"] == 1


def test_chain_counts_each_seller_for_what_they_passed_on(sql_root):
    supplied = phones(3)
    own = phones(2, start=100)
    con = build(sql_root,
                [phone_record("A", "B", phone=p) for p in supplied]
                + [phone_record("B", "C", phone=p) for p in supplied + own])
    got = defendants(con)
    assert (got["A"]["records_unique"], got["B"]["records_unique"]) == (3, 5)
    assert "C" not in got   # bought, never sold
    through = con.sql("select count(*) from info_unique_records where seller_id = 'B' and received_upstream").fetchall()
    assert through == [(3,)]


def test_corroborated_needs_two_source_files(sql_root):
    con = build(sql_root, [
        phone_record("S", "B", phone="13900000001", source="chat/seller.csv"),
        phone_record("S", "B", phone="139-0000-0001", source="book/buyer.xlsx"),  # corroborated
        phone_record("S", "B", phone="13900000002", source="chat/seller.csv"),
        phone_record("S", "B", phone="13900000003", source="book/buyer.xlsx"),
        phone_record("S", "B", phone="13900000003", source="book/buyer.xlsx"),    # same file twice: not
        phone_record("S", "C", phone="13900000001", source="book/buyer.xlsx"),    # other buyer, one file
    ])
    s = defendants(con)["S"]
    assert (s["records_passed"], s["records_unique"], s["records_corroborated"]) == (6, 4, 1)


# --- tiers ---------------------------------------------------------------------------

def test_category_mix_adds_fractions_of_thresholds(sql_root):
    # 30/50 + 250/500 = 0.6 + 0.5 = 1.1 → serious
    mixed = ([phone_record("S", "B", phone=p, category="whereabouts") for p in phones(30)]
             + [phone_record("S", "B", phone=p, category="health") for p in phones(250, start=1000)])
    # 29/50 + 200/500 = 0.58 + 0.4 = 0.98 → none
    short = ([phone_record("T", "B", phone=p, category="whereabouts") for p in phones(29)]
             + [phone_record("T", "B", phone=p, category="health") for p in phones(200, start=1000)])
    # 500/50 = 10 → especially serious
    many = [phone_record("U", "B", phone=p, category="credit") for p in phones(500)]
    # 4,999 other (< 5,000) → none
    got = defendants(build(sql_root, mixed + short + many))
    assert (got["S"]["tier"], got["T"]["tier"], got["U"]["tier"]) == ("serious", "none", "especially_serious")


def test_merged_record_takes_its_most_sensitive_category(sql_root):
    # one person, sent twice to B as "other" and as "whereabouts": one whereabouts record;
    # 50 of those → 50/50 = 1 → serious
    records = ([phone_record("S", "B", phone=p, category="other") for p in phones(50)]
               + [phone_record("S", "B", phone=p, category="whereabouts") for p in phones(50)])
    s = defendants(build(sql_root, records))["S"]
    assert (s["records_unique"], s["tier"]) == (50, "serious")


def test_insider_thresholds_are_halved(sql_root):
    # 30 whereabouts: 30/50 = 0.6 for an outsider; 30/25 = 1.2 for an insider
    records = ([phone_record("OUT", "B", phone=p, category="whereabouts") for p in phones(30)]
               + [phone_record("IN", "B", phone=p, category="whereabouts") for p in phones(30)])
    got = defendants(build(sql_root, records, insiders=["IN"]))
    assert (got["OUT"]["tier"], got["IN"]["tier"]) == ("none", "serious")
    # no insiders at all: an empty list
    assert defendants(build(sql_root, records, insiders=[]))["IN"]["tier"] == "none"


def test_net_gain_route_and_its_insider_halving(sql_root):
    records = [phone_record("OUT", "B", phone="13900000001"),
               phone_record("IN", "B", phone="13900000001"),
               phone_record("BIG", "B", phone="13900000001")]
    ledger = [(T0, "B", "OUT", "4999.99"),    # below 5,000 → none
              (T0, "B", "IN", "3000.00"),     # ≥ 2,500 for an insider → serious
              (T0, "B", "BIG", "50000.00")]   # ≥ 50,000 → especially serious
    got = defendants(build(sql_root, records, ledger=ledger, insiders=["IN"]))
    assert [(d, got[d]["net_gain"], got[d]["tier"]) for d in ("BIG", "IN", "OUT")] == [
        ("BIG", Decimal("50000.00"), "especially_serious"),
        ("IN", Decimal("3000.00"), "serious"),
        ("OUT", Decimal("4999.99"), "none"),
    ]


# --- gains ---------------------------------------------------------------------------

CHAIN = [phone_record("A", "B", phone="13900000001"), phone_record("B", "C", phone="13900000001")]
ACCOUNTS = [("6222A", "A"), ("6222B", "B"), ("6222C", "C"), ("6222X", "X")]


def test_received_paid_upstream_and_net_gain(sql_root):
    transfers = [(T0, "6222C", "6222B", "800.00"),     # C pays B for records: B received
                 (T0, "6222B", "6222A", "300.00"),     # B pays A: B paid upstream, A received
                 (T0, "6222X", "6222B", "999.00")]     # X never bought from B: not a gain
    ledger = [(T0 + timedelta(days=5), "C", "B", "200.00")]  # booked only in the ledger
    got = defendants(build(sql_root, CHAIN, accounts=ACCOUNTS, transfers=transfers, ledger=ledger))
    assert (got["B"]["received"], got["B"]["paid_upstream"], got["B"]["net_gain"]) == (
        Decimal("1000.00"), Decimal("300.00"), Decimal("700.00"))
    assert (got["A"]["received"], got["A"]["paid_upstream"], got["A"]["net_gain"]) == (
        Decimal("300.00"), Decimal("0.00"), Decimal("300.00"))


def test_payment_in_ledger_and_bank_counts_once(sql_root):
    transfers = [(T0, "6222C", "6222B", "500.00")]
    within = [(T0 + timedelta(hours=20), "C", "B", "500.00")]
    got = defendants(build(sql_root, CHAIN, accounts=ACCOUNTS, transfers=transfers, ledger=within))
    assert got["B"]["received"] == Decimal("500.00")
    # 3 days apart is outside the default 1-day window: two payments
    apart = [(T0 + timedelta(days=3), "C", "B", "500.00")]
    got = defendants(build(sql_root, CHAIN, accounts=ACCOUNTS, transfers=transfers, ledger=apart))
    assert got["B"]["received"] == Decimal("1000.00")
    # ...unless the case widens the window to 3 days
    got = defendants(build(sql_root, CHAIN, accounts=ACCOUNTS, transfers=transfers, ledger=apart, window_days=3))
    assert got["B"]["received"] == Decimal("500.00")
    # another amount is another payment
    other = [(T0, "C", "B", "500.01")]
    got = defendants(build(sql_root, CHAIN, accounts=ACCOUNTS, transfers=transfers, ledger=other))
    assert got["B"]["received"] == Decimal("1000.01")


def test_ledger_bank_pairing_is_one_to_one_and_maximal(sql_root):
    hour = timedelta(hours=1)
    # one transfer, two ledger rows beside it: one pair, the other row is a second payment
    one_bank = build(sql_root, CHAIN, accounts=ACCOUNTS,
                     transfers=[(T0, "6222C", "6222B", "100.00")],
                     ledger=[(T0, "C", "B", "100.00"), (T0 + hour, "C", "B", "100.00")])
    assert defendants(one_bank)["B"]["received"] == Decimal("200.00")
    # ledger L1 at 0 h and L2 at 21.6 h; transfers T1 at 12 h and T2 at 43.2 h (window 24 h).
    # T1 is nearer L2 (9.6 h) than L1 (12 h), but T2 reaches only L2 (21.6 h):
    # pairing T1-L2 first would leave one pair; the maximum is T1-L1 and T2-L2,
    # so four rows are two payments: 200.00.
    ledger = [(T0, "C", "B", "100.00"), (T0 + 21.6 * hour, "C", "B", "100.00")]
    transfers = [(T0 + 12 * hour, "6222C", "6222B", "100.00"), (T0 + 43.2 * hour, "6222C", "6222B", "100.00")]
    con = build(sql_root, CHAIN, accounts=ACCOUNTS, transfers=transfers, ledger=ledger)
    assert defendants(con)["B"]["received"] == Decimal("200.00")
    pairs = con.sql("select ledger_payment_id, bank_payment_id, seconds_apart "
                    "from info_ledger_bank_pairs order by all").fetchall()
    assert pairs == [("book.xlsx:2", "bank/6222B.csv:2", 12 * 3600),
                     ("book.xlsx:3", "bank/6222B.csv:3", int(21.6 * 3600))]


def test_account_with_two_holders_stops_the_run(sql_root):
    with pytest.raises(SqlStepError, match=r"account 6222A has several holders \(A, Z\) in rows accounts.csv:2, accounts.csv:6"):
        build(sql_root, CHAIN, accounts=ACCOUNTS + [("6222A", "Z")])


# --- output contract -----------------------------------------------------------------

def test_output_columns_and_types(sql_root):
    con = build(sql_root, CHAIN)
    described = con.sql("describe info_defendants").fetchall()
    assert [(r[0], r[1]) for r in described] == [
        ("defendant_id", "VARCHAR"), ("records_passed", "BIGINT"), ("records_valid", "BIGINT"),
        ("records_unique", "BIGINT"), ("records_corroborated", "BIGINT"),
        ("received", "DECIMAL(38,2)"), ("paid_upstream", "DECIMAL(38,2)"),
        ("net_gain", "DECIMAL(38,2)"), ("tier", "VARCHAR"),
    ]


def test_case_without_records_gives_no_rows(sql_root):
    assert defendants(build(sql_root)) == {}
