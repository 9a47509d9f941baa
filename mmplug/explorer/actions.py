"""What a world user does in the explorer's chat, taking the server's path.

Posts, slash commands, reactions, edits and deletes go through the host's user actions
(:mod:`mmplug.host.actions`, what ``session.as_user`` and the pytest harness use): the
server's order of hooks and effects, with the first hook call the action's and the rest its
consequences, so that calls kept as a cassette replay as they happened. A dialog submission is
POSTed to the plugin's URL as the server's ``SubmitInteractiveDialog`` does. The explorer adds
its own rule that only a post's author edits or deletes it (the fake host checks no
permissions).

Every function runs under the backend's lock (no reload starts during an action) and inside a
trace action, so the trace shows the action with the hook calls it caused.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

from mmplug._json import loads
from mmplug.errors import MmplugError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mmplug.explorer.backend import Backend
    from mmplug.host.actions import Actor

T = TypeVar("T")


class ActionError(MmplugError):
    """An action the server refused (a plugin rejected the post, an unknown command...)."""

    def __init__(self, message: str, *, status: int = 400, hint: str | None = None,
                 error_id: str = "") -> None:
        super().__init__(message, hint=hint or "")
        self.status = status
        self.error_id = error_id


def _run(backend: Backend, title: str, user_id: str, fn: Callable[[], T], **info: Any) -> T:
    """Run ``fn`` under the backend's lock, inside a trace action; what the server refuses
    (:class:`~mmplug.host.actions.ActionRefused`) becomes this API's :class:`ActionError`."""
    from mmplug.host.actions import ActionRefused

    def act() -> T:
        capture = backend.capture
        if capture is None:
            return fn()
        with capture.action(title, user_id, **info) as details:
            try:
                result = fn()
            except ActionRefused as exc:
                details["outcome"] = exc.reason
                raise
            details.setdefault("outcome", "ok")
            return result

    try:
        return backend.run(act)
    except ActionRefused as exc:
        raise ActionError(exc.reason, status=exc.status_code, error_id=exc.error_id) from None


def _actor(backend: Backend, user_id: str, what: str) -> Actor:
    """The user acting through the host's user actions (:mod:`mmplug.host.actions`): the
    server's paths, with the first hook call the action's and the rest its consequences."""
    _need_live(backend, what)
    return backend.session.as_user(user_id)  # type: ignore[attr-defined, no-any-return]


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
    actor = _actor(backend, user_id, "posting")
    if not message.strip():
        raise ActionError("the message is empty", hint="type something to post")
    saved = _run(backend, "post", user_id, lambda: actor.post(channel_id, message,
                                                              root_id=root_id),
                 channel_id=channel_id, message=message, root_id=root_id)
    return _to_dict(saved)


def command(backend: Backend, user_id: str, channel_id: str, line: str,
            root_id: str = "") -> dict[str, Any]:
    """``user_id`` runs the slash command ``line`` in a channel (the web app's path)."""
    actor = _actor(backend, user_id, "running a slash command")
    _team_of(backend, channel_id, user_id)  # an unknown channel is a 404, before any hook
    outcome = _run(backend, "command", user_id,
                   lambda: actor.command(line, channel=channel_id, root_id=root_id),
                   channel_id=channel_id, command=line)
    return _to_dict(outcome.response) if outcome.response is not None else {}


def react(backend: Backend, user_id: str, post_id: str, emoji: str, *,
          remove: bool = False) -> None:
    """Add (or remove) ``user_id``'s reaction ``emoji`` to a post."""
    actor = _actor(backend, user_id, "reacting")
    name = emoji.strip().strip(":")
    if not name:
        raise ActionError("no emoji given", hint="give an emoji name, e.g. thumbsup")
    act = actor.unreact if remove else actor.react
    _run(backend, "unreact" if remove else "react", user_id, lambda: act(post_id, name),
         post_id=post_id, emoji=name)


def _own_post(backend: Backend, user_id: str, post_id: str) -> Any:
    """The explorer's rule (not the server's: the fake host has no permissions): a post is
    edited or deleted by its author, so the chat shows what a user's own client allows."""
    from mmplug.host.api.queries import post_author

    author = post_author(backend.store, post_id)
    if author is None:
        raise ActionError(f"no post {post_id!r}", status=404, hint="it may have been deleted")
    if author != user_id:
        raise ActionError("only the author edits or deletes a post here",
                          status=403, hint="pick the post's author as the user")


def edit(backend: Backend, user_id: str, post_id: str, message: str) -> dict[str, Any]:
    """The author edits a post (MessageWillBeUpdated, the save, MessageHasBeenUpdated)."""
    actor = _actor(backend, user_id, "editing")

    def run() -> Any:
        _own_post(backend, user_id, post_id)
        return actor.edit(post_id, message)

    return _to_dict(_run(backend, "edit", user_id, run, post_id=post_id, message=message))


def delete(backend: Backend, user_id: str, post_id: str) -> None:
    """The author deletes a post (and its thread; MessageHasBeenDeleted)."""
    actor = _actor(backend, user_id, "deleting")

    def run() -> Any:
        _own_post(backend, user_id, post_id)
        return actor.delete(post_id)

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
            answer = loads(data)
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
