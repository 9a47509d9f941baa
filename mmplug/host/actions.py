"""What a user does in Mattermost, through the server's own paths: post, reply, run a slash
command, react, edit, delete.

These are the entry points of a real server's web app, emulated: each runs the hooks the
server runs, in its order, with the same effects on the store as the server (a post goes
through every plugin's ``MessageWillBePosted``, is saved, then ``MessageHasBeenPosted`` runs;
a slash command runs the owning plugin's ``ExecuteCommand`` and posts its answer). The pytest
harness (``plugin.as_user(...)``, ``plugin.post_as(...)``) and anything else that acts for a
user go through them::

    alice = session.as_user("alice")
    post = alice.post("town-square", "hello @helper")
    alice.reply(post, "and in the thread")
    outcome = alice.command("/weather Paris", channel="town-square")
    alice.react(post, "thumbsup")
    alice.edit(post, "hello again")
    alice.delete(post)

Channels are named like the CLI names them (``town-square``, ``acme/town-square``,
``~town-square``, a seeded direct or group channel by its label ``alice__bob``) or given by
id; users by username (``alice``, ``@alice``) or id. What the
server refuses (a plugin rejects the post, the channel is archived, the command is unknown)
raises :class:`ActionRefused` with the server's status code and error id.

Not emulated: permission checks of the REST API (any user may post anywhere, edit and delete
any post) and the web app's own steps (drafts, typing, link previews).

For a cassette, an action counts as its first hook call: the hooks after it are recorded as
nested, because a replay of that first call does the rest again (:mod:`mmplug.host.hookpath`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from mmplug.errors import MmplugError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mmplug.host.api._registry import ApiContext
    from mmplug.host.session import Session
    from mmplug.protocol import post_pb2

T = TypeVar("T")


class ActionRefused(MmplugError):
    """The server refused what the user did: ``status_code`` and ``error_id`` are the
    AppError's (a rejected post: 400 ``"Post rejected by plugin. <reason>"``), ``reason`` its
    message as the server gives it."""

    def __init__(self, message: str, *, status_code: int, error_id: str, reason: str = "",
                 hint: str = "", details: str = "") -> None:
        super().__init__(message, hint=hint, details=details)
        self.status_code = status_code
        self.error_id = error_id
        self.reason = reason or message


@dataclass
class CommandOutcome:
    """A slash command a user ran: the plugin's answer and what the server made of it."""

    response: Any  # CommandResponse
    post: Any = None  # the post of an in_channel answer, the ephemeral post of another, None

    @property
    def ephemeral(self) -> bool:
        """Whether the answer went to the user alone (not stored)."""
        return self.post is not None and self.post.type == "system_ephemeral"


