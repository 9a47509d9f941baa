"""Channels: create, read, list, search, stats (open and private channels).

Direct/group channels live in ``direct_channels.py``, membership in ``channel_members.py``,
updating and archiving in ``channel_changes.py``. The rules follow the server's plugin API
path, which skips the REST layer: ids are not checked for their format (a malformed id is
simply not found), a channel's team is not checked, and paging is passed to the database
as given (``per_page`` 0 is an empty page, a negative value a database error).
"""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._convert import DIRECT_OR_GROUP
from mmplug.host.api._entities import (
    Channel,
    channels_where,
    get_channel,
    get_team_by_name,
    save_channel,
)
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api._text import sanitize_unicode
from mmplug.host.api.config import server_setting
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_user_channel_pb2

T = channel_pb2.ChannelType
NAME_MAX, DISPLAY_NAME_MAX, HEADER_MAX, PURPOSE_MAX = 64, 64, 1024, 250
CREATOR_ID_MAX, BANNER_TEXT_MAX = 26, 1024
DEFAULT_CHANNEL = "town-square"
SEARCH_LIMIT = 100
_NAME = re.compile(r"^[a-z0-9]+([a-z0-9_-]+|(__)?)[a-z0-9]*\Z")
_GROUP_NAME = re.compile(r"^[a-f0-9]{40}\Z")
_HEX_COLOR = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")
_ORDER = " ORDER BY json_extract(data, '$.display_name'), name"

differs(
    "SearchChannels",
    "The server also matches English word stems (database full-text search); mmplug matches "
    "substrings and word prefixes of the name, display name and purpose only.",
)


def window(
    page: int,
    per_page: int,
    error_id: str,
    where: str,
    message: str = "page and per_page must not be negative (the database refuses a negative "
    "LIMIT or OFFSET).",
) -> tuple[int, int]:
    """``(limit, offset)`` of a page as the server hands it to the database: ``per_page``
    rows (none for 0, no cap) from ``page * per_page``. The server converts both to unsigned
    numbers, so a negative LIMIT or OFFSET is the database's error (the server's 500) while
    a negative page of 0 rows is just empty."""
    offset = page * per_page
    if per_page < 0 or offset < 0:
        raise ApiFailure(
            500,
            error_id,
            message,
            detailed_error=f"page={page} per_page={per_page}: negative LIMIT/OFFSET",
            where=where,
        )
    return per_page, offset


def is_channel_identifier(name: str) -> bool:
    """The server's ``IsValidChannelIdentifier`` (channel and share names)."""
    return bool(_NAME.match(name))


def _invalid(what: str, message: str, detail: str = "") -> ApiFailure:
    return ApiFailure(
        400,
        f"model.channel.is_valid.{what}.app_error",
        message,
        detailed_error=detail,
        where="Channel.IsValid",
    )


def _looks_direct_or_group(name: str) -> bool:
    parts = name.split("__")
    return bool(_GROUP_NAME.match(name)) or (
        len(parts) == 2 and is_valid_id(parts[0]) and is_valid_id(parts[1])
    )


def _check_banner(ch: channel_pb2.Channel) -> None:
    banner = ch.banner_info
    if not (ch.HasField("banner_info") and banner.enabled):
        return
    if ch.type not in (T.CHANNEL_TYPE_OPEN, T.CHANNEL_TYPE_PRIVATE):
        raise _invalid("banner_info.channel_type", "Only open and private channels have a banner.")
    if not banner.text:
        raise _invalid("banner_info.text.empty", "An enabled channel banner needs a text.")
    if len(banner.text.encode()) > BANNER_TEXT_MAX:
        raise _invalid(
            "banner_info.text.invalid_length",
            f"The banner text is limited to {BANNER_TEXT_MAX} bytes.",
        )
    if not banner.background_color:
        raise _invalid(
            "banner_info.background_color.empty", "An enabled channel banner needs a color."
        )
    if not _HEX_COLOR.match(banner.background_color):
        raise _invalid(
            "banner_info.background_color.invalid",
            "The banner color must be #RGB or #RRGGBB.",
            f"background_color={banner.background_color!r}",
        )


