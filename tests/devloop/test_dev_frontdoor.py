"""The front door against a real plugin: mapping, streaming, statuses, disconnects."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devloop_support import Events, dev_loop, processes_in, wait_for
from plugin_projects import write_plugin_project

PLUGIN = "com.example.http"
HERE = Path(__file__).resolve().parent
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    project = write_plugin_project(tmp_path_factory.mktemp("http") / "p", PLUGIN,
                                   HERE / "http_plugin.py", name="HTTP test")
    with dev_loop(project, watch=False, as_user="alice", metrics_port=0) as running:
        yield running
    assert processes_in(project) == []


@pytest.fixture(scope="module")
def reported(loop: Any) -> Events:
    """What the module's dev loop reports."""
    events = Events()
    loop.add_observer(events)
    return events


@pytest.fixture(autouse=True)
def _plugin_up(loop: Any, reported: Events) -> None:
    """Each test starts with the plugin serving: a restart a test caused is over, and a crash
    no test asked for is said with what the dev loop reported."""
    try:
        wait_for(lambda: loop.status[PLUGIN].state == "active", what="the plugin to be active")
    except AssertionError:
        status = loop.status[PLUGIN]
        raise AssertionError(f"the plugin is {status.state}: {status.problem}; the dev loop "
                             f"reported: {reported.problems}") from None


def _conn(loop: Any) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", loop.front_door.port, timeout=30)


def _request(loop: Any, method: str, path: str, body: Any = None,
             headers: list[tuple[str, str]] | None = None) -> tuple[int, Any, bytes]:
    conn = _conn(loop)
    try:
        conn.putrequest(method, f"/plugins/{PLUGIN}{path}")
        for key, value in headers or []:
            conn.putheader(key, value)
        if isinstance(body, bytes):
            conn.putheader("Content-Length", str(len(body)))
        elif body is not None:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        if isinstance(body, bytes):
            conn.send(body)
        elif body is not None:
            for piece in body:
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_prefix_stripped_query_kept_identity_replaced(loop: Any) -> None:
    status, _, body = _request(loop, "GET", "/echo?x=1&x=2", headers=[
        ("Mattermost-User-Id", "forged"), ("X-Multi", "a"), ("X-Multi", "b")])
    data = json.loads(body)
    assert status == 200 and data["url"] == "/echo?x=1&x=2"
    assert data["headers"]["X-Multi"] == ["a", "b"]
    assert data["user"] != "forged" and len(data["user"]) == 26  # the --as user's id
    assert data["sizes"] == [] and data["total"] == 0


def test_the_request_is_cleaned_as_the_server_cleans_it(loop: Any) -> None:
    """servePluginRequest (server/channels/app/plugin_requests.go): the URL's path is cut after
    `/plugins/<id>` and escaped again as Go does, the query loses `access_token` and is
    re-encoded with its keys sorted, `Referer` and the session cookie are dropped and the other
    cookies come in one `Cookie` header; `request_uri` is what the client sent; Go's net/http
    keeps `Host` out of the headers and says 0 for the length of a request without a body."""
    target = "/echo/a%20b(c)?b=2&a=1&access_token=secret&sp=x+y&bad=%zz"
    status, _, body = _request(loop, "GET", target, headers=[
        ("Referer", "http://elsewhere/"), ("Cookie", "MMAUTHTOKEN=secret; theme=dark"),
        ("Cookie", "lang=en")])
    data = json.loads(body)
    assert status == 200
    assert data["url"] == "/echo/a%20b%28c%29?a=1&b=2&sp=x+y"
    assert data["request_uri"] == f"/plugins/{PLUGIN}{target}"
    assert data["headers"]["Cookie"] == ["theme=dark; lang=en"]
    assert "Referer" not in data["headers"] and "Host" not in data["headers"]
    assert data["host"] == f"127.0.0.1:{loop.front_door.port}"
    assert data["content_length"] == 0
    _, _, body = _request(loop, "GET", "/echo?access_token=secret",
                          headers=[("Cookie", "MMAUTHTOKEN=secret")])
    data = json.loads(body)
    assert data["url"] == "/echo" and "Cookie" not in data["headers"]


def test_chunks_are_at_most_64k_and_in_order(loop: Any) -> None:
    """A chunked body (Go's net/http): length -1, no Transfer-Encoding header."""
    pieces = [bytes([i]) * size for i, size in enumerate([10, 70_000, 1, 200_000, 65_536])]
    status, _, body = _request(loop, "POST", "/echo", body=iter(pieces))
    data = json.loads(body)
    whole = b"".join(pieces)
    assert status == 200 and data["total"] == len(whole)
    assert data["content_length"] == -1 and "Transfer-Encoding" not in data["headers"]
    assert data["sha256"] == hashlib.sha256(whole).hexdigest()
    assert max(data["sizes"]) <= 64 * 1024


def test_binary_bodies_and_multi_value_headers_pass_unchanged(loop: Any) -> None:
    blob = bytes(range(256)) * 1000
    status, _, body = _request(loop, "PUT", "/raw", body=blob)
    assert status == 200 and body == blob
    status, headers, body = _request(loop, "GET", "/headers")
    assert status == 201 and body == b"" and "Content-Type" not in headers
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    raw = headers["X-Utf8"].encode("latin-1").decode("utf-8")
    assert raw == "\u00e9t\u00e9 \u2603"


def test_a_100_mb_upload_and_download(loop: Any) -> None:
    block = bytes(range(256)) * 4096
    status, _, body = _request(loop, "POST", "/echo", body=(block for _ in range(100)))
    data = json.loads(body)
    assert status == 200 and data["total"] == 100 * MiB
    status, _, body = _request(loop, "GET", "/download?mib=100")
    assert status == 200 and len(body) == 100 * MiB and body[:MiB] == block


@pytest.mark.parametrize(("code", "expected"), [(0, 200), (418, 418), (1000, 500)])
def test_status_mapping(loop: Any, code: int, expected: int) -> None:
    """(*hooksGRPCClient).writeHTTPResponseHeaders: 0 is 200; the answer's header keys go out
    canonical (Go's Header().Add); a status outside 100..999 is refused with the server's own
    plain 500 (http.Error), and nothing of the plugin's answer is sent."""
    status, headers, body = _request(loop, "GET", f"/status?code={code}")
    assert status == expected
    if code == 1000:
        assert body == b"Internal Server Error\n" and "X-Plugin-Said" not in headers
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert headers["X-Content-Type-Options"] == "nosniff"
    else:
        assert body == b"odd" and "X-Plugin-Said" in headers.keys()


