"""The store as the tool's own parts read and write it, outside a plugin's API call.

The session, the dev loop, ``mmplug fire`` and the pytest harness look things up in the store
too (the user ``--as`` names, the slash commands a plugin registered, a KV value a test
seeds); their SQL lives here, beside the API emulations that own the tables, so that raw SQL
is found in :mod:`mmplug.host.store` and :mod:`mmplug.host.api` only. Imports nothing heavy:
a cold ``mmplug fire`` runs some of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmplug.host.store import Store


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
def kv_value(store: Store, plugin_id: str, key: str) -> bytes | None:
    with store.read() as db:
        row = db.execute("SELECT value FROM kv WHERE plugin_id=? AND key=?",
                         (plugin_id, key)).fetchone()
    return None if row is None else bytes(row[0])


def kv_set(store: Store, plugin_id: str, key: str, value: bytes) -> None:
    """Set ``key`` to ``value`` (no expiry), replacing what was there."""
    with store.tx() as db:
        db.execute("INSERT INTO kv(plugin_id, key, value, expire_at) VALUES(?, ?, ?, 0) "
                   "ON CONFLICT(plugin_id, key) DO UPDATE SET value=excluded.value, "
                   "expire_at=0", (plugin_id, key, value))


def kv_keys(store: Store, plugin_id: str) -> list[str]:
    with store.read() as db:
        return [str(r[0]) for r in
                db.execute("SELECT key FROM kv WHERE plugin_id=? ORDER BY key", (plugin_id,))]


def plugin_config_text(store: Store, plugin_id: str) -> str | None:
    """The plugin's saved settings as stored (JSON text), or None."""
    with store.read() as db:
        row = db.execute("SELECT data FROM plugin_config WHERE plugin_id=?",
                         (plugin_id,)).fetchone()
    return None if row is None else str(row[0])


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
