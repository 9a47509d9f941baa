"""Server parity of the `posted` WebSocket event of a new post: when it goes out, and the
per-connection additions (mentions, thread followers) the server attaches to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf import json_format
from postsworld import new_channel, post
from test_parity_users import create
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_file_bot_pb2 as fb
from mmplug.protocol import api_remaining_pb2 as rp
from mmplug.protocol import api_user_team_pb2 as ut

NOTIFY = "server/channels/app/notification.go: (*App).SendNotifications"
MENTIONS = (NOTIFY + "; server/channels/app/notification.go: (*App).getExplicitMentionsAndKeywords"
            "; server/channels/app/mention_parser_standard.go: (*StandardMentionParser).ProcessText"
            "; server/channels/app/web_broadcast_hooks.go: useAddMentionsHook")


@pytest.mark.parity("CreatePost", NOTIFY)
def test_no_posted_event_for_a_post_in_an_archived_channel(quiet_host: Host) -> None:
    """A plugin's post in an archived channel is saved and MessageHasBeenPosted runs, but
    the server notifies nobody of it: no `posted` event goes out."""
    host = quiet_host
    archived = new_channel(host, archived=True)
    host.emitted.clear()
    rsp = post(host, "into the archive", channel_id=archived)
    assert not rsp.HasField("error")
    assert "MessageHasBeenPosted" in [name for name, _, _ in host.hooks.fired]
    assert host.events("posted") == []


def _hooks(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The broadcast hooks of a published event, by name, with their arguments."""
    broadcast = event["broadcast"]
    return dict(zip(broadcast.get("broadcast_hooks", []),
                    broadcast.get("broadcast_hook_args", []), strict=True))


def _mentioned(host: Host, message: str, **fields: Any) -> list[str] | None:
    """The users the `posted` event of a new post by alice mentions (None: no add_mentions)."""
    host.emitted.clear()
    rsp = post(host, message, **fields)
    assert not rsp.HasField("error")
    (event,) = host.events("posted")
    assert "mentions" not in event["data"]  # added per connection, never to the event itself
    added = _hooks(event).get("add_mentions")
    return None if added is None else added["mentions"]


def _ids(host: Host, *names: str) -> list[str]:
    return sorted(host.user(name) for name in names)


@pytest.mark.parity("CreatePost", MENTIONS)
def test_posted_event_mentions_the_channel_members_named(quiet_host: Host) -> None:
    """`@username` mentions a member of the channel (case-insensitively, before punctuation):
    the `posted` event carries the `add_mentions` hook that gives each mentioned user's
    connections `mentions`; a user outside the channel, the poster and text in code are not
    mentioned, and a post that mentions nobody has no such hook."""
    host = quiet_host
    assert _mentioned(host, "plain words") is None
    assert _mentioned(host, "@BOB: see @admin. and @helper-bot, thanks @alice") == _ids(
        host, "admin", "bob")
    assert _mentioned(host, "run `@bob` then\n```\n@admin\n```\n") is None


@pytest.mark.parity("CreatePost", MENTIONS)
def test_channel_wide_mentions_reach_members_and_here_only_online_ones(
        quiet_host: Host) -> None:
    """`@channel` and `@all` mention every other member of the channel; `@here` only those
    who are online (bob is away)."""
    host = quiet_host
    assert _mentioned(host, "@channel hello") == _ids(host, "admin", "bob")
    assert _mentioned(host, "hello @all") == _ids(host, "admin", "bob")
    assert _mentioned(host, "@here hello") == _ids(host, "admin")


@pytest.mark.parity("CreatePost", MENTIONS)
def test_every_post_in_direct_and_group_channels_mentions_the_others(quiet_host: Host) -> None:
    """In a direct channel the other user is mentioned by every post, in a group channel every
    other member; the `posted_ack` hook names the users whose clients acknowledge it."""
    host = quiet_host
    dm = host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=host.user("alice"), user_id_2=host.user("bob"))
    ).channel
    gm = host.info.channels["admin__alice__bob"]
    assert _mentioned(host, "psst", channel_id=dm.id) == _ids(host, "bob")
    assert _mentioned(host, "all of us", channel_id=gm) == _ids(host, "admin", "bob")
    (event,) = host.events("posted")
    assert _hooks(event)["posted_ack"] == {
        "posted_user_id": host.user("alice"), "channel_type": "G",
        "users": _ids(host, "admin", "alice", "bob")}


PUBLISH = "server/channels/app/post.go: (*App).publishWebsocketEventForPost"
UPDATE = "server/channels/app/post.go: (*App).UpdatePost"


