"""Posts: create (MessageWillBePosted chain, MessageHasBeenPosted), update (MessageWillBe/
HasBeenUpdated), delete (with replies, unflagged for every user; MessageHasBeenDeleted) and
get, as the server's CreatePostMissingChannel, UpdatePost, DeletePost and GetSinglePost run
them for a plugin.

What a plugin may do differs from a user of the web app: a plugin's post gets the
``from_plugin`` prop and may go to an archived channel or carry a ``system_`` type (the
server checks neither on this path), while editing or deleting in an archived channel is
refused for everyone. Validation that the server runs when it saves (message length, type,
an id given by the caller) comes after the Will hooks, as on the server. Posts handed back
have no ``metadata`` (the server's ``Post.ForPlugin``). A post's ``reply_count`` is not
stored: the reads that show it count the live replies of the thread, as the server's store
does.

Hooks fire outside the store transaction: the plugins may call the API back.
"""

from __future__ import annotations

import sqlite3
from enum import Enum
from typing import Any

from mmplug.host.api import _files, _hooks
from mmplug.host.api._convert import CHANNEL_TYPE_LETTERS, DIRECT_OR_GROUP
from mmplug.host.api._entities import (
    find_member,
    find_post,
    find_user,
    get_channel,
    post_from_row,
    save_channel,
    save_member,
)
from mmplug.host.api._entities import save_post as store_post
from mmplug.host.api._mention_warnings import (
    MENTION_HIGHLIGHT_DISABLED,
    blocked_channel_mention,
    mention_warnings,
)
from mmplug.host.api._mentions import channel_profiles, notified, posted_hooks
from mmplug.host.api._pbjson import go_json, to_dict
from mmplug.host.api._posts import (
    BURN_ON_READ_TYPE,
    JOIN_LEAVE_TYPES,
    check_root,
    count_replies,
    dedupe_file_ids,
    fill_in_post_props,
    for_plugin,
    parse_hashtags,
    post_json,
    pre_commit,
    rejected,
    sanitize_props,
    setting,
    validate_post,
)
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.ephemeral import send_ephemeral
from mmplug.host.api.events import server_event
from mmplug.protocol import api_channel_post_pb2 as cp
from mmplug.protocol import channel_pb2, file_pb2, post_pb2
from mmplug.protocol import hooks_message_pb2 as hm

for _saved in ("CreatePost", "UpdatePost"):
    differs(
        _saved,
        "The server re-encodes props.attachments as its MessageAttachment type when it saves "
        "the post (keys it does not know are dropped, missing ones come back empty: fallback, "
        "color, pretext, ...); mmplug keeps the attachments as sent and only fills in the "
        "ids of their buttons.",
    )

