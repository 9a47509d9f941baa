"""Server and plugin configuration: GetConfig, GetUnsanitizedConfig, SaveConfig,
GetPluginConfig, SavePluginConfig, LoadPluginConfiguration, GetPluginID, GetBundlePath.

The server configuration lives in ``config`` (key ``server``) without
``PluginSettings.Plugins``; each plugin's settings map is a row of ``plugin_config``. Reading
merges them back, so there is one source of truth for a plugin's settings.

As on the server: GetConfig and GetPluginConfig answer the sanitised config (secrets are 32
asterisks, see ``_secrets``); GetPluginConfig answers only the settings saved for the plugin
(no manifest defaults: a plugin that was never configured gets ``{}``); only
LoadPluginConfiguration fills in the ``settings_schema`` defaults (with keys lower-cased).
"""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format, struct_pb2

from mmplug.host.api import _config_model as model
from mmplug.host.api._handlers import HandlerStatus, unimplemented
from mmplug.host.api._hooks import fire, plugin_ids, request_context
from mmplug.host.api._registry import ApiContext, ApiFailure, differs, emulates
from mmplug.host.api._secrets import (
    desanitize,
    mask_plugin_settings,
    sanitize,
)
from mmplug.host.hook_wire import hook_error
from mmplug.protocol import api_kv_config_pb2 as pb
from mmplug.protocol import hooks_lifecycle_pb2 as hooks

if TYPE_CHECKING:
    from mmplug.host.store import Store

_log = logging.getLogger("mmplug.host.api")

differs(
    "GetConfig",
    "The server masks only the secret settings of other installed plugins and leaves out the "
    "settings of plugins that are not installed; mmplug knows only the calling plugin's "
    "manifest, so it masks every value of other plugins' settings.",
)
differs(
    "SaveConfig",
    "The server gives every setting a save leaves out its default (Config.SetDefaults) and "
    "checks the whole configuration (Config.IsValid); mmplug gives defaults to the settings "
    "its world configuration has and to those the checks read (any other setting a save "
    "leaves out stays out), and runs the checks in the server's order except that it does not "
    "look on disk for the TLS certificate and key files or the local-mode socket's folder "
    "and does not connect to the syslog server an advanced logging target names (the server's "
    "logging library does, and refuses the configuration if it cannot). Its 500 "
    "app.save_config.app_error names the setting and the error id (and for an LDAP filter or "
    "advanced logging the library's reason) where the server's message is only its generic "
    "text.",
)
differs(
    "SaveConfig",
    "ConfigurationWillBeSaved gets the configuration as the save gave it; the server's has "
    "every setting of its model, null where the save gave none.",
)
differs(
    "SaveConfig",
    "For config JSON it cannot read, the server answers INVALID_ARGUMENT `failed to unmarshal "
    "config: ` and Go's encoding/json message; mmplug answers the same code and prefix, with "
    "Go's message for a text that ends too early, a value that is not an object and NaN or "
    "Infinity, and Python's JSON parser's message (with line and column) for other syntax "
    "errors. Go also refuses a setting of the wrong JSON type, matches names in any case and "
    "drops what the model does not have: mmplug types every setting of the model as the "
    "server's config.go does, but keeps a key of a section that is not in the model as given "
    "(a newer server may have it) and keeps the FeatureFlags section's settings untyped.",
)
differs(
    "GetBundlePath",
    "The server answers <PluginSettings.Directory>/<plugin id> (where it unpacked the bundle); "
    "mmplug answers the plugin project's directory, which holds the same plugin.json and assets.",
)


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


def _stored_server_config(db: sqlite3.Connection) -> dict[str, Any]:
    """The server configuration as stored, without the plugins' settings."""
    row = db.execute("SELECT data FROM config WHERE key='server'").fetchone()
    return json.loads(row["data"]) if row else {}


def load_server_config(db: sqlite3.Connection) -> dict[str, Any]:
    """The whole (unsanitised) server configuration, ``PluginSettings.Plugins`` included."""
    config = _stored_server_config(db)
    plugins = {
        r["plugin_id"]: json.loads(r["data"])
        for r in db.execute("SELECT plugin_id, data FROM plugin_config ORDER BY plugin_id")
    }
    config.setdefault("PluginSettings", {})["Plugins"] = plugins
    return config


def server_settings(db: sqlite3.Connection, section: str) -> dict[str, Any]:
    """One section of the server configuration (``{}`` when the world does not set it)."""
    config = load_server_config(db) if section == "PluginSettings" else _stored_server_config(db)
    value = config.get(section)
    return value if isinstance(value, dict) else {}


def server_setting(db: sqlite3.Connection, section: str, key: str, default: Any) -> Any:
    """One setting of the server configuration (``default`` when it is not set)."""
    value = server_settings(db, section).get(key)
    return default if value is None else value


def secret_keys(ctx: ApiContext) -> list[str]:
    """The calling plugin's settings marked ``"secret": true`` in its manifest."""
    if ctx.manifest is None:
        return []
    return [str(s["key"]) for s in ctx.manifest.settings if s.get("secret") and "key" in s]


