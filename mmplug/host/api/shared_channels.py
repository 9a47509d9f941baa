"""Shared channels: plugins register as remotes, channels are shared and remotes invited.
Syncing content to a plugin remote lives in ``shared_sync.py``.

As on the server: registering again (even after unregistering) gives back the plugin's
remote; unregistering removes its invitations and unshares the channels left without a
remote; sharing an already shared channel answers the existing share; the share's name,
display name, purpose, header, team and type default to the channel's. An update replaces
the share with the one given, unchanged and checked as it is.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api._commands import plain_error
from mmplug.host.api._convert import DIRECT_OR_GROUP
from mmplug.host.api._entities import get_channel
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api._shared import (
    SITE_URL_PLUGIN_PREFIX,
    find_remote,
    find_shared,
    get_remote,
    save_remote,
    save_shared,
    set_channel_shared,
)
from mmplug.host.api._text import sanitize_unicode
from mmplug.host.api.channels import (
    DISPLAY_NAME_MAX,
    HEADER_MAX,
    PURPOSE_MAX,
    is_channel_identifier,
)
from mmplug.host.api.events import server_event
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import channel_pb2
from mmplug.protocol import hooks_command_pb2 as hc

_NAME_CHECK = "model.channel.is_valid.{}.app_error"

differs(
    "ShareChannel",
    "The server refuses to share a direct or group channel (unless its "
    "EnableSharedChannelsDMs feature flag is on); mmplug shares it.",
)


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
        if remote is None:
            remote = hc.RemoteCluster(
                remote_id=ctx.new_id(),
                name=opts.plugin_id,
                site_url=SITE_URL_PLUGIN_PREFIX + opts.plugin_id,
                plugin_id=opts.plugin_id,
                token=ctx.new_id(),
                create_at=ctx.now(),
            )
        remote.delete_at = 0  # a registration that was removed comes back
        remote.display_name = opts.display_name
        save_remote(db, remote)
    return rem.RegisterPluginForSharedChannelsResponse(remote_id=remote.remote_id)


def _unshare(db: sqlite3.Connection, channel_id: str, now: int) -> bool:
    if find_shared(db, channel_id) is None:
        return False
    db.execute("DELETE FROM shared_channels WHERE channel_id=?", (channel_id,))
    set_channel_shared(db, channel_id, False, now)
    return True


@emulates("UnregisterPluginForSharedChannels")
def unregister_plugin(
    ctx: ApiContext, req: rem.UnregisterPluginForSharedChannelsRequest
) -> rem.UnregisterPluginForSharedChannelsResponse:
    with ctx.store.tx() as db:
        remote = find_remote(db, "plugin_id=? AND plugin_id<>''", (req.plugin_id,))
        if remote is None or remote.delete_at:
            return rem.UnregisterPluginForSharedChannelsResponse()
        invited = [
            r[0]
            for r in db.execute(
                "SELECT channel_id FROM shared_channel_remotes WHERE remote_id=?",
                (remote.remote_id,),
            )
        ]
        db.execute("DELETE FROM shared_channel_remotes WHERE remote_id=?", (remote.remote_id,))
        remote.delete_at = ctx.now()
        save_remote(db, remote)
        for channel_id in invited:  # channels left without any remote are unshared
            if not db.execute(
                "SELECT 1 FROM shared_channel_remotes WHERE channel_id=?", (channel_id,)
            ).fetchone():
                _unshare(db, channel_id, ctx.now())
    return rem.UnregisterPluginForSharedChannelsResponse()


def is_home(shared: rem.SharedChannel) -> bool:
    """``home`` is a string on the wire: the server reads exactly "true" as true."""
    return shared.home == "true"


def _validate(
    shared: rem.SharedChannel, channel_type: channel_pb2.ChannelType.ValueType | None
) -> None:
    """The server's ``SharedChannel.IsValid``, in its order. ``channel_type`` is the type the
    share carries (ShareChannel takes the channel's; an update carries none, the wire has
    no type): direct and group shares need no team."""

    def bad(field: str, message: str) -> ApiFailure:
        return ApiFailure(400, _NAME_CHECK.format(field), message, where="SharedChannel.IsValid")

    if not is_valid_id(shared.channel_id):
        raise bad("id", f"The share needs the channel's id, not {shared.channel_id!r}.")
    if channel_type not in DIRECT_OR_GROUP and not is_valid_id(shared.team_id):
        raise bad("id", f"The share needs the channel's team id, not {shared.team_id!r}.")
    if not shared.create_at:
        raise bad("create_at", "The share needs its create_at (as ShareChannel answered it).")
    if not shared.update_at:
        raise bad("update_at", "The share needs its update_at (as ShareChannel answered it).")
    if len(shared.share_display_name) > DISPLAY_NAME_MAX:
        raise bad("display_name", f"share_display_name: at most {DISPLAY_NAME_MAX} characters.")
    if not is_channel_identifier(shared.share_name):
        raise bad(
            "1_or_more",
            "share_name must be lowercase letters, digits, '-' and '_'.",
        )
    if len(shared.share_header) > HEADER_MAX:
        raise bad("header", f"share_header: at most {HEADER_MAX} characters.")
    if len(shared.share_purpose) > PURPOSE_MAX:
        raise bad("purpose", f"share_purpose: at most {PURPOSE_MAX} characters.")
    if not is_valid_id(shared.creator_id):
        raise bad("creator_id", "creator_id must be the id of the user sharing the channel.")
    if not is_home(shared) and not is_valid_id(shared.remote_id):
        raise bad(
            "id",
            'A share homed here needs home="true"; one homed on a remote needs its remote_id.',
        )


def share(ctx: ApiContext, db: sqlite3.Connection, given: rem.SharedChannel) -> rem.SharedChannel:
    channel = get_channel(db, given.channel_id)
    existing = find_shared(db, channel.id)
    if existing is not None:  # already shared: nothing to do
        return existing
    shared = rem.SharedChannel()
    shared.CopyFrom(given)
    shared.team_id = shared.team_id or channel.team_id
    shared.type = ""  # the server neither stores nor returns the type
    shared.share_name = sanitize_unicode(shared.share_name or channel.name)
    shared.share_display_name = sanitize_unicode(shared.share_display_name or channel.display_name)
    shared.share_purpose = shared.share_purpose or channel.purpose
    shared.share_header = shared.share_header or channel.header
    shared.create_at = shared.update_at = ctx.now()
    _validate(shared, channel.type)
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
    """The share is replaced by the one given, checked as it is (no default, no trimming,
    `create_at` and `update_at` as given) and answered as given; clients of the channel's
    team get `channel_updated`."""
    shared = rem.SharedChannel()
    shared.CopyFrom(req.shared_channel)
    shared.type = ""  # not on the wire: the server neither reads nor answers it
    with ctx.store.tx() as db:
        try:
            channel = get_channel(db, shared.channel_id)
        except ApiFailure:  # the store's not-found, not an AppError
            raise plain_error(
                f"channel {shared.channel_id!r} not found", "UpdateSharedChannel"
            ) from None
        _validate(shared, None)
        if find_shared(db, shared.channel_id) is None:
            raise plain_error(
                "expected number of shared channels to be updated is 1 but was 0 (the channel "
                "is not shared)",
                "UpdateSharedChannel",
            )
        save_shared(db, shared)
    server_event(ctx, "channel_updated", {"channel_id": channel.id}, team_id=channel.team_id)
    return rem.UpdateSharedChannelResponse(shared_channel=shared)


@emulates("UnshareChannel")
def unshare_channel(ctx: ApiContext, req: rem.UnshareChannelRequest) -> rem.UnshareChannelResponse:
    with ctx.store.tx() as db:
        get_channel(db, req.channel_id)
        return rem.UnshareChannelResponse(unshared=_unshare(db, req.channel_id, ctx.now()))


def _share_failure(status: int, error_id: str, message: str, channel_id: str) -> ApiFailure:
    return ApiFailure(
        status,
        error_id,
        message,
        detailed_error=f"channel_id={channel_id}",
        where="InviteRemoteToChannel",
    )


@emulates("InviteRemoteToChannel")
def invite_remote(
    ctx: ApiContext, req: rem.InviteRemoteToChannelRequest
) -> rem.InviteRemoteToChannelResponse:
    with ctx.store.tx() as db:
        invited = db.execute(
            "SELECT 1 FROM shared_channel_remotes WHERE channel_id=? AND remote_id=?",
            (req.channel_id, req.remote_id),
        ).fetchone()
        if invited is not None:  # already invited: nothing to do
            return rem.InviteRemoteToChannelResponse()
        if req.share_if_not_shared:
            try:
                share(
                    ctx,
                    db,
                    rem.SharedChannel(
                        channel_id=req.channel_id, creator_id=req.user_id, home="true"
                    ),
                )
            except ApiFailure as failure:
                raise _share_failure(
                    400,
                    "api.command_share.share_channel.error",
                    f"The channel could not be shared: {failure.message}",
                    req.channel_id,
                ) from failure
        shared = find_shared(db, req.channel_id)
        if shared is None:
            raise _share_failure(
                400,
                "api.command_share.channel_not_shared.error",
                "The channel is not shared: share it first (ShareChannel, or share_if_not_shared).",
                req.channel_id,
            )
        try:
            get_remote(db, req.remote_id)
        except ApiFailure as failure:
            raise _share_failure(
                500,
                "api.command_share.remote_id_invalid.error",
                f"There is no remote {req.remote_id!r}: use the id "
                "RegisterPluginForSharedChannels returned.",
                req.channel_id,
            ) from failure
        if not is_home(shared):
            raise _share_failure(
                400,
                "api.command_share.channel_invite_not_home.error",
                "The channel is homed on a remote: only its home invites remotes.",
                req.channel_id,
            )
        db.execute(
            "INSERT INTO shared_channel_remotes(channel_id, remote_id, creator_id, "
            "create_at) VALUES(?,?,?,?)",
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
            500,
            "api.command_share.channel_remote_id_not_exists",
            "That remote is not invited to this channel.",
            detailed_error=f"channel_id={req.channel_id} remote_id={req.remote_id}",
            params={"RemoteId": req.remote_id},
        )
    return rem.UninviteRemoteFromChannelResponse()
