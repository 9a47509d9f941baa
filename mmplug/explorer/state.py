"""The fake host's state as the explorer shows and edits it.

Reads go to the store; writes go through the emulation (KV through the KV rpcs' own code,
settings through the configuration's save path, which runs ConfigurationWillBeSaved and
OnConfigurationChange as a save in the System Console does) or the store's snapshot and reset
operations that ``mmplug state`` uses.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError, StoreError
from mmplug.host.api import views

if TYPE_CHECKING:
    from mmplug.explorer.backend import Backend

POSTS_SHOWN = 200


class StateError(MmplugError):
    """A state edit that cannot be made (an unknown key, a bad value...)."""

    def __init__(self, message: str, *, status: int = 400, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "")
        self.status = status


def _data(row: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(row["data"])
    return value


# -- the world, for the chat -------------------------------------------------------------------
def world(backend: Backend) -> dict[str, Any]:
    """Users, teams, channels (with their members) and the registered slash commands."""
    users = []
    for row in views.users(backend.store):
        user = _data(row)
        users.append({"id": user.get("id", ""), "username": user.get("username", ""),
                      "nickname": user.get("nickname", ""), "roles": user.get("roles", ""),
                      "is_bot": bool(row["is_bot"]), "deleted": bool(row["delete_at"])})
    teams = [{"id": d.get("id", ""), "name": d.get("name", ""),
              "display_name": d.get("display_name", "")}
             for d in map(_data, views.teams_alive(backend.store))]
    members: dict[str, list[str]] = {}
    for channel_id, user_id in views.channel_members(backend.store):
        members.setdefault(channel_id, []).append(user_id)
    channels = []
    for row in views.channels(backend.store):
        channel = _data(row)
        channels.append({"id": channel.get("id", ""), "team_id": channel.get("team_id", ""),
                         "name": channel.get("name", ""),
                         "display_name": channel.get("display_name", ""),
                         "type": channel.get("type", ""), "archived": bool(row["delete_at"]),
                         "members": members.get(channel.get("id", ""), [])})
    commands = []
    for row in views.slash_commands(backend.store):
        cmd = _data(row)
        commands.append({"trigger": cmd.get("trigger", ""), "team_id": row["team_id"],
                         "plugin_id": row["plugin_id"],
                         "hint": cmd.get("auto_complete_hint", ""),
                         "description": cmd.get("auto_complete_desc", ""),
                         "display_name": cmd.get("display_name", "")})
    return {"users": users, "teams": teams, "channels": channels, "commands": commands}


def channel_posts(backend: Backend, channel_id: str, as_user: str = "",
                  limit: int = POSTS_SHOWN) -> dict[str, Any]:
    """The channel's newest posts (oldest first), their reactions, and the ephemeral posts
    ``as_user`` was sent in it (no one else sees those)."""
    rows = views.posts(backend.store, channel_id, limit, deleted=False)
    posts = []
    for row in reversed(rows):
        post = _data(row)
        post["update_at"] = row["update_at"]
        posts.append(post)
    ids = [p.get("id", "") for p in posts]
    reactions: dict[str, list[dict[str, Any]]] = {}
    for row in views.reactions_of(backend.store, ids):
        reaction = _data(row)
        reactions.setdefault(reaction.get("post_id", ""), []).append(
            {"user_id": reaction.get("user_id", ""), "emoji": reaction.get("emoji_name", "")})
    for post in posts:
        post["reactions"] = reactions.get(post.get("id", ""), [])
    ephemeral = _ephemeral(backend, channel_id, as_user) if as_user else []
    return {"posts": posts, "ephemeral": ephemeral}


def _ephemeral(backend: Backend, channel_id: str, user_id: str) -> list[dict[str, Any]]:
    shown: dict[str, dict[str, Any]] = {}
    for row in views.events(backend.store, kinds=("ephemeral_post",), oldest_first=True):
        payload = json.loads(row["payload"])
        post = payload.get("post") or {}
        if payload.get("user_id") != user_id:
            continue
        key = post.get("id", "") or f"event-{row['seq']}"
        if payload.get("action") == "deleted":
            shown.pop(key, None)
            continue
        if post.get("channel_id", payload.get("channel_id")) != channel_id:
            continue
        shown[key] = dict(post, ephemeral=True)
    return list(shown.values())


def events(backend: Backend, *, kinds: tuple[str, ...] = (), after: int = 0,
           limit: int = 200) -> list[dict[str, Any]]:
    """Captured side effects (WebSocket events, dialogs, mail...), newest first."""
    rows = views.events(backend.store, kinds=kinds, after=after, limit=limit)
    return [{"seq": r["seq"], "plugin_id": r["plugin_id"], "kind": r["kind"],
             "payload": json.loads(r["payload"]), "created_at": r["created_at"]} for r in rows]


# -- KV ----------------------------------------------------------------------------------------
def _shown(value: bytes) -> tuple[str, str]:
    """(encoding, text): ``json`` for a JSON document, ``text`` for other UTF-8, else
    ``base64``."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return "base64", base64.b64encode(value).decode()
    try:
        json.loads(text)
    except ValueError:
        return "text", text
    return "json", text


