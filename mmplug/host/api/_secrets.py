"""Masking secrets in the server configuration the way the server does.

``sanitize`` replaces secrets by ``********`` (GetConfig, GetPluginConfig); ``desanitize``
puts the stored secret back wherever a saved config still carries ``********`` (SaveConfig,
SavePluginConfig), so a plugin that reads, edits and saves a sanitised config does not wipe
passwords. Plugin settings are secret when their manifest setting has ``"secret": true``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

FAKE_SETTING = "********"

# (section, key, always): ``always`` masks even an empty value, otherwise only a non-empty one.
SECRET_SETTINGS: tuple[tuple[str, str, bool], ...] = (
    ("SqlSettings", "DataSource", True),
    ("SqlSettings", "AtRestEncryptKey", True),
    ("FileSettings", "PublicLinkSalt", True),
    ("FileSettings", "AmazonS3SecretAccessKey", False),
    ("FileSettings", "ExportAmazonS3SecretAccessKey", False),
    ("EmailSettings", "SMTPPassword", False),
    ("GitLabSettings", "Secret", False),
    ("GoogleSettings", "Secret", False),
    ("Office365Settings", "Secret", False),
    ("OpenIdSettings", "Secret", False),
    ("LdapSettings", "BindPassword", False),
    ("ElasticsearchSettings", "Password", False),
    ("ServiceSettings", "GiphySdkKey", False),
    ("ServiceSettings", "SplitKey", False),
)
SECRET_LISTS = (("SqlSettings", "DataSourceReplicas"), ("SqlSettings", "DataSourceSearchReplicas"))


def mask_plugin_settings(settings: dict[str, Any], secret_keys: Iterable[str]) -> dict[str, Any]:
    keys = {k.lower() for k in secret_keys}
    return {k: FAKE_SETTING if k.lower() in keys and v else v for k, v in settings.items()}


def unmask_plugin_settings(
    new: dict[str, Any], old: dict[str, Any], secret_keys: Iterable[str]
) -> dict[str, Any]:
    keys = {k.lower() for k in secret_keys}
    old_by_key = {k.lower(): v for k, v in old.items()}
    return {
        k: old_by_key.get(k.lower(), "") if k.lower() in keys and v == FAKE_SETTING else v
        for k, v in new.items()
    }


def sanitize(
    config: dict[str, Any], plugin_secrets: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """A masked copy; ``plugin_secrets`` maps plugin ids to their secret setting keys."""
    clean = copy.deepcopy(config)
    for section, key, always in SECRET_SETTINGS:
        block = clean.get(section)
        if isinstance(block, dict) and key in block and (always or block[key]):
            block[key] = FAKE_SETTING
    for section, key in SECRET_LISTS:
        block = clean.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), list):
            block[key] = [FAKE_SETTING for _ in block[key]]
    plugins = (clean.get("PluginSettings") or {}).get("Plugins") or {}
    for plugin_id, keys in (plugin_secrets or {}).items():
        if isinstance(plugins.get(plugin_id), dict):
            plugins[plugin_id] = mask_plugin_settings(plugins[plugin_id], keys)
    return clean


def desanitize(
    new: dict[str, Any], old: dict[str, Any], plugin_secrets: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """A copy of ``new`` with every ``********`` secret replaced by the value in ``old``."""
    merged = copy.deepcopy(new)
    for section, key, _ in SECRET_SETTINGS:
        block = merged.get(section)
        if isinstance(block, dict) and block.get(key) == FAKE_SETTING:
            block[key] = (old.get(section) or {}).get(key, "")
    for section, key in SECRET_LISTS:
        block = merged.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), list):
            previous = (old.get(section) or {}).get(key) or []
            block[key] = [
                previous[i] if v == FAKE_SETTING and i < len(previous) else v
                for i, v in enumerate(block[key])
            ]
    new_plugins = (merged.get("PluginSettings") or {}).get("Plugins") or {}
    old_plugins = (old.get("PluginSettings") or {}).get("Plugins") or {}
    for plugin_id, keys in (plugin_secrets or {}).items():
        if isinstance(new_plugins.get(plugin_id), dict):
            new_plugins[plugin_id] = unmask_plugin_settings(
                new_plugins[plugin_id], old_plugins.get(plugin_id) or {}, keys
            )
    return merged
