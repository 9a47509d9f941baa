"""The server's mapping rules for plugin HTTP requests."""

from __future__ import annotations

import pytest

from mmplug.host.http_codec import (
    Target,
    canonical_key,
    plugin_headers,
    response_headers,
    response_status,
    split_plugin_path,
)


@pytest.mark.parametrize(("path", "expected"), [
    ("/plugins/com.x/hello", Target("com.x", "/hello")),
    ("/plugins/com.x/", Target("com.x", "/")),
    ("/plugins/com.x", Target("com.x", "/")),
    ("/plugins/com.x/a/b/c", Target("com.x", "/a/b/c")),
    ("/api/v4/users", None),
    ("/plugins/", None),
])
def test_prefix_is_stripped(path: str, expected: Target | None) -> None:
    assert split_plugin_path(path) == expected


def test_metrics_paths() -> None:
    assert split_plugin_path("/plugins/com.x/metrics", metrics=True) == Target("com.x", "/")
    assert split_plugin_path("/plugins/com.x/metrics/a", metrics=True) == Target("com.x", "/a")
    assert split_plugin_path("/plugins/com.x/other", metrics=True) is None


def test_header_keys_are_canonical_like_go() -> None:
    assert canonical_key("content-type") == "Content-Type"
    assert canonical_key("X-CUSTOM-thing") == "X-Custom-Thing"
    assert canonical_key("bad key") == "bad key"


def test_client_identity_headers_are_dropped_and_user_set() -> None:
    pairs = [("mattermost-user-id", "forged"), ("Mattermost-Plugin-ID", "forged"),
             ("X-Multi", "a"), ("x-multi", "b"), ("Accept", "*/*")]
    assert plugin_headers(pairs, None) == [("X-Multi", ["a", "b"]), ("Accept", ["*/*"])]
    with_user = dict(plugin_headers(pairs, "u1"))
    assert with_user["Mattermost-User-Id"] == ["u1"]


@pytest.mark.parametrize(("code", "status"), [(0, 200), (201, 201), (99, 500), (1000, 500),
                                              (999, 999), (-1, 500)])
def test_status_mapping(code: int, status: int) -> None:
    assert response_status(code) == status


def test_response_headers_keep_every_value_hop_by_hop_ones_too() -> None:
    headers = [("Set-Cookie", ["a=1", "b=2"]), ("transfer-encoding", ["chunked"]),
               ("X-Bin", ["\u00e9\u00e8"])]
    assert response_headers(headers) == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                                         ("Transfer-Encoding", "chunked"),
                                         ("X-Bin", "\u00e9\u00e8")]


@pytest.mark.parametrize(("data", "expected"), [
    (b"hello", "text/plain; charset=utf-8"),
    (b'{"ok": true}', "text/plain; charset=utf-8"),
    (b"  <!DOCTYPE html><html>", "text/html; charset=utf-8"),
    (b"<p>x</p>", "text/html; charset=utf-8"),
    (b"<?xml version='1.0'?>", "text/xml; charset=utf-8"),
    (b"\x89PNG\r\n\x1a\n....", "image/png"),
    (bytes(range(256)), "application/octet-stream"),
])
def test_content_type_is_sniffed_like_go(data: bytes, expected: str) -> None:
    from mmplug.host.http_codec import sniff_content_type

    assert sniff_content_type(data) == expected
