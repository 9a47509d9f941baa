"""go-plugin's internal services a plugin serves: health, GRPCController and GRPCStdio.

The controller and stdio services are tiny, so they are hand-made generic handlers with raw
(de)serializers instead of generated code. Their messages are empty or unused on our side.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import grpc  # type: ignore[import-untyped]

CONTROLLER_SERVICE = "plugin.GRPCController"
STDIO_SERVICE = "plugin.GRPCStdio"
HEALTH_SERVICE_NAMES = ("plugin", "")


def _raw(data: bytes) -> bytes:
    return data


def controller_handler(on_shutdown: Callable[[], None]) -> grpc.GenericRpcHandler:
    """``plugin.GRPCController/Shutdown``: answer at once, then stop the plugin."""

    def shutdown(_request: bytes, _context: grpc.ServicerContext) -> bytes:
        on_shutdown()
        return b""  # plugin.Empty is zero bytes on the wire

    method = grpc.unary_unary_rpc_method_handler(shutdown, _raw, _raw)
    return grpc.method_handlers_generic_handler(CONTROLLER_SERVICE, {"Shutdown": method})


def stdio_handler(stopping: threading.Event) -> grpc.GenericRpcHandler:
    """``plugin.GRPCStdio/StreamStdio``: keep the stream open until the host or we go away.

    Our stdout/stderr go to the real stderr as log lines instead, so nothing is sent here.
    """

    def stream(_request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        while context.is_active() and not stopping.wait(0.5):
            pass
        return
        yield b""  # makes this a generator

    method = grpc.unary_stream_rpc_method_handler(stream, _raw, _raw)
    return grpc.method_handlers_generic_handler(STDIO_SERVICE, {"StreamStdio": method})


def add_health(server: grpc.Server) -> Callable[[], None]:
    """Serve grpc.health.v1 with "plugin" and "" SERVING; returns a function that marks them
    NOT_SERVING."""
    from grpc_health.v1 import (  # type: ignore[import-untyped]
        health,
        health_pb2,
        health_pb2_grpc,
    )

    servicer = health.HealthServicer()
    for name in HEALTH_SERVICE_NAMES:
        servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)

    def not_serving() -> None:
        for name in HEALTH_SERVICE_NAMES:
            servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)

    return not_serving
