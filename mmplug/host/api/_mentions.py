"""Who a new post notifies, as the server's SendNotifications works it out, and the broadcast
hooks its ``posted`` event carries for that.

The server publishes one ``posted`` event to the channel and attaches broadcast hooks that it
runs on each WebSocket connection before sending: ``add_mentions`` gives each mentioned user's
connections ``mentions`` (the JSON text of a list holding their own id), ``add_followers``
does the same with ``followers`` for the thread's followers it notifies, ``posted_ack`` asks
the connections of users who get a notification to acknowledge it. The hooks and their
arguments are part of the published event (``broadcast_hooks``, ``broadcast_hook_args``).

Mentions (getExplicitMentionsAndKeywords): in a direct channel the other user; elsewhere the
active channel members whose keywords the text holds (``@username``, their mention keys,
their first name when they asked for it, ``@channel``/``@all``, and ``@here`` when they are
online, where channel mentions are allowed), every member of a group channel, the user a
``system_add_to_channel`` post adds, and in a thread the earlier posters who asked for
replies (users without collapsed threads). The poster is never mentioned, except by a
webhook's post. ``@name`` of a group that allows references (a professional license or
higher, and the poster may use group mentions here) mentions the group's members who are
in the channel; its team members outside the channel, like any ``@name`` that mentions
nobody here, are the post's other potential mentions, which the poster is told about
(mmplug.host.api._mention_warnings).

Thread followers (users with collapsed reply threads): mmplug keeps no thread memberships, so
it works them out from the thread's posts as the server's automatic following makes them;
a user who unfollowed a thread (a client's action) still counts.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from mmplug.host.api._convert import (
    CHANNEL_TYPE_LETTERS,
    channel_member_from_row,
    post_from_row,
    status_from_row,
    user_from_row,
)
from mmplug.host.api._groups import groups_where
from mmplug.host.api._pbjson import to_dict
from mmplug.host.api.config import server_setting
from mmplug.host.api.permissions import channel_permission
from mmplug.host.api.server_info import minimum_professional_license
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import channel_pb2, post_pb2, user_pb2

_SYSTEM_MENTIONS = frozenset({"@here", "@channel", "@all"})
_WORD_CHARS = frozenset(":.-_@")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_NO_CHANNEL_MENTIONS = frozenset({"system_header_change", "system_purpose_change"})
_GROUP = "group:"  # a keyword's group, as the server's MentionableID marks it


@dataclass
class Mentions:
    """What a post mentions (the server's MentionResults)."""

    users: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)  # ids of the groups it names
    # OtherPotentialMentions: @names that mention nobody in the channel, in the order found
    others: list[str] = field(default_factory=list)
    here: bool = False  # the text says @here (@channel, @all), allowed or not
    channel: bool = False
    all: bool = False
    # the groups it names that have no member in the channel's team
    silent_groups: list[rem.Group] = field(default_factory=list)


@dataclass
class Notified:
    """The users a new post notifies over the WebSocket."""

    mentioned: list[str] = field(default_factory=list)  # sorted user ids
    ack: list[str] = field(default_factory=list)  # users whose connections acknowledge it
    followers: list[str] = field(default_factory=list)  # thread followers it notifies
    mentions: Mentions = field(default_factory=Mentions)  # what the post itself mentions
    members: int = 0  # the channel's active members


def crt_enabled(db: sqlite3.Connection, user_id: str) -> bool:
    """``IsCRTEnabledForUser``: collapsed reply threads per ServiceSettings.CollapsedThreads,
    the user's ``display_settings``/``collapsed_reply_threads`` preference deciding unless
    the setting is ``always_on`` or ``disabled``."""
    crt = server_setting(db, "ServiceSettings", "CollapsedThreads", "always_on")
    if crt in ("disabled", "always_on"):
        return bool(crt == "always_on")
    row = db.execute(
        "SELECT value FROM preferences WHERE user_id=? AND category='display_settings' "
        "AND name='collapsed_reply_threads'",
        (user_id,),
    ).fetchone()
    return crt == "default_on" if row is None else bool(row["value"] == "on")


@dataclass
class _Members:
    """The channel as SendNotifications reads it: its active members' profiles and every
    member's channel notify props."""

    channel: channel_pb2.Channel
    profiles: dict[str, user_pb2.User]
    notify_props: dict[str, dict[str, str]]
    # the mention keywords, with channel and group mentions allowed or not (read once)
    keywords: dict[tuple[bool, bool], dict[str, set[str]]] = field(default_factory=dict)
    groups: dict[str, rem.Group] | None = None  # the groups allowed for reference, by id


