"""ApiServer: the PluginAPI gRPC server of one plugin, bound to loopback.

Every rpc of the contract is registered through one generic path: a stub if one is set,
else the area module's emulation, else UNIMPLEMENTED with a message that names the method
and how to stub it. Each emulation gets the request as the server's app layer would (the
fields the server's converters drop are cleared, and the same for every answer:
mmplug.host.api._wire). A failure reaches the plugin as the server's handler of that rpc
reports it: in the response's error field, or as a gRPC status (mmplug.host.api._status);
what the handler refuses itself, before its app is asked, is mmplug.host.api._handlers.
Reflection and health are on. Each call is reported to the observer as an :class:`ApiCall`.
Across the wire it faces the SDK's API client (mmplug/sdk/_client.py and _aio.py, over
_core.py).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent import futures
from typing import TYPE_CHECKING, Any, Protocol

import grpc  # type: ignore[import-untyped]

from mmplug.host.api._handlers import HandlerStatus, refusal
from mmplug.host.api._registry import (
    ApiCall,
    ApiContext,
    ApiFailure,
    ClusterBus,
    HookDispatcher,
    PluginControl,
    handler_for,
    is_emulated,
)
from mmplug.host.api._status import fails_with_status, status_of
from mmplug.host.api._wire import as_answered, as_received
from mmplug.host.api.stubs import Stubs, resolve
from mmplug.protocol.catalog import API, ApiSpec
from mmplug.protocol.messages import message_class
from mmplug.protocol.names import API_SERVICE as SERVICE
from mmplug.protocol.names import CALL_HEADER, HOST_CLOCK_SERVICE

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.store import Store
    from mmplug.manifest import Manifest
    from mmplug.protocol import common_pb2

MAX_MESSAGE = 100 * 1024 * 1024
_log = logging.getLogger("mmplug.host.api")


HEALTH_SERVICE = "grpc.health.v1.Health"
REFLECTION_SERVICE = "grpc.reflection.v1alpha.ServerReflection"
_BUILD_LOCK = threading.Lock()


class _OnFirstCall(grpc.GenericRpcHandler):  # type: ignore[misc]
    """A service whose handlers are built on its first call: health and reflection are there
    for tools (grpcurl, grpc_health_probe), and their imports would slow every short session."""

    def __init__(self, service: str, build: Callable[[], grpc.GenericRpcHandler]) -> None:
        self._prefix = f"/{service}/"
        self._build = build
        self._handler: grpc.GenericRpcHandler | None = None

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        if not details.method.startswith(self._prefix):
            return None
        with _BUILD_LOCK:
            if self._handler is None:
                self._handler = self._build()
        return self._handler.service(details)


class _ApiService(grpc.GenericRpcHandler):  # type: ignore[misc]
    """The PluginAPI service, each method's handler built on its first call (a short session
    calls a few of the catalog's methods; building them all up front would be wasted)."""

    def __init__(self, build: Callable[[ApiSpec], grpc.RpcMethodHandler]) -> None:
        self._specs = {f"/{SERVICE}/{spec.go_name}": spec for spec in API}
        self._build = build
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = self._handlers.get(details.method)
        if handler is None:
            spec = self._specs.get(details.method)
            if spec is None:
                return None
            handler = self._handlers.setdefault(details.method, self._build(spec))
        return handler


class _Collected(grpc.GenericRpcHandler):  # type: ignore[misc]
    """The handlers an ``add_*_to_server`` function registered, as one generic handler."""

    def __init__(self) -> None:
        self.handlers: list[grpc.GenericRpcHandler] = []

    # the two methods of grpc.Server that generated add_*_to_server functions call
    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.handlers.extend(handlers)

    def add_registered_method_handlers(self, service: str, methods: Any) -> None:
        self.handlers.append(grpc.method_handlers_generic_handler(service, methods))

    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        for handler in self.handlers:
            found = handler.service(details)
            if found is not None:
                return found
        return None


def _collect(register: Callable[[Any], None]) -> grpc.GenericRpcHandler:
    collected = _Collected()
    register(collected)
    return collected


def _build_reflection() -> grpc.GenericRpcHandler:
    from grpc_reflection.v1alpha import reflection  # type: ignore[import-untyped]

    from mmplug.protocol.messages import load_api

    load_api()  # the service described is the PluginAPI, whether or not it was called yet
    names = (SERVICE, HEALTH_SERVICE, REFLECTION_SERVICE)
    return _collect(lambda server: reflection.enable_server_reflection(names, server))


class HostClock(Protocol):
    """The host's clock as one plugin's API server offers it (mmplug's ``HostClock``
    extension, which a real server does not have)."""

    def now_ms(self) -> int: ...

    def wake_at(self, at_ms: int) -> None: ...


