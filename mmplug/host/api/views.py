"""Read-only views of the store for the Plugin Explorer (its chat and its State pages).

The explorer shows the fake host's state as stored; these are its queries, kept beside the
API emulation's own so that SQL lives in the store and the emulation only. Each returns the
rows (``sqlite3.Row``: columns by name) the explorer turns into JSON; nothing here writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mmplug.host.store import Store

ROWS_MAX = 1000  # the most rows one page of a view returns


def _rows(store: Store, sql: str, *args: Any) -> list[Any]:
    with store.read() as db:
        return list(db.execute(sql, args).fetchall())


def _limit(limit: int) -> int:
    return max(1, min(limit, ROWS_MAX))


def users(store: Store) -> list[Any]:
    """Every user (``data``, ``delete_at``, ``is_bot``) by username."""
    return _rows(store, "SELECT data, delete_at, is_bot FROM users ORDER BY username")


def teams_alive(store: Store) -> list[Any]:
    """The teams not deleted (``data``) by name."""
    return _rows(store, "SELECT data FROM teams WHERE delete_at=0 ORDER BY name")


def channel_members(store: Store) -> list[Any]:
    """Every (``channel_id``, ``user_id``) membership."""
    return _rows(store, "SELECT channel_id, user_id FROM channel_members")


def channels(store: Store, *, by_team: bool = False) -> list[Any]:
    """Every channel (``data``, ``delete_at``), by type and name (or by team and name)."""
    order = "team_id, name" if by_team else "type, name"
    return _rows(store, f"SELECT data, delete_at FROM channels ORDER BY {order}")


def slash_commands(store: Store) -> list[Any]:
    """The registered slash commands (``plugin_id``, ``team_id``, ``data``), in order."""
    return _rows(store, "SELECT plugin_id, team_id, data FROM plugin_slash_commands "
                        "ORDER BY rowid")


def posts(store: Store, channel_id: str = "", limit: int = 200, *,
          deleted: bool = True) -> list[Any]:
    """The newest stored posts (``data``, ``delete_at``, ``update_at``), newest first; of one
    channel when ``channel_id`` is given; without the deleted ones when ``deleted`` is False."""
    sql = "SELECT data, delete_at, update_at FROM posts WHERE ephemeral=0"
    args: list[Any] = []
    if channel_id:
        sql += " AND channel_id=?"
        args.append(channel_id)
    if not deleted:
        sql += " AND delete_at=0"
    return _rows(store, sql + " ORDER BY create_at DESC, rowid DESC LIMIT ?", *args,
                 _limit(limit))


def reactions_of(store: Store, post_ids: list[str]) -> list[Any]:
    """The live reactions (``data``) to the posts ``post_ids``, oldest first."""
    if not post_ids:
        return []
    marks = ",".join("?" * len(post_ids))
    return _rows(store, f"SELECT data FROM reactions WHERE post_id IN ({marks}) "
                        "AND delete_at=0 ORDER BY create_at", *post_ids)


def events(store: Store, *, kinds: tuple[str, ...] = (), after: int = 0,
           limit: int = 200, oldest_first: bool = False) -> list[Any]:
    """Captured side effects (``seq``, ``plugin_id``, ``kind``, ``payload``, ``created_at``)
    after ``after``, of ``kinds`` when given; newest first unless ``oldest_first``."""
    sql = "SELECT seq, plugin_id, kind, payload, created_at FROM events WHERE seq > ?"
    args: list[Any] = [after]
    if kinds:
        sql += f" AND kind IN ({','.join('?' * len(kinds))})"
        args.extend(kinds)
    if oldest_first:  # all of them (the ephemeral posts a user was sent, replayed in order)
        return _rows(store, sql + " ORDER BY seq ASC", *args)
    return _rows(store, sql + " ORDER BY seq DESC LIMIT ?", *args, _limit(limit))


def kv_alive(store: Store, plugin_id: str, now_ms: int) -> list[Any]:
    """``plugin_id``'s KV entries not expired at ``now_ms`` (``key``, ``value``,
    ``expire_at``), by key."""
    return _rows(store, "SELECT key, value, expire_at FROM kv WHERE plugin_id=? "
                        "AND (expire_at = 0 OR expire_at > ?) ORDER BY key", plugin_id, now_ms)


def files(store: Store, limit: int = 500) -> list[Any]:
    """The newest stored files (``id``, ``data``, ``size`` of the content)."""
    return _rows(store, "SELECT id, data, length(content) AS size FROM files "
                        "ORDER BY rowid DESC LIMIT ?", limit)


def file(store: Store, file_id: str) -> Any:
    """One stored file (``data``, ``content``), or None."""
    rows = _rows(store, "SELECT data, content FROM files WHERE id=?", file_id)
    return rows[0] if rows else None


def plugin_config(store: Store, plugin_id: str) -> Any:
    """The saved settings of ``plugin_id`` (``data``), or None."""
    rows = _rows(store, "SELECT data FROM plugin_config WHERE plugin_id=?", plugin_id)
    return rows[0] if rows else None
