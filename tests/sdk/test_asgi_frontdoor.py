"""An ASGI plugin behind mmplug's real front door (``mmplug dev``): plain HTTP in, a plugin
process serving ServeHTTP through ``mount_asgi``, HTTP out; and a browser going away."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from plugin_projects import write_plugin_project

PLUGIN = "com.example.asgi"
MIB = 1024 * 1024

APP = textwrap.dedent('''
    import hashlib, json
    from mmplug.sdk import Plugin, mount_asgi, serve

    STATS = {"disconnects": 0, "running": 0}

    async def app(scope, receive, send):
        if scope["type"] != "http":
            raise RuntimeError("lifespan not used here")
        STATS["running"] += 1
        try:
            await route(scope, receive, send)
        except OSError:
            STATS["disconnects"] += 1
        finally:
            STATS["running"] -= 1

    async def route(scope, receive, send):
        path = scope["path"]
        if path == "/echo":
            digest, sizes = hashlib.sha256(), []
            while True:
                message = await receive()
                digest.update(message["body"])
                sizes.append(len(message["body"]))
                if not message["more_body"]:
                    break
            headers = [[k.decode(), v.decode()] for k, v in scope["headers"]]
            body = json.dumps({"sizes": sizes, "sha256": digest.hexdigest(), "headers": headers,
                               "path": path, "query": scope["query_string"].decode()})
            await send({"type": "http.response.start", "status": 201, "headers": [
                (b"content-type", b"application/json"), (b"set-cookie", b"a=1"),
                (b"set-cookie", b"b=2")]})
            await send({"type": "http.response.body", "body": body.encode()})
        elif path == "/forever":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/octet-stream")]})
            while True:
                await send({"type": "http.response.body", "body": b"f" * 65536,
                            "more_body": True})
        else:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps(STATS).encode()})

    class AsgiPlugin(Plugin):
        http = mount_asgi(app)

    if __name__ == "__main__":
        serve(AsgiPlugin)
''')


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    from mmplug.devloop.loop import DevLoop

    project = write_plugin_project(tmp_path_factory.mktemp("asgi") / "p", PLUGIN, APP,
                                   name="ASGI test")
    loop = DevLoop([project], port=0, store=":memory:", python=sys.executable, watch=False,
                   as_user="alice")
    with loop as running:
        port = running.front_door.port
        # the plugin starts in the background: wait until it answers (a busy machine is slow)
        wait_for(lambda: request(port, "GET", "/stats")[0] == 200, "the plugin to serve", 30)
        yield port


def request(port: int, method: str, path: str, chunks: list[bytes] | None = None,
            headers: tuple[tuple[str, str], ...] = ()) -> tuple[int, Any, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, f"/plugins/{PLUGIN}{path}")
        for key, value in headers:
            conn.putheader(key, value)
        if chunks is not None:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for piece in chunks or []:
            conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        if chunks is not None:
            conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def stats(port: int) -> dict[str, int]:
    result: dict[str, int] = json.loads(request(port, "GET", "/stats")[2])
    return result


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_request_and_response_through_the_front_door(port: int) -> None:
    body = bytes(range(256)) * 4096 * 8  # 8 MiB
    pieces = [body[i:i + MIB] for i in range(0, len(body), MIB)]
    status, headers, raw = request(port, "POST", "/echo?x=1&x=2", pieces,
                                   (("X-Multi", "1"), ("X-Multi", "2")))
    assert status == 201
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    got = json.loads(raw)
    assert (got["path"], got["query"]) == ("/echo", "x=1&x=2")
    assert sum(got["sizes"]) == len(body) and max(got["sizes"]) <= 64 * 1024
    assert len(got["sizes"]) >= len(body) // (64 * 1024)  # one receive() per chunk
    assert got["sha256"] == hashlib.sha256(body).hexdigest()
    assert [v for k, v in got["headers"] if k == "x-multi"] == ["1", "2"]
    assert dict(got["headers"])["mattermost-user-id"]  # logged in as alice


def test_browser_going_away_ends_the_app(port: int) -> None:
    before = stats(port)["disconnects"]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET /plugins/{PLUGIN}/forever HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(65536)
    sock.close()
    wait_for(lambda: stats(port)["disconnects"] == before + 1, "the app to see the disconnect")
    assert stats(port)["running"] == 1  # only the /stats request itself
