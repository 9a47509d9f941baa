"""A loopback TCP forwarder: a fixed address in front of a server whose port is chosen at start.

Used for attached plugins: the PluginAPI server of a session listens on a free port, the
forwarder gives it the well-known address the plugin's debug mode expects (the debug port + 1),
the same for every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from mmplug.errors import UsageError

BUFFER = 256 * 1024


class Forwarder:
    """Accepts on ``listen`` (host, port) and pipes every connection to ``target`` (host, port)."""

    def __init__(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        self.listen = listen
        self.target = target
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._pipe, *self.listen, reuse_address=True))
        except OSError as exc:
            self._loop.close()
            raise UsageError(
                f"cannot listen on {self.listen[0]}:{self.listen[1]} for the attached plugin's "
                f"PluginAPI: {exc.strerror or exc}",
                hint="another program uses that port; attach on another port",
            ) from None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="mmplug-forward")
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        self._loop.close()
        self._thread = None

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        try:
            await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))
        finally:
            for stream in (writer, upstream_writer):
                stream.close()
            self._tasks.discard(task)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while True:
            data = await reader.read(BUFFER)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.write_eof()
