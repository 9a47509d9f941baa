"""Server parity of posts: CreatePost, UpdatePost, DeletePost, GetPost and ephemeral posts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from google.protobuf import json_format
from postsworld import configured, new_channel, post
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import api_remaining_pb2 as rp
from mmplug.protocol import hooks_message_pb2 as hm
from mmplug.protocol import post_pb2

CREATE = "server/channels/app/post.go: (*App).CreatePost"
PLUGIN_CREATE = "server/channels/app/plugin_api.go: (*PluginAPI).CreatePost"
IS_VALID = "server/public/model/post.go: (*Post).IsValid"
UPDATE = "server/channels/app/post.go: (*App).UpdatePost"
DELETE = "server/channels/app/post.go: (*App).DeletePost"
GRPC_HOOKS = "server/public/plugin/hooks_grpc_client.go: (*hooksGRPCClient)"


@pytest.fixture
def plugins(quiet_host: Host) -> Iterator[Host]:
    """The host, with the hook answers a test sets up removed afterwards."""
    yield quiet_host
    quiet_host.hooks.forget_answers()


def props(p: post_pb2.Post) -> dict[str, object]:
    return json_format.MessageToDict(p.props)


# -- the server's events of posts ----------------------------------------------------------
NOTIFY = "server/channels/app/notification.go: (*App).SendNotifications"


@pytest.mark.parity("CreatePost", NOTIFY)
def test_posted_event_carries_the_post_as_json_text_and_the_channel(quiet_host: Host) -> None:
    """The `posted` event carries the post as JSON text (every field, props included) with
    the channel's type, name and display name, `@` + the sender's username, the team and
    `set_online`."""
    host = quiet_host
    channel = new_channel(host)
    host.emitted.clear()
    made = post(host, "hello", channel_id=channel, props={"k": "v"}).post
    (event,) = host.events("posted")
    data = event["data"]
    assert isinstance(data["post"], str)
    sent = json.loads(data["post"])
    assert (sent["id"], sent["message"], sent["props"]["k"]) == (made.id, "hello", "v")
    assert sent["create_at"] == made.create_at and sent["edit_at"] == 0
    ch = host.api.GetChannel(cp.GetChannelRequest(channel_id=channel)).channel
    assert {k: v for k, v in data.items() if k != "post"} == {
        "channel_type": "O",
        "channel_display_name": ch.display_name,
        "channel_name": ch.name,
        "sender_name": "@alice",
        "team_id": ch.team_id,
        "set_online": True,
    }


@pytest.mark.parity("CreatePost", NOTIFY)
def test_posted_event_names_a_direct_channel_after_the_sender(quiet_host: Host) -> None:
    """In a direct channel the display name is `@` + the sender's username; a webhook's
    `override_username` never replaces the sender there."""
    host = quiet_host
    dm = host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=host.user("alice"), user_id_2=host.user("bob"))
    ).channel
    host.emitted.clear()
    with configured(host, "ServiceSettings", "EnablePostUsernameOverride", True):
        post(host, channel_id=dm.id,
             props={"from_webhook": "true", "override_username": "hook"})
        post(host, channel_id=new_channel(host),
             props={"from_webhook": "true", "override_username": "hook"})
    direct, other = (e["data"] for e in host.events("posted"))
    assert (direct["channel_type"], direct["channel_display_name"]) == ("D", "@alice")
    assert (direct["sender_name"], direct["team_id"]) == ("@alice", "")
    assert other["sender_name"] == "hook"


@pytest.mark.parity("CreatePost", NOTIFY)
def test_posted_event_tells_of_files_and_images(quiet_host: Host) -> None:
    """A post with files has `otherFile: "true"` in its `posted` event, and `image: "true"`
    when one of them is an image; a post without files has neither."""
    host = quiet_host
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (4).to_bytes(4, "big") * 2 + b"\x08\x06"
    text = host.api.UploadFile(fb.UploadFileRequest(data=b"x", filename="a.txt")).file_info
    image = host.api.UploadFile(fb.UploadFileRequest(data=png, filename="a.png")).file_info
    host.emitted.clear()
    post(host, file_ids=[text.id])
    post(host, file_ids=[image.id])
    post(host)
    sent = [e["data"] for e in host.events("posted")]
    assert [(d.get("otherFile"), d.get("image")) for d in sent] == [
        ("true", None), ("true", "true"), (None, None)]


@pytest.mark.parity(("CreatePost", "UpdatePost", "DeletePost"),
                    "server/public/model/post.go: (*Post).PreCommit")
def test_post_events_list_no_files_as_an_empty_list(quiet_host: Host) -> None:
    """A post without files has `"file_ids": []` (not `null`) in its `posted`, `post_edited`
    and `post_deleted` events, as the server saves every post with a list."""
    host = quiet_host
    made = post(host, "before").post
    made.message = "after"
    assert not host.api.UpdatePost(cp.UpdatePostRequest(post=made)).HasField("error")
    assert not host.api.DeletePost(cp.DeletePostRequest(post_id=made.id)).HasField("error")
    sent = {name: [json.loads(e["data"]["post"])["file_ids"] for e in host.events(name)]
            for name in ("posted", "post_edited", "post_deleted")}
    assert sent == {"posted": [[]], "post_edited": [[]], "post_deleted": [[], []]}


@pytest.mark.parity("UpdatePost", UPDATE)
def test_post_edited_event_carries_the_post_as_json_text(quiet_host: Host) -> None:
    """The `post_edited` event carries the edited post as JSON text."""
    host = quiet_host
    made = post(host, "before").post
    made.message = "after"
    assert not host.api.UpdatePost(cp.UpdatePostRequest(post=made)).HasField("error")
    (event,) = host.events("post_edited")
    sent = json.loads(event["data"]["post"])
    assert (sent["id"], sent["message"]) == (made.id, "after") and sent["edit_at"] > 0


@pytest.mark.parity("DeletePost", DELETE)
def test_post_deleted_goes_out_twice_the_second_time_with_who_deleted_it(
    quiet_host: Host,
) -> None:
    """`post_deleted` is published twice with the post as JSON text: once without, once with
    `delete_by`, the plugin's id."""
    host = quiet_host
    made = post(host).post
    host.emitted.clear()
    assert not host.api.DeletePost(cp.DeletePostRequest(post_id=made.id)).HasField("error")
    first, second = (e["data"] for e in host.events("post_deleted"))
    assert json.loads(first["post"])["id"] == made.id and "delete_by" not in first
    assert second == {"post": first["post"], "delete_by": host.server.ctx.plugin_id}


