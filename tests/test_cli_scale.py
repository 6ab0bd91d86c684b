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


@pytest.mark.parametrize(
    ("given", "kept"),
    [(None, "dirty_decay_ms:0,muzzy_decay_ms:0"), ("narenas:1", "narenas:1")],
)
def test_the_command_hands_polars_freed_memory_back_at_once_unless_told_otherwise(given, kept):
    """Set before polars loads, or jemalloc never reads it: checked in a fresh interpreter. polars puts
    its own defaults in front (jemalloc takes the last value of an option), so the end is what counts."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if given is not None:
        env["_RJEM_MALLOC_CONF"] = given
    probe = "import sys, os, flows.cli; print(os.environ['_RJEM_MALLOC_CONF']); print('polars' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    conf, polars_loaded = shown.stdout.split()
    assert polars_loaded == "True"
    assert conf.endswith(kept)
    assert ("dirty_decay_ms:0" in conf) == (given is None)
