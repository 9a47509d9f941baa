"""The front door reads requests as Go's net/http server does (``(*conn).serve``,
``(*conn).readRequest``, ``readRequest``, ``readTransfer``, ``fixLength``, and the
``textproto`` reader under them), in front of aiohttp's own reading.

What Go passes, aiohttp's strict parser may refuse (a repeated ``Content-Type``, the same
``Content-Length`` twice, ``Content-Length`` beside a chunked body, lines ended by a bare LF,
a folded header line, an absolute-form target, data after a request that closes the
connection), and what Go refuses, aiohttp may pass (two ``Host`` lines, a
``Transfer-Encoding`` other than ``chunked``, a bad ``%`` escape in the path, a missing
``Host`` or a header name with a space, answered in its own words). So each head is framed and
read here first with Go's rules, aiohttp is handed the lines it accepts (CRLF-ended, folded
lines joined, one of each header it allows once, an absolute target's path), and the request
the handler gets carries every header line as Go read it (``Host`` the request's host: an
absolute target's). A request Go refuses is answered with Go's own bytes (``conn.serve``): a
status line, ``Content-Type: text/plain; charset=utf-8``, ``Connection: close`` and a
one-line body, then the connection is closed.

aiohttp internals this relies on, all of the pinned version, kept here alone: the
``RequestHandler``'s ``_parser`` attribute (replaced by :class:`GoRequestParser`, built with the
arguments ``RequestHandler.__init__`` passes its own), the pure-Python ``HttpRequestParser``'s
``parse_message(lines)`` hook and ``feed_data(data)`` with the state around it (``_tail``,
``_payload_parser``, ``_payload_has_more_data``, ``_upgraded``, and ``_max_msg_queue_size`` /
``_msg_in_flight``, whose "queue full" stop ends a body where the next head begins),
``web_protocol._ErrInfo`` (a refused request queued behind others), ``RequestHandler.handle_error``
(which answers a head the parser refused) and ``StreamResponse._write_headers``.
tests/devloop/test_dev_frontdoor.py checks they are still there.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.http_parser import SINGLETON_HEADERS, HttpRequestParserPy, RawRequestMessage
from aiohttp.streams import EMPTY_PAYLOAD
from aiohttp.web_protocol import RequestHandler, RequestPayloadError, _ErrInfo
from aiohttp.web_request import BaseRequest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from mmplug.host.http_codec import TOKEN, reason_phrase, request_target, wire_text

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
    for key, _ in fields:  # httpguts.ValidHeaderFieldName: textproto let a space through
        if not TOKEN.fullmatch(key):
            return GoRefusal(400, f"the header name {key!r} has a space: write `Name: value`",
                             reason="invalid header name")
    return None


# What Go's textproto reader takes in a header line's name (a token; a space is let through
# for net/http to refuse) and refuses in its value (a control byte but tab).
_NAME_BYTES = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ ")
_BAD_VALUE_BYTES = frozenset([*range(0x09), *range(0x0A, 0x20), 0x7F])
_SPACE = (b" ", b"\t")


def read_mime_header(lines: list[bytes]) -> list[tuple[str, str]]:
    """Go's ``textproto.Reader.ReadMIMEHeader`` over a head's header lines (as its reader
    splits them, the blank one last): a line that starts with a space or tab continues the
    one before it (``readContinuedLineSlice``: the parts trimmed, joined by one space), the
    first one may not; a line needs a ``:``, a name of token bytes, a value without control
    bytes but tab (bytes past ASCII pass). Each field is its name as sent and its value
    without the spaces before it. Raises Go's plain 400 for a line it refuses."""
    if lines[0][:1] in _SPACE:
        raise bad_request(f"the first header line starts with a space ({_shown(lines[0])}): "
                          "only a later line may continue the one before it")
    fields: list[tuple[str, str]] = []
    index = 0
    while lines[index]:
        if b":" not in lines[index]:
            raise bad_request(f"the header line {_shown(lines[index])} has no `:`")
        parts = [lines[index].strip(b" \t")]
        index += 1
        while lines[index][:1] in _SPACE:  # obsolete line folding: Go joins the lines
            parts.append(lines[index].strip(b" \t"))
            index += 1
        name, _, value = b" ".join(parts).partition(b":")
        if not name or not set(name) <= _NAME_BYTES:
            raise bad_request(f"the header name {_shown(name)} has a byte a name cannot have"
                              " (letters, digits and !#$%&'*+-.^_`|~ only)")
        if not set(value).isdisjoint(_BAD_VALUE_BYTES):
            raise bad_request(f"the value of {_shown(name)} has a control character")
        fields.append((wire_text(name), wire_text(value.lstrip(b" \t"))))
    return fields


