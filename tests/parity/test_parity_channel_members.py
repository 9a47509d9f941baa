"""Server parity of channel membership: AddChannelMember, AddUserToChannel,
DeleteChannelMember, GetChannelMember(s), GetChannelMembersByIds, GetChannelMembersForUser,
UpdateChannelMemberRoles, UpdateChannelMemberNotifications, PatchChannelMembersNotifications."""

from __future__ import annotations

import json

import pytest
from parity_channel_world import PRIVATE, channel, error, join, make_user, posts_of
from worldhost import Host

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import hooks_extra_pb2 as hx
from mmplug.protocol import hooks_message_pb2 as hm

APP = "server/channels/app/channel.go"
STORE = "server/channels/store/sqlstore/channel_store.go"
PLUGIN_API = "server/channels/app/plugin_api.go"
MEMBER_MODEL = "server/public/model/channel_member.go"
ADD = f"{PLUGIN_API}: (*PluginAPI).AddChannelMember; {APP}: (*App).AddChannelMember"
ADD_TO = f"{APP}: (*App).AddUserToChannel"
LEAVE = f"{PLUGIN_API}: (*PluginAPI).DeleteChannelMember; {APP}: (*App).LeaveChannel"
REMOVE = f"{APP}: (*App).removeUserFromChannel"
ROLES = f"{APP}: (*App).UpdateChannelMemberRoles"
NOTIFY = f"{APP}: (*App).UpdateChannelMemberNotifyProps"
NOTIFY_VALID = f"{MEMBER_MODEL}: IsChannelMemberNotifyPropsValid"


def add(host: Host, channel_id: str, user_id: str) -> cp.AddChannelMemberResponse:
    return host.api.AddChannelMember(
        cp.AddChannelMemberRequest(channel_id=channel_id, user_id=user_id)
    )


def leave(host: Host, channel_id: str, user_id: str) -> cp.DeleteChannelMemberResponse:
    return host.api.DeleteChannelMember(
        cp.DeleteChannelMemberRequest(channel_id=channel_id, user_id=user_id)
    )


def member(host: Host, channel_id: str, user_id: str) -> cp.GetChannelMemberResponse:
    return host.api.GetChannelMember(
        cp.GetChannelMemberRequest(channel_id=channel_id, user_id=user_id)
    )


def _username(host: Host, user_id: str) -> str:
    with host.store.read() as db:
        return str(db.execute("SELECT username FROM users WHERE id=?", (user_id,)).fetchone()[0])


# -- AddChannelMember / AddUserToChannel ------------------------------------------------------
@pytest.mark.parity("AddChannelMember", ADD)
def test_add_to_a_missing_channel_is_404(host: Host) -> None:
    """Adding to an unknown channel is a 404 `app.channel.get.existing.app_error`."""
    rsp = add(host, host.store.new_id(), host.user("alice"))
    assert error(rsp) == (404, "app.channel.get.existing.app_error")


@pytest.mark.parity("AddChannelMember", ADD)
def test_add_an_unknown_user_is_404(host: Host) -> None:
    """Adding an unknown user is a 404 `app.user.missing_account.const`."""
    rsp = add(host, channel(host).id, host.store.new_id())
    assert error(rsp) == (404, "app.user.missing_account.const")


@pytest.mark.parity("AddChannelMember", f"{ADD}; {ADD_TO}")
def test_add_a_user_outside_the_team_is_404(host: Host) -> None:
    """A user who is not on the channel's team is a 404 `app.team.get_member.missing.app_error`."""
    rsp = add(host, channel(host).id, make_user(host, in_team=False))
    assert error(rsp) == (404, "app.team.get_member.missing.app_error")


@pytest.mark.parity("AddChannelMember", ADD_TO)
def test_add_a_user_who_left_the_team_is_refused(host: Host) -> None:
    """A user who left the team is a 400
    `api.channel.add_user.to.channel.failed.deleted.app_error`."""
    rsp = add(host, channel(host).id, make_user(host, left_team=True))
    assert error(rsp) == (400, "api.channel.add_user.to.channel.failed.deleted.app_error")


