"""case.toml checks that stop a run before anything is loaded (case-format.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fundtrail.config import _glob_inside, load_case, parse_case
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


def _statement_case(root, pattern: str, skip_rows: int = 0):
    (root / "case.toml").write_text(
        f'[case]\nid = "links"\n[[source]]\nkind = "bank_statement"\npath = "{pattern}"\nskip_rows = {skip_rows}\n',
        encoding="utf-8",
    )
    return root


def test_links_are_followed_only_inside_the_case_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other.csv").write_text("account_no\n", encoding="utf-8")
    case = tmp_path / "case"
    (case / "bank").mkdir(parents=True)
    (case / "bank" / "a.csv").write_text("account_no\n", encoding="utf-8")
    (case / "bank" / "same.csv").symlink_to(case / "bank" / "a.csv")
    (case / "bank" / "gone.csv").symlink_to(case / "bank" / "missing.csv")  # a dangling link is no file
    (case / "bank" / "sub").mkdir()
    loaded = load_case(_statement_case(case, "bank/**/*.csv"))
    assert loaded.sources[0].files == ("bank/a.csv", "bank/same.csv")

    (case / "bank" / "theirs.csv").symlink_to(outside / "other.csv")
    with pytest.raises(CaseConfigError, match=r"bank/theirs\.csv"):
        load_case(case)
    (case / "bank" / "theirs.csv").unlink()
    (case / "bank" / "linked").symlink_to(outside, target_is_directory=True)
    assert load_case(case).sources[0].files == ("bank/a.csv", "bank/same.csv")  # ** does not enter linked folders
    with pytest.raises(CaseConfigError, match=r"bank/linked/other\.csv"):
        load_case(_statement_case(case, "bank/linked/*.csv"))


def test_an_empty_file_is_not_blamed_on_skip_rows(tmp_path):
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "empty.csv").write_bytes(b"")
    assert load_case(_statement_case(tmp_path, "bank/*.csv")).sources[0].files == ("bank/empty.csv",)
    with pytest.raises(CaseConfigError, match=r"skip_rows = 2 is beyond the end of bank/empty\.csv \(0 bytes\)"):
        load_case(_statement_case(tmp_path, "bank/*.csv", skip_rows=2))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("bank/*.csv", ("bank/.hidden.csv", "bank/a.csv")),  # pathlib's * takes hidden names too
        ("*/a.csv", ("bank/a.csv", "other/a.csv")),
        ("./bank/*.csv", ("bank/.hidden.csv", "bank/a.csv")),
        ("bank//a.*", ("bank/a.csv",)),
        ("bank/sub/*", ("bank/sub/b.txt", "bank/sub/c.csv")),
        ("bank/**/*.csv", ("bank/.hidden.csv", "bank/a.csv", "bank/sub/c.csv")),
    ],
)
def test_a_glob_finds_what_pathlib_finds_with_each_size(tmp_path, pattern, expected):
    for rel, text in {"bank/a.csv": "ab", "bank/.hidden.csv": "abc", "bank/sub/b.txt": "x",
                      "bank/sub/c.csv": "abcd", "other/a.csv": "abcde"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    sizes = {"bank/a.csv": 2, "bank/.hidden.csv": 3, "bank/sub/b.txt": 1, "bank/sub/c.csv": 4, "other/a.csv": 5}
    files, found_sizes = _glob_inside(tmp_path, pattern, "path", tmp_path / "case.toml")
    assert files == expected
    assert found_sizes == {rel: sizes[rel] for rel in expected}