differs(
    "CreatePost",
    "The server runs the broadcast hooks of the posted event on each WebSocket connection "
    "before sending it: a mentioned user's connections get mentions (the JSON text of a list "
    "holding their own id), a notified thread follower's get followers the same way, the "
    "post gets back the ~channel mentions its user may read, and a client that asked for "
    "acknowledgements gets should_ack when it is notified. mmplug has no connections: it "
    "records the event once, as published, with the hooks and their arguments (who is "
    "mentioned, who follows, which channels) in its broadcast (broadcast_hooks, "
    "broadcast_hook_args).",
)
differs(
    "CreatePost",
    "The server keeps thread memberships: a reply makes its poster, the root's poster and "
    "the users it mentions follow the thread (a user may unfollow it), and each follower "
    "with collapsed reply threads gets a thread_updated event with the thread's unread "
    "counts. mmplug keeps none: it works the followers of a reply's posted event out from "
    "the thread's posts (an unfollow is not known) and sends no thread_updated event.",
)
differs(
    "UpdatePost",
    "The post in the server's post_edited event has the metadata it prepares for clients: "
    "link previews (embeds, images), the post's reactions, the custom emojis it uses, and a "
    "mini preview of each attached image. mmplug's has the post's own metadata and its files "
    "only (mini_preview null).",
)
differs(
    "UpdatePost",
    "The server runs the channel_mentions broadcast hook of the post_edited event on each "
    "WebSocket connection: the post gets back the ~channel mentions its user may read. mmplug "
    "has no connections: it records the event once, as published, with the hook in its "
    "broadcast.",
)
differs(
    "CreatePost",
    "The post in the server's posted event has the metadata it prepares for clients: link "
    "previews (embeds, images), the custom emojis the message uses, and a mini preview of each "
    "attached image. mmplug's has the post's own metadata and its files only (mini_preview "
    "null).",
)
differs(
    "CreatePost",
    "With an Enterprise Advanced license the server makes a burn_on_read post special: it is "
    "refused in a shared channel, a self-DM or a DM with a bot, gets expire_at and "
    "read_duration props, runs no MessageWillBePosted or MessageHasBeenPosted, and its "
    "events carry no message or files. mmplug refuses it without that license (501) as the "
    "server does, but with one creates it like any other post.",
)
differs(
    "CreatePost",
    "The server looks for mentions in the text of the message's whole Markdown; mmplug leaves "
    "out only code blocks and code spans.",
)
differs(
    "CreatePost",
    "The server also notifies the users a new post mentions (and the thread followers it "
    "notifies) by email, when EmailSettings.SendEmailNotifications is on (running every "
    "plugin's EmailNotificationWillBeSent), and by push to their mobile sessions, when "
    "EmailSettings.SendPushNotifications is on (running every plugin's "
    "NotificationWillBePushed first), as their notify props and status allow. mmplug sends "
    "neither for a post: no mail or push_notification event, and those hooks run only for "
    "SendPushNotification or when fired.",
)
differs(
    "CreatePost",
    "The server writes the ephemeral posts that tell the poster who a mention did not notify "
    "in the poster's language, and sends the one about users outside the channel from a "
    "goroutine (it may come after the posted event); mmplug writes them in English and "
    "records them all before the posted event.",
)

FLAGGED_POST = "flagged_post"  # model.PreferenceCategoryFlaggedPost: a user's saved message


class Origin(Enum):
    """Who creates a post; the server's entry points check different things."""

    PLUGIN = "plugin"  # PluginAPI.CreatePost: from_plugin prop, archived channels allowed
    USER = "user"  # the web app (CreatePostAsUser): no archived channel, no system_ type
    SERVER = "server"  # the server itself (join/leave messages, command answers)


def _post_channel(
    db: sqlite3.Connection, post: post_pb2.Post, origin: Origin
) -> channel_pb2.Channel:
    if origin is not Origin.USER:
        return get_channel(db, post.channel_id)  # archived channels included
    try:
        channel = get_channel(db, post.channel_id)
    except ApiFailure:
        raise ApiFailure(
            400,
            "api.context.invalid_param.app_error",
            "Invalid post.channel_id parameter: no such channel.",
            detailed_error=f"channel_id={post.channel_id}",
            params={"Name": "post.channel_id"},
        ) from None
    if post.type.startswith("system_"):
        raise ApiFailure(
            400,
            "api.context.invalid_param.app_error",
            f"Invalid post.type parameter: users cannot post {post.type!r} messages.",
            params={"Name": "post.type"},
        )
    if channel.delete_at:
        raise ApiFailure(
            400,
            "api.post.create_post.can_not_post_to_deleted.error",
            "Can not post to an archived channel.",
            detailed_error=f"channel_id={channel.id}",
        )
    return channel


