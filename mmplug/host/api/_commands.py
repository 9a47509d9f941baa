"""Slash command rules shared by the command areas: the built-in commands, the trigger word of
a command line, lookups of plugin-registered and server-owned (CreateCommand) commands, and the
plain Go errors some command methods return instead of an AppError."""

from __future__ import annotations

import sqlite3
from typing import Any

from mmplug.host.api._pbjson import load
from mmplug.host.api._registry import ApiFailure
from mmplug.host.api._status import PLAIN_ERROR_ID
from mmplug.protocol import api_remaining_pb2 as rem

# The server's built-in commands under its default configuration: (trigger, hint, description).
BUILT_INS: tuple[tuple[str, str, str], ...] = (
    ("away", "", "Set your status away"),
    ("code", "[text]", "Display text as a code block"),
    ("collapse", "", "Turn on auto-collapsing of image previews"),
    ("dnd", "", "Do not disturb disables desktop and mobile push notifications"),
    ("echo", "'message' [delay in seconds]", "Echo back text from your account"),
    ("expand", "", "Turn off auto-collapsing of image previews"),
    ("groupmsg", "@[usernames] [message]", "Sends a group message to the specified users"),
    ("header", "[text]", "Edit the channel header"),
    ("help", "", "Open the help page"),
    ("invite", "@[username] ~[channel]", "Invite a user to a channel"),
    ("invite_people", "[name@domain.com ...]", "Send an email invite to your team"),
    ("join", "~[channel]", "Join the open channel"),
    ("kick", "@[username]", "Remove a member from the channel"),
    ("leave", "", "Leave the current channel"),
    ("logout", "", "Log out of Mattermost"),
    ("marketplace", "", "Open the Marketplace"),
    ("me", "[message]", "Do an action"),
    ("mobile-logs", "[on|off|status] [@username]", "Attach mobile app logs to support requests"),
    ("msg", "@[username] [message]", "Send a direct message to a user"),
    ("mute", "~[channel]", "Turn off notifications for the current channel or the one given"),
    ("offline", "", "Set your status offline"),
    ("online", "", "Set your status online"),
    ("open", "~[channel]", "Open a channel"),
    ("purpose", "[text]", "Edit the channel purpose"),
    ("remove", "@[username]", "Remove a member from the channel"),
    ("rename", "[text]", "Rename the channel"),
    ("search", "[text]", "Search text in messages"),
    ("secure-connection", "[action]", "Manage secure connections"),
    ("settings", "", "Open the Settings dialog"),
    ("share-channel", "[action]", "Share the current channel"),
    ("shortcuts", "", "Displays a list of keyboard shortcuts"),
    ("shrug", "[message]", "Adds ¯\\_(ツ)_/¯ to your message"),
    ("status", "[emoji] [text]", "Set a custom status"),
)
BUILT_IN_TRIGGERS = frozenset(t for t, _, _ in BUILT_INS)
# The server cuts an over-long trigger to this many characters (and "...") in its not-found
# error.
TRIGGER_ECHO_MAX = 512

def plain_error(text: str, where: str) -> ApiFailure:
    """A plain Go error (not an AppError): where the server answers a gRPC status it is
    INTERNAL ``internal error: <text>`` with no id (mmplug.host.api._status); where it fills
    the response's error field, mmplug gives it the id PLAIN_ERROR_ID and status 500."""
    return ApiFailure(
        500,
        PLAIN_ERROR_ID,
        f"internal error: {text}",
        detailed_error="the server returns a plain Go error here, not an AppError: a plugin "
        "sees an INTERNAL error without an id",
        where=where,
    )


def _setting(config: dict[str, Any], section: str, key: str, default: Any) -> Any:
    value = (config.get(section) or {}).get(key)
    return default if value is None else value


def built_in_commands(config: dict[str, Any]) -> list[rem.Command]:
    """The built-ins ListBuiltInCommands shows: those with auto-complete, sanitized (no token,
    creator, method, URL, username or icon)."""
    marketplace = bool(_setting(config, "PluginSettings", "Enable", True)) and bool(
        _setting(config, "PluginSettings", "EnableMarketplace", True)
    )
    return [
        rem.Command(
            trigger=t,
            auto_complete=True,
            auto_complete_hint=h,
            auto_complete_desc=d,
            display_name=t,
        )
        for t, h, d in BUILT_INS
        if t != "marketplace" or marketplace
    ]


def command_trigger(command: str) -> tuple[str, str]:
    """``(trigger, message)`` as the server's ExecuteCommand splits a command line: at the
    first whitespace character (nothing is stripped), the trigger lower-cased, '/' kept."""
    for i, ch in enumerate(command):
        if ch.isspace():
            return command[:i].lower(), command[i + 1 :]
    return command.lower(), ""


def plugin_trigger(command: str) -> str:
    """The trigger the server matches plugin commands with: the text before the first space
    (only ' '), without its first character, lower-cased."""
    return command.split(" ", 1)[0][1:].lower()


def plugin_commands(db: sqlite3.Connection, team_id: str) -> list[tuple[str, rem.Command]]:
    """``(plugin_id, command)`` registered for ``team_id`` or for every team, in registration
    order (several plugins may hold the same trigger)."""
    rows = db.execute(
        "SELECT plugin_id, data FROM plugin_slash_commands WHERE team_id=? OR team_id='' "
        "ORDER BY rowid",
        (team_id,),
    ).fetchall()
    return [(r["plugin_id"], load(rem.Command, r["data"])) for r in rows]


def custom_commands(db: sqlite3.Connection, team_id: str) -> list[rem.Command]:
    """The team's server-owned commands that are not deleted (the store's GetByTeam)."""
    rows = db.execute(
        "SELECT data FROM commands WHERE team_id=? AND "
        "CAST(coalesce(json_extract(data, '$.delete_at'), 0) AS INTEGER) = 0 ORDER BY rowid",
        (team_id,),
    ).fetchall()
    return [load(rem.Command, r["data"]) for r in rows]


def duplicate_trigger(trigger: str, detail: str) -> ApiFailure:
    return ApiFailure(
        400,
        "api.command.duplicate_trigger.app_error",
        f"The trigger word /{trigger} is already in use. Please choose another word.",
        detailed_error=detail,
    )
