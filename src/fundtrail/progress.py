"""Progress of a run on stderr: what is announced, and how it is shown. No Prefect here.

Steps announce a stage (``stage("ingest")``) and, inside the long ones, how
far they are (``advance("ingest", 12, 20, "files", rows=48_000)``); whoever
shows progress listens (``listening``). Only stage names, counts and units
travel: nothing personal (no file name, account or name) can reach the
display, because the API takes none.

``StageDisplay`` shows it two ways:

- on a terminal, a bar rewritten in place, with counts and the time so far
  (the time ticks on through stages that report no counts, such as
  Prefect's start or validation), then the stage's line with its time when
  it ends;
- in a log (stderr a file or a pipe), one line per stage when it ends, with
  its time and final counts; nothing in between, so a log stays short.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from fundtrail import messages

UNITS = ("batches", "files", "rows", "steps", "entries")
BAR_WIDTH = 24
# A bar redrawn more often than this only costs the terminal time.
REDRAW_SECONDS = 0.1


@dataclass(frozen=True)
class Advance:
    stage: str
    done: int
    total: int | None
    unit: str
    rows: int | None = None


Listener = Callable[[str | Advance], None]
_listeners: list[Listener] = []


@contextmanager
def listening(callback: Listener) -> Iterator[None]:
    """Send stage names and Advance events to ``callback`` for the duration of one run (demo runs two in a row)."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def stage(name: str) -> None:
    for callback in list(_listeners):
        callback(name)


def advance(stage_name: str, done: int, total: int | None, unit: str, rows: int | None = None) -> None:
    """``done`` of ``total`` ``unit`` (one of UNITS) of the stage; ``rows`` read so far, if known."""
    if unit not in UNITS:
        raise ValueError(f"unknown progress unit {unit!r}: one of {', '.join(UNITS)}")
    event = Advance(stage_name, int(done), None if total is None else int(total), unit, None if rows is None else int(rows))
    for callback in list(_listeners):
        callback(event)


class StageDisplay:
    """Renders the events of one run on ``stream``: a live bar on a terminal, one line per stage in a log."""

    def __init__(
        self,
        stream: TextIO,
        stages: tuple[str, ...],
        lang: str = messages.DEFAULT_LANG,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick_seconds: float | None = 1.0,
    ) -> None:
        """``stages``: the run's stages in order (the CLI's: pipeline.STAGES with Prefect's start after the check).

        ``tick_seconds``: how often a terminal's line is redrawn when no event comes (None: only on events).
        """
        self.stream = stream
        self.stages = stages
        self.lang = messages.check_lang(lang)
        self.terminal = stream.isatty() if terminal is None else terminal
        self.clock = clock
        self.current: str | None = None
        self.since = 0.0
        self.last: Advance | None = None
        self.drawn_at = float("-inf")
        # Events come from the flow's threads, ticks from the display's own: one writer at a time.
        self.lock = threading.RLock()
        self.stopped = threading.Event()
        self.ticker = None
        if self.terminal and tick_seconds is not None:
            self.ticker = threading.Thread(target=self._tick, args=(tick_seconds,), name="fundtrail-progress", daemon=True)
            self.ticker.start()

    def __call__(self, event: str | Advance) -> None:
        if isinstance(event, Advance):
            self.advance(event)
        else:
            self.stage(event)

    def stage(self, name: str) -> None:
        with self.lock:
            self._finish_current()
            self.current, self.since, self.last = name, self.clock(), None
            if self.terminal:
                self._draw(force=True)

    def advance(self, event: Advance) -> None:
        with self.lock:
            if event.stage != self.current:
                return
            self.last = event
            if self.terminal:
                self._draw(force=event.total is not None and event.done >= event.total)

    def close(self) -> None:
        self.stopped.set()
        if self.ticker is not None and self.ticker is not threading.current_thread():
            self.ticker.join()
        with self.lock:
            self._finish_current()

    def _tick(self, seconds: float) -> None:
        while not self.stopped.wait(seconds):
            with self.lock:
                if self.current is not None:
                    self._draw(force=True)

    def line(self, name: str, seconds: float, last: Advance | None) -> str:
        """The line a finished stage leaves behind: ``[3/10] 读取证据文件：2.4 秒（20/20 个文件，48,000 行）``."""
        counts = self._counts(last)
        return messages.text(
            "progress.done",
            self.lang,
            position=self._position(name),
            stages=len(self.stages),
            stage=self._stage_name(name),
            seconds=seconds,
            counts=messages.text("progress.counts", self.lang, counts=counts) if counts else "",
        )

    def bar(self, name: str, seconds: float, last: Advance | None) -> str:
        """The live line of a running stage: position, name, a bar when the total is known, counts, time so far."""
        head = f"[{self._position(name)}/{len(self.stages)}] {self._stage_name(name)}"
        parts = [head]
        if last is not None and last.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * last.done // last.total)
            parts.append("█" * filled + "░" * (BAR_WIDTH - filled))
        counts = self._counts(last)
        if counts:
            parts.append(counts)
        parts.append(f"{seconds:.1f} s")
        return "  ".join(parts)

    def _draw(self, force: bool) -> None:
        now = self.clock()
        if not force and now - self.drawn_at < REDRAW_SECONDS:
            return
        self.drawn_at = now
        assert self.current is not None
        self.stream.write("\r\x1b[K  " + self.bar(self.current, now - self.since, self.last))
        self.stream.flush()

    def _finish_current(self) -> None:
        if self.current is None:
            return
        text = self.line(self.current, self.clock() - self.since, self.last)
        self.stream.write(("\r\x1b[K  " if self.terminal else "") + text + "\n")
        self.stream.flush()
        self.current = None

    def _counts(self, last: Advance | None) -> str:
        if last is None:
            return ""
        unit = messages.text(f"progress.unit.{last.unit}", self.lang)
        if last.total is None:
            shown = [messages.text("progress.count", self.lang, done=last.done, unit=unit)]
        else:
            shown = [messages.text("progress.count_of", self.lang, done=last.done, total=last.total, unit=unit)]
        if last.rows is not None:
            rows = messages.text("progress.unit.rows", self.lang)
            shown.append(messages.text("progress.count", self.lang, done=last.rows, unit=rows))
        return messages.text("progress.separator", self.lang).join(shown)

    def _position(self, name: str) -> int:
        return self.stages.index(name) + 1 if name in self.stages else 0

    def _stage_name(self, name: str) -> str:
        code = f"progress.stage.{name}"
        return messages.text(code, self.lang) if messages.has(code) else name
