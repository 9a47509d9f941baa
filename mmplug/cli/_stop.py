"""Commands that run until stopped (``dev``, ``run``, ``explore``): Ctrl-C, SIGTERM and SIGHUP
end them, each once, through the command's own shutdown.

The main thread waits in short steps rather than on the event alone: a signal the kernel hands
to another of the process's threads (gRPC's, the control channel's) does not wake a main
thread that sleeps on a lock, and Python runs its handler only when the main thread wakes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STEP_S = 0.25


class StopSignals:
    """``with StopSignals() as stop: ... stop.wait()`` (or :meth:`install`, then
    :meth:`restore` in a ``finally``): the handlers are ours in between, the previous ones
    again after."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignals:
        self._previous = {sig: signal.signal(sig, lambda *_: self.event.set())
                          for sig in STOP_SIGNALS}
        return self

    def restore(self) -> None:
        previous, self._previous = self._previous, {}
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def __enter__(self) -> StopSignals:
        return self.install()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.restore()

    def wait(self, each_step: Callable[[], object] | None = None) -> None:
        """Until a stop signal came, running ``each_step`` every step."""
        while not self.event.wait(STEP_S):
            if each_step is not None:
                each_step()