@pytest.mark.parity("AddChannelMember", ADD_TO)
def test_add_to_a_direct_channel_fails_on_the_team_check(host: Host) -> None:
    """A direct channel has no team, so adding to it is the team check's 404."""
    rsp = add(host, host.info.channels["alice__bob"], host.user("admin"))
    assert error(rsp) == (404, "app.team.get_member.missing.app_error")


@pytest.mark.parity("AddChannelMember", ADD)
def test_add_an_existing_member_returns_it_without_checks(quiet_host: Host) -> None:
    """An existing member is returned as is, without hooks, even in an archived channel."""
    made = channel(quiet_host)
    alice = quiet_host.user("alice")
    join(quiet_host, made.id, alice)
    quiet_host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    quiet_host.hooks.fired.clear()
    rsp = add(quiet_host, made.id, alice)
    assert rsp.channel_member.user_id == alice
    assert quiet_host.hooks.named("UserHasJoinedChannel") == []


@pytest.mark.parity("AddChannelMember", ADD)
def test_add_a_deactivated_user_is_refused(host: Host) -> None:
    """Adding a deactivated user is a 403 `app.channel.add_member.deleted_user.app_error`;
    the user is not added."""
    made, gone = channel(host), make_user(host, deactivated=True)
    assert error(add(host, made.id, gone)) == (
        403,
        "app.channel.add_member.deleted_user.app_error",
    )
    assert error(member(host, made.id, gone)) == (404, "app.channel.get_member.missing.app_error")


@pytest.mark.parity(
    ("AddChannelMember", "AddUserToChannel"), f"{APP}: (*App).addUserToChannel"
)
def test_a_plugin_rejecting_the_new_member_is_a_400(quiet_host: Host) -> None:
    """A plugin whose ChannelMemberWillBeAdded rejects the member makes the add a 400
    `app.channel.add_user.to.channel.rejected_by_plugin` naming the reason; nobody is added
    and UserHasJoinedChannel does not run."""
    made, user = channel(quiet_host), make_user(quiet_host)
    quiet_host.hooks.respond(
        "ChannelMemberWillBeAdded",
        hx.ChannelMemberWillBeAddedResponse(rejection_reason="members only"),
    )
    try:
        rsp = quiet_host.api.AddUserToChannel(
            cp.AddUserToChannelRequest(
                channel_id=made.id, user_id=user, as_user_id=quiet_host.user("alice")
            )
        )
    finally:
        quiet_host.hooks.forget_answers()
    assert error(rsp) == (400, "app.channel.add_user.to.channel.rejected_by_plugin")
    assert "members only" in rsp.error.message
    assert error(member(quiet_host, made.id, user))[0] == 404
    assert quiet_host.hooks.named("UserHasJoinedChannel") == []


@pytest.mark.parity("AddChannelMember", f"{ADD}; {ADD_TO}")
def test_add_to_an_archived_channel_is_not_refused_by_the_membership_rules(host: Host) -> None:
    """Archived channels are not refused by the membership rules: the user becomes a member."""
    made = channel(host)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=made.id))
    user = make_user(host)
    add(host, made.id, user)
    assert member(host, made.id, user).channel_member.user_id == user