# -- CreatePost ------------------------------------------------------------------------------
@pytest.mark.parity("CreatePost", PLUGIN_CREATE)
def test_create_post_marks_the_post_from_plugin(host: Host) -> None:
    """A plugin's post carries the prop ``from_plugin: "true"``, also in the stored post."""
    made = post(host).post
    assert props(made)["from_plugin"] == "true"
    stored = host.api.GetPost(cp.GetPostRequest(post_id=made.id)).post
    assert props(stored)["from_plugin"] == "true"


@pytest.mark.parity("CreatePost", CREATE)
def test_create_post_marks_a_bots_post_from_bot(host: Host) -> None:
    """A post whose user is a bot gets ``from_bot: "true"``; a person's post does not."""
    assert props(post(host, user="helper-bot").post)["from_bot"] == "true"
    assert "from_bot" not in props(post(host, user="alice").post)


@pytest.mark.parity("CreatePost", CREATE)
def test_create_post_drops_props_only_the_server_sets(host: Host) -> None:
    """``add_channel_member`` and ``force_notification`` sent by a plugin are removed."""
    made = post(host, props={"add_channel_member": "x", "force_notification": "y", "k": "v"})
    assert props(made.post) == {"k": "v", "from_plugin": "true"}


@pytest.mark.parity("CreatePost", "server/channels/app/post.go: (*App).CreatePostMissingChannel")
def test_plugin_may_post_in_an_archived_channel(host: Host) -> None:
    """Unlike a user of the web app, a plugin can post to an archived channel."""
    archived = new_channel(host, archived=True)
    rsp = post(host, "still here", channel_id=archived)
    assert not rsp.HasField("error") and rsp.post.channel_id == archived


@pytest.mark.parity("CreatePost", "server/channels/app/post.go: (*App).CreatePostMissingChannel")
def test_create_post_in_an_unknown_channel_is_404(host: Host) -> None:
    """A channel id that does not exist is a 404 ``app.channel.get.existing.app_error``."""
    err = post(host, channel_id=host.user("bob")).error
    assert (err.status_code, err.id) == (404, "app.channel.get.existing.app_error")


