"""The ServeHTTP codec: how the server maps an HTTP request to a plugin's ServeHTTP stream and
the stream's answer back to HTTP, in one place for every caller (the session's ServeHTTP client,
the dev loop's front door, ``mmplug fire``'s synthesized requests).

* :func:`request_init` is the one builder of a ``ServeHTTPRequestInit`` (the request line,
  headers, host, remote address, the plugin context);
* :func:`request_messages` / :func:`request_messages_async` cut a body into the stream's
  messages as the server does (the init with the first chunk, then chunks of at most 64 KiB,
  then ``body_complete``);

* ``/plugins/<id>/rest?q`` goes to plugin ``<id>`` as ``/rest?q`` (ServeMetrics on the metrics
  listener: ``/plugins/<id>/metrics/rest`` as ``/rest``), the URL as the server's ``r.URL``
  writes it after ``servePluginRequest``: the path decoded and escaped again as Go escapes a
  path, the query without ``access_token`` and re-encoded (keys sorted) as ``url.Values``
  does (:func:`plugin_url`);
* incoming ``Mattermost-User-Id`` and ``Mattermost-Plugin-ID`` headers are always dropped; the
  host then sets ``Mattermost-User-Id`` for the user the request is made as, if any: the user
  of the session its token signs in (:class:`SignIn`, which also drops ``Authorization``), or
  mmplug's own choices (the ``--as`` user, or the one an ``X-Mmplug-User`` header names; that
  header is dropped too);
  ``Referer`` and the session cookie are dropped and the other cookies rewritten into one
  ``Cookie`` header, as ``servePluginRequest`` does; ``Host`` (the request's ``host``) and a
  chunked body's ``Transfer-Encoding`` are not headers of a request Go's ``net/http`` reads;
* header keys are canonicalised as Go's ``net/http`` does, values keep their order;
* ``content_length``: the Content-Length, -1 for a chunked body, 0 for a request without a
  body (:func:`request_length`);
* the plugin's status: 0 means 200, anything outside 100..999 is answered by the server itself
  with a plain 500 (:func:`status_refused`); the answer's header keys are canonicalised too;
* the server's own answers (no plugin, a failed stream, ...) are Go's ``http.Error`` ones
  (:data:`NOT_FOUND`, :data:`BAD_GATEWAY`, ...).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.protobuf.message import Message

USER_ID_HEADER = "Mattermost-User-Id"
PLUGIN_ID_HEADER = "Mattermost-Plugin-Id"
# mmplug's own: the user a front door request is made as (the server takes it from the
# session cookie or token; see docs/http.md). Never passed on to the plugin.
ACTING_USER_HEADER = "X-Mmplug-User"
# mmplug's own: the node a request from outside goes to, with several nodes (``2`` or
# ``node2``; see mmplug.host.cluster). Never passed on to the plugin.
NODE_HEADER = "X-Mmplug-Node"
# The server's session cookie and query parameter: servePluginRequest never passes them on.
SESSION_COOKIE = "MMAUTHTOKEN"
ACCESS_TOKEN_PARAM = "access_token"
# Headers the plugin never sees: the identity headers only the server sets and mmplug's own
# (servePluginRequest), Referer (servePluginRequest drops it), and Host, which Go's net/http
# moves into the request's host (Cookie and Transfer-Encoding: see plugin_headers).
DROPPED = frozenset({USER_ID_HEADER.lower(), PLUGIN_ID_HEADER.lower(), "referer", "host",
                     ACTING_USER_HEADER.lower(), NODE_HEADER.lower()})
_PREFIX = re.compile(r"^/plugins/([^/]+)(/.*)?\Z")
# An HTTP token (a header name, a method), as Go's net/http checks one.
TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


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
    if not TOKEN.match(key):
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def plugin_headers(
    pairs: Iterable[tuple[str, str]], user_id: str | None, *, signed_in: bool = False
) -> list[tuple[str, list[str]]]:
    """The request headers the plugin sees, grouped by canonical key in first-seen order: a
    chunked body's ``Transfer-Encoding`` (and a ``Content-Length`` beside it) is not a header
    of the request Go reads; the cookies but the session's are rewritten into one ``Cookie``
    header as ``servePluginRequest`` does (``r.Cookies()``, then ``r.AddCookie``); a request
    whose token ``signed_in`` (found a valid session) loses its ``Authorization``; a
    ``Pragma: no-cache`` without a ``Cache-Control`` brings ``Cache-Control: no-cache``."""
    pairs = list(pairs)
    chunked = is_chunked(pairs)
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        canonical = canonical_key(key)
        lower = canonical.lower()
        if lower in DROPPED or (chunked and lower in ("transfer-encoding", "content-length")):
            continue
        if signed_in and lower == "authorization":
            continue
        if lower == "cookie":
            grouped.setdefault(canonical, [])  # its place among the headers
            continue
        grouped.setdefault(canonical, []).append(value)
    if grouped.get("Pragma", [""])[0] == "no-cache":  # Go's readRequest: fixPragmaCacheControl
        grouped.setdefault("Cache-Control", ["no-cache"])
    if "Cookie" in grouped:
        cookies = "; ".join(f"{name}={value}" for name, value in _cookies(pairs)
                            if name != SESSION_COOKIE)
        if cookies:
            grouped["Cookie"] = [cookies]
        else:
            del grouped["Cookie"]
    if user_id:
        grouped[USER_ID_HEADER] = [user_id]
    return list(grouped.items())


def _read_cookies(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, bool]]:
    """The cookies of the ``Cookie`` headers as Go's ``readCookies`` reads them: (name, value
    without its quotes, whether it was quoted); a pair with a name that is not a token or a
    value with a byte a cookie cannot hold is skipped."""
    for key, line in pairs:
        if key.lower() != "cookie":
            continue
        for part in line.strip().split(";"):
            name, _, value = part.strip().partition("=")
            if not name or not TOKEN.match(name):
                continue
            quoted = len(value) > 1 and value[0] == value[-1] == '"'
            if quoted:
                value = value[1:-1]
            if any(not 0x20 <= ord(ch) < 0x7F or ch in '";\\' for ch in value):
                continue
            yield name, value, quoted


def _cookies(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """The cookies as ``AddCookie`` writes them back (a value that was quoted, or has a space
    or a comma, in quotes)."""
    for name, value, quoted in _read_cookies(pairs):
        if value and (quoted or " " in value or "," in value):
            value = f'"{value}"'
        yield name, value


def is_chunked(pairs: Iterable[tuple[str, str]]) -> bool:
    """Whether the request's body comes chunked (``Transfer-Encoding: chunked``)."""
    return any(key.lower() == "transfer-encoding" and "chunked" in value.lower()
               for key, value in pairs)


