"""Managing plugins, and the server's cloud and licence answers: GetPlugins, GetPluginStatus,
EnablePlugin, DisablePlugin, RemovePlugin, InstallPlugin, GetCloudLimits, RequestTrialLicense.

The plugin rpcs act on the session's plugins, as the server's act on its plugins environment
(``server/channels/app/plugin.go``, ``plugin_install.go``, ``plugin_statuses.go``):

* GetPlugins lists the manifests of the active plugins, then the inactive ones;
* GetPluginStatus reports a plugin's state (``model.PluginState*``), 404
  ``app.plugin.not_installed.app_error`` for an unknown id;
* EnablePlugin / DisablePlugin lower-case the id, refuse an unknown one with 404
  ``app.plugin.not_installed.app_error`` and record ``PluginSettings.PluginStates[id]`` in the
  configuration; when that changed it, the config listeners run as after any save
  (``config.config_changed``): the plugins are started or stopped to match the configuration
  (:func:`sync_active_state`; a disabled plugin's slash commands are forgotten), then the
  active plugins get OnConfigurationChange;
* RemovePlugin disables the plugin, then forgets it;
* InstallPlugin needs ``PluginSettings.Enable`` and ``EnableUploads`` (else 501
  ``app.plugin.upload_disabled.app_error``), unpacks the bundle (400 ``app.plugin.extract``,
  ``app.plugin.manifest``, ``app.plugin.invalid_id`` for a bad one), refuses an installed id
  unless ``replace`` (400 ``app.plugin.install_id.app_error``), and activates the plugin only
  if the configuration has it enabled.

GetCloudLimits answers as a server that is not a cloud workspace: empty limits.
RequestTrialLicense checks its arguments as the server does; where the server would then ask
Mattermost's customer portal, the fake host installs a trial licence itself.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmplug.host.api._registry import (
    ApiContext,
    ApiFailure,
    PluginControl,
    PluginInfo,
    differs,
    emulates,
)
from mmplug.protocol import api_kv_config_pb2 as pb
from mmplug.protocol import api_remaining_pb2 as rem

if TYPE_CHECKING:
    import tarfile

    from mmplug.host.store import Store

differs("InstallPlugin", "the server keeps an installed bundle in its file store for every "
        "cluster node; the fake host unpacks it into .mmplug/plugins/ (or a temporary folder "
        "for an in-memory state) and runs it from there. A bundle the fake host could not run "
        "(its Python executable missing or outside the bundle) is refused with a 400 "
        "app.plugin.manifest.app_error naming the problem, where the server installs it and "
        "then fails to activate it")
differs("RemovePlugin", "a plugin the session runs from its project folder is stopped and "
        "forgotten for the session, and its files are kept; the server deletes them")
differs("RequestTrialLicense", "the server asks Mattermost's customer portal for the licence; "
        "the fake host installs a 30-day enterprise trial licence itself, without network")

_NOT_INSTALLED = "app.plugin.not_installed.app_error"
_STARTING, _RUNNING = 1, 2  # model.PluginStateStarting, PluginStateRunning
_TRIAL_DAYS = 30


def _control(ctx: ApiContext, where: str) -> PluginControl:
    if ctx.plugins is None or not _setting(ctx, "Enable", True):
        raise ApiFailure(501, "app.plugin.disabled.app_error", "Plugins have been disabled.",
                         where=where)
    return ctx.plugins


def _setting(ctx: ApiContext, name: str, default: bool) -> bool:
    from mmplug.host.api.config import load_server_config

    with ctx.store.read() as db:
        settings = load_server_config(db).get("PluginSettings") or {}
    value = settings.get(name, default)
    return bool(value) if value is not None else default


def _find(control: PluginControl, plugin_id: str, where: str) -> PluginInfo:
    for info in control.plugin_infos():
        if info.id == plugin_id:
            return info
    raise ApiFailure(404, _NOT_INSTALLED, "Unable to find the plugin.", where=where)


def _manifest_message(raw: dict[str, Any]) -> pb.Manifest:
    fields = ("id", "name", "description", "homepage_url", "support_url", "release_notes_url",
              "icon_path", "version", "min_server_version")
    return pb.Manifest(**{f: str(raw.get(f) or "") for f in fields})


def save_plugin_states(
    store: Store, states: dict[str, bool]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Record ``PluginSettings.PluginStates[id] = {"Enable": enabled}`` for each plugin in the
    configuration; returns the configuration before and after (equal: nothing changed)."""
    from mmplug.host.api.config import load_server_config, save_server_config

    with store.tx() as db:
        before = load_server_config(db)
        after = copy.deepcopy(before)
        recorded = after.setdefault("PluginSettings", {}).setdefault("PluginStates", {})
        for plugin_id, enabled in states.items():
            recorded[plugin_id] = {"Enable": enabled}
        if after != before:
            save_server_config(db, after)
    return before, after


