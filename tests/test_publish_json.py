"""publish.write_json: the bytes json.dumps(indent=2, ensure_ascii=False) + newline gives, whichever writer made them."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from fundtrail import publish


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, default=publish.json_default) + "\n").encode()


def test_a_small_manifest_is_written_as_worked_out_by_hand(tmp_path):
    value = {"a": [1, {}], "b": Decimal("1.50"), "c": [], "d": None, "e": True, "名": "张三\n"}
    publish.write_json(tmp_path / "m.json", value)
    assert (tmp_path / "m.json").read_bytes() == (
        '{\n  "a": [\n    1,\n    {}\n  ],\n  "b": "1.50",\n  "c": [],\n  "d": null,\n  "e": true,\n  "名": "张三\\n"\n}\n'
    ).encode()


def test_texts_times_amounts_and_nesting_are_json_s_bytes(tmp_path):
    lmt = timezone(timedelta(hours=8, minutes=5, seconds=43))
    value = {
        "texts": ["", "\x00\x01\x1f\x7f", '"\\/', "\t\r\b\f", "\u2028\u2029", "😀 emoji", "全角（括号）"],
        "times": [datetime(2023, 6, 1, 2, 3, 4, tzinfo=timezone.utc), datetime(1900, 1, 1, tzinfo=lmt),
                  datetime(2023, 6, 1, 2, 3, 4, 500), date(2023, 6, 1)],
        "amounts": [Decimal("0.00"), Decimal("-12345678901234567.89")],
        "ints": [0, -(2**63), 2**64 - 1],
        "nested": ({"x": [[], [{}], ({"y": (1, 2)},)]},),
        "inputs": [{"path": f"bank/{i}.csv", "rows_read": i, "stated_summary": {"stated_in": Decimal(i)}} for i in range(50)],
    }
    publish.write_json(tmp_path / "m.json", value)
    assert (tmp_path / "m.json").read_bytes() == _json_bytes(value)


class _Kind(str, enum.Enum):
    BANK = "bank"


@pytest.mark.parametrize(
    ("value", "by_hand"),
    [
        ({"share": 1e-05}, '{\n  "share": 1e-05\n}\n'),  # orjson would write 1e-5
        ({"big": 2**70}, '{\n  "big": 1180591620717411303424\n}\n'),  # past orjson's 64 bits
        ({1: "one"}, '{\n  "1": "one"\n}\n'),  # a key that is no text
        ({"kind": _Kind.BANK}, '{\n  "kind": "bank"\n}\n'),  # a subclass of str
    ],
)
def test_what_orjson_would_write_otherwise_is_written_by_json(tmp_path, value, by_hand):
    publish.write_json(tmp_path / "m.json", value)
    assert (tmp_path / "m.json").read_bytes() == by_hand.encode() == _json_bytes(value)


def test_a_value_json_cannot_write_is_refused():
    with pytest.raises(TypeError, match="cannot write object to JSON"):
        publish.write_json(Path("/nonexistent/never-written.json"), {"x": object()})