def validate_channel(ch: channel_pb2.Channel) -> None:
    """The field checks of the server's ``Channel.IsValid``, in its order (display name,
    name, type, header, purpose, creator, reserved direct/group names, banner)."""
    if len(ch.display_name) > DISPLAY_NAME_MAX:
        raise _invalid(
            "display_name",
            f"Invalid display name: at most {DISPLAY_NAME_MAX} characters.",
            f"length={len(ch.display_name)}",
        )
    if not is_channel_identifier(ch.name):
        raise _invalid(
            "1_or_more",
            "The name must be lowercase letters, digits, '-' and '_', starting with a letter "
            "or digit.",
            f"name={ch.name!r}",
        )
    if ch.type not in (
        T.CHANNEL_TYPE_OPEN,
        T.CHANNEL_TYPE_PRIVATE,
        T.CHANNEL_TYPE_DIRECT,
        T.CHANNEL_TYPE_GROUP,
    ):
        raise _invalid(
            "type",
            "Invalid type: set CHANNEL_TYPE_OPEN or CHANNEL_TYPE_PRIVATE.",
            f"type={ch.type}",
        )
    if len(ch.header) > HEADER_MAX:
        raise _invalid("header", f"Invalid header: at most {HEADER_MAX} characters.")
    if len(ch.purpose) > PURPOSE_MAX:
        raise _invalid("purpose", f"Invalid purpose: at most {PURPOSE_MAX} characters.")
    if len(ch.creator_id) > CREATOR_ID_MAX:
        raise _invalid("creator_id", "Invalid creator id.", f"creator_id={ch.creator_id!r}")
    if ch.type not in DIRECT_OR_GROUP and _looks_direct_or_group(ch.name):
        raise _invalid(
            "name",
            "The name is reserved for direct and group message channels.",
            f"name={ch.name!r}",
        )
    _check_banner(ch)


def is_valid(ch: channel_pb2.Channel) -> None:
    """The whole ``Channel.IsValid``: id and timestamps first, then the fields."""
    if not is_valid_id(ch.id):
        raise _invalid("id", "Invalid channel id.", f"id={ch.id!r}")
    if not ch.create_at:
        raise _invalid(
            "create_at",
            "create_at must be set: update a channel read with GetChannel, not a new one.",
            f"id={ch.id}",
        )
    if not ch.update_at:
        raise _invalid("update_at", "update_at must be set.", f"id={ch.id}")
    validate_channel(ch)


def sanitize_names(ch: channel_pb2.Channel) -> None:
    ch.name = sanitize_unicode(ch.name)
    ch.display_name = sanitize_unicode(ch.display_name)


def check_fits(ch: channel_pb2.Channel, error_id: str, where: str) -> None:
    """The database's column limit on the name (``Channel.IsValid`` has no upper bound)."""
    if len(ch.name) > NAME_MAX:
        raise ApiFailure(
            500,
            error_id,
            f"The channel name is longer than the database allows ({NAME_MAX} characters).",
            detailed_error=f"name={ch.name!r} length={len(ch.name)}",
            where=where,
        )


def name_taken(db: sqlite3.Connection, team_id: str, name: str, except_id: str = "") -> bool:
    row = db.execute(
        "SELECT 1 FROM channels WHERE team_id=? AND name=? AND id<>?", (team_id, name, except_id)
    ).fetchone()
    return row is not None


def _store_refusal(error_id: str, message: str, detail: str = "") -> ApiFailure:
    return ApiFailure(400, error_id, message, detailed_error=detail, where="CreateChannel")


def _check_limit(db: sqlite3.Connection, ch: channel_pb2.Channel) -> None:
    limit = int(server_setting(db, "TeamSettings", "MaxChannelsPerTeam", 2000))
    if ch.type in DIRECT_OR_GROUP or limit < 0:
        return
    count = db.execute(
        "SELECT count(*) FROM channels WHERE team_id=? AND delete_at=0 AND type IN ('O','P')",
        (ch.team_id,),
    ).fetchone()[0]
    if count >= limit:
        raise _store_refusal(
            "store.sql_channel.save_channel.limit.app_error",
            f"The team already has {count} channels: raise TeamSettings.MaxChannelsPerTeam "
            "or archive some.",
            f"team_id={ch.team_id} limit={limit}",
        )


@emulates("CreateChannel")
def create_channel(ctx: ApiContext, req: cp.CreateChannelRequest) -> cp.CreateChannelResponse:
    ch = channel_pb2.Channel()
    ch.CopyFrom(req.channel)
    ch.display_name = ch.display_name.strip()
    ch.default_category_name = ch.default_category_name.strip()
    if ch.delete_at:
        raise _store_refusal(
            "store.sql_channel.save.archived_channel.app_error",
            "A new channel cannot be archived: leave delete_at at 0.",
        )
    if ch.type == T.CHANNEL_TYPE_DIRECT:
        raise _store_refusal(
            "store.sql_channel.save.direct_channel.app_error",
            "Direct message channels are made by GetDirectChannel, not CreateChannel.",
        )
    if ch.id and not ch.shared:
        raise _store_refusal(
            "store.sql_channel.save_channel.existing.app_error",
            "The channel already has an id: use UpdateChannel for an existing channel.",
            f"id={ch.id}",
        )
    ch.id = ch.id or ctx.new_id()
    sanitize_names(ch)
    ch.create_at = ch.create_at or ctx.now()
    ch.update_at, ch.extra_update_at = ch.create_at, 0
    is_valid(ch)
    with ctx.store.tx() as db:
        _check_limit(db, ch)
        check_fits(ch, "app.channel.create_channel.internal_error", "CreateChannel")
        if name_taken(db, ch.team_id, ch.name):
            raise _store_refusal(
                "store.sql_channel.save_channel.exists.app_error",
                "A channel with that name already exists on the same team.",
                f"team_id={ch.team_id} name={ch.name}",
            )
        if db.execute("SELECT 1 FROM channels WHERE id=?", (ch.id,)).fetchone():
            raise ApiFailure(
                500,
                "app.channel.create_channel.internal_error",
                "A channel with this id already exists.",
                detailed_error=f"id={ch.id}",
                where="CreateChannel",
            )
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
    with ctx.store.read() as db:
        return cp.GetChannelResponse(channel=get_channel(db, req.channel_id))


