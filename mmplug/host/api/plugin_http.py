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
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mmplug.errors import MmplugError
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.http_codec import NOT_FOUND, inter_plugin_request, query_encode
from mmplug.protocol import api_remaining_pb2 as pb

# The server's answers for a URL not of the form /<plugin id>/<path> (HTTP 400 bodies).
NOT_ENOUGH_URL = "Not enough URL. Form of URL should be /<pluginid>/*"
NO_PLUGIN = "No plugin specified. Form of URL should be /<pluginid>/*"


def _answer(status: int, body: bytes) -> pb.PluginHTTPResponse:
    return pb.PluginHTTPResponse(
        status_code=status, headers={"Content-Type": "text/plain; charset=utf-8"}, body=body
    )


@emulates("PluginHTTP")
def plugin_http(ctx: ApiContext, req: pb.PluginHTTPRequest) -> pb.PluginHTTPResponse:
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
        return _answer(404, NOT_FOUND[2])
    body = answer.read()
    joined: dict[str, list[str]] = {}
    for key, value in answer.headers:
        joined.setdefault(key, []).append(value)
    flat = {key: ", ".join(values) for key, values in joined.items()}
    return pb.PluginHTTPResponse(status_code=answer.status, headers=flat, body=body)
