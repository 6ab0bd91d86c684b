"""case.toml checks that stop a run before anything is loaded (case-format.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fundtrail.config import parse_case
from fundtrail.errors import CaseConfigError


def case(tmp_path, **extra):
    (tmp_path / "bank").mkdir(exist_ok=True)
    (tmp_path / "bank" / "a.csv").write_text("x\n", encoding="utf-8")
    raw = {"case": {"id": "729-fraud", "timezone": "Asia/Shanghai"}}
    raw.update(extra)
    return parse_case(raw, tmp_path)


def test_defaults_follow_case_format(tmp_path):
    config = case(tmp_path, source=[{"kind": "bank_statement", "path": "bank/*.csv"}])
    assert config.matching.window_minutes == 30
    assert config.matching.amount_tolerance == Decimal("0.00")
    assert config.matching.max_split == 3
    assert config.matching.mirror_window_minutes == 10
    assert config.liability["leader"] == "unit" and config.liability["staff"] == "own"
    assert config.sources[0].files == ("bank/a.csv",)
    assert config.sources[0].timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"source": [{"kind": "bank_statment", "path": "bank/*.csv"}]}, r"source #1.kind = 'bank_statment'"),
        ({"source": [{"kind": "bank_statement", "path": "../*.csv"}]}, r"must stay inside the case folder"),
        ({"source": [{"kind": "bank_statement", "path": "nothing/*.csv"}]}, r"matches no file"),
        ({"source": [{"kind": "bank_statement", "path": "bank/*.csv", "colums": {}}]}, r"unknown key source #1.colums"),
        ({"source": [{"kind": "bank_statement", "path": "bank/*.csv", "columns": {"amout": "金额"}}]}, r"has no column 'amout'"),
        ({"source": [{"kind": "bank_statement", "path": "bank/*.csv", "encoding": "klingon"}]}, r"not a known codec"),
        ({"source": [{"kind": "bank_statement", "path": "bank/*.csv", "timezone": "Asia/Laos"}]}, r"not an IANA time zone"),
        ({"matching": {"window_minutes": -1}}, r"matching.window_minutes"),
        ({"matching": {"amount_tolerance": "abc"}}, r"amount_tolerance = 'abc' is not an amount"),
        ({"liability": {"staff": "everything"}}, r"liability.staff = 'everything'"),
        ({"liability": {"intern": "own"}}, r"unknown key liability.intern"),
    ],
)
def test_bad_case_toml_is_named(tmp_path, extra, message):
    with pytest.raises(CaseConfigError, match=message):
        case(tmp_path, **extra)


def test_bad_case_id(tmp_path):
    with pytest.raises(CaseConfigError, match=r"\[case\].id"):
        parse_case({"case": {"id": "7 29"}}, tmp_path)