def record_running(store: Store, plugin_ids: list[str]) -> dict[str, list[str]]:
    """Record in the configuration what a server needs to run these plugins:
    ``PluginSettings.Enable`` and ``PluginStates[id].Enable`` true. Returns, for each plugin,
    the settings that were false (a server with that configuration would not run it)."""
    from mmplug.host.api.config import load_server_config, save_server_config

    with store.tx() as db:
        before = load_server_config(db)
        after = copy.deepcopy(before)
        settings = after.setdefault("PluginSettings", {})
        were_off = ["PluginSettings.Enable"] if settings.get("Enable") is False else []
        if were_off:
            settings["Enable"] = True
        states = settings.setdefault("PluginStates", {})
        off: dict[str, list[str]] = {}
        for plugin_id in plugin_ids:
            state = states.get(plugin_id)
            own = ([f"PluginSettings.PluginStates.{plugin_id}.Enable"]
                   if isinstance(state, dict) and state.get("Enable") is False else [])
            if were_off or own:
                off[plugin_id] = were_off + own
            states[plugin_id] = {"Enable": True}
        if after != before:
            save_server_config(db, after)
    return off


def sync_active_state(ctx: ApiContext, config: dict[str, Any]) -> set[str]:
    """The server's plugins environment after a configuration change: with
    ``PluginSettings.Enable`` on, every plugin the host knows is activated if
    ``PluginStates[id].Enable`` (again, if it had failed) and deactivated otherwise (a plugin
    without a state is disabled); with it off, every plugin is shut down. A plugin stopping
    itself is stopped once its API call has returned. Returns the plugins it stops."""
    control = ctx.plugins
    if control is None:
        return set()
    settings = config.get("PluginSettings") or {}
    plugins_on = settings.get("Enable") is not False
    states = settings.get("PluginStates") or {}
    stopped: set[str] = set()
    for info in control.plugin_infos():
        state = states.get(info.id)
        wanted = plugins_on and isinstance(state, dict) and state.get("Enable") is True
        if wanted and info.state != _RUNNING:
            control.set_enabled(info.id, True, caller=ctx.plugin_id)
        elif not wanted and info.state in (_STARTING, _RUNNING):
            control.set_enabled(info.id, False, caller=ctx.plugin_id)
            stopped.add(info.id)
    return stopped


@emulates("GetPlugins")
def get_plugins(ctx: ApiContext, req: pb.GetPluginsRequest) -> pb.GetPluginsResponse:
    infos = _control(ctx, "GetPlugins").plugin_infos()
    ordered = [i for i in infos if i.state == _RUNNING] + [
        i for i in infos if i.state != _RUNNING]
    return pb.GetPluginsResponse(manifests=[_manifest_message(i.manifest) for i in ordered])


@emulates("GetPluginStatus")
def get_plugin_status(
    ctx: ApiContext, req: pb.GetPluginStatusRequest
) -> pb.GetPluginStatusResponse:
    info = _find(_control(ctx, "GetPluginStatus"), req.id, "GetPluginStatus")
    raw = info.manifest
    return pb.GetPluginStatusResponse(status=pb.PluginStatus(
        plugin_id=info.id, plugin_path=info.path, state=info.state,
        name=str(raw.get("name") or ""), description=str(raw.get("description") or ""),
        version=str(raw.get("version") or "")))


