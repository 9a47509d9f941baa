"""Syncing a shared channel to its plugin remotes: SyncSharedChannel sends the posts changed
since each remote's cursor (with their users and reactions) to the remote plugin's
OnSharedChannelsSyncMsg hook and moves the cursor on; UpdateSharedChannelCursor sets it."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from mmplug.host.api import _convert as conv
from mmplug.host.api import _hooks
from mmplug.host.api._commands import plain_error
from mmplug.host.api._entities import post_from_row
from mmplug.host.api._pbjson import go_json, load
from mmplug.host.api._registry import ApiContext, differs, emulates
from mmplug.host.api._shared import find_remote, find_shared
from mmplug.host.hook_wire import error_text, hook_error
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import hooks_command_pb2 as hc
from mmplug.protocol import post_pb2

differs(
    "SyncSharedChannel",
    "The server schedules the sync and answers at once (the remote plugin's "
    "OnSharedChannelsSyncMsg runs later, in the background); mmplug runs it before answering.",
)
BATCH = 100
MAX_BATCHES = 50
_log = logging.getLogger("mmplug.host.api")


@emulates("UpdateSharedChannelCursor")
def update_cursor(
    ctx: ApiContext, req: rem.UpdateSharedChannelCursorRequest
) -> rem.UpdateSharedChannelCursorResponse:
    """Sets where the next sync of the channel to the remote starts. The cursor needs a time
    or a post id (an empty one is refused), and the remote must be invited to the channel;
    both failures are the store's errors without an AppError (500)."""
    cursor = req.cursor
    with ctx.store.tx() as db:
        invited = db.execute(
            "SELECT 1 FROM shared_channel_remotes WHERE channel_id=? AND remote_id=?",
            (req.channel_id, req.remote_id),
        ).fetchone()
        if invited is None:
            raise plain_error(
                "cursor update failed - cannot fetch shared channel remote: "
                f"channel_id={req.channel_id} remote_id={req.remote_id} (not invited)",
                "UpdateSharedChannelCursor",
            )
        if cursor.last_post_update_at <= 0 and not cursor.last_post_id:
            raise plain_error(
                "cursor empty: give last_post_update_at (1 re-syncs everything) or last_post_id",
                "UpdateSharedChannelCursor",
            )
        db.execute(
            "UPDATE shared_channel_remotes SET last_post_update_at=?, last_post_id=? "
            "WHERE channel_id=? AND remote_id=?",
            (cursor.last_post_update_at, cursor.last_post_id, req.channel_id, req.remote_id),
        )
    return rem.UpdateSharedChannelCursorResponse()


def _batch(
    db: sqlite3.Connection, channel_id: str, remote_id: str, since: int, after_id: str
) -> list[post_pb2.Post]:
    rows = db.execute(
        "SELECT * FROM posts WHERE channel_id=? AND ephemeral=0 AND "
        "(update_at>? OR (update_at=? AND id>?)) ORDER BY update_at, id LIMIT ?",
        (channel_id, since, since, after_id, BATCH),
    ).fetchall()
    posts = [post_from_row(r) for r in rows]
    return [p for p in posts if p.remote_id != remote_id]  # not back to where it came from


def _sync_msg(
    db: sqlite3.Connection, msg_id: str, channel_id: str, posts: list[post_pb2.Post]
) -> bytes:
    users: dict[str, Any] = {}
    for uid in {p.user_id for p in posts}:
        row = db.execute("SELECT * FROM users WHERE id=?", (uid,)).fetchone()
        if row is not None:
            users[uid] = go_json(conv.sanitize_user(conv.user_from_row(row)))
    marks = ",".join("?" for _ in posts)
    # removed reactions go too (with their delete_at), so the remote removes them as well
    reactions = [
        go_json(load(post_pb2.Reaction, r["data"]))
        for r in db.execute(
            f"SELECT data FROM reactions WHERE post_id IN ({marks})", [p.id for p in posts]
        )
    ]
    doc = {
        "id": msg_id,
        "channel_id": channel_id,
        "users": users,
        "posts": [go_json(p) for p in posts],
        "reactions": reactions,
    }
    return json.dumps(doc).encode()


def _sync_remote(ctx: ApiContext, channel_id: str, remote: hc.RemoteCluster) -> None:
    for _ in range(MAX_BATCHES):
        with ctx.store.read() as db:
            row = db.execute(
                "SELECT last_post_update_at, last_post_id FROM "
                "shared_channel_remotes WHERE channel_id=? AND remote_id=?",
                (channel_id, remote.remote_id),
            ).fetchone()
            posts = _batch(db, channel_id, remote.remote_id, row[0], row[1])
            if not posts:
                return
            payload = _sync_msg(db, ctx.new_id(), channel_id, posts)
        request = hc.OnSharedChannelsSyncMsgRequest(
            context=_hooks.request_context(ctx),
            sync_msg=hc.SyncMsgJson(sync_msg_json=payload),
            remote_cluster=remote,
        )
        answers = _hooks.fire(ctx, "OnSharedChannelsSyncMsg", request, plugin_id=remote.plugin_id)
        error = hook_error(answers[0][1]) if answers else None
        if not answers or error is not None:  # the server retries later
            _log.warning(
                "sync of channel %s to remote %s did not complete%s", channel_id,
                remote.remote_id, f": {error_text(error)}" if error is not None else "",
            )
            return
        last = posts[-1]
        with ctx.store.tx() as db:
            db.execute(
                "UPDATE shared_channel_remotes SET last_post_update_at=?, last_post_id=? "
                "WHERE channel_id=? AND remote_id=?",
                (last.update_at, last.id, channel_id, remote.remote_id),
            )


@emulates("SyncSharedChannel")
def sync_shared_channel(
    ctx: ApiContext, req: rem.SyncSharedChannelRequest
) -> rem.SyncSharedChannelResponse:
    """Never an error: a channel that is not shared (or does not exist) has nothing to
    send, and a remote that unregistered is skipped."""
    with ctx.store.read() as db:
        if find_shared(db, req.channel_id) is None:
            return rem.SyncSharedChannelResponse()
        ids = [
            r[0]
            for r in db.execute(
                "SELECT remote_id FROM shared_channel_remotes WHERE "
                "channel_id=? ORDER BY create_at",
                (req.channel_id,),
            )
        ]
        remotes = [find_remote(db, "remote_id=?", (rid,)) for rid in ids]
    for remote in remotes:
        if remote is not None and remote.plugin_id and not remote.delete_at:
            _sync_remote(ctx, req.channel_id, remote)
    return rem.SyncSharedChannelResponse()