@pytest.mark.parity(("CreatePost", "UpdatePost"), PUBLISH)
def test_channel_mentions_leave_the_event_post_for_a_broadcast_hook(quiet_host: Host) -> None:
    """The post in `posted` and `post_edited` events has no `channel_mentions` prop (the
    plugin's copy has it): a `channel_mentions` broadcast hook puts back, for each recipient,
    the mentioned channels they may read."""
    host = quiet_host
    made = post(host, "see ~town-square").post
    assert "town-square" in json_format.MessageToDict(made.props)["channel_mentions"]
    made.message = "now ~off-topic"
    assert not host.api.UpdatePost(cp.UpdatePostRequest(post=made)).HasField("error")
    for name, channel in (("posted", "town-square"), ("post_edited", "off-topic")):
        (event,) = host.events(name)
        assert "channel_mentions" not in json.loads(event["data"]["post"]).get("props", {})
        mentioned = _hooks(event)["channel_mentions"]["channel_mentions"]
        assert list(mentioned) == [channel]
        assert mentioned[channel]["id"] == host.info.channels[channel]


@pytest.mark.parity("DeletePost", "server/channels/app/post.go: (*App).DeletePost")
def test_post_deleted_with_who_deleted_it_goes_to_system_admins_only(quiet_host: Host) -> None:
    """Of the two `post_deleted` events, the one without `delete_by` is for the channel's
    members who are not system admins (sanitized data), the one with it for the system admins
    only (sensitive data)."""
    host = quiet_host
    made = post(host).post
    host.emitted.clear()
    assert not host.api.DeletePost(cp.DeletePostRequest(post_id=made.id)).HasField("error")
    plain, with_deleter = (e["broadcast"] for e in host.events("post_deleted"))
    assert plain == {"channel_id": made.channel_id, "contains_sanitized_data": True}
    assert with_deleter == {"channel_id": made.channel_id, "contains_sensitive_data": True}


FOLLOWERS = (NOTIFY + "; server/channels/app/notification.go: (*CRTNotifiers).addFollowerToNotify"
             "; server/channels/app/web_broadcast_hooks.go: useAddFollowersHook")


def _followers(event: dict[str, Any]) -> list[str] | None:
    added = _hooks(event).get("add_followers")
    return None if added is None else added["followers"]


@pytest.mark.parity("CreatePost", FOLLOWERS)
def test_a_reply_notifies_the_threads_followers(quiet_host: Host) -> None:
    """A reply's `posted` event carries the `add_followers` hook naming the thread's followers
    it notifies (with collapsed reply threads): the root's poster, earlier repliers and users
    mentioned in the thread, never the one replying; a root post has none."""
    host = quiet_host
    root = post(host, "a question for @admin").post
    post(host, "an answer", user="bob", root_id=root.id)
    post(host, "thanks", root_id=root.id)
    root_event, bob_reply, alice_reply = host.events("posted")
    assert _followers(root_event) is None
    assert _followers(bob_reply) == _ids(host, "admin", "alice")
    assert _followers(alice_reply) == _ids(host, "admin", "bob")


@pytest.mark.parity("CreatePost", FOLLOWERS + "; server/channels/app/user.go: "
                    "(*App).IsCRTEnabledForUser")
def test_followers_without_collapsed_threads_are_not_notified_as_followers(
        quiet_host: Host) -> None:
    """A follower who turned collapsed reply threads off (display_settings
    `collapsed_reply_threads` = `off`) is not among the `followers` of a reply; the others
    are."""
    host = quiet_host
    bob = host.user("bob")
    off = rp.Preference(user_id=bob, category="display_settings",
                        name="collapsed_reply_threads", value="off")
    assert not host.api.UpdatePreferencesForUser(
        rp.UpdatePreferencesForUserRequest(user_id=bob, preferences=[off])).HasField("error")
    try:
        root = post(host, "over to you @admin", user="bob").post
        post(host, "reply", root_id=root.id)
        assert _followers(host.events("posted")[-1]) == _ids(host, "admin")
    finally:
        host.api.DeletePreferencesForUser(
            rp.DeletePreferencesForUserRequest(user_id=bob, preferences=[off]))


@pytest.mark.parity("CreatePost", NOTIFY + "; server/channels/app/notification.go: "
                    "(*PostNotification).GetChannelName")
