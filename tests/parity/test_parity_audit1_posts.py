"""Server parity found by the audit of the post rpcs: what FillInPostProps does to a new or
edited post (the ``current_team_id`` and ``ai_generated_by`` props, the gate of burn-on-read
posts), posts in shared direct channels, the files of an edit and the props of ephemeral
posts."""

from __future__ import annotations

import pytest
from google.protobuf import json_format
from postsworld import configured, post
from test_parity_groups import licensed
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import post_pb2

FILL_IN = "server/channels/app/post.go: (*App).FillInPostProps"
AI_USER_ERROR = (400, "api.post.fill_in_post_props.invalid_ai_generated_user.app_error")


def _props(p: post_pb2.Post) -> dict[str, object]:
    return json_format.MessageToDict(p.props)


def _direct(host: Host) -> str:
    return host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=host.user("alice"), user_id_2=host.user("bob"))
    ).channel.id


@pytest.mark.parity("CreatePost", FILL_IN)
def test_current_team_id_picks_the_team_of_channel_mentions_in_a_direct_channel(
    host: Host,
) -> None:
    """In a channel without a team, a `current_team_id` prop names the team `~channel`
    mentions are looked up in, and is dropped from a post that has mentions; a post without
    mentions keeps it."""
    dm, acme = _direct(host), host.info.teams["acme"]
    made = post(host, "see ~town-square", channel_id=dm, props={"current_team_id": acme}).post
    assert list(_props(made)["channel_mentions"]) == ["town-square"]  # type: ignore[call-overload]
    assert "current_team_id" not in _props(made)
    elsewhere = post(host, "see ~town-square", channel_id=dm,
                     props={"current_team_id": host.user("bob")}).post
    assert "channel_mentions" not in _props(elsewhere)
    assert "current_team_id" not in _props(elsewhere)
    quiet = post(host, "no mention", channel_id=dm, props={"current_team_id": acme}).post
    assert _props(quiet)["current_team_id"] == acme


@pytest.mark.parity(
    "CreatePost",
    FILL_IN + "; server/public/model/channel_mentions.go: ChannelMentionsFromAttachments",
)
def test_channel_mentions_come_from_attachments_too_and_match_names_exactly(host: Host) -> None:
    """`~channel` mentions in an attachment's pretext, text or field values fill
    `channel_mentions` like the message's; a mention is looked up as written, so
    `~Town-Square` names no channel."""
    attachments = [{"pretext": "see ~off-topic", "text": "and ~town-square",
                    "fields": [{"title": "~secret-plans", "value": "~nowhere"}]}]
    made = post(host, "nothing here", props={"attachments": attachments}).post
    assert sorted(_props(made)["channel_mentions"]) == ["off-topic", "town-square"]  # type: ignore[call-overload]
    upper = post(host, "see ~Town-Square").post
    assert "channel_mentions" not in _props(upper)


@pytest.mark.parity(("CreatePost", "UpdatePost"), FILL_IN)
def test_ai_generated_by_the_poster_or_a_bot_gets_the_username(host: Host) -> None:
    """An `ai_generated_by` prop naming the poster or a bot gets an
    `ai_generated_by_username` prop with that user's username, on a new post and on an
    edit."""
    mine = post(host, props={"ai_generated_by": host.user("alice")}).post
    assert _props(mine)["ai_generated_by_username"] == "alice"
    mine.props["ai_generated_by"] = host.user("helper-bot")
    del mine.props["ai_generated_by_username"]
    edited = host.api.UpdatePost(cp.UpdatePostRequest(post=mine))
    assert not edited.HasField("error")
    assert _props(edited.post)["ai_generated_by_username"] == "helper-bot"


@pytest.mark.parity(("CreatePost", "UpdatePost"), FILL_IN)
def test_ai_generated_by_another_user_is_refused(host: Host) -> None:
    """An `ai_generated_by` prop naming a user who is neither the poster nor a bot is a 400
    `api.post.fill_in_post_props.invalid_ai_generated_user.app_error`, on a new post and on
    an edit (which is not saved)."""
    rsp = post(host, props={"ai_generated_by": host.user("bob")})
    assert (rsp.error.status_code, rsp.error.id) == AI_USER_ERROR
    made = post(host, "v1").post
    made.message = "v2"
    made.props["ai_generated_by"] = host.user("bob")
    rsp_edit = host.api.UpdatePost(cp.UpdatePostRequest(post=made))
    assert (rsp_edit.error.status_code, rsp_edit.error.id) == AI_USER_ERROR
    assert host.api.GetPost(cp.GetPostRequest(post_id=made.id)).post.message == "v1"