def _host_clock_handler(clock: HostClock) -> grpc.GenericRpcHandler:
    from mmplug.protocol import mmplug_ext_pb2 as ext

    def now(_request: Any, _context: grpc.ServicerContext) -> Any:
        return ext.NowResponse(now_ms=clock.now_ms())

    def wake_at(request: Any, _context: grpc.ServicerContext) -> Any:
        clock.wake_at(int(request.at_ms))
        return ext.WakeAtResponse(now_ms=clock.now_ms())

    def method(func: Callable[..., Any], request_cls: Any, response_cls: Any) -> Any:
        return grpc.unary_unary_rpc_method_handler(
            func, request_cls.FromString, response_cls.SerializeToString)

    return grpc.method_handlers_generic_handler(HOST_CLOCK_SERVICE, {
        "Now": method(now, ext.NowRequest, ext.NowResponse),
        "WakeAt": method(wake_at, ext.WakeAtRequest, ext.WakeAtResponse),
    })


def not_emulated_message(go_name: str) -> str:
    return (
        f"PluginAPI.{go_name} is not emulated by mmplug's fake host. Stub it: "
        f'add "{go_name}": {{...response JSON...}} to mmplug.stubs.json next to plugin.json, '
        f'or call session.stub("{go_name}", ...) in a test (see docs/api-coverage.md).'
    )


def app_error(failure: ApiFailure, where: str) -> common_pb2.AppError:
    from mmplug.protocol import common_pb2

    err = common_pb2.AppError(
        id=failure.error_id,
        message=failure.message,
        detailed_error=failure.detailed_error,
        status_code=failure.status_code,
        where=failure.where or where,
    )
    if failure.params:
        err.params.update(failure.params)
    return err


def _as_dict(error: common_pb2.AppError) -> dict[str, Any]:
    from google.protobuf import json_format

    found: dict[str, Any] = json_format.MessageToDict(error, preserving_proto_field_name=True)
    return found


