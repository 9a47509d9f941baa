"""Channel membership: add (with ChannelMemberWillBeAdded/UserHasJoinedChannel), remove
(UserHasLeftChannel), read, roles and notification preferences.

As on the server's plugin API path: adding checks the user's team membership (a direct or
group channel has no team, so nobody is added there) and refuses a deactivated user, but not
an archived channel; listings page in the database as given; a batch notify-props patch
changes every pair or, if one pair is no membership, none (and answers no error).
"""

from __future__ import annotations

import logging
import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._convert import DIRECT_OR_GROUP
from mmplug.host.api._entities import (
    find_member,
    get_channel,
    get_member,
    get_user,
    member_from_row,
    save_member,
)
from mmplug.host.api._groups import channel_group_user_ids, in_admin_role_group
from mmplug.host.api._members import (
    UPDATABLE_NOTIFY_PROPS,
    apply_roles,
    check_notify_props,
    is_guest,
    merge_notify_props,
    new_member,
    scheme_roles,
)
from mmplug.host.api._pbjson import model_json
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.channels import DEFAULT_CHANNEL, window
from mmplug.host.api.config import server_setting
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_extra_pb2, post_pb2, user_pb2
from mmplug.protocol import hooks_user_channel_pb2 as huc

T = channel_pb2.ChannelType
_log = logging.getLogger("mmplug.host.api")
PATCH_NOTIFY_MAX = 200


def _check_can_join(ch: channel_pb2.Channel, team_member_delete_at: int | None) -> None:
    if team_member_delete_at is None:
        raise ApiFailure(
            404,
            "app.team.get_member.missing.app_error",
            "The user is not a member of the channel's team: add them to the team first "
            "(direct and group channels take no new members).",
            detailed_error=f"team_id={ch.team_id}",
            where="AddUserToChannel",
        )
    if team_member_delete_at:
        raise ApiFailure(
            400,
            "api.channel.add_user.to.channel.failed.deleted.app_error",
            "The user has left the channel's team: add them to the team again first.",
            detailed_error=f"team_id={ch.team_id}",
            where="AddUserToChannel",
        )
    if ch.type not in (T.CHANNEL_TYPE_OPEN, T.CHANNEL_TYPE_PRIVATE):
        raise ApiFailure(
            400,
            "api.channel.add_user_to_channel.type.app_error",
            "Users cannot be added to direct or group message channels.",
        )


def system_post(
    ctx: ApiContext,
    channel_id: str,
    user_id: str,
    kind: str,
    message: str,
    props: dict[str, str],
) -> ApiFailure | None:
    """The server's join/leave message: a real post (it runs MessageWillBePosted too).
    Returns the failure (e.g. a plugin rejecting the post); the membership change stands."""
    from mmplug.host.api.posts import create_post

    post = post_pb2.Post(channel_id=channel_id, user_id=user_id, type=kind, message=message)
    post.props.update(props)
    try:
        create_post(ctx, post)
    except ApiFailure as failure:
        _log.warning("the %s message was not posted: %s", kind, failure.message)
        return failure
    return None


def leave_join_messages(db: sqlite3.Connection) -> bool:
    """``ServiceSettings.ExperimentalEnableDefaultChannelLeaveJoinMessages`` (on unless set
    off): the join and leave messages of the default channels and of teams."""
    return bool(
        server_setting(
            db, "ServiceSettings", "ExperimentalEnableDefaultChannelLeaveJoinMessages", True
        )
    )


def join_message(
    ctx: ApiContext, channel_id: str, user: user_pb2.User
) -> ApiFailure | None:
    """The server's postJoinChannelMessage; returns the failure of the post."""
    kind, text = "system_join_channel", "{} joined the channel."
    if is_guest(user):
        kind, text = "system_guest_join_channel", "{} joined the channel as a guest."
    return system_post(
        ctx, channel_id, user.id, kind, text.format(user.username), {"username": user.username}
    )


def added_message(
    ctx: ApiContext, channel_id: str, actor: user_pb2.User, user: user_pb2.User
) -> ApiFailure | None:
    """The server's PostAddToChannelMessage, posted by ``actor``."""
    kind, text = "system_add_to_channel", "{} added to the channel by {}."
    if is_guest(user):
        kind, text = "system_add_guest_to_chan", "{} added to the channel as a guest by {}."
    return system_post(
        ctx,
        channel_id,
        actor.id,
        kind,
        text.format(user.username, actor.username),
        {
            "userId": actor.id,
            "username": actor.username,
            "addedUserId": user.id,
            "addedUsername": user.username,
        },
    )


