"""Posts over real gRPC: the MessageWillBePosted chain, storage rules, edits and deletes."""

from __future__ import annotations

import json

from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import hooks_message_pb2 as hm
from mmplug.protocol import post_pb2


def post(
    world: World, message: str, channel: str = "off-topic", **fields: object
) -> cp.CreatePostResponse:
    p = post_pb2.Post(
        channel_id=world.channels[channel], user_id=world.users["alice"], message=message
    )
    for key, value in fields.items():
        setattr(p, key, value)
    return world.api.CreatePost(cp.CreatePostRequest(post=p))


def test_create_post_fills_id_times_hashtags_and_fires_hooks(world: World) -> None:
    rsp = post(world, "ship it #release #v2, #ok #a #1x #release")
    assert not rsp.HasField("error")
    assert len(rsp.post.id) == 26 and rsp.post.create_at > 0
    assert rsp.post.update_at == rsp.post.create_at
    assert rsp.post.hashtags == "#release #v2 #ok"
    (will,) = world.hooks.named("MessageWillBePosted")
    assert will.post.message.startswith("ship it") and will.post.id == ""
    (has,) = world.hooks.named("MessageHasBeenPosted")
    assert has.post.id == rsp.post.id


def test_plugins_chain_modifications(world: World) -> None:
    def upper(req: hm.MessageWillBePostedRequest) -> hm.MessageWillBePostedResponse:
        modified = post_pb2.Post()
        modified.CopyFrom(req.post)
        modified.message = req.post.message.upper()
        return hm.MessageWillBePostedResponse(modified_post=modified)

    def exclaim(req: hm.MessageWillBePostedRequest) -> hm.MessageWillBePostedResponse:
        modified = post_pb2.Post()
        modified.CopyFrom(req.post)
        modified.message = req.post.message + "!"
        return hm.MessageWillBePostedResponse(modified_post=modified)

    world.hooks.respond("MessageWillBePosted", upper, plugin_id="first")
    world.hooks.respond("MessageWillBePosted", exclaim, plugin_id="second")
    rsp = post(world, "hello")
    assert rsp.post.message == "HELLO!"
    stored = world.api.GetPost(cp.GetPostRequest(post_id=rsp.post.id)).post
    assert stored.message == "HELLO!"


def test_rejection_stops_the_chain_and_stores_nothing(world: World) -> None:
    world.hooks.respond(
        "MessageWillBePosted",
        hm.MessageWillBePostedResponse(rejection_reason="spam"),
        plugin_id="a",
    )
    world.hooks.respond("MessageWillBePosted", hm.MessageWillBePostedResponse(), plugin_id="b")
    before = world.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=world.channels["off-topic"], per_page=200)
    ).post_list.order
    rsp = post(world, "buy now")
    assert rsp.error.status_code == 400 and rsp.error.id == "Post rejected by plugin. spam"
    assert "b" not in [pid for _, _, pid in world.hooks.fired]
    assert world.hooks.named("MessageHasBeenPosted") == []
    after = world.api.GetPostsForChannel(
        cp.GetPostsForChannelRequest(channel_id=world.channels["off-topic"], per_page=200)
    ).post_list.order
    assert after == before


def test_dismiss_post_keeps_its_id(world: World) -> None:
    dismiss = "plugin.message_will_be_posted.dismiss_post"
    world.hooks.respond(
        "MessageWillBePosted", hm.MessageWillBePostedResponse(rejection_reason=dismiss)
    )
    assert post(world, "quietly").error.id == dismiss


def test_reply_needs_a_root_in_the_same_channel(world: World) -> None:
    root = post(world, "root").post
    reply = post(world, "reply", root_id=root.id)
    assert not reply.HasField("error")
    elsewhere = post(world, "reply", channel="town-square", root_id=root.id)
    assert (elsewhere.error.status_code, elsewhere.error.id) == (
        500,
        "api.post.create_post.channel_root_id.app_error",
    )
    missing = post(world, "reply", root_id=world.users["bob"])
    assert missing.error.id == "api.post.create_post.root_id.app_error"
    nested = post(world, "reply", root_id=reply.post.id)
    assert nested.error.id == "api.post.create_post.root_id.app_error"
    again = world.api.GetPost(cp.GetPostRequest(post_id=root.id)).post
    assert again.reply_count == 1 and again.last_reply_at == reply.post.create_at