def request_length(pairs: Iterable[tuple[str, str]]) -> int:
    """The ``content_length`` the server sends for a request with these headers, as Go's
    net/http reads it: -1 for a chunked body, else the Content-Length, else 0 (a request
    that declares no body has none)."""
    pairs = list(pairs)
    if is_chunked(pairs):
        return -1
    length = content_length_of(pairs)
    return 0 if length < 0 else length


# bytes Go's url package leaves as they are in a path (``shouldEscape`` for encodePath)
_PATH_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                       b"-_.~$&+,/:;=@")
# What Go's url package refuses in a URL: a % not followed by two hex digits, a control
# character; and how a URL with a scheme starts.
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


# bytes Go's url package takes in a host as they are (``shouldEscape`` for encodeHost), and in
# the user information before an ``@`` (``validUserinfo``)
_HOST_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                       b"-_.~!$&'()*+,;=:[]<>\"")
_USERINFO_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           b"-._:~!$&'()*+,;=%@")
# what ``(*URL).String`` writes as it is in user information (``escape``, encodeUserPassword)
_USERINFO_KEPT = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           b"-_.~$&+,;=")
_HEX = b"0123456789abcdefABCDEF"


@dataclass(frozen=True)
class RequestTarget:
    """A request target as Go's ``url.ParseRequestURI`` reads it: ``origin`` is what
    ``URL.String()`` writes before the path (``http://example.com:8065`` for an absolute-form
    target, "" for an origin-form one), ``host`` the host it names ("" for none: the request's
    host is then its ``Host`` header's), ``rest`` the path and query as sent. A target with a
    scheme but no path (``http:x``, Go's opaque URL, or ``http://host``) has ``pathless`` set
    and ``rest`` empty: no route takes it."""

    origin: str
    host: str
    rest: str
    pathless: bool = False


def request_target(target: str) -> RequestTarget:
    """``url.ParseRequestURI`` of a request line's target (its bytes as the surrogate-escaped
    str the front door reads them into). Raises ValueError saying why for a target Go refuses:
    a control character, neither a scheme nor a leading ``/``, a bad host, port or user
    information, a ``%`` in the path not followed by two hex digits."""
    raw = target.encode("utf-8", "surrogateescape")
    if URL_CONTROL.search(target):
        raise ValueError("it has a control character")
    if raw == b"*":
        return RequestTarget("", "", target)
    scheme = URL_SCHEME.match(target)
    if raw[:1] == b":":
        raise ValueError("it has no scheme before its `:`")
    rest = raw[scheme.end():] if scheme else raw
    path = rest.partition(b"?")[0]
    origin, host = b"", b""
    if scheme and path.startswith(b"//"):
        authority = path[2:].partition(b"/")[0]
        rest = rest[2 + len(authority):]
        userinfo, at, host = authority.rpartition(b"@")
        host = _parse_host(host)
        written = _escape(host, _HOST_SAFE)
        if at:
            userinfo = _parse_userinfo(userinfo)
        origin = b"//" + userinfo + at + written
        path = rest.partition(b"?")[0]
        if not path:  # an empty path
            return RequestTarget(wire_text(scheme.group(0).lower().encode() + origin),
                                 wire_text(host), "", pathless=True)
    elif scheme and not path.startswith(b"/"):  # parse: a rootless path is opaque
        return RequestTarget(wire_text(scheme.group(0).lower().encode() + rest), "", "",
                             pathless=True)
    if not path.startswith(b"/"):
        raise ValueError("it is neither a path (`/...`) nor an absolute URL (`http://host/...`)")
    if BAD_ESCAPE.search(wire_text(path)):
        raise ValueError("a `%` in its path is not followed by two hex digits")
    if scheme:
        origin = scheme.group(0).lower().encode() + origin
    return RequestTarget(wire_text(origin), wire_text(host), wire_text(rest))


def target_path(target: str) -> str:
    """The path of a request target as sent, origin-form or absolute-form (the scheme and
    authority left out), without its query; read leniently, for a target Go refused too."""
    scheme = URL_SCHEME.match(target)
    rest = target[scheme.end():] if scheme and not target.startswith("/") else target
    if scheme and rest.startswith("//"):
        rest = rest[2:]
        rest = rest[min((i for i in (rest.find("/"), rest.find("?")) if i >= 0),
                        default=len(rest)):]
    return rest.partition("?")[0]


def wire_text(raw: bytes) -> str:
    """Bytes off the wire as the str they are read into (surrogate-escaped: any byte kept)."""
    return raw.decode("utf-8", "surrogateescape")


def _escape(raw: bytes, kept: frozenset[int]) -> bytes:
    """Go's ``escape``: each byte not in ``kept`` written as ``%XX``."""
    return "".join(chr(b) if b in kept else f"%{b:02X}" for b in raw).encode()


def _unescape(raw: bytes, what: str, *, host: bool = False, zone: bool = False,
              part_of: bytes = b"") -> bytes:
    """Go's ``unescape`` of ``raw``, the ``what`` of a target (or a part of ``part_of``, the
    one errors name): a ``%`` needs two hex digits; in a host (``encodeHost``) it escapes only
    a byte past ASCII (or is ``%25``) and an ASCII byte must be one a host may have; in an IPv6
    zone (``encodeZone``) it may escape any byte a host may have, a space too. Raises
    ValueError."""
    shown = wire_text(part_of or raw)
    out = bytearray()
    index = 0
    while index < len(raw):
        byte = raw[index]
        if byte == 0x25:  # %
            pair = raw[index + 1:index + 3]
            if len(pair) < 2 or not set(pair) <= set(_HEX):
                raise ValueError(f"its {what} {shown!r} has a bad `%` escape")
            value = int(pair, 16)
            if pair != b"25" and ((host and value < 0x80) or (
                    zone and value != 0x20 and value < 0x80 and value not in _HOST_SAFE)):
                raise ValueError(f"its {what} {shown!r} has a bad `%` escape")
            out.append(value)
            index += 3
            continue
        if (host or zone) and byte < 0x80 and byte not in _HOST_SAFE:
            raise ValueError(f"its {what} {shown!r} has a character a host cannot have")
        out.append(byte)
        index += 1
    return bytes(out)


