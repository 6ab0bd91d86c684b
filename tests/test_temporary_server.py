"""The command's own temporary Prefect server (flows/server.py): up, stopped with fundtrail, its failures one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flows import cli
from flows.server import TemporaryServer, health_problem
from fundtrail import console
from fundtrail.errors import RunEnvironmentError

REPO = Path(__file__).resolve().parent.parent


def _ended(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal is Linux's")
def test_the_server_answers_and_ends_with_fundtrail_even_killed(tmp_path: Path) -> None:
    """A fundtrail killed with SIGKILL runs no clean-up of its own: the server must still go."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import os, sys, time
            from flows.server import TemporaryServer
            server = TemporaryServer()
            server.wait_until_up()
            print(server.url, server._process.pid, flush=True)
            time.sleep(600)
        """)],
        cwd=REPO, env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": f"{REPO / 'src'}:{REPO}"},
        stdout=subprocess.PIPE, text=True,
    )
    try:
        url, pid = child.stdout.readline().split()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        assert health_problem(url, timeout=2) is None
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert _ended(int(pid), within=15), "the temporary server outlived the fundtrail process that started it"
    assert health_problem(url, timeout=2) is not None


def test_a_server_that_cannot_start_is_one_line_with_what_it_said(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", f"sqlite+aiosqlite:///{tmp_path}/missing/prefect.db")
    server = TemporaryServer()
    try:
        with pytest.raises(RunEnvironmentError) as caught:
            server.wait_until_up(timeout=60)
    finally:
        server.stop()
    english = console.error_line(caught.value, "en")
    assert "the temporary Prefect server did not start (exit status" in english
    assert "unable to open database file" in english
    assert "File \"" not in english and "\n" not in english


def test_a_command_given_an_api_url_starts_no_server(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    monkeypatch.setattr(cli, "TemporaryServer", lambda: pytest.fail("a server was started"))
    with cli._prefect_api(verbose=False) as server:
        assert server is None
        assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"


def test_after_the_command_prefect_no_longer_points_at_its_stopped_server(tmp_path: Path) -> None:
    """Prefect, first imported during the command, reads the server's URL from the environment; a second
    command in the same process (a notebook, a script calling main twice) must not find the dead server."""
    script = textwrap.dedent("""
        from flows import cli

        class Server:
            url = "http://127.0.0.1:1/api"
            def stop(self):
                pass

        cli.TemporaryServer = Server
        with cli._prefect_api(verbose=False) as server:
            from prefect.settings import get_current_settings
            during = get_current_settings().api.url
        print(during, get_current_settings().api.url)
    """)
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PYTHONPATH=f"{REPO / 'src'}:{REPO}")
    shown = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["http://127.0.0.1:1/api", "None"]
