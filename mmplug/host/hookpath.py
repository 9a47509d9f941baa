"""What the server does around a hook it calls, for a hook fired at a plugin.

The server never calls a hook out of the blue: before ``MessageHasBeenPosted`` it has saved
the post, before ``ReactionHasBeenAdded`` the reaction, before ``UserHasLeftChannel`` it has
removed the membership; after ``MessageWillBePosted`` it saves the post the plugins allowed
(or changed) and runs ``MessageHasBeenPosted``, after ``ExecuteCommand`` it posts the answer.
A hook fired with :meth:`Session.fire <mmplug.host.session.Session.fire>` (``mmplug fire``,
``mmplug replay``, the pytest ``plugin.fire()``, a fire into ``mmplug dev``) goes through
:func:`run`, which does the same around the call, so the plugin acts on a world in which its
hook makes sense and its answer has the effect it would have on a server.

:data:`PATHS` holds, for every hook, the Go function that calls it (in mattermost/mattermost,
``server/channels/app``), what the server has done before the call and what it does with each
kind of answer; docs/fake-host-semantics.md shows the table. Hooks the API emulation fires
(a plugin's ``CreatePost`` runs ``MessageWillBePosted``) do not come here: the emulated rpc
does all of it itself (``session.hooks``).

Rules of the steps:

* **before** makes the store hold what the server had saved, and changes nothing that is
  there already (firing twice saves once). A request naming entities the server could not
  have had (an unknown channel, a reply to a missing root) is still sent to the plugin; the
  result says what the host could not do, and why.
* **after** acts on the answer as the server does (a rejection stops, a modification is
  saved, an error of the hook fails open where the server fails open). Hooks the host runs
  meanwhile (``MessageHasBeenPosted`` after a saved post) are consequences of the fired call:
  a cassette records them as nested and a replay does not fire them again.
* The fired plugin's answer decides; the same hook of other plugins in the session is not
  run first (a server chains them in no fixed order).

What the host did, and where a real server differs (an extension hook it never calls, an
answer it ignores), is in the result's ``host`` notes (:class:`HostNote`), which ``mmplug
fire`` shows with the result.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mmplug._json import loads
from mmplug.host.events import HostNote
from mmplug.host.hook_wire import hook_error

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from mmplug.host.api._registry import ApiContext, ApiFailure
    from mmplug.host.events import CallEvent as HookResult
    from mmplug.host.session import PluginHandle, Session

# The kinds of note: what the host did before the call and after it, what the server would
# not have done (it refuses the answer's effect, or would never have called the hook with
# this request), and where a real server differs from the fake host.
BEFORE, AFTER, REFUSED = "before", "after", "refused"
EXTENSION, IGNORED, DIFFERS = "extension", "ignored", "differs"


Prepare = Callable[["Step", Any], None]
Conclude = Callable[["Step", Any, "HookResult"], None]


@dataclass(frozen=True)
class Around:
    """What the server does around one hook (``server``: the Go functions that call it)."""

    server: str
    before: str = ""
    after: str = ""
    prepare: Prepare | None = None
    conclude: Conclude | None = None


@dataclass
class Step:
    """The host's view of one fired call while it prepares and concludes it."""

    session: Session
    handle: PluginHandle
    notes: list[HostNote] = field(default_factory=list)
    _ctx: ApiContext | None = None
    stop: bool = False  # the server would not act on the answer (said in a REFUSED note)

    @property
    def ctx(self) -> ApiContext:
        if self._ctx is None:  # what the call causes happens on the node that served it
            self._ctx = self.session.host_context(self.handle.node or None)
        return self._ctx

    def note(self, kind: str, text: str) -> None:
        self.notes.append(HostNote(kind, text))

    def refused(self, failure: ApiFailure, what: str) -> None:
        """The server would not do ``what``: it answers ``failure``."""
        self.note(REFUSED, f"{what}: {failure.status_code} {failure.error_id}: "
                           f"{failure.message}")

    def ran(self, hook: str) -> str:
        """``", then HOOK ran on p1, p2"``: the plugins whose ``hook`` the host just ran."""
        having = [h.id for h in self.session.plugins.values()
                  if h.state == "active" and hook in h.implemented]
        return f", then {hook} ran on {', '.join(having)}" if having else ""


def run(session: Session, handle: PluginHandle, hook: str, request: Message,
        hook_timeout: float | None = None) -> HookResult:
    """Fire ``hook`` at ``handle`` with what the server does around it (see the module);
    ``hook_timeout`` replaces the session's deadline for the call itself."""
    around = PATHS.get(hook)
    step = Step(session, handle)
    if around is not None and around.prepare is not None:
        _guarded(step, "the host cannot set the store up as the server has it before this "
                       "hook (a server would not send this request)", around.prepare, request)
    result = session.invoke(handle, hook, request, hook_timeout)
    if around is not None and around.conclude is not None and not step.stop:
        with session.consequences():
            _guarded(step, "the server does not act on this answer", around.conclude,
                     request, result)
    result.host = [*marks(hook), *result.host, *step.notes]
    return result


def _guarded(step: Step, what: str, action: Callable[..., None], *args: Any) -> None:
    """Run a step; an AppError the server would answer becomes a note (``what`` says what it
    means), not a failure of the fired call."""
    from mmplug.host.api._registry import ApiFailure

    try:
        action(step, *args)
    except ApiFailure as failure:
        step.refused(failure, what)
        step.stop = True