def _prepare_new_post(ctx: ApiContext, post: post_pb2.Post, origin: Origin) -> None:
    """The server's checks and fills before MessageWillBePosted."""
    with ctx.store.read() as db:
        channel = _post_channel(db, post, origin)
        if (channel.shared and channel.type in DIRECT_OR_GROUP
                and not setting(ctx, "FeatureFlags", "EnableSharedChannelsDMs", False)):
            raise ApiFailure(
                400,
                "app.post.create_post.shared_dm_or_gm.app_error",
                "Cannot post in a shared direct or group channel while the "
                "FeatureFlags.EnableSharedChannelsDMs feature flag is off.",
                detailed_error=f"channel_id={channel.id}",
            )
        sanitize_props(post)
        user = find_user(db, post.user_id)
        if user is None:
            raise ApiFailure(
                404,
                "app.user.missing_account.const",
                f"Unable to find the user {post.user_id!r} the post is from: set user_id to "
                "an existing user (e.g. your bot's id).",
                detailed_error=f"user_id={post.user_id}",
            )
        if user.is_bot:
            post.props["from_bot"] = "true"
        if blocked_channel_mention(db, post, channel) is not None:
            post.props[MENTION_HIGHLIGHT_DISABLED] = True
        check_root(db, post, as_user=origin is Origin.USER)
        post.hashtags = parse_hashtags(post.message)
        fill_in_post_props(db, post, channel)


def _save_new_post(db: sqlite3.Connection, post: post_pb2.Post) -> None:
    root = check_root(db, post)  # again, inside the transaction
    store_post(db, post)
    attached = _files.attach_to_post(db, post)
    if list(attached) != list(post.file_ids):  # files that could not be attached are dropped
        del post.file_ids[:]
        post.file_ids.extend(attached)
        store_post(db, post)
    if root is not None:
        root.last_reply_at = root.update_at = post.create_at
        store_post(db, root)
        count_replies(db, post)  # a new reply comes back counted; a root keeps what it had
    channel = get_channel(db, post.channel_id)
    channel.last_post_at = max(channel.last_post_at, post.create_at)
    counted = 0 if post.type in JOIN_LEAVE_TYPES else 1
    channel.total_msg_count += counted
    if not post.root_id:
        channel.total_msg_count_root += counted
        channel.last_root_post_at = max(channel.last_root_post_at, post.create_at)
    save_channel(db, channel)


def create_post(
    ctx: ApiContext, post: post_pb2.Post, *, origin: Origin = Origin.SERVER
) -> post_pb2.Post:
    """Create a post as the server does for ``origin`` (usable by other areas: the test
    harness posts as a user, join/leave messages come from the server)."""
    if origin is Origin.PLUGIN:
        post.props["from_plugin"] = "true"
    prepare_post(ctx, post, origin)
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
    return save_created_post(ctx, post, outcome.subject)


def prepare_post(ctx: ApiContext, post: post_pb2.Post, origin: Origin) -> None:
    """The server's checks and fills of a new post before MessageWillBePosted (raises the
    AppError that stops the post)."""
    _prepare_new_post(ctx, post, origin)


def save_created_post(
    ctx: ApiContext, post: post_pb2.Post, final: post_pb2.Post
) -> post_pb2.Post:
    """What the server does once MessageWillBePosted allowed ``post`` (``final``: the
    plugins' replacement, or ``post`` itself): save it, run MessageHasBeenPosted on every
    plugin, send the ``posted`` event. Returns the saved post as plugins get it."""
    if final is not post:
        final.channel_id, final.user_id, final.root_id = post.channel_id, post.user_id, post.root_id
        # a replacement keeps the original's priority; without metadata (a Python plugin's
        # never has any: it does not cross) it gets the original's metadata back
        if final.HasField("metadata") and post.HasField("metadata"):
            final.metadata.priority.CopyFrom(post.metadata.priority)
        elif post.HasField("metadata"):
            final.metadata.CopyFrom(post.metadata)
    final.create_at = final.create_at or ctx.now()
    if final.id:
        raise ApiFailure(
            400,
            "app.post.save.existing.app_error",
            "You cannot update an existing post: leave id empty to create a post (the server "
            "assigns it), or use UpdatePost.",
            detailed_error=f"id={final.id}",
        )
    final.id, final.original_id, final.update_at = ctx.new_id(), "", final.create_at
    pre_commit(ctx, final)
    validate_post(final)
    with ctx.store.tx() as db:
        _save_new_post(db, final)
    _hooks.fire(
        ctx,
        "MessageHasBeenPosted",
        hm.MessageHasBeenPostedRequest(
            context=_hooks.request_context(ctx, final.user_id), post=for_plugin(final)
        ),
    )
    _send_posted(ctx, final)
    # decided on the post as given, whatever the hooks made of it; prepare_post marked it
    # when its poster may not use channel mentions here (only then is the store read again)
    if MENTION_HIGHLIGHT_DISABLED in post.props:
        with ctx.store.read() as db:
            blocked = blocked_channel_mention(db, post, get_channel(db, post.channel_id))
        if blocked is not None:
            send_ephemeral(ctx, post.user_id, blocked)
    return for_plugin(final)


