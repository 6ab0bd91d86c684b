"""ingest.batch: many small files parsed together, each file's facts exact as if it were read alone.

Expected values are worked out by hand from the file texts written here; the
fixture cases are compared file for file with ``load_file``.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import shutil
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundtrail.config import load_case, parse_case
from fundtrail.errors import InputSchemaError
from fundtrail.ingest import load_file
from fundtrail.ingest.batch import check_source, load_batch, plan_batches
from fundtrail.ingest.readers import _line_of
from fundtrail.pipeline import plan_inputs

ROOT = Path(__file__).resolve().parent.parent
HEADER = "account_no,ts,amount,currency\n"
COLUMNS_OF_NO_INTEREST = ("landing_path", "quarantine_path")


def make_case(case_dir: Path, files: dict[str, bytes], **source):
    for name, content in files.items():
        (case_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (case_dir / name).write_bytes(content)
    return parse_case(
        {"case": {"id": "t"}, "source": [{"kind": "bank_statement", "path": "bank/*.csv", **source}]}, case_dir
    )


def batches_of(case, max_bytes=8 << 20):
    planned = [p for p in plan_inputs(case) if p.duplicate_of is None]
    return plan_batches(case, [(p.source_index, p.path, p.sha256) for p in planned], max_bytes=max_bytes)


def facts(stats) -> dict:
    return {k: v for k, v in stats.__dict__.items() if k not in COLUMNS_OF_NO_INTEREST}


def test_files_of_one_source_parse_together_with_their_own_rows_and_totals(tmp_path):
    case = make_case(
        tmp_path / "case",
        {
            # a: header, two rows, a blank line, a bad amount on line 5
            "bank/a.csv": (HEADER + "6222,2023-06-01 10:00,100.00,CNY\n6222,2023-06-01 11:00,-30.50,CNY\n\n"
                           "6222,2023-06-02 09:00,12O0,CNY\n").encode(),
            # b: no newline at the end; the USD row (line 3) is quarantined
            "bank/b.csv": (HEADER + "6333,2023-06-03 08:00,-5.00,CNY\n6333,2023-06-03 09:00,7.00,USD").encode(),
            # c: only the header
            "bank/c.csv": HEADER.encode(),
            # d: columns in another order, quoted thousands
            "bank/d.csv": 'amount,account_no,ts\n"1,000.00",6444,2023-06-04 12:00\n'.encode(),
        },
    )
    [batch] = batches_of(case)
    stats = {s.path: s for s in load_batch(case, batch, tmp_path / "work")}
    a, b, c, d = (stats[f"bank/{n}.csv"] for n in "abcd")
    assert (a.rows_read, a.rows_loaded, a.rows_quarantined, a.blank_rows) == (3, 2, 1, 1)
    assert (a.amount_in, a.amount_out) == (Decimal("100.00"), Decimal("30.50"))
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (2, 1, 1)
    assert (b.amount_in, b.amount_out, b.amount_quarantined) == (Decimal("0.00"), Decimal("5.00"), Decimal("7.00"))
    assert (c.rows_read, c.rows_loaded, c.blank_rows) == (0, 0, 0)
    assert (d.rows_read, d.amount_in) == (1, Decimal("1000.00"))
    landing = pl.read_parquet(a.landing_path).sort("source", "source_row")
    assert landing.select("source", "source_row", "account_no").rows() == [
        ("bank/a.csv", 2, "6222"), ("bank/a.csv", 3, "6222"), ("bank/b.csv", 2, "6333"), ("bank/d.csv", 2, "6444"),
    ]
    quarantine = pl.read_parquet(a.quarantine_path).sort("source")
    assert quarantine.select("source", "source_row", "column").rows() == [
        ("bank/a.csv", 5, "amount"), ("bank/b.csv", 3, "currency"),
    ]
    # one Parquet per batch, not per file
    assert len(list((tmp_path / "work" / "landing" / "bank_statement").iterdir())) == 1


def test_a_quoted_field_across_lines_falls_back_to_the_single_file_reader_with_the_same_rows(tmp_path):
    case = make_case(
        tmp_path / "case",
        {
            "bank/a.csv": (HEADER + "6222,2023-06-01 10:00,100.00,CNY\n").encode(),
            "bank/b.csv": ('account_no,ts,amount,memo\n6333,2023-06-01 10:00,5.00,"two\nlines"\n'
                           "6333,2023-06-01 11:00,x,\n").encode(),
        },
    )
    [batch] = batches_of(case)
    stats = {s.path: s for s in load_batch(case, batch, tmp_path / "work")}
    assert stats["bank/b.csv"].rows_read == 2
    quarantine = pl.read_parquet(stats["bank/b.csv"].quarantine_path)
    assert quarantine.select("source", "source_row", "value").rows() == [("bank/b.csv", 4, "x")]


def test_preambles_and_gbk_are_read_per_file_and_bad_bytes_name_the_file_and_line(tmp_path):
    text = "中国银行 账户交易明细\n账号,时间,金额\n6222,2023-06-01 10:00,1.00\n"
    settings = {"encoding": "gbk", "skip_rows": 1, "columns": {"account_no": "账号", "ts": "时间", "amount": "金额"}}
    bad = text.encode("gbk") + b"6222,2023-06-01 11:00,\xff\xff\n"
    case = make_case(tmp_path / "case", {"bank/a.csv": text.encode("gbk"), "bank/b.csv": bad}, **settings)
    [batch] = batches_of(case)
    with pytest.raises(InputSchemaError, match=r"bank/b\.csv: line 4: bytes ff are not valid gbk"):
        load_batch(case, batch, tmp_path / "work")
    case = make_case(tmp_path / "case", {"bank/b.csv": text.encode("gbk") + "6222,2023-06-01 11:00,2.00\n".encode()},
                     **settings)
    [batch] = batches_of(case)
    stats = load_batch(case, batch, tmp_path / "work")
    assert [(s.path, s.rows_loaded) for s in stats] == [("bank/a.csv", 1), ("bank/b.csv", 2)]
    landing = pl.read_parquet(stats[0].landing_path).sort("source", "source_row")
    assert landing.select("source", "source_row").rows() == [("bank/a.csv", 3), ("bank/b.csv", 3), ("bank/b.csv", 4)]


def test_batches_keep_to_one_source_and_plan_order_and_stay_under_the_byte_bound(tmp_path):
    row = "6222,2023-06-01 10:00,{}.00,CNY\n"
    files = {f"bank/{i:02d}.csv": (HEADER + row.format(i) * 3).encode() for i in range(10)}
    case = make_case(tmp_path / "case", files)
    size = len(files["bank/00.csv"])
    batches = batches_of(case, max_bytes=3 * size)
    assert [len(b.files) for b in batches] == [3, 3, 3, 1]
    assert [f.path for b in batches for f in b.files] == sorted(files)
    assert len({b.name for b in batches}) == 4
    one_big = batches_of(case, max_bytes=1)
    assert [len(b.files) for b in one_big] == [1] * 10  # a file larger than the bound is a batch of its own


@pytest.mark.parametrize("fixture", ["fixture-fraud", "fixture-info"])
def test_every_fixture_file_has_the_same_facts_and_rows_batched_as_alone(tmp_path, fixture):
    case = load_case(ROOT / "data" / fixture)
    planned = [p for p in plan_inputs(case) if p.duplicate_of is None]
    alone = [load_file(case, case.sources[p.source_index - 1], p.path, tmp_path / "alone", sha256=p.sha256)
             for p in planned]
    batched = [s for b in batches_of(case) for s in load_batch(case, b, tmp_path / "batched")]
    assert [facts(s) for s in batched] == [facts(s) for s in alone]
    folders = [p.relative_to(tmp_path / "alone") for p in (tmp_path / "alone").glob("*/**") if p.is_dir()]
    assert len(folders) >= 4
    for folder in folders:
        if not any((tmp_path / "alone" / folder).glob("*.parquet")):
            continue
        one = pl.concat([pl.read_parquet(f) for f in sorted((tmp_path / "alone" / folder).glob("*"))])
        many = pl.concat([pl.read_parquet(f) for f in sorted((tmp_path / "batched" / folder).glob("*"))])
        assert many.sort(pl.all()).equals(one.sort(pl.all())), folder
    shutil.rmtree(tmp_path / "alone")


def test_checking_a_source_names_the_one_file_whose_header_lacks_a_required_column(tmp_path):
    good = (HEADER + "6222,2023-06-01 10:00,1.00,CNY\n").encode()
    files = {f"bank/{i}.csv": good for i in range(5)}
    files["bank/3.csv"] = b"account_no,when,amount\n6222,2023-06-01 10:00,1.00\n"
    case = make_case(tmp_path / "case", files)
    with pytest.raises(InputSchemaError, match=r"bank/3\.csv: required column 'ts' of bank_statement is missing"):
        check_source(case, case.sources[0])
    files["bank/3.csv"] = good
    check_source(make_case(tmp_path / "case", files), case.sources[0])


def test_a_row_wider_than_its_header_is_quarantined_as_ragged_in_a_batch_too(tmp_path):
    case = make_case(
        tmp_path / "case",
        {
            "bank/a.csv": (HEADER + "6222,2023-06-01 10:00,100.00,CNY\n").encode(),
            # line 3: an unquoted 1,000.00 pushes CNY beyond the header's four fields
            "bank/b.csv": (HEADER + "6333,2023-06-01 10:00,5.00,CNY\n6333,2023-06-01 11:00,1,000.00,CNY\n").encode(),
        },
    )
    [batch] = batches_of(case)
    stats = {s.path: s for s in load_batch(case, batch, tmp_path / "work")}
    b = stats["bank/b.csv"]
    assert (b.rows_read, b.rows_loaded, b.rows_quarantined) == (2, 1, 1)
    assert (stats["bank/a.csv"].rows_read, stats["bank/a.csv"].rows_loaded) == (1, 1)
    quarantine = pl.read_parquet(b.quarantine_path)
    assert quarantine.select("source", "source_row", "column", "value", "reason").rows() == [
        ("bank/b.csv", 3, "row", "CNY", "ragged row")
    ]


def test_identifiers_and_amounts_normalise_in_a_batch_whose_other_files_are_plain_ascii(tmp_path):
    header = "account_no,ts,amount,counterparty_account\n"
    case = make_case(
        tmp_path / "case",
        {
            "bank/a.csv": (header + "6222,2023-06-01 10:00,100.00,6333\n").encode(),
            # A zero-width space in an account, full-width digits in an amount.
            "bank/b.csv": (header + "6222,2023-06-01 11:00,５.００,63\u200b33\n").encode(),
            # An empty account cell, filled by the source's own account_no, written in full-width digits.
            "bank/c.csv": (header + ",2023-06-01 12:00,7.00,6333\n").encode(),
        },
        account_no="６２２２",
    )
    [batch] = batches_of(case)
    stats = load_batch(case, batch, tmp_path / "work")
    landing = pl.read_parquet(stats[0].landing_path).sort("source", "source_row")
    assert landing.select("source", "account_no", "amount", "counterparty_account").rows() == [
        ("bank/a.csv", "6222", Decimal("100.00"), "6333"),
        ("bank/b.csv", "6222", Decimal("5.00"), "6333"),
        ("bank/c.csv", "6222", Decimal("7.00"), "6333"),
    ]
    normalised = pl.read_parquet(tmp_path / "work" / "normalised" / f"{batch.name}.parquet").sort("source")
    assert normalised.select("source", "source_row", "column", "value", "normalised").rows() == [
        ("bank/b.csv", 2, "counterparty_account", "63<U+200B>33", "6333"),
        ("bank/c.csv", 2, "account_no", "６２２２", "6222"),
    ]


def test_the_texts_the_check_decoded_are_parsed_and_stay_in_this_process(tmp_path):
    header = "account_no,ts,amount\n"
    case = make_case(
        tmp_path / "case",
        {
            "bank/a.csv": (header + "6222,2023-06-01 10:00,100.00\n").encode("gbk"),
            "bank/b.csv": (header + "6333,2023-06-01 11:00,-5.00\n6333,2023-06-01 12:00,7.00\n").encode("gbk"),
            # Bytes not valid GBK on line 402, below the part of the file the header check decodes:
            # no text is kept for it; the batch reads the file and names them.
            "bank/c.csv": (header + "6444,2023-06-01 10:00,1.00\n" * 400).encode("gbk") + b"\xff\n",
        },
        encoding="gbk",
    )
    planned = [p for p in plan_inputs(case) if p.duplicate_of is None]
    contents = {(1, p.path): (case.case_dir / p.path).read_bytes() for p in planned}
    decoded: dict = {}
    check_source(case, case.sources[0], contents=contents, decoded_into=decoded)
    assert sorted(decoded) == [(1, "bank/a.csv"), (1, "bank/b.csv")]

    [batch] = plan_batches(case, [(1, p.path, p.sha256) for p in planned], decoded=decoded)
    assert decoded == {}  # the batch holds the texts now
    checked = [header + "6222,2023-06-01 10:00,100.00\n",
               header + "6333,2023-06-01 11:00,-5.00\n6333,2023-06-01 12:00,7.00\n", None]
    assert batch.texts == checked
    # What a Dask worker receives: the batch without its texts (the files are read there).
    assert pickle.loads(pickle.dumps(batch)).texts == []

    with pytest.raises(InputSchemaError, match=r"bank/c\.csv: line 402: bytes ff are not valid gbk"):
        load_batch(case, batch, tmp_path / "work")
    assert batch.texts == []  # taken by the batch's read
    # The checked texts are what is parsed, not the files as they are on disk by now.
    (case.case_dir / "bank/b.csv").write_bytes(b"gone")
    stats = load_batch(case, dataclasses.replace(batch, texts=[*checked[:2], header]), tmp_path / "work")
    assert [(s.path, s.rows_read, s.amount_in, s.amount_out) for s in stats] == [
        ("bank/a.csv", 1, Decimal("100.00"), Decimal("0.00")),
        ("bank/b.csv", 2, Decimal("7.00"), Decimal("5.00")),
        ("bank/c.csv", 0, Decimal("0.00"), Decimal("0.00")),
    ]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="a,\r\n", max_size=16), st.integers(1, 4))
def test_a_line_of_a_decoded_text_is_the_line_readline_reads(text, number):
    line = _line_of(text, number)
    with io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8", newline="") as handle:
        read = ""
        for _ in range(number):
            read = handle.readline()
            if not read:
                break
    if line is None:  # a lone '\r' before the line's end: the header is read from the file
        assert "\r" in text.replace("\r\n", "")
    else:
        assert line == read
