"""Posts: create (MessageWillBePosted chain, MessageHasBeenPosted), update (MessageWillBe/
HasBeenUpdated), delete (with replies; MessageHasBeenDeleted) and get.

Hooks fire outside the store transaction: the plugins may call the API back.
"""

from __future__ import annotations

import sqlite3

from mmplug.host.api import _files, _hooks
from mmplug.host.api._entities import find_post, get_channel, get_post, get_user, save_channel
from mmplug.host.api._entities import save_post as store_post
from mmplug.host.api._pbjson import require_id, to_dict
from mmplug.host.api._posts import check_message, check_root, parse_hashtags, rejected
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import hooks_message_pb2 as hm
from mmplug.protocol import post_pb2


def _check_new_post(ctx: ApiContext, post: post_pb2.Post) -> None:
    require_id(post.channel_id, "channel_id", "CreatePost")
    if not post.user_id:
        raise ApiFailure(
            400,
            "model.post.is_valid.user_id.app_error",
            "Invalid user id: a post needs a user_id (e.g. your bot's id).",
            where="Post.IsValid",
        )
    require_id(post.user_id, "user_id", "CreatePost")
    check_message(post)
    with ctx.store.read() as db:
        channel = get_channel(db, post.channel_id)
        if channel.delete_at:
            raise ApiFailure(
                400,
                "api.post.create_post.can_not_post_to_deleted.error",
                "Can not post to an archived channel.",
                detailed_error=f"channel_id={channel.id}",
            )
        get_user(db, post.user_id)
        check_root(db, post)
        if post.id and find_post(db, post.id, include_deleted=True) is not None:
            raise ApiFailure(
                400,
                "store.sql_post.save.existing.app_error",
                "You cannot update an existing post: use UpdatePost.",
                detailed_error=f"id={post.id}",
            )


def _save_new_post(ctx: ApiContext, db: sqlite3.Connection, post: post_pb2.Post) -> None:
    post.id = post.id or ctx.new_id()
    post.create_at = post.create_at or ctx.now()
    post.update_at = post.create_at
    post.hashtags = parse_hashtags(post.message)
    root = check_root(db, post)  # again, inside the transaction
    store_post(db, post)
    _files.attach_to_post(db, post, post.create_at)
    if root is not None:
        root.reply_count += 1
        root.last_reply_at = root.update_at = post.create_at
        store_post(db, root)
    channel = get_channel(db, post.channel_id)
    channel.last_post_at = max(channel.last_post_at, post.create_at)
    channel.total_msg_count += 1
    if not post.root_id:
        channel.total_msg_count_root += 1
        channel.last_root_post_at = max(channel.last_root_post_at, post.create_at)
    save_channel(db, channel)


def create_post(ctx: ApiContext, post: post_pb2.Post) -> post_pb2.Post:
    """CreatePost as the server runs it (usable by other areas, e.g. bots' welcome DMs)."""
    _check_new_post(ctx, post)
    outcome = _hooks.chain(
        ctx,
        "MessageWillBePosted",
        post,
        lambda p: hm.MessageWillBePostedRequest(
            context=_hooks.request_context(ctx, post.user_id), post=p
        ),
        "modified_post",
    )
    if outcome.rejected:
        raise rejected(outcome.rejection, "CreatePost")
    final: post_pb2.Post = outcome.subject
    if final is not post:
        check_message(final)
        final.channel_id, final.user_id, final.root_id = post.channel_id, post.user_id, post.root_id
    with ctx.store.tx() as db:
        _save_new_post(ctx, db, final)
    _hooks.fire(
        ctx,
        "MessageHasBeenPosted",
        hm.MessageHasBeenPostedRequest(
            context=_hooks.request_context(ctx, final.user_id), post=final
        ),
    )
    server_event(ctx, "posted", {"post": to_dict(final)}, channel_id=final.channel_id)
    return final


@emulates("CreatePost")
def create_post_rpc(ctx: ApiContext, req: cp.CreatePostRequest) -> cp.CreatePostResponse:
    post = post_pb2.Post()
    post.CopyFrom(req.post)
    return cp.CreatePostResponse(post=create_post(ctx, post))


@emulates("GetPost")
def get_post_rpc(ctx: ApiContext, req: cp.GetPostRequest) -> cp.GetPostResponse:
    require_id(req.post_id, "post_id")
    with ctx.store.read() as db:
        return cp.GetPostResponse(post=get_post(db, req.post_id))


