"""Ephemeral posts: shown to one user over the WebSocket, never stored by the server.

The fake host captures each one as an ``ephemeral_post`` event (action posted/edited/deleted).
As on the server, none of the three rpcs validates anything or fails: the user, channel and
message are not checked, and a post for a user who does not exist reaches nobody.
"""

from __future__ import annotations

from mmplug.host.api._pbjson import to_dict
from mmplug.host.api._posts import EPHEMERAL_TYPE, for_plugin, generate_action_ids
from mmplug.host.api._registry import ApiContext, differs, emulates
from mmplug.host.api.events import EPHEMERAL, capture
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import post_pb2

for _sent in ("SendEphemeralPost", "UpdateEphemeralPost"):
    differs(
        _sent,
        "The server re-encodes props.attachments as its MessageAttachment type and adds an "
        "encrypted cookie to each button of the post it returns; mmplug keeps the "
        "attachments as sent and only fills in the ids of their buttons.",
    )


def _capture(ctx: ApiContext, action: str, user_id: str, post: post_pb2.Post) -> None:
    capture(
        ctx,
        EPHEMERAL,
        {
            "action": action,
            "user_id": user_id,
            "channel_id": post.channel_id,
            "post": to_dict(post),
        },
    )


def send_ephemeral(ctx: ApiContext, user_id: str, post: post_pb2.Post) -> post_pb2.Post:
    """SendEphemeralPost as the server runs it (also used for slash command answers): the
    type becomes ``system_ephemeral``; an empty id and create_at are filled in, and so are
    the ids of attachment buttons; missing props become an empty map."""
    ready = for_plugin(post)
    ready.type = EPHEMERAL_TYPE
    ready.props.SetInParent()  # nil props become {}: the answer always carries props
    ready.id = ready.id or ctx.new_id()
    ready.create_at = ready.create_at or ctx.now()
    generate_action_ids(ctx, ready)
    _capture(ctx, "posted", user_id, ready)
    return ready


@emulates("SendEphemeralPost")
def send_ephemeral_post(
    ctx: ApiContext, req: cp.SendEphemeralPostRequest
) -> cp.SendEphemeralPostResponse:
    return cp.SendEphemeralPostResponse(post=send_ephemeral(ctx, req.user_id, req.post))


@emulates("UpdateEphemeralPost")
def update_ephemeral_post(
    ctx: ApiContext, req: cp.UpdateEphemeralPostRequest
) -> cp.UpdateEphemeralPostResponse:
    """The type becomes ``system_ephemeral`` and update_at is now; the id and create_at are
    the caller's (not filled in: pass the ones SendEphemeralPost returned). Attachment
    buttons without an id get one; missing props become an empty map."""
    post = for_plugin(req.post)
    post.type = EPHEMERAL_TYPE
    post.props.SetInParent()
    post.update_at = ctx.now()
    generate_action_ids(ctx, post)
    _capture(ctx, "edited", req.user_id, post)
    return cp.UpdateEphemeralPostResponse(post=post)


@emulates("DeleteEphemeralPost")
def delete_ephemeral_post(
    ctx: ApiContext, req: cp.DeleteEphemeralPostRequest
) -> cp.DeleteEphemeralPostResponse:
    now = ctx.now()
    post = post_pb2.Post(
        id=req.post_id, user_id=req.user_id, type=EPHEMERAL_TYPE, delete_at=now, update_at=now
    )
    _capture(ctx, "deleted", req.user_id, post)
    return cp.DeleteEphemeralPostResponse()
