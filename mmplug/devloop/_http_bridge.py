"""One HTTP request <-> one ServeHTTP (or ServeMetrics) gRPC stream, on the front door's loop.

The HTTP side (aiohttp: waiting for a reloaded plugin, retrying, relaying the answer as it
streams) is here; the gRPC side is the host's ServeHTTP client
(:class:`mmplug.host.hooks_client.HttpStreams`) and the mapping rules are the codec's
(:mod:`mmplug.host.http_codec`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http_writer import StreamWriter

from mmplug.host.hooks_client import END, FAILED, RETRY, HttpStreams, StreamBroken
from mmplug.host.http_codec import (
    ACTING_USER_HEADER,
    BAD_GATEWAY,
    BODY_CHUNK,
    GLOBAL_OPTIONS,
    INVALID_STATUS,
    MAX_POST_HANDLER_READ,
    NODE_HEADER,
    NOT_FOUND,
    UNAVAILABLE,
    GoResponse,
    PlainAnswer,
    SignIn,
    clean_redirect,
    has_token,
    plugin_request,
    reason_phrase,
    request_length,
    response_headers,
    response_status,
    split_plugin_path,
    status_refused,
    target_path,
)
from mmplug.protocol.messages import message_class

if TYPE_CHECKING:
    from mmplug.devloop.frontdoor import Identify, OnExchange, Resolver, Route
    from mmplug.host.http_codec import Identity

RELOAD_WAIT = 10.0  # how long a request waits for a plugin that is being (re)started
RST_AVOIDANCE_DELAY = 0.5  # net/http: rstAvoidanceDelay
READY_SLICE_S = 0.1
POLL_S = 0.005


class _Trace:
    """What one front door request did, for the access log: the init the plugin was sent,
    the acting user, and the status the client was actually sent (once the response began)."""

    __slots__ = ("error", "init", "node", "status", "user")

    def __init__(self) -> None:
        self.init: Any = None
        self.error: str | None = None  # what went wrong after the answer began
        self.status = 0
        self.user = ""
        self.node = ""


class Bridge:
    """Forwards requests to plugins; keeps one grpc.aio channel per plugin process."""

    def __init__(self, resolve: Resolver, identify: Identify,
                 on_exchange: OnExchange,
                 waiting: Callable[[str], bool] = lambda plugin_id: False,
                 pages: Callable[[str], tuple[str, str] | None] | None = None,
                 slow_after: float = 30.0,
                 on_slow: Callable[[str, str, float], None] = lambda p, what, limit: None,
                 ) -> None:
        self.resolve = resolve
        self.slow_after = slow_after
        self.on_slow = on_slow
        self.waiting = waiting
        self.identify = identify
        self.on_exchange = on_exchange
        self.pages = pages  # the front door's own pages: path -> (content type, text)
        self.active = 0
        self.streams = HttpStreams()

    async def close(self) -> None:
        await self.streams.close()

    async def serve(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._handle(request, "ServeHTTP")

    async def metrics(self, request: web.BaseRequest) -> web.StreamResponse:
        return await self._handle(request, "ServeMetrics")

    async def _handle(self, request: web.BaseRequest, rpc: str) -> web.StreamResponse:
        began = time.time()
        started = time.perf_counter()
        status, error = 0, None
        target = split_plugin_path(request.path, metrics=rpc == "ServeMetrics")
        plugin_id = target.plugin_id if target else ""
        trace = _Trace()
        body = _Body(request)
        self.active += 1
        try:
            response = await _settled(request, body,
                                      await self._forward(request, rpc, trace, body))
            status, error = response.status, trace.error
            return response
        except StreamBroken as exc:
            error = f"the plugin's answer broke off: {exc}"
            if not trace.status:  # nothing sent yet: the client gets the server's 502
                status = 502
                return await _settled(request, body, _plain(BAD_GATEWAY))
            status = trace.status  # the status line went out: the log says what was sent
            _drop(request)
            raise asyncio.CancelledError from None
        except asyncio.CancelledError:
            status, error = 499, "client went away"
            if trace.status:
                error += f" (after a {trace.status} began)"
            raise
        finally:
            self.active -= 1
            self._report(plugin_id, rpc, request, status, (began, started), error, trace)

    def _report(self, plugin_id: str, rpc: str, request: web.BaseRequest, status: int,
                started: tuple[float, float], error: str | None, trace: _Trace) -> None:
        """The request as one call event (what the plugin was sent, or a request line of the
        method and path when it was sent nothing) for the access log and the recorders."""
        from mmplug.host.events import FRONT_DOOR, CallEvent, http_request

        with contextlib.suppress(Exception):
            init = trace.init
            if init is None:
                init = message_class("ServeHTTPRequestInit")()
                init.method = request.method  # type: ignore[attr-defined]
                # the path and query (as sent, for a target whose URL has no path)
                init.request_uri = request.path_qs or request.raw_path  # type: ignore[attr-defined]
            event = CallEvent(rpc, plugin_id, http_request(init), error=error,
                              duration_s=time.perf_counter() - started[1],
                              started_at=started[0], origin=FRONT_DOOR, user=trace.user,
                              status=status, node=trace.node)
            self.on_exchange(event, trace.init is not None)

    def refused(self, rpc: str, method: str, target: str, status: int, why: str) -> None:
        """A request whose head the front door refused as Go's server refuses it (the client
        got Go's answer), told as a call event the plugin was not sent."""
        from mmplug.host.events import FRONT_DOOR, CallEvent, http_request

        found = split_plugin_path(target_path(target), metrics=rpc == "ServeMetrics")
        init = message_class("ServeHTTPRequestInit")()
        init.method = method or "?"  # type: ignore[attr-defined]
        init.request_uri = target or "?"  # type: ignore[attr-defined]
        with contextlib.suppress(Exception):
            self.on_exchange(CallEvent(rpc, found.plugin_id if found else "",
                                       http_request(init), error=why, started_at=time.time(),
                                       origin=FRONT_DOOR, status=status), False)

    async def _forward(self, request: web.BaseRequest, rpc: str, trace: _Trace,
                       body: _Body) -> web.StreamResponse:
        """Open the stream and relay it. A request that meets a reload (the old process going,
        the new one starting) waits for the new process, and is retried on it if the old one
        went away before answering and no body byte was read yet."""
        from mmplug.errors import MmplugError

        expect = request.headers.get("Expect", "")
        if expect and not has_token(expect, "100-continue"):  # Go answers before any handler
            return await _expectation_failed(request)
        if request.method == "OPTIONS" and request.raw_path == "*":
            return _plain(GLOBAL_OPTIONS)  # Go's server answers it itself
        moved = clean_redirect(request.raw_path)  # the server's router, before it routes
        if moved is not None:
            return _plain(moved)
        target = split_plugin_path(request.path, metrics=rpc == "ServeMetrics")
        if target is None:
            page = None
            if rpc == "ServeHTTP" and self.pages is not None and request.method in ("GET",
                                                                                  "HEAD"):
                page = self.pages(request.path)
            if page is None:
                return _text(404, "Not Found")
            return _GoPlain(status=200, text=page[1], content_type=page[0], charset="utf-8")
        try:
            who = self.identify(request.headers.get(ACTING_USER_HEADER), request.method,
                                request.raw_path, list(request.headers.items()))
        except MmplugError as exc:
            trace.user = str(request.headers.get(ACTING_USER_HEADER))
            return _text(400, exc.message  # it names the header and the value
                         + (f"\n{exc.hint}" if exc.hint else ""))
        if isinstance(who, SignIn):  # the server reads the body for a CSRF form field
            who = who.identity(await body.buffer() if who.needs_body else b"")
        trace.user = who.name + (f" ({who.why})" if who.why else "")
        deadline = time.monotonic() + RELOAD_WAIT
        stale: Route | None = None
        node = request.headers.get(NODE_HEADER)  # None: the next node, round robin
        while True:
            try:
                route = await self._route(target.plugin_id, deadline, stale, node)
            except MmplugError as exc:  # a node that is not there
                return _text(400, f"{NODE_HEADER}: {exc.message}"
                             + (f"\n{exc.hint}" if exc.hint else ""))
            if route is not None and route.node:
                node = trace.node = route.node  # this request stays on the node it got
            if route is None or rpc not in route.implemented:
                return _plain(NOT_FOUND)
            channel = await self.streams.channel(
                f"{route.plugin_id}@{route.node}" if route.node else route.plugin_id,
                route.target, route.generation)
            if not await self._ready(channel, route, deadline):
                if time.monotonic() < deadline:
                    stale = route
                    continue
                return _plain(UNAVAILABLE)
            try:
                init = _init(request, target.plugin_id, rpc, who)
            except UnicodeEncodeError:
                # (*hooksGRPCClient).sendHTTPRequest: protobuf strings are UTF-8, so the
                # request cannot be sent; the stream fails and receiveHTTPResponse answers 502
                trace.error = ("the request has a header value or target that is not UTF-8, "
                               "which the server's gRPC client cannot send to the plugin")
                return _plain(BAD_GATEWAY)
            trace.init = init  # what the plugin was sent, for the observers
            call = self.streams.open(channel, rpc)
            # The body is written by a task of its own, not handed to grpc as the request
            # iterator: a plugin may answer (a 401 to an upload) without reading the body, and
            # grpc.aio fails the whole call, answer included, when its iterator cannot write.
            sending = asyncio.ensure_future(self.streams.send(call, init, body.read))
            try:
                first = await self._first(call, route.plugin_id,
                                          f"{rpc} {request.method} {request.path_qs}")
                if first is RETRY:
                    if not body.started and self._replaced(route, deadline):
                        stale = route
                        continue
                    return _plain(BAD_GATEWAY)
                if first is FAILED:
                    return _plain(BAD_GATEWAY)
                return await _relay(request, self.streams, call, first, trace, body)
            finally:
                call.cancel()  # no-op when done; stops the plugin's side when we leave early
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await sending

    async def _first(self, call: Any, plugin_id: str, what: str) -> Any:
        """The plugin's first answer message. The server waits for it as long as the client
        does; one that has not come after ``slow_after`` (the session's hook timeout) is
        reported, so a stuck handler shows on the dev screen, and the wait goes on."""
        waiting = asyncio.ensure_future(self.streams.first(call))
        try:
            return await asyncio.wait_for(asyncio.shield(waiting), self.slow_after)
        except asyncio.TimeoutError:
            with contextlib.suppress(Exception):
                self.on_slow(plugin_id, what, self.slow_after)
            return await waiting
        finally:
            if not waiting.done():
                waiting.cancel()

    def _replaced(self, route: Route, deadline: float) -> bool:
        """Whether the process behind ``route`` is being replaced by a reload (not a crash)."""
        if time.monotonic() >= deadline:
            return False
        return self.waiting(route.plugin_id) or self._again(route) != route

    def _again(self, route: Route) -> Route | None:
        """The current route of the plugin (and node) of ``route``."""
        return self.resolve(route.plugin_id, route.node or None)

    async def _route(self, plugin_id: str, deadline: float, stale: Route | None,
                     node: str | None = None) -> Route | None:
        """The plugin's current route (on ``node``); while it is being (re)started, wait."""
        while True:
            route = self.resolve(plugin_id, node)
            fresh = route is not None and route != stale
            if fresh or time.monotonic() >= deadline:
                return route
            if route is None and not self.waiting(plugin_id):
                return None
            await asyncio.sleep(POLL_S)

    async def _ready(self, channel: Any, route: Route, deadline: float) -> bool:
        """Whether the channel connects; gives up early when the plugin's route changes."""
        while time.monotonic() < deadline:
            if await self.streams.ready(channel, READY_SLICE_S):
                return True
            if self._again(route) != route:
                return False
        return False


