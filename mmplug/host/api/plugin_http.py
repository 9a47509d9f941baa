"""PluginHTTP: one plugin calls another plugin's HTTP API through the server.

As the server does (``PluginAPI.PluginHTTP``, ``ServeInterPluginRequest``): the URL's path
must be ``/<destination plugin id>/<rest>``, otherwise the answer is an HTTP 400 response
(not an AppError) whose body says the form; the destination's ServeHTTP sees ``/<rest>``
with the query string re-encoded (keys sorted), the request as ``http.NewRequest`` makes it
(header keys canonical, ``content_length`` the body's length; see
:func:`~mmplug.host.http_codec.inter_plugin_request`), ``Mattermost-Plugin-Id`` set to the
calling plugin's id and ``Mattermost-User-Id`` emptied (whatever the caller sent in those
headers); an unknown or inactive destination is a 404 response ``404 page not found``, not an
error; the answer's headers are one value per key, its values joined with ", " as the
server's ``PluginHTTP`` handler joins them.

The server's gRPC handler makes the request with Go's ``http.NewRequest`` first: a method
that is not an HTTP token or a URL Go cannot parse is INVALID_ARGUMENT ``failed to create
request: <why>`` before anything is sent. The app's own 400 answers have no headers; a 404 for a
missing destination has those of Go's ``http.NotFound``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from mmplug.errors import MmplugError
from mmplug.host.api._handlers import HandlerStatus
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.http_codec import (
    BAD_ESCAPE,
    NOT_FOUND,
    TOKEN,
    URL_CONTROL,
    URL_SCHEME,
    inter_plugin_request,
    query_encode,
)
from mmplug.protocol import api_remaining_pb2 as pb

# The server's answers for a URL not of the form /<plugin id>/<path> (HTTP 400 bodies).
NOT_ENOUGH_URL = "Not enough URL. Form of URL should be /<pluginid>/*"
NO_PLUGIN = "No plugin specified. Form of URL should be /<pluginid>/*"

differs(
    "PluginHTTP",
    "The server's handler refuses every URL Go's url.Parse refuses (INVALID_ARGUMENT `failed "
    "to create request: parse ...`); mmplug refuses the same for a method that is not an HTTP "
    "token, control characters, a missing scheme, a colon in the first path segment and a bad "
    "%-escape, but does not check the host and port of an absolute URL.",
)

_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def _go_quote(text: str) -> str:
    """Go's strconv.Quote of ``text`` (as %q writes it)."""
    return '"' + "".join(_GO_ESCAPES.get(c, c if c.isprintable() else f"\\x{ord(c):02x}")
                         for c in text) + '"'


def _bad_escape(text: str) -> str | None:
    found = BAD_ESCAPE.search(text)
    return None if found is None else f"invalid URL escape {_go_quote(text[found.start():][:3])}"


def _request_error(method: str, url: str) -> str | None:
    """Why Go's ``http.NewRequest(method, url, body)`` fails, or None (an empty method is
    GET)."""
    if method and not TOKEN.fullmatch(method):
        return f"net/http: invalid method {_go_quote(method)}"
    rest, _, fragment = url.partition("#")
    if URL_CONTROL.search(rest):
        why: str | None = "net/url: invalid control character in URL"
    elif rest.startswith(":"):
        why = "missing protocol scheme"
    else:
        scheme = URL_SCHEME.match(rest)
        path = rest.partition("?")[0]
        if scheme is None and not path.startswith("/") and ":" in path.partition("/")[0]:
            why = "first path segment in URL cannot contain colon"
        else:
            why = None if scheme is not None and not path[scheme.end():].startswith("/") \
                else _bad_escape(path)
        if why is None:
            why = _bad_escape(fragment)
            if why is not None:
                rest = url
    return None if why is None else f"parse {_go_quote(rest)}: {why}"


def _joined(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The answer's headers as the server's handler sends them: the values of each key joined
    with ", "."""
    values: dict[str, list[str]] = {}
    for key, value in headers:
        values.setdefault(key, []).append(value)
    return {key: ", ".join(each) for key, each in values.items()}


def _answer(status: int, body: bytes) -> pb.PluginHTTPResponse:
    # the app's own 400 answers: an http.Response without headers
    return pb.PluginHTTPResponse(status_code=status, body=body)


@emulates("PluginHTTP")
def plugin_http(ctx: ApiContext, req: pb.PluginHTTPRequest) -> pb.PluginHTTPResponse:
    why = _request_error(req.method, req.url)
    if why is not None:  # the server's handler: http.NewRequest failed
        raise HandlerStatus("INVALID_ARGUMENT", f"failed to create request: {why}")
    serve = getattr(ctx.hooks, "serve_http", None)
    if serve is None:
        raise ApiFailure(501, "api.plugin.http.not_available",
                         "inter-plugin HTTP needs a session with the destination plugin")
    url = urlsplit(req.url)
    parts = url.path.split("/", 2)
    if len(parts) != 3:
        return _answer(400, NOT_ENOUGH_URL.encode())
    destination, rest = parts[1], "/" + parts[2]
    if not destination:
        return _answer(400, NO_PLUGIN.encode())
    query = query_encode(url.query)
    body = bytes(req.body)
    init = inter_plugin_request(req.method or "GET", rest + ("?" + query if query else ""),
                                req.headers.items(), len(body), ctx.plugin_id,
                                host=url.netloc, context={"request_id": ctx.new_id()})
    try:
        answer = serve(destination, init, body)
    except MmplugError:  # an unknown or inactive destination: the server's http.NotFound
        status, found_headers, found_body = NOT_FOUND
        return pb.PluginHTTPResponse(status_code=status, headers=_joined(found_headers),
                                     body=found_body)
    body = answer.read()
    return pb.PluginHTTPResponse(status_code=answer.status, headers=_joined(answer.headers),
                                 body=body)