def _send_posted(ctx: ApiContext, post: post_pb2.Post) -> None:
    """The server's ``posted`` event of a new post (SendNotifications), to the channel, with
    the broadcast hooks that add each recipient's mentions, after the mentioned users'
    mention counts and the ephemeral posts that tell the poster about mentions that
    notified nobody. The server notifies nobody of a post in an archived channel: no event,
    no count."""
    with ctx.store.read() as db:
        channel = get_channel(db, post.channel_id)
        if channel.delete_at:
            return
        notifying = notified(db, post, channel)
        hooks = posted_hooks(post, channel, notifying)
        warnings = mention_warnings(ctx, db, post, channel, notifying)
        files = _files.for_post(db, post.id) if post.file_ids else []
    if notifying.mentioned:
        with ctx.store.tx() as db:
            _count_mentions(db, post, notifying.mentioned, ctx.now())
    for warning in warnings:
        send_ephemeral(ctx, post.user_id, warning)
    _publish_for_post(ctx, "posted", post, _posted_data(ctx, post, channel, files), hooks,
                      _client_metadata(post, files))


def _count_mentions(db: sqlite3.Connection, post: post_pb2.Post, user_ids: list[str],
                    now: int) -> None:
    """The store's IncrementMentionCount for the users a new post mentions: their channel
    membership's ``mention_count`` goes up by one, ``mention_count_root`` too for a root
    post, ``urgent_mention_count`` for an urgent one; ``last_update_at`` is now."""
    root = not post.root_id
    urgent = post.metadata.priority.priority == "urgent"
    for user_id in user_ids:
        member = find_member(db, post.channel_id, user_id)
        if member is None:
            continue
        member.mention_count += 1
        member.mention_count_root += root
        member.urgent_mention_count += urgent
        member.last_update_at = now
        save_member(db, member)


def _client_metadata(post: post_pb2.Post, files: list[file_pb2.FileInfo]) -> dict[str, Any]:
    """The metadata PreparePostForClient gives a new or edited post, as far as mmplug makes
    it: the post's own (its priority) and its ``files``."""
    metadata = go_json(post.metadata) if post.HasField("metadata") else {}
    if files:
        metadata["files"] = [_files.file_model(info) for info in files]
    return metadata


def _publish_for_post(ctx: ApiContext, event: str, post: post_pb2.Post,
                      data: dict[str, object], hooks: dict[str, list[Any]] | None = None,
                      metadata: dict[str, Any] | None = None) -> None:
    """The server's publishWebsocketEventForPost: ``data`` with the post as JSON text (with
    ``metadata`` when given), to the post's channel. The ``channel_mentions`` prop leaves the
    post's JSON: a broadcast hook puts back, on each connection, the mentioned channels its
    user may read."""
    sent = post_pb2.Post()
    sent.CopyFrom(post)
    mentions = to_dict(sent.props).get("channel_mentions") if sent.HasField("props") else None
    if "channel_mentions" in sent.props:
        del sent.props["channel_mentions"]
    broadcast: dict[str, list[Any]] = {k: list(v) for k, v in (hooks or {}).items()}
    if isinstance(mentions, dict) and mentions:
        broadcast.setdefault("broadcast_hooks", []).append("channel_mentions")
        broadcast.setdefault("broadcast_hook_args", []).append({"channel_mentions": mentions})
    server_event(ctx, event, {"post": post_json(sent, metadata), **data},
                 channel_id=post.channel_id, **broadcast)


