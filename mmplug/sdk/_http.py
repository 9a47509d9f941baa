"""ServeHTTP on the plugin side: the request object and the streaming response writer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from mmplug.protocol.body_chunks import encode_body_chunk

from ._proto import message_factory
from ._stream import BodyStream, Connection

if TYPE_CHECKING:
    from .model import PluginContext

USER_ID_HEADER = "Mattermost-User-Id"
CHUNK = 64 * 1024  # request bodies arrive in chunks of at most this size (the server's)
# A response write goes out in messages of at most this size. The server copies each message
# to the client as it comes and takes messages far larger than this; fewer, larger messages
# cost less per byte in gRPC (measured: 64 KiB ~0.4-0.55 GiB/s, 1 MiB ~0.8-1 GiB/s).
RESPONSE_CHUNK = 1024 * 1024
class Headers:
    """Multi-value HTTP headers with case-insensitive lookup; keeps the first spelling seen."""

    def __init__(self, items: Iterable[tuple[str, Iterable[str]]] = ()) -> None:
        self._data: dict[str, tuple[str, list[str]]] = {}
        for key, values in items:
            for value in values:
                self.add(key, value)

    def add(self, key: str, value: str) -> None:
        entry = self._data.setdefault(key.lower(), (key, []))
        entry[1].append(value)

    def set(self, key: str, value: str) -> None:
        self._data[key.lower()] = (key, [value])

    def get(self, key: str, default: str | None = None) -> str | None:
        entry = self._data.get(key.lower())
        return entry[1][0] if entry and entry[1] else default

    def get_all(self, key: str) -> list[str]:
        entry = self._data.get(key.lower())
        return list(entry[1]) if entry else []

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __iter__(self) -> Iterator[str]:
        return (spelling for spelling, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def items(self) -> list[tuple[str, list[str]]]:
        return [(spelling, list(values)) for spelling, values in self._data.values()]

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class Request:
    """An HTTP request routed to the plugin (``/plugins/<id>`` already stripped from the path)."""

    def __init__(
        self, init: Any, body: Iterator[bytes], connection: Connection | None = None
    ) -> None:
        from ._entity import wrap  # the entities load with the first request, not the SDK

        self.plugin_context: PluginContext = wrap(init.plugin_context)
        self.method: str = init.method or "GET"
        self.url: str = init.url
        parts = urlsplit(init.url)
        self.path: str = parts.path or "/"
        self.raw_query: str = parts.query
        self.query: dict[str, list[str]] = parse_qs(parts.query, keep_blank_values=True)
        self.proto: str = init.proto
        self.headers = Headers((h.key, h.values) for h in init.headers)
        self.host: str = init.host
        self.remote_addr: str = init.remote_addr
        self.request_uri: str = init.request_uri
        self.content_length: int = init.content_length
        self.path_params: dict[str, str] = {}
        self.context = self.plugin_context  # the same; set for router handlers
        self.response: ResponseWriter | None = None  # set by the router for its handlers
        self._body = body
        self._consumed: bytes | None = None
        self.connection = connection or Connection()

    def is_disconnected(self) -> bool:
        """True once the server stopped waiting for the response (client gone, cancelled)."""
        return self.connection.closed

    def next_chunk(self) -> tuple[bytes, bool]:
        """The next body chunk and whether more may follow (``(b"", False)`` at the end).
        Blocks until the chunk arrives; raises ClientDisconnected if the request is cancelled."""
        if isinstance(self._body, BodyStream):
            return self._body.next_chunk()
        chunk = next(self._body, None)  # plain iterators: an empty last chunk ends the body
        return (chunk, True) if chunk is not None else (b"", False)

    @property
    def user_id(self) -> str:
        """The Mattermost user making the request ('' when not logged in)."""
        return self.headers.get(USER_ID_HEADER) or ""

    @property
    def body(self) -> Iterator[bytes]:
        """The body as chunks, read as they arrive. Can be iterated once (or use read_all())."""
        if self._consumed is not None:
            return iter([self._consumed])
        return self._body

    def read_all(self) -> bytes:
        """The whole body."""
        if self._consumed is None:
            self._consumed = b"".join(self._body)
        return self._consumed

    def text(self) -> str:
        return self.read_all().decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.read_all() or b"null")

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class ResponseWriter:
    """Writes the response; every write is streamed to the server as it happens."""

    def __init__(
        self, send: Callable[[Any], None], room: Callable[[], int] | None = None
    ) -> None:
        self._send = send
        self._room = room
        self._response_cls = message_factory("ServeHTTPResponse")
        self._init_cls = message_factory("ServeHTTPResponseInit")
        self.headers = Headers()
        self.status: int | None = None

    @property
    def started(self) -> bool:
        """True once the status line and headers have been sent."""
        return self.status is not None

    def set_header(self, key: str, value: str) -> None:
        self.headers.set(key, value)

    def add_header(self, key: str, value: str) -> None:
        self.headers.add(key, value)

    def write_header(self, status: int) -> None:
        """Send the status and headers. Later calls are ignored (as in Go)."""
        if self.status is not None:
            return
        self.status = status
        header_cls = message_factory("HTTPHeader")
        headers = [header_cls(key=k, values=v) for k, v in self.headers.items()]
        self._send(self._response_cls(init=self._init_cls(status_code=status, headers=headers)))

    def would_block(self, nbytes: int) -> bool:
        """Whether writing ``nbytes`` now may wait for the client to read."""
        if self._room is None:
            return False
        return self._room() < nbytes // RESPONSE_CHUNK + 3  # chunks, a status line, a flush

    def write(self, data: bytes | str) -> int:
        """Send body bytes (sends a 200 status first if none was sent)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.status is None:
            self.write_header(200)
        view = memoryview(data) if len(data) > RESPONSE_CHUNK else data
        for start in range(0, len(data), RESPONSE_CHUNK):
            self._send(encode_body_chunk(view[start : start + RESPONSE_CHUNK]))
        return len(data)

    def flush(self) -> None:
        """Ask the server to flush what was written so far to the client."""
        if self.status is None:
            self.write_header(200)
        self._send(self._response_cls(flush=True))

    def finish(self) -> None:
        if self.status is None:
            self.write_header(200)
        self._send(self._response_cls(body_complete=True))
