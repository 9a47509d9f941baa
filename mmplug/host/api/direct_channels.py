"""Direct (two users) and group (3-8 users) channels: created on first use, then reused."""

from __future__ import annotations

import hashlib
import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._entities import (
    channels_where,
    find_user,
    get_user,
    save_channel,
    save_member,
)
from mmplug.host.api._members import new_member
from mmplug.host.api._pbjson import require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
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


def _existing(db: sqlite3.Connection, name: str) -> channel_pb2.Channel | None:
    found = channels_where(db, "SELECT data FROM channels WHERE team_id='' AND name=?", (name,))
    return found[0] if found else None


def _create(
    ctx: ApiContext, ch: channel_pb2.Channel, users: list[user_pb2.User]
) -> channel_pb2.Channel:
    """Insert the channel and its members, then fire ChannelHasBeenCreated (outside the tx)."""
    with ctx.store.tx() as db:
        again = _existing(db, ch.name)
        if again is not None:  # created meanwhile by a concurrent call
            return again
        ch.id = ctx.new_id()
        ch.create_at = ch.update_at = ctx.now()
        save_channel(db, ch)
        for user in users:
            save_member(db, new_member(ctx, ch.id, user))
    request = hooks_user_channel_pb2.ChannelHasBeenCreatedRequest(
        context=_hooks.request_context(ctx, ch.creator_id), channel=ch
    )
    _hooks.fire(ctx, "ChannelHasBeenCreated", request)
    return ch


@emulates("GetDirectChannel")
def get_direct_channel(
    ctx: ApiContext, req: cp.GetDirectChannelRequest
) -> cp.GetDirectChannelResponse:
    require_id(req.user_id_1, "user_id_1")
    require_id(req.user_id_2, "user_id_2")
    name = direct_channel_name(req.user_id_1, req.user_id_2)
    with ctx.store.read() as db:
        found = _existing(db, name)
        if found is not None:
            return cp.GetDirectChannelResponse(channel=found)
        users = [get_user(db, uid) for uid in dict.fromkeys((req.user_id_1, req.user_id_2))]
    ch = channel_pb2.Channel(
        name=name, type=T.CHANNEL_TYPE_DIRECT, creator_id=req.user_id_1, team_id=""
    )
    return cp.GetDirectChannelResponse(channel=_create(ctx, ch, users))


@emulates("GetGroupChannel")
def get_group_channel(
    ctx: ApiContext, req: cp.GetGroupChannelRequest
) -> cp.GetGroupChannelResponse:
    ids = list(dict.fromkeys(req.user_ids))
    if not GROUP_MIN <= len(ids) <= GROUP_MAX:
        raise ApiFailure(
            400,
            "api.channel.create_group.bad_size.app_error",
            f"Group message channels must contain at least {GROUP_MIN} and no more than "
            f"{GROUP_MAX} users.",
            detailed_error=f"{len(ids)} distinct users given",
        )
    for uid in ids:
        require_id(uid, "user_ids")
    name = group_channel_name(ids)
    with ctx.store.read() as db:
        found = _existing(db, name)
        if found is not None:
            return cp.GetGroupChannelResponse(channel=found)
        members = {uid: find_user(db, uid) for uid in ids}
    missing = [uid for uid, user in members.items() if user is None]
    if missing:
        raise ApiFailure(
            400,
            "api.channel.create_group.bad_user.app_error",
            "One of the provided users does not exist.",
            detailed_error=f"user_ids={missing}",
        )
    users = [u for u in members.values() if u is not None]
    display = ", ".join(sorted(u.username for u in users))
    ch = channel_pb2.Channel(
        name=name, display_name=display, type=T.CHANNEL_TYPE_GROUP, creator_id=ids[0]
    )
    return cp.GetGroupChannelResponse(channel=_create(ctx, ch, users))
