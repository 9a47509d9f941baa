"""The front door reads a request's head as Go's net/http server does (``(*conn).readRequest``,
``readRequest``, ``readTransfer``, ``fixLength``), in front of aiohttp's own reading.

What Go passes, aiohttp's strict parser may refuse (a repeated ``Content-Type``, the same
``Content-Length`` twice, ``Content-Length`` beside a chunked body), and what Go refuses, aiohttp
may pass (two ``Host`` lines, a ``Transfer-Encoding`` other than ``chunked``, a missing ``Host``
answered in its own words). So the head is checked here first with Go's rules, aiohttp is
handed the lines it accepts (one of each header it allows once), and the request the handler
gets carries every header line as the client sent it. A request Go refuses is answered with
Go's own bytes (``conn.serve``): a status line, ``Content-Type: text/plain; charset=utf-8``,
``Connection: close`` and a one-line body, then the connection is closed.

aiohttp internals this relies on, all of the pinned version, kept here alone: the
``RequestHandler``'s ``_parser`` attribute (replaced by :class:`GoRequestParser`, built with the
arguments ``RequestHandler.__init__`` passes its own), the pure-Python ``HttpRequestParser``'s
``parse_message(lines)`` hook, ``RequestHandler.handle_error`` (which answers a head the
parser refused) and ``StreamResponse._write_headers``. tests/devloop/test_dev_frontdoor.py
checks they are still there.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.http_parser import SINGLETON_HEADERS, HttpRequestParserPy, RawRequestMessage
from aiohttp.web_protocol import RequestHandler, RequestPayloadError
from aiohttp.web_request import BaseRequest
from multidict import CIMultiDict, CIMultiDictProxy

from mmplug.host.http_codec import reason_phrase

# Go's DefaultMaxHeaderBytes and the slack its connection reader allows on top
# (``initialReadLimitSize``): a longer head is refused with 431.
HEAD_LIMIT = (1 << 20) + 4096
_VERSION = re.compile(rb"HTTP/(\d+)\.(\d+)")
_HOST_BYTES = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        b"!$%&()*+,-.:;=['_~]")


class GoRefusal(BadHttpMessage):
    """A head Go's server refuses, with the answer it writes: ``status`` with ``reason`` (the
    text Go's ``statusError`` adds to the status line and the body) or Go's fixed ``body``;
    ``why`` says what was wrong, for the plugin's author (the client gets Go's answer)."""

    def __init__(self, status: int, why: str, *, reason: str = "", body: str = "") -> None:
        super().__init__(why)
        self.go_status = status
        self.why = why
        self.phrase = reason_phrase(status) + (f": {reason}" if reason else "")
        self.body = body or f"{status} {self.phrase}"
        self.method = ""  # of the request line, when it could be read
        self.target = ""


def bad_request(why: str) -> GoRefusal:
    """Go's answer to a head it cannot read (a malformed line, a bad Content-Length)."""
    return GoRefusal(400, why)


def unreadable(exc: HttpProcessingError) -> GoRefusal:
    """Go's answer to a head aiohttp's parser could not read: Go cannot read it either."""
    return bad_request(f"Go's net/http cannot read the request: {exc.message}")


TOO_LARGE = "the request's head is longer than Go's net/http reads (1 MiB and 4 KiB)"
# Told of each refused head: its method and target ("" when unread), the status the client
# got and why.
OnRefused = Callable[[str, str, int, str], None]


def go_refusal(version: tuple[int, int], method: str,
               fields: list[tuple[str, str]]) -> GoRefusal | None:
    """What Go's server refuses in a head of ``version`` whose header lines are ``fields``
    (in the order Go checks them), or None for a head it reads."""
    def values(name: str) -> list[str]:
        return [value for key, value in fields if key.lower() == name]

    hosts = values("host")
    if len(hosts) > 1:  # readRequest: fmt.Errorf("too many Host headers")
        return bad_request(f"{len(hosts)} Host headers ({', '.join(hosts)}): send one")
    codings = values("transfer-encoding") if version >= (1, 1) else []  # 1.0: ignored
    if codings and (len(codings) != 1 or not codings[0].isascii()
                    or codings[0].lower() != "chunked"):  # an unsupportedTEError
        return GoRefusal(501, f"Transfer-Encoding {', '.join(codings)}: Go's net/http takes "
                         "one Transfer-Encoding header, `chunked`", body="Unsupported transfer "
                         "encoding")
    lengths = [] if codings else values("content-length")  # chunked: Content-Length dropped
    if any(length != lengths[0] for length in lengths):  # fixLength
        return bad_request(f"Content-Length headers that differ ({', '.join(lengths)}): "
                           "send one")
    if version[0] != 1:  # http1ServerSupportsRequest
        return GoRefusal(505, f"HTTP/{version[0]}.{version[1]}: the server reads HTTP/1.x "
                         "requests", reason="unsupported protocol version")
    if version >= (1, 1) and not hosts and method != "CONNECT":
        return GoRefusal(400, "an HTTP/1.1 request without a Host header: add one",
                         reason="missing required Host header")
    if hosts and not set(hosts[0].encode("utf-8", "surrogateescape")) <= _HOST_BYTES:
        return GoRefusal(400, f"Host {hosts[0]!r} has a character a host cannot have",
                         reason="malformed Host header")
    return None