def _join_post(ctx: ApiContext, ch: channel_pb2.Channel, user: user_pb2.User) -> None:
    failure = join_message(ctx, ch.id, user)
    if failure is not None:  # the server reports it, although the user has joined
        raise ApiFailure(
            500,
            "api.channel.post_user_add_remove_message_and_forget.error",
            f"The user joined, but the join message was not posted: {failure.message}",
            detailed_error=failure.detailed_error,
        )


def add_member(
    ctx: ApiContext, channel_id: str, user_id: str, actor_id: str = ""
) -> cp.ChannelMember:
    """Add ``user_id`` to the channel like the server's AddChannelMember; idempotent."""
    with ctx.store.read() as db:
        ch = get_channel(db, channel_id)
        existing = find_member(db, channel_id, user_id)
        if existing is not None:
            return existing
        user = get_user(db, user_id)
        if user.delete_at:
            raise ApiFailure(
                403,
                "app.channel.add_member.deleted_user.app_error",
                "The user is deactivated: reactivate them (UpdateUserActive) before adding "
                "them to a channel.",
                detailed_error=f"user_id={user_id}",
                where="AddChannelMember",
            )
        if actor_id:
            get_user(db, actor_id)  # an unknown actor is a 404 before anything happens
        row = db.execute(
            "SELECT delete_at FROM team_members WHERE team_id=? AND user_id=?",
            (ch.team_id, user_id),
        ).fetchone()
        _check_can_join(ch, None if row is None else int(row["delete_at"]))
        if (
            ch.group_constrained
            and not user.is_bot
            and user_id not in channel_group_user_ids(db, channel_id)
        ):
            raise ApiFailure(
                400,
                "api.channel.add_members.user_denied",
                "The channel is group-constrained: add the user to one of its linked groups "
                "first.",
                detailed_error=f"user_id={user_id}",
                params={"UserIDs": [user_id]},
                where="addUserToChannel",
            )
        member = new_member(ctx, channel_id, user)
        if not is_guest(user) and in_admin_role_group(db, user_id, channel_id, "Channel"):
            member.scheme_admin = True
            member.roles = scheme_roles(member, [])
    outcome = _hooks.chain(
        ctx,
        "ChannelMemberWillBeAdded",
        member,
        lambda m: hooks_extra_pb2.ChannelMemberWillBeAddedRequest(
            context=_hooks.request_context(ctx, actor_id), channel_member=m
        ),
        "modified_channel_member",
    )
    if outcome.rejected:
        raise ApiFailure(
            400,
            "app.channel.add_user.to.channel.rejected_by_plugin",
            f"Plugin {outcome.rejected_by} rejected adding the user to the "
            f"channel: {outcome.rejection}",
            params={"Reason": outcome.rejection},
            where="AddUserToChannel",
        )
    return save_added_member(ctx, outcome.subject, channel_id, user_id, actor_id)


def save_added_member(
    ctx: ApiContext, member: cp.ChannelMember, channel_id: str, user_id: str, actor_id: str = ""
) -> cp.ChannelMember:
    """What the server does once ChannelMemberWillBeAdded allowed ``member``: save it, send
    ``user_added`` (to the channel, then to the user), run UserHasJoinedChannel, post the
    join (or added) message."""
    with ctx.store.read() as db:
        ch = get_channel(db, channel_id)
        user = get_user(db, user_id)
        actor = get_user(db, actor_id) if actor_id else None
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
    # AddUserToChannel tells the channel (but the user) and then the user, separately.
    data = {"user_id": user_id, "team_id": ch.team_id}
    server_event(ctx, "user_added", data, channel_id=channel_id, omit_users={user_id: True})
    server_event(ctx, "user_added", data, channel_id=channel_id, user_id=user_id)
    _hooks.fire(ctx, "UserHasJoinedChannel", joined)
    if actor is None or actor.id == user.id:
        _join_post(ctx, ch, user)
    else:
        added_message(ctx, ch.id, actor, user)
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
    member = add_member(ctx, req.channel_id, req.user_id, req.as_user_id)
    return cp.AddUserToChannelResponse(channel_member=member)