@pytest.mark.parity("CreatePost", CREATE)
def test_create_post_by_an_unknown_user_is_404(host: Host) -> None:
    """A user id that does not exist (or is empty) is a 404 ``app.user.missing_account.const``."""
    for user_id in ("", host.info.channels["off-topic"]):
        err = post(host, user_id=user_id).error
        assert (err.status_code, err.id) == (404, "app.user.missing_account.const")


@pytest.mark.parity("CreatePost", IS_VALID)
def test_plugin_may_create_system_posts(host: Host) -> None:
    """A plugin may create a post of a server type such as ``system_generic``."""
    rsp = post(host, "generic", type="system_generic")
    assert not rsp.HasField("error") and rsp.post.type == "system_generic"


@pytest.mark.parity("CreatePost", IS_VALID)
def test_post_type_must_be_known_or_custom(host: Host) -> None:
    """A type the server does not know is a 400 ``model.post.is_valid.type.app_error`` unless
    it starts with ``custom_``; ``system_ephemeral`` is not a type a stored post may have."""
    for bad in ("poll", "system_ephemeral"):
        err = post(host, type=bad).error
        assert (err.status_code, err.id) == (400, "model.post.is_valid.type.app_error")
    assert post(host, type="custom_poll").post.type == "custom_poll"


@pytest.mark.parity(
    "CreatePost", f"{CREATE}; server/channels/store/sqlstore/post_store.go: SaveMultiple"
)
def test_create_post_with_an_id_is_refused(host: Host) -> None:
    """A post that already has an id, even one no post uses, is a 400
    ``app.post.save.existing.app_error``."""
    for given in (host.user("bob"), post(host).post.id):
        err = post(host, id=given).error
        assert (err.status_code, err.id) == (400, "app.post.save.existing.app_error")


@pytest.mark.parity("CreatePost", IS_VALID)
def test_message_limit_is_16383_characters(host: Host) -> None:
    """A message may have 16383 characters (runes, not bytes); one more is a 400
    ``model.post.is_valid.message_length.app_error``."""
    assert not post(host, "é" * 16383).HasField("error")
    err = post(host, "é" * 16384).error
    assert (err.status_code, err.id) == (400, "model.post.is_valid.message_length.app_error")


@pytest.mark.parity("CreatePost", f"{CREATE}; {IS_VALID}")
def test_validation_runs_after_message_will_be_posted(plugins: Host) -> None:
    """The server validates when it saves: MessageWillBePosted sees an over-long message,
    and a plugin that shortens it makes the post valid."""

    def shorten(req: hm.MessageWillBePostedRequest) -> hm.MessageWillBePostedResponse:
        p = post_pb2.Post()
        p.CopyFrom(req.post)
        p.message = "short"
        return hm.MessageWillBePostedResponse(modified_post=p)

    plugins.hooks.respond("MessageWillBePosted", shorten, plugin_id=plugins.server.ctx.plugin_id)
    rsp = post(plugins, "x" * 20000)
    assert plugins.hooks.named("MessageWillBePosted") and rsp.post.message == "short"


@pytest.mark.parity("CreatePost", CREATE)
def test_reply_to_a_root_in_another_channel_is_500(host: Host) -> None:
    """A reply whose root is in another channel is a 500
    ``api.post.create_post.channel_root_id.app_error`` for a plugin (a 400 only in the web app)."""
    root = post(host, "root").post
    err = post(host, root_id=root.id, channel_id=host.info.channels["town-square"]).error
    assert (err.status_code, err.id) == (500, "api.post.create_post.channel_root_id.app_error")


@pytest.mark.parity("CreatePost", CREATE)
def test_reply_needs_a_live_thread_root(host: Host) -> None:
    """Replying to a reply, or to a deleted or missing post, is a 400
    ``api.post.create_post.root_id.app_error``."""
    root = post(host, "root").post
    reply = post(host, "reply", root_id=root.id).post
    gone = post(host, "gone").post
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for root_id in (reply.id, gone.id, host.user("bob")):
        err = post(host, root_id=root_id).error
        assert (err.status_code, err.id) == (400, "api.post.create_post.root_id.app_error")