def _parse_host(host: bytes) -> bytes:
    """Go's ``parseHost``: the port after the last ``:`` (after the ``]`` of an IPv6 literal)
    is digits, every ASCII byte one a host may have, a ``%`` escapes a byte past ASCII (or is
    ``%25``), but in an IPv6 literal's zone (after its ``%25``), where it may escape any byte a
    host may have; the host unescaped. Raises ValueError."""
    bracket = host.rfind(b"]") if host.startswith(b"[") else 0
    if bracket < 0:
        raise ValueError(f"its host {wire_text(host)!r} has no `]`")
    colon = host.rfind(b":", bracket)
    port = host[colon + 1:] if colon >= 0 else b""
    bad_port = bool(port) and not port.isdigit()
    if bad_port or (bracket and host[bracket + 1:] not in (b"", b":" + port)):
        raise ValueError(f"its host {wire_text(host)!r} has a bad port")
    zone = host.find(b"%25", 0, bracket) if bracket else -1
    if zone < 0:
        return _unescape(host, "host", host=True)
    return (_unescape(host[:zone], "host", host=True, part_of=host)
            + _unescape(host[zone:bracket], "host", zone=True, part_of=host)
            + _unescape(host[bracket:], "host", host=True, part_of=host))


def _parse_userinfo(userinfo: bytes) -> bytes:
    """``parseAuthority``'s user information (``validUserinfo``, then the name and the
    password after the first ``:`` unescaped) as ``(*URL).String`` writes it again: each
    part escaped as ``escape`` escapes user information (``%40`` stays, ``%41`` is ``A``,
    ``!`` becomes ``%21``). Raises ValueError."""
    if not set(userinfo) <= _USERINFO_SAFE:
        raise ValueError(f"its user information {wire_text(userinfo)!r} has a character a URL "
                         "cannot have there")
    name, colon, password = userinfo.partition(b":")
    parts = [_escape(_unescape(part, "user information"), _USERINFO_KEPT)
             for part in (name, password)]
    return parts[0] + (b":" + parts[1] if colon else b"")


def plugin_url(raw_target: str, prefix: str) -> str:
    """The ``url`` the plugin gets for the request target ``raw_target`` (as the client sent
    it) of a request to ``prefix`` (``/plugins/<id>``): ``r.URL.String()`` after
    ``servePluginRequest`` has cut ``prefix`` off the decoded path (the rest is escaped as
    Go's ``EscapedPath`` does: ``/a%20b`` stays so, ``/a(b)`` becomes ``/a%28b%29``) and
    re-encoded the query without ``access_token`` (:func:`query_encode`). The target ``prefix``
    itself is the empty URL, as on the server. An absolute-form target keeps its scheme and
    host in front (``http://example.com/rest``), as Go's URL does."""
    from urllib.parse import unquote_to_bytes

    if not raw_target.startswith("/") and URL_SCHEME.match(raw_target):
        absolute = request_target(raw_target)
        return absolute.origin + plugin_url(absolute.rest, prefix)
    raw_path, mark, raw_query = raw_target.partition("?")
    path = unquote_to_bytes(raw_path)
    head = prefix.encode("utf-8")
    if path.startswith(head):
        path = path[len(head):]
    url = "".join(chr(b) if b in _PATH_SAFE else f"%{b:02X}" for b in path)
    if mark:
        query = query_encode(raw_query, drop=ACCESS_TOKEN_PARAM)
        if query or not raw_query:
            url += "?" + query  # Go keeps a lone "?" (ForceQuery), not an emptied query
    return url


def clean_redirect(raw_target: str) -> PlainAnswer | None:
    """The server's router's answer to a request target (as sent) whose path is not clean:
    gorilla/mux cleans the decoded path of every request before it routes (``cleanPath``:
    Go's ``path.Clean``, a trailing slash kept; ``//``, ``.`` and ``..`` segments go) and
    answers one that cleaning changes with a 301 to the URL with the cleaned path, as
    ``(*URL).String`` writes it (``(*Router).ServeHTTP``; the server's routers do not
    ``SkipClean``). None for a clean path (or a target without one)."""
    from urllib.parse import unquote_to_bytes

    if raw_target == "*":  # OPTIONS *: Go's server answers it, no router sees it
        return None
    if not raw_target.startswith("/") and URL_SCHEME.match(raw_target):
        try:
            absolute = request_target(raw_target)
        except ValueError:
            return None
        moved = None if absolute.pathless else clean_redirect(absolute.rest)
        return None if moved is None else (moved[0], [("Location", absolute.origin
                                                       + moved[1][0][1])], b"")
    raw_path, mark, raw_query = raw_target.partition("?")
    path = unquote_to_bytes(raw_path)
    cleaned = _clean_path(path)
    if cleaned == path:
        return None
    location = _escape(cleaned, _PATH_SAFE).decode() + (f"?{raw_query}" if mark else "")
    return 301, [("Location", location)], b""


def _clean_path(path: bytes) -> bytes:
    """gorilla/mux's ``cleanPath``: rooted, Go's ``path.Clean`` (empty and ``.`` segments
    dropped, ``..`` takes the one before it, none above the root), the trailing slash kept."""
    kept: list[bytes] = []
    for part in path.split(b"/"):
        if part == b"..":
            if kept:
                kept.pop()
        elif part not in (b"", b"."):
            kept.append(part)
    cleaned = b"/" + b"/".join(kept)
    if path.endswith(b"/") and cleaned != b"/":
        cleaned += b"/"
    return cleaned