def marks(hook: str) -> list[HostNote]:
    """What a real server does differently with ``hook`` whatever the answer: an extension
    hook the wire contract of Python plugins lacks is never called."""
    from mmplug.protocol.catalog import HOOKS_BY_GO_NAME

    spec = HOOKS_BY_GO_NAME.get(hook)
    if spec is None or spec.upstream:
        return []
    return [HostNote(EXTENSION, f"{hook} — mmplug extension: a real server never calls this "
                                "hook on a Python plugin (the wire contract of Python plugins "
                                "has no such rpc)")]


# -- helpers -------------------------------------------------------------------------------
def _channel_name(step: Step, channel_id: str) -> str:
    from mmplug.host.api._entities import find_channel

    with step.session.store.read() as db:
        channel = find_channel(db, channel_id)
    return f"~{channel.name}" if channel is not None else f"channel {channel_id}"


def _username(step: Step, user_id: str) -> str:
    from mmplug.host.api._entities import find_user

    with step.session.store.read() as db:
        user = find_user(db, user_id)
    return f"@{user.username}" if user is not None else f"user {user_id}"


def _failed(result: HookResult) -> bool:
    return result.error is not None or result.response is None


def _fails_open(step: Step, result: HookResult, what: str) -> bool:
    """A hook that failed counts as no answer (the server fails open); says so."""
    if not _failed(result):
        return False
    step.note(AFTER, f"the hook failed; the server goes on as if it had no answer: {what}")
    return True


# -- posts ---------------------------------------------------------------------------------
def _ensure_post(step: Step, post: Any, hook: str) -> None:
    """The post exists as the server saved it before ``hook`` (an id is given to a post that
    has none, in the request too)."""
    from mmplug.host.api.posts import record_post

    if not post.id:
        post.id = step.ctx.new_id()
        step.note(BEFORE, f"gave the post the id {post.id} (a saved post has one)")
    if record_post(step.ctx, post):
        where = _channel_name(step, post.channel_id)
        what = "reply" if post.root_id else "post"
        step.note(BEFORE, f"saved the {what} {post.id} in {where}, as the server does before "
                          f"{hook}")


def _prepare_posted(step: Step, request: Any) -> None:
    _ensure_post(step, request.post, "MessageHasBeenPosted")


def _prepare_will_be_posted(step: Step, request: Any) -> None:
    """The server's checks before the hook: a post it would refuse never reaches it."""
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.posts import Origin, prepare_post
    from mmplug.protocol import post_pb2

    checked = post_pb2.Post()
    checked.CopyFrom(request.post)
    try:
        prepare_post(step.ctx, checked, Origin.USER)
    except ApiFailure as failure:
        step.refused(failure, "a user cannot post this, so the server would not call "
                              "MessageWillBePosted")
        step.stop = True


