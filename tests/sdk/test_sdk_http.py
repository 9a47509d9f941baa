"""ServeHTTP: the request object, the streaming response writer and the router."""

from __future__ import annotations

import json
import threading
from typing import Any

import grpc
import pytest
from sdk_support import hooks_server

from mmplug.sdk import Plugin, Request, Response, ResponseWriter, Router
from mmplug.sdk._proto import message_class


def http_request(method: str = "GET", url: str = "/", headers: dict[str, list[str]] | None = None,
                 chunks: list[bytes] | None = None) -> list[Any]:
    req_cls = message_class("ServeHTTPRequest")
    init = message_class("ServeHTTPRequestInit")(
        method=method, url=url, proto="HTTP/1.1", host="mm.example", remote_addr="10.0.0.1:5",
        request_uri=url, plugin_context={"session_id": "sess"},
        headers=[{"key": k, "values": v} for k, v in (headers or {}).items()],
    )
    chunks = chunks or []
    if not chunks:
        return [req_cls(init=init, body_complete=True)]
    messages = [req_cls(init=init, body_chunk=chunks[0], body_complete=len(chunks) == 1)]
    for i, chunk in enumerate(chunks[1:], start=2):
        messages.append(req_cls(body_chunk=chunk, body_complete=i == len(chunks)))
    return messages


def collect(responses: Any) -> tuple[int, dict[str, list[str]], bytes, list[str]]:
    status, headers, body, kinds = 0, {}, b"", []
    for message in responses:
        if message.HasField("init"):
            status = message.init.status_code
            headers = {h.key: list(h.values) for h in message.init.headers}
            kinds.append("init")
        if message.body_chunk:
            body += message.body_chunk
            kinds.append("chunk")
        if message.flush:
            kinds.append("flush")
        if message.body_complete:
            kinds.append("complete")
    return status, headers, body, kinds


class Echo(Plugin):
    seen: dict[str, Any] = {}

    def serve_http(self, context: Any, response: ResponseWriter, request: Request) -> None:
        Echo.seen = {
            "session": context.session_id, "user": request.user_id, "path": request.path,
            "query": request.query, "method": request.method,
            "accept": request.headers.get("accept"), "multi": request.headers.get_all("X-Multi"),
            "host": request.host, "remote": request.remote_addr, "proto": request.proto,
        }
        chunks = list(request.body)
        response.set_header("Content-Type", "text/plain")
        response.add_header("X-Chunks", str(len(chunks)))
        response.add_header("X-Chunks", "again")
        response.write_header(201)
        for chunk in chunks:
            response.write(chunk)


def test_request_fields_body_chunks_and_response_headers() -> None:
    messages = http_request(
        "POST", "/echo/x?a=1&a=2&b=",
        {"Accept": ["text/plain"], "Mattermost-User-Id": ["user1"], "x-multi": ["1", "2"]},
        [b"hello ", b"big ", b"world"],
    )
    with hooks_server(Echo()) as call:
        status, headers, body, kinds = collect(call.stream("ServeHTTP", messages))
    assert status == 201
    assert body == b"hello big world"
    assert headers["Content-Type"] == ["text/plain"]
    assert headers["X-Chunks"] == ["3", "again"]
    assert kinds[0] == "init" and kinds[-1] == "complete"
    assert Echo.seen == {
        "session": "sess", "user": "user1", "path": "/echo/x",
        "query": {"a": ["1", "2"], "b": [""]},
        "method": "POST", "accept": "text/plain", "multi": ["1", "2"], "host": "mm.example",
        "remote": "10.0.0.1:5", "proto": "HTTP/1.1",
    }


def test_a_first_message_with_only_body_bytes_reads_as_an_empty_init() -> None:
    # protobuf gives a missing init as an empty one; the fast path for body-only messages too
    req_cls = message_class("ServeHTTPRequest")
    messages = [req_cls(body_chunk=b"abc"), req_cls(body_chunk=b"def", body_complete=True)]
    with hooks_server(Echo()) as call:
        status, _headers, body, _kinds = collect(call.stream("ServeHTTP", messages))
    assert (status, body) == (201, b"abcdef")
    assert Echo.seen["method"] == "GET" and Echo.seen["path"] == "/"