def notified(
    db: sqlite3.Connection, post: post_pb2.Post, channel: channel_pb2.Channel
) -> Notified:
    """Who ``post`` (saved, in ``channel``) mentions, which of its thread's followers get a
    notification, and who acknowledges its event."""
    members = _Members(channel, channel_profiles(db, channel.id),
                       _member_notify_props(db, channel.id))
    found = _mentions(db, post, members)
    mentioned = found.users
    letter = CHANNEL_TYPE_LETTERS.get(channel.type, "")
    ack = sorted(uid for uid, user in members.profiles.items() if _should_ack(
        letter, user.notify_props.get("desktop", ""),
        members.notify_props.get(uid, {}).get("desktop", "")))
    followers = _followers_to_notify(db, post, members, mentioned) if post.root_id else []
    return Notified(sorted(mentioned), ack, followers, found, len(members.profiles))


def _mentions(db: sqlite3.Connection, post: post_pb2.Post, members: _Members,
              thread: list[post_pb2.Post] | None = None) -> Mentions:
    """``getExplicitMentionsAndKeywords``, then ``insertGroupMentions`` for each group named:
    what ``post`` mentions (``thread``: its thread's posts, when they have been read)."""
    props = _props(post)
    from_webhook = props.get("from_webhook") == "true"
    profiles = members.profiles
    if members.channel.type == channel_pb2.CHANNEL_TYPE_DIRECT:
        found = Mentions()
        for user_id in members.channel.name.split("__"):
            if (post.user_id != user_id or from_webhook) and user_id in profiles:
                found.users.add(user_id)
        return found
    found = _parse(_mention_texts(post.message, props), _post_keywords(db, post, members))
    if members.channel.type == channel_pb2.CHANNEL_TYPE_GROUP:
        found.users |= {uid for uid in members.notify_props if uid in profiles}
    added = props.get("addedUserId")
    if post.type == "system_add_to_channel" and isinstance(added, str) and added in profiles:
        found.users.add(added)
    if post.root_id:
        found.users |= _comment_mentions(db, post, profiles, thread)
    if not from_webhook:
        found.users.discard(post.user_id)
    if found.groups:  # named groups come from the groups already read
        groups = _reference_groups(db, members)
        for group in sorted((groups[gid] for gid in found.groups), key=lambda g: g.name):
            _insert_group_mentions(db, post, members, group, found)
    return found


def _post_keywords(db: sqlite3.Connection, post: post_pb2.Post,
                   members: _Members) -> dict[str, set[str]]:
    allowed = (_allow_channel_mentions(db, post, len(members.profiles)),
               _allow_group_mentions(db, post))
    if allowed not in members.keywords:
        keywords = _keywords(db, members.profiles, members.notify_props, allowed[0])
        for group in _reference_groups(db, members).values() if allowed[1] else ():
            keywords.setdefault("@" + group.name, set()).add(_GROUP + group.id)
        members.keywords[allowed] = keywords
    return members.keywords[allowed]


# -- group mentions --------------------------------------------------------------------------
def _allow_group_mentions(db: sqlite3.Connection, post: post_pb2.Post) -> bool:
    """``allowGroupMentions``: a professional license or higher, the poster may use group
    mentions here, and the post is no header or purpose change."""
    return (
        minimum_professional_license(db)
        and channel_permission(db, post.user_id, post.channel_id, "use_group_mentions")
        and post.type not in _NO_CHANNEL_MENTIONS
    )


def _reference_groups(db: sqlite3.Connection, members: _Members) -> dict[str, rem.Group]:
    """``getGroupsAllowedForReferenceInChannel``: the live groups with a name that allow
    references; for a group-constrained channel (or team) only the groups linked to it,
    and the custom groups. Read once per post."""
    if members.groups is not None:
        return members.groups
    channel = members.channel
    team = db.execute("SELECT json_extract(data, '$.group_constrained') FROM teams WHERE id=?",
                      (channel.team_id,)).fetchone()
    sql = ("SELECT g.data FROM user_groups g WHERE g.delete_at=0 AND g.name<>'' "
           "AND json_extract(g.data, '$.allow_reference')=1")
    args: tuple[str, ...] = ()
    if channel.group_constrained or (team is not None and team[0] == 1):
        args = ((channel.id, "Channel") if channel.group_constrained
                else (channel.team_id, "Team"))
        sql += (" AND (g.source='custom' OR EXISTS (SELECT 1 FROM group_syncables s WHERE "
                "s.group_id=g.id AND s.syncable_id=? AND s.syncable_type=? AND s.delete_at=0))")
    members.groups = {group.id: group for group in groups_where(db, sql + " ORDER BY g.id",
                                                                   args)}
    return members.groups


