"""ServeHTTP streaming on the SDK side, over real gRPC: chunk boundaries and order, headers,
empty and 100 MiB bodies (streamed, memory bounded), and cancellation leaving nothing behind."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from sdk_support import HookCaller, hooks_server, plugin_env, start_plugin, stop
from test_http_stream_helpers import (
    CHUNK,
    RESPONSE_CHUNK,
    collect,
    handler_threads,
    open_stream,
    request_init,
    request_messages,
    wait_for,
)

from mmplug.sdk import ClientDisconnected, Plugin, Request, ResponseWriter

MIB = 1024 * 1024


class Recorder(Plugin):
    """Echoes what it got; remembers it and how the handler ended."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.headers: dict[str, list[str]] = {}
        self.outcome = ""
        self.written = 0
        self.received = threading.Condition()
        self.ended = threading.Event()

    def serve_http(self, context: Any, response: ResponseWriter, request: Request) -> None:
        try:
            getattr(self, "do_" + request.path.strip("/"))(response, request)
            self.outcome = "done"
        except ClientDisconnected:
            self.outcome = "disconnected"
            raise
        finally:
            self.ended.set()

    def do_echo(self, response: ResponseWriter, request: Request) -> None:
        self.headers = {k: v for k, v in request.headers.items()}
        for chunk in request.body:
            with self.received:
                self.chunks.append(chunk)
                self.received.notify_all()
        for key, values in request.headers.items():
            if key.lower().startswith("x-"):
                for value in values:
                    response.add_header(key, value)
        response.write_header(200)
        for chunk in self.chunks:
            response.write(chunk)
            response.flush()

    def do_count(self, response: ResponseWriter, request: Request) -> None:
        size = 0
        for chunk in request.body:
            size += len(chunk)
            with self.received:
                self.chunks.append(b"")  # only their number matters here
                self.received.notify_all()
        response.write(str(size))

    def do_sizes(self, response: ResponseWriter, request: Request) -> None:
        for size in (1, 3, 2 * RESPONSE_CHUNK + 200 * 1024, 5):
            response.write(bytes([size % 251]) * size)

    def do_download(self, response: ResponseWriter, request: Request) -> None:
        block = b"z" * CHUNK
        for _ in range(int(request.query["mib"][0]) * MIB // CHUNK):
            response.write(block)
            self.written += len(block)


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, HookCaller]]:
    plugin = Recorder()
    with hooks_server(plugin) as caller:
        yield plugin, caller
        wait_for(lambda: not handler_threads(), what="the ServeHTTP handler thread to end")


