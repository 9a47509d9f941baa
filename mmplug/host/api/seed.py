"""Writing a validated world into an empty store, in one transaction (the API emulation owns
the tables: the world's users, teams and channels are written as its methods would make them)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format

from mmplug.host.api import _convert as conv
from mmplug.host.api.teams import new_team_member
from mmplug.host.api.teams_members import new_channel_member
from mmplug.host.api.users import fill_new_user
from mmplug.host.worlds._check import CHANNEL_EXTRAS, TEAM_EXTRAS, USER_EXTRAS
from mmplug.protocol import (
    api_file_bot_pb2,
    api_user_team_pb2,
    channel_pb2,
    team_pb2,
    user_pb2,
)

if TYPE_CHECKING:
    from mmplug.host.store import Store
    from mmplug.host.world import World


def _parse(cls: Any, item: dict[str, Any], extras: set[str]) -> Any:
    msg = cls()
    json_format.ParseDict({k: v for k, v in item.items() if k not in extras}, msg)
    return msg


def _member(item: Any) -> tuple[str, bool]:
    if isinstance(item, dict):
        return item["username"], bool(item.get("admin", False))
    return item, False


def group_channel_name(user_ids: list[str]) -> str:
    """The server's name for a group channel: sha1 hex of the sorted member ids."""
    digest = hashlib.sha1(usedforsecurity=False)
    for uid in sorted(user_ids):
        digest.update(uid.encode())
    return digest.hexdigest()


def seed(store: Store, world: World) -> None:
    from mmplug.host.api.config import loaded_config, save_server_config
    from mmplug.host.world import WORLD_META

    now = world.epoch_ms
    with store.tx() as db:
        users = _seed_users(store, db, world, now)
        teams = _seed_teams(store, db, world, users, now)
        labels = _seed_channels(store, db, world, users, teams, now)
        for role, perms in world.roles.items():
            db.execute(
                "INSERT OR REPLACE INTO roles(name, permissions) VALUES(?, ?)",
                (role, json.dumps(sorted(set(perms)))),
            )
        for pref in world.preferences:
            db.execute(
                "INSERT OR REPLACE INTO preferences(user_id, category, name, value) "
                "VALUES(?, ?, ?, ?)",
                (users[pref["username"]], pref["category"], pref["name"], pref["value"]),
            )
        save_server_config(db, loaded_config(world.config, store))
        server = dict(world.server)
        server.setdefault("install_date", now)
        server.setdefault("diagnostic_id", store.new_id())
        store.set_meta("server", server, db)
        meta = {"name": world.name, "seed": world.seed, "epoch_ms": now, "labels": labels}
        store.set_meta(WORLD_META, meta, db)


def _seed_users(store: Store, db: sqlite3.Connection, world: World, now: int) -> dict[str, str]:
    ids: dict[str, str] = {}
    for item in world.users:
        user: user_pb2.User = _parse(user_pb2.User, item, USER_EXTRAS)
        user.id = store.new_id()
        fill_new_user(user, now)
        ids[user.username] = user.id
        db.execute(*conv.insert_sql("users", conv.user_to_row(user)))
        status = api_user_team_pb2.Status(
            user_id=user.id, status=item.get("status", "offline"), last_activity_at=now
        )
        db.execute(*conv.insert_sql("statuses", conv.status_to_row(status)))
    for item in world.users:
        if item.get("is_bot"):
            bot = api_file_bot_pb2.Bot(
                user_id=ids[item["username"]],
                username=item["username"],
                display_name=item.get("first_name", ""),
                description=item.get("bot_description", ""),
                owner_id=ids.get(item.get("bot_owner", ""), ""),
                create_at=now,
                update_at=now,
            )
            db.execute(
                "INSERT INTO bots(user_id, owner_id, data) VALUES(?, ?, ?)",
                (bot.user_id, bot.owner_id, conv.to_json(bot)),
            )
    return ids


def _seed_teams(
    store: Store, db: sqlite3.Connection, world: World, users: dict[str, str], now: int
) -> dict[str, str]:
    ids: dict[str, str] = {}
    for item in world.teams:
        team: team_pb2.Team = _parse(team_pb2.Team, item, TEAM_EXTRAS)
        team.id = store.new_id()
        team.create_at = team.update_at = now
        team.invite_id = team.invite_id or store.new_id()
        if not team.type:
            team.type = team_pb2.TEAM_TYPE_OPEN
        ids[team.name] = team.id
        db.execute(*conv.insert_sql("teams", conv.team_to_row(team)))
        for raw in item.get("members", []):
            username, admin = _member(raw)
            member = new_team_member(team.id, users[username], now, admin=admin)
            db.execute(*conv.insert_sql("team_members", conv.team_member_to_row(member)))
    return ids


def _seed_channels(
    store: Store,
    db: sqlite3.Connection,
    world: World,
    users: dict[str, str],
    teams: dict[str, str],
    now: int,
) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in world.channels:
        channel: channel_pb2.Channel = _parse(channel_pb2.Channel, item, CHANNEL_EXTRAS)
        channel.id = store.new_id()
        channel.type = conv.LETTER_CHANNEL_TYPES[item["type"]]  # type: ignore[assignment]
        channel.create_at = channel.update_at = now
        members = [_member(m) for m in item.get("members", [])]
        member_ids = [users[name] for name, _ in members]
        if item["type"] in ("O", "P"):
            channel.team_id = teams[item["team"]]
        elif item["type"] == "D":
            channel.name = "__".join(sorted(member_ids))
        else:
            channel.name = group_channel_name(member_ids)
            channel.display_name = ", ".join(sorted(name for name, _ in members))
        if item["type"] in ("D", "G"):
            labels["__".join(sorted(name for name, _ in members))] = channel.id
        channel.creator_id = users.get(item.get("creator", ""), "")
        db.execute(*conv.insert_sql("channels", conv.channel_to_row(channel)))
        for (_name, admin), uid in zip(members, member_ids, strict=True):
            member = new_channel_member(channel.id, uid, now, admin=admin)
            db.execute(*conv.insert_sql("channel_members", conv.channel_member_to_row(member)))
    return labels
