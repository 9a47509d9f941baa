"""Slash commands registered by plugins (RegisterCommand/UnregisterCommand), the command
listings, and ExecuteSlashCommand routed to the owning plugin's ExecuteCommand hook.

As on the server, registration checks only that the trigger is not empty: any text is kept
(lower-cased), a built-in trigger or another plugin's trigger may be registered too (a plugin
command runs before built-in and custom commands; of several plugins the first to register
runs it), and a plugin registering its own trigger again replaces it. The server keeps only the
trigger, team, auto-complete fields and display name, and no plugin id.

Server-owned commands (CreateCommand and friends) live in ``custom_commands.py``.
"""

from __future__ import annotations

from typing import Any

from mmplug.host.api import _hooks
from mmplug.host.api._commands import (
    BUILT_IN_TRIGGERS,
    TRIGGER_ECHO_MAX,
    built_in_commands,
    command_trigger,
    custom_commands,
    plain_error,
    plugin_commands,
    plugin_trigger,
)
from mmplug.host.api._entities import find_member, get_channel, get_team, get_user
from mmplug.host.api._pbjson import dump, to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api.config import load_server_config
from mmplug.host.api.ephemeral import send_ephemeral
from mmplug.host.api.posts import create_post
from mmplug.host.hook_wire import hook_error
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import hooks_command_pb2 as hc
from mmplug.protocol import post_pb2

_KEPT = (
    "trigger",
    "team_id",
    "auto_complete",
    "auto_complete_desc",
    "auto_complete_hint",
    "display_name",
)

differs(
    "ExecuteSlashCommand",
    "The server runs built-in commands (/join, /echo, ...) and calls the URL of custom "
    "commands (CreateCommand); mmplug runs only plugin commands and answers 501 "
    "`mmplug.fake_host.command_not_emulated` for the others.",
)
differs(
    "ExecuteSlashCommand",
    "The server fills CommandArgs user and channel mentions and converts Slack-style markup "
    "(`<url|text>`, `<!channel>`) in the answer's text; mmplug leaves both as they are.",
)


@emulates("RegisterCommand")
def register_command(
    ctx: ApiContext, req: rem.RegisterCommandRequest
) -> rem.RegisterCommandResponse:
    if not req.command.trigger:
        raise plain_error("invalid command", "RegisterCommand")
    kept = rem.Command()
    for name in _KEPT:
        setattr(kept, name, getattr(req.command, name))
    kept.trigger = kept.trigger.lower()
    with ctx.store.tx() as db:
        db.execute(
            "INSERT INTO plugin_slash_commands(plugin_id, team_id, trigger, data) "
            "VALUES(?,?,?,?) ON CONFLICT(plugin_id, team_id, trigger) DO UPDATE SET "
            "data=excluded.data",
            (ctx.plugin_id, kept.team_id, kept.trigger, dump(kept)),
        )
    return rem.RegisterCommandResponse()


@emulates("UnregisterCommand")
def unregister_command(
    ctx: ApiContext, req: rem.UnregisterCommandRequest
) -> rem.UnregisterCommandResponse:
    """Removes the team's command with that trigger whichever plugin registered it (the
    server's UnregisterPluginCommand does not look at the plugin); never an error."""
    with ctx.store.tx() as db:
        db.execute(
            "DELETE FROM plugin_slash_commands WHERE team_id=? AND trigger=?",
            (req.team_id, req.trigger.lower()),
        )
    return rem.UnregisterCommandResponse()


def _config(ctx: ApiContext) -> dict[str, Any]:
    with ctx.store.read() as db:
        return load_server_config(db)


@emulates("ListBuiltInCommands")
def list_built_in(
    ctx: ApiContext, req: rem.ListBuiltInCommandsRequest
) -> rem.ListBuiltInCommandsResponse:
    return rem.ListBuiltInCommandsResponse(commands=built_in_commands(_config(ctx)))


def _plugin_commands_for(ctx: ApiContext, team_id: str) -> list[rem.Command]:
    """The team's plugin commands, one per trigger (the first registered)."""
    seen: set[str] = set()
    found = []
    with ctx.store.read() as db:
        for _, cmd in plugin_commands(db, team_id):
            if cmd.trigger not in seen:
                seen.add(cmd.trigger)
                found.append(cmd)
    return found


@emulates("ListPluginCommands")
def list_plugin_commands(
    ctx: ApiContext, req: rem.ListPluginCommandsRequest
) -> rem.ListPluginCommandsResponse:
    return rem.ListPluginCommandsResponse(commands=_plugin_commands_for(ctx, req.team_id))