def parse_query(raw_query: str) -> dict[bytes, list[bytes]]:
    """``url.ParseQuery(raw_query)``: pairs with a semicolon or a bad escape are left out,
    ``+`` is a space, each key's values in their order."""
    from urllib.parse import unquote_to_bytes

    values: dict[bytes, list[bytes]] = {}
    for part in raw_query.split("&"):
        if not part or ";" in part or BAD_ESCAPE.search(part):
            continue
        key, _, value = part.partition("=")
        name = unquote_to_bytes(key.replace("+", " "))
        values.setdefault(name, []).append(unquote_to_bytes(value.replace("+", " ")))
    return values


def query_encode(raw_query: str, drop: str | None = None) -> str:
    """``url.Values.Encode()`` of ``url.ParseQuery(raw_query)`` (without the key ``drop``):
    keys sorted, each key's values in their order, spaces as ``+``, every byte but letters,
    digits and ``-_.~`` escaped."""
    from urllib.parse import quote_plus

    values = parse_query(raw_query)
    if drop is not None:
        values.pop(drop.encode("utf-8"), None)
    return "&".join(f"{quote_plus(key, safe='')}={quote_plus(value, safe='')}"
                    for key in sorted(values) for value in values[key])


def response_status(code: int) -> int:
    """The status the server sends for the plugin's ``status_code``."""
    if code == 0:
        return 200
    if not 100 <= code <= 999:
        return 500
    return code


def status_refused(code: int) -> bool:
    """Whether the server refuses the plugin's ``status_code`` (outside 100..999; 0 is 200):
    it then answers :data:`INVALID_STATUS` itself, with none of the plugin's headers and body
    (``writeHTTPResponseHeaders``)."""
    return code != 0 and not 100 <= code <= 999


def response_headers(headers: Iterable[tuple[str, Iterable[str]]]) -> list[tuple[str, str]]:
    """The plugin's response headers as (key, value) pairs with their keys canonical, as Go's
    ``Header().Add`` makes them (``x-thing`` goes out as ``X-Thing``); every one is kept, the
    hop-by-hop ones too (Go's net/http writes them, see :class:`GoResponse`)."""
    return [(canonical_key(key), value) for key, values in headers for value in values]


PlainAnswer = tuple[int, list[tuple[str, str]], bytes]


def plain_answer(status: int, text: str) -> PlainAnswer:
    """(status, headers, body) of what Go's ``http.Error`` writes: the text and a newline as
    ``text/plain; charset=utf-8``, with ``X-Content-Type-Options: nosniff``."""
    return (status, [("Content-Type", "text/plain; charset=utf-8"),
                     ("X-Content-Type-Options", "nosniff")], f"{text}\n".encode())


# Go's answer to ``OPTIONS *`` (serverHandler.ServeHTTP: globalOptionsHandler), before any router
GLOBAL_OPTIONS: PlainAnswer = (200, [("Content-Length", "0")], b"")

# The server's own answers around a plugin's ServeHTTP (hooksGRPCClient, ServePluginRequest):
# no such plugin, or it does not implement the hook (http.NotFound); the stream could not be
# opened; it failed or ended before the plugin's first answer; the plugin's status is refused.
NOT_FOUND = plain_answer(404, "404 page not found")
UNAVAILABLE = plain_answer(503, "Service Unavailable")
BAD_GATEWAY = plain_answer(502, "Bad Gateway")
INVALID_STATUS = plain_answer(500, "Internal Server Error")


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


# -- who the request is from (servePluginRequest) ----------------------------------------------
AUTHORIZATION = "Authorization"
CSRF_HEADER = "X-CSRF-Token"
REQUESTED_WITH = "X-Requested-With"
FORM_MAX = 10 << 20  # net/http: the most of a form body ParseForm reads (maxFormSize)


@dataclass(frozen=True)
class Credentials:
    """The session token a request carries, where ``servePluginRequest`` looks for it: an
    ``Authorization: Bearer <token>`` (any case) or ``Token <token>`` header, else the
    ``MMAUTHTOKEN`` cookie (``cookie``), else the ``access_token`` query parameter."""

    token: str = ""
    cookie: bool = False


def request_credentials(pairs: Iterable[tuple[str, str]], target: str) -> Credentials:
    """The :class:`Credentials` of a request with the header pairs ``pairs`` to ``target``."""
    pairs = list(pairs)
    auth = header_value(pairs, AUTHORIZATION)
    if auth.upper().startswith("BEARER "):
        return Credentials(auth[len("BEARER "):])
    if auth.lower().startswith("token "):
        return Credentials(auth[len("token "):])
    for name, value, _quoted in _read_cookies(pairs):
        if name == SESSION_COOKIE:
            return Credentials(value, cookie=True)
    values = parse_query(target.partition("?")[2]).get(ACCESS_TOKEN_PARAM.encode(), [b""])
    return Credentials(values[0].decode("utf-8", "replace"))


def token_decides(pairs: Iterable[tuple[str, str]], target: str) -> bool:
    """Whether the session token a request to ``target`` with the header pairs ``pairs``
    carries decides who it is made as (``servePluginRequest``): it carries one, and no
    ``Mattermost-User-Id`` header names a user in mmplug's own way."""
    pairs = list(pairs)
    return (not any(key.lower() == USER_ID_HEADER.lower() for key, _ in pairs)
            and bool(request_credentials(pairs, target).token))


@dataclass(frozen=True)
class Identity:
    """Who a request is made as: the user (None: nobody), the session (its id goes in the
    plugin's context), whether a session token signed it in (then ``Authorization`` is not
    passed on), and why a token it carried did not make it the session's user."""

    user_id: str | None = None
    name: str = "anonymous"
    session_id: str = ""
    signed_in: bool = False
    why: str = ""


