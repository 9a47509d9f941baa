"""Channels: create, read, update, archive, search, stats (open and private channels).

Direct/group channels live in ``direct_channels.py``, membership in ``channel_members.py``.
"""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._entities import (
    Channel,
    channels_where,
    get_channel,
    get_team,
    get_team_by_name,
    save_channel,
)
from mmplug.host.api._pbjson import paging, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_user_channel_pb2

T = channel_pb2.ChannelType
NAME_MAX, DISPLAY_NAME_MAX, HEADER_MAX, PURPOSE_MAX = 64, 64, 1024, 250
DEFAULT_CHANNEL = "town-square"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ORDER = " ORDER BY json_extract(data, '$.display_name'), name"


def _invalid(what: str, message: str, detail: str = "") -> ApiFailure:
    return ApiFailure(
        400,
        f"model.channel.is_valid.{what}.app_error",
        message,
        detailed_error=detail,
        where="Channel.IsValid",
    )


def validate_channel(ch: channel_pb2.Channel) -> None:
    """The checks of the server's ``Channel.IsValid``."""
    if ch.type not in (
        T.CHANNEL_TYPE_OPEN,
        T.CHANNEL_TYPE_PRIVATE,
        T.CHANNEL_TYPE_DIRECT,
        T.CHANNEL_TYPE_GROUP,
    ):
        raise _invalid("type", "Invalid type.", f"type={ch.type}")
    is_dm = ch.type in (T.CHANNEL_TYPE_DIRECT, T.CHANNEL_TYPE_GROUP)
    if not is_dm and not ch.display_name.strip():
        raise _invalid("display_name", "Invalid display name: it is required.")
    if len(ch.display_name) > DISPLAY_NAME_MAX:
        raise _invalid(
            "display_name",
            f"Invalid display name: at most {DISPLAY_NAME_MAX} characters.",
            f"length={len(ch.display_name)}",
        )
    name_ok = 1 <= len(ch.name) <= (NAME_MAX if not is_dm else 64) and bool(_NAME.match(ch.name))
    if not name_ok:
        raise _invalid(
            "1_or_more",
            f"Name must be 1 to {NAME_MAX} lowercase alphanumeric characters "
            "('-' and '_' allowed, starting with a letter or digit).",
            f"name={ch.name!r}",
        )
    if len(ch.header) > HEADER_MAX:
        raise _invalid("header", f"Invalid header: at most {HEADER_MAX} characters.")
    if len(ch.purpose) > PURPOSE_MAX:
        raise _invalid("purpose", f"Invalid purpose: at most {PURPOSE_MAX} characters.")
    if ch.creator_id and not is_valid_id(ch.creator_id):
        raise _invalid("creator_id", "Invalid creator id.", f"creator_id={ch.creator_id!r}")


def name_taken(db: sqlite3.Connection, team_id: str, name: str, except_id: str = "") -> bool:
    row = db.execute(
        "SELECT 1 FROM channels WHERE team_id=? AND name=? AND id<>?", (team_id, name, except_id)
    ).fetchone()
    return row is not None


def _exists_error(ch: channel_pb2.Channel, error_id: str) -> ApiFailure:
    return ApiFailure(
        400,
        error_id,
        "A channel with that name already exists on the same team.",
        detailed_error=f"team_id={ch.team_id} name={ch.name}",
    )


@emulates("CreateChannel")
def create_channel(ctx: ApiContext, req: cp.CreateChannelRequest) -> cp.CreateChannelResponse:
    ch = channel_pb2.Channel()
    ch.CopyFrom(req.channel)
    if ch.id:
        raise ApiFailure(
            400,
            "store.sql_channel.save_channel.existing.app_error",
            "Must call update for existing channel.",
            detailed_error=f"id={ch.id}",
        )
    if ch.type in (T.CHANNEL_TYPE_DIRECT, T.CHANNEL_TYPE_GROUP):
        raise ApiFailure(
            400,
            "api.channel.create_channel.direct_channel.app_error",
            "Must use GetDirectChannel/GetGroupChannel for direct or group channels.",
        )
    if ch.type == T.CHANNEL_TYPE_UNSPECIFIED:
        ch.type = T.CHANNEL_TYPE_OPEN
    validate_channel(ch)
    require_id(ch.team_id, "team_id")
    with ctx.store.tx() as db:
        get_team(db, ch.team_id)
        if name_taken(db, ch.team_id, ch.name):
            raise _exists_error(ch, "store.sql_channel.save_channel.exists.app_error")
        ch.id = ctx.new_id()
        ch.create_at = ch.create_at or ctx.now()
        ch.update_at = ch.create_at
        ch.extra_update_at = 0
        save_channel(db, ch)
    _hooks.fire(
        ctx,
        "ChannelHasBeenCreated",
        hooks_user_channel_pb2.ChannelHasBeenCreatedRequest(
            context=_hooks.request_context(ctx, ch.creator_id), channel=ch
        ),
    )
    return cp.CreateChannelResponse(channel=ch)


@emulates("GetChannel")
def get_channel_rpc(ctx: ApiContext, req: cp.GetChannelRequest) -> cp.GetChannelResponse:
    require_id(req.channel_id, "channel_id")
    with ctx.store.read() as db:
        return cp.GetChannelResponse(channel=get_channel(db, req.channel_id))