@pytest.mark.parity("CreatePost", FILL_IN)
def test_ai_generated_by_an_unknown_user_is_dropped(host: Host) -> None:
    """An `ai_generated_by` prop naming no user is dropped; the post is created."""
    rsp = post(host, props={"ai_generated_by": "x" * 26})
    assert not rsp.HasField("error")
    assert "ai_generated_by" not in _props(rsp.post)
    assert "ai_generated_by_username" not in _props(rsp.post)


# -- burn-on-read posts ----------------------------------------------------------------------
@pytest.mark.parity("CreatePost", FILL_IN)
def test_burn_on_read_post_needs_an_enterprise_advanced_license(host: Host) -> None:
    """A `burn_on_read` post is a 501
    `api.post.fill_in_post_props.burn_on_read.license.app_error` without an Enterprise
    Advanced license (the default world has none, a professional one is not enough)."""
    for sku in ("", "professional"):
        with licensed(host, sku):
            rsp = post(host, type="burn_on_read")
        assert (rsp.error.status_code, rsp.error.id) == (
            501, "api.post.fill_in_post_props.burn_on_read.license.app_error")


@pytest.mark.parity("CreatePost", FILL_IN)
def test_burn_on_read_post_needs_the_feature_turned_on(host: Host) -> None:
    """With the license, a `burn_on_read` post is a 501
    `api.post.fill_in_post_props.burn_on_read.config.app_error` when
    `ServiceSettings.EnableBurnOnRead` is off."""
    with licensed(host, "advanced"), configured(host, "ServiceSettings", "EnableBurnOnRead",
                                                False):
        rsp = post(host, type="burn_on_read")
    assert (rsp.error.status_code, rsp.error.id) == (
        501, "api.post.fill_in_post_props.burn_on_read.config.app_error")


@pytest.mark.parity(
    ("CreatePost", "UpdatePost"),
    "server/channels/app/post.go: (*App).CreatePost, (*App).UpdatePost",
)
def test_burn_on_read_post_takes_no_reply_and_no_edit(host: Host) -> None:
    """A reply to a `burn_on_read` post is a 400 `api.post.create_post.burn_on_read.app_error`;
    editing one is a 400 `api.post.update_post.burn_on_read.app_error`."""
    with licensed(host, "advanced"):
        made = post(host, "gone soon", type="burn_on_read")
    assert not made.HasField("error")
    reply = post(host, "re", root_id=made.post.id)
    assert (reply.error.status_code, reply.error.id) == (
        400, "api.post.create_post.burn_on_read.app_error")
    made.post.message = "edited"
    edit = host.api.UpdatePost(cp.UpdatePostRequest(post=made.post))
    assert (edit.error.status_code, edit.error.id) == (
        400, "api.post.update_post.burn_on_read.app_error")


# -- shared direct channels ------------------------------------------------------------------
@pytest.mark.parity("CreatePost", "server/channels/app/post.go: (*App).CreatePost")
def test_posting_in_a_shared_direct_channel_needs_the_feature_flag(host: Host) -> None:
    """A post in a shared direct or group channel is a 400
    `app.post.create_post.shared_dm_or_gm.app_error` while the `EnableSharedChannelsDMs`
    feature flag is off (its default); with it on the post is created."""
    group = _group(host)
    shared = host.api.ShareChannel(rem.ShareChannelRequest(shared_channel=rem.SharedChannel(
        channel_id=group, creator_id=host.user("alice"), home="true")))
    assert not shared.HasField("error"), shared.error
    try:
        rsp = post(host, channel_id=group)
        assert (rsp.error.status_code, rsp.error.id) == (
            400, "app.post.create_post.shared_dm_or_gm.app_error")
        with configured(host, "FeatureFlags", "EnableSharedChannelsDMs", True):
            assert not post(host, channel_id=group).HasField("error")
    finally:
        host.api.UnshareChannel(rem.UnshareChannelRequest(channel_id=group))


def _group(host: Host) -> str:
    users = [host.user(name) for name in ("admin", "alice", "bob")]
    return host.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=users)).channel.id


# -- ephemeral posts -------------------------------------------------------------------------
@pytest.mark.parity(
    ("SendEphemeralPost", "UpdateEphemeralPost"),
    "server/channels/app/post.go: (*App).SendEphemeralPost, (*App).UpdateEphemeralPost; "
    "server/public/pluginapi/grpc/server: postToProto",
)
def test_ephemeral_post_without_props_comes_back_with_empty_props(host: Host) -> None:
    """An ephemeral post sent or updated without props comes back with props set (an empty
    map), as the server fills in nil props before answering."""
    bare = post_pb2.Post(channel_id=host.info.channels["off-topic"], user_id=host.user("alice"),
                         message="only you")
    sent = host.api.SendEphemeralPost(
        cp.SendEphemeralPostRequest(user_id=host.user("bob"), post=bare)).post
    assert sent.HasField("props") and _props(sent) == {}
    updated = host.api.UpdateEphemeralPost(
        cp.UpdateEphemeralPostRequest(user_id=host.user("bob"), post=bare)).post
    assert updated.HasField("props") and _props(updated) == {}