def _posted_data(ctx: ApiContext, post: post_pb2.Post, channel: channel_pb2.Channel,
                 files: list[file_pb2.FileInfo]) -> dict[str, object]:
    """The data of the server's ``posted`` event besides the post: the names a client shows
    with it (usernames, as the server's ShowUsername format; a group channel is named after
    its active members)."""
    with ctx.store.read() as db:
        sender = find_user(db, post.user_id)
        members = channel_profiles(db, channel.id).values() if (
            channel.type == channel_pb2.CHANNEL_TYPE_GROUP) else ()
    at_sender = f"@{sender.username}" if sender is not None else "@"
    if channel.type == channel_pb2.CHANNEL_TYPE_DIRECT:
        display_name = at_sender
    elif channel.type == channel_pb2.CHANNEL_TYPE_GROUP:
        display_name = ", ".join(sorted(u.username for u in members))
    else:
        display_name = channel.display_name
    props = dict(post.props.items())
    override = props.get("override_username")
    if post.type.startswith("system_"):
        sender_name = "System"
    elif (isinstance(override, str) and props.get("from_webhook") == "true"
          and channel.type != channel_pb2.CHANNEL_TYPE_DIRECT
          and setting(ctx, "ServiceSettings", "EnablePostUsernameOverride", False)):
        sender_name = override
    else:
        sender_name = at_sender
    data: dict[str, object] = {
        "channel_type": CHANNEL_TYPE_LETTERS.get(channel.type, ""),
        "channel_display_name": display_name,
        "channel_name": channel.name,
        "sender_name": sender_name,
        "team_id": channel.team_id,
        "set_online": True,  # every way mmplug creates a post sets the poster online
    }
    if post.file_ids:
        data["otherFile"] = "true"
        if any(info.mime_type.startswith("image") for info in files):
            data["image"] = "true"
    return data


def record_post(ctx: ApiContext, post: post_pb2.Post) -> bool:
    """Store ``post`` (it has its id) as the server has saved it, without hooks or events:
    the thread's and the channel's counters move as on a save. False when it is stored
    already. Raises the AppError of a post the server could not have saved (an unknown user
    or channel, a root that is not a live root of the channel)."""
    with ctx.store.read() as db:
        if find_post(db, post.id, include_deleted=True) is not None:
            return False
    checked = post_pb2.Post()
    checked.CopyFrom(post)
    _prepare_new_post(ctx, checked, Origin.SERVER)
    post.create_at = post.create_at or ctx.now()
    post.update_at = post.update_at or post.create_at
    validate_post(post)
    with ctx.store.tx() as db:
        if find_post(db, post.id, include_deleted=True) is not None:
            return False
        _save_new_post(db, post)
    return True


@emulates("CreatePost")
def create_post_rpc(ctx: ApiContext, req: cp.CreatePostRequest) -> cp.CreatePostResponse:
    post = post_pb2.Post()
    post.CopyFrom(req.post)
    return cp.CreatePostResponse(post=create_post(ctx, post, origin=Origin.PLUGIN))


def _no_post(post_id: str, where: str, status: int = 404) -> ApiFailure:
    return ApiFailure(
        status,
        "app.post.get.app_error",
        f"Unable to get the post {post_id!r}: it does not exist or was deleted.",
        detailed_error=f"post_id={post_id}",
        where=where,
    )


@emulates("GetPost")
def get_post_rpc(ctx: ApiContext, req: cp.GetPostRequest) -> cp.GetPostResponse:
    with ctx.store.read() as db:
        post = find_post(db, req.post_id)
        if post is None:
            raise _no_post(req.post_id, "GetSinglePost")
        count_replies(db, post)
    return cp.GetPostResponse(post=for_plugin(post))