@emulates("ListCustomCommands")
def list_custom_commands(
    ctx: ApiContext, req: rem.ListCustomCommandsRequest
) -> rem.ListCustomCommandsResponse:
    with ctx.store.read() as db:
        return rem.ListCustomCommandsResponse(commands=custom_commands(db, req.team_id))


@emulates("ListCommands")
def list_commands(ctx: ApiContext, req: rem.ListCommandsRequest) -> rem.ListCommandsResponse:
    """Plugin commands, then built-ins, then the team's custom commands (not de-duplicated
    across the three, as on the server)."""
    found = _plugin_commands_for(ctx, req.team_id) + built_in_commands(_config(ctx))
    with ctx.store.read() as db:
        found += custom_commands(db, req.team_id)
    return rem.ListCommandsResponse(commands=found)


# -- ExecuteSlashCommand ------------------------------------------------------------------
def command_owner(ctx: ApiContext, args: rem.CommandArgs) -> str | None:
    """The plugin whose command the line names: the first registered for the args' team (as
    given: the server does not take it from the channel) or for every team."""
    trigger = plugin_trigger(args.command)
    with ctx.store.read() as db:
        for plugin_id, cmd in plugin_commands(db, args.team_id):
            if cmd.trigger == trigger:
                return plugin_id
    return None


def _new_trigger_id(ctx: ApiContext, user_id: str) -> tuple[str, str]:
    """``(client trigger id, trigger id)``: the plugin gets the second in CommandArgs (and
    OpenInteractiveDialog accepts it); the answer carries the first."""
    client_id = ctx.new_id()
    trigger_id = client_id + ":" + user_id
    remember_trigger_id(ctx, trigger_id, user_id, ctx.now())
    return client_id, trigger_id


def remember_trigger_id(ctx: ApiContext, trigger_id: str, user_id: str, now: int) -> None:
    """Keep ``trigger_id`` as one the server generated for ``user_id`` at ``now`` (so that
    OpenInteractiveDialog accepts it for a while)."""
    with ctx.store.tx() as db:
        db.execute(
            "INSERT INTO trigger_ids(id, user_id, created_at) VALUES(?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET user_id=excluded.user_id, "
            "created_at=excluded.created_at",
            (trigger_id, user_id, now),
        )


def _run_plugin(
    ctx: ApiContext, args: rem.CommandArgs, owner: str, trigger: str
) -> rem.CommandResponse | None:
    request = hc.ExecuteCommandRequest(context=_hooks.request_context(ctx, args.user_id), args=args)
    failed: list[str] = []
    answers = _hooks.fire(ctx, "ExecuteCommand", request, plugin_id=owner, failed=failed)
    if failed:  # the server's gRPC hook client turns a failed call into this AppError
        raise ApiFailure(
            500,
            "plugin.grpc.execute_command.error",
            f"Unable to run /{trigger}: plugin {owner}'s ExecuteCommand failed (its handler "
            "raised or timed out; see the plugin's log).",
            detailed_error=f"plugin_id={owner}",
            where="ExecuteCommand",
        )
    if not answers:
        raise ApiFailure(
            500,
            "model.plugin_command_error.error.app_error",
            f"Unable to run /{trigger}: plugin {owner} did not answer (is it running and does "
            "it implement ExecuteCommand?).",
            detailed_error=f"err= Plugin has recently crashed: {owner}",
            params={"Command": trigger},
        )
    response = answers[0][1]
    assert isinstance(response, hc.ExecuteCommandResponse)
    error = hook_error(response)
    if error is not None:  # as the server builds it: an error set counts, even without an id
        # the server buckets a status code it cannot use under 500
        if not 100 <= error.status_code <= 999:
            error.status_code = 500
        raise error
    # the session reads the answer as the server's gRPC hook client does (no type, no
    # attachments: mmplug.host.hook_wire)
    return response.response if response.HasField("response") else None


