"""Bots, slash commands, configuration, server logging and version."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._api_base import APIBase
from ._convert import dict_to_struct, entity, key_value_pairs, struct_to_dict

if TYPE_CHECKING:
    from mmplug.protocol.api_file_bot_pb2 import Bot


class MiscMixin(APIBase):
    # -- bots ------------------------------------------------------------------------------
    def ensure_bot_user(self, username: str, display_name: str = "", description: str = "") -> str:
        """Create the bot if needed; returns its user id."""
        bot = entity("Bot", None, username=username, display_name=display_name,
                     description=description)
        user_id: str = self._call("EnsureBotUser", bot=bot).bot_user_id
        return user_id

    def create_bot(
        self, username: str = "", display_name: str = "", description: str = "",
        bot: Bot | Mapping[str, Any] | None = None,
    ) -> Bot:
        built = entity("Bot", bot, username=username or None, display_name=display_name or None,
                       description=description or None)
        created: Bot = self._call("CreateBot", bot=built).bot
        return created

    def get_bot(self, bot_user_id: str, include_deleted: bool = False) -> Bot:
        bot: Bot = self._call("GetBot", bot_user_id=bot_user_id,
                              include_deleted=include_deleted).bot
        return bot

    # -- slash commands --------------------------------------------------------------------
    def register_command(
        self,
        trigger: str,
        *,
        auto_complete: bool = True,
        auto_complete_desc: str = "",
        auto_complete_hint: str = "",
        display_name: str = "",
        description: str = "",
        team_id: str = "",
    ) -> None:
        command = entity(
            "Command", None, trigger=trigger, auto_complete=auto_complete,
            auto_complete_desc=auto_complete_desc, auto_complete_hint=auto_complete_hint,
            display_name=display_name, description=description, team_id=team_id,
        )
        self._call("RegisterCommand", command=command)

    def unregister_command(self, trigger: str, team_id: str = "") -> None:
        self._call("UnregisterCommand", team_id=team_id, trigger=trigger)

    # -- configuration ---------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The server configuration as a dict."""
        raw: bytes = self._call("GetConfig").config_json
        result: dict[str, Any] = json.loads(raw) if raw else {}
        return result

    def get_plugin_config(self) -> dict[str, Any]:
        """This plugin's settings (PluginSettings.Plugins[<id>])."""
        return struct_to_dict(self._call("GetPluginConfig").config)

    def save_plugin_config(self, config: Mapping[str, Any]) -> None:
        self._call("SavePluginConfig", config=dict_to_struct(config))

    # -- server log ------------------------------------------------------------------------
    def log_debug(self, msg: str, **kv: Any) -> None:
        self._call("LogDebug", msg=msg, key_value_pairs=key_value_pairs(kv))

    def log_info(self, msg: str, **kv: Any) -> None:
        self._call("LogInfo", msg=msg, key_value_pairs=key_value_pairs(kv))

    def log_warn(self, msg: str, **kv: Any) -> None:
        self._call("LogWarn", msg=msg, key_value_pairs=key_value_pairs(kv))

    def log_error(self, msg: str, **kv: Any) -> None:
        self._call("LogError", msg=msg, key_value_pairs=key_value_pairs(kv))

    # -- server ----------------------------------------------------------------------------
    def get_server_version(self) -> str:
        version: str = self._call("GetServerVersion").version
        return version
