"""How the server maps an HTTP request to a plugin's ServeHTTP, as pure functions.

* ``/plugins/<id>/rest?q`` goes to plugin ``<id>`` as ``/rest?q`` (ServeMetrics on the metrics
  listener: ``/plugins/<id>/metrics/rest`` as ``/rest``);
* incoming ``Mattermost-User-Id`` and ``Mattermost-Plugin-ID`` headers are always dropped; the
  host then sets ``Mattermost-User-Id`` for the user the request is made as, if any (the
  ``--as`` user, or the one an ``X-Mmplug-User`` header names; that header is dropped too);
* header keys are canonicalised as Go's ``net/http`` does, values keep their order;
* the plugin's status: 0 means 200, anything outside 100..999 becomes 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

USER_ID_HEADER = "Mattermost-User-Id"
PLUGIN_ID_HEADER = "Mattermost-Plugin-Id"
# mmplug's own: the user a front door request is made as (the server takes it from the
# session cookie or token; see docs/http.md). Never passed on to the plugin.
ACTING_USER_HEADER = "X-Mmplug-User"
# identity headers only the server sets; Expect is answered by the server itself
DROPPED = frozenset({USER_ID_HEADER.lower(), PLUGIN_ID_HEADER.lower(), "expect",
                     ACTING_USER_HEADER.lower()})
# hop-by-hop headers that belong to the front door's connection, not to the plugin's answer
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade",
                        "proxy-connection", "te", "trailer"})
_PREFIX = re.compile(r"^/plugins/([^/]+)(/.*)?$")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


@dataclass(frozen=True)
class Target:
    """Where a request goes: plugin id and the path the plugin sees."""

    plugin_id: str
    path: str


def split_plugin_path(path: str, *, metrics: bool = False) -> Target | None:
    """``/plugins/<id>/rest`` -> Target(id, "/rest"); None when the path is not a plugin's."""
    match = _PREFIX.match(path)
    if match is None:
        return None
    plugin_id, rest = match.group(1), match.group(2) or ""
    if metrics:
        if rest != "/metrics" and not rest.startswith("/metrics/"):
            return None
        rest = rest[len("/metrics"):]
    return Target(plugin_id, rest or "/")


def canonical_key(key: str) -> str:
    """Go's CanonicalMIMEHeaderKey: ``content-type`` -> ``Content-Type``; odd keys unchanged."""
    if not _TOKEN.match(key):
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def plugin_headers(
    pairs: Iterable[tuple[str, str]], user_id: str | None
) -> list[tuple[str, list[str]]]:
    """The request headers the plugin sees, grouped by canonical key in first-seen order."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        canonical = canonical_key(key)
        if canonical.lower() in DROPPED:
            continue
        grouped.setdefault(canonical, []).append(value)
    if user_id:
        grouped[USER_ID_HEADER] = [user_id]
    return list(grouped.items())


def response_status(code: int) -> int:
    """The status the server sends for the plugin's ``status_code``."""
    if code == 0:
        return 200
    if not 100 <= code <= 999:
        return 500
    return code


def response_headers(headers: Iterable[tuple[str, Iterable[str]]]) -> list[tuple[str, str]]:
    """The plugin's response headers as (key, value) pairs, hop-by-hop ones left out."""
    return [(key, value) for key, values in headers if key.lower() not in HOP_BY_HOP
            for value in values]


_HTML_TAGS = (b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV",
              b"<FONT", b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P",
              b"<!--")
_SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"),
               (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
               (b"GIF89a", "image/gif"), (b"PK\x03\x04", "application/zip"),
               (b"\x1f\x8b\x08", "application/x-gzip"),
               (b"\xfe\xff", "text/plain; charset=utf-16be"),
               (b"\xff\xfe", "text/plain; charset=utf-16le"),
               (b"\xef\xbb\xbf", "text/plain; charset=utf-8"))
_BINARY = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def sniff_content_type(data: bytes) -> str:
    """The Content-Type Go's net/http picks for a body starting with ``data`` when the handler
    set none (a subset of ``http.DetectContentType``: HTML, XML, common binary signatures,
    text, else ``application/octet-stream``)."""
    head = data[:512]
    stripped = head.lstrip(b"\t\n\x0c\r ")
    upper = stripped.upper()
    for tag in _HTML_TAGS:
        end = upper[len(tag):len(tag) + 1]
        if upper.startswith(tag) and end in (b" ", b">"):
            return "text/html; charset=utf-8"
    if stripped.startswith(b"<?xml"):
        return "text/xml; charset=utf-8"
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if not any(byte in _BINARY for byte in head):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"
