"""The store as the tool's own parts read and write it, outside a plugin's API call.

The session, the dev loop, ``mmplug fire`` and the pytest harness look things up in the store
too (the user ``--as`` names, the slash commands a plugin registered, a KV value a test
seeds); their SQL lives here, beside the API emulations that own the tables, so that raw SQL
is found in :mod:`mmplug.host.store` and :mod:`mmplug.host.api` only. Imports nothing heavy:
a cold ``mmplug fire`` runs some of these.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmplug.host.store import Store


def _entities(store: Store, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows as dicts: the entity JSON of a ``data`` column, else the columns themselves."""
    with store.read() as db:
        found = db.execute(sql, args).fetchall()
    return [json.loads(r["data"]) if "data" in r.keys() else dict(r) for r in found]


# -- the world, as ``mmplug fire`` picks a scene from it (entities in their JSON form) ---------
def user_count(store: Store) -> int:
    with store.read() as db:
        return int(db.execute("SELECT count(*) FROM users").fetchone()[0])


def live_users(store: Store, *, humans: bool = False) -> list[dict[str, Any]]:
    """Users not deleted (``humans``: no bots), by username."""
    bots = " AND is_bot = 0" if humans else ""
    return _entities(store, f"SELECT data FROM users WHERE delete_at = 0{bots} ORDER BY username")


def channels_named(store: Store, name: str, channel_id: str) -> list[dict[str, Any]]:
    return _entities(store, "SELECT data FROM channels WHERE name = ? OR id = ? ORDER BY team_id",
                     name, channel_id)


def channels_of_type(store: Store, *types: str) -> list[dict[str, Any]]:
    """Channels of the given types ("O" open, "P" private), by name."""
    marks = ", ".join("?" for _ in types)
    return _entities(store, f"SELECT data FROM channels WHERE type IN ({marks}) ORDER BY name",
                     *types)


def teams(store: Store, *, name: str | None = None, team_id: str | None = None
          ) -> list[dict[str, Any]]:
    """Teams by name; only the one named ``name`` or with id ``team_id`` when given."""
    if name is not None:
        return _entities(store, "SELECT data FROM teams WHERE name = ?", name)
    if team_id is not None:
        return _entities(store, "SELECT data FROM teams WHERE id = ?", team_id)
    return _entities(store, "SELECT data FROM teams ORDER BY name")


def preferences_of(store: Store, user_id: str) -> list[dict[str, Any]]:
    return _entities(store, "SELECT user_id, category, name, value FROM preferences "
                     "WHERE user_id = ? ORDER BY category, name", user_id)


def world_ids(store: Store) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str, str]]]:
    """The ids of the world's entities: users by username, teams by name, and the open and
    private channels as (id, team id, name)."""
    with store.read() as db:
        users = {r["username"]: r["id"] for r in db.execute("SELECT id, username FROM users")}
        teams = {r["name"]: r["id"] for r in db.execute("SELECT id, name FROM teams")}
        channels = [(r["id"], r["team_id"], r["name"]) for r in db.execute(
            "SELECT id, team_id, name, type FROM channels WHERE type IN ('O','P')")]
    return users, teams, channels