@pytest.mark.parity(
    "CreatePost", "server/channels/app/plugin_api.go: (*PluginAPI).CreatePost; model.ForPlugin"
)
def test_posts_come_back_without_metadata(host: Host) -> None:
    """The post CreatePost and GetPost return has no ``metadata`` (the server's ForPlugin)."""
    p = post_pb2.Post(
        channel_id=host.info.channels["off-topic"], user_id=host.user("alice"), message="m"
    )
    p.metadata.priority.priority = "urgent"
    made = host.api.CreatePost(cp.CreatePostRequest(post=p)).post
    assert made.id and not made.HasField("metadata")
    assert not host.api.GetPost(cp.GetPostRequest(post_id=made.id)).post.HasField("metadata")


@pytest.mark.parity("CreatePost", "server/channels/app/post.go: (*App).FillInPostProps")
def test_channel_mentions_are_filled_in(host: Host) -> None:
    """``~channel`` mentions the poster can see become the ``channel_mentions`` prop; a
    plugin's own ``channel_mentions`` is dropped when nothing resolves."""
    made = post(host, "see ~town-square and ~nowhere").post
    mentions = props(made)["channel_mentions"]
    assert list(mentions) == ["town-square"]  # type: ignore[call-overload]
    assert mentions["town-square"]["team_name"] == "acme"  # type: ignore[index]
    plain = post(host, "no mention", props={"channel_mentions": {"x": {}}}).post
    assert "channel_mentions" not in props(plain)


@pytest.mark.parity("CreatePost", "server/channels/store/sqlstore/file_info_store.go: AttachToPost")
def test_files_of_another_user_are_not_attached(host: Host) -> None:
    """Only files uploaded by the poster (or by a plugin) are attached; the others are
    dropped from ``file_ids``."""
    upload = fb.UploadFileRequest(data=b"x", filename="a.txt")
    mine = host.api.UploadFile(upload).file_info.id
    theirs = host.api.CopyFileInfos(
        fb.CopyFileInfosRequest(user_id=host.user("bob"), file_ids=[mine])
    ).file_ids[0]
    made = post(host, "files", file_ids=[mine, theirs]).post
    assert list(made.file_ids) == [mine]


@pytest.mark.parity("CreatePost", IS_VALID)
def test_a_post_holds_at_most_ten_files(host: Host) -> None:
    """More than 10 file ids is a 400 ``model.post.is_valid.file_ids.app_error``."""
    err = post(host, file_ids=[host.user("bob")[:-2] + f"{i:02d}" for i in range(11)]).error
    assert (err.status_code, err.id) == (400, "model.post.is_valid.file_ids.app_error")


@pytest.mark.parity("CreatePost", "server/channels/store/sqlstore/post_store.go: SaveMultiple")
def test_join_leave_posts_do_not_count_as_messages(host: Host) -> None:
    """A join/leave message does not add to the channel's message count; a post does."""
    channel = new_channel(host)

    def count() -> int:
        got = host.api.GetChannel(cp.GetChannelRequest(channel_id=channel)).channel
        return int(got.total_msg_count)

    before = count()
    post(host, "joined", channel_id=channel, type="system_join_channel")
    assert count() == before
    post(host, "hello", channel_id=channel)
    assert count() == before + 1


PRE_COMMIT = "server/public/model/post.go: (*Post).PreCommit; (*Post).GenerateActionIds"


def actions(p: post_pb2.Post) -> list[dict[str, object]]:
    return props(p)["attachments"][0]["actions"]  # type: ignore[index, no-any-return]


BUTTONS = [{"text": "Ship it?", "actions": [{"name": "Yes"}, {"id": "keepme", "name": "No"}]}]


@pytest.mark.parity(("CreatePost", "UpdatePost"), PRE_COMMIT)
def test_attachment_buttons_get_ids_when_saved(host: Host) -> None:
    """Each button (action) of a message attachment that has no id gets a new 26-character id
    when the post is created or edited; an id the plugin gave stays."""
    made = post(host, "buttons", props={"attachments": BUTTONS}).post
    first, kept = actions(made)
    assert len(str(first["id"])) == 26 and kept["id"] == "keepme"
    stored = host.api.GetPost(cp.GetPostRequest(post_id=made.id)).post
    assert actions(stored)[0]["id"] == first["id"]
    edited = post_pb2.Post()
    edited.CopyFrom(stored)
    edited.props.update({"attachments": [{"actions": [{"name": "Later"}]}]})
    (later,) = actions(update(host, edited).post)
    assert len(str(later["id"])) == 26 and later["id"] != first["id"]