def _edited(old: post_pb2.Post, received: post_pb2.Post, now: int) -> post_pb2.Post:
    """The server's non-safe update: message (with edit_at and hashtags), pinned, reactions
    flag, props and file ids come from the caller; everything else stays."""
    new = post_pb2.Post()
    new.CopyFrom(old)
    if received.message != old.message:
        new.message, new.edit_at = received.message, now
        new.hashtags = parse_hashtags(received.message)
    new.is_pinned, new.has_reactions = received.is_pinned, received.has_reactions
    new.props.Clear()
    new.props.update(to_dict(received.props) if received.HasField("props") else {})
    del new.file_ids[:]
    new.file_ids.extend(received.file_ids)
    dedupe_file_ids(new)
    files_changed = list(new.file_ids) != list(old.file_ids)
    attachments_changed = _attachments(new) != _attachments(old)
    if new.edit_at == old.edit_at and (files_changed or attachments_changed):
        new.edit_at = now
    return new


def _attachments(post: post_pb2.Post) -> object:
    return to_dict(post.props).get("attachments") if post.HasField("props") else None


def _editable(ctx: ApiContext, post_id: str) -> tuple[post_pb2.Post, channel_pb2.Channel]:
    if not post_id:
        raise _no_post(post_id, "UpdatePost", 400)
    with ctx.store.read() as db:
        old = find_post(db, post_id)
        if old is None:
            raise _no_post(post_id, "UpdatePost")
        count_replies(db, old)
        if old.type == BURN_ON_READ_TYPE:
            raise ApiFailure(
                400,
                "api.post.update_post.burn_on_read.app_error",
                "Burn-on-read posts cannot be edited.",
                detailed_error=f"id={post_id}",
            )
        if old.type.startswith("system_"):
            raise ApiFailure(
                400,
                "api.post.update_post.system_message.app_error",
                "Unable to update a system message.",
                detailed_error=f"id={post_id} type={old.type}",
            )
        channel = get_channel(db, old.channel_id)
    if channel.delete_at:
        raise ApiFailure(
            400,
            "api.post.update_post.can_not_update_post_in_deleted.error",
            "Can not update a post in an archived channel.",
            detailed_error=f"channel_id={channel.id}",
        )
    return old, channel


def _store_edit(
    ctx: ApiContext, db: sqlite3.Connection, final: post_pb2.Post, old: post_pb2.Post,
    kept_id: str | None = None, *, attach: bool = True,
) -> post_pb2.Post:
    """Save the edit like the server's store: the old version is kept as a deleted copy with
    a new id (``kept_id`` when given) and ``original_id`` (the edit history GetPostsSince
    shows), and the channel's (and a reply's root's) last activity moves to now. Returns that
    old version."""
    final.update_at = ctx.now()
    pre_commit(ctx, final)
    store_post(db, final)
    if attach:
        _files.attach_to_post(db, final)
    history = post_pb2.Post()
    history.CopyFrom(old)
    history.id, history.original_id = kept_id or ctx.new_id(), old.id
    history.delete_at = history.update_at = final.update_at
    pre_commit(ctx, history)
    store_post(db, history)
    channel = get_channel(db, final.channel_id)
    channel.last_post_at = max(channel.last_post_at, final.update_at)
    save_channel(db, channel)
    root = find_post(db, final.root_id) if final.root_id else None
    if root is not None and root.update_at < final.update_at:
        root.update_at = final.update_at
        store_post(db, root)
    return history