def _set_enabled(ctx: ApiContext, plugin_id: str, enabled: bool, where: str) -> None:
    control = _control(ctx, where)
    plugin_id = plugin_id.lower()
    _find(control, plugin_id, where)
    before, after = save_plugin_states(ctx.store, {plugin_id: enabled})
    if after != before:  # the server's config listeners run only on a change
        from mmplug.host.api.config import config_changed

        config_changed(ctx, after)


@emulates("EnablePlugin")
def enable_plugin(ctx: ApiContext, req: pb.EnablePluginRequest) -> pb.EnablePluginResponse:
    _set_enabled(ctx, req.id, True, "EnablePlugin")
    return pb.EnablePluginResponse()


@emulates("DisablePlugin")
def disable_plugin(ctx: ApiContext, req: pb.DisablePluginRequest) -> pb.DisablePluginResponse:
    _set_enabled(ctx, req.id, False, "DisablePlugin")
    return pb.DisablePluginResponse()


@emulates("RemovePlugin")
def remove_plugin(ctx: ApiContext, req: pb.RemovePluginRequest) -> pb.RemovePluginResponse:
    plugin_id = req.id.lower()
    _set_enabled(ctx, plugin_id, False, "RemovePlugin")
    _control(ctx, "RemovePlugin").remove(plugin_id, caller=ctx.plugin_id)
    return pb.RemovePluginResponse()


@emulates("InstallPlugin")
def install_plugin(ctx: ApiContext, req: pb.InstallPluginRequest) -> pb.InstallPluginResponse:
    if not (_setting(ctx, "Enable", True) and _setting(ctx, "EnableUploads", False)):
        raise ApiFailure(501, "app.plugin.upload_disabled.app_error",
                         "Plugins and/or plugin uploads have been disabled.",
                         where="installPlugin")
    control = _control(ctx, "InstallPlugin")
    root = control.install_root()
    root.mkdir(parents=True, exist_ok=True)
    # unpacked beside its final place, so that moving it there is a rename on one file system
    with tempfile.TemporaryDirectory(prefix=".unpacking-", dir=root) as tmp:
        manifest, unpacked = _extract(req.file_data, Path(tmp))
        plugin_id = str(manifest["id"]).lower()
        _check_runnable(unpacked)
        known = {info.id for info in control.plugin_infos()}
        if plugin_id in known:
            if not req.replace:
                raise ApiFailure(400, "app.plugin.install_id.app_error",
                                 "Unable to install plugin. A plugin with the same ID is "
                                 "already installed.", where="installExtractedPlugin")
            control.remove(plugin_id, caller="")
        target = root / plugin_id
        if target.exists():  # unpacked by an earlier session, which is gone: replaced
            shutil.rmtree(target)
        unpacked.rename(target)
    control.install(target)
    with ctx.store.read() as db:
        from mmplug.host.api.config import load_server_config

        states = (load_server_config(db).get("PluginSettings") or {}).get("PluginStates") or {}
    if (states.get(plugin_id) or {}).get("Enable"):
        control.set_enabled(plugin_id, True, caller=ctx.plugin_id)
    return pb.InstallPluginResponse(manifest=_manifest_message(manifest))


def _extract(data: bytes, into: Path) -> tuple[dict[str, Any], Path]:
    """Unpack a bundle as the server's extractPlugin does: its one top-level folder (if that
    is all there is) holds the plugin, with a valid manifest."""
    import lzma  # here, not at the top: only an install reads a bundle
    import tarfile
    import zlib

    from mmplug.manifest import ID_MAX, ID_MIN, ID_PATTERN, validate_manifest

    root = into / "bundle"
    root.mkdir()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar.getmembers():
                _refuse_unsafe(member)
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
                tar.extractall(root, filter="data")
            else:  # pragma: no cover - every member was checked above
                tar.extractall(root)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
        raise ApiFailure(400, "app.plugin.extract.app_error",
                         "Encountered error extracting plugin.", detailed_error=str(exc),
                         where="extractPlugin") from None
    entries = list(root.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        root = entries[0]
    from mmplug._json import JSONDepthError, loads

    try:
        manifest = loads((root / "plugin.json").read_text(encoding="utf-8"), constants=False)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, JSONDepthError) as exc:
        raise ApiFailure(400, "app.plugin.manifest.app_error",
                         "Unable to find manifest for extracted plugin.",
                         detailed_error=str(exc), where="extractPlugin") from None
    plugin_id = manifest.get("id") if isinstance(manifest, dict) else None
    if (not isinstance(plugin_id, str) or not ID_PATTERN.match(plugin_id)
            or not ID_MIN <= len(plugin_id) <= ID_MAX):
        raise ApiFailure(400, "app.plugin.invalid_id.app_error",
                         f"Plugin Id must be at least {ID_MIN} characters, at most {ID_MAX} "
                         "characters and match ^[a-zA-Z0-9-_\\.]+$.", where="extractPlugin")
    # the server does not run Manifest.IsValid() on install: only what it cannot decode
    problems = [f for f in validate_manifest(manifest) if f.load == "error"]
    if problems:
        raise ApiFailure(400, "app.plugin.manifest.app_error",
                         "Unable to find manifest for extracted plugin.",
                         detailed_error="; ".join(str(f) for f in problems),
                         where="extractPlugin")
    return manifest, root