def _shown(raw: bytes) -> str:
    return repr(raw.decode("utf-8", "backslashreplace"))


def head_end(data: bytes) -> int:
    """Where the head at the start of ``data`` ends (after its blank line), its lines read as
    Go's textproto reads them (a line ends at ``\n``, a ``\r`` just before it is dropped),
    or -1 while it is not whole."""
    start = data.find(b"\n") + 1
    while start:
        end = data.find(b"\n", start)
        if end < 0:
            break
        if data[start:end] in (b"", b"\r"):
            return end + 1
        start = end + 1
    return -1


def _crlf(head: bytes) -> bytes:
    """``head`` with every line ended by CRLF, for aiohttp's parser (which splits at CRLF
    only), the lines themselves as Go reads them."""
    return b"".join((line[:-1] if line.endswith(b"\r") else line) + b"\r\n"
                    for line in head.split(b"\n")[:-1])


class GoRequestParser(HttpRequestParserPy):
    """aiohttp's request parser behind Go's reading of the head: the head framed as Go's
    textproto frames it (:meth:`feed_data`), its lines read as Go reads them
    (:meth:`parse_message`, :func:`read_mime_header`, :func:`go_refusal`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._go_pending = b""  # the start of a head not yet whole
        self._go_done = False  # a request that closes the connection was read: no more
        self._go_after_post = False

    def feed_data(self, data: bytes, *args: Any,
                  **kwargs: Any) -> tuple[list[Any], bool, bytes]:
        """Go's ``(*conn).serve`` reading requests off the connection: each head whole (its
        lines ended by CRLF or a bare LF, as textproto reads them) is handed to aiohttp's
        parser alone, a body to its body parser, stopped where the next head begins; after a
        request that closes the connection (``Connection: close``, HTTP/1.0 without
        keep-alive) nothing more is read. A head Go refuses after requests it read in the
        same data is answered after them, as Go answers it in turn."""
        messages: list[Any] = []
        data, self._go_pending = self._go_pending + data, b""
        while True:
            if self._payload_parser is not None or self._payload_has_more_data:
                found, upgraded, tail = self._feed_body(data, *args, **kwargs)
                messages += found
                if upgraded:
                    return messages, True, tail
                data, self._tail = self._tail, b""
                if self._payload_parser is not None:
                    break
                continue
            if self._upgraded:
                return messages, True, data
            if self._go_done or not data:
                break
            if self._max_msg_queue_size and self._msg_in_flight >= self._max_msg_queue_size:
                self._go_pending = data  # the handler resumes with feed_data(b"")
                break
            try:
                head, data = self._go_head(data)
                if head is None:
                    self._go_pending = data
                    break
                found, upgraded, _ = super().feed_data(head, *args, **kwargs)
            except HttpProcessingError as exc:
                if not messages:
                    raise
                refused = exc if isinstance(exc, GoRefusal) else unreadable(exc)
                messages.append((_ErrInfo(status=refused.go_status, exc=refused,
                                          message=refused.message), EMPTY_PAYLOAD))
                self._go_done = True
                break
            messages += found
            for message, _ in found:
                self._go_done = self._go_done or message.should_close
                self._go_after_post = message.method == "POST"
            if upgraded:
                return messages, True, data
        return messages, self._upgraded, b""

    def _go_head(self, data: bytes) -> tuple[bytes | None, bytes]:
        """The next whole head of ``data`` with its lines ended by CRLF (None while it is not
        whole) and what follows it."""
        if self._go_after_post:  # (*conn).readRequest: old clients' CRLF after a POST body
            if len(data) < 4:
                return None, data
            data = data[len(data[:4]) - len(data[:4].lstrip(b"\r\n")):]
            self._go_after_post = False
        if data[:1] == b"\n" or data[:2] == b"\r\n":
            raise bad_request("an empty line where the request line belongs")
        end = head_end(data)
        if end > HEAD_LIMIT or (end < 0 and len(data) > HEAD_LIMIT):
            raise GoRefusal(431, TOO_LARGE)
        if end < 0:
            return None, data
        return _crlf(data[:end]), data[end:]

    def _feed_body(self, data: bytes, *args: Any,
                   **kwargs: Any) -> tuple[list[Any], bool, bytes]:
        """aiohttp's parser on a body, stopped where the next head begins (as it stops when
        its queue of requests is full, leaving the rest in ``_tail``)."""
        limit, in_flight = self._max_msg_queue_size, self._msg_in_flight
        self._max_msg_queue_size = self._msg_in_flight = 1
        try:
            return super().feed_data(data, *args, **kwargs)
        finally:
            self._max_msg_queue_size, self._msg_in_flight = limit, in_flight

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
        version = _VERSION.fullmatch(parts[-1]) if len(parts) == 3 else None
        if version is None:
            return super().parse_message(lines)  # Go cannot read the line either
        proto = (int(version[1]), int(version[2]))
        method, target = wire_text(parts[0]), wire_text(parts[1])
        request_line = lines[0]
        host = ""
        pathless = False
        if method != "CONNECT" or target.startswith("/"):
            try:  # readRequest: url.ParseRequestURI
                where = request_target(target)
            except ValueError as exc:
                raise bad_request(f"the request target {target!r}: {exc}") from None
            pathless = where.pathless
            if where.origin:  # absolute-form: aiohttp reads the path, Go's host is the URL's
                # (a target without a path: one aiohttp reads, none of it kept)
                path = where.rest.encode("utf-8", "surrogateescape") if not pathless else b"/"
                request_line = b" ".join([parts[0], path, parts[2]])
                host = where.host
        fields = read_mime_header(lines[1:])
        refusal = go_refusal(proto, method, fields)
        if refusal is not None:
            raise refusal
        chunked = proto >= (1, 1) and any(k.lower() == "transfer-encoding" for k, _ in fields)
        kept: list[bytes] = [request_line]
        go_fields: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, value in fields:
            lower = key.lower()
            if lower == "transfer-encoding" and proto < (1, 1):
                continue  # parseTransferEncoding: ignored on HTTP/1.0 (Go issue 12785)
            if lower == "content-length" and (chunked or lower in seen):
                continue  # fixLength: dropped beside chunked, one of several equal kept
            if lower not in seen or lower not in SINGLETON_HEADERS:
                # aiohttp reads one of each header it allows once
                kept.append(f"{key}: {value}".encode("utf-8", "surrogateescape"))
            if lower == "host" and host:
                value = host  # readRequest: req.Host is the URL's host, the header ignored
            go_fields.append((key, value))
            seen.add(lower)
        if host and "host" not in seen:
            go_fields.append(("Host", host))
        kept.append(b"")
        message = super().parse_message(kept)
        headers = CIMultiDictProxy(CIMultiDict(go_fields))
        raw = tuple((k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
                    for k, v in go_fields)
        # the method as sent: Go takes any token, in its case (aiohttp's upper-cases it); the
        # target as sent (an absolute one too: it is the request's RequestURI); the URL of a
        # target without a path has none (no route takes it)
        return message._replace(method=method, headers=headers, raw_headers=raw, path=target,
                                url=URL("") if pathless else message.url)


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