def test_post_updates_channel_counters(world: World) -> None:
    from mmplug.protocol import api_channel_post_pb2 as c2

    before = world.api.GetChannel(c2.GetChannelRequest(channel_id=world.channels["town-square"]))
    made = post(world, "count me", channel="town-square").post
    after = world.api.GetChannel(c2.GetChannelRequest(channel_id=world.channels["town-square"]))
    assert after.channel.total_msg_count == before.channel.total_msg_count + 1
    assert after.channel.last_post_at == made.create_at


def test_invalid_posts_are_rejected(world: World) -> None:
    assert post(world, "x" * 16384).error.id == "model.post.is_valid.message_length.app_error"
    assert post(world, "no user", user_id="").error.id == "app.user.missing_account.const"
    unknown = post(world, "where", channel_id=world.users["bob"])
    assert unknown.error.status_code == 404


def test_archived_channel_takes_plugin_posts_but_no_edits(world: World) -> None:
    from mmplug.protocol import channel_pb2

    ch = world.api.CreateChannel(
        cp.CreateChannelRequest(
            channel=channel_pb2.Channel(
                team_id=world.team_id,
                name=world.unique("arch-"),
                display_name="A",
                type=channel_pb2.CHANNEL_TYPE_OPEN,
            )
        )
    ).channel
    made = post(world, "before", channel_id=ch.id).post
    world.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=ch.id))
    rsp = post(world, "hello?", channel_id=ch.id)
    assert not rsp.HasField("error") and rsp.post.channel_id == ch.id
    made.message = "edited"
    edit = world.api.UpdatePost(cp.UpdatePostRequest(post=made))
    assert edit.error.id == "api.post.update_post.can_not_update_post_in_deleted.error"


def test_update_post_sets_edit_at_and_runs_update_hooks(world: World) -> None:
    def allow(req: hm.MessageWillBeUpdatedRequest) -> hm.MessageWillBeUpdatedResponse:
        return hm.MessageWillBeUpdatedResponse(modified_post=req.new_post)

    world.hooks.respond("MessageWillBeUpdated", allow)
    made = post(world, "first draft").post
    made.message = "second draft #edited"
    rsp = world.api.UpdatePost(cp.UpdatePostRequest(post=made))
    assert not rsp.HasField("error")
    assert rsp.post.edit_at > 0 and rsp.post.hashtags == "#edited"
    (will,) = world.hooks.named("MessageWillBeUpdated")
    assert will.old_post.message == "first draft" and will.new_post.message.startswith("second")
    (has,) = world.hooks.named("MessageHasBeenUpdated")
    assert has.new_post.message == "second draft #edited"


def test_update_hook_giving_a_reason_rejects_the_edit(world: World) -> None:
    world.hooks.respond("MessageWillBeUpdated",
                        hm.MessageWillBeUpdatedResponse(rejection_reason="keep it"))
    made = post(world, "keep me").post
    made.message = "changed"
    rsp = world.api.UpdatePost(cp.UpdatePostRequest(post=made))
    assert rsp.error.id == "Post rejected by plugin. keep it"
    assert world.api.GetPost(cp.GetPostRequest(post_id=made.id)).post.message == "keep me"


def test_update_of_unknown_post_is_404(world: World) -> None:
    rsp = world.api.UpdatePost(cp.UpdatePostRequest(post=post_pb2.Post(id=world.users["bob"])))
    assert rsp.error.status_code == 404


def test_delete_post_soft_deletes_thread_and_fires_hook(world: World) -> None:
    root = post(world, "doomed").post
    reply = post(world, "me too", root_id=root.id).post
    assert not world.api.DeletePost(cp.DeletePostRequest(post_id=root.id)).HasField("error")
    for pid in (root.id, reply.id):
        assert world.api.GetPost(cp.GetPostRequest(post_id=pid)).error.status_code == 404
    (deleted,) = world.hooks.named("MessageHasBeenDeleted")
    assert deleted.post.id == root.id and deleted.post.delete_at == 0  # as read before
    again = world.api.DeletePost(cp.DeletePostRequest(post_id=root.id))
    assert (again.error.status_code, again.error.id) == (400, "app.post.get.app_error")


def test_server_websocket_events_are_captured(world: World) -> None:
    made = post(world, "broadcast me").post
    kind, payload = world.emitted[-1]
    assert kind == "websocket_event" and payload["event"] == "posted"
    assert json.loads(payload["data"]["post"])["id"] == made.id
    assert payload["broadcast"]["channel_id"] == made.channel_id
