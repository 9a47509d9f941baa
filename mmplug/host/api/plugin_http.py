"""PluginHTTP: one plugin calls another plugin's HTTP API through the server.

As the server does: the URL is ``/<destination plugin id>/<path>``; the destination's
ServeHTTP sees ``/<path>`` with ``Mattermost-Plugin-Id`` set to the calling plugin's id (any
such header from the caller is replaced); an unknown or inactive destination is a 404 answer,
not an error; the answer's headers are flattened to one value per key.
"""

from __future__ import annotations

from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_remaining_pb2 as pb

PLUGIN_ID_HEADER = "Mattermost-Plugin-Id"


@emulates("PluginHTTP")
def plugin_http(ctx: ApiContext, req: pb.PluginHTTPRequest) -> pb.PluginHTTPResponse:
    serve = getattr(ctx.hooks, "serve_http", None)
    if serve is None:
        raise ApiFailure(501, "api.plugin.http.not_available",
                         "inter-plugin HTTP needs a session with the destination plugin")
    url = req.url if req.url.startswith("/") else "/" + req.url
    destination, _, rest = url[1:].partition("/")
    if not destination:
        raise ApiFailure(400, "api.plugin.http.bad_url",
                         f"PluginHTTP url {req.url!r} must start with /<plugin id>/")
    headers = [(k, v) for k, v in req.headers.items() if k.lower() != PLUGIN_ID_HEADER.lower()]
    headers.append((PLUGIN_ID_HEADER, ctx.plugin_id))
    try:
        answer = serve(destination, req.method or "GET", "/" + rest, headers, bytes(req.body))
    except Exception as exc:  # an unknown destination: the server answers 404
        message = getattr(exc, "message", str(exc))
        return pb.PluginHTTPResponse(status_code=404, body=message.encode())
    body = answer.read()
    flat: dict[str, str] = {}
    for key, value in answer.headers:
        flat.setdefault(key, value)
    return pb.PluginHTTPResponse(status_code=answer.status, headers=flat, body=body)
