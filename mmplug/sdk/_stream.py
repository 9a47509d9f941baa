"""The plumbing of one ServeHTTP stream: whether the server still listens, the bounded queue of
response messages, and the request body read chunk by chunk."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .errors import PluginError

OUTBOX_LIMIT = 16  # response messages (of at most 1 MiB each) waiting for the server
PUT_POLL_SECONDS = 0.1


class ClientDisconnected(PluginError, ConnectionError):
    """The server stopped listening to this HTTP request (the browser went away, or the
    request was cancelled). Raised by ``response.write()`` and while reading the body."""


class Connection:
    """Open until the server cancels the request or the stream ends; runs callbacks once
    when it closes (from whichever thread closes it)."""

    def __init__(self) -> None:
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the connection closes (at once if it is closed)."""
        with self._lock:
            if not self._closed.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def wait(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)


class Outbox:
    """Response messages on their way to the server. Bounded, so a handler writing faster
    than the client reads waits instead of buffering the whole response in memory."""

    def __init__(self, connection: Connection, limit: int = OUTBOX_LIMIT) -> None:
        self.connection = connection
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=limit)

    def put(self, message: Any) -> None:
        """Queue ``message``, waiting for room; raises ClientDisconnected once closed."""
        while True:
            if self.connection.closed:
                raise ClientDisconnected("the server is no longer reading this response")
            try:
                self._queue.put(message, timeout=PUT_POLL_SECONDS)
                return
            except queue.Full:
                continue

    def room(self) -> int:
        """How many messages fit without waiting."""
        return self._queue.maxsize - self._queue.qsize()

    def end(self) -> None:
        """Mark the end of the response (dropped if nobody reads any more)."""
        try:
            self.put(None)
        except ClientDisconnected:
            pass

    def get(self, timeout: float) -> Any:
        """The next message, ``None`` at the end; raises queue.Empty after ``timeout``."""
        return self._queue.get(timeout=timeout)


class BodyStream:
    """The request body as it arrives: the first request message's chunk, then the next
    messages' chunks up to ``body_complete``. A broken stream raises ClientDisconnected."""

    def __init__(self, first: Any, rest: Iterator[Any]) -> None:
        self._pending: Any = first
        self._rest = rest
        self.complete = False

    def next_chunk(self) -> tuple[bytes, bool]:
        """The next chunk and whether more may follow; ``(b"", False)`` once complete."""
        while not self.complete:
            message = self._pending
            self._pending = None
            if message is None:
                message = self._next_message()
            if message is None:  # the stream ended without body_complete: cut short
                raise ClientDisconnected("the request ended before its body was complete")
            self.complete = bool(message.body_complete)
            if message.body_chunk or self.complete:
                return bytes(message.body_chunk), not self.complete
        return b"", False

    def _next_message(self) -> Any:
        try:
            return next(self._rest)
        except StopIteration:  # grpc also ends the iterator when the rpc is cancelled
            return None
        except Exception as exc:  # grpc raises RpcError when the request is cancelled
            raise ClientDisconnected("the request was cancelled while reading its body") from exc

    def __iter__(self) -> BodyStream:
        return self

    def __next__(self) -> bytes:
        while True:
            chunk, more = self.next_chunk()
            if chunk:
                return chunk
            if not more:
                raise StopIteration
