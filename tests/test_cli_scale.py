"""The command line's options for large cases: --workers, --dask, generate --files-per-account."""

from __future__ import annotations

import json

import pytest

from flows.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "0: must be 1 or more"),
        (["--workers", "2", "--dask", "tcp://127.0.0.1:8786"], "not allowed with argument"),
    ],
)
def test_workers_must_be_positive_and_exclude_a_cluster_address(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--lang", "en", str(tmp_path), "--out", str(tmp_path / "out"), *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_generate_files_per_account_writes_one_reply_per_account_and_month(tmp_path, capsys):
    assert main(["generate", "--lang", "en", "fraud", "--out", str(tmp_path / "case"), "--scale", "0.05", "--files-per-account"]) == 0
    replies = list((tmp_path / "case" / "bank" / "returns").glob("*.csv"))
    accounts = {p.name.split("_")[1] for p in replies}
    assert len(replies) > len(accounts) > 40
    assert json.loads((tmp_path / "case" / "truth.json").read_text(encoding="utf-8"))["defendants"]
    assert "wrote fraud case" in capsys.readouterr().out


def test_files_per_account_is_refused_for_the_info_case(tmp_path, capsys):
    assert main(["generate", "--lang", "en", "info", "--out", str(tmp_path / "case"), "--files-per-account"]) == 2
    assert "--files-per-account is for the fraud case" in capsys.readouterr().err