class ApiServer:
    """The PluginAPI server for one plugin: ``start()``, ``address``, ``stop()``."""

    def __init__(
        self,
        store: Store,
        plugin_id: str,
        manifest: Manifest | None = None,
        *,
        hooks: HookDispatcher | None = None,
        plugins: PluginControl | None = None,
        observer: Callable[[ApiCall], None] | None = None,
        log_sink: Callable[[str, str, dict[str, Any]], None] | None = None,
        emit: Callable[[str, dict[str, Any]], None] | None = None,
        stubs: Stubs | None = None,
        host: str = "127.0.0.1",
        max_workers: int = 32,
        port: int = 0,
        unix_socket: str | None = None,
        clock: HostClock | None = None,
        node: str = "",
        cluster: ClusterBus | None = None,
    ) -> None:
        """``log_sink(level, message, key_values)`` receives the Log* rpcs;
        ``emit(kind, payload)`` receives captured side effects (WebSocket/cluster events).
        ``port``: listen there (a port held for us with SO_REUSEPORT; if it cannot be bound,
        any free port), else on any free port. ``unix_socket``: listen on this unix socket
        instead, and on no TCP port (``--private``; the socket's folder must be private).
        ``clock``: serve mmplug's ``HostClock`` extension with it (the host's time and the
        wake-ups of the plugin's scheduled jobs: :mod:`mmplug.host.timekeeper`). ``node``:
        the node of the host this server belongs to (several nodes: ``node2``, ...), named in
        every call it reports; ``cluster``: what carries the plugin's cluster events to the
        other nodes."""
        self.ctx = ApiContext(store, plugin_id, manifest, hooks, plugins, node=node,
                              cluster=cluster)
        if log_sink is not None:
            self.ctx.log = log_sink
        if emit is not None:
            self.ctx.emit = emit
        self.stubs = stubs or Stubs()
        self.observer = observer
        self._host = host
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="mmplug-api"),
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE),
                ("grpc.max_send_message_length", MAX_MESSAGE),
                ("grpc.so_reuseport", 1 if port else 0),
            ],
        )
        self._wanted_port = port
        self.unix_socket = unix_socket
        self._server.add_generic_rpc_handlers((_ApiService(self._method_handler),))
        self._stopping = False
        self._health: Any = None
        self._server.add_generic_rpc_handlers((
            _OnFirstCall(HEALTH_SERVICE, self._build_health),
            _OnFirstCall(REFLECTION_SERVICE, _build_reflection),
        ))
        if clock is not None:
            self._server.add_generic_rpc_handlers(
                (_OnFirstCall(HOST_CLOCK_SERVICE, lambda: _host_clock_handler(clock)),))
        self.port = 0

    @property
    def address(self) -> str:
        """Where the plugin finds the API, as ``MATTERMOST_PLUGIN_API_TARGET`` says it:
        ``127.0.0.1:PORT``, or ``unix:/path`` in private mode (grpc clients take both)."""
        if self.unix_socket is not None:
            return f"unix:{self.unix_socket}"
        return f"{self._host}:{self.port}"

    def start(self) -> None:
        self.port = 0
        if self.unix_socket is not None:
            import os

            if not self._server.add_insecure_port(f"unix:{self.unix_socket}"):
                from mmplug.errors import PluginLaunchError

                raise PluginLaunchError(
                    f"the fake host's PluginAPI server cannot listen on {self.unix_socket}",
                    hint="check that its folder exists and is writable, or pass --tcp")
            os.chmod(self.unix_socket, 0o600)
            self._server.start()
            return
        if self._wanted_port:
            try:
                self.port = self._server.add_insecure_port(f"{self._host}:{self._wanted_port}")
            except RuntimeError:
                self.port = 0
        if not self.port:
            self.port = self._server.add_insecure_port(f"{self._host}:0")
        self._server.start()

    def stop(self, grace: float | None = 0.5) -> None:
        with _BUILD_LOCK:
            self._stopping = True
            if self._health is not None:
                self._health.enter_graceful_shutdown()
        self._server.stop(grace).wait()

    def _build_health(self) -> grpc.GenericRpcHandler:
        from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

        servicer = health.HealthServicer()
        status = health_pb2.HealthCheckResponse.SERVING
        servicer.set("", status)
        servicer.set(SERVICE, status)
        if self._stopping:
            servicer.enter_graceful_shutdown()
        self._health = servicer
        return _collect(lambda server: health_pb2_grpc.add_HealthServicer_to_server(servicer,
                                                                                    server))

    def is_emulated(self, go_name: str) -> bool:
        return is_emulated(go_name)

    # -- the one generic rpc path -----------------------------------------------------------
    def _method_handler(self, spec: ApiSpec) -> grpc.RpcMethodHandler:
        req_cls = message_class(spec.request)
        rsp_cls = message_class(spec.response)

        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            return self._call(spec.go_name, request, rsp_cls, context)

        return grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=req_cls.FromString,
            response_serializer=rsp_cls.SerializeToString,
        )

    def _call(
        self, go_name: str, request: Any, rsp_cls: type[Message], context: grpc.ServicerContext
    ) -> Any:
        started = time.perf_counter()
        tag = site = ""
        for key, value in context.invocation_metadata() or ():
            if key == CALL_HEADER:  # which hook call of the plugin made it, and its line
                tag, _, site = str(value).partition(";")  # (mmplug's SDK: "<tag>;<site>")
        stub = self.stubs.get(go_name)
        handler = handler_for(go_name)
        response: Any = None
        error: dict[str, Any] | None = None
        refused = refusal(go_name, request)  # the server's handler answers before any app
        if refused is not None:
            self._abort(go_name, request, refused, started, stub is None, tag, site, context)
        if stub is None and handler is None:
            message = not_emulated_message(go_name)
            self._observe(
                go_name,
                request,
                None,
                {"grpc_code": "UNIMPLEMENTED", "message": message},
                started,
                False,
                tag,
                site,
            )
            context.abort(grpc.StatusCode.UNIMPLEMENTED, message)
        try:
            if stub is not None:
                response = resolve(stub, request, rsp_cls)
            else:
                assert handler is not None
                response = handler(self.ctx, as_received(request))
        except HandlerStatus as status:  # what the handler could not convert
            self._abort(go_name, request, status, started, stub is None, tag, site, context)
        except ApiFailure as failure:
            response = rsp_cls()
            response.error.CopyFrom(app_error(failure, go_name))
        except Exception as exc:  # a bug in the emulation must not look like the plugin's fault
            from mmplug.errors import MmplugError

            detail = exc.render() if isinstance(exc, MmplugError) else traceback.format_exc()
            _log.error("emulation of %s failed: %s", go_name, detail)
            response = rsp_cls()
            response.error.CopyFrom(
                app_error(
                    ApiFailure(
                        500,
                        "mmplug.fake_host.internal_error",
                        f"mmplug's fake host failed in {go_name}: {exc}",
                        detailed_error=detail,
                    ),
                    go_name,
                )
            )
        response = as_answered(response)
        if response.HasField("error") and fails_with_status(go_name):
            # the server's handler answers a gRPC status and no response (even for an
            # AppError without an id)
            code, details = status_of(response.error)
            error = {**_as_dict(response.error), "grpc_code": code, "details": details}
            self._observe(go_name, request, None, error, started, stub is None, tag, site)
            context.abort(grpc.StatusCode[code], details)
        if response.HasField("error") and response.error.id:
            error = _as_dict(response.error)
        self._observe(go_name, request, response, error, started, stub is None, tag, site)
        return response

    def _abort(
        self,
        go_name: str,
        request: Any,
        status: HandlerStatus,
        started: float,
        is_emulated: bool,
        tag: str,
        site: str,
        context: grpc.ServicerContext,
    ) -> None:
        """Answer the status the server's handler answers itself (no AppError, no id)."""
        error = {"grpc_code": status.code, "details": status.details, "message": status.details}
        self._observe(go_name, request, None, error, started, is_emulated, tag, site)
        context.abort(grpc.StatusCode[status.code], status.details)

    def _observe(
        self,
        go_name: str,
        request: Any,
        response: Any,
        error: dict[str, Any] | None,
        started: float,
        is_emulated: bool,
        tag: str = "",
        site: str = "",
    ) -> None:
        if self.observer is None:
            return
        call = ApiCall(
            self.ctx.plugin_id,
            go_name,
            request,
            response,
            error,
            time.perf_counter() - started,
            is_emulated,
            node=self.ctx.node,
            tag=tag,
            site=site,
            started=started,
        )
        try:
            self.observer(call)
        except Exception:  # an observer must never break the plugin's call
            _log.exception("API call observer failed")
