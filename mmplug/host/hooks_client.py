"""The host side of the PluginHooks service: call a plugin's hooks over its gRPC channel, and
ServeHTTP both ways (a whole call for the session; streams on an event loop for the dev loop's
front door, :class:`HttpStreams`). It faces the SDK's hook servicer (mmplug/sdk/_hooks.py)
across the wire.

Names, request and response types come from the catalog (``mmplug.protocol.catalog``); the
message classes are looked up by name in the protobuf descriptor pool. ``grpc.RpcError`` is
translated here, at this one boundary: a deadline becomes ``HookTimeoutError``, a plugin that
died during the call becomes ``PluginCrashError``, and any other status (the plugin's handler
raised, the hook is not served) comes back as data: the call's ``CallEvent.error``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf.message import Message

from mmplug.errors import PluginCrashError, UsageError
from mmplug.host.events import CallEvent
from mmplug.host.hook_wire import error_text, hook_error
from mmplug.host.http_codec import (
    BAD_GATEWAY,
    INVALID_STATUS,
    PlainAnswer,
    client_answer,
    request_messages,
    request_messages_async,
    response_headers,
    response_status,
    status_refused,
)
from mmplug.host.launcher import PluginProcess
from mmplug.protocol import hooks_pb2, hooks_pb2_grpc  # noqa: F401  (registers the messages)
from mmplug.protocol.catalog import HOOKS_BY_GO_NAME, HookSpec
from mmplug.protocol.messages import is_map, message_class
from mmplug.protocol.names import PLUGIN_CLOCK_SERVICE


@dataclass
class HttpResponse:
    """A plugin's answer to ServeHTTP: status, headers and the body as it streams (an empty
    piece marks where the plugin flushed). :meth:`as_client` is the answer a client of the
    server gets."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Iterator[bytes] = field(default_factory=lambda: iter(()))
    node: str = ""  # which node answered (several nodes)
    tag: str = ""  # the call's tag (race tracking)
    error: str | None = None  # why the server answered in the plugin's place, if it did

    @classmethod
    def plain(cls, answer: PlainAnswer, error: str | None = None) -> HttpResponse:
        """One of the server's own answers (:data:`mmplug.host.http_codec.BAD_GATEWAY`, ...)."""
        status, headers, body = answer
        return cls(status, list(headers), iter([body]), error=error)

    def read(self) -> bytes:
        return b"".join(self.body)

    def as_client(self, method: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, headers, body) as a client of the server reads the whole answer to a
        ``method`` request, once Go's net/http has written it (:func:`client_answer`)."""
        try:
            return client_answer(method, self.status, response_headers(
                (key, [value]) for key, value in self.headers), self.body)
        finally:
            close = getattr(self.body, "close", None)
            if close is not None:  # a refused write ended the answer: the stream is not read
                close()


@dataclass
class Tick:
    """A plugin's answer to a clock tick: the jobs that ran, when the next one is due (0:
    none), or what went wrong."""

    ran: list[str] = field(default_factory=list)
    next_due_ms: int = 0
    error: str | None = None


def app_error_text(response: Message | None) -> str | None:
    """What the server prints for the AppError the response carries (an ``error`` that is
    set, even with an empty id: :func:`mmplug.host.hook_wire.hook_error`), None without one."""
    error = hook_error(response)
    return None if error is None else error_text(error)


