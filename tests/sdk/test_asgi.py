"""An ASGI app mounted with ``mount_asgi`` serves ServeHTTP over real gRPC: the scope, the
body streamed through ``receive()``, the response streamed through ``send()``, lifespan,
errors and cancellation."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sdk_support import hooks_server
from test_http_stream_helpers import (
    CHUNK,
    collect,
    handler_threads,
    open_stream,
    request_init,
    request_messages,
    wait_for,
)

from mmplug.sdk import AsgiMount, Plugin, mount_asgi
from mmplug.sdk._asgi import build_scope, host_port, http_version

Scope = dict[str, Any]


async def start(send: Any, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def read_body(receive: Any) -> list[bytes]:
    chunks = []
    while True:
        message = await receive()
        assert message["type"] == "http.request", message
        chunks.append(message["body"])
        if not message.get("more_body", False):
            return chunks


class Events:
    """Cross-thread signals between a test and its app."""

    def __init__(self) -> None:
        self.flushed = threading.Event()
        self.ended = threading.Event()
        self.outcome: str = ""
        self.received = 0
        self.progress = threading.Condition()
        self.loop: asyncio.AbstractEventLoop | None = None

    def pending_tasks(self) -> int:
        """Tasks left on the SDK's event loop (other than the one asking)."""
        async def count() -> int:
            return len(asyncio.all_tasks()) - 1

        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(count(), self.loop).result(5)

    def assert_nothing_left(self) -> None:
        wait_for(lambda: not handler_threads(), what="the ServeHTTP handler thread to end")
        wait_for(lambda: self.pending_tasks() == 0, what="the app's tasks to end")


EVENTS = Events()