class SignIn:
    """``servePluginRequest`` signing a request in with its token: ``lookup(token)`` is the
    server's ``GetSession`` ((session, "") or (None, why not)). A cookie-signed request other
    than GET must also pass the CSRF check (``validateCSRFForPluginRequest``): without an
    ``X-CSRF-Token`` header the server reads the whole body for a ``csrf`` form field, so
    :attr:`needs_body` says the caller must hand :meth:`identity` the body."""

    def __init__(self, method: str, target: str, pairs: Iterable[tuple[str, str]],
                 lookup: Callable[[str], tuple[Any, str]], *,
                 strict_csrf: Callable[[], bool] = lambda: False,
                 name_of: Callable[[str], str] = str) -> None:
        self.method = method  # compared as Go compares it: case and all
        self.target = target
        self.pairs = list(pairs)
        self.credentials = request_credentials(self.pairs, target)
        self.strict_csrf = strict_csrf  # asked only when the CSRF check needs it
        self.name_of = name_of  # a user id -> the name the access log shows
        self.session: Any = None
        self.why = ""
        if self.credentials.token:
            self.session, self.why = lookup(self.credentials.token)

    @property
    def needs_body(self) -> bool:
        return (self.session is not None and self._csrf_checked
                and not header_value(self.pairs, CSRF_HEADER))

    @property
    def _csrf_checked(self) -> bool:
        return self.credentials.cookie and self.method != "GET"

    def identity(self, body: bytes = b"") -> Identity:
        """Who the request is made as (``body``: the whole body, when :attr:`needs_body`)."""
        session = self.session
        if session is None:
            return Identity(why=self.why)
        if self._csrf_checked and not self._csrf_passes(body, session.props.get("csrf", "")):
            return Identity(signed_in=True, why="its session cookie came without the "
                            "session's CSRF token (an X-CSRF-Token header or a csrf form "
                            "field)")
        return Identity(session.user_id, self.name_of(session.user_id), session.id,
                        signed_in=True)

    def _csrf_passes(self, body: bytes, expected: str) -> bool:
        sent = header_value(self.pairs, CSRF_HEADER) or self._form_value(body, "csrf")
        if sent == expected:
            return True
        # the deprecated XMLHttpRequest exemption, unless strict CSRF enforcement is on
        return header_value(self.pairs, REQUESTED_WITH) == "XMLHttpRequest" \
            and not self.strict_csrf()

    def _form_value(self, body: bytes, key: str) -> str:
        """Go's ``FormValue(key)`` after ``ParseForm``: a urlencoded body's values (POST, PUT,
        PATCH; none when it is larger than net/http reads) before the query's."""
        values: list[bytes] = []
        content_type = header_value(self.pairs, "Content-Type").split(";")[0].strip().lower()
        if (self.method in ("POST", "PUT", "PATCH") and len(body) <= FORM_MAX
                and content_type == "application/x-www-form-urlencoded"):
            values += parse_query(body.decode("utf-8", "replace")).get(key.encode(), [])
        query = query_encode(self.target.partition("?")[2], drop=ACCESS_TOKEN_PARAM)
        values += parse_query(query).get(key.encode(), [])
        return values[0].decode("utf-8", "replace") if values else ""


# -- the request -------------------------------------------------------------------------------
BODY_CHUNK = 64 * 1024  # the server sends request bodies in chunks of at most this size
SITE_HOST = "localhost:8065"  # the Host of a request made by the fake host itself
LOCAL_REMOTE = "127.0.0.1:50000"  # the peer of a request no real client made


def content_length_of(headers: Iterable[tuple[str, str]]) -> int:
    """The Content-Length header's value, -1 when there is none (Go's unknown length)."""
    for key, value in headers:
        if key.lower() == "content-length" and value.strip().isdigit():
            return int(value)
    return -1


def request_init(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] = (),
    *,
    host: str = SITE_HOST,
    remote_addr: str = LOCAL_REMOTE,
    proto: tuple[int, int] = (1, 1),
    request_uri: str | None = None,
    content_length: int | None = None,
    context: Mapping[str, Any] | None = None,
) -> Message:
    """The ``ServeHTTPRequestInit`` of one request (``method`` as sent: Go keeps its case):
    ``url`` is what follows ``/plugins/<id>`` (with its query), ``headers`` the pairs the
    plugin sees (grouped by key in first-seen order), ``request_uri`` the whole path the
    client asked for (default: ``url``), ``content_length`` from the headers when not given,
    ``context`` the fields of its ``plugin_context`` (the IP address defaults to the remote
    address's)."""
    from mmplug.protocol.messages import message_factory_of

    pairs = list(headers)
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    header = message_factory_of("HTTPHeader")
    init: Any = message_factory_of("ServeHTTPRequestInit")(
        method=method, url=url, proto=f"HTTP/{proto[0]}.{proto[1]}",
        proto_major=proto[0], proto_minor=proto[1],
        headers=[header(key=k, values=v) for k, v in grouped.items()],
        host=host, remote_addr=remote_addr,
        request_uri=url if request_uri is None else request_uri,
        content_length=content_length_of(pairs) if content_length is None else content_length,
    )
    fields = {"ip_address": remote_addr.rpartition(":")[0] or "127.0.0.1", **(context or {})}
    for key, value in fields.items():
        setattr(init.plugin_context, key, value)
    return init  # type: ignore[no-any-return]


def plugin_request(
    method: str,
    target: str,
    prefix: str,
    headers: Iterable[tuple[str, str]],
    *,
    user_id: str | None = None,
    signed_in: bool = False,
    host: str = SITE_HOST,
    remote_addr: str = LOCAL_REMOTE,
    proto: tuple[int, int] = (1, 1),
    context: Mapping[str, Any] | None = None,
) -> Message:
    """The ``ServeHTTPRequestInit`` of a request a client sent to ``target`` (the whole
    request target, ``/plugins/<id>/rest?q``) with the header pairs ``headers`` as it sent
    them, as ``servePluginRequest`` leaves it for the plugin of ``prefix`` (``/plugins/<id>``)
    made as ``user_id`` (``signed_in``: by a session its token found, see :class:`SignIn`):
    the one cleaning of every request from outside (the front door, the pytest harness,
    ``mmplug fire``). The context has the client's ``Accept-Language`` and ``User-Agent``
    unless ``context`` says otherwise."""
    received = list(headers)
    pairs = [(key, value) for key, values in plugin_headers(received, user_id,
                                                            signed_in=signed_in)
             for value in values]
    fields = {"accept_language": header_value(received, "Accept-Language"),
              "user_agent": header_value(received, "User-Agent"), **(context or {})}
    return request_init(method, plugin_url(target, prefix), pairs, host=host,
                        remote_addr=remote_addr, proto=proto, request_uri=target,
                        content_length=request_length(received), context=fields)