# -- users ---------------------------------------------------------------------------------
def user_by_name(store: Store, who: str) -> tuple[str, str] | None:
    """(id, username) of the user whose id or username is ``who``, or None."""
    with store.read() as db:
        row = db.execute("SELECT id, username FROM users WHERE id = ? OR username = ?",
                         (who, who)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def some_usernames(store: Store, limit: int = 8) -> list[str]:
    """The first ``limit`` usernames in order (for "users: ..." hints)."""
    with store.read() as db:
        return [str(r[0]) for r in
                db.execute("SELECT username FROM users ORDER BY username LIMIT ?", (limit,))]


def user_id_named(store: Store, who: str) -> str | None:
    """The id of the user whose id or username (any case) is ``who``."""
    with store.read() as db:
        row = db.execute("SELECT id FROM users WHERE id=? OR username=?",
                         (who, who.lower())).fetchone()
    return None if row is None else str(row[0])


def usernames_alive(store: Store, limit: int = 12) -> list[str]:
    """The usernames of users not deleted, in order (for "users: ..." hints)."""
    with store.read() as db:
        return [str(r[0]) for r in db.execute("SELECT username FROM users WHERE delete_at=0 "
                                              "ORDER BY username LIMIT ?", (limit,))]


# -- channels and teams ----------------------------------------------------------------------
def channel_team(store: Store, channel_id: str) -> str | None:
    """The team of channel ``channel_id`` ("" for a direct or group channel; None when there
    is no such channel)."""
    with store.read() as db:
        row = db.execute("SELECT team_id FROM channels WHERE id=?", (channel_id,)).fetchone()
    return None if row is None else str(row[0] or "")


def first_team_of(store: Store, user_id: str) -> str:
    """The first team (by id) ``user_id`` is a member of, "" for none."""
    with store.read() as db:
        row = db.execute("SELECT team_id FROM team_members WHERE user_id=? AND delete_at=0 "
                         "ORDER BY team_id LIMIT 1", (user_id,)).fetchone()
    return str(row[0]) if row is not None else ""


def post_author(store: Store, post_id: str) -> str | None:
    """The author of the post ``post_id``; None when there is no such post or it is deleted."""
    with store.read() as db:
        row = db.execute("SELECT user_id FROM posts WHERE id=? AND delete_at=0",
                         (post_id,)).fetchone()
    return None if row is None else str(row[0])


def channel_id_named(store: Store, wanted: str, name: str, team: str) -> str | None:
    """The channel whose id is ``wanted``, else the one named ``name`` (in team ``team`` when
    given; in several teams, the first team's by team name)."""
    with store.read() as db:
        row = db.execute("SELECT id FROM channels WHERE id=?", (wanted,)).fetchone()
        if row is None:
            sql = ("SELECT c.id FROM channels c LEFT JOIN teams t ON t.id=c.team_id "
                   "WHERE c.name=?")
            args: list[str] = [name]
            if team:
                sql, args = sql + " AND t.name=?", [*args, team]
            row = db.execute(sql + " ORDER BY t.name LIMIT 1", args).fetchone()
    return None if row is None else str(row[0])


def channel_names(store: Store, limit: int = 12) -> list[str]:
    """The names of the open and private channels, in order (for "channels: ..." hints)."""
    with store.read() as db:
        return [str(r[0]) for r in db.execute("SELECT name FROM channels WHERE type IN "
                                              "('O','P') ORDER BY name LIMIT ?", (limit,))]


def remove_channel_member(store: Store, channel_id: str, user_id: str) -> bool:
    """Take ``user_id`` out of the channel; whether they were in it."""
    with store.tx() as db:
        gone = db.execute("DELETE FROM channel_members WHERE channel_id=? AND user_id=?",
                          (channel_id, user_id)).rowcount
    return bool(gone)


# -- events -------------------------------------------------------------------------------------
def event_payload(store: Store, seq: int, kind: str) -> Any:
    """The payload of event ``seq`` of kind ``kind`` (JSON), or None."""
    with store.read() as db:
        row = db.execute("SELECT payload FROM events WHERE seq=? AND kind=?",
                         (seq, kind)).fetchone()
    return None if row is None else json.loads(row[0])


# -- slash commands --------------------------------------------------------------------------
def slash_triggers(store: Store, plugin_id: str) -> list[str]:
    """The triggers of the slash commands ``plugin_id`` registered, in order."""
    with store.read() as db:
        rows = db.execute("SELECT DISTINCT trigger FROM plugin_slash_commands "
                          "WHERE plugin_id = ? ORDER BY trigger", (plugin_id,)).fetchall()
    return [str(r[0]) for r in rows]


def forget_slash_commands(store: Store, plugin_id: str) -> None:
    """The server forgets a plugin's slash commands when it deactivates the plugin."""
    with store.tx() as db:
        db.execute("DELETE FROM plugin_slash_commands WHERE plugin_id=?", (plugin_id,))


# -- KV store and plugin settings (the pytest harness seeds and reads them) -------------------
def kv_value(store: Store, plugin_id: str, key: str, *, now: int | None = None
             ) -> bytes | None:
    """The value of ``key``; with ``now``, None for an entry expired by then (as the plugin
    would see it)."""
    with store.read() as db:
        row = db.execute("SELECT value FROM kv WHERE plugin_id=? AND key=? "
                         "AND (expire_at = 0 OR expire_at > ?)",
                         (plugin_id, key, -1 if now is None else now)).fetchone()
    return None if row is None else bytes(row[0])


def kv_set(store: Store, plugin_id: str, key: str, value: bytes) -> None:
    """Set ``key`` to ``value`` (no expiry), replacing what was there."""
    with store.tx() as db:
        db.execute("INSERT INTO kv(plugin_id, key, value, expire_at) VALUES(?, ?, ?, 0) "
                   "ON CONFLICT(plugin_id, key) DO UPDATE SET value=excluded.value, "
                   "expire_at=0", (plugin_id, key, value))


def kv_keys(store: Store, plugin_id: str, *, now: int | None = None) -> list[str]:
    """The plugin's keys, sorted; with ``now``, without the entries expired by then."""
    with store.read() as db:
        return [str(r[0]) for r in
                db.execute("SELECT key FROM kv WHERE plugin_id=? AND (expire_at = 0 OR "
                           "expire_at > ?) ORDER BY key",
                           (plugin_id, -1 if now is None else now))]


def purge_expired_kv(store: Store, now: int) -> int:
    """Delete every plugin's KV entries that expired by ``now`` (what the clock does when it
    moves past them); how many went."""
    with store.tx() as db:
        return int(db.execute("DELETE FROM kv WHERE expire_at != 0 AND expire_at <= ?",
                              (now,)).rowcount)


def server_config_section(store: Store, name: str) -> dict[str, Any]:
    """One section of the server configuration (``DataRetentionSettings``), {} when absent."""
    from mmplug.host.api.config import load_server_config

    with store.read() as db:
        section = load_server_config(db).get(name)
    return section if isinstance(section, dict) else {}


def update_plugin_settings(store: Store, plugin_id: str, settings: dict[str, Any]
                           ) -> dict[str, Any]:
    """Merge ``settings`` into the plugin's saved settings (as an admin saving them in the
    System Console); returns them all."""
    from mmplug.host.api.config import save_plugin_settings

    with store.tx() as db:
        row = db.execute("SELECT data FROM plugin_config WHERE plugin_id=?",
                         (plugin_id,)).fetchone()
        current: dict[str, Any] = json.loads(row[0]) if row else {}
        current.update(settings)
        save_plugin_settings(db, plugin_id, current)
    return current


def stored_posts(store: Store, channel_id: str | None, *, ephemeral: bool) -> list[Any]:
    """Stored posts (Post messages), oldest first; ``ephemeral`` picks those or the others."""
    from mmplug.host.api._convert import post_from_row

    sql = "SELECT * FROM posts WHERE ephemeral=?"
    args: list[Any] = [int(ephemeral)]
    if channel_id is not None:
        sql += " AND channel_id=?"
        args.append(channel_id)
    with store.read() as db:
        rows = db.execute(sql + " ORDER BY create_at, rowid", args).fetchall()
    return [post_from_row(r) for r in rows]