def kv_list(backend: Backend, plugin_id: str) -> list[dict[str, Any]]:
    now = backend.store.now_ms()
    out = []
    for row in views.kv_alive(backend.store, plugin_id, now):
        encoding, text = _shown(bytes(row["value"]))
        out.append({"key": row["key"], "value": text, "encoding": encoding,
                    "size": len(row["value"]), "expire_at": row["expire_at"]})
    return out


def _value_bytes(value: str, encoding: str) -> bytes:
    if encoding == "base64":
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise StateError("the value is not base64",
                             hint="give base64 text, or choose the text encoding") from None
    if encoding == "json":
        try:
            json.loads(value)
        except ValueError as exc:
            raise StateError(f"the value is not JSON: {exc}",
                             hint="fix the JSON, or choose the text encoding") from None
    elif encoding != "text":
        raise StateError(f"unknown encoding {encoding!r}", hint="use text, json or base64")
    return value.encode("utf-8")


def kv_set(backend: Backend, plugin_id: str, key: str, value: str,
           encoding: str = "text") -> dict[str, Any]:
    """Set a KV value of ``plugin_id`` through KVSet's own code (its key checks included)."""
    from mmplug.host.api._registry import ApiFailure, handler_for
    from mmplug.protocol import api_kv_config_pb2 as pb

    _known_plugin(backend, plugin_id)
    raw = _value_bytes(value, encoding)
    if not raw:
        raise StateError("an empty value deletes the key", hint="use delete instead")
    handler = handler_for("KVSet")
    assert handler is not None
    try:
        backend.run(lambda: handler(backend.host_context(plugin_id),
                                    pb.KVSetRequest(key=key, value=raw)))
    except ApiFailure as exc:
        raise StateError(exc.message) from None
    return {"key": key, "size": len(raw)}


def kv_delete(backend: Backend, plugin_id: str, key: str) -> None:
    from mmplug.host.api._registry import handler_for
    from mmplug.protocol import api_kv_config_pb2 as pb

    _known_plugin(backend, plugin_id)
    handler = handler_for("KVDelete")
    assert handler is not None
    backend.run(lambda: handler(backend.host_context(plugin_id), pb.KVDeleteRequest(key=key)))


def _known_plugin(backend: Backend, plugin_id: str) -> None:
    if plugin_id not in backend.manifests():
        raise StateError(f"no plugin {plugin_id!r} here", status=404,
                         hint="plugins: " + ", ".join(backend.manifests()))


# -- tables ------------------------------------------------------------------------------------
def users(backend: Backend) -> list[dict[str, Any]]:
    out = []
    for row in views.users(backend.store):
        user = _data(row)
        for secret in ("password", "mfa_secret"):
            user.pop(secret, None)
        out.append(user)
    return out


def channels(backend: Backend) -> list[dict[str, Any]]:
    return [_data(r) for r in views.channels(backend.store, by_team=True)]


def posts(backend: Backend, channel_id: str = "", limit: int = POSTS_SHOWN) -> list[dict[str, Any]]:
    return [_data(r) for r in views.posts(backend.store, channel_id, limit)]


def files(backend: Backend) -> list[dict[str, Any]]:
    out = []
    for row in views.files(backend.store):
        info = _data(row)
        info["stored_size"] = row["size"]
        out.append(info)
    return out