@emulates("UpdatePost")
def update_post(ctx: ApiContext, req: cp.UpdatePostRequest) -> cp.UpdatePostResponse:
    received = post_pb2.Post()
    received.CopyFrom(req.post)
    sanitize_props(received)
    old, channel = _editable(ctx, received.id)
    with ctx.store.tx() as db:
        _apply_file_changes(ctx, db, received, old)
    new = _edited(old, received, ctx.now())
    with ctx.store.read() as db:
        fill_in_post_props(db, new, channel)
    outcome = _hooks.chain(
        ctx,
        "MessageWillBeUpdated",
        new,
        lambda p: hm.MessageWillBeUpdatedRequest(
            context=_hooks.request_context(ctx, old.user_id),
            new_post=for_plugin(p),
            old_post=for_plugin(old),
        ),
        "modified_post",
    )
    if outcome.rejected:
        raise rejected(outcome.rejection, "UpdatePost")
    return cp.UpdatePostResponse(
        post=save_edited_post(ctx, old, outcome.subject, files_attached=True)
    )


def _apply_file_changes(ctx: ApiContext, db: sqlite3.Connection, received: post_pb2.Post,
                        old: post_pb2.Post, session_user_id: str = "") -> None:
    """The server's processPostFileChanges, run before MessageWillBeUpdated (its changes stay
    even if the edit is then refused): files new to the post are attached, as uploaded by
    the session's user (a plugin's API calls have none, so only files a plugin uploaded
    attach), and when some cannot be, ``received.file_ids`` becomes the attached ones then
    the ones the post kept; files taken off the post are marked deleted."""
    new_ids = list(dict.fromkeys(received.file_ids))
    old_ids = list(dict.fromkeys(old.file_ids))
    added = [f for f in new_ids if f not in old_ids]
    removed = [f for f in old_ids if f not in new_ids]
    kept = [f for f in new_ids if f in old_ids]
    if added:
        target = post_pb2.Post(id=old.id, channel_id=old.channel_id, user_id=old.user_id)
        attached = _files.attach_to_post(db, target, added, creator_id=session_user_id)
        if len(attached) != len(added):
            del received.file_ids[:]
            received.file_ids.extend([*attached, *kept])
    if removed:
        _files.delete_for_post(db, old.id, ctx.now(), removed)


def save_edited_post(
    ctx: ApiContext, old: post_pb2.Post, final: post_pb2.Post, *, files_attached: bool = False
) -> post_pb2.Post:
    """What the server does once MessageWillBeUpdated allowed an edit of ``old`` (``final``:
    the edited post, as the plugins returned it): save it with the old version kept, run
    MessageHasBeenUpdated on every plugin, send ``post_edited``. Returns the saved post.

    MessageHasBeenUpdated gets that kept old version as ``old_post`` (its own id,
    ``original_id`` the post's, deleted at the edit): the server's store turns the old post
    it was given into that copy before the hook runs. ``files_attached``: the edit's new files
    were attached before the hook already (the UpdatePost rpc), so none is attached here."""
    final.id, final.channel_id, final.create_at = old.id, old.channel_id, old.create_at
    if old.HasField("metadata"):  # the server puts the last good metadata back
        final.metadata.CopyFrom(old.metadata)
    else:
        final.ClearField("metadata")
    validate_post(final)
    with ctx.store.tx() as db:
        kept = _store_edit(ctx, db, final, old, attach=not files_attached)
    _hooks.fire(
        ctx,
        "MessageHasBeenUpdated",
        hm.MessageHasBeenUpdatedRequest(
            context=_hooks.request_context(ctx, old.user_id),
            new_post=for_plugin(final),
            old_post=for_plugin(kept),
        ),
    )
    with ctx.store.read() as db:
        files = _files.for_post(db, final.id) if final.file_ids else []
    _publish_for_post(ctx, "post_edited", final, {}, metadata=_client_metadata(final, files))
    return for_plugin(final)