@pytest.mark.parity("AddChannelMember", f"{ADD}; {APP}: (*App).postJoinChannelMessage")
def test_add_posts_the_join_message_as_the_user(host: Host) -> None:
    """The new member posts 'NAME joined the channel.' (`system_join_channel`)."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    username = _username(host, user)
    assert posts_of(host, made.id) == [("system_join_channel", f"{username} joined the channel.")]


@pytest.mark.parity("AddChannelMember", f"{APP}: (*App).postJoinChannelMessage")
def test_a_guest_joining_posts_the_guest_message(host: Host) -> None:
    """A guest's join message is 'NAME joined the channel as a guest.'
    (`system_guest_join_channel`)."""
    made, guest = channel(host), make_user(host, roles="system_guest")
    member_ = join(host, made.id, guest)
    assert (member_.scheme_guest, member_.scheme_user, member_.roles) == (
        True,
        False,
        "channel_guest",
    )
    username = _username(host, guest)
    assert posts_of(host, made.id) == [
        ("system_guest_join_channel", f"{username} joined the channel as a guest.")
    ]


@pytest.mark.parity("AddChannelMember", f"{ADD}; {APP}: (*App).postJoinChannelMessage")
def test_a_rejected_join_message_is_reported_but_the_user_joined(host: Host) -> None:
    """If a plugin rejects the join message the call is a 500, yet the user is a member."""
    host.hooks.respond(
        "MessageWillBePosted", hm.MessageWillBePostedResponse(rejection_reason="hush")
    )
    try:
        made, user = channel(host), make_user(host)
        rsp = add(host, made.id, user)
    finally:
        host.hooks.forget_answers()
    assert error(rsp) == (500, "api.channel.post_user_add_remove_message_and_forget.error")
    assert member(host, made.id, user).channel_member.user_id == user


@pytest.mark.parity("AddUserToChannel", f"{PLUGIN_API}: (*PluginAPI).AddUserToChannel; {ADD}")
def test_add_as_an_unknown_user_is_404(host: Host) -> None:
    """An unknown `as_user_id` is a 404 `app.user.missing_account.const`."""
    rsp = host.api.AddUserToChannel(
        cp.AddUserToChannelRequest(
            channel_id=channel(host).id, user_id=make_user(host), as_user_id=host.store.new_id()
        )
    )
    assert error(rsp) == (404, "app.user.missing_account.const")


@pytest.mark.parity("AddUserToChannel", f"{ADD}; {APP}: (*App).PostAddToChannelMessage")
def test_add_as_another_user_posts_the_added_message(quiet_host: Host) -> None:
    """Added by someone else: 'NAME added to the channel by ACTOR.' and the hook gets the actor."""
    made, user = channel(quiet_host), make_user(quiet_host)
    quiet_host.api.AddUserToChannel(
        cp.AddUserToChannelRequest(
            channel_id=made.id, user_id=user, as_user_id=quiet_host.user("alice")
        )
    )
    name = _username(quiet_host, user)
    assert posts_of(quiet_host, made.id) == [
        ("system_add_to_channel", f"{name} added to the channel by alice.")
    ]
    (joined,) = quiet_host.hooks.named("UserHasJoinedChannel")
    assert joined.actor.username == "alice"


# -- DeleteChannelMember ---------------------------------------------------------------------
@pytest.mark.parity("DeleteChannelMember", LEAVE)
def test_leave_a_direct_channel_is_refused(host: Host) -> None:
    """Leaving a direct or group channel is a 400 `api.channel.leave.direct.app_error`."""
    rsp = leave(host, host.info.channels["admin__alice__bob"], host.user("bob"))
    assert error(rsp) == (400, "api.channel.leave.direct.app_error")


@pytest.mark.parity("DeleteChannelMember", LEAVE)
def test_leave_an_unknown_channel_or_as_unknown_user_is_404(host: Host) -> None:
    """An unknown channel or user is a 404 (`app.channel.get.existing.app_error`,
    `app.user.missing_account.const`)."""
    alice = host.user("alice")
    assert error(leave(host, host.store.new_id(), alice)) == (
        404,
        "app.channel.get.existing.app_error",
    )
    assert error(leave(host, channel(host).id, host.store.new_id())) == (
        404,
        "app.user.missing_account.const",
    )


@pytest.mark.parity("DeleteChannelMember", f"{LEAVE}; {REMOVE}")
def test_leave_when_not_a_member_is_404(host: Host) -> None:
    """Leaving a channel one is not in is a 404 `app.channel.get_member.missing.app_error`."""
    rsp = leave(host, channel(host).id, make_user(host))
    assert error(rsp) == (404, "app.channel.get_member.missing.app_error")


@pytest.mark.parity("DeleteChannelMember", REMOVE)
def test_nobody_but_a_guest_leaves_town_square(host: Host) -> None:
    """Leaving town-square is a 400 `api.channel.remove.default.app_error`, except for guests."""
    town = host.info.channels["town-square"]
    assert error(leave(host, town, host.user("bob"))) == (
        400,
        "api.channel.remove.default.app_error",
    )
    guest = make_user(host, roles="system_guest")
    join(host, town, guest)
    assert not leave(host, town, guest).HasField("error")


@pytest.mark.parity("DeleteChannelMember", LEAVE)
def test_the_last_active_member_cannot_leave_a_private_channel(host: Host) -> None:
    """The last active member of a private channel gets a 400
    `api.channel.leave.last_member.app_error`; deactivated members do not count."""
    made = channel(host, type=PRIVATE)
    stays, gone = make_user(host), make_user(host)
    join(host, made.id, stays)
    join(host, made.id, gone)
    with host.store.tx() as db:
        db.execute("UPDATE users SET delete_at=1 WHERE id=?", (gone,))
    assert error(leave(host, made.id, stays)) == (400, "api.channel.leave.last_member.app_error")


@pytest.mark.parity("DeleteChannelMember", f"{LEAVE}; {APP}: (*App).postLeaveChannelMessage")
def test_leave_posts_at_name_left_the_channel(quiet_host: Host) -> None:
    """Leaving posts '@NAME left the channel.' (`system_leave_channel`) and fires UserHasLeftChannel
    with the user as actor."""
    made, user = channel(quiet_host), make_user(quiet_host)
    join(quiet_host, made.id, user)
    leave(quiet_host, made.id, user)
    name = _username(quiet_host, user)
    assert posts_of(quiet_host, made.id)[0] == (
        "system_leave_channel",
        f"@{name} left the channel.",
    )
    (left,) = quiet_host.hooks.named("UserHasLeftChannel")
    assert left.actor.id == user


@pytest.mark.parity(("AddChannelMember", "AddUserToChannel"), ADD_TO)
def test_add_publishes_user_added_to_the_channel_and_to_the_user(quiet_host: Host) -> None:
    """Two `user_added` events with the user and team ids: one to the channel's other members
    (the new member is left out), then one to the new member."""
    made, user = channel(quiet_host), make_user(quiet_host)
    quiet_host.emitted.clear()
    assert not add(quiet_host, made.id, user).error.id
    to_channel, to_user = quiet_host.events("user_added")
    assert to_channel["data"] == to_user["data"] == {"user_id": user, "team_id": made.team_id}
    assert to_channel["broadcast"] == {"channel_id": made.id, "omit_users": {user: True}}
    assert to_user["broadcast"] == {"channel_id": made.id, "user_id": user}


@pytest.mark.parity("DeleteChannelMember", REMOVE)
def test_leave_publishes_user_removed_to_the_channel_and_the_user(quiet_host: Host) -> None:
    """Two `user_removed` events: one to the channel, one to the user who left."""
    made, user = channel(quiet_host), make_user(quiet_host)
    join(quiet_host, made.id, user)
    quiet_host.emitted.clear()
    leave(quiet_host, made.id, user)
    to_channel, to_user = quiet_host.events("user_removed")
    assert to_channel["data"] == {"user_id": user, "remover_id": user}
    assert to_user["data"] == {"channel_id": made.id, "remover_id": user}
    assert to_user["broadcast"] == {"user_id": user}


# -- GetChannelMember(s), ByIds, ForUser -------------------------------------------------------
@pytest.mark.parity("GetChannelMember", f"{APP}: (*Server).getChannelMember")
def test_get_member_missing_is_404_even_for_malformed_ids(host: Host) -> None:
    """A missing membership, malformed ids included, is a 404
    `app.channel.get_member.missing.app_error`."""
    assert error(member(host, "x", "y")) == (404, "app.channel.get_member.missing.app_error")


MEMBERS = f"{APP}: (*App).GetChannelMembersPage; {STORE}: (SqlChannelStore).GetMembers"


@pytest.mark.parity("GetChannelMembers", MEMBERS)
def test_members_page_with_per_page_zero_is_empty(host: Host) -> None:
    """`per_page` 0 is an empty page: there is no default page size."""
    rsp = host.api.GetChannelMembers(
        cp.GetChannelMembersRequest(channel_id=host.info.channels["town-square"])
    )
    assert not rsp.HasField("error") and list(rsp.channel_members) == []


@pytest.mark.parity("GetChannelMembers", MEMBERS)
def test_members_with_negative_paging_is_a_500(host: Host) -> None:
    """A negative `page` or `per_page` fails in the database: 500
    `app.channel.get_members.app_error`."""
    town = host.info.channels["town-square"]
    for page, per_page in ((-1, 5), (0, -1)):
        rsp = host.api.GetChannelMembers(
            cp.GetChannelMembersRequest(channel_id=town, page=page, per_page=per_page)
        )
        assert error(rsp) == (500, "app.channel.get_members.app_error")


@pytest.mark.parity("GetChannelMembers", MEMBERS)
def test_members_of_an_unknown_channel_is_an_empty_list(host: Host) -> None:
    """An unknown channel has no members: an empty list, no error."""
    rsp = host.api.GetChannelMembers(
        cp.GetChannelMembersRequest(channel_id=host.store.new_id(), per_page=10)
    )
    assert not rsp.HasField("error") and list(rsp.channel_members) == []


@pytest.mark.parity("GetChannelMembersByIds", f"{APP}: (*App).GetChannelMembersByIds")
def test_members_by_ids_skips_non_members_and_repeats(host: Host) -> None:
    """Only actual members come back, once each; unknown users are skipped without an error."""
    town, alice = host.info.channels["town-square"], host.user("alice")
    rsp = host.api.GetChannelMembersByIds(
        cp.GetChannelMembersByIdsRequest(
            channel_id=town, user_ids=[alice, host.store.new_id(), alice]
        )
    )
    assert [m.user_id for m in rsp.channel_members] == [alice]


FOR_USER = (
    f"{PLUGIN_API}: (*PluginAPI).GetChannelMembersForUser; "
    f"{STORE}: (SqlChannelStore).GetMembersForUserWithPagination"
)


@pytest.mark.parity("GetChannelMembersForUser", FOR_USER)
def test_members_for_user_ignore_the_team_and_include_archived(host: Host) -> None:
    """The team id is ignored: every membership comes back, archived channels and DMs too."""
    user = make_user(host)
    kept, gone = channel(host), channel(host)
    join(host, kept.id, user)
    join(host, gone.id, user)
    host.api.DeleteChannel(cp.DeleteChannelRequest(channel_id=gone.id))
    rsp = host.api.GetChannelMembersForUser(
        cp.GetChannelMembersForUserRequest(team_id="not-a-team", user_id=user, per_page=10)
    )
    assert sorted(m.channel_id for m in rsp.channel_members) == sorted([kept.id, gone.id])


@pytest.mark.parity("GetChannelMembersForUser", FOR_USER)
def test_members_for_user_page_by_channel_id(host: Host) -> None:
    """Memberships come ordered by channel id; `per_page` 0 is an empty page."""
    bob = host.user("bob")
    rsp = host.api.GetChannelMembersForUser(
        cp.GetChannelMembersForUserRequest(user_id=bob, per_page=100)
    )
    ids = [m.channel_id for m in rsp.channel_members]
    assert ids == sorted(ids) and len(ids) >= 4
    empty = host.api.GetChannelMembersForUser(cp.GetChannelMembersForUserRequest(user_id=bob))
    assert list(empty.channel_members) == []


# -- UpdateChannelMemberRoles ----------------------------------------------------------------
def set_roles(
    host: Host, channel_id: str, user_id: str, roles: str
) -> cp.UpdateChannelMemberRolesResponse:
    return host.api.UpdateChannelMemberRoles(
        cp.UpdateChannelMemberRolesRequest(channel_id=channel_id, user_id=user_id, new_roles=roles)
    )


@pytest.mark.parity(
    "UpdateChannelMemberRoles", f"{ROLES}; server/channels/app/role.go: (*App).GetRoleByName"
)
def test_roles_unknown_role_is_a_400(host: Host) -> None:
    """An unknown role is `app.role.get_by_name.app_error` with status 400 (not 404)."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    assert error(set_roles(host, made.id, user, "channel_user wizard")) == (
        400,
        "app.role.get_by_name.app_error",
    )


