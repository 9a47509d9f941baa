"""What a world user does in the explorer's chat, taking the server's path.

This is the one module that reaches into the host for user actions: a post is the server's
``CreatePostAsUser`` (MessageWillBePosted chained over the plugins, the save, then
MessageHasBeenPosted), a slash command is ``ExecuteSlashCommand`` (the owning plugin's
ExecuteCommand, then its answer posted in the channel or sent as an ephemeral post), reactions,
edits and deletes run their hooks, and a dialog submission is POSTed to the plugin's URL as the
server's ``SubmitInteractiveDialog`` does. When the host offers a public user-action API, only
this module changes.

Every function runs under the backend's lock (no reload starts during an action) and inside a
trace action, so the trace shows the action with the hook calls it caused.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from mmplug.explorer.backend import Backend


class ActionError(MmplugError):
    """An action the server refused (a plugin rejected the post, an unknown command...)."""

    def __init__(self, message: str, *, status: int = 400, hint: str | None = None,
                 error_id: str = "") -> None:
        super().__init__(message, hint=hint or "")
        self.status = status
        self.error_id = error_id


def _failure(exc: Any) -> ActionError:
    return ActionError(exc.message, status=exc.status_code, error_id=exc.error_id)


def _run(backend: Backend, title: str, user_id: str, fn: Any, **info: Any) -> Any:
    from mmplug.host.api._registry import ApiFailure

    def act() -> Any:
        capture = backend.capture
        if capture is None:
            return fn()
        with capture.action(title, user_id, **info) as details:
            try:
                result = fn()
            except ApiFailure as exc:
                details["outcome"] = exc.message
                raise _failure(exc) from None
            details.setdefault("outcome", "ok")
            return result

    try:
        return backend.run(act)
    except ApiFailure as exc:
        raise _failure(exc) from None


def _need_live(backend: Backend, what: str) -> None:
    if not backend.live:
        from mmplug.explorer.backend import NotLive

        raise NotLive(what)


def _to_dict(message: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def post(backend: Backend, user_id: str, channel_id: str, message: str,
         root_id: str = "") -> dict[str, Any]:
    """``user_id`` posts ``message`` in a channel (or a thread: ``root_id``)."""
    from mmplug.host.api.posts import Origin, create_post
    from mmplug.protocol import post_pb2

    _need_live(backend, "posting")
    if not message.strip():
        raise ActionError("the message is empty", hint="type something to post")

    def run() -> Any:
        new = post_pb2.Post(user_id=user_id, channel_id=channel_id, message=message,
                            root_id=root_id)
        return create_post(backend.host_context(), new, origin=Origin.USER)

    saved = _run(backend, "post", user_id, run, channel_id=channel_id, message=message,
                 root_id=root_id)
    return _to_dict(saved)


def command(backend: Backend, user_id: str, channel_id: str, line: str,
            root_id: str = "") -> dict[str, Any]:
    """``user_id`` runs the slash command ``line`` in a channel (the web app's path)."""
    from mmplug.host.api._registry import handler_for
    from mmplug.protocol import api_remaining_pb2 as rem

    _need_live(backend, "running a slash command")
    team_id = _team_of(backend, channel_id, user_id)

    def run() -> Any:
        args = rem.CommandArgs(user_id=user_id, channel_id=channel_id, team_id=team_id,
                               root_id=root_id, parent_id=root_id, command=line)
        handler = handler_for("ExecuteSlashCommand")
        assert handler is not None
        return handler(backend.host_context(),
                       rem.ExecuteSlashCommandRequest(command_args=args))

    answer = _run(backend, "command", user_id, run, channel_id=channel_id, command=line)
    return _to_dict(answer.response) if answer.HasField("response") else {}


def react(backend: Backend, user_id: str, post_id: str, emoji: str, *,
          remove: bool = False) -> None:
    """Add (or remove) ``user_id``'s reaction ``emoji`` to a post."""
    from mmplug.host.api._registry import handler_for
    from mmplug.protocol import api_channel_post_pb2 as cp
    from mmplug.protocol import post_pb2

    _need_live(backend, "reacting")
    name = emoji.strip().strip(":")
    if not name:
        raise ActionError("no emoji given", hint="give an emoji name, e.g. thumbsup")

    def run() -> Any:
        reaction = post_pb2.Reaction(user_id=user_id, post_id=post_id, emoji_name=name)
        ctx = backend.host_context()
        if remove:
            handler = handler_for("RemoveReaction")
            assert handler is not None
            return handler(ctx, cp.RemoveReactionRequest(reaction=reaction))
        handler = handler_for("AddReaction")
        assert handler is not None
        return handler(ctx, cp.AddReactionRequest(reaction=reaction))

    _run(backend, "unreact" if remove else "react", user_id, run, post_id=post_id, emoji=name)


def _own_post(backend: Backend, user_id: str, post_id: str) -> Any:
    from mmplug.host.api._entities import find_post

    with backend.store.read() as db:
        found = find_post(db, post_id)
    if found is None or found.delete_at:
        raise ActionError(f"no post {post_id!r}", status=404, hint="it may have been deleted")
    if found.user_id != user_id:
        raise ActionError("only the author edits or deletes a post here",
                          status=403, hint="pick the post's author as the user")
    return found


def edit(backend: Backend, user_id: str, post_id: str, message: str) -> dict[str, Any]:
    """The author edits a post (MessageWillBeUpdated, the save, MessageHasBeenUpdated)."""
    from mmplug.host.api._registry import handler_for
    from mmplug.protocol import api_channel_post_pb2 as cp

    _need_live(backend, "editing")

    def run() -> Any:
        current = _own_post(backend, user_id, post_id)
        current.message = message
        handler = handler_for("UpdatePost")
        assert handler is not None
        return handler(backend.host_context(), cp.UpdatePostRequest(post=current)).post

    return _to_dict(_run(backend, "edit", user_id, run, post_id=post_id, message=message))


def delete(backend: Backend, user_id: str, post_id: str) -> None:
    """The author deletes a post (and its thread; MessageHasBeenDeleted)."""
    from mmplug.host.api._registry import handler_for
    from mmplug.protocol import api_channel_post_pb2 as cp

    _need_live(backend, "deleting")

    def run() -> Any:
        _own_post(backend, user_id, post_id)
        handler = handler_for("DeletePost")
        assert handler is not None
        return handler(backend.host_context(), cp.DeletePostRequest(post_id=post_id))

    _run(backend, "delete", user_id, run, post_id=post_id)


def submit_dialog(backend: Backend, user_id: str, dialog: dict[str, Any], channel_id: str,
                  submission: dict[str, Any], *, cancelled: bool = False) -> dict[str, Any]:
    """Submit (or cancel) a dialog the plugin opened, as the server does: a POST of the
    submission to the dialog's URL (a plugin's ``/plugins/<id>/...`` path goes to its
    ServeHTTP with ``Mattermost-User-Id``); the plugin's JSON answer (``error``, ``errors``
    per field, or nothing) comes back."""
    _need_live(backend, "submitting a dialog")
    url = str(dialog.get("url") or "")
    form = dialog.get("dialog") or {}
    path = url.split("://", 1)[-1]
    if "://" in url:
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
    parts = path.strip("/").split("/", 2)
    if len(parts) < 2 or parts[0] != "plugins":
        raise ActionError(f"the dialog's url {url!r} is not a plugin's (/plugins/<id>/...)",
                          hint="the fake host only delivers dialogs to plugins")
    plugin_id, rest = parts[1], "/" + (parts[2] if len(parts) > 2 else "")
    team_id = _team_of(backend, channel_id, user_id)
    body = json.dumps({"type": "dialog_submission", "callback_id": form.get("callback_id", ""),
                       "state": form.get("state", ""), "user_id": user_id,
                       "channel_id": channel_id, "team_id": team_id,
                       "submission": submission, "cancelled": cancelled}).encode()

    def run() -> Any:
        session = backend.session  # type: ignore[attr-defined]
        response = session.serve_http(
            plugin_id, "POST", rest,
            [("Mattermost-User-Id", user_id), ("Content-Type", "application/json"),
             ("Accept", "application/json"), ("Content-Length", str(len(body)))], iter([body]))
        data = b"".join(response.body)
        if response.status != 200:
            raise ActionError(f"the plugin answered the dialog with HTTP {response.status}",
                              status=400, hint=data.decode("utf-8", "replace")[:200] or None)
        if not data.strip():
            return {}
        try:
            answer = json.loads(data)
        except ValueError:
            raise ActionError("the plugin's answer to the dialog is not JSON",
                              status=500, hint=data.decode("utf-8", "replace")[:200]) from None
        return answer if isinstance(answer, dict) else {}

    return dict(_run(backend, "dialog", user_id, run, plugin_id=plugin_id, channel_id=channel_id,
                     callback_id=form.get("callback_id", ""), cancelled=cancelled))


def _team_of(backend: Backend, channel_id: str, user_id: str) -> str:
    """The channel's team; a direct or group channel has none: the user's first team (the web
    app sends the team the user is looking at)."""
    from mmplug.host.api.queries import channel_team, first_team_of

    team = channel_team(backend.store, channel_id)
    if team is None:
        raise ActionError(f"no channel {channel_id!r}", status=404)
    return team if team else first_team_of(backend.store, user_id)
