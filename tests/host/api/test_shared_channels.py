"""Shared channels over real gRPC: plugin remotes, sharing, invitations, sync to the remote
plugin's OnSharedChannelsSyncMsg with a moving cursor."""

from __future__ import annotations

import json

from apiworld import PLUGIN_ID, World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import channel_pb2, post_pb2
from mmplug.protocol import hooks_command_pb2 as hc


def remote(world: World) -> str:
    rsp = world.api.RegisterPluginForSharedChannels(
        rem.RegisterPluginForSharedChannelsRequest(
            opts=rem.RegisterPluginOpts(plugin_id=PLUGIN_ID, display_name="Bridge")
        )
    )
    assert not rsp.HasField("error"), rsp.error
    return str(rsp.remote_id)


def channel(world: World) -> str:
    ch = world.api.CreateChannel(
        cp.CreateChannelRequest(
            channel=channel_pb2.Channel(
                team_id=world.team_id,
                name=world.unique("shared-"),
                display_name="Shared",
                type=channel_pb2.CHANNEL_TYPE_OPEN,
            )
        )
    ).channel
    return str(ch.id)


def say(world: World, channel_id: str, text: str) -> str:
    post = post_pb2.Post(channel_id=channel_id, user_id=world.users["alice"], message=text)
    return str(world.api.CreatePost(cp.CreatePostRequest(post=post)).post.id)


def test_register_is_idempotent(world: World) -> None:
    assert remote(world) == remote(world)


def test_share_update_unshare(world: World) -> None:
    cid = channel(world)
    rsp = world.api.ShareChannel(
        rem.ShareChannelRequest(
            shared_channel=rem.SharedChannel(
                channel_id=cid, creator_id=world.users["alice"], home="true"
            )
        )
    )
    assert rsp.shared_channel.home == "true" and rsp.shared_channel.create_at > 0
    assert world.api.GetChannel(cp.GetChannelRequest(channel_id=cid)).channel.shared
    again = world.api.ShareChannel(rem.ShareChannelRequest(shared_channel=rsp.shared_channel))
    assert again.shared_channel == rsp.shared_channel
    sc = rsp.shared_channel
    sc.share_display_name = "Bridged"
    upd = world.api.UpdateSharedChannel(rem.UpdateSharedChannelRequest(shared_channel=sc))
    assert upd.shared_channel.share_display_name == "Bridged"
    assert world.api.UnshareChannel(rem.UnshareChannelRequest(channel_id=cid)).unshared
    assert not world.api.UnshareChannel(rem.UnshareChannelRequest(channel_id=cid)).unshared
    assert not world.api.GetChannel(cp.GetChannelRequest(channel_id=cid)).channel.shared


def test_invite_needs_a_shared_channel_unless_asked_to_share(world: World) -> None:
    rid, cid = remote(world), channel(world)
    refused = world.api.InviteRemoteToChannel(
        rem.InviteRemoteToChannelRequest(
            channel_id=cid, remote_id=rid, user_id=world.users["alice"]
        )
    )
    assert refused.error.id == "api.command_share.channel_not_shared.error"
    ok = world.api.InviteRemoteToChannel(
        rem.InviteRemoteToChannelRequest(
            channel_id=cid, remote_id=rid, user_id=world.users["alice"], share_if_not_shared=True
        )
    )
    assert not ok.HasField("error")
    assert world.api.GetChannel(cp.GetChannelRequest(channel_id=cid)).channel.shared
    gone = world.api.UninviteRemoteFromChannel(
        rem.UninviteRemoteFromChannelRequest(channel_id=cid, remote_id=rid)
    )
    assert not gone.HasField("error")
    twice = world.api.UninviteRemoteFromChannel(
        rem.UninviteRemoteFromChannelRequest(channel_id=cid, remote_id=rid)
    )
    assert (twice.error.status_code, twice.error.id) == (
        500,
        "api.command_share.channel_remote_id_not_exists",
    )


def test_sync_sends_new_posts_once_and_moves_the_cursor(world: World) -> None:
    rid, cid = remote(world), channel(world)
    world.api.InviteRemoteToChannel(
        rem.InviteRemoteToChannelRequest(
            channel_id=cid, remote_id=rid, user_id=world.users["alice"], share_if_not_shared=True
        )
    )
    first = say(world, cid, "one")
    world.hooks.respond("OnSharedChannelsSyncMsg", hc.OnSharedChannelsSyncMsgResponse())
    world.api.SyncSharedChannel(rem.SyncSharedChannelRequest(channel_id=cid))
    (sent,) = world.hooks.named("OnSharedChannelsSyncMsg")
    doc = json.loads(sent.sync_msg.sync_msg_json)
    assert [p["id"] for p in doc["posts"]] == [first] and doc["channel_id"] == cid
    assert isinstance(doc["posts"][0]["create_at"], int)
    assert doc["users"][world.users["alice"]]["username"] == "alice"
    assert sent.remote_cluster.remote_id == rid
    second = say(world, cid, "two")
    world.api.SyncSharedChannel(rem.SyncSharedChannelRequest(channel_id=cid))
    latest = json.loads(world.hooks.named("OnSharedChannelsSyncMsg")[-1].sync_msg.sync_msg_json)
    assert [p["id"] for p in latest["posts"]] == [second]


def test_cursor_can_be_moved_back(world: World) -> None:
    rid, cid = remote(world), channel(world)
    world.api.InviteRemoteToChannel(
        rem.InviteRemoteToChannelRequest(
            channel_id=cid, remote_id=rid, user_id=world.users["alice"], share_if_not_shared=True
        )
    )
    say(world, cid, "history")
    world.hooks.respond("OnSharedChannelsSyncMsg", hc.OnSharedChannelsSyncMsgResponse())
    world.api.SyncSharedChannel(rem.SyncSharedChannelRequest(channel_id=cid))
    world.api.UpdateSharedChannelCursor(
        rem.UpdateSharedChannelCursorRequest(
            channel_id=cid,
            remote_id=rid,
            cursor=rem.GetPostsSinceForSyncCursor(last_post_update_at=1),
        )
    )
    world.api.SyncSharedChannel(rem.SyncSharedChannelRequest(channel_id=cid))
    assert len(world.hooks.named("OnSharedChannelsSyncMsg")) == 2
    missing = world.api.UpdateSharedChannelCursor(
        rem.UpdateSharedChannelCursorRequest(channel_id=cid, remote_id=world.users["bob"])
    )
    assert missing.error.status_code == 500
