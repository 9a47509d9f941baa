"""Masking secrets in the server configuration the way the server does.

``sanitize`` is the server's ``Config.Sanitize`` (GetConfig, GetPluginConfig,
SavePluginConfig): each secret becomes :data:`FAKE_SETTING` (32 asterisks). ``desanitize`` is
the server's ``Desanitize`` (SaveConfig, SavePluginConfig): wherever a saved config still
carries :data:`FAKE_SETTING`, the stored value is put back, so a plugin that reads, edits and
saves a sanitised config does not wipe passwords. As on the server, not every masked secret
is restored (``SqlSettings.AtRestEncryptKey`` is not; replica lists only when their length is
unchanged).

Plugin settings: a plugin's setting is secret when its manifest setting has
``"secret": true`` (keys compared case-insensitively); every value of a plugin whose manifest
is not known is masked (see :func:`sanitize`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

FAKE_SETTING = "*" * 32

# (path, always): ``always`` masks whatever the value, otherwise only a non-empty one.
SECRET_SETTINGS: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("LdapSettings", "BindPassword"), False),
    (("FileSettings", "PublicLinkSalt"), True),
    (("FileSettings", "AmazonS3SecretAccessKey"), False),
    (("FileSettings", "ExportAmazonS3SecretAccessKey"), False),
    (("FileSettings", "AzureAccessKey"), False),
    (("FileSettings", "ExportAzureAccessKey"), False),
    (("EmailSettings", "SMTPPassword"), False),
    (("GitLabSettings", "Secret"), False),
    (("GoogleSettings", "Secret"), False),
    (("Office365Settings", "Secret"), False),
    (("OpenIdSettings", "Secret"), False),
    (("SqlSettings", "DataSource"), True),
    (("SqlSettings", "AtRestEncryptKey"), True),
    (("ElasticsearchSettings", "Password"), True),
    (("MessageExportSettings", "GlobalRelaySettings", "SMTPPassword"), False),
    (("ServiceSettings", "SplitKey"), True),
    (("ServiceSettings", "GoogleDeveloperKey"), False),
    (("ServiceSettings", "GiphySdkKey"), False),
    (("CacheSettings", "RedisPassword"), True),
    (("AutoTranslationSettings", "LibreTranslate", "APIKey"), False),
)
# Masked by Sanitize but never restored by Desanitize (a saved sanitised config stores the mask).
NOT_RESTORED = {("SqlSettings", "AtRestEncryptKey")}
SECRET_LISTS = (("SqlSettings", "DataSourceReplicas"), ("SqlSettings", "DataSourceSearchReplicas"))


def _parent(config: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    block: Any = config
    for name in path[:-1]:
        block = block.get(name) if isinstance(block, Mapping) else None
    return block if isinstance(block, dict) else None


def mask_plugin_settings(settings: Mapping[str, Any], secret_keys: Iterable[str]) -> dict[str, Any]:
    """The settings with each secret one (any value, key in any case) masked."""
    keys = {k.lower() for k in secret_keys}
    return {k: FAKE_SETTING if k.lower() in keys else v for k, v in settings.items()}


def sanitize(
    config: Mapping[str, Any], plugin_secrets: Mapping[str, Iterable[str]] | None = None
) -> dict[str, Any]:
    """A masked copy. ``plugin_secrets`` maps the plugin ids whose manifest is known to their
    secret setting keys; every value of any other plugin's settings is masked."""
    clean: dict[str, Any] = copy.deepcopy(dict(config))
    for path, always in SECRET_SETTINGS:
        block = _parent(clean, path)
        if block is not None and path[-1] in block and (always or block[path[-1]]):
            block[path[-1]] = FAKE_SETTING
    for path in SECRET_LISTS:
        block = _parent(clean, path)
        if block is not None and isinstance(block.get(path[-1]), list):
            block[path[-1]] = [FAKE_SETTING for _ in block[path[-1]]]
    sql = clean.get("SqlSettings")
    if isinstance(sql, dict) and isinstance(sql.get("ReplicaLagSettings"), list):
        for lag in sql["ReplicaLagSettings"]:
            if isinstance(lag, dict):
                lag["DataSource"] = FAKE_SETTING
    known = plugin_secrets or {}
    plugins = (clean.get("PluginSettings") or {}).get("Plugins") or {}
    for plugin_id, settings in plugins.items():
        if not isinstance(settings, dict):
            continue
        secret_keys = known.get(plugin_id)
        plugins[plugin_id] = (
            mask_plugin_settings(settings, secret_keys)
            if secret_keys is not None
            else dict.fromkeys(settings, FAKE_SETTING)
        )
    return clean


def desanitize(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``new`` with the masked secrets put back from ``old``, as the server's
    Desanitize does."""
    merged: dict[str, Any] = copy.deepcopy(dict(new))
    for path, _ in SECRET_SETTINGS:
        if path in NOT_RESTORED:
            continue
        block = _parent(merged, path)
        if block is not None and block.get(path[-1]) == FAKE_SETTING:
            previous = _parent(old, path)
            block[path[-1]] = previous.get(path[-1]) if previous is not None else None
    for path in SECRET_LISTS:
        block, previous = _parent(merged, path), _parent(old, path)
        values = block.get(path[-1]) if block is not None else None
        before = (previous.get(path[-1]) if previous is not None else None) or []
        if isinstance(values, list) and len(values) == len(before):
            pairs = zip(values, before, strict=True)
            block[path[-1]] = [b if v == FAKE_SETTING else v for v, b in pairs]
    old_plugins = (old.get("PluginSettings") or {}).get("Plugins") or {}
    for plugin_id, settings in ((merged.get("PluginSettings") or {}).get("Plugins") or {}).items():
        if not isinstance(settings, dict):
            continue
        stored = old_plugins.get(plugin_id) or {}
        for key, value in settings.items():
            if value == FAKE_SETTING:
                settings[key] = stored.get(key)
    return merged