class HooksClient:
    """Calls the hooks of one plugin process."""

    def __init__(self, process: PluginProcess, hook_timeout: float = 30.0) -> None:
        assert isinstance(process.channel, grpc.Channel)
        self.process = process
        self.hook_timeout = hook_timeout
        self._channel: grpc.Channel = process.channel
        self._stub = hooks_pb2_grpc.PluginHooksStub(self._channel)

    def new_request(self, hook: str) -> Message:
        spec = HOOKS_BY_GO_NAME[hook]
        return message_class(spec.request)()

    def implemented(self) -> list[str]:
        call = self.call("Implemented", self.new_request("Implemented"))
        if call.error is not None or call.response is None:
            raise self.process.fault("implemented-failed", error=call.error)
        return list(call.response.hooks)  # type: ignore[attr-defined]

    def call(self, hook: str, request: Message, timeout: float | None = None,
             metadata: tuple[tuple[str, str], ...] | None = None) -> CallEvent:
        """Call unary hook ``hook`` (Go name): the call's event, its response or the error
        as data (the session adds the API calls and logs). Raises on crash or deadline only.
        ``metadata``: the call's tag for mmplug's SDK (see :mod:`mmplug.sdk._calltag`)."""
        self._check_alive(hook)
        method = getattr(self._stub, hook)
        limit = self.hook_timeout if timeout is None else timeout
        plugin_id = self.process.plugin_id
        started = time.perf_counter()
        try:
            response = method(request, timeout=limit, metadata=metadata)
        except grpc.RpcError as exc:
            duration = time.perf_counter() - started
            self._raise_if_broken(hook, exc, limit)
            return CallEvent(hook, plugin_id, request, None, _status_text(exc),
                             duration_s=duration)
        duration = time.perf_counter() - started
        return CallEvent(hook, plugin_id, request, response, app_error_text(response),
                         duration_s=duration)

    def tick(self, now_ms: int, *, rewound: bool, running: bool,
             metadata: tuple[tuple[str, str], ...] | None = None,
             timeout: float | None = None) -> Tick | None:
        """Call mmplug's ``PluginClock/Tick`` (the host's clock reached a due time; see
        :mod:`mmplug.host.timekeeper`): the jobs that ran and the next due time; None when the
        plugin does not serve it (not mmplug's SDK). Raises on crash or deadline only."""
        from mmplug.protocol import mmplug_ext_pb2 as ext

        self._check_alive("PluginClock.Tick")
        limit = self.hook_timeout if timeout is None else timeout
        method = self._channel.unary_unary(
            f"/{PLUGIN_CLOCK_SERVICE}/Tick", request_serializer=ext.TickRequest.SerializeToString,
            response_deserializer=ext.TickResponse.FromString)
        request = ext.TickRequest(now_ms=now_ms, rewound=rewound, running=running)
        try:
            answer = method(request, timeout=limit, metadata=metadata)
        except grpc.RpcError as exc:
            if isinstance(exc, grpc.Call) and exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                return None
            self._raise_if_broken("PluginClock.Tick", exc, limit)
            self._check_alive("PluginClock.Tick")  # killed while it ticked (a test's kill)
            return Tick(error=_status_text(exc))
        return Tick(list(answer.ran), int(answer.next_due_ms))

    def _check_alive(self, hook: str) -> None:
        """A process killed already (its channel closed: a test killed the node) is a crash,
        not a call on a closed channel."""
        if self.process.channel is None:
            raise self.process.fail("crashed", code=self.process.exit_code(wait=1.0), hook=hook)

    def _raise_if_broken(self, hook: str, exc: grpc.RpcError, limit: float) -> None:
        code = exc.code() if isinstance(exc, grpc.Call) else None
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, None):
            exit_code = self.process.exit_code(wait=1.0)
            if exit_code is not None:
                raise self.process.fail("crashed", code=exit_code, hook=hook) from None
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            if self.process.exit_code() is not None:
                raise self.process.fail("crashed", code=self.process.exit_code(), hook=hook)
            raise self.process.fault("hook-timeout", hook=hook, timeout=limit) from None

    def serve_http(
        self,
        init: Message,
        body: Iterable[bytes],
        timeout: float | None = None,
        rpc: str = "ServeHTTP",
        metadata: tuple[tuple[str, str], ...] | None = None,
    ) -> HttpResponse:
        """Stream one HTTP request to ServeHTTP (or ServeMetrics, the same stream on the
        metrics listener); the answer's body streams back lazily."""
        request_cls = message_class("ServeHTTPRequest")
        responses = getattr(self._stub, rpc)(
            request_messages(request_cls, init, body),
            timeout=self.hook_timeout if timeout is None else timeout,
            metadata=metadata,
        )
        try:
            first = next(responses, None)
        except grpc.RpcError as exc:
            self._raise_if_broken(rpc, exc, self.hook_timeout)
            return HttpResponse.plain(BAD_GATEWAY, _status_text(exc))
        if first is None:
            return HttpResponse.plain(BAD_GATEWAY, f"the plugin ended its {rpc} stream without "
                                                   "answering")
        code = int(first.init.status_code)
        if status_refused(code):  # the server answers in its place
            responses.cancel()
            return HttpResponse.plain(INVALID_STATUS, f"the plugin answered the invalid HTTP "
                                                      f"status {code}")
        headers = response_headers((h.key, h.values) for h in first.init.headers)
        return HttpResponse(response_status(code), headers, _http_body(first, responses))


