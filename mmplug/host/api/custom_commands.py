"""Server-owned slash commands (CreateCommand/GetCommand/UpdateCommand/DeleteCommand).

The server stores these with CreatorId "" and the plugin's id; they call out to their URL
when used (not through ExecuteCommand), so the fake host stores them but does not run them.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import urlparse

from mmplug.host.api._commands import BUILT_IN_TRIGGERS, check_trigger, duplicate_trigger
from mmplug.host.api._entities import get_team
from mmplug.host.api._pbjson import dump, load, require_id
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_remaining_pb2 as rem

_LIMITS = (
    ("display_name", 64),
    ("description", 128),
    ("auto_complete_desc", 1024),
    ("auto_complete_hint", 1024),
    ("username", 64),
    ("icon_url", 1024),
)


def _invalid(field: str, message: str) -> ApiFailure:
    return ApiFailure(
        400, f"model.command.is_valid.{field}.app_error", message, where="Command.IsValid"
    )


def validate_command(cmd: rem.Command) -> None:
    require_id(cmd.team_id, "team_id")
    cmd.trigger = check_trigger(cmd.trigger)
    url = urlparse(cmd.url)
    if not cmd.url or len(cmd.url) > 1024 or url.scheme not in ("http", "https") or not url.netloc:
        raise _invalid("url", f"Invalid URL {cmd.url!r}: an absolute http(s) URL is required.")
    if cmd.method not in ("P", "G"):
        raise _invalid("method", f"Invalid method {cmd.method!r}: use 'P' (POST) or 'G' (GET).")
    for field, limit in _LIMITS:
        if len(getattr(cmd, field)) > limit:
            raise _invalid(field, f"Invalid {field}: at most {limit} characters.")


def _check_free(db: sqlite3.Connection, cmd: rem.Command) -> None:
    if cmd.trigger in BUILT_IN_TRIGGERS:
        raise duplicate_trigger(cmd.trigger, "it is a built-in command")
    taken = db.execute(
        "SELECT 1 FROM commands WHERE team_id=? AND trigger=? AND id<>? AND "
        "coalesce(json_extract(data, '$.delete_at'), 0)=0",
        (cmd.team_id, cmd.trigger, cmd.id),
    ).fetchone()
    plugin = db.execute(
        "SELECT 1 FROM plugin_commands WHERE (team_id=? OR team_id='') AND trigger=?",
        (cmd.team_id, cmd.trigger),
    ).fetchone()
    if taken or plugin:
        raise duplicate_trigger(cmd.trigger, f"team_id={cmd.team_id}")


def _save(db: sqlite3.Connection, cmd: rem.Command) -> None:
    # A deleted command frees its trigger: its row keeps the data under a tombstone trigger.
    trigger = cmd.trigger if not cmd.delete_at else f"{cmd.trigger}#deleted:{cmd.id}"
    db.execute(
        "INSERT INTO commands(id, plugin_id, team_id, trigger, data) VALUES(?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET team_id=excluded.team_id, "
        "trigger=excluded.trigger, data=excluded.data",
        (cmd.id, cmd.plugin_id, cmd.team_id, trigger, dump(cmd)),
    )


def _get(db: sqlite3.Connection, command_id: str) -> rem.Command:
    row = db.execute("SELECT data FROM commands WHERE id=?", (command_id,)).fetchone()
    cmd = None if row is None else load(rem.Command, row["data"])
    if cmd is None or cmd.delete_at:
        raise ApiFailure(
            404,
            "app.command.getcommand.app_error",
            "Unable to get the command.",
            detailed_error=f"command_id={command_id}",
        )
    return cmd


@emulates("CreateCommand")
def create_command(ctx: ApiContext, req: rem.CreateCommandRequest) -> rem.CreateCommandResponse:
    cmd = rem.Command()
    cmd.CopyFrom(req.cmd)
    if cmd.id:
        raise ApiFailure(
            400,
            "api.command.create_command.id.app_error",
            "A new command must not have an id.",
            detailed_error=f"id={cmd.id}",
        )
    cmd.creator_id, cmd.plugin_id = "", ctx.plugin_id
    validate_command(cmd)
    with ctx.store.tx() as db:
        get_team(db, cmd.team_id)
        _check_free(db, cmd)
        cmd.id, cmd.token = ctx.new_id(), ctx.new_id()
        cmd.create_at = cmd.update_at = ctx.now()
        cmd.delete_at = 0
        _save(db, cmd)
    return rem.CreateCommandResponse(command=cmd)


@emulates("GetCommand")
def get_command(ctx: ApiContext, req: rem.GetCommandRequest) -> rem.GetCommandResponse:
    require_id(req.command_id, "command_id")
    with ctx.store.read() as db:
        return rem.GetCommandResponse(command=_get(db, req.command_id))


@emulates("UpdateCommand")
def update_command(ctx: ApiContext, req: rem.UpdateCommandRequest) -> rem.UpdateCommandResponse:
    require_id(req.command_id, "command_id")
    with ctx.store.tx() as db:
        old = _get(db, req.command_id)
        new = rem.Command()
        new.CopyFrom(req.updated_cmd)
        new.id, new.token, new.create_at = old.id, old.token, old.create_at
        new.creator_id, new.plugin_id = old.creator_id, old.plugin_id
        new.team_id = new.team_id or old.team_id
        if new.team_id != old.team_id:
            raise ApiFailure(
                400,
                "api.command.team_mismatch.app_error",
                "A command cannot be moved to another team.",
            )
        validate_command(new)
        _check_free(db, new)
        new.update_at = ctx.now()
        _save(db, new)
    return rem.UpdateCommandResponse(command=new)


@emulates("DeleteCommand")
def delete_command(ctx: ApiContext, req: rem.DeleteCommandRequest) -> rem.DeleteCommandResponse:
    require_id(req.command_id, "command_id")
    with ctx.store.tx() as db:
        cmd = _get(db, req.command_id)
        cmd.delete_at = cmd.update_at = ctx.now()
        _save(db, cmd)
    return rem.DeleteCommandResponse()
