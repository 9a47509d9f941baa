"""Injectable clocks: real time for ``mmplug dev``, a stepping clock for deterministic replays."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the epoch, as the server stores times."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class SteppingClock:
    """Starts at ``start_ms`` and advances ``step_ms`` on every reading (strictly increasing)."""

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