# -- the files of an edit --------------------------------------------------------------------
FILE_CHANGES = "server/channels/app/post_file_change.go: (*App).processPostFileChanges"


def _plugin_file(host: Host) -> str:
    return host.api.UploadFile(fb.UploadFileRequest(data=b"x", filename="a.txt")).file_info.id


@pytest.mark.parity("UpdatePost", FILE_CHANGES)
def test_edit_attaches_only_files_a_plugin_uploaded(host: Host) -> None:
    """An edit by a plugin attaches a new file only if a plugin uploaded it (the plugin's
    calls have no session user): a file the poster uploaded is dropped from `file_ids` and
    stays unattached, while the files the post kept stay."""
    kept, added = _plugin_file(host), _plugin_file(host)
    alices = host.api.CopyFileInfos(
        fb.CopyFileInfosRequest(user_id=host.user("alice"), file_ids=[_plugin_file(host)])
    ).file_ids[0]
    made = post(host, "files", file_ids=[kept]).post
    made.file_ids.extend([added, alices])
    edited = host.api.UpdatePost(cp.UpdatePostRequest(post=made))
    assert not edited.HasField("error"), edited.error
    assert sorted(edited.post.file_ids) == sorted([kept, added])
    info = host.api.GetFileInfo(fb.GetFileInfoRequest(file_id=alices)).file_info
    assert info.post_id == ""
    assert host.api.GetFileInfo(fb.GetFileInfoRequest(file_id=added)).file_info.post_id == made.id


@pytest.mark.parity("UpdatePost", FILE_CHANGES)
def test_edit_deletes_the_files_it_takes_off_the_post(host: Host) -> None:
    """A file an edit takes off the post is deleted (GetFileInfo answers 404); the file the
    post keeps is not."""
    gone, kept = _plugin_file(host), _plugin_file(host)
    made = post(host, "files", file_ids=[gone, kept]).post
    del made.file_ids[:]
    made.file_ids.append(kept)
    assert not host.api.UpdatePost(cp.UpdatePostRequest(post=made)).HasField("error")
    err = host.api.GetFileInfo(fb.GetFileInfoRequest(file_id=gone)).error
    assert (err.status_code, err.id) == (404, "app.file_info.get.app_error")
    assert host.api.GetFileInfo(fb.GetFileInfoRequest(file_id=kept)).file_info.post_id == made.id


# -- channel-wide mentions a poster may not use --------------------------------------------------
@pytest.mark.parity("CreatePost", "server/channels/app/post.go: (*App).CreatePost; "
                    "server/public/model/post.go: (*Post).DisableMentionHighlights")
def test_channel_mention_without_the_permission_is_disabled_and_reported(
        quiet_host: Host) -> None:
    """A plain post whose poster may not use channel mentions there (a bot outside the
    channel) and that says `@here` gets the `mentionHighlightDisabled` prop, and after its
    `posted` event the poster gets the ephemeral post "Channel notifications are disabled in
    <channel name>. The @here did not trigger any notifications."; a member's post gets
    neither."""
    host = quiet_host
    made = post(host, "Hello @HERE!", user="helper-bot").post
    assert _props(made)["mentionHighlightDisabled"] is True
    kinds = [kind for kind, payload in host.emitted
             if kind == "ephemeral_post" or payload.get("event") == "posted"]
    assert kinds == ["websocket_event", "ephemeral_post"]
    (sent,) = [p for kind, p in host.emitted if kind == "ephemeral_post"]
    assert sent["user_id"] == host.user("helper-bot")
    assert sent["post"]["message"] == ("Channel notifications are disabled in off-topic. The "
                                       "@here did not trigger any notifications.")
    assert sent["post"]["props"]["mentionHighlightDisabled"] is True
    host.emitted.clear()
    member = post(host, "Hello @here").post
    assert "mentionHighlightDisabled" not in _props(member)
    assert not [kind for kind, _ in host.emitted if kind == "ephemeral_post"]


# -- the size of props ---------------------------------------------------------------------------
@pytest.mark.parity("CreatePost", "server/public/model/post.go: (*Post).IsValid")
def test_props_size_counts_the_runes_of_gos_json(host: Host) -> None:
    """Props may take 800000 runes as Go writes their JSON: letters count once (300000 `é`
    pass), while `<`, `>` and `&` are written `\\u003c`... and count six times (140000 `<` are
    a 400 `model.post.is_valid.props.app_error`)."""
    assert not post(host, props={"text": "é" * 300_000}).HasField("error")
    err = post(host, props={"text": "<" * 140_000}).error
    assert (err.status_code, err.id) == (400, "model.post.is_valid.props.app_error")