def _http_body(first: Any, rest: Any) -> Iterator[bytes]:
    """The body pieces of the answer, an empty one after each flush; a reader that stops
    early (the answer ended for Go) cancels the plugin's stream."""
    try:
        for message in itertools.chain([first], rest):
            if message.body_chunk:
                yield bytes(message.body_chunk)
            if message.flush:
                yield b""
            if message.body_complete:
                return
    except grpc.RpcError:
        return
    finally:
        rest.cancel()  # a no-op once the stream is over


# How the SDKs word a handler's exception in the status details (ours and the upstream one).
_RAISED_PREFIX = "Hook execution failed: "


def _status_text(exc: grpc.RpcError) -> str:
    """What the plugin said first, the gRPC status after it: a status name alone misleads
    (a hook's ``KeyError`` is no missing resource), the plugin's words do not."""
    if not isinstance(exc, grpc.Call):
        return str(exc)
    details = (exc.details() or "").removeprefix(_RAISED_PREFIX)
    status = f"gRPC status {exc.code().name}"
    return f"{details} ({status})" if details else status


def build_request(
    spec: HookSpec, request: Message | None, fields: Mapping[str, Any]
) -> Message:
    """The request for ``spec``: ``request`` (copied) and/or ``fields`` parsed as proto JSON."""
    cls = message_class(spec.request)
    if request is None and fields and _plain(cls.DESCRIPTOR, fields):
        try:  # the constructor gives plain fields the meaning ParseDict gives them, faster
            return cls(**fields)
        except (TypeError, ValueError):
            pass  # ParseDict says what is wrong
    from google.protobuf import json_format  # not above: it goes through importlib each time

    message = cls()
    if request is not None:
        if request.DESCRIPTOR.full_name != cls.DESCRIPTOR.full_name:
            raise UsageError(
                f"{spec.go_name} takes a {cls.DESCRIPTOR.name}, not a {request.DESCRIPTOR.name}"
            )
        message.CopyFrom(request)
    if fields:
        try:
            json_format.ParseDict(dict(fields), message)
        except json_format.ParseError as exc:
            names = ", ".join(f.name for f in cls.DESCRIPTOR.fields)
            raise UsageError(
                f"cannot build {cls.DESCRIPTOR.name} from the given fields: {exc}",
                hint=f"{cls.DESCRIPTOR.name} has the fields: {names}",
            ) from None
    return message


# How the message constructor may take a field's value with ParseDict's meaning: "str", "bool",
# "int", "num" (double: int or float) or a message descriptor (a dict, checked in turn). Other
# fields (bytes: base64 in JSON, enums, floats, maps, well-known types) go through ParseDict.
_PLAIN_SCALARS: dict[int, str] = {}
_PLAIN_FIELDS: dict[str, dict[str, tuple[Any, bool, str | None]]] = {}