def _insert_group_mentions(db: sqlite3.Connection, post: post_pb2.Post, members: _Members,
                           group: rem.Group, found: Mentions) -> None:
    """``insertGroupMentions``: the group's active members in the channel's team (in a group
    or direct channel, all of them) but the poster are mentioned when in the channel, else
    other potential mentions; a group with no such member is a silent group."""
    channel = members.channel
    group_or_direct = channel.type in (channel_pb2.CHANNEL_TYPE_GROUP,
                                       channel_pb2.CHANNEL_TYPE_DIRECT)
    sql = ("SELECT u.data, u.delete_at FROM group_members m JOIN users u ON u.id=m.user_id "
           "WHERE m.group_id=? AND m.delete_at=0 AND u.delete_at=0")
    args: tuple[str, ...] = (group.id,)
    if not group_or_direct:
        sql += (" AND m.user_id IN (SELECT user_id FROM team_members WHERE team_id=? "
                "AND delete_at=0)")
        args += (channel.team_id,)
    users = [user_from_row(row) for row in db.execute(sql + " ORDER BY u.username", args)]
    for user in users:
        if user.id == post.user_id:
            continue
        if user.id in members.profiles:
            found.users.add(user.id)
        else:
            found.others.append(user.username)
    if not group_or_direct and not users:
        found.silent_groups.append(group)


def posted_hooks(post: post_pb2.Post, channel: channel_pb2.Channel,
                 notified: Notified) -> dict[str, list[Any]]:
    """The broadcast hooks (and their arguments) SendNotifications attaches to ``posted``."""
    hooks: list[str] = []
    args: list[dict[str, Any]] = []
    if notified.mentioned:
        hooks.append("add_mentions")
        args.append({"mentions": list(notified.mentioned)})
    if notified.followers:
        hooks.append("add_followers")
        args.append({"followers": list(notified.followers)})
    hooks.append("posted_ack")
    args.append({"posted_user_id": post.user_id,
                 "channel_type": CHANNEL_TYPE_LETTERS.get(channel.type, ""),
                 "users": list(notified.ack)})
    return {"broadcast_hooks": hooks, "broadcast_hook_args": args}


# -- thread followers --------------------------------------------------------------------------
def _followers_to_notify(db: sqlite3.Connection, post: post_pb2.Post, members: _Members,
                         mentioned: set[str]) -> list[str]:
    """The followers of the reply's thread whose desktop is notified of it (CRTNotifiers'
    Desktop): only users with collapsed reply threads, never the poster (but of a webhook's
    post), and as their thread notify props say."""
    if server_setting(db, "ServiceSettings", "CollapsedThreads", "always_on") == "disabled":
        return []
    from_webhook = _props(post).get("from_webhook") == "true"
    notify: list[str] = []
    for uid in sorted(_thread_followers(db, post, members)):
        user = members.profiles.get(uid)
        if user is None or not crt_enabled(db, uid) or (uid == post.user_id and not from_webhook):
            continue
        if _desktop_for_thread(user.notify_props, members.notify_props.get(uid, {}),
                               uid in mentioned):
            notify.append(uid)
    return notify


def _thread_followers(db: sqlite3.Connection, post: post_pb2.Post,
                      members: _Members) -> set[str]:
    """Who follows the thread once ``post`` (a reply) is in: for every reply so far, its
    poster, the root's poster (a member, not a webhook), who the root and the reply mention,
    and the members who follow every thread of the channel (ThreadAutoFollow). A deleted reply
    counts: the server keeps the thread memberships it made."""
    thread = _thread_posts(db, post.root_id)
    root = next((p for p in thread if p.id == post.root_id), None)
    replies = [p for p in thread if p.id != post.root_id and p.id != post.id] + [post]
    direct = members.channel.type == channel_pb2.CHANNEL_TYPE_DIRECT
    followers: set[str] = set()
    if not direct:
        followers |= {uid for uid, props in members.notify_props.items()
                      if props.get("channel_auto_follow_threads") == "on"}
    if root is not None:
        if _props(root).get("from_webhook") != "true" and root.user_id in members.profiles:
            followers.add(root.user_id)
        if not direct:
            texts = _mention_texts(root.message, _props(root))
            followers |= _parse(texts, _post_keywords(db, post, members)).users
    for reply in replies:
        followers.add(reply.user_id)
        followers |= _mentions(db, reply, members, thread).users
    return followers


