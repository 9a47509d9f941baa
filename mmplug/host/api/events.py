"""Side effects a plugin asks the server to send: WebSocket events, cluster events, typing,
mail, push notifications. The fake host delivers none of them; each is captured as an event
(``ctx.emit`` for live observers, and a row of the ``events`` table for later inspection).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from mmplug.host.api._pbjson import require_id, to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as ut

# Event kinds written by this package (the ``kind`` column of ``events``).
WEBSOCKET = "websocket_event"
CLUSTER = "cluster_event"
TYPING = "typing"
MAIL = "mail"
PUSH = "push_notification"
EPHEMERAL = "ephemeral_post"


def capture(ctx: ApiContext, kind: str, payload: dict[str, Any]) -> None:
    """Record one side effect: a row of ``events`` and a call of ``ctx.emit``."""
    with ctx.store.tx() as db:
        db.execute(
            "INSERT INTO events(plugin_id, kind, payload, created_at) VALUES(?,?,?,?)",
            (ctx.plugin_id, kind, json.dumps(payload, sort_keys=True), ctx.now()),
        )
    ctx.emit(kind, payload)


def captured(ctx: ApiContext, kind: str | None = None) -> list[dict[str, Any]]:
    """The captured events (oldest first), optionally of one kind."""
    sql = "SELECT kind, plugin_id, payload FROM events"
    args: tuple[str, ...] = ()
    if kind is not None:
        sql, args = sql + " WHERE kind=?", (kind,)
    with ctx.store.read() as db:
        rows = db.execute(sql + " ORDER BY seq", args).fetchall()
    return [{"kind": r[0], "plugin_id": r[1], **json.loads(r[2])} for r in rows]


@emulates("PublishWebSocketEvent")
def publish_websocket_event(
    ctx: ApiContext, req: kvc.PublishWebSocketEventRequest
) -> kvc.PublishWebSocketEventResponse:
    if not req.event:
        raise ApiFailure(
            400,
            "api.plugin.publish_websocket_event.missing_event",
            "PublishWebSocketEvent needs a non-empty event name.",
        )
    capture(
        ctx,
        WEBSOCKET,
        {
            "event": f"custom_{ctx.plugin_id}_{req.event}",
            "data": to_dict(req.payload),
            "broadcast": to_dict(req.broadcast),
        },
    )
    return kvc.PublishWebSocketEventResponse()


@emulates("PublishPluginClusterEvent")
def publish_cluster_event(
    ctx: ApiContext, req: rem.PublishPluginClusterEventRequest
) -> rem.PublishPluginClusterEventResponse:
    # The server sends it to the same plugin on the OTHER nodes; a one-node host has none.
    if not req.event.id:
        raise ApiFailure(
            400,
            "api.plugin.publish_cluster_event.missing_id",
            "PublishPluginClusterEvent needs an event id.",
        )
    capture(
        ctx,
        CLUSTER,
        {
            "id": req.event.id,
            "data_base64": base64.b64encode(req.event.data).decode(),
            "send_type": req.opts.send_type or "reliable",
            "target_id": req.opts.target_id,
        },
    )
    return rem.PublishPluginClusterEventResponse()


@emulates("PublishUserTyping")
def publish_user_typing(
    ctx: ApiContext, req: ut.PublishUserTypingRequest
) -> ut.PublishUserTypingResponse:
    require_id(req.user_id, "user_id")
    require_id(req.channel_id, "channel_id")
    capture(
        ctx,
        TYPING,
        {
            "event": "typing",
            "user_id": req.user_id,
            "channel_id": req.channel_id,
            "parent_id": req.parent_id,
        },
    )
    return ut.PublishUserTypingResponse()


@emulates("SendMail")
def send_mail(ctx: ApiContext, req: rem.SendMailRequest) -> rem.SendMailResponse:
    for value, what in ((req.to, "to"), (req.subject, "subject"), (req.html_body, "htmlbody")):
        if not value:
            raise ApiFailure(
                400,
                f"api.plugin.send_mail.missing_{what}",
                f"SendMail needs a non-empty {what.replace('htmlbody', 'HTML body')}.",
            )
    capture(ctx, MAIL, {"to": req.to, "subject": req.subject, "html_body": req.html_body})
    return rem.SendMailResponse()


@emulates("SendPushNotification")
def send_push(
    ctx: ApiContext, req: rem.SendPushNotificationRequest
) -> rem.SendPushNotificationResponse:
    require_id(req.user_id, "user_id")
    capture(ctx, PUSH, {"user_id": req.user_id, "notification": to_dict(req.notification)})
    return rem.SendPushNotificationResponse()


def server_event(ctx: ApiContext, event: str, data: dict[str, Any], **broadcast: str) -> None:
    """A WebSocket event the server itself sends (``posted``, ``user_added``, ...)."""
    capture(ctx, WEBSOCKET, {"event": event, "data": data, "broadcast": broadcast})
