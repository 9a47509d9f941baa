"""One thread that keeps every cluster lock this process holds from expiring.

A held ``Mutex`` (and a scheduled job's lock while its callback runs) must have its expiry
moved on every half of its time to live, as the Go plugin API's mutex does with a goroutine per
lock. A thread per lock would cost a thread start for each ``with mutex:``; this one thread
refreshes every held lock when its time comes, and starts with the first lock held.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("mmplug.sdk.cluster")
# refresh(held) -> the new value, or None when the lock is not ours any more
Refresh = Callable[[bytes], "bytes | None"]


class Held:
    """A lock being kept: ``value`` is its current value (what unlocking compares with)."""

    def __init__(self, name: str, value: bytes, every: float, refresh: Refresh) -> None:
        self.name = name
        self.value = value
        self.every = every
        self.refresh = refresh
        self.lock = threading.Lock()  # held while a refresh of this lock runs
        self.active = True

    def stop(self) -> bytes:
        """Stop refreshing it (waiting for a refresh in progress); its last value."""
        with self.lock:
            self.active = False
            return self.value


class Refresher:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Held]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def keep(self, name: str, value: bytes, ttl: float, refresh: Refresh) -> Held:
        """Refresh the lock every ``ttl / 2`` seconds until its ``stop()``."""
        held = Held(name, value, ttl / 2, refresh)
        with self._changed:
            heapq.heappush(self._heap, (time.monotonic() + held.every, next(self._order), held))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mmplug-lock-refresh",
                                                daemon=True)
                self._thread.start()
            self._changed.notify()
        return held

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._heap and not self._heap[0][2].active:
                    heapq.heappop(self._heap)  # stopped: forget it
                if not self._heap:
                    self._changed.wait()
                    continue
                due, _, held = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                heapq.heappop(self._heap)
            self._refresh(held)

    def _refresh(self, held: Held) -> None:
        with held.lock:
            if not held.active:
                return
            try:
                value = held.refresh(held.value)
            except Exception as exc:  # the KV store failing: the lock may expire
                log.error("lock %s: refreshing it failed: %s", held.name, exc)
                value = held.value
            if value is None:
                log.error("lock %s: it expired before it was refreshed; another node may "
                          "hold it now", held.name)
                held.active = False
                return
            held.value = value
        with self._changed:
            heapq.heappush(self._heap, (time.monotonic() + held.every, next(self._order), held))


REFRESHER = Refresher()