async def app(scope: Scope, receive: Any, send: Any) -> None:
    """A small hand-written ASGI app exercising the protocol."""
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
        return
    path = scope["path"]
    EVENTS.loop = asyncio.get_running_loop()
    if path == "/scope":
        await start(send, 200, [(b"content-type", b"application/json"),
                                (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"),
                                (b"x-bytes", "café".encode())])
        shown = {k: v for k, v in scope.items() if k not in ("extensions", "state")}
        shown["headers"] = [[k.decode(), v.decode()] for k, v in scope["headers"]]
        shown["raw_path"] = scope["raw_path"].decode()
        shown["query_string"] = scope["query_string"].decode()
        shown["body"] = [c.decode() for c in await read_body(receive)]
        shown["plugin"] = type(scope["extensions"]["mmplug"]["plugin"]).__name__
        shown["state"] = scope["state"]
        await send({"type": "http.response.body", "body": json.dumps(shown).encode()})
    elif path == "/stream":
        await start(send, 200, [(b"content-type", b"text/plain")])
        for n in range(3):
            await send({"type": "http.response.body", "body": f"part{n};".encode(),
                        "more_body": True})
            if n == 0:  # the client must have part0 before part1 is produced
                await asyncio.to_thread(EVENTS.flushed.wait, 10)
        await send({"type": "http.response.body", "body": b"end"})
    elif path == "/upload":
        await upload(receive, send)
    elif path == "/forever":
        await forever(receive, send)
    elif path == "/boom":
        raise RuntimeError("app failure")
    elif path == "/silent":
        return
    elif path == "/start-only":
        await start(send, 204, [])
    else:
        await start(send, 404, [(b"content-type", b"text/plain")])
        await send({"type": "http.response.body", "body": b"no route " + path.encode()})


async def upload(receive: Any, send: Any) -> None:
    digest, sizes = hashlib.sha256(), []
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                EVENTS.outcome = "disconnect"
                return
            digest.update(message["body"])
            sizes.append(len(message["body"]))
            with EVENTS.progress:
                EVENTS.received += 1
                EVENTS.progress.notify_all()
            if not message["more_body"]:
                break
        await start(send, 200, [(b"content-type", b"application/json")])
        result = {"size": sum(sizes), "messages": len(sizes), "max": max(sizes),
                  "sha256": digest.hexdigest()}
        await send({"type": "http.response.body", "body": json.dumps(result).encode()})
    finally:
        EVENTS.ended.set()


async def forever(receive: Any, send: Any) -> None:
    await start(send, 200, [(b"content-type", b"application/octet-stream")])
    try:
        while True:
            await send({"type": "http.response.body", "body": b"x" * CHUNK, "more_body": True})
    except OSError as exc:  # ASGI: send() on a closed connection raises an OSError
        EVENTS.outcome = type(exc).__name__
    finally:
        EVENTS.ended.set()


async def lifespan(scope: Scope, receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            scope["state"]["ready"] = "yes"
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            LIFESPAN_LOG.append("shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return


LIFESPAN_LOG: list[str] = []
MOUNT = mount_asgi(app)


class AsgiPlugin(Plugin):
    http = MOUNT

    async def on_activate(self) -> None:
        await MOUNT.startup()

    async def on_deactivate(self) -> None:
        await MOUNT.shutdown()


@pytest.fixture
def call() -> Iterator[Any]:
    global EVENTS
    EVENTS = Events()
    with hooks_server(AsgiPlugin()) as caller:
        yield caller
    wait_for(lambda: not handler_threads(), what="ServeHTTP handler threads to end")


def serve(caller: Any, method: str, url: str, headers: Any = (), chunks: Any = ()) -> Any:
    init = request_init(method, url, headers)
    return collect(open_stream(caller, request_messages(init, chunks)))


def test_mount_implements_serve_http() -> None:
    assert isinstance(AsgiPlugin.http, AsgiMount)
    assert AsgiPlugin.implemented_hooks() == ["OnActivate", "OnDeactivate", "ServeHTTP"]
    with pytest.raises(TypeError, match="needs an ASGI app"):
        mount_asgi("not an app")  # type: ignore[arg-type]


def test_scope_headers_and_multi_value_response_headers(call: Any) -> None:
    call("OnActivate")  # lifespan startup fills the state
    got = serve(call, "POST", "/scope?q=a%20b&q=2",
                [("Accept", ["text/html"]), ("X-Multi", ["1", "2"]),
                 ("Mattermost-User-Id", ["u1"]), ("X-Utf8", ["naïve"])],
                [b"one", b"two"])
    assert got.status == 200
    assert got.header("Set-Cookie") == ["a=1", "b=2"]
    assert got.header("x-bytes") == ["café"]
    scope = json.loads(got.body)
    assert scope["headers"] == [["accept", "text/html"], ["x-multi", "1"], ["x-multi", "2"],
                                ["mattermost-user-id", "u1"], ["x-utf8", "naïve"]]
    assert {k: scope[k] for k in ("type", "method", "path", "raw_path", "query_string",
                                  "root_path", "scheme", "http_version", "client", "server",
                                  "body", "plugin", "state")} == {
        "type": "http", "method": "POST", "path": "/scope", "raw_path": "/scope",
        "query_string": "q=a%20b&q=2", "root_path": "", "scheme": "http",
        "http_version": "1.1", "client": ["10.0.0.7", 51234], "server": ["mm.example", 8065],
        "body": ["one", "two"], "plugin": "AsgiPlugin", "state": {"ready": "yes"},
    }
    call("OnDeactivate")
    assert LIFESPAN_LOG[-1] == "shutdown"


def test_response_body_streams_in_order_with_a_flush_per_message(call: Any) -> None:
    kinds, chunks = [], []
    for message in open_stream(call, request_messages(request_init("GET", "/stream"))):
        if message.body_chunk:
            chunks.append(message.body_chunk)
            kinds.append("chunk")
        if message.flush:
            kinds.append("flush")
            EVENTS.flushed.set()
        if message.body_complete:
            kinds.append("complete")
    assert chunks == [b"part0;", b"part1;", b"part2;", b"end"]
    assert kinds == ["chunk", "flush"] * 3 + ["chunk", "complete"]


def test_large_upload_arrives_in_chunks_as_it_is_sent(call: Any) -> None:
    total = 8 * 1024 * 1024
    block = bytes(range(256)) * (CHUNK // 256)

    def chunks() -> Iterator[bytes]:
        for n in range(total // CHUNK):
            if n >= 8:  # never more than 8 chunks ahead of the app: it must stream
                with EVENTS.progress:
                    assert EVENTS.progress.wait_for(lambda n=n: EVENTS.received >= n - 8, 10), \
                        "the app did not get the body while it was being sent"
            yield block

    got = serve(call, "PUT", "/upload", [("Content-Type", ["application/octet-stream"])],
                chunks())
    assert got.status == 200
    result = json.loads(got.body)
    assert result == {"size": total, "messages": total // CHUNK, "max": CHUNK,
                      "sha256": hashlib.sha256(block * (total // CHUNK)).hexdigest()}


def test_empty_body_is_one_final_request_message(call: Any) -> None:
    got = serve(call, "POST", "/upload")
    assert json.loads(got.body)["messages"] == 1 and json.loads(got.body)["size"] == 0


def test_cancel_mid_upload_gives_http_disconnect(call: Any) -> None:
    resume = threading.Event()

    def chunks() -> Iterator[bytes]:
        yield b"a" * CHUNK
        yield b"b" * CHUNK
        resume.wait(30)  # the client stalls mid-body; the test cancels meanwhile
        yield b"never"

    stream = open_stream(call, request_messages(request_init("POST", "/upload"), chunks()))
    with EVENTS.progress:
        assert EVENTS.progress.wait_for(lambda: EVENTS.received >= 1, 10)
    stream.cancel()
    try:
        assert EVENTS.ended.wait(10)
        assert EVENTS.outcome == "disconnect"
        EVENTS.assert_nothing_left()
    finally:
        resume.set()


def test_cancel_mid_download_makes_send_raise(call: Any) -> None:
    stream = open_stream(call, request_messages(request_init("GET", "/forever")))
    for n, _message in enumerate(stream):
        if n == 5:
            break
    stream.cancel()
    assert EVENTS.ended.wait(10)
    assert EVENTS.outcome == "ClientDisconnected"
    EVENTS.assert_nothing_left()


@pytest.mark.parametrize("path", ["/boom", "/silent"])
def test_app_failing_before_the_response_gives_500(call: Any, path: str) -> None:
    got = serve(call, "GET", path)
    assert (got.status, got.kinds[-1]) == (500, "complete")
    assert got.body.startswith(b"Internal Server Error")


def test_start_without_body_sends_the_status(call: Any) -> None:
    got = serve(call, "GET", "/start-only")
    assert (got.status, got.body, got.kinds) == (204, b"", ["init", "complete"])


def test_lifespan_is_optional() -> None:
    async def plain(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError("only http")
        await start(send, 200, [])
        await send({"type": "http.response.body", "body": b"ok"})

    mount = mount_asgi(plain)

    class Plain(Plugin):
        http = mount

        async def on_activate(self) -> None:
            await mount.startup()

    with hooks_server(Plain()) as caller:
        assert not caller("OnActivate").HasField("error")
        assert serve(caller, "GET", "/").body == b"ok"


def test_scope_helpers() -> None:
    assert http_version("HTTP/2.0") == "2" and http_version("HTTP/1.0") == "1.0"
    assert host_port("[::1]:8065", None) == ("::1", 8065)
    assert host_port("::1", 80) == ("::1", 80)
    assert host_port("example.com", 443) == ("example.com", 443)
    assert host_port("", 80) is None


def test_percent_encoded_path_and_root_path() -> None:
    from mmplug.sdk import Request

    init = request_init("GET", "/files/a%20b%2Fc?x=%C3%A9")
    scope = build_scope(Request(init, iter(())), root_path="/plugins/com.example.asgi")
    assert scope["path"] == "/files/a b/c"
    assert scope["raw_path"] == b"/files/a%20b%2Fc"
    assert scope["query_string"] == b"x=%C3%A9"
    assert scope["root_path"] == "/plugins/com.example.asgi"


def test_app_status_and_body_pass_through(call: Any) -> None:
    got = serve(call, "GET", "/nothing-here")
    assert (got.status, got.body) == (404, b"no route /nothing-here")
    assert got.header("content-type") == ["text/plain"]


def test_the_docs_asgi_example_serves_over_grpc() -> None:
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"
    blocks = [b for b in re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
              if "mount_asgi(app)" in b]
    assert len(blocks) == 1
    namespace: dict[str, Any] = {"__name__": "docs_asgi_example"}
    exec(compile(blocks[0], f"{doc}:asgi", "exec"), namespace)
    with hooks_server(namespace["WithApp"]()) as caller:
        assert not caller("OnActivate").HasField("error")
        got = serve(caller, "POST", "/upload/here", chunks=[b"abc", b"def"])
        assert (got.status, got.body) == (200, b"/upload/here: 6 bytes")
        assert not caller("OnDeactivate").HasField("error")


def test_lifespan_runs_with_activation_when_the_class_has_no_hooks_of_its_own() -> None:
    LIFESPAN_LOG.clear()

    class Auto(Plugin):
        http = mount_asgi(app)

    assert Auto.implemented_hooks() == ["OnActivate", "OnDeactivate", "ServeHTTP"]
    with hooks_server(Auto()) as caller:
        assert not caller("OnActivate").HasField("error")
        got = serve(caller, "GET", "/scope")
        assert json.loads(got.body)["state"] == {"ready": "yes"}
        assert not caller("OnDeactivate").HasField("error")
    assert LIFESPAN_LOG == ["shutdown"]


def test_a_failing_lifespan_startup_fails_activation() -> None:
    async def failing(scope: Scope, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    class Failing(Plugin):
        http = mount_asgi(failing)

    with hooks_server(Failing()) as caller:
        error = caller("OnActivate").error
        assert error.id == "plugin.on_activate.error"
        assert "ASGI lifespan startup failed: no database" in error.message
        assert caller("OnActivate").error.id  # tried again, failed again


def test_a_disconnect_listener_beside_the_body_reader() -> None:
    """Like Starlette's StreamingResponse: one task waits for http.disconnect while the
    endpoint reads the body and streams the answer."""
    seen: list[str] = []

    async def listening(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b"".join(await read_body(receive))

        async def listen() -> None:
            seen.append((await receive())["type"])

        listener = asyncio.ensure_future(listen())
        await start(send, 200, [])
        for piece in (body[:3], body[3:]):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        assert not listener.done()  # nothing to report while the request is alive
        listener.cancel()

    class Listening(Plugin):
        http = mount_asgi(listening)

    with hooks_server(Listening()) as caller:
        got = serve(caller, "POST", "/", chunks=[b"abc", b"defg"])
    assert (got.status, got.chunks) == (200, [b"abc", b"defg"])
    assert seen == []