class _Body:
    """The request body as read by the stream; remembers whether any byte was consumed. A body
    the server reads whole before the plugin gets it (:meth:`buffer`) is then read from there.
    :meth:`settle` is what Go's server does with the body when the answer's head goes out."""

    def __init__(self, request: web.BaseRequest) -> None:
        self.request = request
        self.content = request.content
        self.started = False
        self.length = request_length(list(request.headers.items()))
        self.consumed = 0  # bytes of the body read off the connection
        # Go's server wraps the body of an HTTP/1.1 request with Expect: 100-continue
        # (expectContinueReader) and answers "100 Continue" when it is first read
        self.expects = (has_token(request.headers.get("Expect", ""), "100-continue")
                        and request.version >= (1, 1) and self.length != 0)
        self._continue = self.expects
        self._held: list[bytes] | None = None
        self._lock = asyncio.Lock()  # one reader at a time: the stream's, or settle's
        self.unread = ""  # what settle found: "", "too large" or "expect"

    async def settle(self, closing: bool) -> None:
        """Go's ``(*chunkWriter).writeHeader`` on the request body as the answer's head goes
        out: an ``Expect: 100-continue`` body not read to its end closes the connection
        (``closeAfterReply``); else, unless the connection closes anyway (``closing``), more
        than :data:`MAX_POST_HANDLER_READ` left of a body of known length closes it
        (``requestTooLarge``), and a smaller or chunked rest is read on (discarded) up to one
        byte past that much (``io.CopyN``): a body that goes on past it closes it too."""
        if self.length == 0:
            return
        if self.expects and not self.content.at_eof():
            self.unread = "expect"
            return
        if closing:
            return
        if self.length > 0 and self.length - self.consumed >= MAX_POST_HANDLER_READ:
            self.unread = "too large"
            return
        end = self.consumed + MAX_POST_HANDLER_READ + 1  # what the stream reads counts too
        while True:
            async with self._lock:  # the raw body: no "100 Continue" for this
                if self.consumed >= end:
                    break
                chunk = await self.content.read(min(BODY_CHUNK, end - self.consumed))
            if not chunk:
                return
            self.consumed += len(chunk)
        self.unread = "too large"

    async def buffer(self) -> bytes:
        """The whole body, read now (as ``io.ReadAll``) and kept for the plugin."""
        pieces = []
        while chunk := await self._read(BODY_CHUNK):
            pieces.append(chunk)
        self._held = pieces
        return b"".join(pieces)

    async def read(self, size: int) -> bytes:
        if self._held is not None:
            chunk = self._held.pop(0) if self._held else b""
        else:
            chunk = await self._read(size)
        self.started = self.started or bool(chunk)
        return chunk

    async def _read(self, size: int) -> bytes:
        async with self._lock:
            if self._continue:  # as Go's server: "100 Continue" when the body is first read
                self._continue = False
                await self.request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            chunk = await self.content.read(size)
        self.consumed += len(chunk)
        return chunk


