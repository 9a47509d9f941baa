"""Rows <-> protobuf entities for channels, channel members, posts (and user/team lookups).

The one place the channel/post areas read and write these tables; call sites never touch
``data`` JSON directly. Lookups raise the server's 404 ``ApiFailure`` when a row is missing.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _convert as cv
from mmplug.host.api._registry import ApiFailure
from mmplug.protocol import (
    api_channel_post_pb2 as cp,
)
from mmplug.protocol import (
    channel_pb2,
    post_pb2,
    team_pb2,
    user_pb2,
)

Channel = channel_pb2.Channel
T = channel_pb2.ChannelType
TYPE_LETTER = {
    T.CHANNEL_TYPE_OPEN: "O",
    T.CHANNEL_TYPE_PRIVATE: "P",
    T.CHANNEL_TYPE_DIRECT: "D",
    T.CHANNEL_TYPE_GROUP: "G",
}


# -- channels ----------------------------------------------------------------------------
channel_from_row = cv.channel_from_row
member_from_row = cv.channel_member_from_row
post_from_row = cv.post_from_row


def save_channel(db: sqlite3.Connection, ch: channel_pb2.Channel) -> None:
    """Insert or replace the channel row (lookup columns kept in step with ``data``)."""
    db.execute(*cv.upsert_sql("channels", cv.channel_to_row(ch), ("id",)))


def find_channel(db: sqlite3.Connection, channel_id: str) -> channel_pb2.Channel | None:
    row = db.execute("SELECT data FROM channels WHERE id=?", (channel_id,)).fetchone()
    return None if row is None else channel_from_row(row)


def get_channel(db: sqlite3.Connection, channel_id: str) -> channel_pb2.Channel:
    row = db.execute("SELECT data FROM channels WHERE id=?", (channel_id,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.channel.get.existing.app_error",
            "Unable to find the existing channel.",
            detailed_error=f"channel_id={channel_id}",
        )
    return channel_from_row(row)


def channels_where(db: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> list[Channel]:
    return [channel_from_row(r) for r in db.execute(sql, args).fetchall()]


# -- channel members ---------------------------------------------------------------------
def save_member(db: sqlite3.Connection, member: cp.ChannelMember) -> None:
    db.execute(
        *cv.upsert_sql(
            "channel_members", cv.channel_member_to_row(member), ("channel_id", "user_id")
        )
    )


def find_member(db: sqlite3.Connection, channel_id: str, user_id: str) -> cp.ChannelMember | None:
    row = db.execute(
        "SELECT data FROM channel_members WHERE channel_id=? AND user_id=?", (channel_id, user_id)
    ).fetchone()
    return None if row is None else member_from_row(row)


def get_member(db: sqlite3.Connection, channel_id: str, user_id: str) -> cp.ChannelMember:
    member = find_member(db, channel_id, user_id)
    if member is None:
        raise ApiFailure(
            404,
            "app.channel.get_member.missing.app_error",
            "No channel member found for that user ID and channel ID.",
            detailed_error=f"channel_id={channel_id} user_id={user_id}",
        )
    return member


# -- users and teams (read only here) --------------------------------------------------
def find_user(db: sqlite3.Connection, user_id: str) -> user_pb2.User | None:
    row = db.execute("SELECT data, delete_at FROM users WHERE id=?", (user_id,)).fetchone()
    return None if row is None else cv.user_from_row(row)


def get_user(db: sqlite3.Connection, user_id: str) -> user_pb2.User:
    user = find_user(db, user_id)
    if user is None:
        raise ApiFailure(
            404,
            "app.user.missing_account.const",
            "Unable to find the user.",
            detailed_error=f"user_id={user_id}",
        )
    return user


def get_team(db: sqlite3.Connection, team_id: str) -> team_pb2.Team:
    """The team, or the server's 404 AppError (one definition: the teams area's)."""
    from mmplug.host.api.teams import get_team as teams_get_team

    return teams_get_team(db, team_id)


def get_team_by_name(db: sqlite3.Connection, name: str) -> team_pb2.Team:
    row = db.execute("SELECT data FROM teams WHERE name=?", (name,)).fetchone()
    if row is None:
        raise ApiFailure(
            404,
            "app.team.get_by_name.missing.app_error",
            "Unable to find the existing team.",
            detailed_error=f"name={name}",
        )
    return cv.team_from_row(row)


def is_team_member(db: sqlite3.Connection, team_id: str, user_id: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM team_members WHERE team_id=? AND user_id=? AND delete_at=0",
        (team_id, user_id),
    ).fetchone()
    return row is not None


# -- posts -------------------------------------------------------------------------------
def save_post(db: sqlite3.Connection, post: post_pb2.Post, *, ephemeral: bool = False) -> None:
    db.execute(*cv.upsert_sql("posts", cv.post_to_row(post, ephemeral=ephemeral), ("id",)))


def find_post(
    db: sqlite3.Connection, post_id: str, *, include_deleted: bool = False
) -> post_pb2.Post | None:
    sql = "SELECT data FROM posts WHERE id=? AND ephemeral=0"
    if not include_deleted:
        sql += " AND delete_at=0"
    row = db.execute(sql, (post_id,)).fetchone()
    return None if row is None else post_from_row(row)


def get_post(
    db: sqlite3.Connection, post_id: str, *, include_deleted: bool = False
) -> post_pb2.Post:
    post = find_post(db, post_id, include_deleted=include_deleted)
    if post is None:
        raise ApiFailure(
            404,
            "app.post.get.app_error",
            "Unable to get the post.",
            detailed_error=f"post_id={post_id}",
        )
    return post
