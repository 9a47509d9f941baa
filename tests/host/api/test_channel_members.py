"""Channel membership over real gRPC: join/leave hooks, roles, notify props, listing."""

from __future__ import annotations

from apiworld import World

from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_extra_pb2


def fresh_channel(world: World, kind: int = channel_pb2.CHANNEL_TYPE_OPEN) -> str:
    name = world.unique("members-")
    ch = channel_pb2.Channel(team_id=world.team_id, name=name, display_name=name, type=kind)
    return world.api.CreateChannel(cp.CreateChannelRequest(channel=ch)).channel.id


def add(world: World, channel_id: str, user: str) -> cp.AddChannelMemberResponse:
    return world.api.AddChannelMember(
        cp.AddChannelMemberRequest(channel_id=channel_id, user_id=world.users[user])
    )


def test_add_member_stores_member_and_fires_joined(world: World) -> None:
    cid = fresh_channel(world)
    rsp = add(world, cid, "carol")
    assert not rsp.HasField("error")
    assert rsp.channel_member.roles == "channel_user"
    assert rsp.channel_member.notify_props["mark_unread"] == "all"
    (joined,) = world.hooks.named("UserHasJoinedChannel")
    assert joined.channel_member.user_id == world.users["carol"]
    assert not joined.HasField("actor")
    got = world.api.GetChannelMember(
        cp.GetChannelMemberRequest(channel_id=cid, user_id=world.users["carol"])
    )
    assert got.channel_member.user_id == world.users["carol"]


def test_add_existing_member_is_idempotent_without_hook(world: World) -> None:
    cid = fresh_channel(world)
    add(world, cid, "carol")
    world.hooks.reset()
    assert not add(world, cid, "carol").HasField("error")
    assert world.hooks.named("UserHasJoinedChannel") == []


def test_add_user_to_channel_reports_the_actor(world: World) -> None:
    cid = fresh_channel(world)
    world.api.AddUserToChannel(
        cp.AddUserToChannelRequest(
            channel_id=cid, user_id=world.users["dave"], as_user_id=world.users["admin"]
        )
    )
    (joined,) = world.hooks.named("UserHasJoinedChannel")
    assert joined.actor.username == "admin"


def test_user_outside_the_team_cannot_join(world: World) -> None:
    rsp = add(world, fresh_channel(world), "outsider")
    assert rsp.error.status_code == 404
    assert rsp.error.id == "app.team.get_member.missing.app_error"


def test_plugin_can_reject_a_new_member(world: World) -> None:
    world.hooks.respond(
        "ChannelMemberWillBeAdded",
        hooks_extra_pb2.ChannelMemberWillBeAddedResponse(rejection_reason="no"),
    )
    cid = fresh_channel(world)
    rsp = add(world, cid, "carol")
    assert rsp.error.status_code == 400 and "no" in rsp.error.message
    missing = world.api.GetChannelMember(
        cp.GetChannelMemberRequest(channel_id=cid, user_id=world.users["carol"])
    )
    assert missing.error.id == "app.channel.get_member.missing.app_error"


def test_remove_member_fires_left_with_the_user_as_actor(world: World) -> None:
    cid = fresh_channel(world)
    add(world, cid, "carol")
    rsp = world.api.DeleteChannelMember(
        cp.DeleteChannelMemberRequest(channel_id=cid, user_id=world.users["carol"])
    )
    assert not rsp.HasField("error")
    (left,) = world.hooks.named("UserHasLeftChannel")
    assert left.channel_member.user_id == world.users["carol"] and left.actor.username == "carol"
    again = world.api.DeleteChannelMember(
        cp.DeleteChannelMemberRequest(channel_id=cid, user_id=world.users["carol"])
    )
    assert again.error.status_code == 404


def test_nobody_leaves_the_default_channel(world: World) -> None:
    rsp = world.api.DeleteChannelMember(
        cp.DeleteChannelMemberRequest(
            channel_id=world.channels["town-square"], user_id=world.users["bob"]
        )
    )
    assert rsp.error.id == "api.channel.remove.default.app_error"


def test_members_listing_paging_and_by_ids(world: World) -> None:
    cid = fresh_channel(world)
    for name in ("alice", "bob", "carol"):
        add(world, cid, name)
    page = world.api.GetChannelMembers(cp.GetChannelMembersRequest(channel_id=cid, per_page=2))
    rest = world.api.GetChannelMembers(
        cp.GetChannelMembersRequest(channel_id=cid, page=1, per_page=2)
    )
    assert len(page.channel_members) == 2 and len(rest.channel_members) == 1
    by_ids = world.api.GetChannelMembersByIds(
        cp.GetChannelMembersByIdsRequest(
            channel_id=cid, user_ids=[world.users["bob"], world.users["dave"]]
        )
    )
    assert [m.user_id for m in by_ids.channel_members] == [world.users["bob"]]