def test_chunk_boundaries_and_order_are_kept(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    sent = [b"a", b"bb" * 1000, b"", b"\x00\xff" * 30000, b"tail"]
    got = collect(open_stream(call, request_messages(request_init("POST", "/echo"), sent)))
    assert plugin.chunks == [c for c in sent if c]  # empty chunks carry nothing
    assert got.chunks == plugin.chunks  # each write up to 1 MiB is one message
    assert got.kinds == ["init"] + ["chunk", "flush"] * 4 + ["complete"]


def test_large_writes_are_split_into_1mib_messages(recorder: tuple[Recorder, HookCaller]) -> None:
    _, call = recorder
    got = collect(open_stream(call, request_messages(request_init("GET", "/sizes"))))
    big = 2 * RESPONSE_CHUNK + 200 * 1024
    assert [len(c) for c in got.chunks] == [1, 3, RESPONSE_CHUNK, RESPONSE_CHUNK, 200 * 1024, 5]
    assert got.body == b"\x01" + b"\x03" * 3 + bytes([big % 251]) * big + b"\x05" * 5


def test_multi_value_and_non_ascii_headers(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    headers = [("X-Multi", ["1", "2", "3"]), ("x-multi-2", ["a, b", ""]),
               ("X-Bytes", ["caf\u00e9 \u2713 \x7f\u00ff"]), ("Cookie", ["a=1", "b=2"])]
    got = collect(open_stream(call, request_messages(request_init("GET", "/echo", headers))))
    assert plugin.headers == dict(headers)
    assert got.header("x-multi") == ["1", "2", "3"]
    assert got.header("X-MULTI-2") == ["a, b", ""]
    assert got.header("x-bytes") == ["caf\u00e9 \u2713 \x7f\u00ff"]


def test_empty_body(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    got = collect(open_stream(call, request_messages(request_init("POST", "/echo"))))
    assert (plugin.chunks, got.status, got.body, got.kinds) == ([], 200, b"", ["init", "complete"])


def test_upload_reaches_the_handler_chunk_by_chunk(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    count = 100 * MIB // CHUNK
    block = b"u" * CHUNK

    def chunks() -> Iterator[bytes]:
        for n in range(count):
            if n > 16:  # the handler must have the body while it is still being sent
                with plugin.received:
                    assert plugin.received.wait_for(lambda n=n: len(plugin.chunks) >= n - 16, 10)
            yield block

    got = collect(open_stream(call, request_messages(request_init("PUT", "/count"), chunks())))
    assert (got.status, got.body) == (200, str(100 * MIB).encode())
    assert len(plugin.chunks) == count


def test_slow_client_holds_the_handler_back(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    stream = open_stream(call, request_messages(request_init("GET", "/download?mib=100")))
    first = next(stream)
    assert first.HasField("init")
    settled = stable(lambda: plugin.written)  # the client reads nothing meanwhile
    assert settled < 24 * MIB, f"handler ran {settled / MIB:.0f} MiB ahead of a stalled client"
    rest = collect(stream)
    assert len(rest.body) == 100 * MIB and plugin.outcome == "done"


def stable(read: Any, step: float = 0.05, rounds: int = 4) -> Any:
    """Poll ``read()`` until it returns the same value ``rounds`` times in a row."""
    last, same = read(), 0
    while same < rounds:
        time.sleep(step)
        now = read()
        same = same + 1 if now == last else 0
        last = now
    return last


def test_cancel_mid_upload_ends_the_handler(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    resume = threading.Event()

    def chunks() -> Iterator[bytes]:
        yield b"a" * CHUNK
        yield b"b" * CHUNK
        resume.wait(30)
        yield b"never"

    stream = open_stream(call, request_messages(request_init("POST", "/echo"), chunks()))
    try:
        with plugin.received:
            assert plugin.received.wait_for(lambda: len(plugin.chunks) >= 1, 10)
        stream.cancel()
        assert plugin.ended.wait(10)
        assert plugin.outcome == "disconnected"
        wait_for(lambda: not handler_threads(), what="the handler thread to end")
    finally:
        resume.set()


def test_a_body_cut_short_is_not_taken_as_complete(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    messages = list(request_messages(request_init("POST", "/echo"), [b"a" * 10, b"b" * 10]))
    messages[-1].body_complete = False  # the client half-closes without body_complete
    collect(open_stream(call, iter(messages)))
    assert plugin.ended.wait(10)
    assert plugin.outcome == "disconnected"
    assert plugin.chunks == [b"a" * 10, b"b" * 10]


def test_cancel_mid_download_ends_the_handler(recorder: tuple[Recorder, HookCaller]) -> None:
    plugin, call = recorder
    stream = open_stream(call, request_messages(request_init("GET", "/download?mib=1000")))
    for n, _message in enumerate(stream):
        if n == 10:
            break
    stream.cancel()
    with pytest.raises(grpc.RpcError) as info:
        collect(stream)
    assert info.value.code() == grpc.StatusCode.CANCELLED
    assert plugin.ended.wait(10)
    assert plugin.outcome == "disconnected" and plugin.written < 100 * MIB
    wait_for(lambda: not handler_threads(), what="the handler thread to end")


BIG_PLUGIN = textwrap.dedent('''
    import json, resource
    from mmplug.sdk import Plugin, serve

    def peak_kib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    class Big(Plugin):
        def serve_http(self, context, response, request):
            if request.path == "/upload":
                size = chunks = biggest = 0
                for chunk in request.body:
                    size, chunks = size + len(chunk), chunks + 1
                    biggest = max(biggest, len(chunk))
                response.write(json.dumps({"size": size, "chunks": chunks, "max": biggest}))
            elif request.path == "/download":
                block = b"d" * 65536
                for _ in range(int(request.query["mib"][0]) * 16):
                    response.write(block)
            else:
                response.write(json.dumps({"peak_kib": peak_kib()}))

    if __name__ == "__main__":
        serve(Big)
''')


def test_100_mib_each_way_keeps_the_plugin_process_small(tmp_path: Path) -> None:
    script = tmp_path / "big_plugin.py"
    script.write_text(BIG_PLUGIN)
    proc, line = start_plugin(script, plugin_env(MMPLUG_LOG_LEVEL="error"))
    channel = grpc.insecure_channel(line.strip().split("|")[3])
    try:
        call = HookCaller(channel)

        def peak() -> int:
            reply = collect(open_stream(call, request_messages(request_init("GET", "/peak"))))
            return int(json.loads(reply.body)["peak_kib"]) * 1024

        baseline = peak()
        block = b"p" * CHUNK
        up = collect(open_stream(call, request_messages(request_init("PUT", "/upload"),
                                                        (block for _ in range(1600)))))
        assert json.loads(up.body) == {"size": 100 * MIB, "chunks": 1600, "max": CHUNK}
        assert peak() - baseline < 16 * MIB, "the upload was buffered"
        down = open_stream(call, request_messages(request_init("GET", "/download?mib=100")))
        next(down)
        stalled = stable(peak)  # the reader stalls while the plugin writes as far as it can
        assert stalled - baseline < 32 * MIB, f"peak RSS grew {(stalled - baseline) // MIB} MiB"
        assert sum(len(m.body_chunk) for m in down) == 100 * MIB  # the first was the status
    finally:
        channel.close()
        stop(proc)
