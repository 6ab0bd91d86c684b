"""Where a run executes (issue 10): the user's own config file, and a Prefect server that dies mid-run."""

from __future__ import annotations

import argparse
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from fundtrail.errors import RunEnvironmentError
from fundtrail.userconfig import UserConfig, config_path, load_user_config


def test_the_config_file_is_fundtrail_config_else_under_xdg_config_home(tmp_path, monkeypatch):
    monkeypatch.delenv("FUNDTRAIL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "fundtrail" / "config.toml"
    assert load_user_config() == UserConfig()  # no file, no settings
    monkeypatch.setenv("FUNDTRAIL_CONFIG", str(tmp_path / "mine.toml"))
    assert config_path() == tmp_path / "mine.toml"
    with pytest.raises(RunEnvironmentError, match=r"mine.toml: FUNDTRAIL_CONFIG names a file that is not there"):
        load_user_config()
    monkeypatch.setenv("FUNDTRAIL_CONFIG", os.devnull)  # docs/scale.md: how to ignore the config for one run
    assert load_user_config() == UserConfig(path=Path(os.devnull))
    monkeypatch.setenv("FUNDTRAIL_CONFIG", str(tmp_path))
    with pytest.raises(RunEnvironmentError, match=r"not valid TOML"):  # a folder: a message, not a traceback
        load_user_config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[run]\ndask = "10.0.0.5:8786"\n', r'run.dask = .10.0.0.5:8786. must be a scheduler address like "tcp://'),
        ("[run]\nworkers = 0\n", r"run.workers = 0 must be a whole number ≥ 1"),
        ('[run]\nworkers = 2\ndask = "tcp://h:8786"\n', r"run.dask and run.workers exclude each other"),
        ('[run]\nthread = 2\n', r"unknown key run.thread \(known: dask, memory_limit, threads, workers\)"),
        ('[run]\nmemory_limit = 4\n', r"run.memory_limit = 4 must be an amount of memory with its unit"),
        ('[run]\nmemory_limit = "4 gigs"\n', r"run.memory_limit = .4 gigs. must be an amount of memory"),
        ("[run]\nthreads = 0\n", r"run.threads = 0 must be a whole number ≥ 1"),
        ('[case]\nid = "x"\n', r"unknown key case \(the user config has only \[run\]\)"),
        ("[run\n", r"not valid TOML"),
    ],
)
def test_a_bad_user_config_is_refused_naming_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RunEnvironmentError, match=message) as error:
        load_user_config(path)
    assert str(path) in str(error.value)


def test_run_dask_in_the_user_config_is_the_default_and_the_command_line_overrides_it(tmp_path, monkeypatch, capsys):
    from flows.cli import _engine

    path = tmp_path / "config.toml"
    path.write_text('[run]\ndask = "tcp://10.0.0.5:8786"\n', encoding="utf-8")
    monkeypatch.setenv("FUNDTRAIL_CONFIG", str(path))
    assert _engine(argparse.Namespace(dask=None, workers=None, lang="en"), load_user_config()) == ("tcp://10.0.0.5:8786", None)
    assert f"on the Dask cluster at tcp://10.0.0.5:8786 ({path})" in capsys.readouterr().err
    assert _engine(argparse.Namespace(dask=None, workers=3), load_user_config()) == (None, 3)
    assert _engine(argparse.Namespace(dask="tcp://other:8786", workers=None), load_user_config()) == ("tcp://other:8786", None)
    path.write_text("[run]\nworkers = 2\n", encoding="utf-8")
    assert _engine(argparse.Namespace(), load_user_config()) == (None, 2)  # demo has neither option


def test_duckdb_limits_come_from_the_user_config_and_reach_every_connection_of_the_run(tmp_path):
    from fundtrail import pipeline
    from fundtrail.config import load_case

    path = tmp_path / "config.toml"
    path.write_text('[run]\nmemory_limit = "300MB"\nthreads = 1\n', encoding="utf-8")
    config = load_user_config(path)
    assert (config.memory_limit, config.threads) == ("300MB", 1)
    case = load_case("data/fixture-fraud")
    limited = pipeline.start_run(tmp_path / "out", limits=pipeline.DatabaseLimits(config.memory_limit, config.threads))
    default = pipeline.start_run(tmp_path / "out2")
    try:
        with pipeline._connect(case, limited) as con:
            # DuckDB shows 300 MB (decimal) in binary units: 300,000,000 / 2**20 = 286.1 MiB.
            assert con.execute("select current_setting('memory_limit'), current_setting('threads')").fetchone() == (
                "286.1 MiB",
                1,
            )
        with pipeline._connect(case, default) as con:
            number, unit = con.execute("select current_setting('memory_limit')").fetchone()[0].split()
            half = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2
            shown = float(number) * {"MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]
            assert abs(shown - half) / half < 0.01  # half the machine's memory, as DuckDB rounds it
    finally:
        pipeline.abandon_run(limited)
        pipeline.abandon_run(default)


class _Health(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args):
        pass


def test_the_server_watch_stays_quiet_while_the_server_answers_and_speaks_once_it_is_gone():
    from flows.case_flow import ServerWatch

    server = HTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api"
    lost: list[str] = []
    with ServerWatch(url, lost.append, interval=0.05, misses=3):
        time.sleep(0.5)  # about ten answered checks
        assert lost == []
        server.shutdown()
        server.server_close()
        deadline = time.monotonic() + 5
        while not lost and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(lost) == 1
    english, chinese = lost[0].render("en"), lost[0].render("zh")
    assert english.startswith(f"the Prefect server at {url} stopped answering (3 health checks in a row")
    assert "earlier outputs are untouched" in english
    assert chinese.startswith(f"Prefect 服务器 {url} 不再应答（连续 3 次健康检查") and "之前的输出未被改动" in chinese
