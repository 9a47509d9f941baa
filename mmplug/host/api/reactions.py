"""Reactions: add/remove (ReactionHasBeenAdded/Removed hooks, the post's has_reactions flag)
and list, as the server's SaveReactionForPost, DeleteReactionForPost and
GetReactionsForPost run them.

The post must exist and not be deleted (404); an archived channel refuses both changes with
a 403. The user is not looked up (any well-formed id is accepted). Removing a reaction that
is not there is no error, and the hook and event still go out.

As in the server's store, removing a reaction only marks its row deleted (``delete_at``),
and adding it again revives that row with its first ``create_at``: every read of the live
reactions skips rows with ``delete_at`` set.
"""

from __future__ import annotations

import json
import sqlite3

from mmplug.host.api import _hooks
from mmplug.host.api._entities import find_post, get_channel, save_post
from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._posts import setting
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.emoji import NAME as EMOJI_NAME
from mmplug.host.api.emoji import check_custom_emoji_enabled
from mmplug.host.api.events import server_event
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import hooks_message_pb2 as hm
from mmplug.protocol import post_pb2

UNIQUE_REACTIONS_DEFAULT = 50  # ServiceSettings.UniqueEmojiReactionLimitPerPost

differs(
    "AddReaction",
    "The server accepts only system emoji names (thumbsup, +1, white_check_mark, ...) and "
    "existing custom emoji, answering 404 app.emoji.get_by_name.no_result for any other name; "
    "mmplug takes any well-formed name (1-64 of a-z A-Z 0-9 _ - +) for a system emoji.",
)


def _live_post(db: sqlite3.Connection, post_id: str) -> post_pb2.Post:
    post = find_post(db, post_id)
    if post is None:
        raise ApiFailure(
            404,
            "app.post.get.app_error",
            f"Unable to get the post {post_id!r} to react to: it does not exist or was deleted.",
            detailed_error=f"post_id={post_id}",
            where="GetSinglePost",
        )
    return post


def _archived(db: sqlite3.Connection, post: post_pb2.Post, action: str) -> None:
    if get_channel(db, post.channel_id).delete_at:
        raise ApiFailure(
            403,
            f"api.reaction.{action}.archived_channel.app_error",
            "You cannot react to a post in an archived channel (or remove a reaction there).",
            detailed_error=f"channel_id={post.channel_id}",
        )


def _check_emoji(ctx: ApiContext, db: sqlite3.Connection, name: str) -> None:
    """A system emoji, else a custom one as GetEmojiByName finds it: custom emoji must be on
    (and have a file store), else 403, and the name must exist, else 404. A name no emoji
    can have (``:thumbsup:``, spaces) is looked up as a custom emoji and not found."""
    if EMOJI_NAME.match(name):
        return  # taken for a system emoji (see differs above)
    check_custom_emoji_enabled(ctx)
    if db.execute("SELECT 1 FROM emoji WHERE name=? AND delete_at=0", (name,)).fetchone():
        return
    raise ApiFailure(
        404,
        "app.emoji.get_by_name.no_result",
        f"No emoji is named {name!r}: use an emoji's name without colons (thumbsup, not "
        ":thumbsup:).",
        detailed_error=f"emoji_name={name}",
        where="GetEmojiByName",
    )


def _check_valid(reaction: post_pb2.Reaction) -> None:
    """``Reaction.IsValid``: the ids' format and the emoji name (1-64 of a-z A-Z 0-9 _ - +)."""
    for field, value in (("user_id", reaction.user_id), ("post_id", reaction.post_id)):
        if not is_valid_id(value):
            raise ApiFailure(
                400,
                f"model.reaction.is_valid.{field}.app_error",
                f"Invalid {field}: {value!r} is not a 26-character id.",
                detailed_error=f"{field}={value}",
                where="Reaction.IsValid",
            )
    if not EMOJI_NAME.match(reaction.emoji_name):
        raise ApiFailure(
            400,
            "model.reaction.is_valid.emoji_name.app_error",
            "Invalid emoji name: 1-64 letters, digits, '_', '-' or '+', without colons "
            "(thumbsup, not :thumbsup:).",
            detailed_error=f"emoji_name={reaction.emoji_name}",
            where="Reaction.IsValid",
        )