@pytest.mark.parity("UpdateChannelMemberRoles", ROLES)
def test_roles_of_another_scope_are_refused(host: Host) -> None:
    """A team or system scheme role is a 400
    `api.channel.update_channel_member_roles.scheme_role.app_error`."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    assert error(set_roles(host, made.id, user, "channel_user team_admin")) == (
        400,
        "api.channel.update_channel_member_roles.scheme_role.app_error",
    )


@pytest.mark.parity("UpdateChannelMemberRoles", ROLES)
def test_roles_admin_flag_follows_channel_admin(host: Host) -> None:
    """`channel_user channel_admin` makes a channel admin; the roles string lists both."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    done = set_roles(host, made.id, user, "channel_user channel_admin").channel_member
    assert (done.scheme_user, done.scheme_admin, done.roles) == (
        True,
        True,
        "channel_user channel_admin",
    )


@pytest.mark.parity("UpdateChannelMemberRoles", ROLES)
def test_roles_change_sends_the_member_as_json_text(quiet_host: Host) -> None:
    """The member's `channel_member_updated` event carries it as JSON text (every field,
    numbers as numbers), as the server's `json.Marshal` writes it, not as an object."""
    host = quiet_host
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    host.emitted.clear()
    assert not set_roles(host, made.id, user, "channel_user channel_admin").HasField("error")
    (event,) = host.events("channel_member_updated")
    text = event["data"]["channelMember"]
    assert isinstance(text, str)
    sent = json.loads(text)
    assert (sent["channel_id"], sent["user_id"], sent["scheme_admin"]) == (made.id, user, True)
    assert sent["msg_count"] == 0 and isinstance(sent["last_update_at"], int)


