"""A tiny in-test PluginAPI server (real gRPC) for the SDK's client tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any

import grpc

from mmplug.protocol.catalog import API
from mmplug.sdk._proto import API_SERVICE, message_class


class FakeAPI:
    """A tiny PluginAPI: a KV dict, a few entities, errors on demand."""

    def __init__(self) -> None:
        self.kv: dict[str, bytes] = {}
        self.logs: list[tuple[str, str, dict[str, Any]]] = []
        self.requests: list[tuple[str, Any]] = []

    def handle(self, name: str, request: Any, context: grpc.ServicerContext) -> Any:
        self.requests.append((name, request))
        spec = next(a for a in API if a.go_name == name)
        response = message_class(spec.response)()
        method = getattr(self, f"do_{name}", None)
        if method is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{name} is not emulated")
        method(request, response, context)
        return response

    def do_KVSet(self, req: Any, resp: Any, ctx: Any) -> None:
        if req.value:
            self.kv[req.key] = req.value
        else:
            self.kv.pop(req.key, None)

    def do_KVGet(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.value = self.kv.get(req.key, b"")

    def do_KVDelete(self, req: Any, resp: Any, ctx: Any) -> None:
        self.kv.pop(req.key, None)

    def do_KVDeleteAll(self, req: Any, resp: Any, ctx: Any) -> None:
        self.kv.clear()

    def do_KVList(self, req: Any, resp: Any, ctx: Any) -> None:
        keys = sorted(self.kv)
        resp.keys.extend(keys[req.page * req.per_page:(req.page + 1) * req.per_page])

    def do_KVCompareAndSet(self, req: Any, resp: Any, ctx: Any) -> None:
        if self.kv.get(req.key, b"") == req.old_value:
            self.kv[req.key] = req.new_value
            resp.success = True

    def do_KVSetWithOptions(self, req: Any, resp: Any, ctx: Any) -> None:
        opts = req.options
        if opts.atomic and self.kv.get(req.key, b"") != opts.old_value:
            return
        self.kv[req.key] = req.value
        resp.success = True

    def do_GetUser(self, req: Any, resp: Any, ctx: Any) -> None:
        if req.user_id == "u1":
            resp.user.id, resp.user.username = "u1", "alice"
        else:
            resp.error.id = "app.user.missing.app_error"
            resp.error.message = "user not found"
            resp.error.status_code = 404

    def do_CreatePost(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.post.CopyFrom(req.post)
        resp.post.id = "p1"

    def do_GetServerVersion(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.version = "10.5.0"

    def do_GetPluginConfig(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.config.update({"Greeting": "hi", "Count": 2})

    def do_GetConfig(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.config_json = json.dumps({"ServiceSettings": {"SiteURL": "http://x"}}).encode()

    def do_LogInfo(self, req: Any, resp: Any, ctx: Any) -> None:
        from google.protobuf import json_format

        kv = {p.key: json_format.MessageToDict(p.value) for p in req.key_value_pairs}
        self.logs.append(("info", req.msg, kv))

    def do_EnsureBotUser(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.bot_user_id = f"bot-{req.bot.username}"

    def do_RegisterCommand(self, req: Any, resp: Any, ctx: Any) -> None:
        if req.command.trigger == "taken":
            resp.error.id = "api.command.duplicate_trigger.app_error"
            resp.error.status_code = 409

    def do_GetTeamStats(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.team_stats.team_id = req.team_id
        resp.team_stats.total_member_count = 7

    def do_GetChannel(self, req: Any, resp: Any, ctx: Any) -> None:
        codes = {"400": 400, "401": 401, "403": 403, "409": 409, "429": 429, "503": 503,
                 "500": 500}
        resp.error.id = "err"
        resp.error.status_code = codes[req.channel_id]

    def do_GetTeam(self, req: Any, resp: Any, ctx: Any) -> None:
        resp.error.message = "ignored: empty id means success"
        resp.team.id = req.team_id


@contextmanager
def api_server() -> Iterator[tuple[str, FakeAPI]]:
    """Serve a FakeAPI; yields its address and the fake."""
    fake = FakeAPI()
    handlers = {}
    for spec in API:
        def behave(request: Any, context: Any, name: str = spec.go_name) -> Any:
            return fake.handle(name, request, context)

        handlers[spec.go_name] = grpc.unary_unary_rpc_method_handler(
            behave, message_class(spec.request).FromString,
            lambda m: m.SerializeToString())
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(API_SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", fake
    finally:
        server.stop(None).wait()
