"""Server and plugin configuration: GetConfig, GetUnsanitizedConfig, SaveConfig,
GetPluginConfig, SavePluginConfig, LoadPluginConfiguration, GetPluginID.

The server configuration lives in ``config`` (key ``server``) without
``PluginSettings.Plugins``; each plugin's settings map is a row of ``plugin_config``. Reading
merges them back, so there is one source of truth for a plugin's settings. A plugin sees its
settings as the manifest's ``settings_schema`` defaults overlaid with the saved values.
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from typing import Any

from google.protobuf import json_format, struct_pb2

from mmplug.host.api._hooks import fire, request_context
from mmplug.host.api._registry import ApiContext, ApiFailure, emulates
from mmplug.protocol import api_kv_config_pb2 as pb
from mmplug.protocol import hooks_lifecycle_pb2 as hooks

FAKE_SETTING = "********"
_log = logging.getLogger("mmplug.host.api")

# Settings the server masks in GetConfig: (section, key, always) - ``always`` masks even an
# empty value; otherwise only a non-empty one is masked.
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


# -- storage ---------------------------------------------------------------------------
def save_server_config(db: sqlite3.Connection, config: dict[str, Any]) -> None:
    """Store a whole server configuration (``PluginSettings.Plugins`` split per plugin)."""
    base = copy.deepcopy(config)
    plugins = (base.get("PluginSettings") or {}).pop("Plugins", None) or {}
    db.execute(
        "INSERT INTO config(key, data) VALUES('server', ?) "
        "ON CONFLICT(key) DO UPDATE SET data=excluded.data",
        (json.dumps(base, sort_keys=True),),
    )
    db.execute("DELETE FROM plugin_config")
    for plugin_id, settings in plugins.items():
        save_plugin_settings(db, plugin_id, settings if isinstance(settings, dict) else {})


def save_plugin_settings(db: sqlite3.Connection, plugin_id: str, settings: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO plugin_config(plugin_id, data) VALUES(?, ?) "
        "ON CONFLICT(plugin_id) DO UPDATE SET data=excluded.data",
        (plugin_id, json.dumps(settings, sort_keys=True)),
    )


def load_server_config(db: sqlite3.Connection) -> dict[str, Any]:
    """The whole (unsanitised) server configuration, ``PluginSettings.Plugins`` included."""
    row = db.execute("SELECT data FROM config WHERE key='server'").fetchone()
    config: dict[str, Any] = json.loads(row["data"]) if row else {}
    plugins = {
        r["plugin_id"]: json.loads(r["data"])
        for r in db.execute("SELECT plugin_id, data FROM plugin_config ORDER BY plugin_id")
    }
    config.setdefault("PluginSettings", {})["Plugins"] = plugins
    return config


def plugin_settings(ctx: ApiContext) -> dict[str, Any]:
    """The calling plugin's settings: manifest defaults overlaid with the saved values."""
    settings: dict[str, Any] = ctx.manifest.setting_defaults() if ctx.manifest else {}
    with ctx.store.read() as db:
        row = db.execute(
            "SELECT data FROM plugin_config WHERE plugin_id=?", (ctx.plugin_id,)
        ).fetchone()
    if row is not None:
        saved = json.loads(row["data"])
        lowered = {k.lower(): k for k in settings}
        for key, value in saved.items():  # the server's config loader lower-cases keys
            settings.pop(lowered.get(key.lower(), key), None)
            settings[key] = value
    return settings


def sanitize(config: dict[str, Any], ctx: ApiContext | None = None) -> dict[str, Any]:
    """A copy with every secret replaced by ``********``, as the server's GetConfig does."""
    clean = copy.deepcopy(config)
    for section, key, always in SECRET_SETTINGS:
        block = clean.get(section)
        if isinstance(block, dict) and key in block and (always or block[key]):
            block[key] = FAKE_SETTING
    for section, key in SECRET_LISTS:
        block = clean.get(section)
        if isinstance(block, dict) and isinstance(block.get(key), list):
            block[key] = [FAKE_SETTING for _ in block[key]]
    if ctx is not None and ctx.manifest is not None:
        mine = clean.get("PluginSettings", {}).get("Plugins", {}).get(ctx.plugin_id)
        for setting in ctx.manifest.settings:
            key = str(setting.get("key", "")).lower()
            if setting.get("secret") and isinstance(mine, dict):
                for name in [n for n in mine if n.lower() == key and mine[n]]:
                    mine[name] = FAKE_SETTING
    return clean