def _by_name(db: sqlite3.Connection, team_id: str, name: str, deleted: bool) -> Channel:
    found = channels_where(
        db,
        "SELECT data FROM channels WHERE team_id=? AND name=?"
        + ("" if deleted else " AND delete_at=0"),
        (team_id, name),
    )
    if not found:
        raise ApiFailure(
            404,
            "app.channel.get_by_name.missing.app_error",
            "Unable to find the existing channel.",
            detailed_error=f"team_id={team_id} name={name}",
        )
    return found[0]


@emulates("GetChannelByName")
def get_channel_by_name(
    ctx: ApiContext, req: cp.GetChannelByNameRequest
) -> cp.GetChannelByNameResponse:
    with ctx.store.read() as db:
        ch = _by_name(db, req.team_id, req.name, req.include_deleted)
    return cp.GetChannelByNameResponse(channel=ch)


@emulates("GetChannelByNameForTeamName")
def get_channel_by_name_for_team_name(
    ctx: ApiContext, req: cp.GetChannelByNameForTeamNameRequest
) -> cp.GetChannelByNameForTeamNameResponse:
    with ctx.store.read() as db:
        team = get_team_by_name(db, req.team_name)
        ch = _by_name(db, team.id, req.channel_name, req.include_deleted)
    return cp.GetChannelByNameForTeamNameResponse(channel=ch)


@emulates("GetPublicChannelsForTeam")
def get_public_channels_for_team(
    ctx: ApiContext, req: cp.GetPublicChannelsForTeamRequest
) -> cp.GetPublicChannelsForTeamResponse:
    require_id(req.team_id, "team_id")
    limit, offset = paging(req.page, req.per_page)
    with ctx.store.read() as db:
        found = channels_where(
            db,
            "SELECT data FROM channels WHERE team_id=? AND type='O' AND delete_at=0"
            + _ORDER
            + " LIMIT ? OFFSET ?",
            (req.team_id, limit, offset),
        )
    return cp.GetPublicChannelsForTeamResponse(channels=found)


@emulates("GetChannelsForTeamForUser")
def get_channels_for_team_for_user(
    ctx: ApiContext, req: cp.GetChannelsForTeamForUserRequest
) -> cp.GetChannelsForTeamForUserResponse:
    require_id(req.user_id, "user_id")
    sql = (
        "SELECT c.data FROM channels c JOIN channel_members m ON m.channel_id=c.id "
        "WHERE m.user_id=? AND (c.team_id=? OR c.team_id='')"
    )
    if not req.include_deleted:
        sql += " AND c.delete_at=0"
    sql += " ORDER BY json_extract(c.data, '$.display_name'), c.name"
    with ctx.store.read() as db:
        found = channels_where(db, sql, (req.user_id, req.team_id))
    return cp.GetChannelsForTeamForUserResponse(channels=found)


@emulates("SearchChannels")
def search_channels(ctx: ApiContext, req: cp.SearchChannelsRequest) -> cp.SearchChannelsResponse:
    require_id(req.team_id, "team_id")
    term = req.term.strip().lower()
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with ctx.store.read() as db:
        found = channels_where(
            db,
            "SELECT data FROM channels WHERE team_id=? AND type='O' AND delete_at=0 AND "
            "(name LIKE ? ESCAPE '\\' OR lower(json_extract(data, '$.display_name')) "
            "LIKE ? ESCAPE '\\')" + _ORDER + " LIMIT 100",
            (req.team_id, pattern, pattern),
        )
    return cp.SearchChannelsResponse(channels=found)


@emulates("GetChannelStats")
def get_channel_stats(
    ctx: ApiContext, req: cp.GetChannelStatsRequest
) -> cp.GetChannelStatsResponse:
    require_id(req.channel_id, "channel_id")
    with ctx.store.read() as db:
        get_channel(db, req.channel_id)
        members = db.execute(
            "SELECT count(*) FROM channel_members m JOIN users u ON u.id=m.user_id "
            "WHERE m.channel_id=? AND u.delete_at=0",
            (req.channel_id,),
        ).fetchone()[0]
        guests = db.execute(
            "SELECT count(*) FROM channel_members m JOIN users u ON u.id=m.user_id "
            "WHERE m.channel_id=? AND u.delete_at=0 AND "
            "json_extract(m.data, '$.scheme_guest') = 1",
            (req.channel_id,),
        ).fetchone()[0]
        pinned = db.execute(
            "SELECT count(*) FROM posts WHERE channel_id=? AND delete_at=0 AND ephemeral=0 AND "
            "json_extract(data, '$.is_pinned') = 1",
            (req.channel_id,),
        ).fetchone()[0]
        files = db.execute(
            "SELECT count(*) FROM files WHERE channel_id=? AND "
            "coalesce(json_extract(data, '$.delete_at'), 0) = 0",
            (req.channel_id,),
        ).fetchone()[0]
    stats = cp.ChannelStats(
        channel_id=req.channel_id,
        member_count=members,
        guest_count=guests,
        pinnedpost_count=pinned,
        files_count=files,
    )
    return cp.GetChannelStatsResponse(channel_stats=stats)
