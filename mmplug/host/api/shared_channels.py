"""Shared channels: plugins register as remotes, channels are shared and remotes invited.
Syncing content to a plugin remote lives in ``shared_sync.py``."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._entities import TYPE_LETTER, get_channel
from mmplug.host.api._pbjson import require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api._shared import (
    SITE_URL_PLUGIN_PREFIX,
    find_remote,
    find_shared,
    get_remote,
    get_shared,
    save_remote,
    save_shared,
    set_channel_shared,
)
from mmplug.host.api.channels import validate_channel
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import channel_pb2
from mmplug.protocol import hooks_command_pb2 as hc

DISPLAY_NAME_MAX, PURPOSE_MAX, HEADER_MAX = 64, 250, 1024


@emulates("RegisterPluginForSharedChannels")
def register_plugin(
    ctx: ApiContext, req: rem.RegisterPluginForSharedChannelsRequest
) -> rem.RegisterPluginForSharedChannelsResponse:
    opts = req.opts
    if not opts.plugin_id:
        raise ApiFailure(
            400,
            "app.remote_cluster.register_plugin.plugin_id.app_error",
            "RegisterPluginOpts needs the plugin's id.",
        )
    with ctx.store.tx() as db:
        remote = find_remote(db, "plugin_id=?", (opts.plugin_id,))
        if remote is None:  # idempotent: the same plugin always gets the same remote
            remote = hc.RemoteCluster(
                remote_id=ctx.new_id(),
                name=opts.plugin_id,
                display_name=opts.display_name or opts.plugin_id,
                site_url=SITE_URL_PLUGIN_PREFIX + opts.plugin_id,
                plugin_id=opts.plugin_id,
                token=ctx.new_id(),
                create_at=ctx.now(),
            )
            save_remote(db, remote)
    return rem.RegisterPluginForSharedChannelsResponse(remote_id=remote.remote_id)


@emulates("UnregisterPluginForSharedChannels")
def unregister_plugin(
    ctx: ApiContext, req: rem.UnregisterPluginForSharedChannelsRequest
) -> rem.UnregisterPluginForSharedChannelsResponse:
    with ctx.store.tx() as db:  # its invitations go with it (ON DELETE CASCADE)
        db.execute(
            "DELETE FROM remote_clusters WHERE plugin_id=? AND plugin_id<>''", (req.plugin_id,)
        )
    return rem.UnregisterPluginForSharedChannelsResponse()


def _validate(shared: rem.SharedChannel, channel: channel_pb2.Channel) -> None:
    def bad(field: str, message: str) -> ApiFailure:
        return ApiFailure(
            400, f"model.channel.is_valid.{field}.app_error", message, where="SharedChannel.IsValid"
        )

    probe = channel_pb2.Channel(name=shared.share_name, display_name="x", type=channel.type)
    if channel.type in (channel_pb2.CHANNEL_TYPE_OPEN, channel_pb2.CHANNEL_TYPE_PRIVATE):
        validate_channel(probe)  # share_name follows the channel name rules
    if len(shared.share_display_name) > DISPLAY_NAME_MAX:
        raise bad("display_name", f"share_display_name: at most {DISPLAY_NAME_MAX} characters.")
    if len(shared.share_purpose) > PURPOSE_MAX:
        raise bad("purpose", f"share_purpose: at most {PURPOSE_MAX} characters.")
    if len(shared.share_header) > HEADER_MAX:
        raise bad("header", f"share_header: at most {HEADER_MAX} characters.")
    require_id(shared.creator_id, "creator_id")


def share(ctx: ApiContext, db: sqlite3.Connection, given: rem.SharedChannel) -> rem.SharedChannel:
    require_id(given.channel_id, "channel_id")
    channel = get_channel(db, given.channel_id)
    if find_shared(db, channel.id) is not None:
        raise ApiFailure(
            400,
            "store.sql_shared_channel.save.exists.app_error",
            "The channel is already shared.",
            detailed_error=f"channel_id={channel.id}",
        )
    shared = rem.SharedChannel()
    shared.CopyFrom(given)
    shared.share_name = (shared.share_name or channel.name).lower()
    shared.team_id = channel.team_id
    shared.type = TYPE_LETTER.get(channel.type, "O")
    _validate(shared, channel)
    shared.create_at = shared.update_at = ctx.now()
    save_shared(db, shared)
    set_channel_shared(db, channel.id, True, shared.create_at)
    return shared


@emulates("ShareChannel")
def share_channel(ctx: ApiContext, req: rem.ShareChannelRequest) -> rem.ShareChannelResponse:
    with ctx.store.tx() as db:
        return rem.ShareChannelResponse(shared_channel=share(ctx, db, req.shared_channel))


@emulates("UpdateSharedChannel")
def update_shared_channel(
    ctx: ApiContext, req: rem.UpdateSharedChannelRequest
) -> rem.UpdateSharedChannelResponse:
    new = req.shared_channel
    require_id(new.channel_id, "channel_id")
    with ctx.store.tx() as db:
        shared = get_shared(db, new.channel_id)
        for name in (
            "share_name",
            "share_display_name",
            "share_purpose",
            "share_header",
            "read_only",
        ):
            setattr(shared, name, getattr(new, name))
        shared.share_name = shared.share_name.lower()
        _validate(shared, get_channel(db, shared.channel_id))
        shared.update_at = ctx.now()
        save_shared(db, shared)
    return rem.UpdateSharedChannelResponse(shared_channel=shared)


@emulates("UnshareChannel")
def unshare_channel(ctx: ApiContext, req: rem.UnshareChannelRequest) -> rem.UnshareChannelResponse:
    require_id(req.channel_id, "channel_id")
    with ctx.store.tx() as db:
        if find_shared(db, req.channel_id) is None:
            return rem.UnshareChannelResponse(unshared=False)
        db.execute("DELETE FROM shared_channels WHERE channel_id=?", (req.channel_id,))
        set_channel_shared(db, req.channel_id, False, ctx.now())
    return rem.UnshareChannelResponse(unshared=True)


@emulates("InviteRemoteToChannel")
def invite_remote(
    ctx: ApiContext, req: rem.InviteRemoteToChannelRequest
) -> rem.InviteRemoteToChannelResponse:
    require_id(req.channel_id, "channel_id")
    require_id(req.remote_id, "remote_id")
    with ctx.store.tx() as db:
        get_remote(db, req.remote_id)
        if find_shared(db, req.channel_id) is None:
            if not req.share_if_not_shared:
                get_shared(db, req.channel_id)  # raises: not shared
            share(
                ctx,
                db,
                rem.SharedChannel(channel_id=req.channel_id, creator_id=req.user_id),
            )
        db.execute(
            "INSERT INTO shared_channel_remotes(channel_id, remote_id, creator_id, "
            "create_at) VALUES(?,?,?,?) ON CONFLICT(channel_id, remote_id) DO NOTHING",
            (req.channel_id, req.remote_id, req.user_id, ctx.now()),
        )
    return rem.InviteRemoteToChannelResponse()


@emulates("UninviteRemoteFromChannel")
def uninvite_remote(
    ctx: ApiContext, req: rem.UninviteRemoteFromChannelRequest
) -> rem.UninviteRemoteFromChannelResponse:
    with ctx.store.tx() as db:
        gone = db.execute(
            "DELETE FROM shared_channel_remotes WHERE channel_id=? AND remote_id=?",
            (req.channel_id, req.remote_id),
        ).rowcount
    if not gone:
        raise ApiFailure(
            404,
            "app.shared_channel.uninvite.not_invited.app_error",
            "That remote is not invited to this channel.",
            detailed_error=f"channel_id={req.channel_id} remote_id={req.remote_id}",
        )
    return rem.UninviteRemoteFromChannelResponse()
