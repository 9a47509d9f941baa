"""The PluginHooks service, plugin side: one generic path for every hook, driven by the catalog."""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf.message import Message

from mmplug.protocol.body_chunks import chunk_parser, serialize_response
from mmplug.protocol.catalog import HOOKS, HOOKS_BY_GO_NAME, HookSpec

from . import _calltag
from ._async import LoopRunner
from ._convert import make_app_error
from ._entity import wrap
from ._http import Request, ResponseWriter
from ._logging import hook_exc_info
from ._plugin import Plugin
from ._proto import HOOKS_SERVICE, load_hooks, message_class, message_factory
from ._registry import hook_params
from ._returns import LIFECYCLE, ReturnTypeError, build_response
from ._stream import BodyStream, ClientDisconnected, Connection, Outbox

log = logging.getLogger("mmplug.sdk.hooks")
STREAM_POLL_SECONDS = 0.5

# The upstream SDK's mapping. A KeyError or IndexError is a bug in the hook, not a missing
# resource: it stays INTERNAL, so that a status name never suggests the wrong cause.
STATUS_FOR: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
    (PermissionError, grpc.StatusCode.PERMISSION_DENIED),
    (FileNotFoundError, grpc.StatusCode.NOT_FOUND),
    (NotImplementedError, grpc.StatusCode.UNIMPLEMENTED),
    (TimeoutError, grpc.StatusCode.DEADLINE_EXCEEDED),
)


def status_for(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """gRPC status for a hook exception."""
    for kind, code in STATUS_FOR:
        if isinstance(exc, kind):
            return code, f"{type(exc).__name__}: {exc}"
    return grpc.StatusCode.INTERNAL, f"Hook execution failed: {type(exc).__name__}: {exc}"


class HooksService:
    """Dispatches PluginHooks rpcs to a Plugin instance."""

    def __init__(self, plugin: Plugin, runner: LoopRunner | None = None) -> None:
        load_hooks()
        self.plugin = plugin
        self.runner = runner or LoopRunner()

    def generic_handler(self) -> grpc.GenericRpcHandler:
        handlers: dict[str, grpc.RpcMethodHandler] = {}
        for spec in HOOKS:
            req = message_class(spec.request)
            resp = message_class(spec.response)
            if spec.streaming:
                handlers[spec.go_name] = grpc.stream_stream_rpc_method_handler(
                    self._streaming(spec), chunk_parser(req.FromString), serialize_response
                )
            else:
                handlers[spec.go_name] = grpc.unary_unary_rpc_method_handler(
                    self._unary(spec), req.FromString, resp.SerializeToString
                )
        return grpc.method_handlers_generic_handler(HOOKS_SERVICE, handlers)

    # -- unary -----------------------------------------------------------------------------
    def _unary(self, spec: HookSpec) -> Callable[[Message, grpc.ServicerContext], Message]:
        def handle(request: Message, context: grpc.ServicerContext) -> Any:
            return self.call_unary(spec, request, context)

        return handle

    def call_unary(
        self, spec: HookSpec, request: Message, context: grpc.ServicerContext
    ) -> Any:
        token = _calltag.enter(_calltag.from_metadata(context.invocation_metadata()))
        try:
            return self._call_unary(spec, request, context)
        finally:
            _calltag.leave(token)

    def _call_unary(
        self, spec: HookSpec, request: Message, context: grpc.ServicerContext
    ) -> Any:
        if spec.go_name == "Implemented":
            return message_factory(spec.response)(hooks=self.plugin.implemented_hooks())
        if spec.go_name == "OnActivate":
            return self._activate(spec, context)
        handler = self.plugin.handler(spec.go_name)
        if handler is None:
            _unimplemented(context, spec.go_name)
        assert handler is not None
        try:
            result = self.runner.call(handler, *hook_arguments(spec, request))
        except Exception as exc:
            return self._failed(spec, exc, context)
        return self._respond(spec, result, context, request)

    def _activate(self, spec: HookSpec, context: grpc.ServicerContext) -> Any:
        """OnActivate runs on_configuration_change first, then on_activate (as Go plugins do)."""
        configure = self.plugin.handler("OnConfigurationChange")
        activate = self.plugin.handler("OnActivate")
        if configure is None and activate is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "plugin does not implement OnActivate")
        for name, handler in (("OnConfigurationChange", configure), ("OnActivate", activate)):
            if handler is None:
                continue
            step = HOOKS_BY_GO_NAME[name]
            try:
                result = self.runner.call(handler)
            except Exception as exc:
                return self._failed(step, exc, context, reply_as=spec)
            outcome: Any = self._respond(step, result, context)
            if outcome.HasField("error"):
                response: Any = message_class(spec.response)()
                response.error.CopyFrom(outcome.error)
                return response
        return message_class(spec.response)()

    def _respond(
        self,
        spec: HookSpec,
        result: Any,
        context: grpc.ServicerContext,
        request: Message | None = None,
    ) -> Any:
        try:
            return build_response(spec, result, request)
        except ReturnTypeError as exc:
            log.error("hook %s: %s", spec.go_name, exc)
            context.abort(grpc.StatusCode.INTERNAL, str(exc))
            raise  # unreachable: abort raises

    def _failed(
        self,
        spec: HookSpec,
        exc: Exception,
        context: grpc.ServicerContext,
        reply_as: HookSpec | None = None,
    ) -> Message:
        log.error(
            "hook %s raised %s: %s",
            spec.go_name,
            type(exc).__name__,
            exc,
            exc_info=hook_exc_info(exc),
            extra={"hook": spec.go_name},
        )
        if spec.go_name in LIFECYCLE:
            response = message_class((reply_as or spec).response)()
            response.error.CopyFrom(make_app_error(spec, exc))  # type: ignore[attr-defined]
            return response
        code, message = status_for(exc)
        context.abort(code, message)
        raise exc  # unreachable: abort raises

    # -- streaming (ServeHTTP, ServeMetrics) -------------------------------------------------
    def _streaming(
        self, spec: HookSpec
    ) -> Callable[[Iterator[Message], grpc.ServicerContext], Iterator[Message]]:
        def handle(requests: Iterator[Message], context: grpc.ServicerContext) -> Iterator[Message]:
            return self.call_streaming(spec, requests, context)

        return handle

    def call_streaming(
        self, spec: HookSpec, requests: Iterator[Message], context: grpc.ServicerContext
    ) -> Iterator[Message]:
        handler = self.plugin.handler(spec.go_name)
        if handler is None:
            _unimplemented(context, spec.go_name)
        assert handler is not None
        try:
            first = next(requests, None)
        except grpc.RpcError:  # cancelled before the request arrived
            return
        if first is None:
            return
        connection = Connection()
        context.add_callback(connection.close)  # runs when the rpc ends, cancelled or not
        outbox = Outbox(connection)
        writer = ResponseWriter(outbox.put, outbox.room)
        body = BodyStream(first, requests)
        init = first.init  # type: ignore[attr-defined]
        if init is None:  # the first message held only body bytes: an empty init, as protobuf
            init = message_class(spec.request)().init  # type: ignore[attr-defined]
        request = Request(init, body, connection)
        worker = threading.Thread(
            target=self._run_http,
            args=(spec, handler, writer, request, outbox,
                  _calltag.from_metadata(context.invocation_metadata())),
            name=f"mmplug-{spec.go_name}",
            daemon=True,
        )
        worker.start()
        while True:
            try:
                message = outbox.get(timeout=STREAM_POLL_SECONDS)
            except queue.Empty:
                if context.is_active():
                    continue
                connection.close()  # the server gave up: the handler's next write raises
                return
            if message is None:
                _drain(requests)
                return
            yield message

    def _run_http(
        self,
        spec: HookSpec,
        handler: Callable[..., Any],
        writer: ResponseWriter,
        request: Request,
        outbox: Outbox,
        tag: tuple[str, bool] | None = None,
    ) -> None:
        _calltag.enter(tag)  # this thread is the handler's own
        try:
            self.runner.call(handler, request.plugin_context, writer, request)
            writer.finish()
        except ClientDisconnected as exc:
            log.debug("%s %s: %s", spec.go_name, request.path, exc)
        except Exception as exc:
            if request.is_disconnected():
                log.debug("%s %s: client gone, handler raised %r", spec.go_name, request.path,
                          exc)
                return
            log.error(
                "%s handler raised %s: %s\n%s",
                spec.go_name,
                type(exc).__name__,
                exc,
                "".join(traceback.format_exception(*hook_exc_info(exc))).rstrip(),
                extra={"hook": spec.go_name, "path": request.path},
            )
            _fail(writer)
        finally:
            outbox.end()