def _check_limit(ctx: ApiContext, db: sqlite3.Connection, reaction: post_pb2.Reaction) -> None:
    """A new emoji on a post that already has the limit of distinct emoji is refused."""
    if db.execute(
        "SELECT 1 FROM reactions WHERE post_id=? AND emoji_name=? AND delete_at=0",
        (reaction.post_id, reaction.emoji_name),
    ).fetchone():
        return
    distinct = db.execute(
        "SELECT count(DISTINCT emoji_name) FROM reactions WHERE post_id=? AND delete_at=0",
        (reaction.post_id,),
    ).fetchone()[0]
    limit = int(
        setting(ctx, "ServiceSettings", "UniqueEmojiReactionLimitPerPost", UNIQUE_REACTIONS_DEFAULT)
    )
    if distinct >= limit:
        raise ApiFailure(
            400,
            "app.reaction.save.save.too_many_reactions",
            f"The post already has {distinct} different emoji reactions, the limit "
            "(ServiceSettings.UniqueEmojiReactionLimitPerPost).",
            detailed_error=f"post_id={reaction.post_id}",
        )


def _touch_post(db: sqlite3.Connection, post: post_pb2.Post, now: int) -> None:
    """Any reaction change moves the post's update_at and recomputes has_reactions."""
    count = db.execute(
        "SELECT count(*) FROM reactions WHERE post_id=? AND delete_at=0", (post.id,)
    ).fetchone()[0]
    post.has_reactions, post.update_at = bool(count), now
    save_post(db, post)


def _stored_reaction(
    db: sqlite3.Connection, reaction: post_pb2.Reaction, *, live: bool = True
) -> post_pb2.Reaction | None:
    """The stored row of ``reaction`` (the same user, post and emoji); a removed one only
    when ``live`` is false."""
    row = db.execute(
        "SELECT data, delete_at FROM reactions WHERE user_id=? AND post_id=? AND emoji_name=?",
        (reaction.user_id, reaction.post_id, reaction.emoji_name),
    ).fetchone()
    if row is None or (live and row["delete_at"]):
        return None
    return load(post_pb2.Reaction, row["data"])


def _store_reaction(db: sqlite3.Connection, reaction: post_pb2.Reaction) -> None:
    """Insert, or revive/refresh the stored row: its first create_at stays."""
    stored = _stored_reaction(db, reaction, live=False)
    row = post_pb2.Reaction()
    row.CopyFrom(reaction)
    row.delete_at = 0
    if stored is not None:
        row.create_at = stored.create_at
    db.execute(
        "INSERT INTO reactions(user_id, post_id, emoji_name, create_at, delete_at, data) "
        "VALUES(?,?,?,?,0,?) ON CONFLICT(user_id, post_id, emoji_name) DO UPDATE SET "
        "delete_at=0, data=excluded.data",
        (row.user_id, row.post_id, row.emoji_name, row.create_at, dump(row)),
    )


def _delete_reaction(db: sqlite3.Connection, reaction: post_pb2.Reaction, now: int) -> None:
    """Mark the stored row deleted (update_at and delete_at ``now``, the given remote_id)."""
    stored = _stored_reaction(db, reaction, live=False)
    if stored is None:
        return
    stored.update_at = stored.delete_at = now
    stored.remote_id = reaction.remote_id
    db.execute(
        "UPDATE reactions SET delete_at=?, data=? WHERE user_id=? AND post_id=? AND "
        "emoji_name=?",
        (now, dump(stored), reaction.user_id, reaction.post_id, reaction.emoji_name),
    )