def _conclude_will_be_posted(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.posts import Origin, prepare_post, save_created_post
    from mmplug.protocol import post_pb2

    response: Any = result.response
    reason = "" if _failed(result) else str(getattr(response, "rejection_reason", ""))
    if reason:
        error_id = ("plugin.message_will_be_posted.dismiss_post"
                    if reason == "plugin.message_will_be_posted.dismiss_post"
                    else f"Post rejected by plugin. {reason}")
        step.note(AFTER, f"rejected: the server saves nothing and answers the poster 400 "
                         f"{error_id!r}")
        return
    post = post_pb2.Post()
    post.CopyFrom(request.post)
    prepare_post(step.ctx, post, Origin.USER)
    final = post
    if _fails_open(step, result, "the post is saved as it was"):
        pass
    elif response is not None and response.HasField("modified_post"):
        final = post_pb2.Post()
        final.CopyFrom(response.modified_post)
    try:
        saved = save_created_post(step.ctx, post, final)
    except ApiFailure as failure:
        step.refused(failure, "the server does not save the post")
        return
    how = "with the plugin's changes" if final is not post else "as allowed"
    step.note(AFTER, f"saved the post {saved.id} {how} in {_channel_name(step, saved.channel_id)}"
                     + step.ran("MessageHasBeenPosted"))


def _prepare_will_be_updated(step: Step, request: Any) -> None:
    _ensure_post(step, request.old_post, "MessageWillBeUpdated")
    if request.new_post.id != request.old_post.id:
        request.new_post.id = request.old_post.id


def _conclude_will_be_updated(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._entities import find_post
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.posts import save_edited_post
    from mmplug.protocol import post_pb2

    with step.session.store.read() as db:
        old = find_post(db, request.old_post.id)
    if old is None:
        step.note(REFUSED, f"the post {request.old_post.id} is not stored (or deleted): the "
                           "server would not edit it")
        return
    reason = _rejection(result)
    if reason:
        step.note(AFTER, "rejected (a reason rejects the edit, even with a post): the server "
                         "keeps the old post and answers 400 "
                         f"{'Post rejected by plugin. ' + reason!r}")
        return
    response: Any = result.response
    final = post_pb2.Post()
    if _fails_open(step, result, "the edit is saved as it was"):
        final.CopyFrom(request.new_post)
    elif response.HasField("modified_post"):
        final.CopyFrom(response.modified_post)
    else:
        final.CopyFrom(request.new_post)
    try:
        saved = save_edited_post(step.ctx, old, final)
    except ApiFailure as failure:
        step.refused(failure, "the server does not save the edit")
        return
    step.note(AFTER, f"saved the edit of {saved.id} (the old version is kept as a deleted "
                     "copy)" + step.ran("MessageHasBeenUpdated"))


def _prepare_has_been_updated(step: Step, request: Any) -> None:
    """The edit is saved before the hook. The server sends as ``old_post`` the old version its
    store kept (its own id, ``original_id`` the edited post's, deleted at the edit); an
    ``old_post`` without ``original_id`` is taken as the edited post itself, as it was."""
    from mmplug.host.api.posts import record_edit
    from mmplug.protocol import post_pb2

    kept = request.old_post
    before = post_pb2.Post()
    before.CopyFrom(kept)
    before.delete_at = 0  # a deleted post is never edited
    if kept.original_id:
        before.id, before.original_id, before.update_at = kept.original_id, "", kept.create_at
    _ensure_post(step, before, "MessageHasBeenUpdated")
    if not kept.original_id:
        kept.id = before.id
    request.new_post.id = before.id
    if record_edit(step.ctx, before, request.new_post,
                   kept_id=kept.id if kept.original_id else None):
        step.note(BEFORE, f"saved the edit of {before.id}, as the server does before "
                          "MessageHasBeenUpdated")


def _prepare_deleted(step: Step, request: Any) -> None:
    from mmplug.host.api.posts import record_delete

    post = request.post
    if not post.id:
        post.id = step.ctx.new_id()
    post.delete_at = 0  # the hook gets the post as it was read before the delete
    if record_delete(step.ctx, post, post.user_id):
        step.note(BEFORE, f"deleted the post {post.id} (and its thread), as the server does "
                          "before MessageHasBeenDeleted")


def _prepare_consumed(step: Step, request: Any) -> None:
    for post in request.posts:
        _ensure_post(step, post, "MessagesWillBeConsumed")


def _conclude_consumed(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.check import IGNORED_ANSWERS

    if _failed(result):
        step.note(AFTER, "the hook failed: the client gets the posts unchanged")
        return
    response: Any = result.response
    returned = list(response.posts)
    if not returned:
        step.note(IGNORED, "an empty list is ignored: "
                           + IGNORED_ANSWERS["MessagesWillBeConsumed"])
    else:
        step.note(AFTER, f"the client gets the {len(returned)} returned post(s) in place of "
                         "the posts with the same id; nothing stored changes")
    step.note(DIFFERS, "the server calls MessagesWillBeConsumed only with the feature flag "
                       "ConsumePostHook on (FeatureFlags, off by default)")


# -- reactions -----------------------------------------------------------------------------
def _ensure_reaction(step: Step, reaction: Any, added: bool) -> None:
    from mmplug.host.api._entities import find_post
    from mmplug.host.api.reactions import record_reaction
    from mmplug.protocol import post_pb2

    with step.session.store.read() as db:
        known = find_post(db, reaction.post_id) is not None
    if not known:
        post = post_pb2.Post(id=reaction.post_id, channel_id=reaction.channel_id,
                             user_id=reaction.user_id, message="(the post of the reaction)")
        _ensure_post(step, post, "the reaction")
    if record_reaction(step.ctx, reaction, added):
        verb, hook = ("saved", "ReactionHasBeenAdded") if added else (
            "removed", "ReactionHasBeenRemoved")
        step.note(BEFORE, f"{verb} the :{reaction.emoji_name}: reaction of "
                          f"{_username(step, reaction.user_id)} on {reaction.post_id}, as the "
                          f"server does before {hook}")


# -- commands ------------------------------------------------------------------------------
def _prepare_command(step: Step, request: Any) -> None:
    from mmplug.host.api._commands import plugin_trigger
    from mmplug.host.api.commands import command_owner, remember_trigger_id

    args = request.args
    owner = command_owner(step.ctx, args)
    trigger = plugin_trigger(args.command)
    if owner is None:
        step.note(REFUSED, f"no plugin registered /{trigger} (for this team): the server "
                           "would not call ExecuteCommand (it answers 404 "
                           "api.command.execute_command.not_found.app_error), so the host "
                           "posts no answer")
        step.stop = True
    elif owner != step.handle.id:
        step.note(REFUSED, f"/{trigger} runs plugin {owner}'s command on the server (the "
                           "first plugin to register a trigger gets it), so the host posts "
                           "no answer")
        step.stop = True
    if args.trigger_id:  # a trigger id the server made: OpenInteractiveDialog accepts it
        remember_trigger_id(step.ctx, args.trigger_id, args.user_id,
                            step.session.store.peek_ms())


def _conclude_command(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.commands import deliver_response
    from mmplug.host.api.config import load_server_config

    response: Any = result.response
    if response is None:
        step.note(AFTER, "the hook failed: the server answers the user 500 "
                         "plugin.grpc.execute_command.error and posts nothing")
        return
    error = hook_error(response)
    if error is not None:  # set counts, even without an id; its message is not read
        status = error.status_code if 100 <= error.status_code <= 999 else 500
        step.note(AFTER, f"the server answers the user {status} "
                         f"{error.error_id or '(an AppError with an empty id)'} and posts "
                         "nothing")
        return
    if not response.HasField("response"):
        step.note(AFTER, "no answer: the server posts nothing")
        return
    answer = response.response  # as the server reads it: no type, no attachments
    with step.session.store.read() as db:
        config = load_server_config(db)
    try:
        posted = deliver_response(step.ctx, request.args, answer, config)
    except ApiFailure as failure:
        step.refused(failure, "the server cannot post the answer and answers the user 500 "
                              "api.command.execute_command.create_post_failed.app_error")
        return
    user = _username(step, request.args.user_id)
    if posted is None:
        kind = answer.response_type or "ephemeral"
        why = ("it has no text" if kind == "ephemeral"
               else f"response_type {kind!r} is neither in_channel nor ephemeral")
        step.note(AFTER, f"nothing posted: {why}")
    elif answer.response_type == "in_channel":
        step.note(AFTER, f"posted the answer {posted.id} in "
                         f"{_channel_name(step, posted.channel_id)} as {user} (in_channel)"
                         + step.ran("MessageHasBeenPosted"))
    else:
        step.note(AFTER, f"sent the answer to {user} as an ephemeral post (only they see it; "
                         "not stored)")


# -- channels and teams --------------------------------------------------------------------
def _prepare_channel_created(step: Step, request: Any) -> None:
    from mmplug.host.api._entities import find_channel, save_channel

    channel = request.channel
    with step.session.store.tx() as db:
        if not channel.id or find_channel(db, channel.id) is not None:
            return
        save_channel(db, channel)
    step.note(BEFORE, f"saved the channel ~{channel.name}, as the server does before "
                      "ChannelHasBeenCreated")


def _prepare_joined_channel(step: Step, request: Any) -> None:
    from mmplug.host.api._entities import find_member, get_channel, get_user, save_member

    member = request.channel_member
    with step.session.store.tx() as db:
        get_channel(db, member.channel_id)
        get_user(db, member.user_id)
        if find_member(db, member.channel_id, member.user_id) is not None:
            return
        save_member(db, member)
    step.note(BEFORE, f"added {_username(step, member.user_id)} to "
                      f"{_channel_name(step, member.channel_id)}, as the server does before "
                      "UserHasJoinedChannel")


def _prepare_left_channel(step: Step, request: Any) -> None:
    from mmplug.host.api.queries import remove_channel_member

    member = request.channel_member
    if remove_channel_member(step.session.store, member.channel_id, member.user_id):
        step.note(BEFORE, f"removed {_username(step, member.user_id)} from "
                          f"{_channel_name(step, member.channel_id)}, as the server does "
                          "before UserHasLeftChannel")


def _team_name(step: Step, team_id: str) -> str:
    from mmplug.host.api._entities import get_team

    with step.session.store.read() as db:
        return get_team(db, team_id).name


def _prepare_joined_team(step: Step, request: Any) -> None:
    from mmplug.host.api.teams_members import add_member, team_member_row

    member = request.team_member
    with step.session.store.read() as db:
        existing = team_member_row(db, member.team_id, member.user_id)
    if existing is not None and existing.delete_at == 0:
        return
    add_member(step.ctx, member.team_id, member.user_id, hook=False)
    step.note(BEFORE, f"added {_username(step, member.user_id)} to the team "
                      f"{_team_name(step, member.team_id)} (and its default channels), as the "
                      "server does before UserHasJoinedTeam")


def _prepare_left_team(step: Step, request: Any) -> None:
    from mmplug.host.api.teams_members import remove_member, team_member_row

    member = request.team_member
    with step.session.store.read() as db:
        existing = team_member_row(db, member.team_id, member.user_id)
    if existing is None or existing.delete_at:
        return
    remove_member(step.ctx, member.team_id, member.user_id, request.actor.id, hook=False)
    step.note(BEFORE, f"removed {_username(step, member.user_id)} from the team "
                      f"{_team_name(step, member.team_id)} (and its channels), as the server "
                      "does before UserHasLeftTeam")


def _rejection(result: HookResult) -> str:
    if _failed(result):
        return ""
    return str(getattr(result.response, "rejection_reason", ""))


def _conclude_archived(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api.channel_changes import archive_channel, check_archivable

    if _rejection(result):
        step.note(AFTER, "vetoed: the channel stays as it is and the caller gets 400 "
                         "app.channel.delete_channel.rejected_by_plugin")
        return
    check_archivable(step.ctx, request.channel.id)
    archive_channel(step.ctx, request.channel.id)
    step.note(AFTER, f"archived ~{request.channel.name}")


def _conclude_restored(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._entities import get_channel, save_channel

    if _rejection(result):
        step.note(AFTER, "vetoed: the channel stays archived")
        return
    with step.session.store.tx() as db:
        channel = get_channel(db, request.channel.id)
        if not channel.delete_at:
            return
        channel.delete_at, channel.update_at = 0, step.ctx.now()
        save_channel(db, channel)
    step.note(AFTER, f"restored ~{channel.name}")


def _prepare_restored(step: Step, request: Any) -> None:
    from mmplug.host.api._entities import get_channel, save_channel

    with step.session.store.tx() as db:
        channel = get_channel(db, request.channel.id)
        if channel.delete_at:
            return
        channel.delete_at = channel.update_at = request.channel.delete_at or step.ctx.now()
        save_channel(db, channel)
    step.note(BEFORE, f"archived ~{channel.name}: only an archived channel is restored")


def _conclude_channel_updated(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api.channel_changes import save_updated_channel

    if _rejection(result):
        step.note(AFTER, "rejected: the channel stays as it is and the caller gets 400 "
                         "app.channel.update_channel.rejected_by_plugin")
        return
    response: Any = result.response
    given = (response.modified_channel if not _failed(result)
             and response.HasField("modified_channel") else request.new_channel)
    saved = save_updated_channel(step.ctx, request.old_channel.id, given)
    step.note(AFTER, f"saved ~{saved.name}"
              + (" with the plugin's changes" if given is not request.new_channel else ""))


def _conclude_member_added(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._entities import find_member
    from mmplug.host.api.channel_members import save_added_member
    from mmplug.protocol import api_channel_post_pb2 as cp

    member = request.channel_member
    if _rejection(result):
        step.note(AFTER, "rejected: the user is not added and the caller gets 400 "
                         "app.channel.add_user.to.channel.rejected_by_plugin")
        return
    with step.session.store.read() as db:
        if find_member(db, member.channel_id, member.user_id) is not None:
            step.note(AFTER, "the user is a member already: the server adds nobody")
            return
    response: Any = result.response
    final = cp.ChannelMember()
    final.CopyFrom(response.modified_channel_member if not _failed(result)
                   and response.HasField("modified_channel_member") else member)
    save_added_member(step.ctx, final, member.channel_id, member.user_id)
    step.note(AFTER, f"added {_username(step, member.user_id)} to "
                     f"{_channel_name(step, member.channel_id)}"
                     + step.ran("UserHasJoinedChannel"))


def _conclude_team_member_added(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api.teams_members import add_member, team_member_row

    member = request.team_member
    if _rejection(result):
        step.note(AFTER, "rejected: the user does not join the team and the caller gets 400 "
                         "app.team.join_user_to_team.rejected_by_plugin")
        return
    with step.session.store.read() as db:
        existing = team_member_row(db, member.team_id, member.user_id)
    if existing is not None and existing.delete_at == 0:
        step.note(AFTER, "the user is a team member already: the server adds nobody")
        return
    response: Any = result.response
    allowed = (response.modified_team_member if not _failed(result)
               and response.HasField("modified_team_member") else member)
    add_member(step.ctx, member.team_id, member.user_id, allowed=allowed)
    step.note(AFTER, f"added {_username(step, member.user_id)} to the team "
                     f"{_team_name(step, member.team_id)}" + step.ran("UserHasJoinedTeam"))


# -- users ---------------------------------------------------------------------------------
def _prepare_user_created(step: Step, request: Any) -> None:
    from mmplug.host.api._entities import find_user
    from mmplug.host.api.users import save_user

    user = request.user
    with step.session.store.tx() as db:
        if not user.id or find_user(db, user.id) is not None:
            return
        save_user(db, user)
    step.note(BEFORE, f"saved the user @{user.username}, as the server does before "
                      "UserHasBeenCreated")


def _prepare_deactivated(step: Step, request: Any) -> None:
    from mmplug.host.api._entities import get_user
    from mmplug.host.api.users import set_active

    with step.session.store.read() as db:
        user = get_user(db, request.user.id)
    if user.delete_at:
        return
    set_active(step.ctx, user, False, hook=False)
    step.note(BEFORE, f"deactivated @{user.username} (sessions revoked, status offline), as "
                      "the server does before UserHasBeenDeactivated")


def _log_in(step: Step, user_id: str) -> str:
    """The server's DoLogin after UserWillLogIn: a session, the last login time."""
    from mmplug.host.api._entities import get_user
    from mmplug.host.api.users import save_user
    from mmplug.host.api.users_sessions import create_session
    from mmplug.protocol import api_user_team_pb2 as ut

    with step.session.store.read() as db:
        user = get_user(db, user_id)
    session = ut.Session(user_id=user.id, roles=user.roles,
                         props={"isMobile": "false", "isSaml": "false", "isOAuthUser": "false",
                                "is_guest": str("system_guest" in user.roles.split()).lower()})
    session.expires_at = step.ctx.now() + 30 * 24 * 3_600_000  # SessionLengthWebInHours 720
    made = create_session(step.ctx, ut.CreateSessionRequest(session=session)).session
    with step.session.store.tx() as db:
        user = get_user(db, user_id)
        user.last_login = made.create_at
        save_user(db, user)
    return str(made.id)


def _conclude_will_log_in(step: Step, request: Any, result: HookResult) -> None:
    reason = _rejection(result)
    if reason:
        step.note(AFTER, f"rejected: no session; the server answers 400 "
                         f"{'Login rejected by plugin: ' + reason!r}")
        return
    session_id = _log_in(step, request.user.id)
    with step.session.consequences():
        from mmplug.protocol import hooks_user_channel_pb2 as huc

        step.session.hooks.fire("UserHasLoggedIn", huc.UserHasLoggedInRequest(
            user=request.user))
    step.note(AFTER, f"logged {_username(step, request.user.id)} in (session {session_id})"
                     + step.ran("UserHasLoggedIn"))


def _prepare_logged_in(step: Step, request: Any) -> None:
    session_id = _log_in(step, request.user.id)
    step.note(BEFORE, f"opened the session {session_id} of "
                      f"{_username(step, request.user.id)}, as the server does before "
                      "UserHasLoggedIn")


def _conclude_user_updated(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api.users import save_user

    if _rejection(result):
        step.note(AFTER, "rejected: the user stays as stored")
        return
    response: Any = result.response
    given = (response.modified_user if not _failed(result) and response.HasField("modified_user")
             else request.new_user)
    with step.session.store.tx() as db:
        save_user(db, given)
    step.note(AFTER, f"saved @{given.username}"
              + (" with the plugin's changes" if given is not request.new_user else ""))


def _prepare_preferences(step: Step, request: Any) -> None:
    from mmplug.host.api.preferences import checked_preferences, store_preferences

    prefs = checked_preferences(request.preferences)
    with step.session.store.tx() as db:
        store_preferences(db, prefs)
    if prefs:
        step.note(BEFORE, f"saved {len(prefs)} preference(s), as the server does before "
                          "PreferencesHaveChanged")


# -- files, notifications, configuration -----------------------------------------------------
def _conclude_upload(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._files import find_file
    from mmplug.host.api._upload import save_upload, storage_path
    from mmplug.protocol import file_pb2

    reason = _rejection(result)
    if reason:
        step.note(AFTER, f"rejected: nothing stored; the uploader gets 400 "
                         f"{'File rejected by plugin. ' + reason!r}")
        return
    response: Any = result.response
    info = file_pb2.FileInfo()
    content = bytes(request.file_content)
    info.CopyFrom(request.file_info)
    if not _failed(result):
        if response.HasField("modified_file_info"):
            info.CopyFrom(response.modified_file_info)
        if response.modified_content:
            content = bytes(response.modified_content)
    file_id = request.file_info.id or step.ctx.new_id()
    with step.session.store.read() as db:
        known = find_file(db, file_id) is not None
    if known:
        step.note(AFTER, f"a file {file_id} is stored already: kept as it is")
        return
    saved = save_upload(step.ctx, file_id, info, content,
                        storage_path(info, info.channel_id))
    changed = info != request.file_info or content != bytes(request.file_content)
    step.note(AFTER, f"stored the file {saved.id} ({saved.size} bytes)"
              + (" with the plugin's changes" if changed else ""))


def _conclude_push(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._pbjson import to_dict
    from mmplug.host.api.events import PUSH, capture

    if _rejection(result):
        step.note(AFTER, "rejected: the server sends no push notification (not an error)")
        return
    response: Any = result.response
    notification = (response.modified_notification if not _failed(result)
                    and response.HasField("modified_notification")
                    else request.push_notification)
    capture(step.ctx, PUSH, {"user_id": request.user_id, "notification": to_dict(notification)})
    step.note(AFTER, f"sent the push notification to {_username(step, request.user_id)}"
              + (" with the plugin's changes" if notification is not request.push_notification
                 else "") + " (captured as a push_notification event)")


def _conclude_email(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._entities import find_user
    from mmplug.host.api._pbjson import to_dict
    from mmplug.host.api.events import MAIL, capture, email_notifications_on

    if _rejection(result):
        step.note(AFTER, "rejected: the server sends no email (not an error)")
        return
    sent = email_notifications_on(step.ctx)
    if not sent:
        step.note(DIFFERS, "the server sends email notifications, and calls this hook, only "
                           "with EmailSettings.SendEmailNotifications on; it is off here, so "
                           "the mail event says sent: false")
    try:
        notification = loads(bytes(request.email_notification.notification_json) or b"{}")
    except (UnicodeDecodeError, ValueError):
        notification = {}
    content = dict(notification) if isinstance(notification, dict) else {}
    response: Any = result.response
    if not _failed(result) and response.HasField("modified_content"):
        content.update(to_dict(response.modified_content))
    with step.session.store.read() as db:
        recipient = find_user(db, str(content.get("recipient_id", "")))
    email = recipient.email if recipient is not None else ""
    capture(step.ctx, MAIL, {"to": email, "subject": str(content.get("subject", "")),
                             "html_body": str(content.get("message_html", "")), "sent": sent})
    step.note(AFTER, f"sent the email notification to {email or 'its recipient'} (captured as "
                     "a mail event)")


def _conclude_config(step: Step, request: Any, result: HookResult) -> None:
    from mmplug.host.api._handlers import HandlerStatus
    from mmplug.host.api._registry import ApiFailure
    from mmplug.host.api.config import commit_config, load_server_config, unmarshal_config

    response: Any = result.response
    if response is None:
        step.note(AFTER, "the hook failed: the server does not save the configuration (it "
                         "does not fail open here); the admin gets 400 "
                         "app.save_config.plugin_hook_error")
        return
    error = hook_error(response)
    if error is not None:  # the server answers the plugin's AppError as it is
        step.note(AFTER, f"rejected: the configuration is not saved; the admin gets "
                         f"{error.status_code} "
                         f"{error.error_id or '(an AppError with an empty id)'}")
        return
    raw = bytes(request.new_config.config_json)
    modified = bool(response.modified_config.config_json)
    if modified:
        raw = bytes(response.modified_config.config_json)
    try:
        config = unmarshal_config(raw)
    except HandlerStatus as refused:
        if modified:
            step.note(AFTER, f"the server cannot read the plugin's configuration "
                             f"({refused.details}): it does not save it and the admin gets "
                             "400 app.save_config.plugin_hook_error")
            return
        raise ApiFailure(400, "api.config.update_config.invalid_json.app_error",
                         "Unable to parse the configuration JSON.",
                         detailed_error=refused.details) from None
    with step.session.store.read() as db:
        stored = load_server_config(db)
    try:
        commit_config(step.ctx, _merged(stored, config))
    except ApiFailure as failure:
        step.note(AFTER, f"the server refuses the configuration: it is not saved and the "
                         f"admin gets {failure.status_code} {failure.error_id} "
                         f"({failure.message})")
        return
    step.note(AFTER, "saved the configuration" + (" with the plugin's changes" if modified
                                                   else "") + step.ran("OnConfigurationChange"))
    step.note(DIFFERS, "the server fills what the saved configuration lacks with its defaults; "
                       "mmplug keeps the stored values there")


def _merged(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _note(kind: str, text: str) -> Conclude:
    """A conclusion that only says what the server does (nothing to store here)."""

    def say(step: Step, request: Any, result: HookResult) -> None:
        step.note(kind, text)

    return say


def _on_error(text: str) -> Conclude:
    """A conclusion for hooks whose error the server only logs."""

    def say(step: Step, request: Any, result: HookResult) -> None:
        if result.error is not None:
            step.note(AFTER, text)

    return say


def _lifecycle(hook: str, text: str) -> Conclude:
    def say(step: Step, request: Any, result: HookResult) -> None:
        step.note(DIFFERS, f"a server calls {hook} only {text}; fired on a running plugin it "
                           "is one more call")
        if hook == "OnActivate" and result.error is not None:
            step.note(AFTER, "an error of OnActivate makes the server stop the plugin "
                             "(state FailedToStart); this fired call leaves it running")

    return say


def _enterprise(hook: str) -> Conclude:
    return _note(DIFFERS, f"only Mattermost's Enterprise or Cloud code calls {hook}; the host "
                          "does nothing around it")


_DOWNLOAD = "rejected: the user does not get the file (403)"

PATHS: dict[str, Around] = {
    "Implemented": Around("plugin.(*hooksRPCClient).Implemented, once at start",
                          after="the hooks named are the only ones the server calls"),
    "OnActivate": Around(
        "plugin.(*Environment).startPluginServer",
        after="an error stops the plugin (FailedToStart)",
        conclude=_lifecycle("OnActivate", "once, when it activates the plugin")),
    "OnDeactivate": Around(
        "plugin.(*Environment).Deactivate",
        after="the process is shut down whatever the answer (an error is only logged)",
        conclude=_lifecycle("OnDeactivate", "when it deactivates the plugin, and stops it "
                                            "right after")),
    "OnConfigurationChange": Around(
        "app.(*Channels).initPlugins config listener, after every SaveConfig",
        before="the new configuration is saved", after="an error is only logged",
        conclude=_on_error("the server only logs this error")),
    "OnInstall": Around(
        "app.(*App).CompleteOnboarding", before="the plugin is installed and enabled",
        after="an error is only logged", conclude=_on_error("the server only logs this error")),
    "OnSendDailyTelemetry": Around("Enterprise telemetry job",
                                   conclude=_enterprise("OnSendDailyTelemetry")),
    "RunDataRetention": Around("Enterprise data retention job",
                               after="the deleted count goes into the job's report",
                               conclude=_enterprise("RunDataRetention")),
    "OnCloudLimitsUpdated": Around("Cloud subscription updates",
                                   conclude=_enterprise("OnCloudLimitsUpdated")),
    "ConfigurationWillBeSaved": Around(
        "platform.(*PlatformService).SaveConfig",
        after="an error, or a failed call, stops the save; else the new (or the plugin's) "
              "configuration is saved and every plugin gets OnConfigurationChange",
        conclude=_conclude_config),
    "MessageWillBePosted": Around(
        "app.(*App).CreatePost", before="the post is checked (channel, user, thread root)",
        after="a rejection is a 400 and nothing is saved; else the post (or the plugin's "
              "replacement) is saved and MessageHasBeenPosted runs on every plugin",
        prepare=_prepare_will_be_posted, conclude=_conclude_will_be_posted),
    "MessageWillBeUpdated": Around(
        "app.(*App).UpdatePost", before="the old post is stored",
        after="a reason rejects (400), even with a post; else the edit (or the plugin's "
              "post) is saved and MessageHasBeenUpdated runs on every plugin",
        prepare=_prepare_will_be_updated, conclude=_conclude_will_be_updated),
    "MessageHasBeenPosted": Around(
        "app.(*App).CreatePost", before="the post is saved", after="nothing (no answer)",
        prepare=_prepare_posted),
    "MessageHasBeenUpdated": Around(
        "app.(*App).UpdatePost", before="the edit is saved (the old version kept)",
        after="nothing (no answer)", prepare=_prepare_has_been_updated),
    "MessagesWillBeConsumed": Around(
        "app.(*App).applyPostsWillBeConsumedHook", before="the posts are stored (being read)",
        after="a non-empty list replaces the posts with the same ids in what the client gets; "
              "an empty list is ignored",
        prepare=_prepare_consumed, conclude=_conclude_consumed),
    "MessageHasBeenDeleted": Around(
        "app.(*App).CleanUpAfterPostDeletion",
        before="the post and its thread are deleted", after="nothing (no answer)",
        prepare=_prepare_deleted),
    "FileWillBeUploaded": Around(
        "app.(*App).DoUploadFileExpectModification, app.(*App).runPluginsHook",
        after="a rejection is a 400 and nothing is stored; else the file (or the plugin's "
              "info and bytes) is stored", conclude=_conclude_upload),
    "ReactionHasBeenAdded": Around(
        "app.(*App).SaveReactionForPost", before="the reaction is saved",
        after="nothing (no answer)",
        prepare=lambda step, request: _ensure_reaction(step, request.reaction, True)),
    "ReactionHasBeenRemoved": Around(
        "app.(*App).DeleteReactionForPost", before="the reaction is deleted",
        after="nothing (no answer)",
        prepare=lambda step, request: _ensure_reaction(step, request.reaction, False)),
    "NotificationWillBePushed": Around(
        "app.(*App).sendPushNotificationToAllSessions",
        after="a rejection sends nothing (no error); else the notification (or the plugin's) "
              "is sent", conclude=_conclude_push),
    "EmailNotificationWillBeSent": Around(
        "app.(*App).sendNotificationEmail",
        after="a rejection sends nothing (no error); else the email (with the plugin's "
              "content) is sent", conclude=_conclude_email),
    "PreferencesHaveChanged": Around(
        "app.(*App).UpdatePreferences", before="the preferences are saved",
        after="nothing (no answer)", prepare=_prepare_preferences),
    "UserHasBeenCreated": Around(
        "app.(*App).createUserOrGuest", before="the user is saved",
        after="nothing (no answer)", prepare=_prepare_user_created),
    "UserWillLogIn": Around(
        "app.(*App).DoLogin", before="the credentials are checked",
        after="a rejection is a 400 and no session; else a session is made and "
              "UserHasLoggedIn runs on every plugin", conclude=_conclude_will_log_in),
    "UserHasLoggedIn": Around(
        "app.(*App).DoLogin", before="the session is made", after="nothing (no answer)",
        prepare=_prepare_logged_in),
    "UserHasBeenDeactivated": Around(
        "app.(*App).UpdateActive", before="the user is deactivated, sessions revoked",
        after="nothing (no answer)", prepare=_prepare_deactivated),
    "OnSAMLLogin": Around(
        "Enterprise SAML login", after="an error refuses the login",
        conclude=_enterprise("OnSAMLLogin")),
    "ChannelHasBeenCreated": Around(
        "app.(*App).CreateChannel, handleCreationEvent, createGroupChannel",
        before="the channel is saved", after="nothing (no answer)",
        prepare=_prepare_channel_created),
    "UserHasJoinedChannel": Around(
        "app.(*App).AddChannelMember, app.(*App).JoinChannel",
        before="the membership is saved", after="nothing (the join message follows)",
        prepare=_prepare_joined_channel),
    "UserHasLeftChannel": Around(
        "app.(*App).removeUserFromChannel", before="the membership is removed",
        after="nothing (the leave message follows)", prepare=_prepare_left_channel),
    "UserHasJoinedTeam": Around(
        "app.(*App).JoinUserToTeam", before="the team membership is saved",
        after="nothing (no answer)", prepare=_prepare_joined_team),
    "UserHasLeftTeam": Around(
        "app.(*App).postProcessTeamMemberLeave",
        before="the team membership is left, the team's channels too",
        after="nothing (no answer)", prepare=_prepare_left_team),
    "ExecuteCommand": Around(
        "app.(*App).tryExecutePluginCommand, app.(*App).HandleCommandResponse",
        before="the trigger is the plugin's; a trigger id is made",
        after="an error goes to the user; in_channel answers are posted as the user, "
              "ephemeral ones (with text) sent to the user only, other types dropped",
        prepare=_prepare_command, conclude=_conclude_command),
    "OnWebSocketConnect": Around("platform.(*PlatformService).NewWebConn",
                                 after="nothing (no answer)"),
    "OnWebSocketDisconnect": Around("platform.(*WebConn).Pump", after="nothing (no answer)"),
    "WebSocketMessageHasBeenPosted": Around("platform.(*WebConn).pluginPostedConsumer",
                                            after="nothing (no answer)"),
    "OnPluginClusterEvent": Around(
        "app.(*Server).clusterPluginEventHandler", before="another node published the event",
        after="nothing (no answer)"),
    "OnSharedChannelsSyncMsg": Around(
        "sharedchannel.(*Service).sendSyncMsgToPlugin",
        after="the cursors move on with the answer",
        conclude=_note(DIFFERS, "the host syncs shared channels only through "
                                "SyncSharedChannel; a fired call moves no cursor")),
    "OnSharedChannelsPing": Around(
        "remotecluster.(*Service).pingRemote", after="false marks the remote offline",
        conclude=_note(DIFFERS, "the host keeps no remote status")),
    "OnSharedChannelsAttachmentSyncMsg": Around(
        "sharedchannel.(*Service).sendAttachmentToPlugin", after="an error retries later"),
    "OnSharedChannelsProfileImageSyncMsg": Around(
        "sharedchannel.(*Service).sendProfileImageToPlugin", after="an error retries later"),
    "GenerateSupportData": Around(
        "app.(*App).GenerateSupportPacket",
        after="the files go into the support packet (an error is logged)"),
    "ServeHTTP": Around("app.(*App).ServeInternalPluginRequest, ServePluginRequest",
                        before="the session is checked; Mattermost-User-Id set"),
    # Extension hooks: a real server never calls them on a Python plugin (marks()); the host
    # does around them what the server does around the Go hooks of the same name.
    "MessagesWillBeConsumedWithContext": Around(
        "(extension) app.(*App).applyPostsWillBeConsumedHook",
        before="the posts are stored", after="returned posts replace those with their ids",
        prepare=_prepare_consumed),
    "ChannelWillBeArchived": Around(
        "(extension) app.(*App).DeleteChannel",
        after="a veto keeps the channel; else it is archived", conclude=_conclude_archived),
    "ChannelWillBeRestored": Around(
        "(extension) app.(*App).RestoreChannel", before="the channel is archived",
        after="a veto keeps it archived; else it is restored", prepare=_prepare_restored,
        conclude=_conclude_restored),
    "ChannelWillBeUpdated": Around(
        "(extension) app.(*App).UpdateChannel",
        after="a rejection keeps the channel; else the new (or the plugin's) channel is saved",
        conclude=_conclude_channel_updated),
    "ChannelMemberWillBeAdded": Around(
        "(extension) app.(*App).AddUserToChannel",
        after="a rejection adds nobody (400); else the member is saved and "
              "UserHasJoinedChannel runs on every plugin", conclude=_conclude_member_added),
    "TeamMemberWillBeAdded": Around(
        "(extension) app.(*App).JoinUserToTeam",
        after="a rejection adds nobody; else the member is saved and UserHasJoinedTeam runs",
        conclude=_conclude_team_member_added),
    "FileWillBeDownloaded": Around(
        "(extension) app file download handlers", after="a rejection refuses the download",
        conclude=lambda step, request, result: step.note(
            AFTER, _DOWNLOAD if _rejection(result) else "the user gets the file")),
    "ScheduledPostWillBeCreated": Around(
        "(extension) app.(*App).SaveScheduledPost", after="a rejection saves nothing",
        conclude=_note(DIFFERS, "the fake host keeps no scheduled posts")),
    "DraftWillBeUpserted": Around(
        "(extension) app.(*App).UpsertDraft", after="a rejection saves nothing",
        conclude=_note(DIFFERS, "the fake host keeps no drafts")),
    "UserWillBeUpdated": Around(
        "(extension) app.(*App).UpdateUser",
        after="a rejection keeps the user; else the new (or the plugin's) user is saved",
        conclude=_conclude_user_updated),
    "ServeMetrics": Around("platform.(*platformMetrics).servePluginMetricsRequest",
                           before="the metrics listener got a request"),
}
