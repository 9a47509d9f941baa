"""The ephemeral posts the server's SendNotifications sends the poster of a new post about its
mentions, before the post's ``posted`` event goes out:

* ``@group`` of a group allowed for reference with no active member in the channel's team:
  "@<group> has no members on this team" (sendNoUsersNotifiedByGroupInChannel);
* ``@name`` of active users, not bots, outside the channel (other potential mentions, the
  out-of-channel members of a mentioned group among them; filterOutOfChannelMentions): one
  post naming those in the channel's team (with an ``add_channel_member`` prop a client
  uses to offer adding them; in a group-constrained channel the ones in none of its linked
  groups are named apart), one naming those outside the team
  (makeOutOfChannelMentionPost, makeOutOfTeamMentionPost). Never for a system message, nor
  in a direct or group channel; only the users the poster may see count;
* ``@here``, ``@channel``, ``@all`` in a channel with more active members than
  TeamSettings.MaxNotificationsPerChannel: one post each saying they are disabled there.

Apart from these, CreatePost itself answers a poster without the ``use_channel_mentions``
permission in the channel who writes ``@here``, ``@channel`` or ``@all`` in a plain post: the
post gets the ``mentionHighlightDisabled`` prop before the Will hooks, and once the post's
events are out the poster gets "Channel notifications are disabled in <channel>. The
<mention> did not trigger any notifications." (``blocked_channel_mention``).

The texts are the server's English ones (its translations, api.post.*, in the poster's
locale).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from mmplug.host.api._convert import DIRECT_OR_GROUP, user_from_row
from mmplug.host.api._groups import channel_group_user_ids
from mmplug.host.api._mentions import Mentions, Notified
from mmplug.host.api._registry import ApiContext
from mmplug.host.api.config import server_setting
from mmplug.host.api.permissions import channel_permission, user_can_see
from mmplug.protocol import channel_pb2, post_pb2, user_pb2

_NOT_IN_CHANNEL = "did not get notified by this mention because they are not in the channel."
_NOT_IN_GROUPS = (
    _NOT_IN_CHANNEL + " They cannot be added to the channel because they are not a member of "
    "the linked groups. To add them to this channel, they must be added to the linked groups."
)
_NO_MEMBERS = "@{} has no members on this team"
_BLOCKED = "Channel notifications are disabled in {}. The {} did not trigger any notifications."
# model.findAtChannelMention (Go's \b and \B are ASCII-only)
_AT_CHANNEL = re.compile(r"\B@(channel|all|here)\b", re.IGNORECASE | re.ASCII)
MENTION_HIGHLIGHT_DISABLED = "mentionHighlightDisabled"  # model.PostPropsMentionHighlightDisabled
_DISABLED = ("@{} notifications are disabled in channels with more than {} users. Contact your "
             "system administrator for more information.")


def mention_warnings(ctx: ApiContext, db: sqlite3.Connection, post: post_pb2.Post,
                     channel: channel_pb2.Channel, notified: Notified) -> list[post_pb2.Post]:
    """The ephemeral posts for the poster of ``post`` (saved, in ``channel``), in the order
    the server sends them."""
    found = notified.mentions
    warnings: list[post_pb2.Post] = []
    if channel.type != channel_pb2.CHANNEL_TYPE_DIRECT:
        for group in found.silent_groups:
            warnings.append(post_pb2.Post(user_id=post.user_id, root_id=post.root_id,
                                          channel_id=channel.id,
                                          message=_NO_MEMBERS.format(group.name)))
        warnings += _out_of_channel(ctx, db, post, channel, found)
    limit = int(server_setting(db, "TeamSettings", "MaxNotificationsPerChannel", 1000))
    if notified.members > limit:
        for written, name in ((found.here, "here"), (found.channel, "channel"),
                              (found.all, "all")):
            if written:
                warnings.append(post_pb2.Post(channel_id=post.channel_id,
                                              message=_DISABLED.format(name, limit),
                                              create_at=post.create_at + 1))
    return warnings


def blocked_channel_mention(db: sqlite3.Connection, post: post_pb2.Post,
                            channel: channel_pb2.Channel) -> post_pb2.Post | None:
    """CreatePost's check of a plain post (no type) whose poster may not use channel
    mentions in ``channel``: the ephemeral post telling them their first ``@here``,
    ``@channel`` or ``@all`` notified nobody (None when there is none or they may)."""
    if post.type:
        return None
    found = _AT_CHANNEL.search(post.message)
    if found is None or channel_permission(db, post.user_id, channel.id, "use_channel_mentions"):
        return None
    warning = post_pb2.Post(user_id=post.user_id, root_id=post.root_id, channel_id=channel.id,
                            message=_BLOCKED.format(channel.name, found.group(0).lower()))
    warning.props[MENTION_HIGHLIGHT_DISABLED] = True
    return warning


def _out_of_channel(ctx: ApiContext, db: sqlite3.Connection, post: post_pb2.Post,
                    channel: channel_pb2.Channel, found: Mentions) -> list[post_pb2.Post]:
    """``sendOutOfChannelMentions``: the posts naming the users mentioned outside the
    channel (in its team, then outside the team)."""
    if (post.type.startswith("system_") or not channel.team_id
            or channel.type in DIRECT_OR_GROUP or not found.others):
        return []
    names = sorted(set(found.others))
    marks = ", ".join("?" for _ in names)

    def notifiable(users: list[user_pb2.User]) -> list[user_pb2.User]:
        return [u for u in users if not u.delete_at and not u.is_bot
                and user_can_see(db, post.user_id, u.id)]

    in_team = notifiable(list(map(user_from_row, db.execute(
        "SELECT u.data, u.delete_at FROM users u JOIN team_members tm ON tm.user_id=u.id "
        f"WHERE tm.team_id=? AND tm.delete_at=0 AND u.username IN ({marks}) "
        "ORDER BY u.username", (channel.team_id, *names)))))
    team_ids = {u.id for u in in_team}
    everyone = map(user_from_row, db.execute(
        "SELECT data, delete_at FROM users WHERE username IN "
        f"({marks}) ORDER BY username", names))
    outside_team = notifiable([u for u in everyone if u.id not in team_ids])
    not_in_channel, not_in_groups = in_team, []
    if in_team and channel.group_constrained:
        linked = channel_group_user_ids(db, channel.id)
        not_in_channel = [u for u in in_team if u.id in linked]
        not_in_groups = [u for u in in_team if u.id not in linked]
    warnings = []
    if not_in_channel or not_in_groups:
        warnings.append(_out_of_channel_post(ctx, post, not_in_channel, not_in_groups))
    if outside_team:
        warnings.append(post_pb2.Post(
            id=ctx.new_id(), root_id=post.root_id, channel_id=post.channel_id,
            message=_naming([u.username for u in outside_team],
                            "didn't get notified by this mention because they aren't a "
                            "member of this team.",
                            "didn't get notified by this mention because they aren't "
                            "members of this team."),
            create_at=post.create_at + 1))
    return warnings


def _out_of_channel_post(ctx: ApiContext, post: post_pb2.Post,
                         not_in_channel: list[user_pb2.User],
                         not_in_groups: list[user_pb2.User]) -> post_pb2.Post:
    """``makeOutOfChannelMentionPost``."""
    lines = [_naming([u.username for u in users], text, text)
             for users, text in ((not_in_channel, _NOT_IN_CHANNEL),
                                 (not_in_groups, _NOT_IN_GROUPS)) if users]
    warning = post_pb2.Post(id=ctx.new_id(), root_id=post.root_id, channel_id=post.channel_id,
                            message="\n".join(lines), create_at=post.create_at + 1)
    everyone = not_in_channel + not_in_groups
    added: dict[str, Any] = {
        "post_id": warning.id,
        "usernames": [u.username for u in everyone],
        "not_in_channel_usernames": [u.username for u in not_in_channel],
        "user_ids": [u.id for u in everyone],
        "not_in_channel_user_ids": [u.id for u in not_in_channel],
        "not_in_groups_usernames": [u.username for u in not_in_groups],
        "not_in_groups_user_ids": [u.id for u in not_in_groups],
    }
    warning.props.update({"add_channel_member": added})
    return warning


def _naming(usernames: list[str], one: str, many: str) -> str:
    """``@a <one>``, or ``@a, @b and @c <many>`` (the server's splitAtFinal)."""
    if len(usernames) == 1:
        return f"@{usernames[0]} {one}"
    return f"@{', @'.join(usernames[:-1])} and @{usernames[-1]} {many}"