async def _relay(request: web.BaseRequest, streams: HttpStreams, call: Any, first: Any,
                 trace: _Trace, body: _Body) -> web.StreamResponse:
    """The plugin's answer as the server's hook client writes it into Go's net/http response
    (:class:`GoResponse`): held in Go's buffers until a flush, the end, or enough bytes; a body
    the response refuses (204, 304, past the plugin's Content-Length) ends it, as
    ``receiveHTTPResponse`` stops at a failed write; a stream that breaks off ends it too, with
    what Go had written by then. A connection Go closes after the answer while the request's
    body is still coming is closed as Go closes it (:func:`_close_write_and_wait`), without
    reading the rest of the body."""
    if status_refused(first.init.status_code):
        return _plain(INVALID_STATUS)  # the server's own answer; the plugin's is not read
    go = GoResponse(request.method, response_status(first.init.status_code),
                    response_headers((h.key, h.values) for h in first.init.headers),
                    proto=(request.version.major, request.version.minor),
                    connection=request.headers.get("Connection", ""),
                    unread_body=lambda: body.unread)
    response: _GoStream | None = None
    message = first
    while True:
        data = _chunk(message)
        flush = message is not END and bool(message.flush)
        if go.head_due(len(data), now=flush):  # Go settles the body before the head
            await body.settle(go.closing)
        if data and not go.write(data):
            break  # the hook client's write failed: it stops reading the plugin's answer
        if flush:
            go.flush()
        response = await _send(request, go, response, trace)
        if _complete(message):
            break
        try:
            message = await streams.next(call)
        except StreamBroken as exc:
            trace.error = f"the plugin's answer broke off: {exc}"
            break
    if go.head_due(now=True):
        await body.settle(go.closing)
    go.finish()
    response = await _send(request, go, response, trace)
    assert response is not None
    if go.short:  # Go closes a connection whose answer is shorter than its Content-Length
        raise StreamBroken(f"{go.written} bytes of the {go.declared} its Content-Length says")
    await response.end(go.trailers)
    # (*conn).serve: a connection that is not reused (closeAfterReply, requestTooLarge) is
    # closed after the answer
    if go.close and not request.content.is_eof():
        _close_write_and_wait(request)
    return response


