"""A service whose asyncio event loop runs on a thread of its own (the front door, the
explorer's web server): :meth:`LoopThread.start` runs the subclass's ``_startup()`` on that
loop and raises what it raised (a port taken); :meth:`LoopThread.stop` runs ``_shutdown()``
there and ends the loop and its thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading


class LoopThread:
    """Subclasses give ``_startup``/``_shutdown`` (coroutines run on the loop), and may use
    ``_attach(loop)`` (called with the loop when it starts and with None when it ends) and
    ``_before_shutdown(loop)`` (called from the stopping thread)."""

    thread_name = "mmplug-loop"
    start_timeout = 10.0  # how long start() waits for _startup()

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    async def _startup(self) -> None:
        raise NotImplementedError

    async def _shutdown(self) -> None:
        raise NotImplementedError

    def _attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The loop the service runs on, or None once it has ended."""

    def _before_shutdown(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called (on the stopping thread) before ``_shutdown`` is run on the loop."""

    def start(self) -> None:
        """Run the loop and ``_startup()``; raise what ``_startup()`` raised."""
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        self._started.wait(self.start_timeout)
        if self._error is not None:
            self._thread.join(5.0)
            self._thread = None
            raise self._error

    def stop(self) -> None:
        """Run ``_shutdown()`` on the loop, end the loop and wait for its thread."""
        loop, thread = self.loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):
            self._before_shutdown(loop)
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10.0)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10.0)
        self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        self._attach(loop)
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:
            self._error = exc
            self._started.set()
            loop.run_until_complete(self._shutdown())
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self.loop = None
            self._attach(None)
