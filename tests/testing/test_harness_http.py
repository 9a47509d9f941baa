"""`plugin.http(...)` sends the request as a client does and the plugin gets it as the server
passes it on: the same cleaning as `mmplug dev`'s front door."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mmplug.testing import PluginHarness

PLUGIN = "com.example.echo"
HTTP_PLUGIN = Path(__file__).resolve().parents[1] / "devloop" / "http_plugin.py"
# the echo plugin also serves ServeMetrics, which mmplug check warns about
pytestmark = pytest.mark.filterwarnings("ignore::mmplug.testing.MmplugLoadWarning")


@pytest.fixture(scope="module")
def mmplug_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("harness-http") / "echo"
    project.mkdir()
    shutil.copy(HTTP_PLUGIN, project / "plugin.py")
    (project / "plugin.json").write_text(json.dumps({
        "id": PLUGIN, "name": "Echo", "version": "0.1.0",
        "server": {"executable": "plugin.py"}}))
    return project


def _echo(plugin: PluginHarness, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    status, _, body = plugin.http(method, path, **kwargs)
    assert status == 200, body
    return dict(json.loads(body))


def test_the_harness_cleans_the_request_as_the_server_does(plugin: PluginHarness) -> None:
    """servePluginRequest (server/channels/app/plugin_requests.go) with Go's net/http: header
    keys canonical, length 0 for a request without a body, the query re-encoded with its keys
    sorted and without access_token, the whole path in request_uri, a client's own
    Mattermost-User-Id replaced by the user the request is made as."""
    seen = _echo(plugin, "GET", "/echo?b=2&a=1&access_token=t",
                 headers={"content-type": "a", "x-custom-thing": "b"})
    assert seen["headers"]["Content-Type"] == ["a"]
    assert seen["headers"]["X-Custom-Thing"] == ["b"]
    assert seen["content_length"] == 0
    assert seen["url"] == "/echo?a=1&b=2"
    assert seen["request_uri"] == f"/plugins/{PLUGIN}/echo?b=2&a=1&access_token=t"
    seen = _echo(plugin, "GET", "/echo", user_id="someone",
                 headers={"mattermost-user-id": "forged"})
    assert seen["user"] == "someone"
    assert seen["headers"]["Mattermost-User-Id"] == ["someone"]


def test_a_path_that_is_not_clean_is_the_routers_redirect(plugin: PluginHarness) -> None:
    """The server's router (gorilla/mux's (*Router).ServeHTTP, cleanPath) answers a path that
    cleaning changes with a 301 to the clean path before any plugin is asked, as the dev
    front door does; a clean one reaches the plugin."""
    status, headers, body = plugin.http("GET", "/a//../echo?x=1")
    assert (status, headers["Location"], body) == (301, f"/plugins/{PLUGIN}/echo?x=1", b"")
    assert _echo(plugin, "GET", "/echo?x=1")["url"] == "/echo?x=1"


def test_the_harness_sends_the_length_of_the_body(plugin: PluginHarness) -> None:
    """A body of known length arrives with its length (Content-Length), none with 0, one
    streamed in chunks with -1 and no Transfer-Encoding header, as Go's net/http reads
    them."""
    assert _echo(plugin, "POST", "/echo")["content_length"] == 0
    seen = _echo(plugin, "POST", "/echo", body=b"12345")
    assert (seen["content_length"], seen["total"]) == (5, 5)
    assert seen["headers"]["Content-Length"] == ["5"]
    seen = _echo(plugin, "POST", "/echo", body=iter([b"ab", b"cd"]))
    assert (seen["content_length"], seen["total"]) == (-1, 4)
    assert "Transfer-Encoding" not in seen["headers"]


def test_the_harness_signs_a_request_in_with_its_session_token(plugin: PluginHarness) -> None:
    """servePluginRequest (server/channels/app/plugin_requests.go): a request whose token
    finds a valid session is made as the session's user, without its Authorization header; an
    unknown token leaves it unauthenticated with the header."""
    from mmplug.host.api.users_sessions import create_session
    from mmplug.protocol import api_user_team_pb2 as pb

    bob = plugin.world.user("bob").id
    session = create_session(plugin.session.host_context(), pb.CreateSessionRequest(
        session=pb.Session(user_id=bob))).session
    seen = _echo(plugin, "GET", "/echo", headers={"Authorization": f"Bearer {session.token}"})
    assert (seen["user"], seen["session_id"]) == (bob, session.id)
    assert "Authorization" not in seen["headers"]
    seen = _echo(plugin, "GET", "/echo", headers={"Authorization": "Bearer nosuchtoken"})
    assert seen["user"] == "" and seen["headers"]["Authorization"] == ["Bearer nosuchtoken"]


def test_the_harness_reads_the_answer_as_a_client_of_the_server(plugin: PluginHarness) -> None:
    """(*hooksGRPCClient).receiveHTTPResponse (server/public/plugin/hooks_grpc_client.go)
    writes the plugin's answer into Go's net/http response: a small finished answer gets a
    Content-Length and a sniffed Content-Type, one flushed before its end is chunked, HEAD
    gets no body, and a body for 204 or 304 ends the answer with the headers set before it."""
    status, headers, body = plugin.http("GET", "/small")
    assert (status, body) == (200, b"hello")
    assert headers["Content-Length"] == "5"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Transfer-Encoding" not in headers
    status, headers, body = plugin.http("HEAD", "/small")
    assert (status, body, headers["Content-Length"]) == (200, b"", "5")
    status, headers, body = plugin.http("GET", "/drip")
    assert body == b"part0\npart1\npart2\n"
    assert headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in headers
    for code in (204, 304):
        status, headers, body = plugin.http("GET", f"/no-body?code={code}")
        assert (status, body) == (code, b"")
        assert headers["X-Before"] == "1" and "X-After" not in headers
        assert "Content-Length" not in headers


def test_the_harness_keeps_every_value_of_a_repeated_header(plugin: PluginHarness) -> None:
    """(*hooksGRPCClient).writeHTTPResponseHeaders (server/public/plugin/hooks_grpc_client.go)
    adds every value of the plugin's headers (Header().Add): two cookies are two Set-Cookie
    headers, and a header is found in any case."""
    status, headers, body = plugin.http("GET", "/headers")
    assert (status, body) == (201, b"")
    assert headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert headers["set-cookie"] == "a=1"
    assert "x-utf8" in headers and "Content-Type" not in headers


def test_an_informational_status_is_followed_by_a_200(plugin: PluginHarness) -> None:
    """(*hooksGRPCClient).writeHTTPResponseHeaders calls WriteHeader with the plugin's status:
    Go's net/http sends a 1xx (but 101) as an informational answer and the body then goes
    out under an implicit 200 with the same headers, which is what a client reads."""
    status, headers, body = plugin.http("GET", "/answer?code=103&h=Link:</a.css>&w=hello")
    assert (status, body) == (200, b"hello")
    assert headers["Link"] == "</a.css>" and headers["Content-Length"] == "5"
    status, headers, body = plugin.http("GET", "/answer?code=103")
    assert (status, body, headers["Content-Length"]) == (200, b"", "0")


def test_the_plugins_hop_by_hop_headers_go_out_as_go_writes_them(plugin: PluginHarness) -> None:
    """Go's chunkWriter.writeHeader writes the handler's Connection, Keep-Alive, Upgrade, Te
    and Trailer headers as they are; a Transfer-Encoding the plugin sets stops the automatic
    Content-Length and the sniffed Content-Type (identity: no chunking, the connection closes
    at the end)."""
    status, headers, body = plugin.http(
        "GET", "/answer?h=Connection:close&h=Keep-Alive:timeout=5&h=Upgrade:h2c&h=Te:trailers"
               "&w=hi")
    assert (status, body) == (200, b"hi")
    assert (headers["Connection"], headers["Keep-Alive"]) == ("close", "timeout=5")
    assert (headers["Upgrade"], headers["Te"]) == ("h2c", "trailers")
    assert headers["Content-Length"] == "2"
    status, headers, body = plugin.http("GET", "/answer?h=Transfer-Encoding:identity&w=hi")
    assert body == b"hi" and headers["Connection"] == "close"
    assert "Content-Length" not in headers and "Transfer-Encoding" not in headers
    assert "Content-Type" not in headers
    status, headers, body = plugin.http("GET", "/answer?h=Trailer:X-Sum&h=X-Sum:abc&w=hi")
    assert headers["Trailer"] == "X-Sum" and headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in headers