@pytest.mark.parity(
    "CreatePost", "server/channels/store/sqlstore/post_store.go: SaveMultiple, populateReplyCount"
)
def test_a_new_reply_comes_back_with_the_threads_reply_count(host: Host) -> None:
    """CreatePost of a reply returns reply_count = the live replies of its thread, this one
    included (a reply_count the plugin sends is not stored)."""
    channel = new_channel(host)
    root = post(host, "root", channel_id=channel, reply_count=7).post
    post(host, "r1", channel_id=channel, root_id=root.id)
    second = post(host, "r2", channel_id=channel, root_id=root.id, reply_count=40).post
    assert second.reply_count == 2


# -- GetPost ---------------------------------------------------------------------------------
@pytest.mark.parity("GetPost", "server/channels/app/post.go: (*App).GetSinglePost")
def test_get_post_of_a_deleted_or_malformed_id_is_404(host: Host) -> None:
    """A deleted post, and an id that is not even an id, are a 404 ``app.post.get.app_error``."""
    gone = post(host).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for post_id in (gone.id, "not-an-id"):
        err = host.api.GetPost(cp.GetPostRequest(post_id=post_id)).error
        assert (err.status_code, err.id) == (404, "app.post.get.app_error")


@pytest.mark.parity(
    ("GetPost", "GetPostThread"),
    "server/channels/store/sqlstore/post_store.go: (*SqlPostStore).GetSingle, (*SqlPostStore).Get",
)
def test_reply_count_is_counted_when_read(host: Host) -> None:
    """GetPost and GetPostThread give a root and each of its replies the same reply_count: the
    number of live replies in the thread, counted when read."""
    channel = new_channel(host)
    root = post(host, "root", channel_id=channel, reply_count=7).post
    gone = post(host, "r1", channel_id=channel, root_id=root.id).post
    reply = post(host, "r2", channel_id=channel, root_id=root.id).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for post_id in (root.id, reply.id):
        assert host.api.GetPost(cp.GetPostRequest(post_id=post_id)).post.reply_count == 1
    thread = host.api.GetPostThread(cp.GetPostThreadRequest(post_id=root.id)).post_list
    assert {p.reply_count for p in thread.posts.values()} == {1}


# -- UpdatePost ------------------------------------------------------------------------------
def update(host: Host, p: post_pb2.Post) -> cp.UpdatePostResponse:
    return host.api.UpdatePost(cp.UpdatePostRequest(post=p))


@pytest.mark.parity("UpdatePost", UPDATE)
def test_update_of_a_missing_or_deleted_post_is_404(host: Host) -> None:
    """Editing a post that does not exist or was deleted is a 404 ``app.post.get.app_error``;
    an empty id is a 400 with the same id."""
    gone = post(host).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for p, status in (
        (gone, 404),
        (post_pb2.Post(id=host.user("bob")), 404),
        (post_pb2.Post(), 400),
    ):
        err = update(host, p).error
        assert (err.status_code, err.id) == (status, "app.post.get.app_error")


@pytest.mark.parity("UpdatePost", UPDATE)
def test_update_in_an_archived_channel_is_refused(host: Host) -> None:
    """Editing a post of an archived channel is a 400
    ``api.post.update_post.can_not_update_post_in_deleted.error``, plugin or not."""
    channel = new_channel(host)
    made = post(host, channel_id=channel).post
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=channel))
    made.message = "edit"
    err = update(host, made).error
    assert (err.status_code, err.id) == (
        400,
        "api.post.update_post.can_not_update_post_in_deleted.error",
    )


@pytest.mark.parity("UpdatePost", UPDATE)
def test_system_posts_cannot_be_edited(host: Host) -> None:
    """A ``system_`` post is a 400 ``api.post.update_post.system_message.app_error``."""
    made = post(host, type="system_generic").post
    made.message = "edit"
    err = update(host, made).error
    assert (err.status_code, err.id) == (400, "api.post.update_post.system_message.app_error")


@pytest.mark.parity("UpdatePost", UPDATE)
def test_update_takes_message_props_and_pin_but_not_type(host: Host) -> None:
    """An edit takes the message, props and is_pinned; the type, user and create_at stay;
    edit_at is set only when the message (or files) change."""
    made = post(host, "first", type="custom_a").post
    made.is_pinned, made.type, made.user_id = True, "custom_b", host.user("bob")
    made.props.Clear()
    made.props.update({"color": "red"})
    pinned = update(host, made).post
    assert (pinned.is_pinned, pinned.type, pinned.user_id) == (True, "custom_a", host.user("alice"))
    assert props(pinned) == {"color": "red"} and pinned.edit_at == 0
    pinned.message = "second"
    assert update(host, pinned).post.edit_at > 0


