"""Helpers of the ServeHTTP stream tests (SDK side and ASGI): requests sent lazily as the
server does, responses collected message by message, and waiting for handler threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sdk_support import HookCaller

from mmplug.sdk._http import CHUNK, RESPONSE_CHUNK  # noqa: F401  (re-exported for the tests)
from mmplug.sdk._proto import HOOKS_SERVICE, message_class


def request_init(
    method: str = "GET",
    url: str = "/",
    headers: Iterable[tuple[str, list[str]]] = (),
    *,
    host: str = "mm.example:8065",
    remote_addr: str = "10.0.0.7:51234",
    proto: str = "HTTP/1.1",
) -> Any:
    return message_class("ServeHTTPRequestInit")(
        method=method, url=url, proto=proto, host=host, remote_addr=remote_addr,
        request_uri=f"/plugins/com.example.asgi{url}", plugin_context={"session_id": "s1"},
        headers=[{"key": k, "values": v} for k, v in headers],
    )


def request_messages(init: Any, chunks: Iterable[bytes] = ()) -> Iterator[Any]:
    """What the server sends: init with the first chunk, ``body_complete`` with the last
    (one message when there is no body). Chunks are pulled lazily."""
    cls = message_class("ServeHTTPRequest")
    pending: bytes | None = None
    first = True
    for chunk in chunks:
        if pending is not None:
            yield cls(init=init, body_chunk=pending) if first else cls(body_chunk=pending)
            first = False
        pending = chunk
    if first:
        yield cls(init=init, body_chunk=pending or b"", body_complete=True)
    else:
        yield cls(body_chunk=pending or b"", body_complete=True)


def open_stream(caller: HookCaller, messages: Iterator[Any], timeout: float = 60) -> Any:
    """Start a ServeHTTP call; the result iterates responses and can be cancelled."""
    method = caller.channel.stream_stream(
        f"/{HOOKS_SERVICE}/ServeHTTP",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=message_class("ServeHTTPResponse").FromString,
    )
    return method(messages, timeout=timeout)


@dataclass
class Collected:
    status: int = 0
    headers: list[tuple[str, list[str]]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, key: str) -> list[str]:
        return [v for k, values in self.headers if k.lower() == key.lower() for v in values]


def collect(responses: Iterable[Any]) -> Collected:
    out = Collected()
    for message in responses:
        if message.HasField("init"):
            out.status = message.init.status_code
            out.headers = [(h.key, list(h.values)) for h in message.init.headers]
            out.kinds.append("init")
        if message.body_chunk:
            out.chunks.append(message.body_chunk)
            out.kinds.append("chunk")
        if message.flush:
            out.kinds.append("flush")
        if message.body_complete:
            out.kinds.append("complete")
    return out


def handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mmplug-ServeHTTP"]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` until true (for effects with no event to wait on, like a thread
    ending after a cancelled rpc)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)
