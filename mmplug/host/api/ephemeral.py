"""Ephemeral posts: shown to one user over the WebSocket, never stored by the server.

The fake host captures each one as an ``ephemeral_post`` event (action posted/edited/deleted).
"""

from __future__ import annotations

from mmplug.host.api._pbjson import require_id, to_dict
from mmplug.host.api._posts import EPHEMERAL_TYPE, check_message
from mmplug.host.api._registry import ApiContext, emulates
from mmplug.host.api.events import EPHEMERAL, capture
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import post_pb2


def _prepare(ctx: ApiContext, user_id: str, post: post_pb2.Post) -> post_pb2.Post:
    require_id(user_id, "user_id")
    check_message(post)
    ready = post_pb2.Post()
    ready.CopyFrom(post)
    ready.type = EPHEMERAL_TYPE
    ready.id = ready.id or ctx.new_id()
    return ready


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
    """SendEphemeralPost as the server runs it (also used for slash command answers)."""
    ready = _prepare(ctx, user_id, post)
    ready.create_at = ready.create_at or ctx.now()
    ready.update_at = ready.update_at or ready.create_at
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
    post = _prepare(ctx, req.user_id, req.post)
    post.update_at = ctx.now()
    post.create_at = post.create_at or post.update_at
    _capture(ctx, "edited", req.user_id, post)
    return cp.UpdateEphemeralPostResponse(post=post)


@emulates("DeleteEphemeralPost")
def delete_ephemeral_post(
    ctx: ApiContext, req: cp.DeleteEphemeralPostRequest
) -> cp.DeleteEphemeralPostResponse:
    require_id(req.user_id, "user_id")
    require_id(req.post_id, "post_id")
    now = ctx.now()
    post = post_pb2.Post(id=req.post_id, type=EPHEMERAL_TYPE, delete_at=now, update_at=now)
    _capture(ctx, "deleted", req.user_id, post)
    return cp.DeleteEphemeralPostResponse()