@pytest.mark.parity(
    "UpdatePost", "server/channels/store/sqlstore/post_store.go: (*SqlPostStore).Update"
)
def test_an_edit_keeps_the_old_version_as_a_deleted_copy(host: Host) -> None:
    """The server keeps the pre-edit version as a deleted post with a new id and
    ``original_id`` set; GetPostsSince shows it."""
    channel = new_channel(host)
    made = post(host, "v1", channel_id=channel).post
    made.message = "v2"
    update(host, made)
    since = host.api.GetPostsSince(cp.GetPostsSinceRequest(channel_id=channel, time=0)).post_list
    (old,) = [p for p in since.posts.values() if p.original_id == made.id]
    assert old.message == "v1" and old.delete_at > 0 and old.id != made.id


@pytest.mark.parity("UpdatePost", f"{UPDATE}; {IS_VALID}")
def test_update_validates_after_message_will_be_updated(plugins: Host) -> None:
    """An over-long edit reaches MessageWillBeUpdated, then is a 400
    ``model.post.is_valid.message_length.app_error``."""
    plugins.hooks.respond(
        "MessageWillBeUpdated",
        lambda req: hm.MessageWillBeUpdatedResponse(modified_post=req.new_post),
        plugin_id=plugins.server.ctx.plugin_id,
    )
    made = post(plugins).post
    made.message = "x" * 16384
    err = update(plugins, made).error
    assert err.id == "model.post.is_valid.message_length.app_error"
    assert plugins.hooks.named("MessageWillBeUpdated")


@pytest.mark.parity("UpdatePost", f"{UPDATE}; {GRPC_HOOKS}.MessageWillBeUpdated")
def test_an_answer_without_a_post_or_reason_allows_the_edit(plugins: Host) -> None:
    """A MessageWillBeUpdated answer with neither a post nor a reason (a handler that returns
    None) lets the edit through unchanged: the server's gRPC hook client hands back the new
    post."""
    plugins.hooks.respond("MessageWillBeUpdated", hm.MessageWillBeUpdatedResponse(),
                          plugin_id=plugins.server.ctx.plugin_id)
    made = post(plugins, "v1").post
    made.message = "v2"
    rsp = update(plugins, made)
    assert not rsp.HasField("error") and rsp.post.message == "v2"
    assert plugins.hooks.named("MessageHasBeenUpdated")


@pytest.mark.parity("UpdatePost", f"{UPDATE}; {GRPC_HOOKS}.MessageWillBeUpdated")
def test_a_reason_rejects_the_edit_even_with_a_post(plugins: Host) -> None:
    """A MessageWillBeUpdated answer with a rejection reason rejects the edit even when it
    also carries a post: 400 ``Post rejected by plugin. <reason>``, the old post kept."""
    plugins.hooks.respond(
        "MessageWillBeUpdated",
        lambda req: hm.MessageWillBeUpdatedResponse(modified_post=req.new_post,
                                                    rejection_reason="frozen"),
        plugin_id=plugins.server.ctx.plugin_id,
    )
    made = post(plugins, "v1").post
    made.message = "v2"
    err = update(plugins, made).error
    assert (err.status_code, err.id) == (400, "Post rejected by plugin. frozen")
    kept = plugins.api.GetPost(cp.GetPostRequest(post_id=made.id)).post
    assert kept.message == "v1" and not plugins.hooks.named("MessageHasBeenUpdated")


@pytest.mark.parity(
    "UpdatePost",
    f"{UPDATE}; server/channels/store/sqlstore/post_store.go: (*SqlPostStore).Update",
)
def test_message_has_been_updated_gets_the_stored_old_version(quiet_host: Host) -> None:
    """MessageHasBeenUpdated's old_post is the old version as the server keeps it: a new id,
    original_id = the edited post's id, and delete_at = the edit's update_at (MessageWillBeUpdated
    still gets the post as it was)."""
    made = post(quiet_host, "v1").post
    made.message = "v2"
    edited = update(quiet_host, made).post
    (before,) = quiet_host.hooks.named("MessageWillBeUpdated")
    assert before.old_post.id == made.id and before.old_post.delete_at == 0
    (after,) = quiet_host.hooks.named("MessageHasBeenUpdated")
    old = after.old_post
    assert (old.message, old.original_id) == ("v1", made.id) and old.id != made.id
    assert old.delete_at == old.update_at == edited.update_at
    assert after.new_post.id == made.id


