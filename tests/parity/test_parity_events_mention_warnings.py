"""Server parity of what a new post's mentions send besides its `posted` event: the ephemeral
posts that tell the poster who a mention did not notify, and custom group mentions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from parity_channel_world import make_user
from postsworld import configured, new_channel, post
from test_parity_events_posted import _hooks, _ids, _mentioned
from test_parity_groups import add_members, licensed, make
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import api_user_team_pb2 as ut
from mmplug.protocol import post_pb2, user_pb2

NOTIFY = "server/channels/app/notification.go: (*App).SendNotifications"
OUT_OF_CHANNEL = (NOTIFY + "; server/channels/app/notification.go: (*App).sendOutOfChannelMentions"
                  ", (*App).filterOutOfChannelMentions, makeOutOfChannelMentionPost, "
                  "makeOutOfTeamMentionPost; server/channels/app/mention_parser_standard.go: "
                  "(*StandardMentionParser).ProcessText")
GROUPS = (NOTIFY + "; server/channels/app/notification.go: (*App).allowGroupMentions, "
          "(*App).getGroupsAllowedForReferenceInChannel, (*App).insertGroupMentions")
NOT_IN_CHANNEL = "did not get notified by this mention because they are not in the channel."


def _user(host: Host, **fields: Any) -> user_pb2.User:
    """A new user, by default a member of the acme team and of none of its channels
    (``make_user``'s options: ``in_team``, ``deactivated``, ``bot``, ``roles``)."""
    user_id = make_user(host, **fields)
    return host.api.GetUser(ut.GetUserRequest(user_id=user_id)).user


def _room(host: Host) -> str:
    """A fresh open channel of the acme team with alice and bob in it (a new team member
    joins town-square and off-topic)."""
    channel = new_channel(host)
    for name in ("alice", "bob"):
        assert not host.api.AddChannelMember(cp.AddChannelMemberRequest(
            channel_id=channel, user_id=host.user(name))).HasField("error")
    return channel


def _warned(host: Host, message: str, channel_id: str, **fields: Any) -> list[dict[str, Any]]:
    """The ephemeral posts the host sent when alice posted ``message`` in the channel,
    checked to go to alice only and before the `posted` event."""
    host.emitted.clear()
    rsp = post(host, message, channel_id=channel_id, **fields)
    assert not rsp.HasField("error")
    kinds = [kind for kind, payload in host.emitted
             if kind == "ephemeral_post" or payload.get("event") == "posted"]
    sent = [p for kind, p in host.emitted if kind == "ephemeral_post"]
    assert kinds == ["ephemeral_post"] * len(sent) + ["websocket_event"]
    assert {(p["action"], p["user_id"]) for p in sent} <= {("posted", host.user("alice"))}
    return [p["post"] for p in sent]


@pytest.mark.parity("CreatePost", OUT_OF_CHANNEL)
def test_mentions_of_team_members_outside_the_channel_warn_the_poster(
        quiet_host: Host) -> None:
    """`@name` of active team members outside the channel sends the poster one ephemeral
    post naming them ("did not get notified ... not in the channel", the last one after
    "and"), a second after the post, with the `add_channel_member` prop a client uses to
    offer adding them; bots and deactivated users are left out."""
    host = quiet_host
    room = _room(host)
    carol, dave = _user(host), _user(host)
    gone, bot = _user(host, deactivated=True), _user(host, bot=True)
    (one,) = _warned(host, f"ping @{carol.username}.", room)
    assert one["message"] == f"@{carol.username} {NOT_IN_CHANNEL}"
    names = sorted([carol.username, dave.username])
    (many,) = _warned(host, f"@{dave.username} @{carol.username} @{gone.username} "
                            f"@{bot.username} @bob and @nobody-at-all", room)
    assert many["message"] == f"@{names[0]} and @{names[1]} {NOT_IN_CHANNEL}"
    assert many["type"] == "system_ephemeral" and not many.get("user_id")
    made = json.loads(host.events("posted")[-1]["data"]["post"])
    assert int(many["create_at"]) == made["create_at"] + 1
    assert many["channel_id"] == room
    ids = [carol.id, dave.id] if names[0] == carol.username else [dave.id, carol.id]
    assert many["props"] == {"add_channel_member": {
        "post_id": many["id"], "usernames": names, "not_in_channel_usernames": names,
        "user_ids": ids, "not_in_channel_user_ids": ids,
        "not_in_groups_usernames": [], "not_in_groups_user_ids": []}}


@pytest.mark.parity("CreatePost", OUT_OF_CHANNEL)
def test_mentions_of_users_outside_the_team_get_a_post_of_their_own(quiet_host: Host) -> None:
    """Users outside the channel's team are named in a second ephemeral post ("didn't get
    notified ... aren't a member of this team", no props); both posts keep the reply's
    root."""
    host = quiet_host
    room = _room(host)
    inside, outside = _user(host), _user(host, in_team=False)
    root = post(host, "a thread", channel_id=room).post
    to_channel, to_team = _warned(
        host, f"@{outside.username}: @{inside.username}", room, root_id=root.id)
    assert to_channel["message"] == f"@{inside.username} {NOT_IN_CHANNEL}"
    assert to_team["message"] == (f"@{outside.username} didn't get notified by this mention "
                                  "because they aren't a member of this team.")
    assert not to_team.get("props")
    assert to_channel["root_id"] == to_team["root_id"] == root.id


@pytest.mark.parity("CreatePost", OUT_OF_CHANNEL)
def test_no_out_of_channel_warning_in_direct_or_group_channels_or_for_system_posts(
        quiet_host: Host) -> None:
    """A direct or group channel, and a system message, warn nobody about mentions of
    users outside the channel."""
    host = quiet_host
    carol = _user(host)
    dm = host.api.GetDirectChannel(
        cp.GetDirectChannelRequest(user_id_1=host.user("alice"), user_id_2=host.user("bob"))
    ).channel
    gm = host.info.channels["admin__alice__bob"]
    text = f"hello @{carol.username}"
    assert _warned(host, text, dm.id) == []
    assert _warned(host, text, gm) == []
    room = _room(host)
    assert _warned(host, text, room, type="system_generic") == []
    assert len(_warned(host, text, room)) == 1


@pytest.mark.parity("CreatePost", GROUPS + "; " + OUT_OF_CHANNEL)
def test_a_group_mention_mentions_its_members_in_the_channel(quiet_host: Host) -> None:
    """With a professional license, `@group` of a group that allows references mentions its
    members in the channel but the poster; its team members outside the channel are named
    to the poster as out of the channel. Without such a license, or for a group that does
    not allow references, it mentions nobody and warns of nothing."""
    host = quiet_host
    room = _room(host)
    carol = _user(host)
    crew = make(host, allow_reference=True).group
    quiet = make(host).group
    for group in (crew, quiet):
        add_members(host, group.id, host.user("alice"), host.user("bob"), carol.id)
    with licensed(host, "professional"):
        assert _mentioned(host, f"@{crew.name} hi", channel_id=room) == _ids(host, "bob")
        (warning,) = _warned(host, f"@{crew.name} hi", room)
        assert warning["message"] == f"@{carol.username} {NOT_IN_CHANNEL}"
        assert _mentioned(host, f"@{quiet.name} hi", channel_id=room) is None
        assert _warned(host, f"@{quiet.name} hi", room) == []
    with licensed(host):  # LDAP groups, but no SKU of the professional tier
        assert _mentioned(host, f"@{crew.name} hi", channel_id=room) is None
        assert _warned(host, f"@{crew.name} hi", room) == []


@pytest.mark.parity("CreatePost", GROUPS + ", (*App).sendNoUsersNotifiedByGroupInChannel")
def test_a_group_with_no_member_in_the_team_is_reported_to_the_poster(
        quiet_host: Host) -> None:
    """`@group` of a group none of whose active members is in the channel's team sends the
    poster the ephemeral post "@group has no members on this team"."""
    host = quiet_host
    room = _room(host)
    ghosts = make(host, allow_reference=True).group
    add_members(host, ghosts.id, _user(host, in_team=False).id)
    root = post(host, "a thread", channel_id=room).post
    with licensed(host, "professional"):
        (warning,) = _warned(host, f"calling @{ghosts.name}", room, root_id=root.id)
    assert warning["message"] == f"@{ghosts.name} has no members on this team"
    assert warning["user_id"] == host.user("alice") and warning["root_id"] == root.id


@pytest.mark.parity("CreatePost", NOTIFY + "; server/channels/app/notification.go: "
                    "(*App).allowChannelMentions")
def test_channel_wide_mentions_over_the_notification_limit_warn_the_poster(
        quiet_host: Host) -> None:
    """In a channel with more active members than TeamSettings.MaxNotificationsPerChannel,
    `@here`, `@channel` and `@all` mention nobody and each sends the poster an ephemeral
    post saying it is disabled there."""
    host = quiet_host
    room = _room(host)
    with configured(host, "TeamSettings", "MaxNotificationsPerChannel", 1):
        assert _mentioned(host, "@all hi", channel_id=room) is None
        warnings = _warned(host, "@channel and @here", room)
    assert [w["message"] for w in warnings] == [
        f"@{name} notifications are disabled in channels with more than 1 users. Contact "
        "your system administrator for more information." for name in ("here", "channel")]
    event = host.events("posted")[-1]
    assert "add_mentions" not in _hooks(event)


@pytest.mark.parity(("CreatePost", "GetChannelMember", "GetTeamsUnreadForUser"),
                    NOTIFY + "; server/channels/store/sqlstore/channel_store.go: "
                    "(SqlChannelStore).IncrementMentionCount")
def test_a_mention_counts_in_the_mentioned_users_channel_membership(quiet_host: Host) -> None:
    """Each user a new post mentions gets one more `mention_count` in their channel
    membership (`mention_count_root` only for a root post, `urgent_mention_count` for an
    urgent one), which their team's unread mentions add up; the poster and the users not
    mentioned keep theirs."""
    host = quiet_host
    room = _room(host)

    def team_mentions() -> int:
        unread = host.api.GetTeamsUnreadForUser(ut.GetTeamsUnreadForUserRequest(
            user_id=host.user("bob"))).team_unreads
        return sum(u.mention_count for u in unread if u.team_id == host.info.teams["acme"])

    before = team_mentions()

    def counts(name: str) -> tuple[int, int, int]:
        member = host.api.GetChannelMember(cp.GetChannelMemberRequest(
            channel_id=room, user_id=host.user(name))).channel_member
        return member.mention_count, member.mention_count_root, member.urgent_mention_count

    root = post(host, "hi @bob", channel_id=room).post
    assert counts("bob") == (1, 1, 0)
    post(host, "and again @bob", channel_id=room, root_id=root.id)
    assert counts("bob") == (2, 1, 0)
    urgent = post_pb2.Post(channel_id=room, user_id=host.user("alice"), message="@bob now!")
    urgent.metadata.priority.priority = "urgent"
    assert not host.api.CreatePost(cp.CreatePostRequest(post=urgent)).HasField("error")
    assert counts("bob") == (3, 2, 1)
    assert counts("alice") == (0, 0, 0)
    assert team_mentions() == before + 3


@pytest.mark.parity("CreatePost", OUT_OF_CHANNEL + "; server/channels/app/channel.go: "
                    "(*App).FilterNonGroupChannelMembers")
def test_in_a_group_constrained_channel_users_outside_its_groups_are_named_apart(
        quiet_host: Host) -> None:
    """In a group-constrained channel the team members mentioned from outside it are named
    in two sentences of one post: those in a group linked to the channel, who may be added,
    and those in none, who cannot be added until they join a linked group."""
    host = quiet_host
    room = _room(host)
    linked, outsider = _user(host), _user(host)
    crew = make(host).group
    add_members(host, crew.id, linked.id)
    with licensed(host):
        link = rem.GroupSyncable(group_id=crew.id, syncable_id=room, syncable_type="Channel")
        assert not host.api.UpsertGroupSyncable(
            rem.UpsertGroupSyncableRequest(group_syncable=link)).HasField("error")
    channel = host.api.GetChannel(cp.GetChannelRequest(channel_id=room)).channel
    channel.group_constrained = True
    assert not host.api.UpdateChannel(cp.UpdateChannelRequest(channel=channel)).HasField("error")
    (warning,) = _warned(host, f"@{outsider.username} @{linked.username}", room)
    assert warning["message"] == (
        f"@{linked.username} {NOT_IN_CHANNEL}\n@{outsider.username} {NOT_IN_CHANNEL} They "
        "cannot be added to the channel because they are not a member of the linked groups. "
        "To add them to this channel, they must be added to the linked groups.")
    added = warning["props"]["add_channel_member"]
    assert added["usernames"] == [linked.username, outsider.username]
    assert (added["not_in_channel_user_ids"], added["not_in_groups_user_ids"]) == (
        [linked.id], [outsider.id])


@pytest.mark.parity("CreatePost", OUT_OF_CHANNEL + "; server/channels/app/user.go: "
                    "(*App).UserCanSeeOtherUser, (*App).GetViewUsersRestrictions")
def test_only_users_the_poster_may_see_are_named(quiet_host: Host) -> None:
    """A poster without the `view_members` permission (a guest) is told only about the
    users they share a channel with: a team member they cannot see is not named."""
    host = quiet_host
    room = _room(host)
    carol = _user(host)
    guest = _user(host, roles="system_guest")
    assert not host.api.AddChannelMember(cp.AddChannelMemberRequest(
        channel_id=room, user_id=guest.id)).HasField("error")
    host.emitted.clear()
    assert not post(host, f"hi @{carol.username}", channel_id=room,
                    user_id=guest.id).HasField("error")
    assert [k for k, _ in host.emitted if k == "ephemeral_post"] == []
    assert len(_warned(host, f"hi @{carol.username}", room)) == 1
