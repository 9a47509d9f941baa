"""Side effects a plugin asks the server to send: WebSocket events (``typing`` among them),
cluster events, mail, push notifications. The fake host delivers none of them; each is
captured as an event (``ctx.emit`` for live observers, and a row of the ``events`` table for
later inspection).

As on the server, none of these validates what the plugin sends (an empty event name or id,
an unknown user or channel are not errors), except SendMail (a recipient, a subject and a
body are required: AppError 400 ``plugin_api.send_mail.missing_*``) and SendPushNotification
(the server's handler refuses a request without a notification: mmplug.host.api._handlers).
SendPushNotification first runs every plugin's
NotificationWillBePushed, which may replace or reject it (a rejection is not an error).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from mmplug.host.api._hooks import chain, request_context
from mmplug.host.api._pbjson import to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.config import load_server_config
from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as ut
from mmplug.protocol import hooks_message_pb2 as hooks

# Event kinds written by this package (the ``kind`` column of ``events``).
WEBSOCKET = "websocket_event"
CLUSTER = "cluster_event"
MAIL = "mail"
PUSH = "push_notification"
EPHEMERAL = "ephemeral_post"

differs(
    "PublishPluginClusterEvent",
    "The server sends the event to the same plugin on the other cluster nodes (and does nothing "
    "without a cluster). mmplug records a cluster_event; with several nodes (--nodes N) it "
    "delivers it to OnPluginClusterEvent on the other nodes too, reliably (the send type "
    "never reaches the server: its cluster gets an empty one).",
)
differs(
    "SendMail",
    "The server sends the mail over SMTP (nothing when EmailSettings.SendEmailNotifications is "
    "false; an SMTP failure is a 500); mmplug records a mail event (its 'sent' field says "
    "whether the server would have sent it) and never fails after validation.",
)
differs(
    "SendPushNotification",
    "The server sends the notification through the push proxy to each of the user's mobile-app "
    "sessions (none when the user has no mobile session); mmplug records one push_notification "
    "event.",
)


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
    # send_type is always empty here: its converter does not copy it (see _wire).
    send_type = req.opts.send_type
    if ctx.cluster is not None:
        ctx.cluster.publish(ctx.plugin_id, ctx.node, req.event.id, bytes(req.event.data),
                            send_type, req.opts.target_id)
    payload = {
        "id": req.event.id,
        "data_base64": base64.b64encode(req.event.data).decode(),
        "send_type": send_type,
        "target_id": req.opts.target_id,
    }
    if ctx.node:
        payload["from_node"] = ctx.node
    capture(ctx, CLUSTER, payload)
    return rem.PublishPluginClusterEventResponse()


@emulates("PublishUserTyping")
def publish_user_typing(
    ctx: ApiContext, req: ut.PublishUserTypingRequest
) -> ut.PublishUserTypingResponse:
    """The server's ``typing`` WebSocket event: to the channel, but the typing user."""
    data = {"parent_id": req.parent_id, "user_id": req.user_id}
    server_event(ctx, "typing", data, channel_id=req.channel_id, omit_users={req.user_id: True})
    return ut.PublishUserTypingResponse()


@emulates("SendMail")
def send_mail(ctx: ApiContext, req: rem.SendMailRequest) -> rem.SendMailResponse:
    for value, what, name in (
        (req.to, "to", "recipient (to)"),
        (req.subject, "subject", "subject"),
        (req.html_body, "htmlbody", "HTML body"),
    ):
        if not value:
            raise ApiFailure(
                400,
                f"plugin_api.send_mail.missing_{what}",
                f"SendMail needs a non-empty {name}.",
                where="SendMail",
            )
    payload = {"to": req.to, "subject": req.subject, "html_body": req.html_body}
    capture(ctx, MAIL, {**payload, "sent": email_notifications_on(ctx)})
    return rem.SendMailResponse()


def email_notifications_on(ctx: ApiContext) -> bool:
    with ctx.store.read() as db:
        email = load_server_config(db).get("EmailSettings") or {}
    return bool(email.get("SendEmailNotifications"))


@emulates("SendPushNotification")
def send_push(
    ctx: ApiContext, req: rem.SendPushNotificationRequest
) -> rem.SendPushNotificationResponse:
    outcome = chain(
        ctx,
        "NotificationWillBePushed",
        req.notification,
        lambda notification: hooks.NotificationWillBePushedRequest(
            context=request_context(ctx),
            push_notification=notification,
            user_id=req.user_id,
        ),
        "modified_notification",
    )
    if not outcome.rejected:  # a rejection only stops the notification, as on the server
        capture(ctx, PUSH, {"user_id": req.user_id, "notification": to_dict(outcome.subject)})
    return rem.SendPushNotificationResponse()


def server_event(ctx: ApiContext, event: str, data: dict[str, Any], **broadcast: Any) -> None:
    """A WebSocket event the server itself sends (``posted``, ``user_added``, ...)."""
    capture(ctx, WEBSOCKET, {"event": event, "data": data, "broadcast": broadcast})
