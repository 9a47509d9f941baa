"""Channel, post and reaction methods of the API client."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._api_base import APIBase
from ._convert import entity

if TYPE_CHECKING:
    from mmplug.protocol.api_channel_post_pb2 import ChannelMember
    from mmplug.protocol.channel_pb2 import Channel
    from mmplug.protocol.post_pb2 import Post, PostList, Reaction


class ChannelsMixin(APIBase):
    # -- channels --------------------------------------------------------------------------
    def get_channel(self, channel_id: str) -> Channel:
        channel: Channel = self._call("GetChannel", channel_id=channel_id).channel
        return channel

    def get_channel_by_name(
        self, team_id: str, name: str, include_deleted: bool = False
    ) -> Channel:
        channel: Channel = self._call(
            "GetChannelByName", team_id=team_id, name=name, include_deleted=include_deleted
        ).channel
        return channel

    def get_direct_channel(self, user_id_1: str, user_id_2: str) -> Channel:
        channel: Channel = self._call(
            "GetDirectChannel", user_id_1=user_id_1, user_id_2=user_id_2
        ).channel
        return channel

    def create_channel(
        self, channel: Channel | Mapping[str, Any] | None = None, **fields: Any
    ) -> Channel:
        created: Channel = self._call(
            "CreateChannel", channel=entity("Channel", channel, **fields)
        ).channel
        return created

    def add_channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        member: ChannelMember = self._call(
            "AddChannelMember", channel_id=channel_id, user_id=user_id
        ).channel_member
        return member

    def get_channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        member: ChannelMember = self._call(
            "GetChannelMember", channel_id=channel_id, user_id=user_id
        ).channel_member
        return member

    def get_channel_members(
        self, channel_id: str, page: int = 0, per_page: int = 100
    ) -> list[ChannelMember]:
        return self._list("GetChannelMembers", "channel_members", channel_id=channel_id,
                          page=page, per_page=per_page)

    def delete_channel_member(self, channel_id: str, user_id: str) -> None:
        """Remove a user from a channel."""
        self._call("DeleteChannelMember", channel_id=channel_id, user_id=user_id)

    def get_channels_for_team_for_user(
        self, team_id: str, user_id: str, include_deleted: bool = False
    ) -> list[Channel]:
        """The channels of a team the user is a member of."""
        return self._list("GetChannelsForTeamForUser", "channels", team_id=team_id,
                          user_id=user_id, include_deleted=include_deleted)

    def get_group_channel(self, user_ids: Iterable[str]) -> Channel:
        """The group message channel of these users (3 to 8), created if needed."""
        channel: Channel = self._field("GetGroupChannel", "channel", user_ids=list(user_ids))
        return channel

    # -- posts -----------------------------------------------------------------------------
    def create_post(
        self,
        post: Post | Mapping[str, Any] | None = None,
        *,
        channel_id: str | None = None,
        message: str | None = None,
        user_id: str | None = None,
        root_id: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> Post:
        """Create a post from a Post/dict and/or fields; returns the stored post."""
        built = entity(
            "Post",
            post,
            channel_id=channel_id,
            message=message,
            user_id=user_id,
            root_id=root_id,
            props=props,
        )
        created: Post = self._call("CreatePost", post=built).post
        return created

    def get_post_thread(self, post_id: str) -> list[Post]:
        """The thread containing ``post_id``: its posts in the server's order."""
        return posts_in_order(self._field("GetPostThread", "post_list", post_id=post_id))

    def get_posts_for_channel(
        self, channel_id: str, page: int = 0, per_page: int = 60
    ) -> list[Post]:
        """A page of a channel's posts, newest first."""
        return posts_in_order(self._field("GetPostsForChannel", "post_list",
                                          channel_id=channel_id, page=page, per_page=per_page))

    def get_post(self, post_id: str) -> Post:
        post: Post = self._call("GetPost", post_id=post_id).post
        return post

    def update_post(self, post: Post | Mapping[str, Any]) -> Post:
        updated: Post = self._call("UpdatePost", post=entity("Post", post)).post
        return updated

    def delete_post(self, post_id: str) -> None:
        self._call("DeletePost", post_id=post_id)

    def send_ephemeral_post(
        self,
        user_id: str,
        post: Post | Mapping[str, Any] | None = None,
        *,
        channel_id: str | None = None,
        message: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> Post:
        """Show a post to one user only (not stored)."""
        built = entity("Post", post, channel_id=channel_id, message=message, props=props)
        sent: Post = self._call("SendEphemeralPost", user_id=user_id, post=built).post
        return sent

    def add_reaction(self, post_id: str, emoji_name: str, user_id: str) -> Reaction:
        reaction = entity("Reaction", None, post_id=post_id, emoji_name=emoji_name, user_id=user_id)
        added: Reaction = self._call("AddReaction", reaction=reaction).reaction
        return added

    def remove_reaction(self, post_id: str, emoji_name: str, user_id: str) -> None:
        reaction = entity("Reaction", None, post_id=post_id, emoji_name=emoji_name, user_id=user_id)
        self._call("RemoveReaction", reaction=reaction)

    def get_reactions(self, post_id: str) -> list[Reaction]:
        return self._list("GetReactions", "reactions", post_id=post_id)


def posts_in_order(post_list: PostList) -> list[Post]:
    """The posts of a PostList in its ``order`` (ids missing from ``posts`` are skipped)."""
    return [post_list.posts[i] for i in post_list.order if i in post_list.posts]