def _active_members(db: sqlite3.Connection, channel_id: str) -> int:
    return int(
        db.execute(
            "SELECT count(*) FROM channel_members m JOIN users u ON u.id=m.user_id "
            "WHERE m.channel_id=? AND u.delete_at=0",
            (channel_id,),
        ).fetchone()[0]
    )


@emulates("DeleteChannelMember")
def delete_channel_member(
    ctx: ApiContext, req: cp.DeleteChannelMemberRequest
) -> cp.DeleteChannelMemberResponse:
    with ctx.store.tx() as db:
        ch = get_channel(db, req.channel_id)
        user = get_user(db, req.user_id)
        if ch.type in DIRECT_OR_GROUP:
            raise ApiFailure(
                400,
                "api.channel.leave.direct.app_error",
                "Users cannot leave a direct or group message channel.",
            )
        if ch.type == T.CHANNEL_TYPE_PRIVATE and _active_members(db, ch.id) == 1:
            raise ApiFailure(
                400,
                "api.channel.leave.last_member.app_error",
                "This is the private channel's last member: archive the channel instead.",
                detailed_error=f"userId={user.id}",
            )
        if ch.name == DEFAULT_CHANNEL and not is_guest(user):
            raise ApiFailure(
                400,
                "api.channel.remove.default.app_error",
                f"Unable to remove a user from the default channel {DEFAULT_CHANNEL}.",
                params={"Channel": DEFAULT_CHANNEL},
            )
        member = get_member(db, req.channel_id, req.user_id)
        db.execute(
            "DELETE FROM channel_members WHERE channel_id=? AND user_id=?",
            (req.channel_id, req.user_id),
        )
        leave_message = ch.name != DEFAULT_CHANNEL or leave_join_messages(db)
        # A guest who has no channel of the team left (direct and group channels count)
        # leaves the team too.
        leaves_team = is_guest(user) and not db.execute(
            "SELECT 1 FROM channel_members m JOIN channels c ON c.id=m.channel_id "
            "WHERE m.user_id=? AND (c.team_id=? OR c.team_id='')",
            (user.id, ch.team_id),
        ).fetchone()
    if leaves_team:
        from mmplug.host.api.teams_members import remove_member  # teams build on channels

        remove_member(ctx, ch.team_id, user.id, user.id)
    left = huc.UserHasLeftChannelRequest(
        context=_hooks.request_context(ctx, user.id), channel_member=member, actor=user
    )
    _hooks.fire(ctx, "UserHasLeftChannel", left)
    server_event(ctx, "user_removed", {"user_id": user.id, "remover_id": user.id}, channel_id=ch.id)
    server_event(ctx, "user_removed", {"channel_id": ch.id, "remover_id": user.id}, user_id=user.id)
    if leave_message:
        system_post(
            ctx,
            ch.id,
            user.id,
            "system_leave_channel",
            f"@{user.username} left the channel.",
            {"username": user.username},
        )
    return cp.DeleteChannelMemberResponse()


@emulates("GetChannelMember")
def get_channel_member(
    ctx: ApiContext, req: cp.GetChannelMemberRequest
) -> cp.GetChannelMemberResponse:
    with ctx.store.read() as db:
        return cp.GetChannelMemberResponse(
            channel_member=get_member(db, req.channel_id, req.user_id)
        )


@emulates("GetChannelMembers")
def get_channel_members(
    ctx: ApiContext, req: cp.GetChannelMembersRequest
) -> cp.GetChannelMembersResponse:
    limit, offset = window(
        req.page, req.per_page, "app.channel.get_members.app_error", "GetChannelMembersPage"
    )
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT data FROM channel_members WHERE channel_id=? ORDER BY rowid LIMIT ? OFFSET ?",
            (req.channel_id, limit, offset),
        ).fetchall()
    return cp.GetChannelMembersResponse(channel_members=[member_from_row(r) for r in rows])