def deliver_response(
    ctx: ApiContext, args: rem.CommandArgs, rsp: rem.CommandResponse, config: dict[str, Any]
) -> post_pb2.Post | None:
    """Post one command answer as the server's HandleCommandResponsePost does for a plugin
    command: in the channel (``in_channel``), as an ephemeral post (no type or ``ephemeral``,
    with text), or not at all (any other type). Returns the post made (ephemeral ones have
    type ``system_ephemeral``), None when nothing was posted; raises the AppError that made
    it fail."""
    post = post_pb2.Post(
        channel_id=args.channel_id, user_id=args.user_id, root_id=args.root_id, type=rsp.type
    )
    if rsp.HasField("props"):
        post.props.update(to_dict(rsp.props))
    if rsp.channel_id:
        with ctx.store.read() as db:
            member = find_member(db, rsp.channel_id, args.user_id)
        if member is None:
            raise ApiFailure(
                403,
                "api.command.command_post.forbidden.app_error",
                "Specified user is not a member of specified channel.",
                detailed_error=f"channel_id={rsp.channel_id} user_id={args.user_id}",
            )
        post.channel_id = rsp.channel_id
    overrides = config.get("ServiceSettings") or {}
    if overrides.get("EnablePostUsernameOverride") and rsp.username:
        post.props.update({"override_username": rsp.username, "from_webhook": "true"})
    if overrides.get("EnablePostIconOverride") and rsp.icon_url:
        post.props.update({"override_icon_url": rsp.icon_url, "from_webhook": "true"})
    post.message = rsp.text
    if post.type.startswith("system_"):
        raise ApiFailure(
            400,
            "api.context.invalid_param.app_error",
            "Invalid post.type parameter: a command answer cannot be a system message.",
            params={"Name": "post.type"},
        )
    if rsp.response_type == "in_channel":
        return create_post(ctx, post)
    if rsp.response_type in ("", "ephemeral") and (rsp.text or rsp.attachments):
        return send_ephemeral(ctx, args.user_id, post)
    return None


def _not_a_plugin_command(ctx: ApiContext, args: rem.CommandArgs, trigger: str) -> ApiFailure:
    """The server's next steps for a line no plugin command takes: custom commands (which
    need the team, user and channel to exist), then built-ins, else 404."""
    with ctx.store.read() as db:
        config = load_server_config(db)
        if not (config.get("ServiceSettings") or {}).get("EnableCommands", True):
            return ApiFailure(
                501,
                "api.command.disabled.app_error",
                "Commands have been disabled by the system admin "
                "(ServiceSettings.EnableCommands).",
            )
        get_team(db, args.team_id)
        get_channel(db, args.channel_id)
        custom = [c for c in custom_commands(db, args.team_id) if c.trigger == trigger]
    if custom or trigger in BUILT_IN_TRIGGERS:
        kind = "custom (CreateCommand)" if custom else "built-in"
        return ApiFailure(
            501,
            "mmplug.fake_host.command_not_emulated",
            f"/{trigger} is a {kind} command; mmplug's fake host only runs commands registered "
            "by plugins.",
            detailed_error=f"command={args.command!r}",
        )
    shown = trigger if len(trigger) <= TRIGGER_ECHO_MAX else trigger[:TRIGGER_ECHO_MAX] + "..."
    return ApiFailure(
        404,
        "api.command.execute_command.not_found.app_error",
        f"Command with a trigger of '/{shown}' not found. Plugins register theirs with "
        "RegisterCommand (usually in OnActivate).",
        params={"Trigger": shown},
    )


@emulates("ExecuteSlashCommand")
def execute_slash_command(
    ctx: ApiContext, req: rem.ExecuteSlashCommandRequest
) -> rem.ExecuteSlashCommandResponse:
    response, _ = execute_command(ctx, req.command_args)
    return rem.ExecuteSlashCommandResponse(response=response)


def execute_command(
    ctx: ApiContext, command_args: rem.CommandArgs
) -> tuple[rem.CommandResponse, post_pb2.Post | None]:
    """The server's ExecuteCommand (a plugin's ExecuteSlashCommand, a user's slash command):
    the owning plugin's ExecuteCommand, then its answer posted. Returns the answer and the
    post made of it (None when nothing was posted)."""
    args = rem.CommandArgs()
    args.CopyFrom(command_args)
    with ctx.store.read() as db:
        get_user(db, args.user_id)
    word, _ = command_trigger(args.command)
    if not word.startswith("/"):
        raise ApiFailure(
            400,
            "api.command.execute_command.format.app_error",
            "Command trigger is missing the leading slash character: a command line starts "
            "with '/' and its trigger word.",
            detailed_error=f"command={args.command!r}",
            params={"Trigger": word},
        )
    trigger = word[1:]
    client_id, args.trigger_id = _new_trigger_id(ctx, args.user_id)
    owner = command_owner(ctx, args)
    response = None if owner is None else _run_plugin(ctx, args, owner, trigger)
    if response is None:
        raise _not_a_plugin_command(ctx, args, trigger)
    response.trigger_id = client_id
    try:
        posted = deliver_response(ctx, args, response, _config(ctx))
    except ApiFailure as failure:
        raise ApiFailure(
            500,
            "api.command.execute_command.create_post_failed.app_error",
            f"Command '/{plugin_trigger(args.command)}' failed to post response. Please "
            "contact your System Administrator.",
            detailed_error=f"{failure.error_id}: {failure.message}",
            params={"Trigger": plugin_trigger(args.command)},
        ) from None
    return response, posted