@pytest.mark.parity("UpdateChannelMemberRoles", ROLES)
def test_roles_may_drop_channel_user(host: Host) -> None:
    """Leaving out `channel_user` clears the user flag: the member is left without scheme roles."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    done = set_roles(host, made.id, user, "").channel_member
    assert (done.scheme_user, done.scheme_admin, done.roles) == (False, False, "")


@pytest.mark.parity("UpdateChannelMemberRoles", ROLES)
def test_roles_cannot_change_guest_status(host: Host) -> None:
    """Giving `channel_guest` to a regular member is a 400 `...changing_guest_role.app_error`."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    assert error(set_roles(host, made.id, user, "channel_guest")) == (
        400,
        "api.channel.update_channel_member_roles.changing_guest_role.app_error",
    )


@pytest.mark.parity("UpdateChannelMemberRoles", ROLES)
def test_roles_guest_and_user_together_are_refused(host: Host) -> None:
    """`channel_user` with `channel_guest` is a 400 `...guest_and_user.app_error`."""
    made, guest = channel(host), make_user(host, roles="system_guest")
    join(host, made.id, guest)
    assert error(set_roles(host, made.id, guest, "channel_guest channel_user")) == (
        400,
        "api.channel.update_channel_member_roles.guest_and_user.app_error",
    )