def inter_plugin_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body_length: int,
    source_plugin_id: str,
    *,
    host: str = "",
    context: Mapping[str, Any] | None = None,
) -> Message:
    """The ``ServeHTTPRequestInit`` of another plugin's ``PluginHTTP`` call (``url`` is
    ``/rest?q`` at the destination): the request ``http.NewRequest`` makes (the body's length,
    the host of the caller's URL, no remote address or request URI; header keys canonical,
    one value each as ``Header.Set`` keeps them) with ``Mattermost-User-Id`` emptied and
    ``Mattermost-Plugin-Id`` the calling plugin's, as ``ServeInternalPluginRequest`` sets
    them."""
    grouped: dict[str, str] = {}
    for key, value in headers:
        grouped[canonical_key(key)] = value
    grouped[USER_ID_HEADER] = ""
    grouped[PLUGIN_ID_HEADER] = source_plugin_id
    fields = {"ip_address": "", "user_agent": grouped.get("User-Agent", ""), **(context or {})}
    return request_init(method, url, list(grouped.items()), host=host, remote_addr="",
                        request_uri="", content_length=body_length, context=fields)


def header_value(pairs: Iterable[tuple[str, str]], name: str) -> str:
    """The first value of the header ``name`` (any case) among ``pairs``, "" without one."""
    lower = name.lower()
    return next((value for key, value in pairs if key.lower() == lower), "")


def client_headers(pairs: Iterable[tuple[str, str]], body_length: int | None
                   ) -> list[tuple[str, str]]:
    """The headers an HTTP client sends with a body of ``body_length`` bytes (None: streamed,
    of unknown length): a ``Content-Length`` for a known non-empty body, ``Transfer-Encoding:
    chunked`` for a streamed one, unless the headers already say how long the body is."""
    pairs = list(pairs)
    if any(key.lower() in ("content-length", "transfer-encoding") for key, _ in pairs):
        return pairs
    if body_length is None:
        return [*pairs, ("Transfer-Encoding", "chunked")]
    return [*pairs, ("Content-Length", str(body_length))] if body_length else pairs


def request_messages(cls: Callable[..., Any], init: Message, body: Iterable[bytes]
                     ) -> Iterator[Any]:
    """The stream's messages for a body given in pieces of any size: the init with the first
    chunk, then chunks of at most 64 KiB, then ``body_complete`` (as the server sends them)."""
    pending = b""
    sent_init = False
    for piece in body:
        data = pending + piece if pending else piece  # each byte is copied a bounded number
        offset = 0  # of times, however large a piece (slicing off the front would not be)
        while len(data) - offset >= BODY_CHUNK:
            chunk = bytes(data[offset:offset + BODY_CHUNK])
            yield cls(init=None if sent_init else init, body_chunk=chunk)
            offset += BODY_CHUNK
            sent_init = True
        pending = bytes(data[offset:])
    yield cls(init=None if sent_init else init, body_chunk=pending, body_complete=True)


async def request_messages_async(cls: Callable[..., Any], init: Message,
                                 read: Callable[[int], Awaitable[bytes]]) -> AsyncIterator[Any]:
    """The same stream for a body read as it arrives (``read(n)``: at most n bytes, b"" at the
    end): chunks after the first are written by hand (see mmplug.protocol.body_chunks)."""
    from mmplug.protocol.body_chunks import encode_body_chunk

    pending_init: Any = init
    while True:
        chunk = await read(BODY_CHUNK)
        if not chunk:
            break
        if pending_init is None:
            yield encode_body_chunk(chunk)
            continue
        yield cls(init=pending_init, body_chunk=chunk)
        pending_init = None
    yield cls(init=pending_init, body_complete=True)


# -- the answer, as Go's net/http writes it ------------------------------------------------------
BUFFER_BEFORE_CHUNKING = 2048  # net/http: the response's own buffer (bufferBeforeChunkingSize)
CONN_BUFFER = 4096  # net/http: the connection's write buffer (conn.bufw)
# net/http: the most of a request body the handler left unread that the server reads on to
# keep the connection (maxPostHandlerReadBytes); with more left it closes the connection
MAX_POST_HANDLER_READ = 256 << 10


def body_allowed(status: int) -> bool:
    """Go's ``bodyAllowedForStatus``: no body for 1xx, 204 and 304."""
    return not (100 <= status <= 199 or status in (204, 304))


def reason_phrase(status: int) -> str:
    """The reason phrase of Go's status line."""
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"status code {status}"


# Keys Go's net/http never sends as trailers (httpguts.ValidTrailerHeader)
_BAD_TRAILERS = frozenset({
    "authorization", "cache-control", "connection", "content-encoding", "content-length",
    "content-range", "content-type", "expect", "host", "keep-alive", "max-forwards", "pragma",
    "proxy-authenticate", "proxy-authorization", "proxy-connection", "range", "realm", "te",
    "trailer", "transfer-encoding", "www-authenticate"})
TRAILER_PREFIX = "Trailer:"  # net/http: a header key so prefixed is a trailer (TrailerPrefix)


def has_token(value: str, token: str) -> bool:
    """Go's ``hasToken``: whether the comma-separated ``value`` has ``token`` (any case)."""
    return token in (part.strip().lower() for part in value.split(","))


def _elements(values: Iterable[str]) -> Iterator[str]:
    """Go's ``foreachHeaderElement`` over each value: its non-empty comma-separated parts."""
    for value in values:
        for part in value.split(","):
            if part.strip(" \t"):
                yield part.strip(" \t")


_NEWLINES = str.maketrans("\r\n", "  ")