def _desktop_for_thread(user_props: Any, channel_props: dict[str, str], mentioned: bool) -> bool:
    """``addFollowerToNotify`` for the desktop: the user's thread settings unless the channel
    has its own (``shouldUserNotifyCRT``, ``shouldChannelMemberNotifyCRT``)."""
    desktop = user_props.get("desktop", "")
    user_says = desktop != "none" and (
        mentioned or user_props.get("desktop_threads", "") == "all" or desktop == "all")
    channel_desktop = channel_props.get("desktop", "")
    channel_says = channel_desktop not in ("default", "none") and (
        mentioned or channel_desktop == "all" or (
            channel_props.get("desktop_threads", "") == "all"
            and user_props.get("desktop_threads", "") != "mention"))
    return (channel_desktop == "default" and user_says) or channel_says


def _thread_posts(db: sqlite3.Connection, root_id: str) -> list[post_pb2.Post]:
    """The thread's root and replies, deleted ones too, oldest first."""
    rows = db.execute(
        "SELECT data, delete_at, update_at FROM posts WHERE (id=? OR root_id=?) "
        "AND ephemeral=0 ORDER BY create_at, id",
        (root_id, root_id),
    )
    return list(map(post_from_row, rows))


def _props(post: post_pb2.Post) -> dict[str, Any]:
    return to_dict(post.props) if post.HasField("props") else {}


# -- the channel's members ------------------------------------------------------------------
def channel_profiles(db: sqlite3.Connection, channel_id: str) -> dict[str, user_pb2.User]:
    """``GetAllProfilesInChannel``: the channel's members who are active users."""
    rows = db.execute(
        "SELECT u.data, u.delete_at FROM users u JOIN channel_members m ON m.user_id=u.id "
        "WHERE m.channel_id=? AND u.delete_at=0",
        (channel_id,),
    )
    return {user.id: user for user in map(user_from_row, rows)}


def _member_notify_props(db: sqlite3.Connection, channel_id: str) -> dict[str, dict[str, str]]:
    rows = db.execute("SELECT data FROM channel_members WHERE channel_id=?", (channel_id,))
    return {m.user_id: dict(m.notify_props) for m in map(channel_member_from_row, rows)}


def _online(db: sqlite3.Connection, user_id: str) -> bool:
    row = db.execute("SELECT data FROM statuses WHERE user_id=?", (user_id,)).fetchone()
    return row is not None and status_from_row(row).status == "online"


def _allow_channel_mentions(db: sqlite3.Connection, post: post_pb2.Post, members: int) -> bool:
    """``allowChannelMentions``: the poster may use them here, the post is no header or
    purpose change, and the channel has fewer members than MaxNotificationsPerChannel."""
    limit = server_setting(db, "TeamSettings", "MaxNotificationsPerChannel", 1000)
    return (
        channel_permission(db, post.user_id, post.channel_id, "use_channel_mentions")
        and post.type not in _NO_CHANNEL_MENTIONS
        and members < int(limit)
    )


def _should_ack(channel_type: str, user_level: str, channel_level: str) -> bool:
    """``shouldAckWebsocketNotification``."""
    if channel_level == "all" or (channel_level == "default" and user_level == "all"):
        return True
    return channel_type == "G" and (
        (channel_level == "default" and user_level == "mention") or channel_level == "mention")


# -- keywords and the text's words ------------------------------------------------------------
def _keywords(
    db: sqlite3.Connection,
    profiles: dict[str, user_pb2.User],
    member_props: dict[str, dict[str, str]],
    allow_channel_mentions: bool,
) -> dict[str, set[str]]:
    """``getMentionKeywordsInChannel``: keyword -> the users it mentions (case-insensitive
    keywords in lower case, a first name as it is written)."""
    keywords: dict[str, set[str]] = {}

    def add(keyword: str, user_id: str) -> None:
        keywords.setdefault(keyword, set()).add(user_id)

    for user in profiles.values():
        notify = user.notify_props
        add("@" + user.username.lower(), user.id)
        for key in notify.get("mention_keys", "").split(","):
            if key.strip():
                add(key.strip().lower(), user.id)
        if notify.get("first_name") == "true" and user.first_name:
            add(user.first_name, user.id)
        if not allow_channel_mentions or notify.get("channel") != "true":
            continue
        channel_props = member_props.get(user.id, {})
        ignore = channel_props.get("ignore_channel_mentions") == "on" or (
            channel_props.get("mark_unread") == "mention"
            and channel_props.get("ignore_channel_mentions") == "default")
        if not ignore:
            add("@channel", user.id)
            add("@all", user.id)
            if _online(db, user.id):
                add("@here", user.id)
    return keywords


