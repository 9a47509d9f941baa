"""Server-owned slash commands (CreateCommand/GetCommand/UpdateCommand/DeleteCommand).

The server stores these with CreatorId "" and the calling plugin's id; they call out to their
URL when used (not through ExecuteCommand), so the fake host stores them but does not run them.

The plugin API reaches the command store directly for Get, Update and Delete, so those answer
with plain Go errors (no AppError id) for a missing command, Update does not check that the
trigger is free, and Delete of an unknown id succeeds.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlsplit

from mmplug.host.api._commands import (
    BUILT_IN_TRIGGERS,
    custom_commands,
    duplicate_trigger,
    plain_error,
)
from mmplug.host.api._pbjson import dump, load
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.host.ids import is_valid_id
from mmplug.protocol import api_remaining_pb2 as rem

TRIGGER_MIN, TRIGGER_MAX, URL_MAX, DISPLAY_NAME_MAX, DESCRIPTION_MAX = 1, 128, 1024, 64, 128
_PLUGIN_ID = re.compile(r"^[a-zA-Z0-9._-]{3,190}\Z")


def _invalid(field: str, message: str) -> ApiFailure:
    return ApiFailure(
        400, f"model.command.is_valid.{field}.app_error", message, where="Command.IsValid"
    )


def _is_http_url(url: str) -> bool:
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        return False
    try:
        return bool(urlsplit(url).netloc)
    except ValueError:
        return False


def validate_command(cmd: rem.Command) -> None:
    """The server's Command.IsValid, in its order (lengths in bytes, as Go counts them)."""
    if not is_valid_id(cmd.id):
        raise _invalid("id", "Invalid Id.")
    if len(cmd.token) != 26:
        raise _invalid("token", "Invalid token: 26 characters.")
    if not cmd.create_at:
        raise _invalid("create_at", "Create at must be a valid time.")
    if not cmd.update_at:
        raise _invalid("update_at", "Update at must be a valid time.")
    if not cmd.creator_id and not _PLUGIN_ID.match(cmd.plugin_id):
        raise _invalid("plugin_id", "Invalid plugin id.")
    if not cmd.plugin_id and not is_valid_id(cmd.creator_id):
        raise _invalid("user_id", "Invalid user id.")
    if cmd.creator_id and cmd.plugin_id:
        raise _invalid("plugin_id", "A command cannot have both a creator_id and a plugin_id.")
    if not is_valid_id(cmd.team_id):
        raise _invalid("team_id", f"Invalid team id {cmd.team_id!r}: a 26-character id.")
    size = len(cmd.trigger.encode())
    if not TRIGGER_MIN <= size <= TRIGGER_MAX or cmd.trigger.startswith("/") or (
        " " in cmd.trigger
    ):
        raise _invalid(
            "trigger",
            f"Invalid trigger {cmd.trigger!r}: {TRIGGER_MIN}-{TRIGGER_MAX} characters, "
            "without a leading '/' and without spaces.",
        )
    if not cmd.url or len(cmd.url.encode()) > URL_MAX:
        raise _invalid("url", f"Invalid URL: 1-{URL_MAX} characters are required.")
    if not _is_http_url(cmd.url):
        raise _invalid("url_http", f"Invalid URL {cmd.url!r}: an absolute http(s) URL.")
    if cmd.method not in ("P", "G"):
        raise _invalid("method", f"Invalid method {cmd.method!r}: use 'P' (POST) or 'G' (GET).")
    if len(cmd.display_name.encode()) > DISPLAY_NAME_MAX:
        raise _invalid("display_name", f"Invalid display name: at most {DISPLAY_NAME_MAX}.")
    if len(cmd.description.encode()) > DESCRIPTION_MAX:
        raise _invalid("description", f"Invalid description: at most {DESCRIPTION_MAX}.")


