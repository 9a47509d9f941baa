"""Hand-written channel, post and reaction methods (entities from dicts or keyword fields,
posts of a PostList as a list in the server's order, defaults for the usual arguments).

Each function returns a ``Call``; scripts/gen_sdk.py makes it a method of both API clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._convert import entity
from ._core import Call, call, handwritten, nothing
from .model import Channel, Post, Reaction


def _channel(response: Any) -> Channel:
    return Channel.from_proto(response.channel)


def _channels(response: Any) -> list[Channel]:
    return [Channel.from_proto(c) for c in response.channels]


def _post(response: Any) -> Post:
    return Post.from_proto(response.post)


def _reaction(response: Any) -> Reaction:
    return Reaction.from_proto(response.reaction)


def posts_in_order(response: Any) -> list[Post]:
    """The posts of a response's PostList in its ``order`` (ids missing from ``posts`` are
    skipped)."""
    post_list = response.post_list
    posts = post_list.posts
    return [Post.from_proto(posts[i]) for i in post_list.order if i in posts]


# -- channels --------------------------------------------------------------------------------
@handwritten("GetChannelByName")
def get_channel_by_name(team_id: str, name: str, include_deleted: bool = False) -> Call[Channel]:
    """The team's channel called ``name``."""
    return call("GetChannelByName", _channel, team_id=team_id, name=name,
                include_deleted=include_deleted)


@handwritten("CreateChannel")
def create_channel(
    channel: Channel | Mapping[str, Any] | None = None, **fields: Any
) -> Call[Channel]:
    """Create a channel from a Channel, a dict and/or fields (``type="O"`` or ``"P"``)."""
    return call("CreateChannel", _channel, channel=entity("Channel", channel, **fields))


@handwritten("GetChannelsForTeamForUser")
def get_channels_for_team_for_user(
    team_id: str, user_id: str, include_deleted: bool = False
) -> Call[list[Channel]]:
    """The channels of a team the user is a member of."""
    return call("GetChannelsForTeamForUser", _channels, team_id=team_id, user_id=user_id,
                include_deleted=include_deleted)


# -- posts -----------------------------------------------------------------------------------
@handwritten("CreatePost")
def create_post(
    post: Post | Mapping[str, Any] | None = None,
    *,
    channel_id: str | None = None,
    message: str | None = None,
    user_id: str | None = None,
    root_id: str | None = None,
    props: Mapping[str, Any] | None = None,
) -> Call[Post]:
    """Create a post from a Post/dict and/or fields; returns the stored post."""
    built = entity("Post", post, channel_id=channel_id, message=message, user_id=user_id,
                   root_id=root_id, props=props)
    return call("CreatePost", _post, post=built)


@handwritten("GetPostThread")
def get_post_thread(post_id: str) -> Call[list[Post]]:
    """The thread containing ``post_id``: its posts in the server's order."""
    return call("GetPostThread", posts_in_order, post_id=post_id)


@handwritten("GetPostsForChannel")
def get_posts_for_channel(channel_id: str, page: int = 0, per_page: int = 60) -> Call[list[Post]]:
    """A page of a channel's posts, newest first."""
    return call("GetPostsForChannel", posts_in_order, channel_id=channel_id, page=page,
                per_page=per_page)


@handwritten("GetPostsAfter")
def get_posts_after(
    channel_id: str, post_id: str, page: int = 0, per_page: int = 60
) -> Call[list[Post]]:
    """A page of the channel's posts newer than ``post_id``, newest first."""
    return call("GetPostsAfter", posts_in_order, channel_id=channel_id, post_id=post_id,
                page=page, per_page=per_page)


@handwritten("GetPostsBefore")
def get_posts_before(
    channel_id: str, post_id: str, page: int = 0, per_page: int = 60
) -> Call[list[Post]]:
    """A page of the channel's posts older than ``post_id``, newest first."""
    return call("GetPostsBefore", posts_in_order, channel_id=channel_id, post_id=post_id,
                page=page, per_page=per_page)


@handwritten("SendEphemeralPost")
def send_ephemeral_post(
    user_id: str,
    post: Post | Mapping[str, Any] | None = None,
    *,
    channel_id: str | None = None,
    message: str | None = None,
    props: Mapping[str, Any] | None = None,
) -> Call[Post]:
    """Show a post to one user only (not stored)."""
    built = entity("Post", post, channel_id=channel_id, message=message, props=props)
    return call("SendEphemeralPost", _post, user_id=user_id, post=built)


@handwritten("AddReaction")
def add_reaction(post_id: str, emoji_name: str, user_id: str) -> Call[Reaction]:
    """React to a post as ``user_id``."""
    reaction = entity("Reaction", None, post_id=post_id, emoji_name=emoji_name, user_id=user_id)
    return call("AddReaction", _reaction, reaction=reaction)


@handwritten("RemoveReaction")
def remove_reaction(post_id: str, emoji_name: str, user_id: str) -> Call[None]:
    """Remove the user's reaction from a post."""
    reaction = entity("Reaction", None, post_id=post_id, emoji_name=emoji_name, user_id=user_id)
    return call("RemoveReaction", nothing, reaction=reaction)