def file_content(backend: Backend, file_id: str) -> tuple[str, str, bytes]:
    row = views.file(backend.store, file_id)
    if row is None:
        raise StateError(f"no file {file_id!r}", status=404)
    info = _data(row)
    return (str(info.get("name") or file_id), str(info.get("mime_type") or
                                                   "application/octet-stream"),
            bytes(row["content"]))


# -- plugin settings ---------------------------------------------------------------------------
def settings(backend: Backend, plugin_id: str) -> dict[str, Any]:
    """The manifest's settings (the System Console's form) with the saved values (secrets
    masked as the server masks them)."""
    from mmplug.host.api._secrets import mask_plugin_settings

    _known_plugin(backend, plugin_id)
    manifest = backend.manifests()[plugin_id]
    row = views.plugin_config(backend.store, plugin_id)
    saved: dict[str, Any] = json.loads(row["data"]) if row is not None else {}
    secrets = [str(s["key"]) for s in manifest.settings if s.get("secret") and "key" in s]
    schema = manifest.raw.get("settings_schema")
    return {"plugin_id": plugin_id, "settings": manifest.settings,
            "header": schema.get("header", "") if isinstance(schema, dict) else "",
            "saved": mask_plugin_settings(saved, secrets),
            "defaults": manifest.setting_defaults()}


def save_settings(backend: Backend, plugin_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Save the plugin's settings as the System Console does: the whole (sanitised) config
    with this plugin's settings replaced, through SaveConfig's path (ConfigurationWillBeSaved
    may change or refuse it; masked secrets are kept; OnConfigurationChange for every plugin
    when that changed the configuration)."""
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api._secrets import sanitize
    from mmplug.host.api.config import load_server_config, save_whole_config, secret_keys

    _known_plugin(backend, plugin_id)
    if not isinstance(values, dict):
        raise StateError("settings must be a JSON object of key: value")

    def save() -> None:
        ctx = backend.host_context(plugin_id)
        with backend.store.read() as db:
            config = sanitize(load_server_config(db), {plugin_id: secret_keys(ctx)})
        config["PluginSettings"]["Plugins"][plugin_id] = values
        save_whole_config(ctx, config)

    def act() -> None:
        capture = backend.capture
        if capture is None:
            save()
            return
        with capture.action("save settings", "", plugin_id=plugin_id) as details:
            save()
            details["outcome"] = "saved"

    try:
        backend.run(act)
    except ApiFailure as exc:
        raise StateError(f"the configuration was refused: {exc.message}") from None
    return settings(backend, plugin_id)


# -- snapshots ---------------------------------------------------------------------------------
def snapshot_list(backend: Backend) -> list[dict[str, Any]]:
    from mmplug.host import snapshots

    return [{"name": s.name, "size": s.size, "created": s.created}
            for s in snapshots.list_snapshots(backend.project)]


def snapshot_take(backend: Backend, name: str, *, force: bool = False) -> dict[str, Any]:
    from mmplug.host import snapshots

    dest = snapshots.snapshot_path(backend.project, name)
    if dest.exists() and not force:
        raise StoreError(f"snapshot {name!r} already exists", hint="replace it (force)")
    backend.run(lambda: backend.store.snapshot(dest))
    info = snapshots.info(dest)
    return {"name": info.name, "size": info.size, "created": info.created}


def snapshot_restore(backend: Backend, name: str) -> None:
    """Replace the state with a snapshot; live, the plugins are restarted on it."""
    from mmplug.host import snapshots

    src = snapshots.snapshot_path(backend.project, name)
    if not src.is_file():
        known = ", ".join(s.name for s in snapshots.list_snapshots(backend.project)) or "none"
        raise StoreError(f"no snapshot named {name!r}", hint=f"snapshots: {known}")
    backend.run(lambda: backend.store.restore(src))
    backend.after_restore()


def snapshot_delete(backend: Backend, name: str) -> None:
    from mmplug.host import snapshots

    snapshots.delete(backend.project, name)


def reset(backend: Backend) -> None:
    """Empty the state and (live) seed the world again and restart the plugins, as
    ``mmplug dev --fresh`` starts; offline the next run seeds it (as ``mmplug state reset``)."""
    def run() -> None:
        backend.store.reset()
        session = getattr(backend, "session", None)
        if session is not None:
            session._seed_world()

    backend.run(run)
    backend.after_restore()