@pytest.mark.parity("UpdateChannelMemberRoles", f"{ROLES}; {APP}: (*Server).getChannelMember")
def test_roles_of_a_missing_member_is_404(host: Host) -> None:
    """Updating the roles of a non-member is a 404 `app.channel.get_member.missing.app_error`."""
    rsp = set_roles(host, channel(host).id, make_user(host), "channel_user")
    assert error(rsp) == (404, "app.channel.get_member.missing.app_error")


# -- UpdateChannelMemberNotifications / PatchChannelMembersNotifications ----------------------
def notify(
    host: Host, channel_id: str, user_id: str, **props: str
) -> cp.UpdateChannelMemberNotificationsResponse:
    return host.api.UpdateChannelMemberNotifications(
        cp.UpdateChannelMemberNotificationsRequest(
            channel_id=channel_id, user_id=user_id, notifications=props
        )
    )


@pytest.mark.parity("UpdateChannelMemberNotifications", NOTIFY)
def test_notify_unknown_props_are_dropped(host: Host) -> None:
    """Keys the server does not know are dropped; known ones are merged into the member's props."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    props = notify(host, made.id, user, desktop="mention", favorite_color="blue").channel_member
    assert props.notify_props["desktop"] == "mention"
    assert "favorite_color" not in props.notify_props
    assert props.notify_props["mark_unread"] == "all"


@pytest.mark.parity("UpdateChannelMemberNotifications", f"{NOTIFY}; {NOTIFY_VALID}")
def test_notify_values_are_validated(host: Host) -> None:
    """A value outside a prop's choices is a 400 of that prop, e.g.
    `...is_valid.notify_level.app_error`."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    assert error(notify(host, made.id, user, desktop="loud")) == (
        400,
        "model.channel_member.is_valid.notify_level.app_error",
    )
    assert error(notify(host, made.id, user, mark_unread="some")) == (
        400,
        "model.channel_member.is_valid.unread_level.app_error",
    )


