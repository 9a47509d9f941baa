"""Row <-> protobuf conversions for the store's entity tables (the one place for them).

Each entity row keeps its lookup columns plus ``data``: the whole entity in protobuf's JSON
mapping with proto field names. ``<entity>_to_row(msg)`` returns a dict of column values
ready for ``INSERT``; ``<entity>_from_row(row)`` rebuilds the message from ``data`` (columns
that may be updated on their own, such as ``delete_at``, win over ``data``).

    user, team, team_member, channel, channel_member, post, status, preference

``insert_sql(table, row)`` / ``upsert_sql(table, row, key)`` build the statements, so call
sites never spell column lists twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from mmplug.host.api._pbjson import model_json
from mmplug.protocol import (
    api_channel_post_pb2,
    api_remaining_pb2,
    api_user_team_pb2,
    channel_pb2,
    post_pb2,
    team_pb2,
    user_pb2,
)

M = TypeVar("M", bound=Message)
Row = Mapping[str, Any] | sqlite3.Row

CHANNEL_TYPE_LETTERS: dict[int, str] = {
    channel_pb2.CHANNEL_TYPE_OPEN: "O",
    channel_pb2.CHANNEL_TYPE_PRIVATE: "P",
    channel_pb2.CHANNEL_TYPE_DIRECT: "D",
    channel_pb2.CHANNEL_TYPE_GROUP: "G",
}
LETTER_CHANNEL_TYPES: dict[str, int] = {v: k for k, v in CHANNEL_TYPE_LETTERS.items()}
# Channel.IsGroupOrDirect: the channel types that belong to no team.
DIRECT_OR_GROUP = (channel_pb2.CHANNEL_TYPE_DIRECT, channel_pb2.CHANNEL_TYPE_GROUP)
TEAM_TYPE_LETTERS: dict[int, str] = {team_pb2.TEAM_TYPE_OPEN: "O", team_pb2.TEAM_TYPE_INVITE: "I"}


# -- generic helpers ---------------------------------------------------------------------
def to_json(msg: Message) -> str:
    """The message in protobuf JSON mapping (proto field names), compact and key-sorted."""
    data = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def from_json(cls: type[M], data: str | bytes | Mapping[str, Any]) -> M:
    """Parse ``data`` (JSON text or an already-decoded dict) into a new ``cls``.

    Stored rows are read far more often than they change (the same user, channel and team on
    every post), and protobuf's JSON parser is pure Python: a row's text is parsed once and kept
    as the message's wire bytes, which make a fresh message at C speed (a bounded cache keyed by
    the exact text, so a changed row is simply a new key)."""
    if isinstance(data, str):
        return cls.FromString(_wire_of(cls, data))
    decoded = json.loads(data) if isinstance(data, bytes) else dict(data)
    msg = cls()
    json_format.ParseDict(decoded, msg, ignore_unknown_fields=True)
    return msg


_WIRE: dict[tuple[str, str], bytes] = {}
_WIRE_MAX = 4096  # rows; the cache starts over when full


def _wire_of(cls: type[Message], text: str) -> bytes:
    key = (cls.DESCRIPTOR.full_name, text)
    wire = _WIRE.get(key)
    if wire is None:
        msg = cls()
        json_format.ParseDict(json.loads(text), msg, ignore_unknown_fields=True)
        wire = msg.SerializeToString()
        if len(_WIRE) >= _WIRE_MAX:  # a race here only parses a row once more
            _WIRE.clear()
        _WIRE[key] = wire
    return wire


def to_dict(msg: Message) -> dict[str, Any]:
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)


def channel_json(channel: channel_pb2.Channel) -> str:
    """The channel as the server puts it into its ``channel_updated`` event: the JSON text of
    the whole model (the type as its letter)."""
    return model_json(channel, names={"auto_translation": "autotranslation"},
                      type=CHANNEL_TYPE_LETTERS.get(channel.type, ""))


def team_json(team: team_pb2.Team) -> str:
    """The team as the server puts it into its team events: the JSON text of the whole model
    (the type as its letter, no ``last_team_icon_update`` while it is 0, a scheme, group
    constraint or policy never set as null)."""
    return model_json(team, frozenset({"last_team_icon_update"}),
                      type=TEAM_TYPE_LETTERS.get(team.type, ""))


def _get(row: Row, key: str, default: Any = None) -> Any:
    try:
        return row[key]
    except (KeyError, IndexError):
        return default


def insert_sql(table: str, row: Mapping[str, Any]) -> tuple[str, tuple[Any, ...]]:
    cols = list(row)
    marks = ", ".join("?" for _ in cols)
    sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({marks})'
    return sql, tuple(row[c] for c in cols)


def upsert_sql(
    table: str, row: Mapping[str, Any], key: Sequence[str]
) -> tuple[str, tuple[Any, ...]]:
    """INSERT ... ON CONFLICT(key) DO UPDATE of every non-key column."""
    sql, params = insert_sql(table, row)
    updates = ", ".join(f"{c}=excluded.{c}" for c in row if c not in key)
    conflict = f" ON CONFLICT({', '.join(key)}) DO "
    sql += conflict + (f"UPDATE SET {updates}" if updates else "NOTHING")
    return sql, params


def update_sql(
    table: str, row: Mapping[str, Any], key: Sequence[str]
) -> tuple[str, tuple[Any, ...]]:
    """UPDATE every non-key column of the row identified by ``key``."""
    sets = [c for c in row if c not in key]
    sql = (
        f'UPDATE "{table}" SET {", ".join(f"{c}=?" for c in sets)} '
        f"WHERE {' AND '.join(f'{k}=?' for k in key)}"
    )
    return sql, tuple(row[c] for c in sets) + tuple(row[k] for k in key)


# -- users -------------------------------------------------------------------------------
def user_to_row(user: user_pb2.User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email.lower(),
        "delete_at": user.delete_at,
        "is_bot": int(user.is_bot),
        "data": to_json(user),
    }


def user_from_row(row: Row) -> user_pb2.User:
    user = from_json(user_pb2.User, row["data"])
    user.delete_at = int(_get(row, "delete_at", user.delete_at) or 0)
    return user


def sanitize_user(user: user_pb2.User) -> user_pb2.User:
    """What the server hands to plugins: never the password hash or the MFA secret."""
    clean = user_pb2.User()
    clean.CopyFrom(user)
    clean.password = ""
    clean.mfa_secret = ""
    return clean


# -- teams -------------------------------------------------------------------------------
def team_to_row(team: team_pb2.Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "delete_at": team.delete_at,
        "data": to_json(team),
    }


def team_from_row(row: Row) -> team_pb2.Team:
    team = from_json(team_pb2.Team, row["data"])
    team.delete_at = int(_get(row, "delete_at", team.delete_at) or 0)
    return team


def team_member_to_row(member: team_pb2.TeamMember) -> dict[str, Any]:
    return {
        "team_id": member.team_id,
        "user_id": member.user_id,
        "delete_at": member.delete_at,
        "data": to_json(member),
    }


def team_member_from_row(row: Row) -> team_pb2.TeamMember:
    member = from_json(team_pb2.TeamMember, row["data"])
    member.delete_at = int(_get(row, "delete_at", member.delete_at) or 0)
    return member


# -- channels ----------------------------------------------------------------------------
def channel_to_row(channel: channel_pb2.Channel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "team_id": channel.team_id,
        "name": channel.name,
        "type": CHANNEL_TYPE_LETTERS.get(channel.type, "O"),
        "delete_at": channel.delete_at,
        "data": to_json(channel),
    }


def channel_from_row(row: Row) -> channel_pb2.Channel:
    channel = from_json(channel_pb2.Channel, row["data"])
    channel.delete_at = int(_get(row, "delete_at", channel.delete_at) or 0)
    return channel


def channel_member_to_row(member: api_channel_post_pb2.ChannelMember) -> dict[str, Any]:
    return {
        "channel_id": member.channel_id,
        "user_id": member.user_id,
        "data": to_json(member),
    }


def channel_member_from_row(row: Row) -> api_channel_post_pb2.ChannelMember:
    return from_json(api_channel_post_pb2.ChannelMember, row["data"])


# -- posts -------------------------------------------------------------------------------
def post_to_row(post: post_pb2.Post, *, ephemeral: bool = False) -> dict[str, Any]:
    return {
        "id": post.id,
        "channel_id": post.channel_id,
        "user_id": post.user_id,
        "root_id": post.root_id,
        "create_at": post.create_at,
        "update_at": post.update_at,
        "delete_at": post.delete_at,
        "ephemeral": int(ephemeral),
        "data": to_json(post),
    }


def post_from_row(row: Row) -> post_pb2.Post:
    post = from_json(post_pb2.Post, row["data"])
    post.delete_at = int(_get(row, "delete_at", post.delete_at) or 0)
    post.update_at = int(_get(row, "update_at", post.update_at) or 0)
    return post


# -- statuses and preferences ----------------------------------------------------------
def status_to_row(status: api_user_team_pb2.Status) -> dict[str, Any]:
    return {"user_id": status.user_id, "data": to_json(status)}


def status_from_row(row: Row) -> api_user_team_pb2.Status:
    return from_json(api_user_team_pb2.Status, row["data"])


def preference_to_row(pref: api_remaining_pb2.Preference) -> dict[str, Any]:
    return {
        "user_id": pref.user_id,
        "category": pref.category,
        "name": pref.name,
        "value": pref.value,
    }


def preference_from_row(row: Row) -> api_remaining_pb2.Preference:
    return api_remaining_pb2.Preference(
        user_id=row["user_id"], category=row["category"], name=row["name"], value=row["value"]
    )
