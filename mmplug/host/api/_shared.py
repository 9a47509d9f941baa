"""Shared channel rows: remotes, shared channels, invitations (shared by the two areas)."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._entities import get_channel, save_channel
from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiFailure
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import hooks_command_pb2 as hc

SITE_URL_PLUGIN_PREFIX = "plugin_"


def find_remote(
    db: sqlite3.Connection, where: str, args: tuple[object, ...]
) -> hc.RemoteCluster | None:
    row = db.execute(f"SELECT data FROM remote_clusters WHERE {where}", args).fetchone()
    return None if row is None else load(hc.RemoteCluster, row["data"])


def get_remote(db: sqlite3.Connection, remote_id: str) -> hc.RemoteCluster:
    """The remote, unless unknown or unregistered (the server keeps those, deleted)."""
    remote = find_remote(db, "remote_id=?", (remote_id,))
    if remote is None or remote.delete_at:
        raise ApiFailure(
            404,
            "app.remote_cluster.get.app_error",
            "Unable to find the remote cluster.",
            detailed_error=f"remote_id={remote_id}",
        )
    return remote


def save_remote(db: sqlite3.Connection, remote: hc.RemoteCluster) -> None:
    db.execute(
        "INSERT INTO remote_clusters(remote_id, plugin_id, data) VALUES(?,?,?) "
        "ON CONFLICT(remote_id) DO UPDATE SET plugin_id=excluded.plugin_id, "
        "data=excluded.data",
        (remote.remote_id, remote.plugin_id, dump(remote)),
    )


def find_shared(db: sqlite3.Connection, channel_id: str) -> rem.SharedChannel | None:
    row = db.execute(
        "SELECT data FROM shared_channels WHERE channel_id=?", (channel_id,)
    ).fetchone()
    return None if row is None else load(rem.SharedChannel, row["data"])


def get_shared(db: sqlite3.Connection, channel_id: str) -> rem.SharedChannel:
    shared = find_shared(db, channel_id)
    if shared is None:
        raise ApiFailure(
            400,
            "app.shared_channel.not_shared.app_error",
            "The channel is not shared; share it first (ShareChannel, or "
            "InviteRemoteToChannel with share_if_not_shared).",
            detailed_error=f"channel_id={channel_id}",
        )
    return shared


def save_shared(db: sqlite3.Connection, shared: rem.SharedChannel) -> None:
    db.execute(
        "INSERT INTO shared_channels(channel_id, data) VALUES(?,?) ON CONFLICT(channel_id) "
        "DO UPDATE SET data=excluded.data",
        (shared.channel_id, dump(shared)),
    )


def set_channel_shared(db: sqlite3.Connection, channel_id: str, shared: bool, now: int) -> None:
    channel = get_channel(db, channel_id)
    channel.shared, channel.update_at = shared, now
    save_channel(db, channel)
