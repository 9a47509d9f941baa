"""Serve an ASGI application (Starlette, FastAPI, ...) as the plugin's ServeHTTP handler.

    class MyPlugin(Plugin):
        http = mount_asgi(app)

Each request runs the app's ``http`` protocol on the SDK's event loop thread: ``receive()``
hands out the body as it arrives from the server, ``send()`` streams the response back.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ._stream import ClientDisconnected

if TYPE_CHECKING:
    from ._http import Request, ResponseWriter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
IO_THREADS = 64  # body reads and writes to slow clients waiting at once, beyond the loop

_io_pool: ThreadPoolExecutor | None = None
_io_lock = threading.Lock()


def io_pool() -> ThreadPoolExecutor:
    """Threads for the blocking side of receive()/send(), apart from asyncio's default
    executor so that stalled clients never starve ``asyncio.to_thread`` in hooks."""
    global _io_pool
    with _io_lock:
        if _io_pool is None:
            _io_pool = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="mmplug-asgi-io")
        return _io_pool


class AsgiMount:
    """An ASGI app mounted as ``Plugin.http``; see :func:`mount_asgi`."""

    _mmplug_mount = True  # Plugin implements ServeHTTP for anything carrying this

    def __init__(self, app: ASGIApp, root_path: str = "") -> None:
        self.app = app
        self.root_path = root_path
        self.state: dict[str, Any] = {}
        self._lifespan: Any = None  # the running lifespan session, once started

    async def dispatch(
        self, plugin: Any, context: Any, response: ResponseWriter, request: Request
    ) -> None:
        """Serve one request (called by the plugin's ServeHTTP on the event loop)."""
        exchange = _Exchange(request, response)
        scope = build_scope(request, self.root_path)
        scope["state"] = dict(self.state)
        scope["extensions"] = {"mmplug": {"plugin": plugin, "context": context,
                                          "request": request}}
        await self.app(scope, exchange.receive, exchange.send)
        if exchange.status is None:
            raise RuntimeError("the ASGI app returned without sending http.response.start")
        if not response.started:  # a start without any body message
            await exchange.send({"type": "http.response.body", "body": b""})

    async def startup(self) -> None:
        """Run the app's lifespan startup (done with OnActivate unless the class defines
        ``on_activate``). Apps without lifespan support are left alone. Raises RuntimeError
        if startup fails; a later call tries again."""
        from ._lifespan import Lifespan

        if self._lifespan is None:
            lifespan = Lifespan(self.app, self.state)
            await lifespan.startup()  # raises if the app reports a failed startup
            self._lifespan = lifespan

    async def shutdown(self) -> None:
        """Run the app's lifespan shutdown (done with OnDeactivate unless the class defines
        ``on_deactivate``)."""
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is not None:
            await lifespan.shutdown()


def mount_asgi(app: ASGIApp, *, root_path: str = "") -> AsgiMount:
    """Mount an ASGI 3 app as the plugin's HTTP handler: ``http = mount_asgi(app)``.

    The app sees paths without ``/plugins/<plugin id>`` (pass ``root_path`` to have it build
    absolute links). ``scope["extensions"]["mmplug"]`` holds the plugin instance, the
    plugin context and the SDK request."""
    if not callable(app):
        raise TypeError(f"mount_asgi() needs an ASGI app, got {type(app).__name__}")
    return AsgiMount(app, root_path)


def build_scope(request: Request, root_path: str = "") -> dict[str, Any]:
    """The ASGI ``http`` scope of an SDK request."""
    parts = urlsplit(request.url)
    scheme = parts.scheme or "http"
    raw_path = parts.path or "/"
    return {
        "type": "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": http_version(request.proto),
        "method": request.method.upper(),
        "scheme": scheme,
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1", "replace"),
        "query_string": parts.query.encode("latin-1", "replace"),
        "root_path": root_path,
        "headers": [
            (key.lower().encode("latin-1", "replace"), header_bytes(value))
            for key, values in request.headers.items()
            for value in values
        ],
        "client": host_port(request.remote_addr, None),
        "server": host_port(request.host, 443 if scheme == "https" else 80),
    }


def http_version(proto: str) -> str:
    """``HTTP/1.1`` -> ``1.1``, ``HTTP/2.0`` -> ``2``."""
    version = proto.removeprefix("HTTP/") or "1.1"
    return {"2.0": "2", "3.0": "3"}.get(version, version)


def host_port(address: str, default_port: int | None) -> tuple[str, int] | None:
    """``host:port`` / ``[v6]:port`` / ``host`` as a (host, port) pair."""
    if not address:
        return None
    bare_v6 = address.endswith("]") or (address.count(":") > 1 and not address.startswith("["))
    host, sep, port = address.rpartition(":")
    if bare_v6 or not sep:
        return (address.strip("[]"), default_port) if default_port is not None else None
    if not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def header_bytes(value: str) -> bytes:
    """Header text as the bytes the client sent (the server passes them through as UTF-8)."""
    return value.encode("utf-8", "replace")


def header_text(value: bytes) -> str:
    """Header bytes from the app as text for the server (UTF-8, else Latin-1 byte by byte)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class _Exchange:
    """One request/response pair: the ``receive`` and ``send`` callables given to the app."""

    def __init__(self, request: Request, response: ResponseWriter) -> None:
        import asyncio

        self.request = request
        self.response = response
        self.loop = asyncio.get_running_loop()
        self.body_done = False
        self.response_done = False
        self.status: int | None = None
        self.gone = asyncio.Event()
        self.reading = asyncio.Lock()
        request.connection.on_close(self._closed)

    def _closed(self) -> None:  # any thread
        try:
            self.loop.call_soon_threadsafe(self.gone.set)
        except RuntimeError:  # the loop is already closed: nobody is waiting
            pass

    async def receive(self) -> Message:
        async with self.reading:  # one body read at a time, even from concurrent tasks
            if not self.body_done and not self.request.is_disconnected():
                try:
                    chunk, more = await self.loop.run_in_executor(
                        io_pool(), self.request.next_chunk)
                except ClientDisconnected:
                    return {"type": "http.disconnect"}
                self.body_done = not more
                return {"type": "http.request", "body": chunk, "more_body": more}
        await self.gone.wait()  # the body is read: nothing more until the request ends
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.request.is_disconnected():
            raise ClientDisconnected("the server is no longer reading this response")
        kind = message.get("type")
        if kind == "http.response.start":
            self._start(message)
        elif kind == "http.response.body":
            await self._body(message)
        else:
            raise RuntimeError(f"unsupported ASGI message type {kind!r}")

    def _start(self, message: Message) -> None:
        if self.status is not None:
            raise RuntimeError("http.response.start sent twice")
        for key, value in message.get("headers", ()):
            self.response.add_header(header_text(bytes(key)), header_text(bytes(value)))
        self.status = int(message["status"])

    async def _body(self, message: Message) -> None:
        if self.response_done:
            raise RuntimeError("http.response.body sent after the response ended")
        status = self.status
        if status is None:
            raise RuntimeError("http.response.body sent before http.response.start")
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        self.response_done = not more
        await self._io(self._emit, status, body, more, len(body))

    def _emit(self, status: int, body: bytes, more: bool) -> None:
        self.response.write_header(status)
        if body:
            self.response.write(body)
        if more:
            self.response.flush()

    async def _io(self, func: Callable[..., None], *args: Any) -> None:
        """Run a writer call inline when the outbox has room, else off the loop."""
        *call_args, nbytes = args
        if self.response.would_block(nbytes):
            await self.loop.run_in_executor(io_pool(), func, *call_args)
        else:
            func(*call_args)