def by_name(db: sqlite3.Connection, team_id: str, name: str, include_deleted: bool) -> Channel:
    """The server's lookup by name: a team's channels and the direct/group channels (team
    ``''``); an empty ``team_id`` looks in every team."""
    sql = "SELECT data FROM channels WHERE name=?"
    args: tuple[object, ...] = (name,)
    if not include_deleted:
        sql += " AND delete_at=0"
    if team_id:
        sql += " AND (team_id=? OR team_id='')"
        args += (team_id,)
    found = channels_where(db, sql + " LIMIT 1", args)
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
        ch = by_name(db, req.team_id, req.name, req.include_deleted)
    return cp.GetChannelByNameResponse(channel=ch)


@emulates("GetChannelByNameForTeamName")
def get_channel_by_name_for_team_name(
    ctx: ApiContext, req: cp.GetChannelByNameForTeamNameRequest
) -> cp.GetChannelByNameForTeamNameResponse:
    with ctx.store.read() as db:
        team = get_team_by_name(db, req.team_name)
        ch = by_name(db, team.id, req.channel_name, req.include_deleted)
    return cp.GetChannelByNameForTeamNameResponse(channel=ch)


@emulates("GetPublicChannelsForTeam")
def get_public_channels_for_team(
    ctx: ApiContext, req: cp.GetPublicChannelsForTeamRequest
) -> cp.GetPublicChannelsForTeamResponse:
    limit, offset = window(
        req.page,
        req.per_page,
        "app.channel.get_public_channels.get.app_error",
        "GetPublicChannelsForTeam",
    )
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
    sql = (
        "SELECT c.data FROM channels c JOIN channel_members m ON m.channel_id=c.id "
        "WHERE m.user_id=?"
    )
    args: tuple[object, ...] = (req.user_id,)
    if req.team_id:
        sql += " AND (c.team_id=? OR c.team_id='')"
        args += (req.team_id,)
    if not req.include_deleted:
        sql += " AND c.delete_at=0"
    sql += " ORDER BY json_extract(c.data, '$.display_name'), c.name"
    with ctx.store.read() as db:
        found = channels_where(db, sql, args)
    if not found:
        raise ApiFailure(
            404,
            "app.channel.get_channels.not_found.app_error",
            "No channels were found: the user is in no channel of this team (and has no "
            "direct or group messages).",
            detailed_error=f"team_id={req.team_id} user_id={req.user_id}",
        )
    return cp.GetChannelsForTeamForUserResponse(channels=found)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", text.lower()) if w]


def _matches(ch: channel_pb2.Channel, like: str, words: list[str]) -> bool:
    fields = (ch.name, ch.display_name, ch.purpose)
    if any(like in f.lower() for f in fields):
        return True
    have = [w for f in fields for w in _words(f)]
    return bool(words) and all(any(h.startswith(w) for h in have) for w in words)


@emulates("SearchChannels")
def search_channels(ctx: ApiContext, req: cp.SearchChannelsRequest) -> cp.SearchChannelsResponse:
    like = req.term.strip().replace("*", "").lower()
    with ctx.store.read() as db:
        archived = bool(
            server_setting(db, "TeamSettings", "ExperimentalViewArchivedChannels", True)
        )
        found = channels_where(
            db,
            "SELECT data FROM channels WHERE team_id=? AND type='O'"
            + ("" if archived else " AND delete_at=0")
            + _ORDER,
            (req.team_id,),
        )
    if like:
        words = _words(like)
        found = [ch for ch in found if _matches(ch, like, words)]
    return cp.SearchChannelsResponse(channels=found[:SEARCH_LIMIT])


@emulates("GetChannelStats")
def get_channel_stats(
    ctx: ApiContext, req: cp.GetChannelStatsRequest
) -> cp.GetChannelStatsResponse:
    with ctx.store.read() as db:
        members = db.execute(
            "SELECT count(*) FROM channel_members m JOIN users u ON u.id=m.user_id "
            "WHERE m.channel_id=? AND u.delete_at=0",
            (req.channel_id,),
        ).fetchone()[0]
    # The plugin API counts the members twice, once as guests, and fills nothing else.
    stats = cp.ChannelStats(channel_id=req.channel_id, member_count=members, guest_count=members)
    return cp.GetChannelStatsResponse(channel_stats=stats)