def _saved_settings(ctx: ApiContext) -> dict[str, Any]:
    with ctx.store.read() as db:
        row = db.execute(
            "SELECT data FROM plugin_config WHERE plugin_id=?", (ctx.plugin_id,)
        ).fetchone()
    saved: dict[str, Any] = json.loads(row["data"]) if row is not None else {}
    return saved


def config_changed(ctx: ApiContext, after: dict[str, Any]) -> None:
    """The server's config listeners, run after a save that changed the configuration: the
    plugins environment starts and stops plugins to match ``PluginSettings`` (see
    ``plugins.sync_active_state``), then every active plugin gets OnConfigurationChange (not
    the plugins the save stopped)."""
    from mmplug.host.api.plugins import sync_active_state

    stopped = sync_active_state(ctx, after)
    request = hooks.OnConfigurationChangeRequest(context=request_context(ctx))
    order = plugin_ids(ctx)
    targets: list[str | None] = (
        [None] if order is None else [one for one in order if one not in stopped])
    for one in targets:
        try:
            fire(ctx, "OnConfigurationChange", request, plugin_id=one)
        except Exception as exc:  # the save stands; the server only logs a failing hook
            _log.warning("OnConfigurationChange failed after a config save: %s", exc)


# -- rpcs ------------------------------------------------------------------------------
def _dump(config: dict[str, Any]) -> bytes:
    return json.dumps(config, sort_keys=True).encode()


@emulates("GetConfig")
def get_config(ctx: ApiContext, req: pb.GetConfigRequest) -> pb.GetConfigResponse:
    with ctx.store.read() as db:
        config = load_server_config(db)
    return pb.GetConfigResponse(
        config_json=_dump(sanitize(config, {ctx.plugin_id: secret_keys(ctx)}))
    )


@emulates("GetUnsanitizedConfig")
def get_unsanitized_config(
    ctx: ApiContext, req: pb.GetUnsanitizedConfigRequest
) -> pb.GetUnsanitizedConfigResponse:
    with ctx.store.read() as db:
        config = load_server_config(db)
    return pb.GetUnsanitizedConfigResponse(config_json=_dump(config))


def _unmarshal_failed(reason: str) -> HandlerStatus:
    return HandlerStatus("INVALID_ARGUMENT", f"failed to unmarshal config: {reason}")


def _no_constant(name: str) -> Any:
    # Go's JSON has no NaN or Infinity; its scanner stops at their first letter
    where = "in numeric literal" if name.startswith("-") else "looking for beginning of value"
    raise _unmarshal_failed(f"invalid character {name.lstrip('-')[0]!r} {where}")


