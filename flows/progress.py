"""Stage announcements from flow tasks to whoever is showing progress (the CLI)."""

from __future__ import annotations

from collections.abc import Callable

_listeners: list[Callable[[str], None]] = []


def listen(callback: Callable[[str], None]) -> None:
    _listeners.append(callback)


def stage(name: str) -> None:
    for callback in _listeners:
        callback(name)