async def _settled(request: web.BaseRequest, body: _Body,
                   response: web.StreamResponse) -> web.StreamResponse:
    """A whole answer not yet sent (the front door's own, or the server's plain ones) as Go
    writes its head: the request body settled first (:meth:`_Body.settle`); when Go then
    closes the connection the answer says ``Connection: close`` and the connection is closed
    after it."""
    if response.prepared:
        return response
    await body.settle(not request.keep_alive)
    if not body.unread:
        return response
    response.force_close()  # aiohttp's own Connection: close
    await response.prepare(request)
    await response.write_eof()
    _close_write_and_wait(request)
    return response


def _close_write_and_wait(request: web.BaseRequest) -> None:
    """Go's ``(*conn).closeWriteAndWait``: the answer sent, the writing side is closed (the
    client sees the end of the connection) and the connection a moment later
    (``rstAvoidanceDelay``), so the client reads the answer before the reset that closing
    with request bytes still unread brings."""
    transport = request.transport
    if transport is None:
        return
    if transport.can_write_eof():
        transport.write_eof()
    asyncio.get_running_loop().call_later(RST_AVOIDANCE_DELAY, transport.close)


async def _send(request: web.BaseRequest, go: GoResponse, response: _GoStream | None,
                trace: _Trace) -> _GoStream | None:
    """Send the client what reached it in Go (an informational answer, the head, body
    bytes)."""
    for event in go.take():
        if event[0] == "info":  # written and flushed at once, before the real answer
            _, status, headers = event
            await request.writer.write(_status_line(request, status)
                                       + _header_lines(headers) + b"\r\n")
        elif event[0] == "head":
            _, status, headers = event
            response = _GoStream(go, status, headers)
            trace.status = status
            await response.prepare(request)
        elif response is not None:
            await response.write(event[1])
    return response


