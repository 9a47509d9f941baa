"""Injectable clocks: real time for ``mmplug dev``, a stepping clock for deterministic replays.

Both can be moved (``advance``, ``set``): the host's clock is what tests and ``mmplug dev``'s
``clock`` command move to make days pass (see :mod:`mmplug.host.timekeeper`). A moved system
clock keeps running from where it was put; a stepping clock only moves when read or told.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the epoch, as the server stores times."""
        ...


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class SystemClock:
    """The wall clock, moved by ``offset_ms`` (0 until someone moves it)."""

    running = True

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        return wall_ms() + self.offset_ms

    def advance(self, delta_ms: int) -> None:
        self.offset_ms += delta_ms

    def set(self, value_ms: int) -> None:
        """From now on the clock reads ``value_ms`` (and runs on from there)."""
        self.offset_ms = value_ms - wall_ms()


class SteppingClock:
    """Starts at ``start_ms`` and advances ``step_ms`` on every reading (strictly increasing)."""

    running = False

    def __init__(self, start_ms: int, step_ms: int = 1) -> None:
        self._next = start_ms
        self._step = step_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            value = self._next
            self._next += self._step
            return value

    def peek_ms(self) -> int:
        """The next reading, without taking it."""
        with self._lock:
            return self._next

    def set(self, value_ms: int) -> None:
        with self._lock:
            self._next = value_ms

    def advance(self, delta_ms: int) -> None:
        with self._lock:
            self._next += delta_ms