def _check_runnable(plugin_dir: Path) -> None:
    """What the fake host needs to run an installed plugin (see ``differs`` above)."""
    from mmplug.errors import ManifestError
    from mmplug.manifest import load_manifest

    try:
        load_manifest(plugin_dir)
    except ManifestError as exc:
        raise ApiFailure(400, "app.plugin.manifest.app_error",
                         "Unable to find manifest for extracted plugin.",
                         detailed_error=exc.render().replace(str(plugin_dir), "<bundle>"),
                         where="extractPlugin") from None


def _refuse_unsafe(member: tarfile.TarInfo) -> None:
    """No member may leave the folder it is unpacked into (the server's extractTarGz refuses
    such paths too); links and devices are not plugin files."""
    import tarfile

    name = member.name
    if name.startswith("/") or ".." in Path(name).parts:
        raise tarfile.TarError(f"{name}: the path leaves the bundle")
    if not (member.isfile() or member.isdir()):
        raise tarfile.TarError(f"{name}: not a file or a folder")


@emulates("GetCloudLimits")
def get_cloud_limits(ctx: ApiContext, req: rem.GetCloudLimitsRequest) -> rem.GetCloudLimitsResponse:
    """Not a cloud workspace: ``&model.ProductLimits{}``, which has no limits."""
    return rem.GetCloudLimitsResponse(limits_json=b"{}")


@emulates("RequestTrialLicense")
def request_trial_license(
    ctx: ApiContext, req: rem.RequestTrialLicenseRequest
) -> rem.RequestTrialLicenseResponse:
    from mmplug.host.api.config import load_server_config
    from mmplug.host.api.server_info import SERVER_META, server_meta

    with ctx.store.read() as db:
        config = load_server_config(db)
    if (config.get("ExperimentalSettings") or {}).get("RestrictSystemAdmin"):
        raise ApiFailure(403, "api.restricted_system_admin",
                         "This action is forbidden to a restricted system admin.",
                         where="RequestTrialLicense")
    if not req.terms_accepted:
        raise ApiFailure(400, "api.license.request-trial.bad-request.terms-not-accepted",
                         "Please accept the Mattermost Software Evaluation Agreement.",
                         where="RequestTrialLicense")
    if req.users == 0:
        raise ApiFailure(400, "api.license.request-trial.bad-request",
                         "The number of users requested is not correct.",
                         where="RequestTrialLicense")
    with ctx.store.read() as db:
        found = db.execute("SELECT 1 FROM users WHERE id=?", (req.requester_id,)).fetchone()
    if found is None:
        raise ApiFailure(404, "app.user.missing_account.const", "Unable to find the user.",
                         where="RequestTrialLicense")
    now = ctx.now()
    licence = {
        "id": ctx.new_id(), "issued_at": now, "starts_at": now,
        "expires_at": now + _TRIAL_DAYS * 86_400_000, "is_trial": True, "sku_name": "Enterprise",
        "sku_short_name": "enterprise",
        "customer": {"id": "", "name": "mmplug trial", "email": "", "company": ""},
        "features": {"users": int(req.users), "future_features": True},
    }
    info = server_meta(ctx)
    info["license"] = licence
    ctx.store.set_meta(SERVER_META, info)
    return rem.RequestTrialLicenseResponse()
