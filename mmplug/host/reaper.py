"""Stopping plugin processes without waiting for them to exit.

go-plugin's Kill() sends Shutdown, then waits up to 2 s for the process to exit before it
SIGKILLs it. Where nothing depends on the exit, only the first part has to happen before the
work goes on: on a reload (the dev loop) the new process starts at once; between the sessions of
a replay the next one starts; after a test module the next module runs. The old process has
been deactivated and told to shut down; it may take its time to exit meanwhile. The reaper does
the waiting (and the SIGKILL if needed) on its own threads and is joined when its owner closes
(the dev loop, a replay, the pytest run), so nothing outlives it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmplug.host.launcher import PluginProcess



class Reaper:
    """Stops plugin processes: Shutdown now, wait for the exit in the background. Its
    :meth:`stop` is the session's ``stopper`` (see :class:`~mmplug.host.session.Session`)."""

    def __init__(self, grace: float = 2.0) -> None:
        self.grace = grace
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def stop(self, process: PluginProcess, grace: float | None = None) -> str | None:
        """As ``PluginProcess.stop`` (same answer), but returns before the exit."""
        limit = self.grace if grace is None else grace
        if process.channel is None or process.exit_code() is not None:
            process.kill()
            return None
        problem = process.shutdown(limit)
        if problem is not None:
            process.kill()
            return problem
        thread = threading.Thread(target=self._reap, args=(process, limit), daemon=True,
                                  name=f"mmplug-reap-{process.pid}")
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return None

    def _reap(self, process: PluginProcess, grace: float) -> None:
        try:
            process.exit_code(wait=grace)
            process.kill()
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def join(self) -> None:
        """Wait for every process being reaped (each is SIGKILLed after its grace)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()
