"""The temporary Prefect server of a command run with no PREFECT_API_URL, started by fundtrail before anything else.

Left to itself, Prefect starts a temporary server from inside the flow call: its
process imports the server's code (80 MB that stay resident through the run, 2 to 3 s
of CPU) and the server only begins to start, about 6 s on two cores, once the case is
checked and Prefect imported. Started here first, as ``prefect server start`` in a
process of its own, it comes up on the other core while the case is checked and
Prefect imported; the run then talks to it as to any running server
(PREFECT_API_URL), and it is stopped when the command ends.

It runs with ``--no-services``: the services beside a server's API record each task
run and event in its database, match events against automations and schedule
deployments. This server's database is in fundtrail's own PREFECT_HOME, with no UI
and no automations, and it lives for one command: nobody reads what they would write
(at 20,000 files they cost 1.5 s of CPU during the run). Flow runs and their states
are still recorded, by the API itself.
"""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from fundtrail.errors import RunEnvironmentError

# The first start in a new PREFECT_HOME creates its database: 16 s on two cores, 6 s after.
START_TIMEOUT = 90.0
# How many of the server's last lines an error shows.
LOG_LINES = 3


class TemporaryServer:
    """``prefect server start --no-services`` on a free port of 127.0.0.1, starting from the moment it is made."""

    def __init__(self) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/api"
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
             "--no-services", "--no-ui", "--analytics-off", "--log-level", "WARNING"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=functools.partial(_stop_with, os.getpid()) if sys.platform == "linux" else None,
        )

    def wait_until_up(self, timeout: float = START_TIMEOUT) -> None:
        """Return once the server answers ``/health``; a server that ended or is not up by ``timeout`` s is an error."""
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise RunEnvironmentError(code="cli.temporary_server_ended", status=self._process.returncode,
                                          log=self._log_tail())
            if health_problem(self.url, timeout=2) is None:
                return
            if time.monotonic() > deadline:
                raise RunEnvironmentError(code="cli.temporary_server_slow", seconds=round(timeout), log=self._log_tail())
            time.sleep(0.1)

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def _log_tail(self) -> str:
        """The server's last words: its last unindented lines (a traceback's error line, not its frames)."""
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").splitlines()
        said = [line.strip() for line in lines if line.strip() and not line[0].isspace()
                and not line.startswith(("Traceback", "(Background on this error"))]
        return " / ".join(said[-LOG_LINES:]) or "-"


def health_problem(api_url: str, timeout: float) -> str | None:
    """None when the Prefect API at ``api_url`` answers ``/health``, else what went wrong.

    Asked directly, never through a proxy of the environment: the server is local or the user's own.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(api_url.rstrip("/") + "/health", timeout=timeout) as response:
            return None if response.status == 200 else f"HTTP {response.status}"
    except (OSError, ValueError) as exc:
        return str(getattr(exc, "reason", exc))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop_with(parent: int) -> None:
    """In the server's process before it starts: the kernel stops it when fundtrail's process ends, even killed."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # fundtrail ended before the call took effect
        os._exit(1)
