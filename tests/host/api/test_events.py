"""Captured side effects over real gRPC: WebSocket/cluster events, typing, ephemeral posts."""

from __future__ import annotations

import json

from apiworld import PLUGIN_ID, World
from google.protobuf import struct_pb2

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_kv_config_pb2 as kvc
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as ut
from mmplug.protocol import post_pb2


def stored(world: World, kind: str) -> list[dict[str, object]]:
    with world.store.read() as db:
        rows = db.execute("SELECT payload FROM events WHERE kind=? ORDER BY seq", (kind,))
        return [json.loads(r[0]) for r in rows]


def test_websocket_event_gets_the_plugin_prefix(world: World) -> None:
    payload = struct_pb2.Struct()
    payload.update({"count": 3, "who": "alice"})
    rsp = world.api.PublishWebSocketEvent(
        kvc.PublishWebSocketEventRequest(
            event="refresh",
            payload=payload,
            broadcast=kvc.WebsocketBroadcast(user_id=world.users["alice"]),
        )
    )
    assert not rsp.HasField("error")
    kind, event = world.emitted[-1]
    assert kind == "websocket_event" and event["event"] == f"custom_{PLUGIN_ID}_refresh"
    assert event["data"] == {"count": 3.0, "who": "alice"}
    assert stored(world, "websocket_event")[-1]["broadcast"] == {"user_id": world.users["alice"]}


def test_cluster_event_is_captured_not_delivered(world: World) -> None:
    rsp = world.api.PublishPluginClusterEvent(
        rem.PublishPluginClusterEventRequest(
            event=rem.PluginClusterEvent(id="sync", data=b"\x00\x01")
        )
    )
    assert not rsp.HasField("error")
    assert stored(world, "cluster_event")[-1]["data_base64"] == "AAE="
    assert world.hooks.fired == []


def test_typing_and_mail_are_captured(world: World) -> None:
    world.api.PublishUserTyping(
        ut.PublishUserTypingRequest(
            user_id=world.users["bob"], channel_id=world.channels["off-topic"]
        )
    )
    typing = stored(world, "websocket_event")[-1]
    assert (typing["event"], typing["data"]["user_id"]) == ("typing", world.users["bob"])
    bad = world.api.SendMail(rem.SendMailRequest(to="", subject="s", html_body="b"))
    assert bad.error.id == "plugin_api.send_mail.missing_to"
    world.api.SendMail(rem.SendMailRequest(to="a@example.com", subject="Hi", html_body="<p>"))
    assert stored(world, "mail")[-1]["subject"] == "Hi"


def test_ephemeral_post_is_captured_and_never_stored(world: World) -> None:
    channel = world.channels["off-topic"]
    rsp = world.api.SendEphemeralPost(
        cp.SendEphemeralPostRequest(
            user_id=world.users["alice"], post=post_pb2.Post(channel_id=channel, message="psst")
        )
    )
    assert len(rsp.post.id) == 26 and rsp.post.create_at > 0
    assert rsp.post.type == "system_ephemeral"
    event = stored(world, "ephemeral_post")[-1]
    assert event["action"] == "posted" and event["user_id"] == world.users["alice"]
    assert world.api.GetPost(cp.GetPostRequest(post_id=rsp.post.id)).error.status_code == 404
    page = world.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=channel, per_page=60)
    )
    assert rsp.post.id not in page.post_list.posts
    edited = rsp.post
    edited.message = "psst, edited"
    upd = world.api.UpdateEphemeralPost(
        cp.UpdateEphemeralPostRequest(user_id=world.users["alice"], post=edited)
    )
    assert upd.post.id == rsp.post.id and stored(world, "ephemeral_post")[-1]["action"] == "edited"
    world.api.DeleteEphemeralPost(
        cp.DeleteEphemeralPostRequest(user_id=world.users["alice"], post_id=rsp.post.id)
    )
    assert stored(world, "ephemeral_post")[-1]["action"] == "deleted"