def test_an_untyped_answer_is_sniffed_like_go(loop: Any) -> None:
    _, headers, body = _request(loop, "GET", "/status?code=0")
    assert body == b"odd" and headers["Content-Type"] == "text/plain; charset=utf-8"
    _, headers, _ = _request(loop, "GET", "/download?mib=1")
    assert headers["Content-Type"] == "application/octet-stream"


def test_expect_100_continue_is_answered_when_the_body_is_read(loop: Any) -> None:
    sock = socket.create_connection(("127.0.0.1", loop.front_door.port), timeout=10)
    with sock, sock.makefile("rb") as reader:
        sock.sendall(f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n".encode())
        assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert reader.readline() == b"\r\n"
        sock.sendall(b"hello")
        assert reader.readline().startswith(b"HTTP/1.1 200")
        size = 0
        while (line := reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                size = int(line.split(b":")[1])  # a small finished answer, as Go sends it
        data = json.loads(reader.read(size))
    # Go's net/http answers the Expect itself and leaves the header in the request
    assert data["total"] == 5 and data["headers"]["Expect"] == ["100-continue"]
    assert data["content_length"] == 5


def test_unknown_plugin_is_404(loop: Any) -> None:
    """ServePluginRequest: no such plugin is http.NotFound's plain `404 page not found`."""
    with contextlib.closing(_conn(loop)) as conn:
        conn.request("GET", "/plugins/com.nobody/x")
        response = conn.getresponse()
        assert (response.status, response.read()) == (404, b"404 page not found\n")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_flush_reaches_the_client_before_the_handler_ends(loop: Any) -> None:
    with contextlib.closing(_conn(loop)) as conn:
        started = time.monotonic()
        conn.request("GET", f"/plugins/{PLUGIN}/drip")
        response = conn.getresponse()
        first = response.fp.readline()  # chunk size line
        first += response.fp.readline()
        assert b"part0" in first
        assert time.monotonic() - started < 0.6  # the handler takes 0.9 s in all


def _busy(loop: Any) -> int:
    return int(_request(loop, "GET", "/busy")[2])


def test_client_disconnect_mid_upload_cancels_the_stream(loop: Any) -> None:
    sock = socket.create_connection(("127.0.0.1", loop.front_door.port))
    sock.sendall(f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                 f"Content-Length: {100 * MiB}\r\n\r\n".encode())
    sock.sendall(b"x" * MiB)
    wait_for(lambda: loop.front_door.active_streams() == 1, what="the upload to start")
    sock.close()
    wait_for(lambda: loop.front_door.active_streams() == 0, what="the host side to stop")
    wait_for(lambda: _busy(loop) == 0, what="the plugin handler to stop")


def test_client_disconnect_mid_download_cancels_the_stream(loop: Any) -> None:
    sock = socket.create_connection(("127.0.0.1", loop.front_door.port))
    sock.sendall(f"GET /plugins/{PLUGIN}/download?mib=50 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(65536)
    sock.close()
    wait_for(lambda: loop.front_door.active_streams() == 0, what="the host side to stop")
    wait_for(lambda: _busy(loop) == 0, what="the plugin handler to stop")


def test_metrics_port_maps_to_serve_metrics(loop: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", loop.front_door.metrics_port, timeout=10)
    conn.request("GET", f"/plugins/{PLUGIN}/metrics/prom")
    response = conn.getresponse()
    assert response.status == 200
    assert response.read() == b"requests_total 1 # /prom\n"
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4"
    conn.request("GET", "/plugins/com.nobody/metrics")
    assert conn.getresponse().status == 404
    conn.close()


def test_plugin_death_before_and_during_the_answer(loop: Any) -> None:
    """(*hooksGRPCClient).receiveHTTPResponse: a stream that fails before its first message is
    a plain 502; one that breaks off after the answer began ends that answer as written."""
    events = Events()
    loop.add_observer(events)
    status, _, body = _request(loop, "GET", "/die-before")
    assert (status, body) == (502, b"Bad Gateway\n")  # receiveHTTPResponse's http.Error
    events.wait(lambda: any(r.why.startswith("restart") for r in events.reloads))
    wait_for(lambda: loop.status[PLUGIN].state == "active", what="restart")
    with contextlib.closing(_conn(loop)) as conn:
        conn.request("GET", f"/plugins/{PLUGIN}/die-during")
        response = conn.getresponse()
        assert response.status == 200
        # receiveHTTPResponse returns at the broken stream and Go ends the answer it began
        assert response.read() == b"partial"
    events.wait(lambda: sum(r.why.startswith("restart") for r in events.reloads) >= 2)


def test_an_answer_that_never_flushes_waits_in_gos_buffers(loop: Any) -> None:
    """(*hooksGRPCClient).receiveHTTPResponse (server/public/plugin/hooks_grpc_client.go)
    writes the plugin's chunks into Go's net/http response, which holds them (2 KiB, then the
    connection's 4 KiB) until the plugin flushes: an event stream that never flushes reaches
    the client only when the handler ends; one that flushes, at once."""
    for query, within in (("?flush=1", 0.6), ("", None)):
        with contextlib.closing(_conn(loop)) as conn:
            started = time.monotonic()
            conn.request("GET", f"/plugins/{PLUGIN}/events{query}")
            response = conn.getresponse()
            assert response.status == 200
            first = response.fp.readline() + response.fp.readline()
            waited = time.monotonic() - started
            assert b"data: 0" in first
            if within is not None:
                assert waited < within
            else:
                assert waited >= 0.9  # the handler sleeps 1 s in all before it ends


def test_a_small_finished_answer_gets_a_content_length(loop: Any) -> None:
    """Go's chunkWriter.writeHeader: an answer whose body is still in the response's buffer
    when the handler ends goes out with a Content-Length, not chunked."""
    with contextlib.closing(_conn(loop)) as conn:
        conn.request("GET", f"/plugins/{PLUGIN}/small")
        response = conn.getresponse()
        assert response.read() == b"hello"
        assert response.headers["Content-Length"] == "5"
        assert "Transfer-Encoding" not in response.headers


@pytest.mark.parametrize("code", [204, 304])
def test_a_body_for_204_and_304_ends_the_answer(loop: Any, code: int) -> None:
    """Go's response.Write refuses a body for 204 and 304 (ErrBodyNotAllowed) and
    receiveHTTPResponse stops there: the client gets the status and the headers set before
    it, no body, no Content-Length."""
    status, headers, body = _request(loop, "GET", f"/no-body?code={code}")
    assert (status, body) == (code, b"")
    assert headers["X-Before"] == "1" and "X-After" not in headers
    assert "Content-Length" not in headers and "Transfer-Encoding" not in headers


def test_head_gets_the_length_of_what_the_plugin_wrote_and_no_body(loop: Any) -> None:
    """Go's chunkWriter eats a HEAD answer's body and, when the handler ends with all of it in
    the buffer, says its length."""
    status, headers, body = _request(loop, "HEAD", "/small")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == "5"


def test_the_head_is_written_as_go_writes_it(loop: Any) -> None:
    """Go's net/http (chunkWriter.writeHeader) sends no Server header, on the plugin's answers
    and the server's own (http.NotFound), and sniffs a Content-Type from the first body bytes
    only: an answer flushed before its first byte has none."""
    status, headers, body = _request(loop, "GET", "/small")
    assert status == 200 and "Server" not in headers
    status, headers, body = _request(loop, "GET", "/flush-first")
    assert (status, body) == (200, b"late")
    assert "Content-Type" not in headers and "Server" not in headers
    with contextlib.closing(_conn(loop)) as conn:
        conn.request("GET", "/plugins/com.example.nosuch/x")
        response = conn.getresponse()
        assert response.status == 404 and response.getheader("Server") is None


class _Raw:
    """One answer read off a socket as the bytes came (informational answers, the head, the
    body by its framing, the trailers) and whether the front door then closed the
    connection."""

    def __init__(self, loop: Any, path: str, extra: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", loop.front_door.port), timeout=10)
        self.sock.sendall(f"GET /plugins/{PLUGIN}{path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n"
                          .encode())
        self.reader = self.sock.makefile("rb")
        self.informational: list[tuple[str, list[tuple[str, str]]]] = []
        while True:
            status, headers = self._head()
            if not status.split()[1].startswith("1"):
                break
            self.informational.append((status, headers))
        self.status, self.headers = status, headers
        self.trailers: list[tuple[str, str]] = []
        self.body = self._body()

    def _head(self) -> tuple[str, list[tuple[str, str]]]:
        status = self.reader.readline().decode().rstrip("\r\n")
        return status, self._fields()

    def _fields(self) -> list[tuple[str, str]]:
        fields = []
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            key, _, value = line.decode().partition(":")
            fields.append((key, value.strip()))
        return fields

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == key.lower()]

    def _body(self) -> bytes:
        if "chunked" in self.get_all("Transfer-Encoding"):
            body = b""
            while size := int(self.reader.readline().split(b";")[0], 16):
                body += self.reader.read(size)
                self.reader.readline()
            self.trailers = self._fields()
            return body
        if self.get_all("Content-Length"):
            return self.reader.read(int(self.get_all("Content-Length")[0]))
        return self.reader.read()  # to the connection's end

    def closed(self) -> bool:
        """Whether the front door closed the connection after the answer."""
        self.sock.settimeout(1.0)
        try:
            return self.sock.recv(1) == b""
        except TimeoutError:
            return False
        finally:
            self.reader.close()
            self.sock.close()


def test_the_plugins_connection_header_goes_out_and_close_closes(loop: Any) -> None:
    """Go's chunkWriter.writeHeader writes the plugin's hop-by-hop headers (Connection,
    Keep-Alive, Upgrade, Te) as they are, and `Connection: close` closes the connection after
    the answer; without it the connection stays open for the next request."""
    raw = _Raw(loop, "/answer?h=Connection:close&h=Keep-Alive:timeout=5&h=Te:trailers&w=hi")
    assert (raw.status, raw.body) == ("HTTP/1.1 200 OK", b"hi")
    assert raw.get_all("Connection") == ["close"]
    assert raw.get_all("Keep-Alive") == ["timeout=5"] and raw.get_all("Te") == ["trailers"]
    assert raw.get_all("Content-Length") == ["2"]
    assert raw.closed()
    raw = _Raw(loop, "/answer?h=Upgrade:h2c&w=hi")
    assert raw.get_all("Upgrade") == ["h2c"] and not raw.get_all("Connection")
    assert not raw.closed()


def test_transfer_encoding_identity_ends_the_body_by_closing(loop: Any) -> None:
    """Go's chunkWriter.writeHeader: `Transfer-Encoding: identity` means no chunking, no
    Content-Length and no sniffed Content-Type: the body runs to the connection's close
    (`Connection: close`); a `Transfer-Encoding: chunked` of the plugin's is Go's own
    chunking, without the automatic Content-Length of a small answer."""
    raw = _Raw(loop, "/answer?h=Transfer-Encoding:identity&w=data:1&w=data:2&flush=1")
    assert (raw.status, raw.body) == ("HTTP/1.1 200 OK", b"data:1data:2")
    assert raw.get_all("Connection") == ["close"]
    assert not raw.get_all("Transfer-Encoding") and not raw.get_all("Content-Length")
    assert not raw.get_all("Content-Type")
    assert raw.closed()
    raw = _Raw(loop, "/answer?h=Transfer-Encoding:chunked&w=hi")
    assert raw.body == b"hi" and raw.get_all("Transfer-Encoding") == ["chunked"]
    assert not raw.get_all("Content-Length") and not raw.get_all("Content-Type")
    assert not raw.closed()


def test_declared_trailers_end_a_chunked_answer(loop: Any) -> None:
    """Go's chunkWriter: a `Trailer` header makes the answer chunked, and the last chunk
    carries the values of the keys it declares (finalTrailers)."""
    raw = _Raw(loop, "/answer?h=Trailer:X-Sum&h=X-Sum:abc&w=hi")
    assert raw.body == b"hi" and raw.get_all("Trailer") == ["X-Sum"]
    assert raw.get_all("Transfer-Encoding") == ["chunked"] and not raw.get_all("Content-Length")
    assert raw.trailers == [("X-Sum", "abc")]
    assert not raw.closed()


def test_a_1xx_status_is_an_informational_answer_then_a_200(loop: Any) -> None:
    """(*hooksGRPCClient).writeHTTPResponseHeaders calls WriteHeader(103): Go's net/http
    writes the informational answer with the plugin's headers at once, and the body goes out
    under an implicit 200 with the same headers (one without a body too)."""
    raw = _Raw(loop, "/answer?code=103&h=Link:</a.css>&w=hello")
    assert raw.informational == [("HTTP/1.1 103 Early Hints", [("Link", "</a.css>")])]
    assert (raw.status, raw.body) == ("HTTP/1.1 200 OK", b"hello")
    assert raw.get_all("Link") == ["</a.css>"] and raw.get_all("Content-Length") == ["5"]
    assert not raw.closed()
    raw = _Raw(loop, "/answer?code=103")
    assert [status for status, _ in raw.informational] == ["HTTP/1.1 103 Early Hints"]
    assert (raw.status, raw.body, raw.get_all("Content-Length")) == ("HTTP/1.1 200 OK", b"",
                                                                     ["0"])
    raw.closed()


def test_the_answers_header_keys_go_out_sorted_then_gos_own(loop: Any) -> None:
    """Go's chunkWriter.writeHeader writes the plugin's headers with Header.writeSubset, keys
    sorted whatever order the plugin set them in (each key's values in their order), then its
    own: Date, Content-Length, Content-Type."""
    raw = _Raw(loop, "/answer?h=X-Zeta:1&h=Cache-Control:no-store&h=X-Alpha:2&h=X-Zeta:3"
                     "&w=hello")
    assert [k for k, _ in raw.headers] == ["Cache-Control", "X-Alpha", "X-Zeta", "X-Zeta",
                                           "Date", "Content-Length", "Content-Type"]
    assert raw.get_all("X-Zeta") == ["1", "3"] and raw.body == b"hello"
    raw.closed()


def test_a_content_length_that_is_not_a_number_is_dropped(loop: Any) -> None:
    """Go's (*response).WriteHeader drops a Content-Length strconv.ParseInt does not read as a
    length (logging `http: invalid Content-Length`): the answer is framed as if the plugin had
    set none; one with a sign is a length."""
    raw = _Raw(loop, "/answer?h=Content-Length:five&w=hello")
    assert (raw.status, raw.body) == ("HTTP/1.1 200 OK", b"hello")
    assert raw.get_all("Content-Length") == ["5"]
    assert not raw.closed()
    raw = _Raw(loop, "/answer?h=Content-Length:-5&w=hi&flush=1")
    assert raw.body == b"hi" and raw.get_all("Transfer-Encoding") == ["chunked"]
    assert not raw.get_all("Content-Length")
    assert not raw.closed()


def test_a_newline_in_a_header_value_goes_out_as_a_space(loop: Any) -> None:
    """Go's Header.writeSubset (headerNewlineToSpace) writes a newline or carriage return in
    a value as a space, so a plugin's value cannot split the answer's head."""
    raw = _Raw(loop, "/answer?h=X-Note:one%0Atwo%0D%0Athree&w=ok")
    assert (raw.status, raw.body) == ("HTTP/1.1 200 OK", b"ok")
    assert raw.get_all("X-Note") == ["one two  three"]
    assert not raw.closed()


def _exchange(loop: Any, head: str, body: bytes = b"") -> tuple[bytes, bool]:
    """What the front door answers to ``head`` (and ``body``) sent as they are on a socket,
    and whether it then closed the connection."""
    sock = socket.create_connection(("127.0.0.1", loop.front_door.port), timeout=10)
    with sock:
        sock.sendall(head.encode("latin-1") + body)
        sock.settimeout(1.0)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            return answer, False
        return answer, True


def _echoed(answer: bytes) -> Any:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), answer
    if b"Transfer-Encoding: chunked" in head:
        pieces = []
        while (size := int(body.partition(b"\r\n")[0], 16)):
            start = body.index(b"\r\n") + 2
            pieces.append(body[start:start + size])
            body = body[start + size + 2:]
        body = b"".join(pieces)
    return json.loads(body)


def test_a_repeated_header_reaches_the_plugin_as_go_reads_it(loop: Any) -> None:
    """Go's net/http readRequest keeps every line of a repeated header (two Content-Type lines
    are two values), keeps one of several equal Content-Length lines (fixLength) and drops a
    Content-Length beside a chunked body (readTransfer)."""
    answer, closed = _exchange(loop, f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                                     "Content-Type: a\r\ncontent-type: b\r\n"
                                     "Content-Length: 2\r\nContent-Length: 2\r\n\r\n", b"hi")
    data = _echoed(answer)
    assert data["headers"]["Content-Type"] == ["a", "b"]
    assert data["headers"]["Content-Length"] == ["2"] and data["total"] == 2
    assert not closed
    answer, _ = _exchange(loop, f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                                "Transfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n",
                          b"2\r\nhi\r\n0\r\n\r\n")
    data = _echoed(answer)
    assert data["total"] == 2 and data["content_length"] == -1
    assert "Content-Length" not in data["headers"]


GO_REFUSED = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize(("head", "answer"), [
    ("Host: x\r\nHost: y\r\n", "400 Bad Request" + GO_REFUSED + "400 Bad Request"),
    ("Host: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n",
     "400 Bad Request" + GO_REFUSED + "400 Bad Request"),
    ("Host: x\r\nTransfer-Encoding: gzip, chunked\r\n",
     "501 Not Implemented" + GO_REFUSED + "Unsupported transfer encoding"),
    ("Host: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
     "501 Not Implemented" + GO_REFUSED + "Unsupported transfer encoding"),
    ("", "400 Bad Request: missing required Host header" + GO_REFUSED
     + "400 Bad Request: missing required Host header"),
    ("Host: a b\r\n", "400 Bad Request: malformed Host header" + GO_REFUSED
     + "400 Bad Request: malformed Host header"),
    ("Host: x\r\nX-Bad: a\x01b\r\n", "400 Bad Request" + GO_REFUSED + "400 Bad Request"),
    ("Host: x\r\nX-Bad : a\r\n", "400 Bad Request: invalid header name" + GO_REFUSED
     + "400 Bad Request: invalid header name"),
], ids=["two-hosts", "lengths-differ", "gzip", "two-codings", "no-host", "bad-host",
        "control-byte", "space-in-name"])
def test_a_head_go_refuses_gets_gos_answer(loop: Any, head: str, answer: str) -> None:
    """Go's (*conn).serve answers a request readRequest refuses with its own bytes and closes
    the connection: two Host lines, differing Content-Lengths and a head it cannot read are a
    plain 400, a Transfer-Encoding other than one `chunked` is 501 (readTransfer), an HTTP/1.1
    request without a Host or with a bad one, or with a header name textproto let through with
    a space in it (httpguts.ValidHeaderFieldName), is a 400 that says so
    ((*conn).readRequest, server.go)."""
    got, closed = _exchange(loop, f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\n{head}\r\n")
    assert got.decode("latin-1") == "HTTP/1.1 " + answer
    assert closed


class _Exchanges:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_exchange(self, event: Any) -> None:
        self.events.append(event)


def test_a_refused_head_is_reported_with_what_was_wrong(loop: Any) -> None:
    """The client gets Go's terse answer; the dev session's request line says what Go found
    wrong in the head, so the plugin's author can fix the client."""
    seen = _Exchanges()
    loop.add_observer(seen)
    _exchange(loop, f"POST /plugins/{PLUGIN}/echo?a=1 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
    wait_for(lambda: seen.events, what="the refused request's report")
    event = seen.events[0]
    assert (event.plugin_id, event.status) == (PLUGIN, 400)
    assert event.request.init.method == "POST"
    assert event.request.init.request_uri == f"/plugins/{PLUGIN}/echo?a=1"
    assert event.error == "2 Host headers (x, y): send one"


def test_the_aiohttp_internals_the_head_reading_needs_are_there() -> None:
    """The front door reads heads through parts of the pinned aiohttp that are not its public
    API (mmplug.devloop._go_reading); an aiohttp that changes them fails here, by name."""
    import inspect

    from aiohttp.http_parser import HttpRequestParserPy
    from aiohttp.web_protocol import RequestHandler, _ErrInfo
    from aiohttp.web_response import StreamResponse

    from mmplug.devloop._go_reading import GoRequestHandler, GoRequestParser, GoServer

    assert list(inspect.signature(HttpRequestParserPy.parse_message).parameters) == [
        "self", "lines"]
    assert list(inspect.signature(RequestHandler.handle_error).parameters) == [
        "self", "request", "status", "exc", "message"]
    assert inspect.iscoroutinefunction(StreamResponse._write_headers)

    async def made() -> RequestHandler:
        return GoServer(lambda request: None)()  # type: ignore[arg-type,return-value]

    handler = asyncio.run(made())
    assert isinstance(handler, GoRequestHandler)
    assert isinstance(handler._parser, GoRequestParser)
    assert isinstance(handler._read_bufsize, int)
    assert isinstance(handler._max_msg_queue_size, int)
    # the parser's state GoRequestParser.feed_data reads and sets around aiohttp's own
    parser = handler._parser
    assert list(inspect.signature(HttpRequestParserPy.feed_data).parameters)[:2] == [
        "self", "data"]
    assert (parser._tail, parser._payload_parser, parser._upgraded) == (b"", None, False)
    assert parser._payload_has_more_data is False
    assert isinstance(parser._max_msg_queue_size, int) and parser._msg_in_flight == 0
    assert list(inspect.signature(_ErrInfo).parameters) == ["status", "exc", "message"]


def test_an_expectation_other_than_100_continue_is_a_417(loop: Any) -> None:
    """Go's (*conn).serve answers an `Expect` it does not know with sendExpectationFailed: an
    empty 417 that closes the connection, before any handler (the plugin is not asked); a
    `100-continue` among the values is known, but a request without a body gets no
    `100 Continue`."""
    answer, closed = _exchange(loop, f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                                     "Expect: 101-checkpoint\r\nContent-Length: 2\r\n\r\n")
    head, _, body = answer.decode("latin-1").partition("\r\n\r\n")
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 417 Expectation Failed" and body == ""
    assert [line.split(":")[0] for line in lines[1:]] == ["Connection", "Date",
                                                          "Content-Length"]
    assert "Connection: close" in lines and "Content-Length: 0" in lines
    assert closed
    answer, closed = _exchange(loop, f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                                     "Expect: 100-Continue\r\nContent-Length: 0\r\n\r\n")
    data = _echoed(answer)  # straight to the answer: nothing to continue
    assert data["total"] == 0 and data["headers"]["Expect"] == ["100-Continue"]
    assert not closed


def test_a_head_is_read_up_to_gos_limit(loop: Any) -> None:
    """Go's server reads a head of up to its MaxHeaderBytes (1 MiB, and the 4 KiB it allows on
    top, (*conn).readRequest): a long query or header reaches the plugin; a longer head is
    refused with Go's 431, the connection closed."""
    query = "q=" + "a" * 20_000
    answer, _ = _exchange(loop, f"GET /plugins/{PLUGIN}/echo?{query} HTTP/1.1\r\nHost: x\r\n"
                                f"X-Long: {'b' * 20_000}\r\n\r\n")
    data = _echoed(answer)
    assert data["url"] == f"/echo?{query}" and data["headers"]["X-Long"] == ["b" * 20_000]
    answer, closed = _exchange(loop, f"GET /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                                     f"X-Long: {'b' * (MiB + 5000)}\r\n\r\n")
    assert answer.decode() == ("HTTP/1.1 431 Request Header Fields Too Large" + GO_REFUSED
                               + "431 Request Header Fields Too Large")
    assert closed


def test_an_http_1_0_client_is_answered_by_gos_rules(loop: Any) -> None:
    """Go's net/http with an HTTP/1.0 client ((*response).shouldReuseConnection,
    chunkWriter.writeHeader, readTransfer): an `HTTP/1.0` status line; the connection closes
    after the answer unless the client asked `Connection: keep-alive` and the answer has a
    length (it then says `Connection: keep-alive`); an answer of unknown length is not chunked
    but ends with the connection; the request's `Transfer-Encoding` is ignored (no body) and
    an `Expect: 100-continue` gets no `100 Continue`."""
    answer, closed = _exchange(loop, f"GET /plugins/{PLUGIN}/small HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK\r\n") and body == b"hello"
    assert b"Content-Length: 5" in head and b"Connection" not in head and closed
    answer, closed = _exchange(loop, f"GET /plugins/{PLUGIN}/small HTTP/1.0\r\n"
                                     "Connection: keep-alive\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"\r\nConnection: keep-alive" in head and body == b"hello" and not closed
    answer, closed = _exchange(loop, f"GET /plugins/{PLUGIN}/drip HTTP/1.0\r\n"
                                     "Connection: keep-alive\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK\r\n") and body == b"part0\npart1\npart2\n"
    assert b"Connection" not in head and b"Transfer-Encoding" not in head and closed
    answer, closed = _exchange(loop, f"POST /plugins/{PLUGIN}/echo HTTP/1.0\r\n"
                                     "Transfer-Encoding: chunked\r\n"
                                     "Expect: 100-continue\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK\r\n"), answer
    data = json.loads(body)
    assert data["total"] == 0 and data["content_length"] == 0
    assert "Transfer-Encoding" not in data["headers"]


@pytest.mark.parametrize("method", ["get", "FOO", "Purge"])
def test_the_method_reaches_the_plugin_as_sent(loop: Any, method: str) -> None:
    """Go's readRequest takes any token as the method (validMethod) and keeps its case: the
    plugin sees `get` as `get` and a method of its own making as it is."""
    answer, _ = _exchange(loop, f"{method} /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _echoed(answer)["method"] == method


def test_only_head_in_capitals_is_answered_without_a_body(loop: Any) -> None:
    """Go's response (``w.req.Method == "HEAD"``) leaves out the body of a HEAD answer only;
    `head` is a method of its own, answered with its body."""
    answer, _ = _exchange(loop, f"head /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\n"
                                "Connection: close\r\n\r\n")
    assert answer.endswith(b"\r\n\r\nhello"), answer
    answer, _ = _exchange(loop, f"HEAD /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\n"
                                "Connection: close\r\n\r\n")
    assert answer.endswith(b"\r\n\r\n") and b"Content-Length: 5" in answer, answer


def test_pragma_no_cache_brings_cache_control(loop: Any) -> None:
    """Go's readRequest (fixPragmaCacheControl): a request whose first `Pragma` is `no-cache`
    and that has no `Cache-Control` reaches the handler with `Cache-Control: no-cache`."""
    _, _, body = _request(loop, "GET", "/echo", headers=[("Pragma", "no-cache")])
    assert json.loads(body)["headers"]["Cache-Control"] == ["no-cache"]
    _, _, body = _request(loop, "GET", "/echo", headers=[("Pragma", "no-cache"),
                                                         ("Cache-Control", "max-age=5")])
    assert json.loads(body)["headers"]["Cache-Control"] == ["max-age=5"]
    _, _, body = _request(loop, "GET", "/echo", headers=[("Pragma", "x, no-cache")])
    assert "Cache-Control" not in json.loads(body)["headers"]


def test_a_compressed_body_reaches_the_plugin_as_sent(loop: Any) -> None:
    """Go's net/http hands the handler the request body as it came: a gzip body with its
    `Content-Encoding: gzip` is the gzip bytes, for the plugin to decompress."""
    import gzip

    blob = gzip.compress(b"hello world" * 100)
    status, _, body = _request(loop, "POST", "/echo", body=blob,
                               headers=[("Content-Encoding", "gzip")])
    data = json.loads(body)
    assert status == 200 and data["total"] == len(blob)
    assert data["sha256"] == hashlib.sha256(blob).hexdigest()
    assert data["headers"]["Content-Encoding"] == ["gzip"]


def _answers(loop: Any, raw: bytes, count: int) -> tuple[list[tuple[str, bytes, bytes]], bool]:
    """The ``count`` answers (status line, head, body by its Content-Length, else to the
    connection's end) the front door sends to ``raw`` on one connection, however long they
    take, and whether it then closed the connection (at once, not after more bytes)."""
    sock = socket.create_connection(("127.0.0.1", loop.front_door.port), timeout=30)
    with sock, sock.makefile("rb") as reader:
        sock.sendall(raw)
        return _read_answers(reader, sock, count)


def _read_answers(reader: Any, sock: socket.socket,
                  count: int) -> tuple[list[tuple[str, bytes, bytes]], bool]:
    """``count`` answers read off ``reader`` (see :func:`_answers`), and whether the
    connection then closed."""
    answers = []
    for _ in range(count):
        head = b""
        while (line := reader.readline()) not in (b"\r\n", b""):
            head += line
        head = head.rstrip(b"\r\n")
        size = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")), -1)
        answers.append((head.split(b"\r\n")[0].decode(), head, reader.read(size)))
    sock.settimeout(1.0)
    try:
        closed = reader.read(1) == b""
    except TimeoutError:
        closed = False
    return answers, closed


def test_a_line_may_end_with_a_bare_lf_as_go_reads_it(loop: Any) -> None:
    """Go's textproto reader (textproto.(*Reader).readLineSlice, bufio.(*Reader).ReadLine,
    net/textproto/reader.go) ends a line at `\\n`, with or without the `\\r` before it:
    a head of bare LFs, or of both kinds, is read as one of CRLFs."""
    answer, _ = _exchange(loop, f"GET /plugins/{PLUGIN}/echo?a=1 HTTP/1.1\nHost: x\n"
                                "X-One: 1\n\n")
    data = _echoed(answer)
    assert data["url"] == "/echo?a=1" and data["headers"]["X-One"] == ["1"]
    answer, closed = _exchange(loop, f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\n"
                                     "Content-Length: 2\r\nX-Two: 2\n\r\n", b"hi")
    data = _echoed(answer)
    assert data["headers"]["X-Two"] == ["2"] and data["total"] == 2 and not closed


def test_a_folded_header_line_is_joined_as_go_joins_it(loop: Any) -> None:
    """Go's textproto.(*Reader).readContinuedLineSlice (ReadMIMEHeader) takes a line that starts
    with a space or tab as the continuation of the header line before it: the parts trimmed
    and joined by one space. ReadMIMEHeader refuses a first header line that starts with a
    space (a plain 400 from (*conn).serve)."""
    answer, _ = _exchange(loop, f"GET /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                                "X-Fold: a \r\n   b\r\n\t c  \r\nX-Next: 1\r\n\r\n")
    data = _echoed(answer)
    assert data["headers"]["X-Fold"] == ["a b c"] and data["headers"]["X-Next"] == ["1"]
    answer, closed = _exchange(loop, f"GET /plugins/{PLUGIN}/echo HTTP/1.1\r\n X-Lead: 1\r\n"
                                     "Host: x\r\n\r\n")
    assert answer.decode() == "HTTP/1.1 400 Bad Request" + GO_REFUSED + "400 Bad Request"
    assert closed


def test_an_absolute_form_target_gives_the_path_and_the_host(loop: Any) -> None:
    """Go's readRequest (net/http/request.go) reads the target with url.ParseRequestURI and
    takes the request's host from an absolute URL (`req.Host = req.URL.Host`), the Host header
    ignored but still required; servePluginRequest (server/channels/app/plugin_requests.go)
    cuts the prefix off the URL's path, so the plugin's url keeps the scheme and host
    (`r.URL.String()`); a target ParseRequestURI refuses (a bad port, a bad `%` escape in
    the path) is a plain 400."""
    target = f"HTTP://Example.com:99/plugins/{PLUGIN}/echo?b=2&a=1"
    answer, _ = _exchange(loop, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n")
    data = _echoed(answer)
    assert data["url"] == "http://Example.com:99/echo?a=1&b=2"
    assert data["host"] == "Example.com:99" and data["request_uri"] == target
    assert "Host" not in data["headers"]
    for bad in (f"http://example.com:x/plugins/{PLUGIN}/echo", f"/plugins/{PLUGIN}/e%zz"):
        answer, closed = _exchange(loop, f"GET {bad} HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.decode() == "HTTP/1.1 400 Bad Request" + GO_REFUSED + "400 Bad Request"
        assert closed


def test_a_header_value_that_is_not_utf8_is_the_servers_502(loop: Any) -> None:
    """Go's textproto (validHeaderValueByte) and net/http (httpguts.ValidHeaderFieldValue)
    take bytes past ASCII in a value, but the server's (*hooksGRPCClient).sendHTTPRequest
    (server/public/plugin/hooks_grpc_client.go) cannot marshal a protobuf string that is not
    UTF-8: the stream fails and receiveHTTPResponse answers http.Error's 502; the dev screen
    says why. A UTF-8 value reaches the plugin as it is."""
    seen = _Exchanges()
    loop.add_observer(seen)
    [(status, _, body)], closed = _answers(loop, f"GET /plugins/{PLUGIN}/echo HTTP/1.1\r\n"
                                                 "Host: x\r\nX-Latin: caf\xe9\r\n\r\n"
                                                 .encode("latin-1"), 1)
    assert (status, body) == ("HTTP/1.1 502 Bad Gateway", b"Bad Gateway\n") and not closed
    wait_for(lambda: seen.events, what="the request's report")
    assert seen.events[0].status == 502 and "not UTF-8" in (seen.events[0].error or "")
    answer, _ = _exchange(loop, f"GET /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\n"
                                "X-Utf8: caf\xc3\xa9\r\n\r\n")
    assert _echoed(answer)["headers"]["X-Utf8"] == ["caf\u00e9"]


def test_nothing_after_a_request_that_closes_the_connection_is_read(loop: Any) -> None:
    """Go's (*conn).serve reads the next request only on a connection it keeps
    ((*response).shouldReuseConnection): after a request with `Connection: close` (or an
    HTTP/1.0 one without keep-alive) it answers that one and closes, whatever followed it.
    Requests sent together on a kept connection are answered in turn, a body between them,
    and one readRequest refuses is answered with its 400 after those before it."""
    second = f"GET /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\n\r\n"
    for first in (f"GET /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\nConnection: close"
                  "\r\n\r\n", f"GET /plugins/{PLUGIN}/small HTTP/1.0\r\n\r\n"):
        [(status, _, body)], closed = _answers(loop, (first + second).encode(), 1)
        assert (status[9:], body, closed) == ("200 OK", b"hello", True)
    answers, closed = _answers(loop, (
        f"POST /plugins/{PLUGIN}/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
        + second.replace("\r", "") + "GET /plugins/x HTTP/1.1\r\nHost: a b\r\n\r\n"
        + second).encode(), 3)
    assert [status for status, _, _ in answers] == [
        "HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request: malformed Host header"]
    assert json.loads(answers[0][2])["total"] == 2 and answers[1][2] == b"hello" and closed


def test_an_empty_line_before_a_request_is_skipped_only_after_a_post(loop: Any) -> None:
    """Go's (*conn).readRequest skips up to 4 CR or LF bytes before a request that follows a
    POST (old clients end a body with a stray CRLF); anywhere else an empty line is read as the
    request line, and readRequest refuses it (a plain 400)."""
    second = f"GET /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\n\r\n"
    answers, _ = _answers(loop, f"POST /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\n"
                                f"Content-Length: 0\r\n\r\n\r\n{second}".encode(), 2)
    assert [status for status, _, _ in answers] == ["HTTP/1.1 200 OK"] * 2
    answers, closed = _answers(loop, f"GET /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\n"
                                     f"\r\n\r\n{second}".encode(), 2)
    assert answers[1] == ("HTTP/1.1 400 Bad Request", ("HTTP/1.1 400 Bad Request"
                          + GO_REFUSED.rstrip()).encode(), b"400 Bad Request")
    assert closed


def test_a_body_left_unread_past_256k_closes_the_connection(loop: Any) -> None:
    """Go's chunkWriter.writeHeader (net/http/server.go): when the handler answers with more of
    the request body unread than maxPostHandlerReadBytes (256 KiB), the server does not read on
    (requestTooLarge): the answer says `Connection: close` and the connection closes; a
    smaller rest is read and the connection kept."""
    [(status, head, body)], closed = _answers(
        loop, f"POST /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\nContent-Length: "
              f"{100 * MiB}\r\n\r\n".encode() + b"x" * 65536, 1)
    assert (status, body) == ("HTTP/1.1 200 OK", b"hello")
    assert head.endswith(b"\r\nConnection: close") and closed
    [(status, head, body)], closed = _answers(
        loop, f"POST /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000"
              "\r\n\r\n".encode() + b"x" * 1000, 1)
    assert body == b"hello" and b"Connection" not in head and not closed


def _answer_while_sending(loop: Any, head: str, body: bytes, *, endless: bool = False,
                          expect: bool = False) -> tuple[bytes, bytes, bool]:
    """The answer (its head and its body, by its Content-Length) the front door sends to
    ``head`` and ``body`` (after a ``100 Continue`` when ``expect``; ``body`` sent again and
    again, ``endless``, until the front door closes the connection), and whether it closed the
    connection after the answer."""
    sock = socket.create_connection(("127.0.0.1", loop.front_door.port), timeout=30)
    stop = threading.Event()

    def send() -> None:
        with contextlib.suppress(OSError):
            sock.sendall(body)
            while endless and not stop.is_set():
                sock.sendall(body)

    sender = threading.Thread(target=send, daemon=True)
    with sock, sock.makefile("rb") as reader:
        sock.sendall(head.encode())
        if expect:
            assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
            assert reader.readline() == b"\r\n"
        sender.start()
        [(_, lines, answer)], closed = _read_answers(reader, sock, 1)
        stop.set()
    sender.join(5)
    return lines, answer, closed


def test_a_chunked_body_left_unread_is_read_on_only_256k(loop: Any) -> None:
    """Go's chunkWriter.writeHeader (net/http/server.go): a chunked body the handler left
    unread has no length to judge by, so the server reads on (io.CopyN) at most
    maxPostHandlerReadBytes and one byte of it; a body that goes on past that is too large
    (requestTooLarge): the answer says `Connection: close` and the connection closes, the
    rest of the body never read. A chunked rest that ends sooner is read and the connection
    kept."""
    piece = b"x" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    head = f"POST /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    lines, body, closed = _answer_while_sending(loop, head, chunk, endless=True)
    assert lines.startswith(b"HTTP/1.1 200 OK\r\n") and body == b"hello"
    assert lines.endswith(b"\r\nConnection: close") and closed
    lines, body, closed = _answer_while_sending(loop, head, chunk * 2 + b"0\r\n\r\n")
    assert body == b"hello" and b"Connection" not in lines and not closed


def test_an_expect_100_continue_body_left_unread_closes_the_connection(loop: Any) -> None:
    """Go's chunkWriter.writeHeader (net/http/server.go): a body behind an
    expectContinueReader that was not read to its end when the answer's head goes out leaves
    the connection in a state Go cannot know (the client may send the rest yet), so the
    server closes it (closeAfterReply: `Connection: close`), however little is left. The
    server's hook client reads the first chunk before the plugin runs, so a plugin's answer
    follows a `100 Continue`; a request the server answers without reading it (an unknown
    plugin's 404) gets none."""
    lines, body, closed = _answer_while_sending(
        loop, f"POST /plugins/{PLUGIN}/small HTTP/1.1\r\nHost: x\r\nContent-Length: 200000"
              "\r\nExpect: 100-continue\r\n\r\n", b"x" * 100000, expect=True)
    assert lines.startswith(b"HTTP/1.1 200 OK\r\n") and body == b"hello"
    assert lines.endswith(b"\r\nConnection: close") and closed
    answer, closed = _exchange(loop, "POST /plugins/com.nobody/x HTTP/1.1\r\nHost: x\r\n"
                                     "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    lines, _, body = answer.partition(b"\r\n\r\n")
    assert lines.startswith(b"HTTP/1.1 404 Not Found\r\n") and body == b"404 page not found\n"
    assert b"\r\nConnection: close" in lines and closed


def test_a_target_with_a_scheme_and_no_path_routes_nowhere(loop: Any) -> None:
    """Go's url.ParseRequestURI (net/url/url.go, parse) reads a scheme followed by a rootless
    path (`http:x`) as an opaque URL, and an authority without a path (`http://host`) as a URL
    with an empty path, which readRequest accepts; neither has a path, so no route of the
    server takes it: the unknown route's 404, not the 400 of a target Go refuses."""
    seen = _Exchanges()
    loop.add_observer(seen)
    for target in ("http://example.com?a=1", "http:x"):
        answer, closed = _exchange(loop, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 404 Not Found\r\n") and not closed
    wait_for(lambda: [e for e in seen.events if e.request.init.request_uri == "http:x"],
             what="the request's report")  # (a request of a test before may end meanwhile)
    assert [e.status for e in seen.events if e.request.init.request_uri == "http:x"] == [404]


def test_an_absolute_targets_user_and_host_are_read_as_go_reads_them(loop: Any) -> None:
    """Go's url.parseAuthority (net/url/url.go) unescapes the user name and password, and
    (*URL).String escapes them again as user information is escaped (`%41` is `A`, `!`
    becomes `%21`, a `:` in the password `%3A`); parseHost unescapes the host, an IPv6
    zone (after its `%25`) with escapes of any byte a host may have, and the request's host
    is that (readRequest: `req.Host = req.URL.Host`). A bad `%` escape in the user
    information is refused (unescape), a plain 400."""
    target = f"http://u%41!:p%3a:@example.com/plugins/{PLUGIN}/echo"
    data = _echoed(_exchange(loop, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n")[0])
    assert data["url"] == "http://uA%21:p%3A%3A@example.com/echo"
    assert data["host"] == "example.com" and data["request_uri"] == target
    target = f"http://[fe80::1%25en%30]:99/plugins/{PLUGIN}/echo"
    data = _echoed(_exchange(loop, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n")[0])
    assert data["url"] == "http://[fe80::1%25en0]:99/echo"
    assert data["host"] == "[fe80::1%en0]:99"
    answer, closed = _exchange(loop, f"GET http://u%zz@x/plugins/{PLUGIN}/echo HTTP/1.1\r\n"
                                     "Host: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n") and closed


def test_a_refused_absolute_target_is_reported_with_its_plugin(loop: Any) -> None:
    """A head Go refuses ((*conn).serve) whose target is absolute-form is reported with the
    plugin its path names, as an origin-form one is."""
    seen = _Exchanges()
    loop.add_observer(seen)
    target = f"http://example.com/plugins/{PLUGIN}/echo?a=1"
    _exchange(loop, f"GET {target} HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
    wait_for(lambda: [e for e in seen.events if e.request.init.request_uri == target],
             what="the refused request's report")
    assert [(e.plugin_id, e.status) for e in seen.events
            if e.request.init.request_uri == target] == [(PLUGIN, 400)]


def test_a_path_that_is_not_clean_is_redirected_to_the_clean_one(loop: Any) -> None:
    """The server's router (gorilla/mux, without SkipClean: NewServer,
    server/channels/app/server.go) cleans every request's decoded path before it routes it
    ((*Router).ServeHTTP, cleanPath: path.Clean, the trailing slash kept) and answers a path
    that cleaning changes with a 301 to the URL with the clean path (`(*URL).String`, the
    query as sent); the plugin is sent nothing. A clean path reaches the plugin."""
    cases = {
        f"/plugins/{PLUGIN}//echo?b=2": f"/plugins/{PLUGIN}/echo?b=2",
        f"/plugins/{PLUGIN}/x/../echo/": f"/plugins/{PLUGIN}/echo/",
        f"/plugins//{PLUGIN}/./echo": f"/plugins/{PLUGIN}/echo",
        f"/plugins/{PLUGIN}/a%2F%2Fb(c)": f"/plugins/{PLUGIN}/a/b%28c%29",
        f"http://example.com/plugins/{PLUGIN}//echo": f"http://example.com/plugins/{PLUGIN}/echo",
    }
    for target, location in cases.items():
        [(status, head, body)], _ = _answers(
            loop, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 1)
        assert status == "HTTP/1.1 301 Moved Permanently", (target, status)
        assert f"Location: {location}".encode() in head.split(b"\r\n"), (target, head)
        assert body == b""  # (the plugin would have echoed the request)
    assert _echoed(_exchange(loop, f"GET /plugins/{PLUGIN}/echo/ HTTP/1.1\r\n"
                                   "Host: x\r\n\r\n")[0])["url"] == "/echo/"


def test_options_star_is_answered_by_the_server_itself(loop: Any) -> None:
    """Go's serverHandler.ServeHTTP (net/http/server.go) answers `OPTIONS *` with its
    globalOptionsHandler (200, `Content-Length: 0`) before any router or plugin sees it."""
    [(status, head, body)], closed = _answers(loop, b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
                                              1)
    assert (status, body, closed) == ("HTTP/1.1 200 OK", b"", False)
    assert b"Content-Length: 0" in head.split(b"\r\n")
    assert not any(line.startswith(b"Location") for line in head.split(b"\r\n"))
