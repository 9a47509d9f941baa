"""Channel membership: add (with ChannelMemberWillBeAdded/UserHasJoinedChannel), remove
(UserHasLeftChannel), read, roles and notification preferences."""

from __future__ import annotations

import logging

from mmplug.host.api import _hooks
from mmplug.host.api._entities import (
    find_member,
    get_channel,
    get_member,
    get_user,
    is_team_member,
    member_from_row,
    save_member,
)
from mmplug.host.api._members import apply_roles, merge_notify_props, new_member
from mmplug.host.api._pbjson import paging, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_extra_pb2, post_pb2, user_pb2
from mmplug.protocol import hooks_user_channel_pb2 as huc

T = channel_pb2.ChannelType
_log = logging.getLogger("mmplug.host.api")
DEFAULT_CHANNEL = "town-square"


def _check_can_join(ch: channel_pb2.Channel, user: user_pb2.User, in_team: bool) -> None:
    if ch.delete_at:
        raise ApiFailure(
            400,
            "api.channel.add_user.to.channel.failed.deleted.app_error",
            "Failed to add the user to the channel: the channel is archived.",
        )
    if ch.type in (T.CHANNEL_TYPE_DIRECT, T.CHANNEL_TYPE_GROUP):
        raise ApiFailure(
            400,
            "api.channel.add_user_to_channel.type.app_error",
            "Users cannot be added to direct or group message channels.",
        )
    if user.delete_at:
        raise ApiFailure(
            400,
            "api.channel.add_user.to.channel.failed.deleted.app_error",
            "Failed to add the user to the channel: the user is deactivated.",
        )
    if not in_team:
        raise ApiFailure(
            403,
            "api.channel.add_user.to.channel.failed.app_error",
            "Failed to add the user to the channel: the user is not a member of "
            "the channel's team.",
            detailed_error=f"team_id={ch.team_id}",
        )


def system_post(
    ctx: ApiContext,
    channel_id: str,
    user_id: str,
    kind: str,
    message: str,
    props: dict[str, str],
) -> None:
    """The server's join/leave message: a real post (it runs MessageWillBePosted too); a
    failure, e.g. a plugin rejecting it, is logged and the membership change stands."""
    from mmplug.host.api.posts import create_post

    post = post_pb2.Post(channel_id=channel_id, user_id=user_id, type=kind, message=message)
    post.props.update(props)
    try:
        create_post(ctx, post)
    except ApiFailure as failure:
        _log.warning("the %s message was not posted: %s", kind, failure.message)


def add_member(
    ctx: ApiContext, channel_id: str, user_id: str, actor_id: str = ""
) -> cp.ChannelMember:
    """Add ``user_id`` to the channel like the server's AddChannelMember; idempotent."""
    require_id(channel_id, "channel_id")
    require_id(user_id, "user_id")
    with ctx.store.read() as db:
        ch = get_channel(db, channel_id)
        user = get_user(db, user_id)
        existing = find_member(db, channel_id, user_id)
        if existing is not None:
            return existing
        _check_can_join(ch, user, is_team_member(db, ch.team_id, user_id))
        actor = get_user(db, actor_id) if actor_id else None
    outcome = _hooks.chain(
        ctx,
        "ChannelMemberWillBeAdded",
        new_member(ctx, channel_id, user),
        lambda m: hooks_extra_pb2.ChannelMemberWillBeAddedRequest(
            context=_hooks.request_context(ctx, actor_id), channel_member=m
        ),
        "modified_channel_member",
    )
    if outcome.rejected:
        raise ApiFailure(
            403,
            "app.channel.add_member.rejected_by_plugin",
            f"Plugin {outcome.rejected_by} rejected adding the user to the "
            f"channel: {outcome.rejection}",
            params={"Reason": outcome.rejection},
        )
    member: cp.ChannelMember = outcome.subject
    member.channel_id, member.user_id = channel_id, user_id
    with ctx.store.tx() as db:
        again = find_member(db, channel_id, user_id)
        if again is not None:
            return again
        save_member(db, member)
    joined = huc.UserHasJoinedChannelRequest(
        context=_hooks.request_context(ctx, actor_id), channel_member=member
    )
    if actor is not None:
        joined.actor.CopyFrom(actor)
    server_event(
        ctx, "user_added", {"user_id": user_id, "team_id": ch.team_id}, channel_id=channel_id
    )
    _hooks.fire(ctx, "UserHasJoinedChannel", joined)
    if actor is None or actor.id == user.id:
        system_post(
            ctx,
            ch.id,
            user.id,
            "system_join_channel",
            f"{user.username} joined the channel.",
            {"username": user.username},
        )
    else:
        system_post(
            ctx,
            ch.id,
            actor.id,
            "system_add_to_channel",
            f"{user.username} added to the channel by {actor.username}.",
            {
                "userId": actor.id,
                "username": actor.username,
                "addedUserId": user.id,
                "addedUsername": user.username,
            },
        )
    return member