# -- DeletePost ------------------------------------------------------------------------------
@pytest.mark.parity("DeletePost", DELETE)
def test_delete_of_a_missing_post_is_400(host: Host) -> None:
    """Deleting a post that does not exist or is already deleted is a 400 (not a 404)
    ``app.post.get.app_error``."""
    gone = post(host).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for post_id in (gone.id, host.user("bob")):
        err = host.api.DeletePost(cp.DeletePostRequest(post_id=post_id)).error
        assert (err.status_code, err.id) == (400, "app.post.get.app_error")


@pytest.mark.parity("DeletePost", DELETE)
def test_delete_in_an_archived_channel_is_refused(host: Host) -> None:
    """A plugin cannot delete a post of an archived channel: 400
    ``api.post.delete_post.can_not_delete_post_in_deleted.error``."""
    channel = new_channel(host)
    made = post(host, channel_id=channel).post
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=channel))
    err = host.api.DeletePost(cp.DeletePostRequest(post_id=made.id)).error
    assert (err.status_code, err.id) == (
        400,
        "api.post.delete_post.can_not_delete_post_in_deleted.error",
    )


@pytest.mark.parity(
    "DeletePost", "server/channels/store/sqlstore/post_store.go: (*SqlPostStore).Delete"
)
def test_delete_marks_the_thread_deleted_by_the_plugin(host: Host) -> None:
    """The post and its replies get delete_at and the prop ``deleteBy`` = the plugin's id."""
    channel = new_channel(host)
    root = post(host, "root", channel_id=channel).post
    reply = post(host, "reply", channel_id=channel, root_id=root.id).post
    host.api.DeletePost(cp.DeletePostRequest(post_id=root.id))
    since = host.api.GetPostsSince(cp.GetPostsSinceRequest(channel_id=channel, time=0)).post_list
    for pid in (root.id, reply.id):
        assert since.posts[pid].delete_at > 0
        assert props(since.posts[pid])["deleteBy"] == host.server.ctx.plugin_id


@pytest.mark.parity(
    "DeletePost", "server/channels/app/post.go: (*App).cleanUpAfterPostDeletionWithChannel"
)
def test_message_has_been_deleted_gets_the_post_as_it_was(quiet_host: Host) -> None:
    """MessageHasBeenDeleted receives the post as read before the delete (delete_at 0)."""
    made = post(quiet_host).post
    quiet_host.api.DeletePost(cp.DeletePostRequest(post_id=made.id))
    (fired,) = quiet_host.hooks.named("MessageHasBeenDeleted")
    assert fired.post.id == made.id and fired.post.delete_at == 0


@pytest.mark.parity("DeletePost", "server/channels/app/post.go: (*App).deleteFlaggedPosts")
def test_delete_unflags_the_post_for_every_user(host: Host) -> None:
    """Deleting a post removes every user's ``flagged_post`` preference for it (it leaves
    their saved messages); flags of other posts stay."""
    gone, kept = post(host, "gone").post, post(host, "kept").post
    users = [host.user(name) for name in ("alice", "bob")]
    for user_id in users:
        flags = [
            rp.Preference(user_id=user_id, category="flagged_post", name=p.id, value="true")
            for p in (gone, kept)
        ]
        host.api.UpdatePreferencesForUser(
            rp.UpdatePreferencesForUserRequest(user_id=user_id, preferences=flags)
        )
    host.api.DeletePost(cp.DeletePostRequest(post_id=gone.id))
    for user_id in users:
        prefs = host.api.GetPreferencesForUser(
            rp.GetPreferencesForUserRequest(user_id=user_id)
        ).preferences
        assert {p.name for p in prefs if p.category == "flagged_post"} == {kept.id}


# -- ephemeral posts ---------------------------------------------------------------------------
EPHEMERAL = "server/channels/app/post.go: (*App).SendEphemeralPost"