def test_members_for_user_lists_their_channels(world: World) -> None:
    rsp = world.api.GetChannelMembersForUser(
        cp.GetChannelMembersForUserRequest(
            team_id=world.team_id, user_id=world.users["admin"], per_page=200
        )
    )
    assert world.channels["secret"] in {m.channel_id for m in rsp.channel_members}


def test_update_roles_makes_a_channel_admin(world: World) -> None:
    cid = fresh_channel(world)
    add(world, cid, "carol")
    rsp = world.api.UpdateChannelMemberRoles(
        cp.UpdateChannelMemberRolesRequest(
            channel_id=cid, user_id=world.users["carol"], new_roles="channel_user channel_admin"
        )
    )
    assert rsp.channel_member.scheme_admin and rsp.channel_member.roles == (
        "channel_user channel_admin"
    )
    bad = world.api.UpdateChannelMemberRoles(
        cp.UpdateChannelMemberRolesRequest(
            channel_id=cid, user_id=world.users["carol"], new_roles="team_admin"
        )
    )
    assert bad.error.id == "api.channel.update_channel_member_roles.scheme_role.app_error"
    unknown = world.api.UpdateChannelMemberRoles(
        cp.UpdateChannelMemberRolesRequest(
            channel_id=cid, user_id=world.users["carol"], new_roles="channel_user wizard"
        )
    )
    assert (unknown.error.status_code, unknown.error.id) == (400, "app.role.get_by_name.app_error")


def test_notify_props_are_merged_and_validated(world: World) -> None:
    cid = fresh_channel(world)
    add(world, cid, "carol")
    rsp = world.api.UpdateChannelMemberNotifications(
        cp.UpdateChannelMemberNotificationsRequest(
            channel_id=cid, user_id=world.users["carol"], notifications={"desktop": "mention"}
        )
    )
    assert rsp.channel_member.notify_props["desktop"] == "mention"
    assert rsp.channel_member.notify_props["mark_unread"] == "all"
    bad = world.api.UpdateChannelMemberNotifications(
        cp.UpdateChannelMemberNotificationsRequest(
            channel_id=cid, user_id=world.users["carol"], notifications={"desktop": "loud"}
        )
    )
    assert bad.error.id == "model.channel_member.is_valid.notify_level.app_error"
    patch = world.api.PatchChannelMembersNotifications(
        cp.PatchChannelMembersNotificationsRequest(
            members=[cp.ChannelMemberIdentifier(channel_id=cid, user_id=world.users["carol"])],
            notify_props={"push": "none"},
        )
    )
    assert not patch.HasField("error")
    got = world.api.GetChannelMember(
        cp.GetChannelMemberRequest(channel_id=cid, user_id=world.users["carol"])
    )
    assert got.channel_member.notify_props["push"] == "none"


def test_join_and_leave_post_system_messages_through_the_hooks(world: World) -> None:
    cid = fresh_channel(world)
    add(world, cid, "carol")
    (will,) = world.hooks.named("MessageWillBePosted")
    assert will.post.type == "system_join_channel"
    assert will.post.message == "carol joined the channel."
    world.api.AddUserToChannel(
        cp.AddUserToChannelRequest(
            channel_id=cid, user_id=world.users["dave"], as_user_id=world.users["carol"]
        )
    )
    world.api.DeleteChannelMember(
        cp.DeleteChannelMemberRequest(channel_id=cid, user_id=world.users["carol"])
    )
    page = world.api.GetPostsForChannel(cp.GetPostsForChannelRequest(channel_id=cid, per_page=60))
    posts = [page.post_list.posts[i] for i in page.post_list.order]
    assert [p.type for p in posts] == [
        "system_leave_channel",
        "system_add_to_channel",
        "system_join_channel",
    ]
    assert posts[1].message == "dave added to the channel by carol."


def test_rejected_join_message_keeps_the_membership(world: World) -> None:
    from mmplug.protocol import hooks_message_pb2 as hm

    world.hooks.respond(
        "MessageWillBePosted", hm.MessageWillBePostedResponse(rejection_reason="quiet please")
    )
    cid = fresh_channel(world)
    rsp = add(world, cid, "carol")
    assert rsp.error.id == "api.channel.post_user_add_remove_message_and_forget.error"
    member = world.api.GetChannelMember(
        cp.GetChannelMemberRequest(channel_id=cid, user_id=world.users["carol"])
    )
    assert member.channel_member.user_id == world.users["carol"]
    page = world.api.GetPostsForChannel(cp.GetPostsForChannelRequest(channel_id=cid, per_page=60))
    assert list(page.post_list.order) == []