@emulates("AddChannelMember")
def add_channel_member(
    ctx: ApiContext, req: cp.AddChannelMemberRequest
) -> cp.AddChannelMemberResponse:
    return cp.AddChannelMemberResponse(channel_member=add_member(ctx, req.channel_id, req.user_id))


@emulates("AddUserToChannel")
def add_user_to_channel(
    ctx: ApiContext, req: cp.AddUserToChannelRequest
) -> cp.AddUserToChannelResponse:
    if req.as_user_id:
        require_id(req.as_user_id, "as_user_id")
    member = add_member(ctx, req.channel_id, req.user_id, req.as_user_id)
    return cp.AddUserToChannelResponse(channel_member=member)


@emulates("DeleteChannelMember")
def delete_channel_member(
    ctx: ApiContext, req: cp.DeleteChannelMemberRequest
) -> cp.DeleteChannelMemberResponse:
    require_id(req.channel_id, "channel_id")
    require_id(req.user_id, "user_id")
    with ctx.store.tx() as db:
        ch = get_channel(db, req.channel_id)
        user = get_user(db, req.user_id)
        if ch.type in (T.CHANNEL_TYPE_DIRECT, T.CHANNEL_TYPE_GROUP):
            raise ApiFailure(
                400,
                "api.channel.leave.direct.app_error",
                "Users cannot leave a direct or group message channel.",
            )
        if ch.name == DEFAULT_CHANNEL:
            raise ApiFailure(
                400,
                "api.channel.remove.default.app_error",
                f"Unable to remove a user from the default channel {DEFAULT_CHANNEL}.",
            )
        member = get_member(db, req.channel_id, req.user_id)
        count = db.execute(
            "SELECT count(*) FROM channel_members WHERE channel_id=?", (ch.id,)
        ).fetchone()[0]
        if ch.type == T.CHANNEL_TYPE_PRIVATE and count == 1:
            raise ApiFailure(
                400,
                "api.channel.leave.last_member.app_error",
                "You're the only member left; archive the private channel instead.",
            )
        db.execute(
            "DELETE FROM channel_members WHERE channel_id=? AND user_id=?",
            (req.channel_id, req.user_id),
        )
    left = huc.UserHasLeftChannelRequest(
        context=_hooks.request_context(ctx, user.id), channel_member=member, actor=user
    )
    server_event(ctx, "user_removed", {"user_id": user.id, "channel_id": ch.id}, channel_id=ch.id)
    _hooks.fire(ctx, "UserHasLeftChannel", left)
    system_post(
        ctx,
        ch.id,
        user.id,
        "system_leave_channel",
        f"{user.username} left the channel.",
        {"username": user.username},
    )
    return cp.DeleteChannelMemberResponse()