@pytest.mark.parity("UpdateChannelMemberNotifications", NOTIFY)
def test_notify_for_a_missing_member_is_404(host: Host) -> None:
    """A missing membership is a 404 `app.channel.get_member.missing.app_error`."""
    rsp = notify(host, channel(host).id, make_user(host), desktop="all")
    assert error(rsp) == (404, "app.channel.get_member.missing.app_error")


PATCH = (
    f"{APP}: (*App).PatchChannelMembersNotifyProps; "
    f"{STORE}: (SqlChannelStore).PatchMultipleMembersNotifyProps"
)


def patch(
    host: Host, members: list[tuple[str, str]], **props: str
) -> cp.PatchChannelMembersNotificationsResponse:
    return host.api.PatchChannelMembersNotifications(
        cp.PatchChannelMembersNotificationsRequest(
            members=[cp.ChannelMemberIdentifier(channel_id=c, user_id=u) for c, u in members],
            notify_props=props,
        )
    )


@pytest.mark.parity("PatchChannelMembersNotifications", PATCH)
def test_patch_changes_nothing_if_a_pair_is_no_membership(quiet_host: Host) -> None:
    """If one pair is not a membership (or a pair is given twice) nothing is changed, and
    the call still answers no error."""
    host = quiet_host
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    host.emitted.clear()
    rsp = patch(host, [(made.id, user), (made.id, host.store.new_id())], push="none")
    assert not rsp.HasField("error")
    twice = patch(host, [(made.id, user), (made.id, user)], push="none")
    assert not twice.HasField("error")
    assert member(host, made.id, user).channel_member.notify_props["push"] == "default"
    assert host.events("channel_member_updated") == []


@pytest.mark.parity("PatchChannelMembersNotifications", PATCH)
def test_patch_merges_every_key_and_tells_each_member(quiet_host: Host) -> None:
    """Every pair is updated: all given keys are merged in (unknown ones too, unlike
    UpdateChannelMemberNotifications) and each member gets `channel_member_updated`."""
    host = quiet_host
    made, one, two = channel(host), make_user(host), make_user(host)
    join(host, made.id, one)
    join(host, made.id, two)
    host.emitted.clear()
    rsp = patch(host, [(made.id, one), (made.id, two)], push="none", my_key="kept")
    assert not rsp.HasField("error")
    props = member(host, made.id, two).channel_member.notify_props
    assert (props["push"], props["my_key"]) == ("none", "kept")
    events = host.events("channel_member_updated")
    assert [e["broadcast"] for e in events] == [{"user_id": one}, {"user_id": two}]


@pytest.mark.parity("PatchChannelMembersNotifications", PATCH)
def test_patch_without_props_is_a_500(host: Host) -> None:
    """An empty set of props is refused: a 500
    `app.channel.patch_channel_members_notify_props.app_error`."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    assert error(patch(host, [(made.id, user)])) == (
        500,
        "app.channel.patch_channel_members_notify_props.app_error",
    )


@pytest.mark.parity("PatchChannelMembersNotifications", PATCH)
def test_patch_more_than_200_members_is_refused(host: Host) -> None:
    """More than 200 members in one call is a 400
    `app.channel.patch_channel_members_notify_props.too_many`."""
    pairs = [(host.store.new_id(), host.user("alice"))] * 201
    assert error(patch(host, pairs, push="none")) == (
        400,
        "app.channel.patch_channel_members_notify_props.too_many",
    )


@pytest.mark.parity("PatchChannelMembersNotifications", f"{PATCH}; {NOTIFY_VALID}")
def test_patch_validates_the_props_and_changes_nothing_on_error(host: Host) -> None:
    """An invalid value is a 400 of that prop and no membership is changed."""
    made, user = channel(host), make_user(host)
    join(host, made.id, user)
    rsp = patch(host, [(made.id, user)], push="none", email="sometimes")
    assert error(rsp) == (400, "model.channel_member.is_valid.email_value.app_error")
    assert member(host, made.id, user).channel_member.notify_props["push"] == "default"
