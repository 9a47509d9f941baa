"""Slash commands registered by plugins (RegisterCommand/UnregisterCommand), the command
listings, and ExecuteSlashCommand routed to the owning plugin's ExecuteCommand hook.

Server-owned commands (CreateCommand and friends) live in ``custom_commands.py``.
"""

from __future__ import annotations

from mmplug.host.api import _hooks
from mmplug.host.api._commands import (
    BUILT_IN_TRIGGERS,
    built_in_commands,
    check_trigger,
    custom_commands,
    duplicate_trigger,
    plugin_commands,
)
from mmplug.host.api._entities import get_channel, get_user
from mmplug.host.api._pbjson import dump, require_id, to_dict
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.api.ephemeral import send_ephemeral
from mmplug.host.api.posts import create_post
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


@emulates("RegisterCommand")
def register_command(
    ctx: ApiContext, req: rem.RegisterCommandRequest
) -> rem.RegisterCommandResponse:
    trigger = check_trigger(req.command.trigger)
    if req.command.team_id:
        require_id(req.command.team_id, "team_id")
    if trigger in BUILT_IN_TRIGGERS:
        raise duplicate_trigger(trigger, "it is a built-in command")
    kept = rem.Command(plugin_id=ctx.plugin_id)
    for name in _KEPT:
        setattr(kept, name, getattr(req.command, name))
    kept.trigger = trigger
    with ctx.store.tx() as db:
        row = db.execute(
            "SELECT plugin_id FROM plugin_commands WHERE team_id=? AND trigger=?",
            (kept.team_id, trigger),
        ).fetchone()
        if row is not None and row["plugin_id"] != ctx.plugin_id:
            raise duplicate_trigger(trigger, f"registered by plugin {row['plugin_id']}")
        db.execute(
            "INSERT INTO plugin_commands(plugin_id, team_id, trigger, data) "
            "VALUES(?,?,?,?) ON CONFLICT(team_id, trigger) DO UPDATE SET "
            "data=excluded.data",
            (ctx.plugin_id, kept.team_id, trigger, dump(kept)),
        )
    return rem.RegisterCommandResponse()


@emulates("UnregisterCommand")
def unregister_command(
    ctx: ApiContext, req: rem.UnregisterCommandRequest
) -> rem.UnregisterCommandResponse:
    with ctx.store.tx() as db:
        db.execute(
            "DELETE FROM plugin_commands WHERE plugin_id=? AND team_id=? AND trigger=?",
            (ctx.plugin_id, req.team_id, req.trigger.lower()),
        )
    return rem.UnregisterCommandResponse()


@emulates("ListBuiltInCommands")
def list_built_in(
    ctx: ApiContext, req: rem.ListBuiltInCommandsRequest
) -> rem.ListBuiltInCommandsResponse:
    return rem.ListBuiltInCommandsResponse(commands=built_in_commands())


@emulates("ListPluginCommands")
def list_plugin_commands(
    ctx: ApiContext, req: rem.ListPluginCommandsRequest
) -> rem.ListPluginCommandsResponse:
    with ctx.store.read() as db:
        found = [cmd for _, cmd in plugin_commands(db, req.team_id)]
    return rem.ListPluginCommandsResponse(commands=found)


@emulates("ListCustomCommands")
def list_custom_commands(
    ctx: ApiContext, req: rem.ListCustomCommandsRequest
) -> rem.ListCustomCommandsResponse:
    require_id(req.team_id, "team_id")
    with ctx.store.read() as db:
        return rem.ListCustomCommandsResponse(commands=custom_commands(db, req.team_id))


@emulates("ListCommands")
def list_commands(ctx: ApiContext, req: rem.ListCommandsRequest) -> rem.ListCommandsResponse:
    require_id(req.team_id, "team_id")
    with ctx.store.read() as db:
        found = built_in_commands() + [c for _, c in plugin_commands(db, req.team_id)]
        found += custom_commands(db, req.team_id)
    return rem.ListCommandsResponse(commands=found)


