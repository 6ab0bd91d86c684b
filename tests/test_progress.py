"""Progress on stderr: a live bar on a terminal, one line per stage with its time in a log, counts only."""

from __future__ import annotations

import io
import time

import pytest

from fundtrail import progress
from fundtrail.progress import Advance, StageDisplay

# The CLI's stages: the case check, Prefect's start, then the run's own.
STAGES = ("check", "prefect", "ingest", "load", "transfers", "match", "marts", "tracing", "validate", "publish")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _run(display: StageDisplay, clock: Clock) -> None:
    """prefect 0.5 s; ingest 2.0 s over 20 files in 3 steps; load 1.25 s."""
    display.stage("prefect")
    clock.now += 0.5
    display.stage("ingest")
    for done, rows in ((8, 16_000), (15, 30_000), (20, 48_000)):
        clock.now += 2.0 / 3
        display.advance(Advance("ingest", done, 20, "files", rows))
    display.stage("load")
    clock.now += 1.25
    display.close()


def test_a_log_gets_one_line_per_stage_with_its_time_and_final_counts():
    for lang, expected in (
        (
            "zh",
            "[2/10] 启动 Prefect：0.5 秒\n"
            "[3/10] 读取证据文件：2.0 秒（20/20 个文件，48,000 行）\n"
            "[4/10] 载入数据库：1.2 秒\n",
        ),
        (
            "en",
            "[2/10] prefect: 0.5 s\n[3/10] ingest: 2.0 s (20/20 files, 48,000 rows)\n[4/10] load: 1.2 s\n",
        ),
    ):
        stream, clock = io.StringIO(), Clock()
        _run(StageDisplay(stream, STAGES, lang, terminal=False, clock=clock), clock)
        assert stream.getvalue() == expected


def test_a_terminal_gets_a_bar_redrawn_in_place():
    stream, clock = io.StringIO(), Clock()
    _run(StageDisplay(stream, STAGES, "en", terminal=True, clock=clock, tick_seconds=None), clock)
    text = stream.getvalue()
    # 15 of 20 files: 18 of the bar's 24 cells filled; the line is rewritten, not added to.
    assert "\r\x1b[K  [3/10] ingest  " + "█" * 18 + "░" * 6 + "  15/20 files, 30,000 rows  1.3 s" in text
    assert text.endswith("\r\x1b[K  [4/10] load: 1.2 s\n")
    assert text.count("\n") == 3  # one finished line per stage, nothing else


def test_a_terminal_line_keeps_ticking_through_a_stage_without_counts():
    stream = io.StringIO()
    display = StageDisplay(stream, STAGES, "en", terminal=True, tick_seconds=0.01)
    display.stage("validate")
    deadline = time.monotonic() + 5
    while stream.getvalue().count("[9/10] validate  ") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    display.close()
    assert stream.getvalue().count("[9/10] validate  ") >= 3  # redrawn by the ticker, not by events
    assert stream.getvalue().endswith("s\n") and "[9/10] validate: " in stream.getvalue()


def test_events_reach_the_listener_only_while_it_listens():
    seen: list[object] = []
    with progress.listening(seen.append):
        progress.stage("match")
        progress.advance("match", 2, 4, "steps")
    progress.stage("marts")
    assert seen == ["match", Advance("match", 2, 4, "steps", None)]


def test_only_known_units_are_shown():
    with pytest.raises(ValueError, match="unknown progress unit 'accounts'"):
        progress.advance("ingest", 1, 2, "accounts")