@emulates("GetChannelMember")
def get_channel_member(
    ctx: ApiContext, req: cp.GetChannelMemberRequest
) -> cp.GetChannelMemberResponse:
    require_id(req.channel_id, "channel_id")
    require_id(req.user_id, "user_id")
    with ctx.store.read() as db:
        return cp.GetChannelMemberResponse(
            channel_member=get_member(db, req.channel_id, req.user_id)
        )


@emulates("GetChannelMembers")
def get_channel_members(
    ctx: ApiContext, req: cp.GetChannelMembersRequest
) -> cp.GetChannelMembersResponse:
    require_id(req.channel_id, "channel_id")
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT data FROM channel_members WHERE channel_id=? ORDER BY user_id LIMIT ? OFFSET ?",
            (req.channel_id, limit, offset),
        ).fetchall()
    return cp.GetChannelMembersResponse(channel_members=[member_from_row(r) for r in rows])


@emulates("GetChannelMembersByIds")
def get_channel_members_by_ids(
    ctx: ApiContext, req: cp.GetChannelMembersByIdsRequest
) -> cp.GetChannelMembersByIdsResponse:
    require_id(req.channel_id, "channel_id")
    with ctx.store.read() as db:
        found = [find_member(db, req.channel_id, uid) for uid in dict.fromkeys(req.user_ids)]
    return cp.GetChannelMembersByIdsResponse(channel_members=[m for m in found if m])


@emulates("GetChannelMembersForUser")
def get_channel_members_for_user(
    ctx: ApiContext, req: cp.GetChannelMembersForUserRequest
) -> cp.GetChannelMembersForUserResponse:
    require_id(req.user_id, "user_id")
    limit, offset = paging(req.page, req.per_page)
    sql = (
        "SELECT m.data FROM channel_members m JOIN channels c ON c.id=m.channel_id "
        "WHERE m.user_id=? AND (c.team_id=? OR c.team_id='') AND c.delete_at=0 "
        "ORDER BY c.name LIMIT ? OFFSET ?"
    )
    with ctx.store.read() as db:
        rows = db.execute(sql, (req.user_id, req.team_id, limit, offset)).fetchall()
    return cp.GetChannelMembersForUserResponse(channel_members=[member_from_row(r) for r in rows])


@emulates("UpdateChannelMemberRoles")
def update_channel_member_roles(
    ctx: ApiContext, req: cp.UpdateChannelMemberRolesRequest
) -> cp.UpdateChannelMemberRolesResponse:
    require_id(req.channel_id, "channel_id")
    require_id(req.user_id, "user_id")
    with ctx.store.tx() as db:
        member = get_member(db, req.channel_id, req.user_id)
        apply_roles(db, member, req.new_roles)
        member.last_update_at = ctx.now()
        save_member(db, member)
    return cp.UpdateChannelMemberRolesResponse(channel_member=member)


@emulates("UpdateChannelMemberNotifications")
def update_channel_member_notifications(
    ctx: ApiContext, req: cp.UpdateChannelMemberNotificationsRequest
) -> cp.UpdateChannelMemberNotificationsResponse:
    require_id(req.channel_id, "channel_id")
    require_id(req.user_id, "user_id")
    with ctx.store.tx() as db:
        member = get_member(db, req.channel_id, req.user_id)
        merge_notify_props(member, dict(req.notifications))
        member.last_update_at = ctx.now()
        save_member(db, member)
    return cp.UpdateChannelMemberNotificationsResponse(channel_member=member)


@emulates("PatchChannelMembersNotifications")
def patch_channel_members_notifications(
    ctx: ApiContext, req: cp.PatchChannelMembersNotificationsRequest
) -> cp.PatchChannelMembersNotificationsResponse:
    with ctx.store.tx() as db:  # all or nothing
        for ident in req.members:
            member = get_member(db, ident.channel_id, ident.user_id)
            merge_notify_props(member, dict(req.notify_props))
            member.last_update_at = ctx.now()
            save_member(db, member)
    return cp.PatchChannelMembersNotificationsResponse()