def _owner(ctx: ApiContext, args: rem.CommandArgs, trigger: str) -> str:
    """The plugin that registered ``trigger`` for the team (team-specific first)."""
    with ctx.store.read() as db:
        get_user(db, args.user_id)
        if args.channel_id and not args.team_id:
            args.team_id = get_channel(db, args.channel_id).team_id
        owners = sorted(
            (
                (cmd.team_id == "", pid)
                for pid, cmd in plugin_commands(db, args.team_id)
                if cmd.trigger == trigger
            )
        )
        custom = (
            [c for c in custom_commands(db, args.team_id) if c.trigger == trigger]
            if (args.team_id)
            else []
        )
    if owners:
        return owners[0][1]
    if trigger in BUILT_IN_TRIGGERS or custom:
        kind = "built-in" if trigger in BUILT_IN_TRIGGERS else "custom (outgoing webhook)"
        raise ApiFailure(
            501,
            "mmplug.fake_host.command_not_emulated",
            f"/{trigger} is a {kind} command; mmplug's fake host only runs "
            "commands registered by plugins.",
            detailed_error=f"command={args.command!r}",
        )
    raise ApiFailure(
        404,
        "api.command.execute_command.not_found.app_error",
        f"No command with the trigger /{trigger} is registered for this team. Plugins "
        "register theirs with RegisterCommand (usually in OnActivate).",
        params={"Trigger": trigger},
    )


def _new_trigger_id(ctx: ApiContext, user_id: str) -> str:
    trigger_id = ctx.new_id() + ":" + user_id
    with ctx.store.tx() as db:
        db.execute(
            "INSERT INTO trigger_ids(id, user_id, created_at) VALUES(?,?,?)",
            (trigger_id, user_id, ctx.now()),
        )
    return trigger_id


def _deliver(ctx: ApiContext, args: rem.CommandArgs, rsp: rem.CommandResponse) -> None:
    """Post the command's answer like the server: in the channel, or ephemeral (default)."""
    if not rsp.text and not rsp.attachments:
        return
    post = post_pb2.Post(
        channel_id=rsp.channel_id or args.channel_id,
        user_id=args.user_id,
        message=rsp.text,
        type=rsp.type,
        root_id=args.root_id,
    )
    if rsp.HasField("props"):
        post.props.update(to_dict(rsp.props))
    if rsp.response_type == "in_channel":
        create_post(ctx, post)
    elif post.channel_id:
        send_ephemeral(ctx, args.user_id, post)


@emulates("ExecuteSlashCommand")
def execute_slash_command(
    ctx: ApiContext, req: rem.ExecuteSlashCommandRequest
) -> rem.ExecuteSlashCommandResponse:
    args = rem.CommandArgs()
    args.CopyFrom(req.command_args)
    require_id(args.user_id, "user_id")
    words = args.command.strip().split(maxsplit=1)
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        raise ApiFailure(
            400,
            "api.command.execute_command.format.app_error",
            "A command must start with '/' followed by its trigger word.",
            detailed_error=f"command={args.command!r}",
        )
    trigger = words[0][1:].lower()
    owner = _owner(ctx, args, trigger)
    args.trigger_id = _new_trigger_id(ctx, args.user_id)
    request = hc.ExecuteCommandRequest(context=_hooks.request_context(ctx, args.user_id), args=args)
    answers = _hooks.fire(ctx, "ExecuteCommand", request, plugin_id=owner)
    if not answers:
        raise ApiFailure(
            500,
            "model.plugin_command_error.error.app_error",
            f"Unable to run /{trigger}: plugin {owner} did not answer (is it "
            "running and does it implement ExecuteCommand?).",
        )
    response = answers[0][1]
    assert isinstance(response, hc.ExecuteCommandResponse)
    if response.HasField("error") and (response.error.id or response.error.message):
        err = response.error
        raise ApiFailure(
            err.status_code or 500,
            err.id or "plugin.execute_command.app_error",
            err.message,
            detailed_error=err.detailed_error,
            where=err.where or "ExecuteCommand",
        )
    _deliver(ctx, args, response.response)
    return rem.ExecuteSlashCommandResponse(response=response.response)
