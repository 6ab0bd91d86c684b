"""Shared test set-up: no telemetry, and Prefect's test server only for the tests that ask for it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for the whole session (~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def samples() -> Path:
    """The third-party bank exports kept in a shared folder beside the checkout (or its worktrees'
    folder), not in the repository; the tests that read them skip where it is missing."""
    for parent in (REPO, *REPO.parents[:2]):
        candidate = parent / "shared" / "samples"
        if candidate.is_dir():
            return candidate
    pytest.skip("sample exports not found in a shared folder beside the checkout")