def _plain_table(descriptor: Any) -> dict[str, tuple[Any, bool, str | None]]:
    """``{proto field name: (kind, repeated, real oneof name)}`` for the fields taken as is."""
    table = _PLAIN_FIELDS.get(descriptor.full_name)
    if table is not None:
        return table
    from google.protobuf.descriptor import FieldDescriptor as F

    if not _PLAIN_SCALARS:
        _PLAIN_SCALARS.update({F.TYPE_STRING: "str", F.TYPE_BOOL: "bool", F.TYPE_DOUBLE: "num"})
        _PLAIN_SCALARS.update(dict.fromkeys(
            (F.TYPE_INT32, F.TYPE_INT64, F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_SINT32,
             F.TYPE_SINT64, F.TYPE_FIXED32, F.TYPE_FIXED64, F.TYPE_SFIXED32, F.TYPE_SFIXED64),
            "int"))
    table = {}
    for desc in descriptor.fields:
        kind: Any = _PLAIN_SCALARS.get(desc.type)
        sub = desc.message_type
        if sub is not None and not is_map(desc) \
                and not sub.full_name.startswith("google.protobuf."):
            kind = sub
        if kind is None:
            continue
        oneof = desc.containing_oneof
        real = oneof.name if oneof is not None and len(oneof.fields) > 1 else None
        table[desc.name] = (kind, bool(desc.is_repeated), real)
    _PLAIN_FIELDS[descriptor.full_name] = table
    return table


def _plain(descriptor: Any, data: Mapping[str, Any]) -> bool:
    """Whether ``data`` uses proto field names and plain JSON values only (see above)."""
    table = _plain_table(descriptor)
    oneofs: set[str] = set()
    for name, value in data.items():
        entry = table.get(name)
        if entry is None:
            return False
        kind, repeated, oneof = entry
        if oneof is not None:
            if oneof in oneofs:
                return False
            oneofs.add(oneof)
        if repeated:
            if type(value) is not list or not all(_plain_value(kind, v) for v in value):
                return False
        elif not _plain_value(kind, value):
            return False
    return True


def _plain_value(kind: Any, value: Any) -> bool:
    if kind == "str":
        return type(value) is str
    if kind == "int":
        return type(value) is int
    if kind == "bool":
        return type(value) is bool
    if kind == "num":
        return type(value) is int or type(value) is float
    return type(value) is dict and _plain(kind, value)


def fill_context(request: Message, plugin_id: str, request_id: str) -> None:
    """Fill ``context`` (RequestContext) and ``plugin_context`` (PluginContext) where empty."""
    has_request, has_plugin = _context_fields(request.DESCRIPTOR)
    if has_request:
        context = request.context  # type: ignore[attr-defined]
        context.plugin_id = context.plugin_id or plugin_id
        context.request_id = context.request_id or request_id
    if has_plugin:
        plugin_context = request.plugin_context  # type: ignore[attr-defined]
        plugin_context.request_id = plugin_context.request_id or request_id


_CONTEXTS: dict[str, tuple[bool, bool]] = {}


def _context_fields(descriptor: Any) -> tuple[bool, bool]:
    """Whether a request has ``context`` (RequestContext), ``plugin_context`` (PluginContext)."""
    known = _CONTEXTS.get(descriptor.full_name)
    if known is None:
        names = descriptor.fields_by_name
        kinds = [names[n].message_type.name if n in names and names[n].message_type else None
                 for n in ("context", "plugin_context")]
        known = (kinds[0] == "RequestContext", kinds[1] == "PluginContext")
        _CONTEXTS[descriptor.full_name] = known
    return known


# -- ServeHTTP on an event loop (the dev loop's front door) ----------------------------------
MAX_MESSAGE = 2**31 - 1
RECEIVE_WINDOW = 2 * 1024 * 1024
RETRY = object()  # HttpStreams.first: the process went away before answering
END = object()  # HttpStreams.next: the answer is complete
FAILED = object()  # HttpStreams.first: the stream failed before its first message


class StreamBroken(PluginCrashError):
    """The plugin's answer broke off after it had begun (the client's connection is dropped)."""


