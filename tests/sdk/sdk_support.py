"""Helpers for the SDK tests: an in-process hooks server and plugin subprocesses."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc

from mmplug.protocol.catalog import HOOKS_BY_GO_NAME
from mmplug.sdk import Plugin
from mmplug.sdk._hooks import HooksService
from mmplug.sdk._proto import HOOKS_SERVICE, message_class

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "sdk_plugins"
SAMPLE = FIXTURES / "sample_plugin.py"
COOKIE = {"MATTERMOST_PLUGIN": "Securely message teams, anywhere."}


class HookCaller:
    """Calls PluginHooks rpcs over a real channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.channel = channel

    def __call__(self, go_name: str, **fields: Any) -> Any:
        spec = HOOKS_BY_GO_NAME[go_name]
        request = message_class(spec.request)(**fields)
        method = self.channel.unary_unary(
            f"/{HOOKS_SERVICE}/{go_name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=message_class(spec.response).FromString,
        )
        return method(request, timeout=10)

    def stream(self, go_name: str, messages: list[Any]) -> Iterator[Any]:
        spec = HOOKS_BY_GO_NAME[go_name]
        method = self.channel.stream_stream(
            f"/{HOOKS_SERVICE}/{go_name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=message_class(spec.response).FromString,
        )
        return iter(method(iter(messages), timeout=10))


@contextmanager
def hooks_server(plugin: Plugin) -> Iterator[HookCaller]:
    """Serve ``plugin``'s hooks on a real local gRPC server."""
    service = HooksService(plugin)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((service.generic_handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield HookCaller(channel)
    finally:
        channel.close()
        server.stop(None).wait()
        service.runner.close()


def plugin_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLUGIN_", "MATTERMOST_"))}
    env.update(COOKIE)
    env["PLUGIN_PROTOCOL_VERSIONS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def start_plugin(
    script: Path = SAMPLE, env: dict[str, str] | None = None, timeout: float = 15.0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a plugin process and read its handshake line."""
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env if env is not None else plugin_env(),
    )
    line = read_line(proc, timeout)
    return proc, line


def read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(remaining):
            stop(proc)
            raise AssertionError(f"no handshake line within {timeout}s; got {data!r}")
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            break
        data += chunk
    selector.close()
    return data.decode()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
