"""Direct (two users) and group (3-8 users) channels: created on first use, then reused.

A direct channel may be with oneself, a bot or a deactivated user; an unknown user is a 400.
A new direct channel fires ChannelHasBeenCreated; a new group channel does not (the server
only publishes its ``group_added`` event).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._entities import channels_where, find_user, save_channel, save_member
from mmplug.host.api._members import new_member
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.channels import NAME_MAX
from mmplug.host.api.config import server_setting
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_user_channel_pb2, user_pb2

T = channel_pb2.ChannelType
GROUP_MIN, GROUP_MAX = 3, 8


def direct_channel_name(user_a: str, user_b: str) -> str:
    first, second = sorted((user_a, user_b))
    return f"{first}__{second}"


def group_channel_name(user_ids: list[str]) -> str:
    """SHA-1 (hex) of the sorted member ids written one after the other, as the server names
    group channels (worlds seed theirs the same way)."""
    return hashlib.sha1("".join(sorted(user_ids)).encode(), usedforsecurity=False).hexdigest()


def group_display_name(users: list[user_pb2.User]) -> str:
    """The members' usernames, sorted, joined by ", ", cut to the server's 64 bytes."""
    joined = ", ".join(sorted(u.username for u in users))
    return joined.encode()[:NAME_MAX].decode(errors="ignore")


def _existing(db: sqlite3.Connection, name: str) -> channel_pb2.Channel | None:
    found = channels_where(db, "SELECT data FROM channels WHERE team_id='' AND name=?", (name,))
    return found[0] if found else None


def _insert(
    ctx: ApiContext, ch: channel_pb2.Channel, users: list[user_pb2.User]
) -> tuple[channel_pb2.Channel, bool]:
    """Insert the channel and its members; ``(channel, created)`` (a concurrent call may have
    made it first, then that one is answered, as the server does on a name conflict)."""
    with ctx.store.tx() as db:
        again = _existing(db, ch.name)
        if again is not None:
            return again, False
        ch.id = ctx.new_id()
        ch.create_at = ch.update_at = ctx.now()
        save_channel(db, ch)
        for user in users:
            save_member(db, new_member(ctx, ch.id, user))
    return ch, True


def _check_restriction(db: sqlite3.Connection, users: list[user_pb2.User]) -> None:
    """TeamSettings.RestrictDirectMessage "team": the two people (no bot) need a common team
    that is not archived (the server's ``GetCommonTeamIDsForTwoUsers``); a direct channel
    with oneself needs a team of one's own."""
    if server_setting(db, "TeamSettings", "RestrictDirectMessage", "any") != "team":
        return
    if any(u.is_bot for u in users):
        return
    common = db.execute(
        "SELECT 1 FROM team_members a JOIN team_members b ON a.team_id=b.team_id "
        "JOIN teams t ON t.id=a.team_id "
        "WHERE a.user_id=? AND b.user_id=? AND a.delete_at=0 AND b.delete_at=0 "
        "AND t.delete_at=0",
        (users[0].id, users[-1].id),
    ).fetchone()
    if common is None:
        raise ApiFailure(
            403,
            "api.channel.create_channel.direct_channel.team_restricted_error",
            "Direct messages are restricted to users sharing a team "
            "(TeamSettings.RestrictDirectMessage is 'team').",
        )


@emulates("GetDirectChannel")
def get_direct_channel(
    ctx: ApiContext, req: cp.GetDirectChannelRequest
) -> cp.GetDirectChannelResponse:
    name = direct_channel_name(req.user_id_1, req.user_id_2)
    with ctx.store.read() as db:
        found = _existing(db, name)
        if found is not None:
            return cp.GetDirectChannelResponse(channel=found)
        ids = list(dict.fromkeys((req.user_id_1, req.user_id_2)))
        users = [u for u in (find_user(db, uid) for uid in ids) if u is not None]
        if len(users) != len(ids):
            raise ApiFailure(
                400,
                "api.channel.create_direct_channel.invalid_user.app_error",
                "A direct channel needs two existing users.",
                detailed_error=f"No users found for ids: {req.user_id_1}. {req.user_id_2}",
            )
        _check_restriction(db, users)
    ch = channel_pb2.Channel(
        name=name, type=T.CHANNEL_TYPE_DIRECT, creator_id=req.user_id_1, team_id=""
    )
    ch, created = _insert(ctx, ch, users)
    if created:
        request = hooks_user_channel_pb2.ChannelHasBeenCreatedRequest(
            context=_hooks.request_context(ctx), channel=ch
        )
        _hooks.fire(ctx, "ChannelHasBeenCreated", request)
        server_event(
            ctx,
            "direct_added",
            {"creator_id": req.user_id_1, "teammate_id": req.user_id_2},
            channel_id=ch.id,
        )
    return cp.GetDirectChannelResponse(channel=ch)


@emulates("GetGroupChannel")
def get_group_channel(
    ctx: ApiContext, req: cp.GetGroupChannelRequest
) -> cp.GetGroupChannelResponse:
    ids = list(req.user_ids)
    if not GROUP_MIN <= len(ids) <= GROUP_MAX:
        raise ApiFailure(
            400,
            "api.channel.create_group.bad_size.app_error",
            f"Group message channels must contain at least {GROUP_MIN} and no more than "
            f"{GROUP_MAX} users.",
            detailed_error=f"{len(ids)} user ids given",
        )
    with ctx.store.read() as db:
        users = [u for u in (find_user(db, uid) for uid in dict.fromkeys(ids)) if u is not None]
        if len(users) != len(ids):
            raise ApiFailure(
                400,
                "api.channel.create_group.bad_user.app_error",
                "Every id must be a different existing user.",
                detailed_error=f"user_ids={json.dumps(ids)}",
            )
        found = _existing(db, group_channel_name(ids))
    if found is not None:
        return cp.GetGroupChannelResponse(channel=found)
    ch = channel_pb2.Channel(
        name=group_channel_name(ids),
        display_name=group_display_name(users),
        type=T.CHANNEL_TYPE_GROUP,
        team_id="",
    )
    ch, created = _insert(ctx, ch, users)
    if created:
        server_event(ctx, "group_added", {"teammate_ids": json.dumps(ids)}, channel_id=ch.id)
    return cp.GetGroupChannelResponse(channel=ch)