def test_group_channel_is_named_after_its_active_members(quiet_host: Host) -> None:
    """A group channel's `channel_display_name` in the `posted` event lists the usernames of
    its active members, sorted; a deactivated member is left out."""
    host = quiet_host
    gone = create(host, "gm-gone")
    ids = [host.user("alice"), host.user("bob"), gone.id]
    gm = host.api.GetGroupChannel(cp.GetGroupChannelRequest(user_ids=ids)).channel
    host.api.UpdateUserActive(ut.UpdateUserActiveRequest(user_id=gone.id, active=False))
    host.emitted.clear()
    assert not post(host, "hi all", channel_id=gm.id).HasField("error")
    (event,) = host.events("posted")
    assert event["data"]["channel_display_name"] == "alice, bob"


@pytest.mark.parity("CreatePost", "server/channels/app/post.go: (*App).CreatePost; "
                    "server/channels/app/post_metadata.go: (*App).PreparePostForClient")
def test_posted_event_post_carries_metadata_with_its_files(quiet_host: Host) -> None:
    """The post in the `posted` event has the metadata the server prepares for clients: `{}`
    for a plain post, and the attached files' FileInfo (`user_id` the uploader) under
    `files`; the plugin's own copy of the post has no metadata."""
    host = quiet_host
    info = host.api.UploadFile(fb.UploadFileRequest(
        data=b"notes", filename="notes.txt", channel_id=host.info.channels["off-topic"])).file_info
    plain = post(host, "plain").post
    with_file = post(host, "see file", file_ids=[info.id]).post
    assert not plain.HasField("metadata") and not with_file.HasField("metadata")
    first, second = (json.loads(e["data"]["post"]) for e in host.events("posted"))
    assert first["metadata"] == {}
    (sent,) = second["metadata"]["files"]
    assert {k: sent[k] for k in ("id", "user_id", "post_id", "channel_id", "name",
                                 "extension", "mime_type", "remote_id", "archived")} == {
        "id": info.id, "user_id": info.creator_id, "post_id": with_file.id,
        "channel_id": with_file.channel_id, "name": "notes.txt", "extension": "txt",
        "mime_type": info.mime_type, "remote_id": "", "archived": False}
    assert "creator_id" not in sent and "width" not in sent


@pytest.mark.parity("UpdatePost", UPDATE + "; server/channels/app/post_metadata.go: "
                    "(*App).PreparePostForClientWithEmbedsAndImages")
def test_post_edited_event_post_carries_metadata_with_its_files(quiet_host: Host) -> None:
    """The post in the `post_edited` event has the metadata the server prepares for clients:
    `{}` for a plain post, the attached files' FileInfo under `files` once a file is added."""
    host = quiet_host
    made = post(host, "v1").post
    made.message = "v2"
    assert not host.api.UpdatePost(cp.UpdatePostRequest(post=made)).HasField("error")
    info = host.api.UploadFile(fb.UploadFileRequest(
        data=b"notes", filename="notes.txt", channel_id=made.channel_id)).file_info
    made.file_ids.append(info.id)
    assert not host.api.UpdatePost(cp.UpdatePostRequest(post=made)).HasField("error")
    first, second = (json.loads(e["data"]["post"]) for e in host.events("post_edited"))
    assert first["metadata"] == {}
    assert [f["id"] for f in second["metadata"]["files"]] == [info.id]


@pytest.mark.parity("CreatePost", MENTIONS)
def test_a_reply_mentions_earlier_posters_who_asked_for_replies(quiet_host: Host) -> None:
    """A user without collapsed reply threads whose `comments` notify prop is `root` is
    mentioned by every reply to a thread they started (`any`: to a thread they posted in)."""
    host = quiet_host
    user = create(host, "replies")
    joined = host.api.CreateTeamMember(ut.CreateTeamMemberRequest(
        team_id=host.info.teams["acme"], user_id=user.id))
    assert not joined.HasField("error")
    channel = new_channel(host)
    for member in (user.id, host.user("alice")):
        assert not host.api.AddChannelMember(cp.AddChannelMemberRequest(
            channel_id=channel, user_id=member)).HasField("error")
    user.notify_props["comments"] = "root"
    assert not host.api.UpdateUser(ut.UpdateUserRequest(user=user)).HasField("error")
    off = rp.Preference(user_id=user.id, category="display_settings",
                        name="collapsed_reply_threads", value="off")
    assert not host.api.UpdatePreferencesForUser(
        rp.UpdatePreferencesForUserRequest(user_id=user.id, preferences=[off])).HasField("error")
    root = post(host, "my question", user_id=user.id, channel_id=channel).post
    assert _mentioned(host, "an answer", root_id=root.id, channel_id=channel) == [user.id]