def written_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The header lines as Go's ``Header.Write`` (``writeSubset``) puts them on the wire: keys
    sorted (each key's values in their order), a key that is not a token left out, and a
    newline or carriage return in a value turned into a space (``headerNewlineToSpace``), the
    value then trimmed of surrounding white space (``textproto.TrimString``)."""
    return [(key, value.translate(_NEWLINES).strip(" \t"))
            for key, value in sorted(headers, key=lambda pair: pair[0]) if TOKEN.match(key)]


def _go_content_length(value: str) -> int | None:
    """``strconv.ParseInt(value, 10, 64)`` when it is a length (at least 0), else None."""
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        return None
    length = int(value)
    return length if 0 <= length < 1 << 63 else None


# The order Go's net/http writes the headers it adds after the handler's (extraHeader.Write)
_EXTRA_ORDER = ("Date", "Content-Length", "Content-Type", "Connection", "Transfer-Encoding")


class GoResponse:
    """What Go's ``net/http`` server does with the writes and flushes the server's hook client
    (``receiveHTTPResponse``) makes on one HTTP/1.x response, and so when the client sees what.

    A write goes into the response's 2 KiB buffer; what overflows it goes (its headers decided
    first, :meth:`_write_head`) into the connection's 4 KiB buffer, and only what overflows
    that reaches the client. A flush sends both buffers on; so does the end of the answer,
    which, when the whole body is still in the first buffer, also sets ``Content-Length``. A
    write the response refuses ends the answer (``write`` returns False): any body for 1xx,
    204 and 304 (``ErrBodyNotAllowed``), more than the plugin's ``Content-Length``
    (``ErrContentLength``); a ``Content-Length`` that is not a length is dropped
    (``WriteHeader``). For HEAD the body is counted and dropped. A 1xx status but 101 is
    an informational answer that goes out at once (``WriteHeader``), the real one is then a
    200 with the same headers. ``proto`` and ``connection`` are the request's version and its
    ``Connection`` header; ``unread_body`` says, when the head is written, what Go found of
    the request's body (``(*chunkWriter).writeHeader``): ``"too large"`` when the handler left
    more of it unread than Go reads on for it (:data:`MAX_POST_HANDLER_READ`), ``"expect"``
    for an ``Expect: 100-continue`` body not read to its end; Go then closes the connection,
    saying ``Connection: close`` (:meth:`head_due` says when the head is about to be written,
    :attr:`closing` whether Go closes the connection whatever the body). :meth:`take` hands
    out what reached the client: ``("info", status, headers)`` for an informational answer,
    ``("head", status, headers)`` once (the headers as Go writes them, :func:`written_headers`
    then Go's own, ``Date`` aside: it goes at :attr:`date_at` when the plugin set none), then
    ``("body", bytes)`` pieces; after :meth:`finish`, :attr:`trailers` are the trailers of a
    chunked answer and :attr:`close` says whether Go closes the connection after it."""

    def __init__(self, method: str, status: int, headers: list[tuple[str, str]], *,
                 proto: tuple[int, int] = (1, 1), connection: str = "",
                 unread_body: Callable[[], str] = lambda: "") -> None:
        self.head_request = method == "HEAD"  # Go compares the method as sent: case and all
        self.unread_body = unread_body
        self.http11 = proto >= (1, 1)
        self.wants_close = has_token(connection, "close") or (
            not self.http11 and not has_token(connection, "keep-alive"))
        self.wants10_keep_alive = proto == (1, 0) and has_token(connection, "keep-alive")
        self._out: list[tuple[Any, ...]] = []
        if 100 <= status <= 199 and status != 101:
            info = written_headers((k, v) for k, v in headers
                                   if k.lower() not in ("content-length", "transfer-encoding"))
            self._out.append(("info", status, info))
            status = 200
        self.status = status
        self.declared = -1
        length = header_value(headers, "Content-Length")
        if length:  # (*response).WriteHeader: a Content-Length that is not one is dropped
            declared = _go_content_length(length)
            if declared is None:
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            else:
                self.declared = declared
        self.headers = headers
        self.written = 0
        self.chunking = False
        self.close = False  # Go closes the connection after this answer (closeAfterReply)
        self.trailers: list[tuple[str, str]] = []
        self.done = False
        self._buffer = bytearray()
        self._conn: list[tuple[str, bytes | memoryview]] = []
        self._conn_size = 0
        self._head: tuple[Any, ...] | None = None
        self.date_at = 0  # the place of Go's own Date among the head's headers

    @property
    def short(self) -> bool:
        """Whether the answer ended with fewer body bytes than its ``Content-Length`` (Go
        then closes the connection: the client sees a short body)."""
        return (not self.head_request and body_allowed(self.status)
                and self.declared != -1 and self.written != self.declared)

    def head_due(self, size: int = 0, *, now: bool = False) -> bool:
        """Whether the head goes out at a write of ``size`` bytes (or, ``now``, at a flush or
        the end): it has not gone out and the write overflows the response's buffer."""
        return self._head is None and (now or len(self._buffer) + size > BUFFER_BEFORE_CHUNKING)

    @property
    def closing(self) -> bool:
        """Whether Go closes the connection after this answer whatever the request's body
        (the request asked it, or the plugin's ``Connection: close``)."""
        return (self.close or (self.wants_close and not self.wants10_keep_alive)
                or self._first("Connection") == "close")

    def write(self, data: bytes | memoryview) -> bool:
        if not data:
            return True
        if not body_allowed(self.status):
            return False
        self.written += len(data)
        if self.declared != -1 and self.written > self.declared:
            return False
        data = memoryview(data)  # the pieces below are views: a large write is not copied
        while len(data) > BUFFER_BEFORE_CHUNKING - len(self._buffer):
            if not self._buffer:  # a large write into an empty buffer goes straight on
                self._chunk(data)
                return True
            room = BUFFER_BEFORE_CHUNKING - len(self._buffer)
            self._buffer += data[:room]
            data = data[room:]
            self._flush_buffer()
        self._buffer += data
        return True

    def flush(self) -> None:
        self._flush_buffer()
        if self._head is None:
            self._write_head(b"")
        self._flush_conn()

    def finish(self) -> None:
        self.done = True
        self._flush_buffer()
        if self._head is None:
            self._write_head(b"")
        if self.chunking:
            self.trailers = self._final_trailers()
            size = sum(len(k) + len(v) + 4 for k, v in self.trailers)
            self._conn_write("frame", b" " * (len(b"0\r\n\r\n") + size))
        self._flush_conn()

    def take(self) -> list[tuple[Any, ...]]:
        out, self._out = self._out, []
        return out

    def _flush_buffer(self) -> None:
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            self._chunk(data)

    def _chunk(self, data: bytes | memoryview) -> None:
        """Go's ``chunkWriter.Write``."""
        if self._head is None:
            self._write_head(data)
        if self.head_request:
            return
        if self.chunking:
            self._conn_write("frame", f"{len(data):x}\r\n".encode())
        self._conn_write("body", data)
        if self.chunking:
            self._conn_write("frame", b"\r\n")

    def _first(self, name: str) -> str:
        """``header.get(name)``: the first value of the plugin's header ``name``, or ""."""
        return header_value(self.headers, name)

    def _write_head(self, first: bytes | memoryview) -> None:
        """Go's ``chunkWriter.writeHeader``: the headers as they go out, before ``first``: the
        plugin's (hop-by-hop ones included) less those Go drops, then those Go adds."""
        headers = [(k, v) for k, v in self.headers if not k.startswith(TRAILER_PREFIX)]
        keys = {key.lower() for key, _ in headers}
        dropped: set[str] = set()
        extra: list[tuple[str, str]] = []
        trailers = "trailer" in keys or len(headers) < len(self.headers)
        te = self._first("Transfer-Encoding")
        allowed = body_allowed(self.status)
        has_length = self.declared != -1
        if (self.done and not trailers and not te and allowed and "content-length" not in keys
                and (not self.head_request or first)):
            extra.append(("Content-Length", str(len(first))))
            has_length = True
        if self.wants10_keep_alive and (self.head_request or has_length or not allowed):
            if "connection" not in keys:
                extra.append(("Connection", "keep-alive"))
        elif not self.http11 or self.wants_close:
            self.close = True
        if self._first("Connection") == "close":
            self.close = True
        unread = self.unread_body()
        self.close = self.close or unread == "expect"  # an expectContinueReader short of EOF
        too_big = not self.close and unread == "too large"  # requestTooLarge
        self.close = self.close or too_big
        if allowed:
            if ("content-type" not in keys and not self._first("Content-Encoding") and not te
                    and first):
                extra.append(("Content-Type", sniff_content_type(bytes(first[:512]))))
        else:
            dropped |= {"content-length", "transfer-encoding"}
            if self.status == 304:
                dropped.add("content-type")
        if has_length and te and te != "identity":
            dropped.add("content-length")
            has_length = False
        if self.head_request or not allowed or self.status == 204 or has_length:
            dropped.add("transfer-encoding")
        elif not self.http11 or te == "identity":  # the end of the body is the connection's
            self.close = True
            dropped.add("transfer-encoding")
        else:
            self.chunking = True
            extra.append(("Transfer-Encoding", "chunked"))
            if te == "chunked":
                dropped.add("transfer-encoding")
        if self.chunking:
            dropped.add("content-length")
        switching = self.status == 101 and "upgrade" in keys
        closing = too_big or not has_token(self._first("Connection"), "close")
        if self.close and closing and not switching:
            dropped.add("connection")
            extra = [(k, v) for k, v in extra if k != "Connection"]
            if self.http11 or too_big:
                extra.append(("Connection", "close"))
        headers = written_headers((k, v) for k, v in headers if k.lower() not in dropped)
        self.date_at = len(headers)  # where Go's Date goes when the plugin set none
        headers += sorted(extra, key=lambda pair: _EXTRA_ORDER.index(pair[0]))
        self._head = ("head", self.status, headers)
        size = len(f"HTTP/1.1 {self.status} {reason_phrase(self.status)}\r\nDate: \r\n\r\n") + 29
        size += sum(len(k) + len(v) + 4 for k, v in headers)
        self._conn_write("head", b" " * size)

    def _final_trailers(self) -> list[tuple[str, str]]:
        """Go's ``finalTrailers``: the values of the keys the ``Trailer`` header declares (as
        the headers have them; the plugin sets them all before its first byte) and of the
        ``Trailer:``-prefixed keys."""
        out = [(k[len(TRAILER_PREFIX):], v) for k, v in self.headers
               if k.startswith(TRAILER_PREFIX)]
        declared = [canonical_key(k) for k in _elements(
            v for k, v in self.headers if k.lower() == "trailer")]
        for key in dict.fromkeys(k for k in declared
                                 if TOKEN.match(k) and k.lower() not in _BAD_TRAILERS):
            out += [(key, v) for k, v in self.headers if k == key]
        return written_headers(out)

    def _conn_write(self, kind: str, data: bytes | memoryview) -> None:
        """Go's ``bufio.Writer.Write`` on the connection's buffer."""
        data = memoryview(data)
        while len(data) > CONN_BUFFER - self._conn_size:
            if not self._conn_size:
                self._emit(kind, data)
                return
            room = CONN_BUFFER - self._conn_size
            self._conn.append((kind, data[:room]))
            self._conn_size += room
            data = data[room:]
            self._flush_conn()
        if data:
            self._conn.append((kind, data))
            self._conn_size += len(data)

    def _flush_conn(self) -> None:
        pending, self._conn, self._conn_size = self._conn, [], 0
        for kind, data in pending:
            self._emit(kind, data)

    def _emit(self, kind: str, data: bytes | memoryview) -> None:
        if kind == "head" and self._head is not None and self._head[0] == "head":
            self._out.append(self._head)
            self._head = ("sent",)
        elif kind == "body":
            self._out.append(("body", data))


def client_answer(method: str, status: int, headers: list[tuple[str, str]],
                  pieces: Iterable[bytes | memoryview]) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the whole answer as the client of a server reads it, when
    the server's hook client writes ``pieces`` (an empty one: a flush) into Go's net/http
    response (:class:`GoResponse`): the headers as Go writes them (a sniffed
    ``Content-Type``, a ``Content-Length`` for an answer that ended in the first buffer, else
    ``Transfer-Encoding: chunked``, the plugin's hop-by-hop ones); no body for HEAD, 1xx, 204
    and 304; a write the response refuses ends the answer (the rest is not read). A client
    passes over an informational (1xx) answer: the status is the final one's."""
    go = GoResponse(method, status, headers)
    for piece in pieces:
        if not piece:
            go.flush()
        elif not go.write(piece):
            break
    go.finish()
    out: list[tuple[str, str]] = []
    body = bytearray()
    for event in go.take():
        if event[0] == "head":
            _, status, out = event
        elif event[0] == "body":
            body += event[1]
    return status, list(out), bytes(body)