def record_reaction(ctx: ApiContext, reaction: post_pb2.Reaction, added: bool = True) -> bool:
    """Store (``added``) or remove the reaction as the server has done, without hooks or
    events. False when the store holds it (or lacks it) already. Raises the AppError of a
    reaction the server could not have saved (the post missing or deleted, an archived
    channel, an invalid reaction)."""
    with ctx.store.tx() as db:
        post = _live_post(db, reaction.post_id)
        _archived(db, post, "save" if added else "delete")
        if (_stored_reaction(db, reaction) is not None) == added:
            return False
        now = ctx.now()
        if added:
            reaction.channel_id = reaction.channel_id or post.channel_id
            reaction.create_at = reaction.create_at or now
            reaction.update_at = reaction.update_at or now
            _check_valid(reaction)
            _store_reaction(db, reaction)
        else:
            _delete_reaction(db, reaction, reaction.update_at or now)
        _touch_post(db, post, now)
    return True


def reaction_json(reaction: post_pb2.Reaction) -> str:
    """The reaction as the server's ``sendReactionEvent`` puts it in the event: the JSON text
    ``json.Marshal`` writes (every field of the model, numbers as numbers)."""
    return json.dumps({
        "user_id": reaction.user_id, "post_id": reaction.post_id,
        "emoji_name": reaction.emoji_name, "create_at": reaction.create_at,
        "update_at": reaction.update_at, "delete_at": reaction.delete_at,
        "remote_id": reaction.remote_id, "channel_id": reaction.channel_id,
    }, separators=(",", ":"))


@emulates("AddReaction")
def add_reaction(ctx: ApiContext, req: cp.AddReactionRequest) -> cp.AddReactionResponse:
    reaction = post_pb2.Reaction()
    reaction.CopyFrom(req.reaction)
    with ctx.store.tx() as db:
        post = _live_post(db, reaction.post_id)
        _check_emoji(ctx, db, reaction.emoji_name)
        _check_limit(ctx, db, reaction)
        _archived(db, post, "save")
        reaction.channel_id = post.channel_id
        now = ctx.now()
        reaction.create_at = reaction.create_at or now
        reaction.update_at, reaction.delete_at = now, 0
        reaction.remote_id = reaction.remote_id or ""
        _check_valid(reaction)
        _store_reaction(db, reaction)
        _touch_post(db, post, now)
    _hooks.fire(
        ctx,
        "ReactionHasBeenAdded",
        hm.ReactionHasBeenAddedRequest(
            context=_hooks.request_context(ctx, reaction.user_id), reaction=reaction
        ),
    )
    server_event(
        ctx, "reaction_added", {"reaction": reaction_json(reaction)}, channel_id=post.channel_id
    )
    return cp.AddReactionResponse(reaction=reaction)


@emulates("RemoveReaction")
def remove_reaction(ctx: ApiContext, req: cp.RemoveReactionRequest) -> cp.RemoveReactionResponse:
    reaction = post_pb2.Reaction()
    reaction.CopyFrom(req.reaction)
    with ctx.store.tx() as db:
        post = _live_post(db, reaction.post_id)
        _archived(db, post, "delete")
        reaction.update_at = ctx.now()
        reaction.remote_id = reaction.remote_id or ""
        _delete_reaction(db, reaction, reaction.update_at)
        _touch_post(db, post, reaction.update_at)
    _hooks.fire(
        ctx,
        "ReactionHasBeenRemoved",
        hm.ReactionHasBeenRemovedRequest(
            context=_hooks.request_context(ctx, reaction.user_id), reaction=reaction
        ),
    )
    server_event(
        ctx, "reaction_removed", {"reaction": reaction_json(reaction)}, channel_id=post.channel_id
    )
    return cp.RemoveReactionResponse()


@emulates("GetReactions")
def get_reactions(ctx: ApiContext, req: cp.GetReactionsRequest) -> cp.GetReactionsResponse:
    """The post's reactions, oldest first; an unknown post has none (no error)."""
    with ctx.store.read() as db:
        rows = db.execute(
            "SELECT data FROM reactions WHERE post_id=? AND delete_at=0 "
            "ORDER BY create_at, user_id, emoji_name",
            (req.post_id,),
        ).fetchall()
    return cp.GetReactionsResponse(reactions=[load(post_pb2.Reaction, r["data"]) for r in rows])
