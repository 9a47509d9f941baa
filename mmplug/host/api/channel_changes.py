"""Changing a channel: UpdateChannel (ChannelWillBeUpdated may modify or reject it) and
DeleteChannel, i.e. archiving (ChannelWillBeArchived may reject it).

UpdateChannel writes the channel as given, like the server's store: every field the plugin
sends is saved (a channel built from scratch lacks ``create_at`` and is refused), and a
channel sent with ``delete_at`` 0 is active again. Only the REST API refuses to archive
direct and group channels; a plugin may.
"""

from __future__ import annotations

from mmplug.host.api import _hooks
from mmplug.host.api._convert import channel_json
from mmplug.host.api._entities import get_channel, save_channel
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.channels import (
    DEFAULT_CHANNEL,
    check_fits,
    is_valid,
    name_taken,
    sanitize_names,
)
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, hooks_extra_pb2

differs(
    "DeleteChannel",
    "The server posts a system message 'system-bot archived the channel' "
    "(system_channel_deleted) and deletes the channel's webhooks; mmplug has no system bot and "
    "posts nothing.",
)


def _rejected(what: str, verb: str, plugin_id: str, reason: str) -> ApiFailure:
    return ApiFailure(
        400,
        f"app.channel.{what}.rejected_by_plugin",
        f"Channel {verb} rejected by plugin {plugin_id}. {reason}",
        params={"Reason": reason},
    )


def _bad_update(message: str, detail: str) -> ApiFailure:
    return ApiFailure(
        400, "app.channel.update.bad_id", message, detailed_error=detail, where="UpdateChannel"
    )


def _prepared(ctx: ApiContext, given: channel_pb2.Channel) -> channel_pb2.Channel:
    """The channel as the server's store writes it (``PreUpdate``, then its checks)."""
    new = channel_pb2.Channel()
    new.CopyFrom(given)
    new.update_at = ctx.now()
    sanitize_names(new)
    if new.delete_at:
        raise _bad_update(
            "An update cannot archive a channel: send delete_at 0 (archive with DeleteChannel).",
            f"id={new.id} delete_at={new.delete_at}",
        )
    is_valid(new)
    return new


@emulates("UpdateChannel")
def update_channel(ctx: ApiContext, req: cp.UpdateChannelRequest) -> cp.UpdateChannelResponse:
    with ctx.store.read() as db:
        old = get_channel(db, req.channel.id)
    outcome = _hooks.chain(
        ctx,
        "ChannelWillBeUpdated",
        req.channel,
        lambda ch: hooks_extra_pb2.ChannelWillBeUpdatedRequest(
            context=_hooks.request_context(ctx), new_channel=ch, old_channel=old
        ),
        "modified_channel",
    )
    if outcome.rejected:
        raise _rejected("update_channel", "update", outcome.rejected_by, outcome.rejection)
    return cp.UpdateChannelResponse(channel=save_updated_channel(ctx, old.id, outcome.subject))


def save_updated_channel(
    ctx: ApiContext, channel_id: str, given: channel_pb2.Channel
) -> channel_pb2.Channel:
    """What the server does once ChannelWillBeUpdated allowed the update of ``channel_id``
    to ``given``: the store's checks, the save, ``channel_updated``. Returns the channel."""
    final = _prepared(ctx, given)
    final.id = channel_id
    with ctx.store.tx() as db:
        get_channel(db, channel_id)  # still there
        check_fits(final, "app.channel.update_channel.internal_error", "UpdateChannel")
        if name_taken(db, final.team_id, final.name, except_id=final.id):
            raise _bad_update(
                "Another channel of the team has this name.",
                f"team_id={final.team_id} name={final.name}",
            )
        save_channel(db, final)
    server_event(ctx, "channel_updated", {"channel": channel_json(final)}, channel_id=final.id)
    return final


def _check_archivable(ch: channel_pb2.Channel) -> None:
    if ch.delete_at:
        raise ApiFailure(
            400,
            "api.channel.delete_channel.deleted.app_error",
            "The channel has already been archived.",
            detailed_error=f"channel_id={ch.id}",
        )
    if ch.name == DEFAULT_CHANNEL:
        raise ApiFailure(
            400,
            "api.channel.delete_channel.cannot.app_error",
            f"Unable to delete the default channel {DEFAULT_CHANNEL}.",
            params={"Channel": DEFAULT_CHANNEL},
        )


@emulates("DeleteChannel")
def delete_channel(ctx: ApiContext, req: cp.DeleteChannelRequest) -> cp.DeleteChannelResponse:
    ch = check_archivable(ctx, req.channel_id)
    request = hooks_extra_pb2.ChannelWillBeArchivedRequest(
        context=_hooks.request_context(ctx), channel=ch
    )
    for plugin_id, answer in _hooks.fire(ctx, "ChannelWillBeArchived", request):
        reason = getattr(answer, "rejection_reason", "")
        if reason:
            raise _rejected("delete_channel", "archive", plugin_id, reason)
    archive_channel(ctx, req.channel_id)
    return cp.DeleteChannelResponse()


def check_archivable(ctx: ApiContext, channel_id: str) -> channel_pb2.Channel:
    """The channel, if the server may archive it (else its AppError)."""
    with ctx.store.read() as db:
        ch = get_channel(db, channel_id)
    _check_archivable(ch)
    return ch


def archive_channel(ctx: ApiContext, channel_id: str) -> channel_pb2.Channel:
    """What the server does once ChannelWillBeArchived allowed it: archive the channel and
    send ``channel_deleted`` (to the team of a public channel, to the members of any other)."""
    with ctx.store.tx() as db:
        ch = get_channel(db, channel_id)
        _check_archivable(ch)
        ch.delete_at = ch.update_at = ctx.now()
        save_channel(db, ch)
    # A public channel's archiving goes to its team, any other's to the channel's members.
    public = ch.type == channel_pb2.CHANNEL_TYPE_OPEN
    scope = {"team_id": ch.team_id} if public else {"channel_id": ch.id}
    server_event(ctx, "channel_deleted", {"channel_id": ch.id, "delete_at": ch.delete_at}, **scope)
    return ch
