"""The explorer's JSON API: every route in one table, which also writes the OpenAPI document.

The page uses nothing else, so scripts and coding agents can do what it does::

    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8066/api/calls?hook=ExecuteCommand

Handlers run the blocking work (the store, hook calls) on a small thread pool, never on the
event loop. Errors are JSON ``{"error": ..., "hint": ...}`` with a status that fits (400 a bad
request, 404 not found, 409 not possible now, e.g. no plugin running).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from aiohttp import web

    from mmplug.explorer.server import Explorer

OPENAPI_PATH = "/api/openapi.json"
Handler = Callable[["Explorer", "web.Request"], Awaitable["web.StreamResponse"]]


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # path | query
    description: str
    kind: str = "string"  # string | integer | boolean
    required: bool = False


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    handler: Handler
    params: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None  # JSON schema of the request body
    response: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    tag: str = "explorer"
    changes_state: bool = False
    created: bool = False  # answers 201


class ApiError(MmplugError):
    def __init__(self, message: str, *, status: int = 400, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "")
        self.status = status


# -- helpers -----------------------------------------------------------------------------------
async def _run(explorer: Explorer, fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(explorer.pool, fn, *args)


def _json(data: Any, status: int = 200) -> web.Response:
    from aiohttp import web

    return web.Response(text=json.dumps(data, ensure_ascii=False, default=str), status=status,
                        content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json(loads=json.loads)
    except ValueError:
        raise ApiError("the request body is not JSON", hint="send a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError("the request body must be a JSON object")
    return data


def _need(data: dict[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if data.get(n) in (None, "")]
    if missing:
        raise ApiError(f"missing {', '.join(missing)} in the request body")
    return [data[n] for n in names]


def _int(value: str | None, name: str, default: int | None = None) -> int | None:
    if value in (None, ""):
        return default
    try:
        return int(str(value))
    except ValueError:
        raise ApiError(f"{name} must be a number, not {value!r}") from None


def _user_id(explorer: Explorer, who: str) -> str:
    """A user id from a username, @username or id."""
    from mmplug.host.api.queries import user_by_name

    found = user_by_name(explorer.backend.store, str(who or "").strip().lstrip("@"))
    if found is None:
        raise ApiError(f"no user {who!r} in the store", status=404,
                       hint="GET /api/world lists the users")
    return found[0]


# -- status and stream -------------------------------------------------------------------------
async def status(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    data = await _run(explorer, explorer.backend.status)
    data["explorer"] = {"url": explorer.url, "openapi": OPENAPI_PATH}
    return _json(data)


async def openapi(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    return _json(document(ROUTES, explorer.url))


async def stream(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    return await explorer.hub.serve(request)


# -- trace -------------------------------------------------------------------------------------
async def calls(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    q = request.query
    user = q.get("user")
    user_id = await _run(explorer, _user_id, explorer, user) if user else None
    found = await _run(explorer, lambda: explorer.backend.trace.list(
        kind=q.get("kind") or None, name=q.get("hook") or q.get("name") or None,
        method=q.get("method") or None, user_id=user_id,
        errors=q.get("errors") in ("1", "true", "yes"), text=q.get("text") or None,
        plugin_id=q.get("plugin") or None, before=_int(q.get("before"), "before"),
        limit=_int(q.get("limit"), "limit", 200) or 200))
    return _json(found)


async def call_names(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    return _json(await _run(explorer, explorer.backend.trace.names))


async def call_detail(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    seq = _int(request.match_info["seq"], "seq") or 0
    found = await _run(explorer, explorer.backend.trace.detail, seq)
    if found is None:
        raise ApiError(f"no call #{seq} in the trace", status=404)
    return _json(found)


async def hook_schema(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer.schema import hook_schema as schema_of

    hook = request.match_info["hook"]
    found = schema_of(hook)
    if found is None:
        raise ApiError(f"{hook!r} is not a Mattermost plugin hook", status=404)
    return _json(found)


async def refire(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    seq = _int(request.match_info["seq"], "seq") or 0
    data = await _body(request)
    result = await _run(explorer, explorer.refire, seq, data.get("request"))
    return _json(result)


async def keep(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import keep as keeping

    data = await _body(request)
    seqs, name = _need(data, "calls", "name")
    if not isinstance(seqs, list) or not all(isinstance(s, int) for s in seqs):
        raise ApiError("calls must be a list of call numbers")
    saved = await _run(explorer, lambda: keeping.save(
        explorer.backend, seqs, str(name), test=bool(data.get("test")),
        overwrite=bool(data.get("overwrite"))))
    return _json(saved, status=201)


# -- chat --------------------------------------------------------------------------------------
async def world(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    return _json(await _run(explorer, state.world, explorer.backend))


async def channel_posts(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    who = request.query.get("as")
    user_id = await _run(explorer, _user_id, explorer, who) if who else ""
    found = await _run(explorer, state.channel_posts, explorer.backend,
                       request.match_info["channel_id"], user_id)
    return _json(found)


async def chat_post(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import actions

    data = await _body(request)
    who, channel_id, message = _need(data, "user", "channel_id", "message")
    user_id = await _run(explorer, _user_id, explorer, who)
    text = str(message)
    root = str(data.get("root_id") or "")
    if text.startswith("/") and not data.get("literal"):
        answer = await _run(explorer, actions.command, explorer.backend, user_id,
                            str(channel_id), text, root)
        return _json({"command": text, "response": answer}, status=201)
    post = await _run(explorer, actions.post, explorer.backend, user_id, str(channel_id), text,
                      root)
    return _json({"post": post}, status=201)


async def chat_react(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import actions

    data = await _body(request)
    who, post_id, emoji = _need(data, "user", "post_id", "emoji")
    user_id = await _run(explorer, _user_id, explorer, who)
    await _run(explorer, lambda: actions.react(explorer.backend, user_id, str(post_id),
                                               str(emoji), remove=bool(data.get("remove"))))
    return _json({"ok": True})


async def chat_edit(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import actions

    data = await _body(request)
    who, post_id, message = _need(data, "user", "post_id", "message")
    user_id = await _run(explorer, _user_id, explorer, who)
    post = await _run(explorer, actions.edit, explorer.backend, user_id, str(post_id),
                      str(message))
    return _json({"post": post})


async def chat_delete(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import actions

    data = await _body(request)
    who, post_id = _need(data, "user", "post_id")
    user_id = await _run(explorer, _user_id, explorer, who)
    await _run(explorer, actions.delete, explorer.backend, user_id, str(post_id))
    return _json({"ok": True})


async def dialogs(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    who = request.query.get("user", "")
    user_id = await _run(explorer, _user_id, explorer, who) if who else ""
    return _json({"dialogs": await _run(explorer, explorer.open_dialogs, user_id)})


async def dialog_submit(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    who, event, channel_id = _need(data, "user", "dialog", "channel_id")
    user_id = await _run(explorer, _user_id, explorer, who)
    submission = data.get("submission") or {}
    if not isinstance(submission, dict):
        raise ApiError("submission must be an object of element name: value")
    answer = await _run(explorer, lambda: explorer.submit_dialog(
        user_id, int(event), str(channel_id), submission, bool(data.get("cancelled"))))
    return _json({"answer": answer})


async def side_events(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    kinds = tuple(k for k in request.query.get("kind", "").split(",") if k)
    found = await _run(explorer, lambda: state.events(
        explorer.backend, kinds=kinds, after=_int(request.query.get("after"), "after", 0) or 0,
        limit=_int(request.query.get("limit"), "limit", 200) or 200))
    return _json({"events": found})


# -- state -------------------------------------------------------------------------------------
async def kv_list(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    return _json({"entries": await _run(explorer, state.kv_list, explorer.backend,
                                        request.match_info["plugin_id"])})


async def kv_put(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    data = await _body(request)
    (value,) = _need(data, "value")
    saved = await _run(explorer, state.kv_set, explorer.backend, request.match_info["plugin_id"],
                       request.match_info["key"], str(value), str(data.get("encoding", "text")))
    return _json(saved)


async def kv_delete(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    await _run(explorer, state.kv_delete, explorer.backend, request.match_info["plugin_id"],
               request.match_info["key"])
    return _json({"ok": True})


async def table(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    name = request.match_info["table"]
    readers: dict[str, Callable[[], Any]] = {
        "users": lambda: state.users(explorer.backend),
        "channels": lambda: state.channels(explorer.backend),
        "posts": lambda: state.posts(explorer.backend, request.query.get("channel_id", "")),
        "files": lambda: state.files(explorer.backend),
    }
    if name not in readers:
        raise ApiError(f"no table {name!r}", status=404, hint="users, channels, posts or files")
    return _json({name: await _run(explorer, readers[name])})


async def file_content(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from aiohttp import web

    from mmplug.explorer import state

    name, mime, data = await _run(explorer, state.file_content, explorer.backend,
                                  request.match_info["file_id"])
    safe = name.replace('"', "").replace("\\", "")
    return web.Response(body=data, content_type=mime if "/" in mime else "application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{safe}"',
                                 "X-Content-Type-Options": "nosniff"})


async def settings_get(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    return _json(await _run(explorer, state.settings, explorer.backend,
                            request.match_info["plugin_id"]))


async def settings_put(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    data = await _body(request)
    (values,) = _need(data, "settings")
    return _json(await _run(explorer, state.save_settings, explorer.backend,
                            request.match_info["plugin_id"], values))


async def snapshots(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    return _json({"snapshots": await _run(explorer, state.snapshot_list, explorer.backend)})


async def snapshot_take(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    data = await _body(request)
    (name,) = _need(data, "name")
    taken = await _run(explorer, lambda: state.snapshot_take(
        explorer.backend, str(name), force=bool(data.get("force"))))
    return _json(taken, status=201)


async def snapshot_restore(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    await _run(explorer, state.snapshot_restore, explorer.backend, request.match_info["name"])
    return _json({"ok": True})


async def snapshot_delete(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    await _run(explorer, state.snapshot_delete, explorer.backend, request.match_info["name"])
    return _json({"ok": True})


async def state_reset(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    from mmplug.explorer import state

    await _run(explorer, state.reset, explorer.backend)
    return _json({"ok": True})


# -- the clock ---------------------------------------------------------------------------------
async def clock_get(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    return _json(await _run(explorer, explorer.backend.clock))


async def clock_move(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    advance, to = data.get("advance"), data.get("to")
    if not advance and not to:
        raise ApiError("give advance (a duration: 1d, 12h) or to (an ISO 8601 time)")
    return _json(await _run(explorer, explorer.backend.clock,
                            str(advance) if advance else None, str(to) if to else None,
                            bool(data.get("data_retention"))))


# -- HTTP --------------------------------------------------------------------------------------
async def http_routes(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    return _json({"plugins": await _run(explorer, explorer.http_routes),
                  "front_door": explorer.backend.front_door_url()})


async def http_try(explorer: Explorer, request: web.Request) -> web.StreamResponse:
    data = await _body(request)
    plugin_id, method, path = _need(data, "plugin_id", "method", "path")
    return _json(await explorer.try_http(str(plugin_id), str(method), str(path),
                                         str(data.get("user") or "anonymous"),
                                         str(data.get("body") or ""),
                                         dict(data.get("headers") or {})))


# -- the table ---------------------------------------------------------------------------------
_SEQ = Param("seq", "path", "The call's number in the trace.", "integer", True)
_PLUGIN = Param("plugin_id", "path", "The plugin's id.", required=True)
_OBJ: dict[str, Any] = {"type": "object"}


def _props(required: list[str], **props: str) -> dict[str, Any]:
    types = {"s": "string", "i": "integer", "b": "boolean", "o": "object", "a": "array"}
    return {"type": "object", "required": required,
            "properties": {k: {"type": types[v[0]], "description": v[2:]}
                           for k, v in props.items()}}


ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/status", "The plugins, their state, the front door and the store.",
          status, tag="status"),
    Route("GET", OPENAPI_PATH, "This document.", openapi, tag="status"),
    Route("GET", "/api/stream", "Live updates as server-sent events: `calls` (new trace "
          "entries), `change` (posts, reactions, ephemeral posts, dialogs, WebSocket events), "
          "`status` (reloads, crashes).", stream, tag="status",
          response={"type": "string", "description": "text/event-stream"}),
    Route("GET", "/api/calls", "Trace entries, newest first, filtered.", calls, (
        Param("kind", "query", "hook, http, api, lifecycle or action."),
        Param("hook", "query", "Only calls of this hook (or entries of this name)."),
        Param("method", "query", "Only calls that made this PluginAPI method call."),
        Param("user", "query", "Only calls about this user (username or id)."),
        Param("errors", "query", "Only calls that failed.", "boolean"),
        Param("text", "query", "Only calls with this text in a string value, a log line or "
              "the error (case-insensitive)."),
        Param("plugin", "query", "Only calls of this plugin."),
        Param("before", "query", "Only calls numbered below this (paging).", "integer"),
        Param("limit", "query", "At most this many (default 200, at most 1000).", "integer"),
    ), tag="trace"),
    Route("GET", "/api/calls/names", "The hooks, API methods and plugins seen in the trace.",
          call_names, tag="trace"),
    Route("GET", "/api/calls/{seq}", "One call in full: request (as the plugin got it; "
          "request_as_made when the host made more of it), response, API calls, logs, "
          "timings, the calls it caused.", call_detail, (_SEQ,), tag="trace"),
    Route("POST", "/api/calls/{seq}/fire", "Fire a recorded hook call again, its request as "
          "recorded or as given; answers the new call.", refire, (_SEQ,),
          body={"type": "object", "properties": {"request": {
              "type": "object", "description": "The request in protobuf's JSON mapping (proto "
              "field names); default: the recorded one."}}}, tag="trace", changes_state=True),
    Route("GET", "/api/hooks/{hook}/schema", "The fields of a hook's request (for editing).",
          hook_schema, (Param("hook", "path", "The hook's Go name.", required=True),),
          tag="trace"),
    Route("POST", "/api/cassettes", "Save hook calls as a cassette under fixtures/cassettes/ "
          "and, with test, as a pytest test under tests/.", keep, body=_props(
              ["calls", "name"], calls="a call numbers", name="s cassette name (no extension)",
              test="b also write tests/test_<name>.py", overwrite="b replace existing files"),
          tag="trace", changes_state=True, created=True),
    Route("GET", "/api/world", "Users, teams, channels (with members) and registered slash "
          "commands.", world, tag="chat"),
    Route("GET", "/api/channels/{channel_id}/posts", "A channel's newest posts with reactions, "
          "and the ephemeral posts the user `as` was sent there.", channel_posts, (
              Param("channel_id", "path", "The channel's id.", required=True),
              Param("as", "query", "The user looking (username or id)."),
          ), tag="chat"),
    Route("POST", "/api/chat/post", "A user posts in a channel or thread (a message starting "
          "with / runs that slash command).", chat_post, body=_props(
              ["user", "channel_id", "message"], user="s username or id",
              channel_id="s the channel", message="s the text, or /command args",
              root_id="s the thread's root post", literal="b post a leading / as text"),
          tag="chat", changes_state=True, created=True),
    Route("POST", "/api/chat/react", "A user adds (or removes) a reaction.", chat_react,
          body=_props(["user", "post_id", "emoji"], user="s username or id", post_id="s post",
                      emoji="s emoji name", remove="b remove it"), tag="chat",
          changes_state=True),
    Route("POST", "/api/chat/edit", "The author edits a post.", chat_edit,
          body=_props(["user", "post_id", "message"], user="s username or id",
                      post_id="s post", message="s new text"), tag="chat", changes_state=True),
    Route("POST", "/api/chat/delete", "The author deletes a post.", chat_delete,
          body=_props(["user", "post_id"], user="s username or id", post_id="s post"),
          tag="chat", changes_state=True),
    Route("GET", "/api/dialogs", "Interactive dialogs the plugin opened and nobody submitted.",
          dialogs, (Param("user", "query", "Only this user's (username or id)."),), tag="chat"),
    Route("POST", "/api/dialogs/submit", "Submit (or cancel) a dialog as the server does: a "
          "POST of the submission to the dialog's URL.", dialog_submit, body=_props(
              ["user", "dialog", "channel_id"], user="s username or id",
              dialog="i the dialog's number (GET /api/dialogs)", channel_id="s the channel",
              submission="o element name: value", cancelled="b cancel instead"),
          tag="chat", changes_state=True),
    Route("GET", "/api/events", "Captured side effects: WebSocket events, ephemeral posts, "
          "dialogs, mail, ... newest first.", side_events, (
              Param("kind", "query", "Comma-separated kinds (websocket_event, ...)."),
              Param("after", "query", "Only events numbered above this.", "integer"),
              Param("limit", "query", "At most this many.", "integer"),
          ), tag="chat"),
    Route("GET", "/api/kv/{plugin_id}", "A plugin's KV entries, values as text, JSON or "
          "base64.", kv_list, (_PLUGIN,), tag="state"),
    Route("PUT", "/api/kv/{plugin_id}/{key}", "Set (add or change) a KV value.", kv_put, (
        _PLUGIN, Param("key", "path", "The key.", required=True)),
        body=_props(["value"], value="s the value", encoding="s text (default), json or base64"),
        tag="state", changes_state=True),
    Route("DELETE", "/api/kv/{plugin_id}/{key}", "Delete a KV key.", kv_delete, (
        _PLUGIN, Param("key", "path", "The key.", required=True)), tag="state",
        changes_state=True),
    Route("GET", "/api/tables/{table}", "Users, channels, posts (channel_id) or files.", table, (
        Param("table", "path", "users, channels, posts or files.", required=True),
        Param("channel_id", "query", "posts: only this channel's.")), tag="state"),
    Route("GET", "/api/files/{file_id}", "A stored file's bytes.", file_content,
          (Param("file_id", "path", "The file's id.", required=True),), tag="state",
          response={"type": "string", "format": "binary"}),
    Route("GET", "/api/settings/{plugin_id}", "A plugin's settings: the manifest's form and "
          "the saved values (secrets masked).", settings_get, (_PLUGIN,), tag="state"),
    Route("PUT", "/api/settings/{plugin_id}", "Save a plugin's settings as the System Console "
          "does (fires ConfigurationWillBeSaved and OnConfigurationChange).", settings_put,
          (_PLUGIN,), body=_props(["settings"], settings="o key: value"), tag="state",
          changes_state=True),
    Route("GET", "/api/snapshots", "Named snapshots of the state.", snapshots, tag="state"),
    Route("POST", "/api/snapshots", "Save the state as a named snapshot.", snapshot_take,
          body=_props(["name"], name="s letters, digits, - _ .", force="b replace it"),
          tag="state", changes_state=True, created=True),
    Route("POST", "/api/snapshots/{name}/restore", "Replace the state with a snapshot (the "
          "plugins restart on it).", snapshot_restore,
          (Param("name", "path", "The snapshot.", required=True),), tag="state",
          changes_state=True),
    Route("DELETE", "/api/snapshots/{name}", "Delete a snapshot.", snapshot_delete,
          (Param("name", "path", "The snapshot.", required=True),), tag="state",
          changes_state=True),
    Route("POST", "/api/state/reset", "Start over from the world (the plugins restart).",
          state_reset, tag="state", changes_state=True),
    Route("GET", "/api/clock", "The host's clock: the time, and when each plugin's scheduled "
          "jobs are due.", clock_get, tag="state"),
    Route("POST", "/api/clock", "Move the host's clock (forward by a duration, or to a time): "
          "the plugins' scheduled jobs run as they fall due, expired KV entries go.",
          clock_move, body=_props([], advance="s a duration: 30d, 12h, 90m",
                                  to="s an ISO 8601 time (UTC unless it has an offset)",
                                  data_retention="b run the daily data retention job on the "
                                                 "way"), tag="state", changes_state=True),
    Route("GET", "/api/http/routes", "Each plugin's HTTP routes (read from its source).",
          http_routes, tag="http"),
    Route("POST", "/api/http/request", "Send a request through the front door as a user.",
          http_try, body=_props(["plugin_id", "method", "path"], plugin_id="s the plugin",
                                method="s GET, POST, ...", path="s after /plugins/<id>",
                                user="s username, or anonymous", body="s request body",
                                headers="o name: value"), tag="http", changes_state=True),
)


def document(routes: tuple[Route, ...], url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes``."""
    from mmplug import __version__

    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary, "tags": [route.tag],
            "operationId": f"{route.method.lower()}_{route.handler.__name__}",
            "responses": {
                "201" if route.created else "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": route.response}}},
                "4XX": {"description": "{error, hint}: what is wrong and how to fix it",
                        "content": {"application/json": {"schema": _ERROR}}},
            },
        }
        if route.params:
            operation["parameters"] = [
                {"name": p.name, "in": p.where, "required": p.required or p.where == "path",
                 "description": p.description, "schema": {"type": p.kind}}
                for p in route.params]
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": route.body}}}
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "mmplug Plugin Explorer", "version": __version__,
                 "description": "The JSON API behind the explorer's page. Every request carries "
                 "the token printed with the explorer's URL: `Authorization: Bearer TOKEN` (or "
                 "`X-Mmplug-Token`, or `?token=`); requests that change state need it in a "
                 "header or the query, never a cookie alone."},
        "servers": [{"url": url}] if url else [],
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "header": {"type": "apiKey", "in": "header", "name": "X-Mmplug-Token"},
            "query": {"type": "apiKey", "in": "query", "name": "token"}}},
        "security": [{"bearer": []}, {"header": []}, {"query": []}],
        "paths": paths,
    }


_ERROR = {"type": "object", "properties": {"error": {"type": "string"},
                                           "hint": {"type": ["string", "null"]}}}
