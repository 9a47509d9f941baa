"""Slash command rules: triggers, the built-in commands, lookups of registered commands."""

from __future__ import annotations

import sqlite3

from mmplug.host.api._pbjson import load
from mmplug.host.api._registry import ApiFailure
from mmplug.protocol import api_remaining_pb2 as rem

TRIGGER_MAX = 128
# The server's built-in commands: (trigger, hint, description).
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
    ("me", "[message]", "Do an action"),
    ("msg", "@[username] [message]", "Send a direct message to a user"),
    ("mute", "~[channel]", "Turn off notifications for the current channel or the one given"),
    ("offline", "", "Set your status offline"),
    ("online", "", "Set your status online"),
    ("open", "~[channel]", "Open a channel"),
    ("purpose", "[text]", "Edit the channel purpose"),
    ("remove", "@[username]", "Remove a member from the channel"),
    ("rename", "[text]", "Rename the channel"),
    ("search", "[text]", "Search text in messages"),
    ("settings", "", "Open the Settings dialog"),
    ("shortcuts", "", "Displays a list of keyboard shortcuts"),
    ("shrug", "[message]", "Adds ¯\\_(ツ)_/¯ to your message"),
    ("status", "[emoji] [text]", "Set a custom status"),
)
BUILT_IN_TRIGGERS = frozenset(t for t, _, _ in BUILT_INS)


def built_in_commands() -> list[rem.Command]:
    return [
        rem.Command(
            trigger=t,
            auto_complete=True,
            auto_complete_hint=h,
            auto_complete_desc=d,
            display_name=t,
        )
        for t, h, d in BUILT_INS
    ]


def check_trigger(trigger: str) -> str:
    """The server's trigger rules (1-128 characters, no leading '/', no spaces); lower-cased."""
    if not 1 <= len(trigger) <= TRIGGER_MAX or trigger.startswith("/") or " " in trigger:
        raise ApiFailure(
            400,
            "model.command.is_valid.trigger.app_error",
            f"Invalid trigger {trigger!r}: 1-{TRIGGER_MAX} characters, without a leading '/' "
            "and without spaces.",
            where="Command.IsValid",
        )
    return trigger.lower()


def duplicate_trigger(trigger: str, detail: str) -> ApiFailure:
    return ApiFailure(
        400,
        "api.command.duplicate_trigger.app_error",
        f"The trigger word /{trigger} is already in use. Please choose another word.",
        detailed_error=detail,
    )


def plugin_commands(db: sqlite3.Connection, team_id: str) -> list[tuple[str, rem.Command]]:
    """``(plugin_id, command)`` registered for ``team_id`` or for every team."""
    rows = db.execute(
        "SELECT plugin_id, data FROM plugin_commands WHERE team_id=? OR team_id='' "
        "ORDER BY trigger, team_id",
        (team_id,),
    ).fetchall()
    return [(r["plugin_id"], load(rem.Command, r["data"])) for r in rows]


def custom_commands(db: sqlite3.Connection, team_id: str) -> list[rem.Command]:
    rows = db.execute(
        "SELECT data FROM commands WHERE team_id=? AND "
        "coalesce(json_extract(data, '$.delete_at'), 0) = 0 ORDER BY trigger",
        (team_id,),
    ).fetchall()
    return [load(rem.Command, r["data"]) for r in rows]
