"""Stage announcements from flow tasks to whoever is showing progress (the CLI)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_listeners: list[Callable[[str], None]] = []


@contextmanager
def listening(callback: Callable[[str], None]) -> Iterator[None]:
    """Send stage names to ``callback`` for the duration of one run (demo runs two in a row)."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def stage(name: str) -> None:
    for callback in _listeners:
        callback(name)