class HttpStreams:
    """ServeHTTP and ServeMetrics streams to plugin processes on an asyncio loop: the async side
    of this client, over the same codec (:mod:`mmplug.host.http_codec`). One grpc.aio channel
    per plugin process; ``grpc.aio.AioRpcError`` is translated here (``RETRY``, ``FAILED``,
    :class:`StreamBroken`)."""

    def __init__(self) -> None:
        self._channels: dict[str, Any] = {}  # plugin id -> ((target, generation), channel)

    async def close(self) -> None:
        channels = list(self._channels.values())
        self._channels.clear()
        for _key, channel in channels:
            await channel.close(grace=None)

    async def channel(self, plugin_id: str, target: str, generation: int) -> Any:
        """The channel to ``plugin_id``'s process (a new one when the process changed)."""
        key = (target, generation)
        known = self._channels.get(plugin_id)
        if known is not None and known[0] == key:
            return known[1]
        if known is not None:  # the plugin was reloaded: its old process is gone
            await known[1].close(grace=None)
        channel = grpc.aio.insecure_channel(target, options=[
            # a reloaded plugin may reuse the old port: do not inherit the old connection's
            # reconnect backoff from grpc's global subchannel pool
            ("grpc.use_local_subchannel_pool", 1),
            # a fixed 2 MiB receive window: full speed for 1 MiB response messages, while
            # BDP probing would let a fast plugin park tens of MiB of a download in the host
            ("grpc.http2.bdp_probe", 0),
            ("grpc.http2.lookahead_bytes", RECEIVE_WINDOW),
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", MAX_MESSAGE),
        ])
        self._channels[plugin_id] = (key, channel)
        return channel

    @staticmethod
    async def ready(channel: Any, within_s: float) -> bool:
        """Whether the channel connects within ``within_s`` seconds."""
        import asyncio

        try:
            await asyncio.wait_for(channel.channel_ready(), within_s)
        except asyncio.TimeoutError:
            return False
        return True

    @staticmethod
    def open(channel: Any, rpc: str) -> Any:
        """A new ``rpc`` (ServeHTTP, ServeMetrics) stream; body-only answers are read as views."""
        from mmplug.protocol.body_chunks import chunk_parser, serialize_response
        from mmplug.protocol.names import HOOKS_SERVICE

        return channel.stream_stream(
            f"/{HOOKS_SERVICE}/{rpc}",
            request_serializer=serialize_response,
            response_deserializer=chunk_parser(message_class("ServeHTTPResponse").FromString),
        )()

    @staticmethod
    async def first(call: Any) -> Any:
        """The first answer message; ``RETRY`` when the process went away (a reload or a crash),
        ``FAILED`` when the stream failed otherwise or ended without one."""
        try:
            first = await call.read()
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                return RETRY
            return FAILED
        return FAILED if first is grpc.aio.EOF else first

    @staticmethod
    async def next(call: Any) -> Any:
        """The next answer message (``END`` at the stream's end); a broken stream raises
        :class:`StreamBroken`."""
        try:
            message = await call.read()
        except grpc.aio.AioRpcError as exc:
            raise StreamBroken(f"{exc.code().name}: {exc.details()}") from None
        return END if message is grpc.aio.EOF else message

    @staticmethod
    async def send(call: Any, init: Message, read: Callable[[int], Awaitable[bytes]]) -> None:
        """Write the request to the stream. When the plugin has finished its answer before
        reading the whole body, the write fails and the rest of the body is not needed; when
        the client's body fails (it went away), the plugin's stream is cancelled."""
        import asyncio

        try:
            async for message in request_messages_async(message_class("ServeHTTPRequest"),
                                                        init, read):
                await call.write(message)
            await call.done_writing()
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            return  # the call is over: the plugin answered already, or it went away
        except asyncio.CancelledError:
            raise
        except Exception:  # the client's body broke off: the plugin must not wait for the rest
            call.cancel()