def _field(line: bytes) -> tuple[str, str]:
    name, _, value = line.partition(b":")
    return (name.decode("utf-8", "surrogateescape"),
            value.strip(b" \t").decode("utf-8", "surrogateescape"))


class GoRequestParser(HttpRequestParserPy):
    """aiohttp's request parser behind Go's reading of the head (:func:`go_refusal`)."""

    def parse_message(self, lines: list[bytes]) -> RawRequestMessage:
        parts = lines[0].split(b" ")
        try:
            return self._parse(parts, lines)
        except HttpProcessingError as exc:
            refusal = exc if isinstance(exc, GoRefusal) else unreadable(exc)
            if len(parts) == 3:  # the request line, for the report
                refusal.method, refusal.target = (part.decode("utf-8", "replace")
                                                  for part in parts[:2])
            raise refusal from None

    def _parse(self, parts: list[bytes], lines: list[bytes]) -> RawRequestMessage:
        if sum(len(line) + 2 for line in lines) > HEAD_LIMIT:
            raise GoRefusal(431, TOO_LARGE)
        version = _VERSION.fullmatch(parts[-1]) if len(parts) == 3 else None
        if version is None:
            return super().parse_message(lines)  # Go cannot read the line either
        proto = (int(version[1]), int(version[2]))
        fields = [_field(line) for line in lines[1:] if line]
        refusal = go_refusal(proto, parts[0].decode("ascii", "replace"), fields)
        if refusal is not None:
            raise refusal
        chunked = proto >= (1, 1) and any(k.lower() == "transfer-encoding" for k, _ in fields)
        kept: list[bytes] = [lines[0]]
        go_fields: list[tuple[str, str]] = []
        seen: set[str] = set()
        for line, (key, value) in zip(lines[1:], fields, strict=False):
            lower = key.lower()
            if lower == "transfer-encoding" and proto < (1, 1):
                continue  # parseTransferEncoding: ignored on HTTP/1.0 (Go issue 12785)
            if lower == "content-length" and (chunked or lower in seen):
                continue  # fixLength: dropped beside chunked, one of several equal kept
            go_fields.append((key, value))
            if lower not in seen or lower not in SINGLETON_HEADERS:
                kept.append(line)  # aiohttp reads one of each header it allows once
            seen.add(lower)
        kept.append(b"")
        message = super().parse_message(kept)
        headers = CIMultiDictProxy(CIMultiDict(go_fields))
        raw = tuple((k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
                    for k, v in go_fields)
        # the method as sent: Go takes any token, in its case (aiohttp's upper-cases it)
        method = parts[0].decode("utf-8", "surrogateescape")
        return message._replace(method=method, headers=headers, raw_headers=raw)


class GoRequestHandler(RequestHandler):
    """aiohttp's connection handler that reads heads as Go does and answers one it cannot read
    with Go's own answer."""

    def __init__(self, manager: web.Server, **kwargs: Any) -> None:
        # Go hands the handler the body as it came: a gzip one stays gzip (no auto_decompress)
        kwargs.update(max_line_size=HEAD_LIMIT, max_field_size=HEAD_LIMIT,
                      max_headers=HEAD_LIMIT, auto_decompress=False)
        super().__init__(manager, **kwargs)
        self._parser = GoRequestParser(
            self, kwargs["loop"], self._read_bufsize, max_line_size=HEAD_LIMIT,
            max_field_size=HEAD_LIMIT, max_headers=HEAD_LIMIT,
            payload_exception=RequestPayloadError, auto_decompress=False,
            max_msg_queue_size=self._max_msg_queue_size)

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError) or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        if isinstance(exc, GoRefusal):
            refusal = exc
        elif isinstance(exc, LineTooLong):  # before the head was whole
            refusal = GoRefusal(431, TOO_LARGE)
        else:  # aiohttp refused the head: Go cannot read it either
            refusal = unreadable(exc)
        manager = self._manager
        if isinstance(manager, GoServer):
            with contextlib.suppress(Exception):
                manager.on_refused(refusal.method, refusal.target, refusal.go_status,
                                   refusal.why)
        return _Refused(refusal)


class GoServer(web.Server):
    """aiohttp's low-level server, its connections handled by :class:`GoRequestHandler`;
    ``on_refused`` is told of each head it refuses."""

    def __init__(self, handler: Any, *, on_refused: OnRefused = lambda *refused: None,
                 **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.on_refused = on_refused

    def __call__(self) -> RequestHandler:
        return GoRequestHandler(self, loop=self._loop, **self._kwargs)


class _Refused(web.Response):
    """Go's answer to a head it refuses, as ``conn.serve`` writes it: no Date, no length."""

    def __init__(self, refusal: GoRefusal) -> None:
        super().__init__(status=refusal.go_status, body=refusal.body.encode())
        self.refusal = refusal
        self.force_close()

    async def _write_headers(self) -> None:
        writer = self._payload_writer
        assert writer is not None
        headers: CIMultiDict[str] = CIMultiDict()
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Connection"] = "close"
        await writer.write_headers(
            f"HTTP/1.1 {self.refusal.go_status} {self.refusal.phrase}", headers)