async def _expectation_failed(request: web.BaseRequest) -> web.StreamResponse:
    """Go's ``(*response).sendExpectationFailed``: an ``Expect`` other than ``100-continue`` is
    answered with an empty 417 that closes the connection, and no handler sees the request."""
    go = GoResponse(request.method, 417, [("Connection", "close")],
                    proto=(request.version.major, request.version.minor),
                    connection=request.headers.get("Connection", ""))
    go.finish()
    response = await _send(request, go, None, _Trace())
    assert response is not None
    await response.end(go.trailers)
    if request.transport is not None:  # at once: the body it announced is not waited for
        request.transport.close()
    return response


def _complete(message: Any) -> bool:
    return message is END or bool(message.body_complete)


def _chunk(message: Any) -> bytes | memoryview:
    if message is END:
        return b""
    chunk = message.body_chunk
    return chunk if isinstance(chunk, memoryview) else bytes(chunk)


def _init(request: web.BaseRequest, plugin_id: str, rpc: str, who: Identity) -> Any:
    """The request as the plugin sees it (the codec's one cleaning), made as ``who``."""
    from mmplug.host.ids import random_id

    prefix = f"/plugins/{plugin_id}" + ("/metrics" if rpc == "ServeMetrics" else "")
    return plugin_request(
        request.method, request.raw_path, prefix, list(request.headers.items()),
        user_id=who.user_id, signed_in=who.signed_in, host=request.host,
        remote_addr=_remote(request), proto=(request.version.major, request.version.minor),
        context={"request_id": random_id(), "ip_address": request.remote or "127.0.0.1",
                 "session_id": who.session_id})