def record_edit(ctx: ApiContext, old: post_pb2.Post, new: post_pb2.Post,
                kept_id: str | None = None) -> bool:
    """Store the edit of ``old`` into ``new`` as the server has saved it, without hooks or
    events (``old`` is stored first if the store lacks it; ``kept_id``: the id of the old
    version's kept copy, when the request names it). False when the stored post is already
    ``new``."""
    record_post(ctx, old)
    with ctx.store.read() as db:
        stored = find_post(db, old.id)
    if stored is None:
        raise _no_post(old.id, "UpdatePost")
    if stored.message == new.message and stored.update_at >= new.update_at:
        return False
    final = post_pb2.Post()
    final.CopyFrom(new)
    final.id, final.channel_id, final.create_at = stored.id, stored.channel_id, stored.create_at
    validate_post(final)
    with ctx.store.tx() as db:
        _store_edit(ctx, db, final, stored, kept_id)
    return True


@emulates("DeletePost")
def delete_post(ctx: ApiContext, req: cp.DeletePostRequest) -> cp.DeletePostResponse:
    delete_post_as(ctx, req.post_id, ctx.plugin_id)
    return cp.DeletePostResponse()


def delete_post_as(ctx: ApiContext, post_id: str, deleted_by: str) -> post_pb2.Post:
    """The server's DeletePost by ``deleted_by`` (a plugin id, or the user who deletes):
    the post and its thread are deleted, then MessageHasBeenDeleted runs on every plugin and
    ``post_deleted`` goes out. Returns the post as it was read before the delete."""
    with ctx.store.tx() as db:
        post = _deletable(db, post_id)
        _delete_thread(ctx, db, post, deleted_by)
    # The hook and the event carry the post as it was read before the delete.
    _hooks.fire(
        ctx,
        "MessageHasBeenDeleted",
        hm.MessageHasBeenDeletedRequest(
            context=_hooks.request_context(ctx, post.user_id), post=for_plugin(post)
        ),
    )
    # The server publishes it twice: to the channel's members who are not system admins, then
    # with who deleted it to the system admins (its sanitized and sensitive broadcasts).
    sent = post_json(post)
    server_event(ctx, "post_deleted", {"post": sent}, channel_id=post.channel_id,
                 contains_sanitized_data=True)
    server_event(ctx, "post_deleted", {"post": sent, "delete_by": deleted_by},
                 channel_id=post.channel_id, contains_sensitive_data=True)
    return post


def record_delete(ctx: ApiContext, post: post_pb2.Post, deleted_by: str = "") -> bool:
    """Delete ``post`` in the store as the server has done, without hooks or events (it is
    stored first if the store lacks it). False when it is deleted already."""
    record_post(ctx, post)
    with ctx.store.tx() as db:
        stored = find_post(db, post.id)
        if stored is None:
            return False
        _deletable(db, post.id)
        _delete_thread(ctx, db, stored, deleted_by)
    return True


def _deletable(db: sqlite3.Connection, post_id: str) -> post_pb2.Post:
    post = find_post(db, post_id)
    if post is None:  # the server answers 400 here, not 404
        raise _no_post(post_id, "DeletePost", 400)
    count_replies(db, post)
    if get_channel(db, post.channel_id).delete_at:
        raise ApiFailure(
            400,
            "api.post.delete_post.can_not_delete_post_in_deleted.error",
            "Can not delete a post in an archived channel.",
            detailed_error=f"channel_id={post.channel_id}",
        )
    return post


def _delete_thread(
    ctx: ApiContext, db: sqlite3.Connection, post: post_pb2.Post, deleted_by: str
) -> None:
    now = ctx.now()
    # The post and every row of its thread (replies, deleted ones and old versions too).
    for row in db.execute(
        "SELECT data, delete_at, update_at FROM posts WHERE (id=? OR root_id=?) "
        "AND ephemeral=0",
        (post.id, post.id),
    ).fetchall():
        target = post_from_row(row)
        target.delete_at = target.update_at = now
        target.props["deleteBy"] = deleted_by
        store_post(db, target)
    _files.delete_for_post(db, post.id, now)
    # Every user's flag of the post goes (the server's deleteFlaggedPosts); replies keep theirs.
    db.execute("DELETE FROM preferences WHERE category=? AND name=?", (FLAGGED_POST, post.id))