class Actor:
    """One user of the session's world doing things. Get one with ``session.as_user(who)``."""

    def __init__(self, session: Session, who: str, node: str | int | None = None) -> None:
        """``node``: with several nodes, the node every action of this user goes to (as a
        load balancer pinning the user's session); None: each action to the next node."""
        self.session = session
        self.user_id = find_user_id(session, who)
        self.node = session.node(node) if node is not None else None

    @property
    def user(self) -> Any:
        """The user, as stored now."""
        from mmplug.host.api._entities import get_user

        with self.session.store.read() as db:
            return get_user(db, self.user_id)

    def _run(self, action: Callable[[ApiContext], T]) -> T:
        from mmplug.host.api._registry import ApiFailure

        ctx = self.session.host_context(self.node)
        with self.session.action():
            try:
                return action(ctx)
            except ApiFailure as failure:
                raise ActionRefused(
                    f"the server refuses this: {failure.message}",
                    status_code=failure.status_code, error_id=failure.error_id,
                    reason=failure.message, details=failure.detailed_error) from None

    # -- posts ---------------------------------------------------------------------------------
    def post(self, channel: str, message: str, *, root_id: str = "",
             file_ids: tuple[str, ...] | list[str] = (), props: dict[str, Any] | None = None,
             ) -> post_pb2.Post:
        """Post ``message`` in ``channel`` (in the thread of ``root_id``), as the web app
        does: the server's CreatePost for a user. Returns the saved post."""
        from mmplug.host.api.posts import Origin, create_post
        from mmplug.protocol import post_pb2

        post = post_pb2.Post(user_id=self.user_id, channel_id=find_channel_id(self.session,
                                                                               channel),
                             message=message, root_id=root_id, file_ids=list(file_ids))
        if props:
            post.props.update(props)
        return self._run(lambda ctx: create_post(ctx, post, origin=Origin.USER))

    def reply(self, root: Any, message: str, **fields: Any) -> post_pb2.Post:
        """Reply in the thread of ``root`` (a post or its id; a reply's thread root too)."""
        parent = self._stored_post(root)
        return self.post(parent.channel_id, message, root_id=parent.root_id or parent.id,
                         **fields)

    def edit(self, post: Any, message: str) -> post_pb2.Post:
        """Change the text of a post, as the web app's edit does: MessageWillBeUpdated (which
        may change or reject it), the save, MessageHasBeenUpdated. Returns the saved post."""
        from mmplug.host.api.posts import update_post
        from mmplug.protocol import api_channel_post_pb2 as cp

        edited = self._stored_post(post)
        edited.message = message
        saved: post_pb2.Post = self._run(
            lambda ctx: update_post(ctx, cp.UpdatePostRequest(post=edited)).post)
        return saved

    def delete(self, post: Any) -> post_pb2.Post:
        """Delete a post (and its thread) as this user; MessageHasBeenDeleted runs. Returns
        the post as it was before."""
        from mmplug.host.api.posts import delete_post_as

        post_id = _post_id(post)
        return self._run(lambda ctx: delete_post_as(ctx, post_id, self.user_id))

    # -- reactions -----------------------------------------------------------------------------
    def react(self, post: Any, emoji: str) -> Any:
        """Add the reaction ``emoji`` (a name without colons) to a post;
        ReactionHasBeenAdded runs. Returns the Reaction."""
        from mmplug.host.api.reactions import add_reaction
        from mmplug.protocol import api_channel_post_pb2 as cp
        from mmplug.protocol import post_pb2

        reaction = post_pb2.Reaction(user_id=self.user_id, post_id=_post_id(post),
                                     emoji_name=emoji.strip(":"))
        return self._run(
            lambda ctx: add_reaction(ctx, cp.AddReactionRequest(reaction=reaction)).reaction)

    def unreact(self, post: Any, emoji: str) -> None:
        """Remove this user's reaction ``emoji`` from a post; ReactionHasBeenRemoved runs."""
        from mmplug.host.api.reactions import remove_reaction
        from mmplug.protocol import api_channel_post_pb2 as cp
        from mmplug.protocol import post_pb2

        reaction = post_pb2.Reaction(user_id=self.user_id, post_id=_post_id(post),
                                     emoji_name=emoji.strip(":"))
        self._run(lambda ctx: remove_reaction(ctx, cp.RemoveReactionRequest(reaction=reaction)))

    # -- slash commands ------------------------------------------------------------------------
    def command(self, line: str, *, channel: str = "town-square", root_id: str = ""
                ) -> CommandOutcome:
        """Run a slash command (``/trigger args``) in ``channel`` as the web app does: the
        owning plugin's ExecuteCommand, then its answer posted in the channel
        (``in_channel``) or shown to the user alone (ephemeral)."""
        from mmplug.host.api.commands import execute_command
        from mmplug.protocol import api_remaining_pb2 as rem

        channel_id = find_channel_id(self.session, channel)
        args = rem.CommandArgs(user_id=self.user_id, channel_id=channel_id,
                               team_id=self._team_of(channel_id), root_id=root_id,
                               parent_id=root_id, command=line)
        response, posted = self._run(lambda ctx: execute_command(ctx, args))
        return CommandOutcome(response, posted)

    # -- helpers -------------------------------------------------------------------------------
    def _stored_post(self, post: Any) -> post_pb2.Post:
        from mmplug.host.api._entities import find_post

        post_id = _post_id(post)
        with self.session.store.read() as db:
            found = find_post(db, post_id)
        if found is None:
            raise UsageError(f"there is no post {post_id!r} (or it was deleted)",
                             hint="pass a post an action returned, or its id")
        return found

    def _team_of(self, channel_id: str) -> str:
        """The team the web app would be in: the channel's, else the user's first team."""
        from mmplug.host.api.queries import channel_team, first_team_of

        team = channel_team(self.session.store, channel_id)
        return team if team else first_team_of(self.session.store, self.user_id)


def _post_id(post: Any) -> str:
    return post if isinstance(post, str) else str(post.id)


def find_user_id(session: Session, who: str) -> str:
    """The id of the user ``who`` (username, ``@username`` or id) in the session's store."""
    from mmplug.host.api.queries import user_id_named, usernames_alive

    found = user_id_named(session.store, who.lstrip("@"))
    if found is None:
        known = usernames_alive(session.store)
        raise UsageError(f"there is no user {who!r} in the fake host's world",
                         hint="users: " + (", ".join(known) or "none"))
    return found


def find_channel_id(session: Session, channel: str) -> str:
    """The id of ``channel``: an id, a name (``town-square``, ``~town-square``),
    ``team/name``, or a seeded direct or group channel's label (``alice__bob``). A name in
    several teams is the first team's (by team name)."""
    from mmplug.host.world import WORLD_META

    wanted = channel.lstrip("~")
    team, _, name = wanted.rpartition("/")
    labels = (session.store.get_meta(WORLD_META) or {}).get("labels") or {}
    if wanted in labels:
        return str(labels[wanted])
    from mmplug.host.api.queries import channel_id_named, channel_names

    found = channel_id_named(session.store, wanted, name, team)
    if found is None:
        known = channel_names(session.store)
        raise UsageError(f"there is no channel {channel!r} in the fake host's world",
                         hint="channels: " + (", ".join(known) or "none"))
    return found
