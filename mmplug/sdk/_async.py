"""One event loop per plugin process, in a background thread, for ``async def`` hooks."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from typing import Any


class LoopRunner:
    """Runs coroutines on a private event loop started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="mmplug-async-hooks", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """Call ``func``; if it returns an awaitable, wait for it on the loop."""
        result = func(*args)
        if inspect.isawaitable(result):
            return asyncio.run_coroutine_threadsafe(_await(result), self._ensure()).result()
        return result

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=1)
            if not thread.is_alive():
                loop.close()


async def _await(awaitable: Any) -> Any:
    return await awaitable