def test_response_streams_while_the_handler_is_still_running() -> None:
    release = threading.Event()

    class Streamer(Plugin):
        def serve_http(self, context: Any, response: ResponseWriter, request: Request) -> None:
            response.write(b"first")
            response.flush()
            if not release.wait(10):
                raise TimeoutError("the first chunk never reached the client")
            response.write(b"second")

    with hooks_server(Streamer()) as call:
        stream = call.stream("ServeHTTP", http_request())
        seen = []
        for message in stream:
            if message.body_chunk:
                seen.append(message.body_chunk)
            if message.flush:
                release.set()  # the client has 'first' before the handler writes 'second'
        assert seen == [b"first", b"second"]


def test_read_all_and_json() -> None:
    class Reader(Plugin):
        def serve_http(self, context: Any, response: ResponseWriter, request: Request) -> None:
            data = request.json()
            response.write(json.dumps({"got": data, "again": request.read_all().decode()}))

    with hooks_server(Reader()) as call:
        _, _, body, _ = collect(call.stream("ServeHTTP", http_request(
            "POST", "/", chunks=[b'{"x":', b" 1}"])))
    assert json.loads(body) == {"got": {"x": 1}, "again": '{"x": 1}'}


def test_handler_exception_gives_500() -> None:
    class Broken(Plugin):
        def serve_http(self, context: Any, response: ResponseWriter, request: Request) -> None:
            raise RuntimeError("kaput")

    with hooks_server(Broken()) as call:
        status, _, body, kinds = collect(call.stream("ServeHTTP", http_request()))
    assert status == 500
    assert body.startswith(b"Internal Server Error")
    assert kinds[-1] == "complete"


def test_empty_handler_sends_200_and_completes() -> None:
    class Empty(Plugin):
        async def serve_http(self, context: Any, response: ResponseWriter,
                             request: Request) -> None:
            return None

    with hooks_server(Empty()) as call:
        status, _, body, kinds = collect(call.stream("ServeHTTP", http_request()))
    assert (status, body, kinds) == (200, b"", ["init", "complete"])


def test_serve_http_not_implemented() -> None:
    with hooks_server(Plugin()) as call, pytest.raises(grpc.RpcError) as info:
        collect(call.stream("ServeHTTP", http_request()))
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


router = Router()


@router.get("/hello")
def hello(plugin: Any, request: Request) -> str:
    return f"hello {request.user_id or 'anonymous'}"


@router.get("/items/{item_id}")
def item(plugin: Any, request: Request) -> dict[str, Any]:
    return {"id": request.path_params["item_id"], "plugin": plugin.name}


@router.post("/items")
def create(plugin: Any, request: Request) -> Response:
    return Response(request.read_all(), status=202, headers={"X-Created": "yes"})


@router.get("/raw")
def raw(plugin: Any, request: Request) -> bytes:
    return b"\x00\x01"


class Routed(Plugin):
    http = router
    name = "routed"


@pytest.mark.parametrize(
    ("method", "url", "status", "body", "content_type"),
    [
        ("GET", "/hello", 200, b"hello u9", "text/plain; charset=utf-8"),
        ("GET", "/items/42", 200, b'{"id": "42", "plugin": "routed"}', "application/json"),
        ("POST", "/items", 202, b"payload", None),
        ("GET", "/raw", 200, b"\x00\x01", "application/octet-stream"),
        ("GET", "/missing", 404, b"Not Found\n", None),
        ("DELETE", "/hello", 405, b"Method Not Allowed\n", None),
    ],
)
def test_router(method: str, url: str, status: int, body: bytes,
                content_type: str | None) -> None:
    messages = http_request(method, url, {"Mattermost-User-Id": ["u9"]}, [b"payload"])
    with hooks_server(Routed()) as call:
        got_status, headers, got_body, _ = collect(call.stream("ServeHTTP", messages))
    assert (got_status, got_body) == (status, body)
    if content_type:
        assert headers["Content-Type"] == [content_type]
    if status == 405:
        assert headers["Allow"] == ["GET, HEAD"]
    if status == 202:
        assert headers["X-Created"] == ["yes"]


def test_route_may_stream_through_request_response() -> None:
    streaming = Router()

    @streaming.get("/events")
    def events(plugin: Any, request: Request) -> None:
        assert request.response is not None
        request.response.set_header("Content-Type", "text/event-stream")
        for n in range(3):
            request.response.write(f"data: {n}\n\n")
            request.response.flush()

    class Streams(Plugin):
        http = streaming

    with hooks_server(Streams()) as call:
        status, headers, body, kinds = collect(call.stream("ServeHTTP", http_request(
            "GET", "/events")))
    assert (status, headers["Content-Type"]) == (200, ["text/event-stream"])
    assert body == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert kinds.count("flush") == 3