@emulates("GetChannelMembersByIds")
def get_channel_members_by_ids(
    ctx: ApiContext, req: cp.GetChannelMembersByIdsRequest
) -> cp.GetChannelMembersByIdsResponse:
    with ctx.store.read() as db:
        found = [find_member(db, req.channel_id, uid) for uid in dict.fromkeys(req.user_ids)]
    return cp.GetChannelMembersByIdsResponse(channel_members=[m for m in found if m])


@emulates("GetChannelMembersForUser")
def get_channel_members_for_user(
    ctx: ApiContext, req: cp.GetChannelMembersForUserRequest
) -> cp.GetChannelMembersForUserResponse:
    # The server ignores team_id here: every membership of the user, archived channels too.
    limit, offset = window(
        req.page,
        req.per_page,
        "app.channel.get_members.app_error",
        "GetChannelMembersForUserWithPagination",
    )
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT data FROM channel_members WHERE user_id=? ORDER BY channel_id LIMIT ? OFFSET ?",
            (req.user_id, limit, offset),
        ).fetchall()
    return cp.GetChannelMembersForUserResponse(channel_members=[member_from_row(r) for r in rows])


def _member_updated(ctx: ApiContext, member: cp.ChannelMember) -> None:
    server_event(
        ctx, "channel_member_updated", {"channelMember": model_json(member)},
        user_id=member.user_id,
    )


@emulates("UpdateChannelMemberRoles")
def update_channel_member_roles(
    ctx: ApiContext, req: cp.UpdateChannelMemberRolesRequest
) -> cp.UpdateChannelMemberRolesResponse:
    with ctx.store.tx() as db:
        member = get_member(db, req.channel_id, req.user_id)
        apply_roles(db, member, req.new_roles)
        member.last_update_at = ctx.now()
        save_member(db, member)
    _member_updated(ctx, member)
    return cp.UpdateChannelMemberRolesResponse(channel_member=member)


@emulates("UpdateChannelMemberNotifications")
def update_channel_member_notifications(
    ctx: ApiContext, req: cp.UpdateChannelMemberNotificationsRequest
) -> cp.UpdateChannelMemberNotificationsResponse:
    kept = {k: v for k, v in req.notifications.items() if k in UPDATABLE_NOTIFY_PROPS}
    with ctx.store.tx() as db:
        member = get_member(db, req.channel_id, req.user_id)
        merge_notify_props(member, kept)
        save_member(db, member)
    _member_updated(ctx, member)
    return cp.UpdateChannelMemberNotificationsResponse(channel_member=member)


@emulates("PatchChannelMembersNotifications")
def patch_channel_members_notifications(
    ctx: ApiContext, req: cp.PatchChannelMembersNotificationsRequest
) -> cp.PatchChannelMembersNotificationsResponse:
    if len(req.members) > PATCH_NOTIFY_MAX:
        raise ApiFailure(
            400,
            "app.channel.patch_channel_members_notify_props.too_many",
            f"At most {PATCH_NOTIFY_MAX} members per call: split the list.",
            detailed_error=f"members={len(req.members)}",
            params={"Max": PATCH_NOTIFY_MAX},
        )
    props = dict(req.notify_props)
    if not props:
        raise ApiFailure(
            500,
            "app.channel.patch_channel_members_notify_props.app_error",
            "No notify props to patch: give at least one.",
            detailed_error="PatchMultipleMembersNotifyProps: No notifyProps specified",
        )
    check_notify_props(props, allow_missing=True)
    updated: list[cp.ChannelMember] = []
    with ctx.store.tx() as db:
        for ident in req.members:
            member = find_member(db, ident.channel_id, ident.user_id)
            if member is not None and member not in updated:
                updated.append(member)
        if len(updated) != len(req.members):
            # One UPDATE on the server: when it changes fewer rows than pairs were given (a
            # pair that is no membership, a pair given twice) the transaction is rolled back
            # and the call still answers no error.
            _log.warning(
                "PatchChannelMembersNotifications: %d of %d pairs are memberships; nothing "
                "was changed (as on the server)",
                len(updated),
                len(req.members),
            )
            return cp.PatchChannelMembersNotificationsResponse()
        now = ctx.now()
        for member in updated:  # all keys are merged in, unknown ones too
            member.notify_props.update(props)
            member.last_update_at = now
            save_member(db, member)
    for member in updated:
        _member_updated(ctx, member)
    return cp.PatchChannelMembersNotificationsResponse()
