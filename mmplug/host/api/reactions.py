"""Reactions: add/remove (ReactionHasBeenAdded/Removed hooks, the post's has_reactions flag)
and list."""

from __future__ import annotations

import re
import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._entities import get_channel, get_post, get_user, save_post
from mmplug.host.api._pbjson import dump, load, require_id, to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import hooks_message_pb2 as hm
from mmplug.protocol import post_pb2

EMOJI_NAME = re.compile(r"^[a-zA-Z0-9_+-]{1,64}$")


def _validate(db: sqlite3.Connection, reaction: post_pb2.Reaction) -> post_pb2.Post:
    require_id(reaction.user_id, "user_id")
    require_id(reaction.post_id, "post_id")
    if not EMOJI_NAME.match(reaction.emoji_name):
        raise ApiFailure(
            400,
            "model.reaction.is_valid.emoji_name.app_error",
            "Invalid emoji name: 1-64 letters, digits, '_', '-' or '+'.",
            detailed_error=f"emoji_name={reaction.emoji_name!r}",
            where="Reaction.IsValid",
        )
    post = get_post(db, reaction.post_id)
    get_user(db, reaction.user_id)
    if get_channel(db, post.channel_id).delete_at:
        raise ApiFailure(
            400,
            "api.reaction.save.archived_channel.app_error",
            "You cannot react to a post in an archived channel.",
        )
    return post


def _set_flag(db: sqlite3.Connection, post: post_pb2.Post, now: int) -> None:
    count = db.execute("SELECT count(*) FROM reactions WHERE post_id=?", (post.id,)).fetchone()[0]
    if post.has_reactions != bool(count):
        post.has_reactions, post.update_at = bool(count), now
        save_post(db, post)


@emulates("AddReaction")
def add_reaction(ctx: ApiContext, req: cp.AddReactionRequest) -> cp.AddReactionResponse:
    reaction = post_pb2.Reaction()
    reaction.CopyFrom(req.reaction)
    with ctx.store.tx() as db:
        post = _validate(db, reaction)
        reaction.channel_id = post.channel_id
        reaction.create_at = reaction.update_at = ctx.now()
        reaction.delete_at = 0
        db.execute(
            "INSERT INTO reactions(user_id, post_id, emoji_name, create_at, data) "
            "VALUES(?,?,?,?,?) ON CONFLICT(user_id, post_id, emoji_name) DO UPDATE SET "
            "data=excluded.data",
            (
                reaction.user_id,
                reaction.post_id,
                reaction.emoji_name,
                reaction.create_at,
                dump(reaction),
            ),
        )
        _set_flag(db, post, reaction.create_at)
    _hooks.fire(
        ctx,
        "ReactionHasBeenAdded",
        hm.ReactionHasBeenAddedRequest(
            context=_hooks.request_context(ctx, reaction.user_id), reaction=reaction
        ),
    )
    server_event(
        ctx, "reaction_added", {"reaction": to_dict(reaction)}, channel_id=reaction.channel_id
    )
    return cp.AddReactionResponse(reaction=reaction)


@emulates("RemoveReaction")
def remove_reaction(ctx: ApiContext, req: cp.RemoveReactionRequest) -> cp.RemoveReactionResponse:
    reaction = post_pb2.Reaction()
    reaction.CopyFrom(req.reaction)
    with ctx.store.tx() as db:
        post = _validate(db, reaction)
        row = db.execute(
            "SELECT data FROM reactions WHERE user_id=? AND post_id=? AND emoji_name=?",
            (reaction.user_id, reaction.post_id, reaction.emoji_name),
        ).fetchone()
        if row is None:
            return cp.RemoveReactionResponse()  # the server's delete is a no-op then
        db.execute(
            "DELETE FROM reactions WHERE user_id=? AND post_id=? AND emoji_name=?",
            (reaction.user_id, reaction.post_id, reaction.emoji_name),
        )
        removed = load(post_pb2.Reaction, row["data"])
        removed.delete_at = removed.update_at = ctx.now()
        _set_flag(db, post, removed.delete_at)
    _hooks.fire(
        ctx,
        "ReactionHasBeenRemoved",
        hm.ReactionHasBeenRemovedRequest(
            context=_hooks.request_context(ctx, removed.user_id), reaction=removed
        ),
    )
    server_event(
        ctx, "reaction_removed", {"reaction": to_dict(removed)}, channel_id=removed.channel_id
    )
    return cp.RemoveReactionResponse()


@emulates("GetReactions")
def get_reactions(ctx: ApiContext, req: cp.GetReactionsRequest) -> cp.GetReactionsResponse:
    require_id(req.post_id, "post_id")
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT data FROM reactions WHERE post_id=? ORDER BY create_at, user_id, emoji_name",
            (req.post_id,),
        ).fetchall()
    return cp.GetReactionsResponse(reactions=[load(post_pb2.Reaction, r["data"]) for r in rows])