def _drain(requests: Iterator[Message]) -> None:
    """Read what the host still sends of the request body after the answer is complete, as
    Go's net/http server reads the rest of a body after its handler: ending the stream while
    the host is still sending makes grpc fail the call on the host's side, the answer (a 401
    to an upload, say) included. A host that has the whole answer cancels the stream."""
    try:
        for _ in requests:
            pass
    except grpc.RpcError:
        pass


def _fail(writer: ResponseWriter) -> None:
    """End a response whose handler raised: 500 if nothing was sent yet."""
    try:
        if not writer.started:
            writer.set_header("Content-Type", "text/plain; charset=utf-8")
            writer.write_header(500)
            writer.write(b"Internal Server Error\n")
        writer.finish()
    except ClientDisconnected:
        pass


def _unimplemented(context: grpc.ServicerContext, go_name: str) -> None:
    context.abort(grpc.StatusCode.UNIMPLEMENTED, f"plugin does not implement {go_name}")


def hook_arguments(spec: HookSpec, request: Message) -> list[Any]:
    """The positional arguments of a handler of ``spec``: request fields in order, without
    ``context`` (RequestContext); ``plugin_context`` travels as the parameter ``context``.
    Entities arrive as ``mmplug.sdk.model`` views; unset entity fields as None."""
    args: list[Any] = []
    for name in hook_params(spec):
        field = "plugin_context" if name == "context" else name
        descriptor = request.DESCRIPTOR.fields_by_name[field]
        if field == "plugin_context":
            args.append(wrap(getattr(request, field)))
        elif descriptor.message_type is not None and not descriptor.is_repeated:
            args.append(wrap(getattr(request, field)) if request.HasField(field) else None)
        elif descriptor.is_repeated and descriptor.message_type is not None:
            args.append([wrap(item) for item in getattr(request, field)])
        elif descriptor.is_repeated:
            args.append(list(getattr(request, field)))
        else:
            args.append(getattr(request, field))
    return args