def _mention_texts(message: str, props: dict[str, Any]) -> list[str]:
    """``getMentionsEnabledFields``: the message, and the pretext, text and field values of
    its message attachments; code (fenced blocks, code spans) mentions nobody."""
    texts = [message]
    attachments = props.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else ():
        if not isinstance(attachment, dict):
            continue
        texts += [attachment[k] for k in ("pretext", "text")
                  if isinstance(attachment.get(k), str) and attachment[k]]
        fields = attachment.get("fields")
        for f in fields if isinstance(fields, list) else ():
            if isinstance(f, dict) and isinstance(f.get("value"), str) and f["value"]:
                texts.append(f["value"])
    return [_without_code(text) for text in texts]


def _without_code(text: str) -> str:
    kept: list[str] = []
    fence = ""
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            kept.append("")
        elif opened:
            fence = opened.group(1)
            kept.append("")
        else:
            kept.append(line)
    return _CODE_SPAN.sub(" ", "\n".join(kept))


def _words(text: str) -> list[str]:
    """Go's ``FieldsFunc``: split at everything but letters, digits and ``:.-_@``."""
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if char in _WORD_CHARS or char.isalpha() or char.isnumeric():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _parse(texts: list[str], keywords: dict[str, set[str]]) -> Mentions:
    """The StandardMentionParser's ``ProcessText`` over ``texts``: the users and groups
    mentioned, the ``@names`` of nobody here, and whether ``@here``/``@channel``/``@all``
    were written."""
    found = Mentions()

    def add(ids: set[str]) -> None:
        for mentionable in ids:
            if mentionable.startswith(_GROUP):
                found.groups.add(mentionable[len(_GROUP):])
            else:
                found.users.add(mentionable)

    def check(word: str) -> bool:
        lower = word.lower()
        found.here |= lower == "@here"
        found.channel |= lower == "@channel"
        found.all |= lower == "@all"
        ids = keywords.get(lower) or keywords.get(word)
        if ids:
            add(ids)
        return bool(ids)

    multibyte = [k for k in keywords if not k.isascii()]
    for text in texts:
        for word in _words(text):
            if word[0] == ":" and word[-1] == ":":  # an emoji
                continue
            word = word.lstrip(":.-_")
            if check(word):
                continue
            trimmed, hit = word, False
            while trimmed and trimmed[-1] in ".-:_" and not hit:
                trimmed = trimmed[:-1]
                hit = check(trimmed)
            if hit:
                continue
            if word.startswith("@") and word not in _SYSTEM_MENTIONS:
                # someone outside the channel; a last . - : may end the sentence
                found.others.append(word[1:-1] if word[-1] in ".-:" else word[1:])
            elif any(c in word for c in ".-:"):  # maybe the end of a sentence: split again
                for part in re.split(r"[.\-:]+", word):
                    if part and not check(part) and part.startswith("@") and (
                            part not in _SYSTEM_MENTIONS):
                        found.others.append(part[1:])
            if not word.isascii():
                for key in multibyte:
                    if key in word:
                        add(keywords[key])
    return found


def _comment_mentions(
    db: sqlite3.Connection, post: post_pb2.Post, profiles: dict[str, user_pb2.User],
    thread: list[post_pb2.Post] | None = None,
) -> set[str]:
    """The earlier posters of the thread who get replies as mentions (``comments``: ``any``,
    or ``root`` for the root's author), unless they use collapsed reply threads."""
    found: set[str] = set()
    for earlier in _thread_posts(db, post.root_id) if thread is None else thread:
        if earlier.delete_at or earlier.id == post.id:
            continue
        user = profiles.get(earlier.user_id)
        is_root = earlier.id == post.root_id
        if user is None or (is_root and _from_oauth_bot(earlier)) or crt_enabled(db, user.id):
            continue
        comments = user.notify_props.get("comments", "")
        if comments == "any" or (comments == "root" and is_root):
            found.add(user.id)
    return found


def _from_oauth_bot(post: post_pb2.Post) -> bool:
    props = _props(post)
    return props.get("from_webhook") == "true" and bool(props.get("override_username"))

