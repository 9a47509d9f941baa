"""Hand-written bot, slash command, configuration and server log methods (flattened entities,
configuration as dicts, log fields as keywords).

Each function returns a ``Call``; scripts/gen_sdk.py makes it a method of both API clients.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._convert import dict_to_struct, entity, key_value_pairs
from ._core import Call, call, handwritten, nothing
from ._entity import get_struct
from .model import Bot


def _bot(response: Any) -> Bot:
    return Bot.from_proto(response.bot)


def _bot_user_id(response: Any) -> str:
    return str(response.bot_user_id)


def _config(response: Any) -> dict[str, Any]:
    raw = response.config_json
    result: dict[str, Any] = json.loads(raw) if raw else {}
    return result


def _plugin_config(response: Any) -> dict[str, Any]:
    return get_struct(response.config)


# -- bots ------------------------------------------------------------------------------------
@handwritten("EnsureBotUser")
def ensure_bot_user(username: str, display_name: str = "", description: str = "") -> Call[str]:
    """Create the bot if needed; returns its user id."""
    bot = entity("Bot", None, username=username, display_name=display_name,
                 description=description)
    return call("EnsureBotUser", _bot_user_id, bot=bot)


@handwritten("CreateBot")
def create_bot(
    username: str = "",
    display_name: str = "",
    description: str = "",
    bot: Bot | Mapping[str, Any] | None = None,
) -> Call[Bot]:
    """Create a bot from fields or a Bot/dict."""
    built = entity("Bot", bot, username=username or None, display_name=display_name or None,
                   description=description or None)
    return call("CreateBot", _bot, bot=built)


@handwritten("GetBot")
def get_bot(bot_user_id: str, include_deleted: bool = False) -> Call[Bot]:
    """The bot with this user id."""
    return call("GetBot", _bot, bot_user_id=bot_user_id, include_deleted=include_deleted)


# -- slash commands --------------------------------------------------------------------------
@handwritten("RegisterCommand")
def register_command(
    trigger: str,
    *,
    auto_complete: bool = True,
    auto_complete_desc: str = "",
    auto_complete_hint: str = "",
    display_name: str = "",
    description: str = "",
    team_id: str = "",
) -> Call[None]:
    """Register ``/trigger``; ExecuteCommand receives it."""
    command = entity(
        "Command", None, trigger=trigger, auto_complete=auto_complete,
        auto_complete_desc=auto_complete_desc, auto_complete_hint=auto_complete_hint,
        display_name=display_name, description=description, team_id=team_id,
    )
    return call("RegisterCommand", nothing, command=command)


@handwritten("UnregisterCommand")
def unregister_command(trigger: str, team_id: str = "") -> Call[None]:
    """Unregister ``/trigger``."""
    return call("UnregisterCommand", nothing, team_id=team_id, trigger=trigger)


# -- configuration ---------------------------------------------------------------------------
@handwritten("GetConfig")
def get_config() -> Call[dict[str, Any]]:
    """The server configuration as a dict."""
    return call("GetConfig", _config)


@handwritten("GetPluginConfig")
def get_plugin_config() -> Call[dict[str, Any]]:
    """This plugin's settings (PluginSettings.Plugins[<id>])."""
    return call("GetPluginConfig", _plugin_config)


@handwritten("SavePluginConfig")
def save_plugin_config(config: Mapping[str, Any]) -> Call[None]:
    """Save this plugin's settings."""
    return call("SavePluginConfig", nothing, config=dict_to_struct(config))


# -- server log ------------------------------------------------------------------------------
@handwritten("LogDebug")
def log_debug(msg: str, **kv: Any) -> Call[None]:
    """Write to the server log at debug level, with ``kv`` as fields."""
    return call("LogDebug", nothing, msg=msg, key_value_pairs=key_value_pairs(kv))


@handwritten("LogInfo")
def log_info(msg: str, **kv: Any) -> Call[None]:
    """Write to the server log at info level, with ``kv`` as fields."""
    return call("LogInfo", nothing, msg=msg, key_value_pairs=key_value_pairs(kv))


@handwritten("LogWarn")
def log_warn(msg: str, **kv: Any) -> Call[None]:
    """Write to the server log at warn level, with ``kv`` as fields."""
    return call("LogWarn", nothing, msg=msg, key_value_pairs=key_value_pairs(kv))


@handwritten("LogError")
def log_error(msg: str, **kv: Any) -> Call[None]:
    """Write to the server log at error level, with ``kv`` as fields."""
    return call("LogError", nothing, msg=msg, key_value_pairs=key_value_pairs(kv))