def _edited(old: post_pb2.Post, received: post_pb2.Post, now: int) -> post_pb2.Post:
    new = post_pb2.Post()
    new.CopyFrom(old)
    if received.message != old.message:
        new.message, new.edit_at = received.message, now
        new.hashtags = parse_hashtags(received.message)
    new.is_pinned, new.has_reactions = received.is_pinned, received.has_reactions
    del new.file_ids[:]
    new.file_ids.extend(received.file_ids)
    new.props.CopyFrom(received.props)
    return new


@emulates("UpdatePost")
def update_post(ctx: ApiContext, req: cp.UpdatePostRequest) -> cp.UpdatePostResponse:
    require_id(req.post.id, "post_id")
    check_message(req.post)
    with ctx.store.read() as db:
        old = find_post(db, req.post.id, include_deleted=True)
        if old is None or old.delete_at:
            raise ApiFailure(
                400 if old else 404,
                "api.post.update_post.find.app_error",
                "We couldn't find the existing post or comment to update.",
                detailed_error=f"post_id={req.post.id}",
            )
        if get_channel(db, old.channel_id).delete_at:
            raise ApiFailure(
                400,
                "api.post.update_post.can_not_update_post_in_deleted.error",
                "Can not update a post in an archived channel.",
            )
    if old.type.startswith("system_"):
        raise ApiFailure(
            400,
            "api.post.update_post.system_message.app_error",
            "Unable to update a system message.",
            detailed_error=f"type={old.type}",
        )
    new = _edited(old, req.post, ctx.now())
    outcome = _hooks.chain(
        ctx,
        "MessageWillBeUpdated",
        new,
        lambda p: hm.MessageWillBeUpdatedRequest(
            context=_hooks.request_context(ctx, old.user_id), new_post=p, old_post=old
        ),
        "modified_post",
        nil_rejects=True,
    )
    if outcome.rejected:
        raise rejected(outcome.rejection, "UpdatePost")
    final: post_pb2.Post = outcome.subject
    final.id, final.channel_id, final.create_at = old.id, old.channel_id, old.create_at
    if final.message != new.message:  # a plugin rewrote it
        check_message(final)
        final.hashtags = parse_hashtags(final.message)
    if old.HasField("metadata"):  # the server puts the last good metadata back
        final.metadata.CopyFrom(old.metadata)
    else:
        final.ClearField("metadata")
    with ctx.store.tx() as db:
        final.update_at = ctx.now()
        store_post(db, final)
        _files.attach_to_post(db, final, final.update_at)
    _hooks.fire(
        ctx,
        "MessageHasBeenUpdated",
        hm.MessageHasBeenUpdatedRequest(
            context=_hooks.request_context(ctx, old.user_id), new_post=final, old_post=old
        ),
    )
    server_event(ctx, "post_edited", {"post": to_dict(final)}, channel_id=final.channel_id)
    return cp.UpdatePostResponse(post=final)


@emulates("DeletePost")
def delete_post(ctx: ApiContext, req: cp.DeletePostRequest) -> cp.DeletePostResponse:
    require_id(req.post_id, "post_id")
    with ctx.store.tx() as db:
        post = get_post(db, req.post_id)
        now = ctx.now()
        replies = db.execute(
            "SELECT id FROM posts WHERE root_id=? AND delete_at=0 AND ephemeral=0", (post.id,)
        ).fetchall()
        for pid in [post.id, *(r["id"] for r in replies)]:
            target = get_post(db, pid)
            target.delete_at = target.update_at = now
            target.props["deleteBy"] = ctx.plugin_id
            store_post(db, target)
            _files.delete_for_post(db, pid, now)
        if post.root_id:
            root = find_post(db, post.root_id)
            if root is not None and root.reply_count > 0:
                root.reply_count -= 1
                store_post(db, root)
        post.delete_at = post.update_at = now
    _hooks.fire(
        ctx,
        "MessageHasBeenDeleted",
        hm.MessageHasBeenDeletedRequest(
            context=_hooks.request_context(ctx, post.user_id), post=post
        ),
    )
    server_event(ctx, "post_deleted", {"post": to_dict(post)}, channel_id=post.channel_id)
    return cp.DeletePostResponse()
