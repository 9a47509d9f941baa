"""Server parity of configuration: GetConfig, GetUnsanitizedConfig, SaveConfig,
GetPluginConfig, SavePluginConfig, LoadPluginConfiguration (GetPluginID, which the server's
handler does not implement, is in test_parity_handlers.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from worldhost import PLUGIN_ID, Host, start_host

from mmplug.manifest import Manifest
from mmplug.protocol import api_kv_config_pb2 as pb
from mmplug.protocol import hooks_lifecycle_pb2 as hooks

MASK = "*" * 32  # the server's model.FakeSetting
SANITIZE = "server/public/model/config.go: (*Config).Sanitize"
PLUGIN_SANITIZE = "server/public/model/config.go: (*PluginSettings).Sanitize"
DESANITIZE = "server/config/utils.go: Desanitize"
PLUGIN_API = "server/channels/app/plugin_api.go"
SCHEMA = {
    "settings": [
        {"key": "Greeting", "type": "text", "default": "hello"},
        {"key": "ApiSecret", "type": "text", "secret": True, "default": ""},
        {"key": "Port", "type": "number", "secret": True},
        {"key": "NoDefault", "type": "text"},
    ]
}


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    folder = tmp_path_factory.mktemp("plugin")
    raw = {"id": PLUGIN_ID, "name": "Tester", "version": "1.0.0", "settings_schema": SCHEMA}
    (folder / "plugin.json").write_text(json.dumps(raw), encoding="utf-8")
    manifest = Manifest(
        folder / "plugin.json", PLUGIN_ID, "Tester", "1.0.0", "plugin.py", "python", raw
    )
    with start_host(manifest=manifest) as h:
        yield h


@pytest.fixture(autouse=True)
def _fresh(host: Host) -> None:
    host.hooks.forget_answers()
    host.api.SavePluginConfig(pb.SavePluginConfigRequest(config=struct_pb2.Struct()))
    host.hooks.fired.clear()


def _config(host: Host, *, sanitized: bool = True) -> dict[str, Any]:
    rsp: Any = (
        host.api.GetConfig(pb.GetConfigRequest())
        if sanitized
        else host.api.GetUnsanitizedConfig(pb.GetUnsanitizedConfigRequest())
    )
    assert not rsp.error.id
    result: dict[str, Any] = json.loads(rsp.config_json)
    return result


def _save_config(host: Host, config: dict[str, Any]) -> Any:
    return host.api.SaveConfig(pb.SaveConfigRequest(config_json=json.dumps(config).encode()))


def _plugin_config(host: Host) -> dict[str, Any]:
    rsp = host.api.GetPluginConfig(pb.GetPluginConfigRequest())
    assert not rsp.error.id
    return json_format.MessageToDict(rsp.config)


def _save_plugin_config(host: Host, values: dict[str, Any]) -> None:
    struct = struct_pb2.Struct()
    struct.update(values)
    assert not host.api.SavePluginConfig(pb.SavePluginConfigRequest(config=struct)).error.id


def _mine(host: Host) -> dict[str, Any]:
    mine: dict[str, Any] = _config(host, sanitized=False)["PluginSettings"]["Plugins"][PLUGIN_ID]
    return mine


def _loaded(host: Host) -> dict[str, Any]:
    rsp = host.api.LoadPluginConfiguration(pb.LoadPluginConfigurationRequest())
    assert not rsp.error.id
    loaded: dict[str, Any] = json.loads(rsp.config_json)
    return loaded


# -- GetConfig ---------------------------------------------------------------------------
@pytest.mark.parity("GetConfig", SANITIZE + "; server/public/model/config.go: FakeSetting")
def test_get_config_masks_secrets_with_32_asterisks(host: Host) -> None:
    """A masked secret in GetConfig is exactly 32 asterisks (the server's FakeSetting)."""
    assert _config(host)["SqlSettings"]["DataSource"] == MASK


@pytest.mark.parity("GetConfig", SANITIZE)
def test_get_config_always_masks_database_and_salt_secrets(host: Host) -> None:
    """The database DSN, the at-rest encryption key, the public link salt, the Elasticsearch
    password and the split key are masked whatever their value, even empty."""
    cfg = _config(host)
    assert cfg["SqlSettings"]["AtRestEncryptKey"] == MASK
    assert cfg["FileSettings"]["PublicLinkSalt"] == MASK
    assert cfg["ElasticsearchSettings"]["Password"] == MASK
    assert cfg["ServiceSettings"]["SplitKey"] == MASK  # "" in the world


@pytest.mark.parity("GetConfig", SANITIZE)
def test_get_config_masks_passwords_only_when_set(host: Host) -> None:
    """SMTP, LDAP and OAuth secrets are masked when set and stay empty when empty."""
    cfg = _config(host, sanitized=False)
    cfg["EmailSettings"]["SMTPPassword"] = "smtp-pass"
    assert not _save_config(host, cfg).error.id
    masked = _config(host)
    assert masked["EmailSettings"]["SMTPPassword"] == MASK
    assert masked["LdapSettings"]["BindPassword"] == ""
    assert masked["GitLabSettings"]["Secret"] == ""


@pytest.mark.parity("GetConfig", SANITIZE)
def test_get_config_masks_each_replica_data_source(host: Host) -> None:
    """Each read replica's data source is masked, one mask per replica."""
    cfg = _config(host, sanitized=False)
    cfg["SqlSettings"]["DataSourceReplicas"] = ["postgres://r1", "postgres://r2"]
    assert not _save_config(host, cfg).error.id
    assert _config(host)["SqlSettings"]["DataSourceReplicas"] == [MASK, MASK]


@pytest.mark.parity("GetConfig", PLUGIN_SANITIZE)
def test_get_config_masks_the_plugins_secret_settings_only(host: Host) -> None:
    """In PluginSettings.Plugins, the settings the manifest marks secret are masked (whatever
    their value or the case of their key); the others are shown."""
    _save_plugin_config(host, {"Greeting": "hey", "apisecret": "s3cret", "Port": 8080})
    mine = _config(host)["PluginSettings"]["Plugins"][PLUGIN_ID]
    assert mine == {"Greeting": "hey", "apisecret": MASK, "Port": MASK}


@pytest.mark.parity("GetUnsanitizedConfig", PLUGIN_API + ": (*PluginAPI).GetUnsanitizedConfig")
def test_get_unsanitized_config_shows_every_secret(host: Host) -> None:
    """GetUnsanitizedConfig answers the secrets in clear, the plugin's own included."""
    _save_plugin_config(host, {"ApiSecret": "s3cret"})
    cfg = _config(host, sanitized=False)
    assert cfg["SqlSettings"]["DataSource"].startswith("postgres://")
    assert cfg["PluginSettings"]["Plugins"][PLUGIN_ID] == {"ApiSecret": "s3cret"}


# -- SaveConfig --------------------------------------------------------------------------
@pytest.mark.parity("SaveConfig", DESANITIZE)
def test_save_config_of_a_sanitized_config_keeps_the_secrets(host: Host) -> None:
    """Saving a config that still carries masks keeps the stored secrets (DSN, SMTP password,
    the plugin's secret settings)."""
    cfg = _config(host, sanitized=False)
    cfg["EmailSettings"]["SMTPPassword"] = "smtp-pass"
    _save_config(host, cfg)
    _save_plugin_config(host, {"ApiSecret": "s3cret", "Greeting": "a"})
    before = _config(host, sanitized=False)
    masked = _config(host)
    masked["TeamSettings"]["SiteName"] = "Renamed"
    assert not _save_config(host, masked).error.id
    after = _config(host, sanitized=False)
    assert after["TeamSettings"]["SiteName"] == "Renamed"
    assert after["SqlSettings"]["DataSource"] == before["SqlSettings"]["DataSource"]
    assert after["EmailSettings"]["SMTPPassword"] == "smtp-pass"
    assert after["PluginSettings"]["Plugins"][PLUGIN_ID]["ApiSecret"] == "s3cret"


@pytest.mark.parity(
    "SaveConfig", "server/channels/app/platform/config.go: (*PlatformService).SaveConfig"
)
def test_save_config_rejected_by_a_plugin_answers_its_app_error(host: Host) -> None:
    """A ConfigurationWillBeSaved hook that answers an AppError rejects the save with that
    error (id and status as the plugin gave them); nothing is saved."""
    answer = hooks.ConfigurationWillBeSavedResponse()
    answer.error.id, answer.error.message, answer.error.status_code = "my.plugin.no", "no", 409
    host.hooks.respond("ConfigurationWillBeSaved", answer, plugin_id=PLUGIN_ID)
    before = _config(host, sanitized=False)
    changed = json.loads(json.dumps(before))
    changed["TeamSettings"]["SiteName"] = "Rejected"
    err = _save_config(host, changed).error
    assert (err.id, err.status_code) == ("my.plugin.no", 409)
    assert _config(host, sanitized=False) == before


SAVE_CONFIG = "server/channels/app/platform/config.go: (*PlatformService).SaveConfig"
GRPC_CONFIG_HOOK = (
    "server/public/plugin/hooks_grpc_client.go: (*hooksGRPCClient).ConfigurationWillBeSaved"
)


@pytest.mark.parity("SaveConfig", f"{SAVE_CONFIG}; {GRPC_CONFIG_HOOK}")
def test_save_config_rejected_by_a_plugin_answers_its_error_as_the_server_reads_it(
    host: Host,
) -> None:
    """The rejection the caller gets is the plugin's AppError as the server builds it: the
    plugin's id and status unchanged, the id as the message (the plugin's message is not
    read)."""
    answer = hooks.ConfigurationWillBeSavedResponse()
    answer.error.id, answer.error.message = "my.plugin.no", "not shown"
    answer.error.detailed_error, answer.error.status_code = "SiteName is reserved", 409
    host.hooks.respond("ConfigurationWillBeSaved", answer, plugin_id=PLUGIN_ID)
    changed = _config(host, sanitized=False)
    changed["TeamSettings"]["SiteName"] = "Rejected"
    err = _save_config(host, changed).error
    assert (err.id, err.message, err.status_code) == ("my.plugin.no", "my.plugin.no", 409)


@pytest.mark.parity("SaveConfig", f"{SAVE_CONFIG}; {GRPC_CONFIG_HOOK}")
def test_save_config_fails_when_a_plugins_hook_fails(host: Host) -> None:
    """A ConfigurationWillBeSaved handler that raises (or times out) stops the save: 400
    ``app.save_config.plugin_hook_error``, nothing saved (the server does not fail open
    here)."""

    def broken(request: Any) -> Any:
        raise RuntimeError("boom")

    host.hooks.respond("ConfigurationWillBeSaved", broken, plugin_id=PLUGIN_ID)
    before = _config(host, sanitized=False)
    changed = json.loads(json.dumps(before))
    changed["TeamSettings"]["SiteName"] = "Not saved"
    err = _save_config(host, changed).error
    assert (err.id, err.status_code) == ("app.save_config.plugin_hook_error", 400)
    assert PLUGIN_ID in err.message
    assert _config(host, sanitized=False) == before


@pytest.mark.parity("SaveConfig", SAVE_CONFIG)
def test_save_config_hooks_see_the_configuration_the_plugin_before_returned(
        host: Host) -> None:
    """ConfigurationWillBeSaved runs plugin after plugin: each gets the configuration the one
    before it returned, and the last one's is saved."""
    other = "com.example.second"

    def rename(request: Any) -> Any:
        config = json.loads(request.new_config.config_json)
        config["TeamSettings"]["SiteName"] += " (first)"
        answer = hooks.ConfigurationWillBeSavedResponse()
        answer.modified_config.config_json = json.dumps(config).encode()
        return answer

    host.hooks.respond("ConfigurationWillBeSaved", rename, plugin_id=PLUGIN_ID)
    host.hooks.respond("ConfigurationWillBeSaved", rename, plugin_id=other)
    try:
        changed = _config(host, sanitized=False)
        changed["TeamSettings"]["SiteName"] = "Chained"
        assert not _save_config(host, changed).error.id
        first, second = [json.loads(r.new_config.config_json)["TeamSettings"]["SiteName"]
                         for r in host.hooks.named("ConfigurationWillBeSaved")[-2:]]
        assert (first, second) == ("Chained", "Chained (first)")
        saved = _config(host, sanitized=False)["TeamSettings"]["SiteName"]
        assert saved == "Chained (first) (first)"
    finally:
        host.hooks.plugin_ids.remove(other)


# -- plugin configuration ----------------------------------------------------------------
@pytest.mark.parity("GetPluginConfig", PLUGIN_API + ": (*PluginAPI).GetPluginConfig")
def test_get_plugin_config_of_a_never_configured_plugin_is_empty(host: Host) -> None:
    """GetPluginConfig answers only the saved settings: {} until an admin (or the plugin) saves
    some; the settings_schema defaults are not filled in."""
    assert _plugin_config(host) == {}


@pytest.mark.parity(
    "GetPluginConfig", PLUGIN_API + ": (*PluginAPI).GetPluginConfig; " + PLUGIN_SANITIZE
)
def test_get_plugin_config_masks_secret_settings(host: Host) -> None:
    """GetPluginConfig reads the sanitised config: secret settings come back as 32 asterisks,
    even a number."""
    _save_plugin_config(host, {"ApiSecret": "s3cret", "Port": 8080, "Greeting": "hey"})
    assert _plugin_config(host) == {"ApiSecret": MASK, "Port": MASK, "Greeting": "hey"}


@pytest.mark.parity(
    "SavePluginConfig", PLUGIN_API + ": (*PluginAPI).SavePluginConfig; " + DESANITIZE
)
def test_save_plugin_config_keeps_a_masked_secret(host: Host) -> None:
    """Saving back what GetPluginConfig answered keeps the secret's stored value."""
    _save_plugin_config(host, {"ApiSecret": "s3cret", "Greeting": "a"})
    values = _plugin_config(host)
    values["Greeting"] = "b"
    _save_plugin_config(host, values)
    assert _mine(host) == {"ApiSecret": "s3cret", "Greeting": "b"}


@pytest.mark.parity("SavePluginConfig", PLUGIN_API + ": (*PluginAPI).SavePluginConfig")
def test_save_plugin_config_replaces_the_whole_settings_map(host: Host) -> None:
    """SavePluginConfig replaces the plugin's settings: a key left out is gone."""
    _save_plugin_config(host, {"Greeting": "a", "Extra": "x"})
    _save_plugin_config(host, {"Greeting": "b"})
    assert _mine(host) == {"Greeting": "b"}


@pytest.mark.parity(
    "SavePluginConfig",
    "server/channels/app/platform/config.go: (*PlatformService).SaveConfig",
)
def test_save_plugin_config_runs_the_config_save_hooks(host: Host) -> None:
    """SavePluginConfig is a whole config save: ConfigurationWillBeSaved, then
    OnConfigurationChange."""
    _save_plugin_config(host, {"Greeting": "x"})
    assert host.hooks.named("ConfigurationWillBeSaved")
    assert host.hooks.named("OnConfigurationChange")


@pytest.mark.parity(
    "LoadPluginConfiguration", PLUGIN_API + ": (*PluginAPI).LoadPluginConfiguration"
)
def test_load_plugin_configuration_fills_defaults_with_lower_cased_keys(host: Host) -> None:
    """LoadPluginConfiguration answers every schema setting with its default (null without
    one) under its lower-cased key, overridden by the saved values."""
    _save_plugin_config(host, {"Greeting": "hey"})
    assert _loaded(host) == {
        "greeting": "hey",
        "apisecret": "",
        "port": None,
        "nodefault": None,
    }


@pytest.mark.parity(
    "LoadPluginConfiguration", PLUGIN_API + ": (*PluginAPI).LoadPluginConfiguration"
)
def test_load_plugin_configuration_answers_secrets_in_clear(host: Host) -> None:
    """LoadPluginConfiguration reads the unsanitised config: a secret setting is its real
    value."""
    _save_plugin_config(host, {"ApiSecret": "s3cret"})
    assert _loaded(host)["apisecret"] == "s3cret"


STORE_SET = "server/config/store.go: (*Store).Set"


@pytest.mark.parity(("SaveConfig", "SavePluginConfig"), STORE_SET)
def test_saving_an_unchanged_config_runs_no_configuration_change(host: Host) -> None:
    """OnConfigurationChange runs only when a save changes the configuration: saving it back
    as read (masked secrets included), or the plugin's same settings again, runs only
    ConfigurationWillBeSaved."""
    _save_plugin_config(host, {"Greeting": "same", "ApiSecret": "s3cret"})
    host.hooks.fired.clear()
    assert not _save_config(host, _config(host, sanitized=False)).error.id
    assert not _save_config(host, _config(host)).error.id
    _save_plugin_config(host, _plugin_config(host))
    assert len(host.hooks.named("ConfigurationWillBeSaved")) == 3
    assert not host.hooks.named("OnConfigurationChange")
    _save_plugin_config(host, {"Greeting": "other", "ApiSecret": "s3cret"})
    assert len(host.hooks.named("OnConfigurationChange")) == 1