def _remote(request: web.BaseRequest) -> str:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return "127.0.0.1:0"


class _GoStream(web.StreamResponse):
    """A response whose head goes out as Go's net/http writes it (:class:`GoResponse`'s: the
    plugin's headers, hop-by-hop ones included, less those Go drops, with those Go adds, and
    no ``Server`` header; aiohttp adds none of its own but ``Date``) and whose body is framed
    as Go frames it: by its ``Content-Length``, chunked (with the trailers at the end), or
    ended by closing the connection; a connection Go closes after the answer is closed."""

    def __init__(self, go: GoResponse, status: int, headers: list[tuple[str, str]]) -> None:
        super().__init__(status=status)
        self.go = go
        self.go_headers = headers

    async def _prepare_headers(self) -> None:
        request, writer = self._req, self._payload_writer
        assert request is not None and writer is not None
        lines = list(self.go_headers)
        if not any(key == hdrs.DATE for key, _ in lines):  # Go's own, after the plugin's
            lines.insert(self.go.date_at, (hdrs.DATE, rfc822_formatted_time()))
        headers = self._headers
        headers.clear()
        for key, value in lines:
            headers.add(key, value)
        length = headers.get(hdrs.CONTENT_LENGTH)
        writer.length = int(length) if length and length.isdigit() and not self.go.chunking \
            else None
        if self.go.chunking:
            writer.enable_chunking()
        self._keep_alive = request.keep_alive and not self.go.close

    async def end(self, trailers: list[tuple[str, str]]) -> None:
        """The end of the answer: a chunked one's last chunk carries the trailers."""
        writer = self._payload_writer
        if trailers and isinstance(writer, StreamWriter) and writer.chunked:
            writer.chunked = False  # the last chunk is written whole here
            await self.write(b"0\r\n" + _header_lines(trailers) + b"\r\n")
        await self.write_eof()


def _status_line(request: web.BaseRequest, status: int) -> bytes:
    """Go's ``writeStatusLine`` for ``status`` on this request's connection."""
    version = "1.1" if request.version >= (1, 1) else "1.0"
    return f"HTTP/{version} {status} {reason_phrase(status)}\r\n".encode()


def _header_lines(headers: list[tuple[str, str]]) -> bytes:
    return b"".join(f"{key}: {value}\r\n".encode() for key, value in headers)


class _GoPlain(web.Response):
    """A whole answer of the front door's own, without aiohttp's ``Server`` header."""

    async def _write_headers(self) -> None:
        self.headers.popall("Server", None)
        await super()._write_headers()


def _text(status: int, text: str) -> web.StreamResponse:
    return _GoPlain(status=status, text=text + "\n", content_type="text/plain")


def _plain(answer: PlainAnswer) -> web.StreamResponse:
    """One of the server's own plain answers (the codec's, as Go's ``http.Error`` writes it)."""
    status, headers, body = answer
    return _GoPlain(status=status, headers=headers, body=body)


def _drop(request: web.BaseRequest) -> None:
    """Close the client's connection mid-answer, so it sees a broken response, not a short one."""
    transport = request.transport
    if transport is not None:
        transport.abort()