def _check_free(db: sqlite3.Connection, team_id: str, trigger: str) -> None:
    """A new command's trigger may not be a built-in's or another custom command's of the team
    (plugin-registered commands are not looked at)."""
    if trigger in BUILT_IN_TRIGGERS:
        raise duplicate_trigger(trigger, "it is a built-in command")
    if any(c.trigger.lower() == trigger for c in custom_commands(db, team_id)):
        raise duplicate_trigger(trigger, f"a command of team {team_id} has it")


def _save(db: sqlite3.Connection, cmd: rem.Command) -> None:
    # The trigger column holds the id: the server has no unique (team, trigger) constraint
    # (UpdateCommand can give two commands one trigger); lookups read the trigger from data.
    db.execute(
        "INSERT INTO commands(id, plugin_id, team_id, trigger, data) VALUES(?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET plugin_id=excluded.plugin_id, "
        "team_id=excluded.team_id, trigger=excluded.trigger, data=excluded.data",
        (cmd.id, cmd.plugin_id, cmd.team_id, cmd.id, dump(cmd)),
    )


def _get(db: sqlite3.Connection, command_id: str, where: str) -> rem.Command:
    row = db.execute("SELECT data FROM commands WHERE id=?", (command_id,)).fetchone()
    cmd = None if row is None else load(rem.Command, row["data"])
    if cmd is None or cmd.delete_at:
        raise plain_error(f"resource \"Command\" not found, id: {command_id}", where)
    return cmd


@emulates("CreateCommand")
def create_command(ctx: ApiContext, req: rem.CreateCommandRequest) -> rem.CreateCommandResponse:
    cmd = rem.Command()
    cmd.CopyFrom(req.cmd)
    cmd.creator_id, cmd.plugin_id = "", ctx.plugin_id
    cmd.trigger = cmd.trigger.lower()
    with ctx.store.tx() as db:
        _check_free(db, cmd.team_id, cmd.trigger)
        if cmd.id:
            raise plain_error(
                f"invalid input: entity: Command field: CommandId value: {cmd.id}",
                "CreateCommand",
            )
        cmd.id = ctx.new_id()
        cmd.token = cmd.token or ctx.new_id()
        cmd.create_at = cmd.update_at = ctx.now()
        validate_command(cmd)
        _save(db, cmd)
    return rem.CreateCommandResponse(command=cmd)


@emulates("GetCommand")
def get_command(ctx: ApiContext, req: rem.GetCommandRequest) -> rem.GetCommandResponse:
    with ctx.store.read() as db:
        return rem.GetCommandResponse(command=_get(db, req.command_id, "GetCommand"))


@emulates("UpdateCommand")
def update_command(ctx: ApiContext, req: rem.UpdateCommandRequest) -> rem.UpdateCommandResponse:
    """The plugin API's UpdateCommand: the calling plugin becomes the owner, the team may
    change (empty keeps it), creator_id is taken as sent, the trigger is not checked for
    duplicates; the store validates the result."""
    with ctx.store.tx() as db:
        old = _get(db, req.command_id, "UpdateCommand")
        new = rem.Command()
        new.CopyFrom(req.updated_cmd)
        new.trigger = new.trigger.lower()
        new.id, new.token, new.create_at = old.id, old.token, old.create_at
        new.delete_at, new.plugin_id = old.delete_at, ctx.plugin_id
        new.team_id = new.team_id or old.team_id
        new.update_at = ctx.now()
        validate_command(new)
        _save(db, new)
    return rem.UpdateCommandResponse(command=new)


@emulates("DeleteCommand")
def delete_command(ctx: ApiContext, req: rem.DeleteCommandRequest) -> rem.DeleteCommandResponse:
    """Marks the command deleted; an unknown or already deleted id is not an error."""
    with ctx.store.tx() as db:
        row = db.execute("SELECT data FROM commands WHERE id=?", (req.command_id,)).fetchone()
        if row is not None:
            cmd = load(rem.Command, row["data"])
            cmd.delete_at = cmd.update_at = ctx.now()
            _save(db, cmd)
    return rem.DeleteCommandResponse()