def _notify_change(ctx: ApiContext) -> None:
    """The server runs OnConfigurationChange on every active plugin after a config save."""
    try:
        fire(
            ctx,
            "OnConfigurationChange",
            hooks.OnConfigurationChangeRequest(context=request_context(ctx)),
        )
    except Exception as exc:  # the save stands; the server only logs a failing hook
        _log.warning("OnConfigurationChange failed after a config save: %s", exc)


# -- rpcs ------------------------------------------------------------------------------
def _dump(config: dict[str, Any]) -> bytes:
    return json.dumps(config, sort_keys=True).encode()


@emulates("GetConfig")
def get_config(ctx: ApiContext, req: pb.GetConfigRequest) -> pb.GetConfigResponse:
    with ctx.store.read() as db:
        config = load_server_config(db)
    return pb.GetConfigResponse(config_json=_dump(sanitize(config, ctx)))


@emulates("GetUnsanitizedConfig")
def get_unsanitized_config(
    ctx: ApiContext, req: pb.GetUnsanitizedConfigRequest
) -> pb.GetUnsanitizedConfigResponse:
    with ctx.store.read() as db:
        config = load_server_config(db)
    return pb.GetUnsanitizedConfigResponse(config_json=_dump(config))


def _parse_config(raw: bytes) -> dict[str, Any]:
    try:
        config = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiFailure(
            400,
            "api.config.update_config.invalid_json.app_error",
            "Unable to parse the configuration JSON.",
            detailed_error=str(exc),
        ) from None
    if not isinstance(config, dict):
        raise ApiFailure(
            400,
            "api.config.update_config.invalid_json.app_error",
            "The configuration must be a JSON object.",
            detailed_error=f"got {type(config).__name__}",
        )
    return config


@emulates("SaveConfig")
def save_config(ctx: ApiContext, req: pb.SaveConfigRequest) -> pb.SaveConfigResponse:
    config = _parse_config(req.config_json)
    results = fire(
        ctx,
        "ConfigurationWillBeSaved",
        hooks.ConfigurationWillBeSavedRequest(
            context=request_context(ctx), new_config=hooks.ConfigJson(config_json=_dump(config))
        ),
    )
    for plugin_id, response in results:
        error = getattr(response, "error", None)
        if error is not None and error.id:
            raise ApiFailure(
                error.status_code or 400,
                error.id,
                error.message,
                detailed_error=f"rejected by plugin {plugin_id}: {error.detailed_error}",
            )
        modified = getattr(response, "modified_config", None)
        if modified is not None and modified.config_json:
            config = _parse_config(modified.config_json)
    with ctx.store.tx() as db:
        save_server_config(db, config)
    _notify_change(ctx)
    return pb.SaveConfigResponse()


@emulates("GetPluginConfig")
def get_plugin_config(
    ctx: ApiContext, req: pb.GetPluginConfigRequest
) -> pb.GetPluginConfigResponse:
    config = struct_pb2.Struct()
    json_format.ParseDict(plugin_settings(ctx), config)
    return pb.GetPluginConfigResponse(config=config)


@emulates("SavePluginConfig")
def save_plugin_config(
    ctx: ApiContext, req: pb.SavePluginConfigRequest
) -> pb.SavePluginConfigResponse:
    settings = json_format.MessageToDict(req.config)
    with ctx.store.tx() as db:
        save_plugin_settings(db, ctx.plugin_id, settings)
    _notify_change(ctx)
    return pb.SavePluginConfigResponse()


@emulates("LoadPluginConfiguration")
def load_plugin_configuration(
    ctx: ApiContext, req: pb.LoadPluginConfigurationRequest
) -> pb.LoadPluginConfigurationResponse:
    return pb.LoadPluginConfigurationResponse(config_json=_dump(plugin_settings(ctx)))


@emulates("GetPluginID")
def get_plugin_id(ctx: ApiContext, req: pb.GetPluginIDRequest) -> pb.GetPluginIDResponse:
    return pb.GetPluginIDResponse(plugin_id=ctx.plugin_id)


@emulates("GetBundlePath")
def get_bundle_path(ctx: ApiContext, req: pb.GetBundlePathRequest) -> pb.GetBundlePathResponse:
    """The plugin's directory (where plugin.json and its assets are)."""
    if ctx.manifest is None:
        raise ApiFailure(
            500,
            "app.plugin.get_bundle_path.app_error",
            "Unable to find the plugin's bundle path.",
            detailed_error="the fake host was started without the plugin's manifest",
        )
    return pb.GetBundlePathResponse(path=str(ctx.manifest.plugin_dir.resolve()))