def unmarshal_config(raw: bytes) -> dict[str, Any]:
    """SaveConfig's config JSON as the server's handler reads it (``json.Unmarshal`` into a
    ``model.Config``, see ``_config_model.decode``): ``null`` is an empty configuration; keys
    match in any case; JSON it cannot read, or a setting of the wrong type, is refused with
    INVALID_ARGUMENT ``failed to unmarshal config: <why>`` before the app sees it."""
    text = raw.decode("utf-8", errors="replace")  # Go's decoder reads bad UTF-8 as U+FFFD
    try:
        document = model.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise _unmarshal_failed("unexpected end of JSON input") from None
        raise _unmarshal_failed(
            f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    try:
        return model.decode(document)
    except model.DecodeError as exc:
        raise _unmarshal_failed(str(exc)) from None


@emulates("SaveConfig")
def save_config(ctx: ApiContext, req: pb.SaveConfigRequest) -> pb.SaveConfigResponse:
    save_whole_config(ctx, unmarshal_config(req.config_json))
    return pb.SaveConfigResponse()


def save_whole_config(ctx: ApiContext, config: dict[str, Any]) -> None:
    """The server's SaveConfig: ConfigurationWillBeSaved may change or reject the config;
    masked secrets are restored; then every plugin gets OnConfigurationChange."""
    commit_config(ctx, config_plugins_allow(ctx, config))


def config_plugins_allow(ctx: ApiContext, config: dict[str, Any]) -> dict[str, Any]:
    """ConfigurationWillBeSaved over the plugins one after another, as the server's SaveConfig
    runs it: each gets the configuration the one before returned; an AppError in the answer
    stops the save with that error, and so does a call that failed or a configuration that is
    not JSON (400 ``app.save_config.plugin_hook_error``). Returns the configuration to save."""
    order = plugin_ids(ctx)
    for one in [None] if order is None else order:
        failed: list[str] = []
        answers = fire(
            ctx,
            "ConfigurationWillBeSaved",
            hooks.ConfigurationWillBeSavedRequest(
                context=request_context(ctx),
                new_config=hooks.ConfigJson(config_json=_dump(config)),
            ),
            plugin_id=one,
            failed=failed,
        )
        if failed:
            raise _hook_failed(failed[0], "failed (its handler raised or timed out; see its "
                                          "log)")
        for plugin_id, answer in answers:
            response: Any = answer
            error = hook_error(response)
            if error is not None:  # the server answers the plugin's AppError as it is
                raise error
            modified = response.modified_config.config_json
            if modified:  # the server reads it as SaveConfig's handler reads the request
                try:
                    config = unmarshal_config(modified)
                except HandlerStatus as refused:
                    raise _hook_failed(plugin_id, "returned a configuration the server cannot "
                                       "read", refused.details) from None
    return config


def _hook_failed(plugin_id: str, what: str, detail: str = "") -> ApiFailure:
    return ApiFailure(
        400,
        "app.save_config.plugin_hook_error",
        f"The configuration was not saved: plugin {plugin_id}'s ConfigurationWillBeSaved "
        f"{what}.",
        detailed_error=f"plugin_id={plugin_id}" + (f" {detail}" if detail else ""),
    )


def commit_config(ctx: ApiContext, config: dict[str, Any]) -> None:
    """What the server's config store does once ConfigurationWillBeSaved allowed ``config``
    (``Store.Set``): every setting not given gets its default, masked secrets are restored,
    ``Config.IsValid`` may refuse it (500 ``app.save_config.app_error``), the config is saved,
    and if that changed it every plugin gets OnConfigurationChange (the server's config
    listeners run only on a change)."""
    with ctx.store.tx() as db:
        before = load_server_config(db)
        config = desanitize(model.set_defaults(config, lambda: random_key(ctx.store)), before)
        model.fix(config)
        problem = model.invalid(config)
        if problem is not None:
            raise ApiFailure(
                500,
                "app.save_config.app_error",
                f"The configuration was not saved: {problem.fix} ({problem.error_id}).",
                detailed_error=f"new configuration is invalid: {problem.error_id}",
            )
        save_server_config(db, config)
    if config != before:
        config_changed(ctx, config)


def random_key(store: Store) -> str:
    """A new 32-character key of the id alphabet, as the server's NewRandomString(32)."""
    return (store.new_id() + store.new_id())[:32]


def loaded_config(config: dict[str, Any], store: Store) -> dict[str, Any]:
    """A configuration file as the server's config store reads it when it loads it: decoded
    into the model as Go's ``json.Unmarshal`` does (a section named in another case is that
    section), then ``_config_model.load``, with the store's ids for the keys it generates.
    A world's configuration was checked before (``worlds/_check.py``)."""
    return model.load(model.decoded(config), lambda: random_key(store))


@emulates("GetPluginConfig")
def get_plugin_config(
    ctx: ApiContext, req: pb.GetPluginConfigRequest
) -> pb.GetPluginConfigResponse:
    # The server reads PluginSettings.Plugins[<id>] of the sanitised config: saved values only.
    config = struct_pb2.Struct()
    json_format.ParseDict(mask_plugin_settings(_saved_settings(ctx), secret_keys(ctx)), config)
    return pb.GetPluginConfigResponse(config=config)


@emulates("SavePluginConfig")
def save_plugin_config(
    ctx: ApiContext, req: pb.SavePluginConfigRequest
) -> pb.SavePluginConfigResponse:
    """As the server: the sanitised config with this plugin's settings replaced, saved
    through the same path as SaveConfig (hooks included)."""
    with ctx.store.read() as db:
        config = sanitize(load_server_config(db), {ctx.plugin_id: secret_keys(ctx)})
    config["PluginSettings"]["Plugins"][ctx.plugin_id] = json_format.MessageToDict(req.config)
    save_whole_config(ctx, config)
    return pb.SavePluginConfigResponse()


@emulates("LoadPluginConfiguration")
def load_plugin_configuration(
    ctx: ApiContext, req: pb.LoadPluginConfigurationRequest
) -> pb.LoadPluginConfigurationResponse:
    # As the server: every schema key (null without a default), then the saved values, all
    # keys lower-cased (Go's JSON decoding into the plugin's struct ignores case).
    final: dict[str, Any] = {}
    for setting in ctx.manifest.settings if ctx.manifest else []:
        if "key" in setting:
            final[str(setting["key"]).lower()] = setting.get("default")
    for key, value in _saved_settings(ctx).items():
        final[key.lower()] = value
    return pb.LoadPluginConfigurationResponse(config_json=_dump(final))


@emulates("GetPluginID")
def get_plugin_id(ctx: ApiContext, req: pb.GetPluginIDRequest) -> pb.GetPluginIDResponse:
    """As the server: its handler does not implement GetPluginID and answers UNIMPLEMENTED."""
    raise unimplemented("GetPluginID")


@emulates("GetBundlePath")
def get_bundle_path(ctx: ApiContext, req: pb.GetBundlePathRequest) -> pb.GetBundlePathResponse:
    """The plugin's directory (where plugin.json and its assets are)."""
    if ctx.manifest is None:  # the server's handler: INTERNAL "failed to get bundle path: ..."
        raise HandlerStatus(
            "INTERNAL",
            "failed to get bundle path: the fake host was started without the plugin's "
            "manifest, so it knows no plugin folder",
        )
    return pb.GetBundlePathResponse(path=str(ctx.manifest.plugin_dir.resolve()))
