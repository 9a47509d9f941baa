"""Changing a channel: UpdateChannel (ChannelWillBeUpdated may modify or reject it) and
DeleteChannel, i.e. archiving (ChannelWillBeArchived may reject it)."""

from __future__ import annotations

from mmplug.host.api import _hooks
from mmplug.host.api._entities import get_channel, save_channel
from mmplug.host.api._pbjson import require_id, to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.channels import DEFAULT_CHANNEL, name_taken, validate_channel
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_extra_pb2

T = channel_pb2.ChannelType
DM_TYPES = (T.CHANNEL_TYPE_DIRECT, T.CHANNEL_TYPE_GROUP)


def _rejected(what: str, verb: str, plugin_id: str, reason: str) -> ApiFailure:
    return ApiFailure(
        400,
        f"app.channel.{what}.rejected_by_plugin",
        f"Channel {verb} rejected by plugin {plugin_id}. {reason}",
        params={"Reason": reason},
    )


def _prepare_update(old: channel_pb2.Channel, given: channel_pb2.Channel) -> channel_pb2.Channel:
    if old.delete_at:
        raise ApiFailure(
            400,
            "store.sql_channel.update.archived_channel.app_error",
            "You can not update an archived channel.",
            detailed_error=f"channel_id={old.id}",
        )
    if given.type != old.type and (given.type in DM_TYPES or old.type in DM_TYPES):
        raise ApiFailure(
            400,
            "api.channel.update_channel.typechange.app_error",
            "Direct and group channels cannot change type.",
        )
    new = channel_pb2.Channel()
    new.CopyFrom(given)
    new.team_id, new.create_at, new.delete_at = old.team_id, old.create_at, 0
    new.creator_id = new.creator_id or old.creator_id
    new.type = new.type or old.type
    validate_channel(new)
    return new


@emulates("UpdateChannel")
def update_channel(ctx: ApiContext, req: cp.UpdateChannelRequest) -> cp.UpdateChannelResponse:
    require_id(req.channel.id, "channel_id")
    with ctx.store.read() as db:
        old = get_channel(db, req.channel.id)
    new = _prepare_update(old, req.channel)
    outcome = _hooks.chain(
        ctx,
        "ChannelWillBeUpdated",
        new,
        lambda ch: hooks_extra_pb2.ChannelWillBeUpdatedRequest(
            context=_hooks.request_context(ctx), new_channel=ch, old_channel=old
        ),
        "modified_channel",
    )
    if outcome.rejected:
        raise _rejected("update_channel", "update", outcome.rejected_by, outcome.rejection)
    with ctx.store.tx() as db:
        current = get_channel(db, old.id)  # again, inside the transaction
        final = _prepare_update(current, outcome.subject)
        final.id = old.id
        if name_taken(db, final.team_id, final.name, except_id=final.id):
            raise ApiFailure(
                400,
                "store.sql_channel.update.exists.app_error",
                "A channel with that name already exists on the same team.",
                detailed_error=f"team_id={final.team_id} name={final.name}",
            )
        final.update_at = ctx.now()
        save_channel(db, final)
    server_event(ctx, "channel_updated", {"channel": to_dict(final)}, channel_id=final.id)
    return cp.UpdateChannelResponse(channel=final)


def _check_archivable(ch: channel_pb2.Channel) -> None:
    if ch.type in DM_TYPES:
        raise ApiFailure(
            400,
            "api.channel.delete_channel.type.invalid",
            "Direct and group channels cannot be archived.",
        )
    if ch.delete_at:
        raise ApiFailure(
            400,
            "api.channel.delete_channel.deleted.app_error",
            "The channel has already been archived.",
        )
    if ch.name == DEFAULT_CHANNEL:
        raise ApiFailure(
            400,
            "api.channel.delete_channel.cannot.app_error",
            f"Unable to delete the default channel {DEFAULT_CHANNEL}.",
        )


@emulates("DeleteChannel")
def delete_channel(ctx: ApiContext, req: cp.DeleteChannelRequest) -> cp.DeleteChannelResponse:
    require_id(req.channel_id, "channel_id")
    with ctx.store.read() as db:
        ch = get_channel(db, req.channel_id)
    _check_archivable(ch)
    request = hooks_extra_pb2.ChannelWillBeArchivedRequest(
        context=_hooks.request_context(ctx), channel=ch
    )
    for plugin_id, answer in _hooks.fire(ctx, "ChannelWillBeArchived", request):
        reason = getattr(answer, "rejection_reason", "")
        if reason:
            raise _rejected("delete_channel", "archive", plugin_id, reason)
    with ctx.store.tx() as db:
        ch = get_channel(db, req.channel_id)
        _check_archivable(ch)
        ch.delete_at = ch.update_at = ctx.now()
        save_channel(db, ch)
    server_event(
        ctx, "channel_deleted", {"channel_id": ch.id, "delete_at": ch.delete_at}, team_id=ch.team_id
    )
    return cp.DeleteChannelResponse()
