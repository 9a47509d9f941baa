"""One event loop per plugin process, in a background thread, for ``async def`` hooks."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

CLOSE_SECONDS = 2.0
log = logging.getLogger("mmplug.sdk.async")
# What must run on a loop before it stops (async API clients' channels), by loop.
_CLOSERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Callable[[], Awaitable[None]]]]
_CLOSERS = weakref.WeakKeyDictionary()


def on_loop_close(loop: asyncio.AbstractEventLoop, closer: Callable[[], Awaitable[None]]) -> None:
    """Have the LoopRunner of ``loop`` await ``closer()`` before it stops the loop."""
    _CLOSERS.setdefault(loop, []).append(closer)


async def _close_all(closers: list[Callable[[], Awaitable[None]]]) -> None:
    for closer in closers:
        try:
            await closer()
        except Exception as exc:  # one failing closer must not keep the others open
            log.warning("closing %r failed: %s", closer, exc)


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
            closers = _CLOSERS.pop(loop, [])
            if closers and thread.is_alive():
                done = asyncio.run_coroutine_threadsafe(_close_all(closers), loop)
                try:
                    done.result(CLOSE_SECONDS)
                except Exception as exc:  # a stuck close must not keep the plugin alive
                    log.warning("closing the async API client failed: %s", exc)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=1)
            if not thread.is_alive():
                loop.close()


async def _await(awaitable: Any) -> Any:
    return await awaitable
