"""Server parity of PluginHTTP (one plugin calling another plugin's ServeHTTP).

The destination plugin here is a recording stand-in for the session's ServeHTTP (the real
two-plugin round trip is tests/devloop/test_dev_multi.py); what is checked is what the host
does with the URL, the headers and a missing destination.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from worldhost import PLUGIN_ID, Host

from mmplug.errors import UsageError
from mmplug.protocol import api_remaining_pb2 as pb

SOURCE = (
    "server/channels/app/plugin_api.go: (*PluginAPI).PluginHTTP; "
    "server/channels/app/plugin_requests.go: (*App).ServeInternalPluginRequest"
)
GRPC_SOURCE = "server/public/pluginapi/grpc/server/handlers_remaining.go: (*APIServer).PluginHTTP"
DESTINATION = "com.example.destination"
GRPC = "server/public/pluginapi/grpc/server"


@dataclass
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def read(self) -> bytes:
        return self.body


@dataclass
class _Destination:
    """A hook dispatcher whose only plugin besides the caller is DESTINATION."""

    inner: Any
    requests: list[tuple[str, str, str, list[tuple[str, str]], bytes]] = field(
        default_factory=list
    )
    inits: list[Any] = field(default_factory=list)

    def fire(self, hook: str, request: Any, *, plugin_id: str | None = None,
             failed: list[str] | None = None) -> Any:
        return self.inner.fire(hook, request, plugin_id=plugin_id, failed=failed)

    def serve_http(self, plugin_id: str, init: Any, body: bytes) -> _Answer:
        if plugin_id != DESTINATION:
            raise UsageError(f"no plugin {plugin_id!r} in this session")
        headers = [(h.key, v) for h in init.headers for v in h.values]
        self.requests.append((plugin_id, init.method, init.url, headers, body))
        self.inits.append(init)
        return _Answer(201, [("X-Answer", "1"), ("X-Answer", "2")], b"created")


@pytest.fixture
def destination(host: Host) -> Iterator[_Destination]:
    original = host.server.ctx.hooks
    recorder = _Destination(original)
    host.server.ctx.hooks = recorder
    try:
        yield recorder
    finally:
        host.server.ctx.hooks = original


def _call(host: Host, url: str, **fields: Any) -> pb.PluginHTTPResponse:
    rsp: pb.PluginHTTPResponse = host.api.PluginHTTP(pb.PluginHTTPRequest(url=url, **fields))
    assert not rsp.error.id, rsp.error
    return rsp


@pytest.mark.parity("PluginHTTP", SOURCE)
def test_plugin_http_strips_the_plugin_id_from_the_path(
    host: Host, destination: _Destination
) -> None:
    """The destination's ServeHTTP sees the path after `/<plugin id>`, with the method and
    body as sent; its status and body come back."""
    rsp = _call(host, f"/{DESTINATION}/api/v1/items", method="POST", body=b"{}")
    assert destination.requests[-1][:3] == (DESTINATION, "POST", "/api/v1/items")
    assert destination.requests[-1][4] == b"{}"
    assert (rsp.status_code, rsp.body) == (201, b"created")


@pytest.mark.parity("PluginHTTP", GRPC_SOURCE)
def test_plugin_http_sends_the_request_http_new_request_makes(
    host: Host, destination: _Destination
) -> None:
    """The destination gets the length of the body (0 without one) and header keys written
    as Go writes them, as a request made by `http.NewRequest`."""
    _call(host, f"/{DESTINATION}/up", method="POST", body=b"12345",
          headers={"x-custom-thing": "a", "user-agent": "caller/1"})
    init = destination.inits[-1]
    assert init.content_length == 5
    assert ("X-Custom-Thing", "a") in destination.requests[-1][3]
    assert init.plugin_context.user_agent == "caller/1"
    assert (init.host, init.remote_addr, init.request_uri) == ("", "", "")
    _call(host, f"/{DESTINATION}/get")
    assert destination.inits[-1].content_length == 0


@pytest.mark.parity("PluginHTTP", f"{GRPC}/handlers_remaining.go: (*APIServer).PluginHTTP")
def test_plugin_http_joins_the_values_of_an_answer_header(
    host: Host, destination: _Destination
) -> None:
    """A header the destination answers twice comes back as one value, the values joined
    with ", " in their order."""
    rsp = _call(host, f"/{DESTINATION}/x")
    assert dict(rsp.headers) == {"X-Answer": "1, 2"}


@pytest.mark.parity("PluginHTTP", SOURCE)
def test_plugin_http_reencodes_the_query_with_sorted_keys(
    host: Host, destination: _Destination
) -> None:
    """The query string reaches the destination re-encoded: keys sorted, spaces as `+`."""
    _call(host, f"/{DESTINATION}/search?z=1&a=x%20y&a=2")
    assert destination.requests[-1][2] == "/search?a=x+y&a=2&z=1"


@pytest.mark.parity("PluginHTTP", SOURCE)
def test_plugin_http_sets_the_caller_id_and_empties_the_user_id(
    host: Host, destination: _Destination
) -> None:
    """The destination sees `Mattermost-Plugin-Id` set to the calling plugin and an empty
    `Mattermost-User-Id`, whatever the caller put in those headers."""
    _call(
        host,
        f"/{DESTINATION}/x",
        headers={"Mattermost-Plugin-ID": "forged", "Mattermost-User-Id": "someone", "A": "b"},
    )
    headers = destination.requests[-1][3]
    assert ("Mattermost-Plugin-Id", PLUGIN_ID) in headers
    assert ("Mattermost-User-Id", "") in headers
    assert ("A", "b") in headers
    values = [v for k, v in headers if k.lower() in ("mattermost-plugin-id", "mattermost-user-id")]
    assert sorted(values) == sorted(["", PLUGIN_ID])


@pytest.mark.parity("PluginHTTP", SOURCE)
def test_plugin_http_to_a_missing_plugin_is_a_404_response(
    host: Host, destination: _Destination
) -> None:
    """A destination that is not installed or not running answers an HTTP 404
    `404 page not found`, not an AppError."""
    rsp = _call(host, "/com.example.absent/x")
    assert (rsp.status_code, rsp.body) == (404, b"404 page not found\n")
    assert dict(rsp.headers) == {"Content-Type": "text/plain; charset=utf-8",
                                 "X-Content-Type-Options": "nosniff"}


@pytest.mark.parity("PluginHTTP", SOURCE)
def test_plugin_http_without_a_path_after_the_plugin_id_is_a_400_response(
    host: Host, destination: _Destination
) -> None:
    """A URL with nothing after the plugin id (`/<plugin id>`) is an HTTP 400 response saying
    the form of the URL, not an AppError, and reaches no plugin."""
    rsp = _call(host, f"/{DESTINATION}")
    assert (rsp.status_code, dict(rsp.headers)) == (400, {})
    assert rsp.body == b"Not enough URL. Form of URL should be /<pluginid>/*"
    assert destination.requests == []


@pytest.mark.parity("PluginHTTP", SOURCE)
def test_plugin_http_with_an_empty_plugin_id_is_a_400_response(
    host: Host, destination: _Destination
) -> None:
    """A URL whose path starts with `//` names no plugin: an HTTP 400 response saying so.
    (A bare `//x` is a host name, not a path, for the server too.)"""
    rsp = _call(host, "http://localhost:8065//x")
    assert (rsp.status_code, rsp.body) == (
        400,
        b"No plugin specified. Form of URL should be /<pluginid>/*",
    )


@pytest.mark.parity("PluginHTTP", f"{GRPC}/handlers_remaining.go: (*APIServer).PluginHTTP")
def test_plugin_http_sends_header_keys_canonical(host: Host, destination: _Destination) -> None:
    """The destination sees each request header under its canonical key (`x-trace-id` as
    `X-Trace-Id`), as Go's Header.Set stores it."""
    _call(host, f"/{DESTINATION}/x", headers={"x-trace-id": "7"})
    assert ("X-Trace-Id", "7") in destination.requests[-1][3]