@pytest.mark.parity("SendEphemeralPost", EPHEMERAL)
def test_ephemeral_post_gets_id_time_and_type(host: Host) -> None:
    """SendEphemeralPost fills in an id and create_at, sets type ``system_ephemeral`` and
    leaves update_at alone."""
    sent = host.api.SendEphemeralPost(
        cp.SendEphemeralPostRequest(
            user_id=host.user("bob"),
            post=post_pb2.Post(channel_id=host.info.channels["off-topic"], message="psst"),
        )
    ).post
    assert len(sent.id) == 26 and sent.create_at > 0 and sent.update_at == 0
    assert sent.type == "system_ephemeral"


@pytest.mark.parity("SendEphemeralPost", f"{EPHEMERAL}; (*PluginAPI).SendEphemeralPost")
def test_ephemeral_post_never_fails(host: Host) -> None:
    """Nothing is checked: an unknown user, no channel and an over-long message still give
    back the post, with no error."""
    rsp = host.api.SendEphemeralPost(
        cp.SendEphemeralPostRequest(user_id="nobody", post=post_pb2.Post(message="x" * 20000))
    )
    assert not rsp.HasField("error") and rsp.post.type == "system_ephemeral"


@pytest.mark.parity(
    "UpdateEphemeralPost", "server/channels/app/post.go: (*App).UpdateEphemeralPost"
)
def test_update_ephemeral_sets_update_at_only(host: Host) -> None:
    """UpdateEphemeralPost sets update_at (and the type) but fills in no id or create_at."""
    rsp = host.api.UpdateEphemeralPost(
        cp.UpdateEphemeralPostRequest(user_id=host.user("bob"), post=post_pb2.Post(message="v2"))
    )
    assert not rsp.HasField("error")
    assert (rsp.post.id, rsp.post.create_at, rsp.post.type) == ("", 0, "system_ephemeral")
    assert rsp.post.update_at > 0


@pytest.mark.parity(
    ("SendEphemeralPost", "UpdateEphemeralPost"),
    f"{EPHEMERAL}; (*App).UpdateEphemeralPost; server/public/model/post.go: GenerateActionIds",
)
def test_ephemeral_buttons_get_ids(host: Host) -> None:
    """Buttons of an ephemeral post's attachments get ids too, when it is sent and when it is
    updated; an id the plugin gave stays."""
    p = post_pb2.Post(channel_id=host.info.channels["off-topic"], message="pick")
    p.props.update({"attachments": BUTTONS})
    sent = host.api.SendEphemeralPost(
        cp.SendEphemeralPostRequest(user_id=host.user("bob"), post=p)
    ).post
    first, kept = actions(sent)
    assert len(str(first["id"])) == 26 and kept["id"] == "keepme"
    again = host.api.UpdateEphemeralPost(
        cp.UpdateEphemeralPostRequest(user_id=host.user("bob"), post=p)
    ).post
    assert len(str(actions(again)[0]["id"])) == 26


@pytest.mark.parity(
    "DeleteEphemeralPost", "server/channels/app/post.go: (*App).DeleteEphemeralPost"
)
def test_delete_ephemeral_never_fails_and_names_the_user(quiet_host: Host) -> None:
    """DeleteEphemeralPost accepts any ids; the deleted post sent to the user carries its id,
    the user and the delete time."""
    rsp = quiet_host.api.DeleteEphemeralPost(
        cp.DeleteEphemeralPostRequest(user_id="u", post_id="p")
    )
    assert not rsp.HasField("error")
    _kind, event = quiet_host.emitted[-1]
    assert event["post"]["id"] == "p" and event["post"]["user_id"] == "u"
    assert int(event["post"]["delete_at"]) > 0


@pytest.mark.parity("CreatePost", "server/channels/app/post.go: (*App).CreatePostAsUser")
def test_only_the_web_app_path_refuses_archived_channels(host: Host) -> None:
    """The web app (the test harness's ``post_as``) refuses an archived channel with 400
    ``api.post.create_post.can_not_post_to_deleted.error`` where a plugin may post."""
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.posts import Origin, create_post

    archived = new_channel(host, archived=True)
    p = post_pb2.Post(channel_id=archived, user_id=host.user("alice"), message="hi")
    with pytest.raises(ApiFailure) as refused:
        create_post(host.server.ctx, p, origin=Origin.USER)
    assert refused.value.error_id == "api.post.create_post.can_not_post_to_deleted.error"
    assert post(host, channel_id=archived).post.id