@pytest.mark.parity("PluginHTTP", f"{GRPC}/handlers_remaining.go: (*APIServer).PluginHTTP")
@pytest.mark.parametrize(("method", "url", "why"), [
    ("GE T", "/d/x", 'net/http: invalid method "GE T"'),
    ("GET", "/d/%zz", 'parse "/d/%zz": invalid URL escape "%zz"'),
    ("GET", "/d/x\n", 'parse "/d/x\\n": net/url: invalid control character in URL'),
    ("GET", ":/d/x", 'parse ":/d/x": missing protocol scheme'),
    ("GET", "1d:x/y", 'parse "1d:x/y": first path segment in URL cannot contain colon'),
], ids=["method", "escape", "control", "scheme", "colon"])
def test_plugin_http_refuses_a_request_go_cannot_make(
    host: Host, destination: _Destination, method: str, url: str, why: str,
) -> None:
    """A method that is not an HTTP token or a URL Go cannot parse fails with INVALID_ARGUMENT
    "failed to create request: <why>", no error id, and reaches no plugin."""
    with pytest.raises(grpc.RpcError) as failed:
        host.api.raw.PluginHTTP(pb.PluginHTTPRequest(method=method, url=url))
    assert (failed.value.code(), failed.value.details()) == (
        grpc.StatusCode.INVALID_ARGUMENT, f"failed to create request: {why}")
    assert destination.requests == []
