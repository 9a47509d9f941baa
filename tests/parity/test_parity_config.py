"""Server parity of configuration: GetConfig, GetUnsanitizedConfig, SaveConfig,
GetPluginConfig, SavePluginConfig, LoadPluginConfiguration (GetPluginID, which the server's
handler does not implement, is in test_parity_handlers.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
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


# -- SaveConfig: decoding, defaults, validation ---------------------------------------------
SET_DEFAULTS = "server/public/model/config.go: (*Config).SetDefaults"
IS_VALID = "server/public/model/config.go: (*Config).IsValid"
HANDLER = "server/public/pluginapi/grpc/server/handlers_remaining.go: (*APIServer).SaveConfig"
DEFAULT_DSN = ("postgres://mmuser:mostest@localhost/mattermost_test?sslmode=disable"
               "&connect_timeout=10&binary_parameters=yes")


@pytest.fixture
def restore(host: Host) -> Iterator[dict[str, Any]]:
    """The unsanitised configuration before the test, saved back after it."""
    before = _config(host, sanitized=False)
    yield before
    assert not _save_config(host, before).error.id


def _save_raw(host: Host, text: bytes) -> Any:
    return host.api.SaveConfig(pb.SaveConfigRequest(config_json=text)).error


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {SET_DEFAULTS}")
def test_save_config_of_null_resets_every_setting_to_its_default(
        host: Host, restore: dict[str, Any]) -> None:
    """Saving the configuration null is not refused: every setting gets the server's default
    (a blank configuration: no site URL, empty generated keys) and every plugin's settings are
    gone."""
    _save_plugin_config(host, {"Greeting": "hey"})
    assert not _save_raw(host, b"null").id
    cfg = _config(host, sanitized=False)
    assert cfg["ServiceSettings"]["SiteURL"] == ""
    assert cfg["ServiceSettings"]["EnableBotAccountCreation"] is False
    assert cfg["LogSettings"]["EnableFile"] is True
    assert cfg["PluginSettings"]["EnableUploads"] is False
    assert cfg["SqlSettings"]["DataSource"] == DEFAULT_DSN
    assert cfg["SqlSettings"]["AtRestEncryptKey"] == ""
    assert cfg["FileSettings"]["PublicLinkSalt"] == ""
    assert cfg["TeamSettings"]["SiteName"] == "Mattermost"
    assert _plugin_config(host) == {}


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {SET_DEFAULTS}")
def test_save_config_of_some_sections_resets_the_others(
        host: Host, restore: dict[str, Any]) -> None:
    """A configuration that gives only some settings is not merged into the stored one: the
    settings it leaves out get the server's defaults."""
    partial = {"TeamSettings": {"SiteName": "Partial"},
               "ServiceSettings": {"SiteURL": "https://chat.example.com/"}}
    assert not _save_config(host, partial).error.id
    cfg = _config(host, sanitized=False)
    assert cfg["TeamSettings"]["SiteName"] == "Partial"
    assert cfg["TeamSettings"]["MaxUsersPerTeam"] == 50
    assert cfg["ServiceSettings"]["SiteURL"] == "https://chat.example.com"  # no trailing /
    assert cfg["ServiceSettings"]["EnableBotAccountCreation"] is False
    assert cfg["ServiceSettings"]["SessionLengthWebInHours"] == 180 * 24  # an update
    assert cfg["PluginSettings"]["Plugins"] == {}
    # an update without generated keys gets new ones
    assert len(cfg["SqlSettings"]["AtRestEncryptKey"]) == 32
    assert len(cfg["FileSettings"]["PublicLinkSalt"]) == 32


PLUGIN_DEFAULTS = "server/public/model/config.go: (*PluginSettings).SetDefaults"


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {PLUGIN_DEFAULTS}")
def test_save_config_gives_the_bundled_plugins_their_default_states(
        host: Host, restore: dict[str, Any]) -> None:
    """A saved configuration without a state for the NPS, Calls or Playbooks plugin gets the
    server's default one, installed or not (enabled; NPS only while
    LogSettings.EnableDiagnostics is on); a state the configuration gives is kept."""
    assert not _save_raw(host, b"null").id
    assert _config(host)["PluginSettings"]["PluginStates"] == {
        "com.mattermost.calls": {"Enable": True},
        "com.mattermost.nps": {"Enable": True},
        "playbooks": {"Enable": True},
    }
    given = {"LogSettings": {"EnableDiagnostics": False},
             "PluginSettings": {"PluginStates": {"playbooks": {"Enable": False},
                                                 "com.example.mine": {"Enable": True}}}}
    assert not _save_config(host, given).error.id
    assert _config(host)["PluginSettings"]["PluginStates"] == {
        "com.example.mine": {"Enable": True},
        "com.mattermost.calls": {"Enable": True},
        "com.mattermost.nps": {"Enable": False},
        "playbooks": {"Enable": False},
    }


@pytest.mark.parity(("GetConfig", "SaveConfig"),
                    f"server/config/store.go: (*Store).Load; {SET_DEFAULTS}; {STORE_SET}")
def test_a_world_configuration_gets_the_servers_defaults_when_loaded(tmp_path: Path) -> None:
    """GetConfig of a fresh server shows every setting, with the server's defaults where its
    configuration file gives none (the bundled plugins' states too), so saving it back as
    read (unsanitised) changes nothing and runs no OnConfigurationChange."""
    from mmplug.host.world import WORLDS_DIR

    world = json.loads((WORLDS_DIR / "default.json").read_text(encoding="utf-8"))
    del world["config"]["PluginSettings"]["PluginStates"]
    del world["config"]["PluginSettings"]["EnableUploads"]
    world["config"]["ServiceSettings"]["SiteURL"] = "https://chat.example.com/"
    path = tmp_path / "sparse.json"
    path.write_text(json.dumps(world), encoding="utf-8")
    with start_host(world=path) as host:
        cfg = _config(host)
        assert cfg["PluginSettings"]["PluginStates"] == {
            "com.mattermost.calls": {"Enable": True},
            "com.mattermost.nps": {"Enable": True},
            "playbooks": {"Enable": True},
        }
        assert cfg["PluginSettings"]["EnableUploads"] is False
        assert cfg["ServiceSettings"]["SiteURL"] == "https://chat.example.com"
        assert not _save_config(host, _config(host, sanitized=False)).error.id
        assert host.hooks.named("ConfigurationWillBeSaved")
        assert not host.hooks.named("OnConfigurationChange")


@pytest.mark.parity("GetConfig", f"server/config/store.go: (*Store).Load; {SET_DEFAULTS}")
def test_a_world_configuration_is_read_as_the_servers_decoder_reads_it(tmp_path: Path) -> None:
    """A configuration file's section named in another case is that section, as Go's JSON
    decoder reads it when the server loads its configuration: GetConfig shows it once, in the
    server's spelling."""
    from mmplug.host.world import WORLDS_DIR

    world = json.loads((WORLDS_DIR / "default.json").read_text(encoding="utf-8"))
    world["config"]["teamsettings"] = world["config"].pop("TeamSettings")
    world["config"]["teamsettings"]["MaxUsersPerTeam"] = 5
    path = tmp_path / "lower.json"
    path.write_text(json.dumps(world), encoding="utf-8")
    with start_host(world=path) as host:
        cfg = _config(host, sanitized=False)
        assert cfg["TeamSettings"]["MaxUsersPerTeam"] == 5
        assert "teamsettings" not in cfg


@pytest.mark.parity("SaveConfig", HANDLER)
def test_save_config_matches_setting_names_in_any_case(
        host: Host, restore: dict[str, Any]) -> None:
    """Section and setting names match whatever their case (as Go's JSON decoder matches
    them), and are saved in the server's spelling."""
    cfg = json.loads(json.dumps(restore))
    cfg["teamsettings"] = cfg.pop("TeamSettings")
    cfg["teamsettings"]["sitename"] = cfg["teamsettings"].pop("SiteName")
    cfg["teamsettings"]["sitename"] = "Lower"
    assert not _save_config(host, cfg).error.id
    saved = _config(host, sanitized=False)
    assert saved["TeamSettings"]["SiteName"] == "Lower"
    assert "teamsettings" not in saved and "sitename" not in saved["TeamSettings"]


@pytest.mark.parity("SaveConfig", HANDLER)
def test_save_config_drops_sections_the_server_does_not_have(
        host: Host, restore: dict[str, Any]) -> None:
    """A top-level key that is not a section of the server's configuration is not saved."""
    cfg = dict(restore, MyPluginSettings={"Anything": 1})
    assert not _save_config(host, cfg).error.id
    assert "MyPluginSettings" not in _config(host, sanitized=False)


WRONG_TYPES = [
    ({"ServiceSettings": 3},
     "number into Go struct field Config.ServiceSettings of type model.ServiceSettings"),
    ({"ServiceSettings": {"SiteURL": 3}},
     "number into Go struct field ServiceSettings.ServiceSettings.SiteURL of type string"),
    ({"TeamSettings": {"MaxUsersPerTeam": "50"}},
     "string into Go struct field TeamSettings.TeamSettings.MaxUsersPerTeam of type int"),
    ({"TeamSettings": {"MaxUsersPerTeam": 1.5}},
     "number 1.5 into Go struct field TeamSettings.TeamSettings.MaxUsersPerTeam of type int"),
    ({"GitLabSettings": {"Enable": "true"}},
     "string into Go struct field SSOSettings.GitLabSettings.Enable of type bool"),
    ({"PluginSettings": {"Plugins": {"x": []}}},
     "array into Go struct field PluginSettings.PluginSettings.Plugins of type "
     "map[string]interface {}"),
    ({"ServiceSettings": {"ReadTimeout": "not a number"}},
     "string into Go struct field ServiceSettings.ServiceSettings.ReadTimeout of type int"),
    ({"ServiceSettings": {"TimeBetweenUserTypingUpdatesMilliseconds": 1000.5}},
     "number 1000.5 into Go struct field ServiceSettings.ServiceSettings."
     "TimeBetweenUserTypingUpdatesMilliseconds of type int64"),
    ({"ExperimentalSettings": {"DisableAppBar": "true"}},
     "string into Go struct field ExperimentalSettings.ExperimentalSettings.DisableAppBar of "
     "type bool"),
    ({"EmailSettings": {"SMTPPort": 25}},
     "number into Go struct field EmailSettings.EmailSettings.SMTPPort of type string"),
    ({"ServiceSettings": {"TLSOverwriteCiphers": "TLS_RSA_WITH_AES_128_CBC_SHA"}},
     "string into Go struct field ServiceSettings.ServiceSettings.TLSOverwriteCiphers of type "
     "[]string"),
    ({"ThemeSettings": {"AllowedThemes": ["denim", False]}},
     "bool into Go struct field ThemeSettings.ThemeSettings.AllowedThemes of type string"),
    ({"ClientRequirements": {"AndroidMinVersion": 2}},
     "number into Go struct field ClientRequirements.ClientRequirements.AndroidMinVersion of "
     "type string"),
    ({"SqlSettings": {"ReplicaLagSettings": [{"QueryTimeLag": 5}]}},
     "number into Go struct field ReplicaLagSettings.SqlSettings.ReplicaLagSettings."
     "QueryTimeLag of type string"),
    ({"MessageExportSettings": {"GlobalRelaySettings": "A9"}},
     "string into Go struct field MessageExportSettings.MessageExportSettings."
     "GlobalRelaySettings of type model.GlobalRelayMessageExportSettings"),
    ({"PluginSettings": {"PluginStates": {"x": {"Enable": 1}}}},
     "number into Go struct field PluginState.PluginSettings.PluginStates.Enable of type bool"),
]


@pytest.mark.parity("SaveConfig", HANDLER)
@pytest.mark.parametrize(("config", "reason"), WRONG_TYPES,
                         ids=["section", "string", "int", "fraction", "sso", "plugin",
                              "unmodelled-int", "unmodelled-int64", "unmodelled-bool",
                              "unmodelled-string", "list", "list-item", "plain-string",
                              "list-of-structs", "nested-struct", "plugin-state"])
def test_save_config_refuses_a_setting_of_the_wrong_type(
        host: Host, config: dict[str, Any], reason: str) -> None:
    """A setting of the wrong JSON type (a number for a text setting, a text for a number
    one) fails with INVALID_ARGUMENT "failed to unmarshal config: json: cannot unmarshal ..."
    naming the setting, and nothing is saved."""
    before = _config(host, sanitized=False)
    err = _save_config(host, config).error
    assert (err.status_code, err.message) == (
        400, f"failed to unmarshal config: json: cannot unmarshal {reason}")
    assert _config(host, sanitized=False) == before


@pytest.mark.parity("SaveConfig", HANDLER)
def test_save_config_keeps_settings_outside_the_model_as_typed(
        host: Host, restore: dict[str, Any]) -> None:
    """Settings of every type are saved as given when their type is right: a list of structs
    keeps each entry's fields in the server's spelling (a field the struct does not have is
    dropped), a null entry stays null, and a plugin state without Enable is disabled."""
    cfg = json.loads(json.dumps(restore))
    cfg["ServiceSettings"]["ReadTimeout"] = 120
    cfg["SqlSettings"]["ReplicaLagSettings"] = [
        {"datasource": "replica", "QueryTimeLag": "5s", "Unknown": 1}, None]
    cfg["PluginSettings"]["PluginStates"]["com.example.quiet"] = {}
    assert not _save_config(host, cfg).error.id
    saved = _config(host, sanitized=False)
    assert saved["ServiceSettings"]["ReadTimeout"] == 120
    assert saved["SqlSettings"]["ReplicaLagSettings"] == [
        {"DataSource": "replica", "QueryTimeLag": "5s"}, None]
    assert saved["PluginSettings"]["PluginStates"]["com.example.quiet"] == {"Enable": False}


INVALID = [
    ("TeamSettings", "MaxUsersPerTeam", 0, "max_users.app_error"),
    ("TeamSettings", "SiteName", "x" * 31, "sitename_length.app_error"),
    ("TeamSettings", "TeammateNameDisplay", "nickname", "teammate_name_display.app_error"),
    ("SqlSettings", "DriverName", "sqlite", "sql_driver.app_error"),
    ("FileSettings", "MaxFileSize", -1, "max_file_size.app_error"),
    ("PasswordSettings", "MinimumLength", 4, "password_length.app_error"),
    ("RateLimitSettings", "PerSec", 0, "rate_sec.app_error"),
    ("ServiceSettings", "SiteURL", "chat.example.com", "site_url.app_error"),
    ("ServiceSettings", "ListenAddress", "8065", "listen_address.app_error"),
    ("ServiceSettings", "ThreadAutoFollow", False, "collapsed_threads.autofollow.app_error"),
    ("LdapSettings", "Enable", True, "ldap_server"),
]


@pytest.mark.parity("SaveConfig", f"{STORE_SET}; {IS_VALID}")
@pytest.mark.parametrize(("section", "setting", "value", "why"), INVALID,
                         ids=[f"{i[1]}-{i[3]}" for i in INVALID])
def test_save_config_refuses_an_invalid_configuration(
        host: Host, section: str, setting: str, value: Any, why: str) -> None:
    """A configuration the server's validation refuses (a limit of 0 or below, a site URL
    that is not absolute, a too-long site name, LDAP on without a server, ...) fails with
    500 app.save_config.app_error whose message names the setting, and nothing is saved."""
    before = _config(host, sanitized=False)
    changed = json.loads(json.dumps(before))
    changed[section][setting] = value
    err = _save_config(host, changed).error
    assert (err.id, err.status_code) == ("app.save_config.app_error", 500)
    assert f"{section}.{'LdapServer' if setting == 'Enable' else setting}" in err.message
    assert f"model.config.is_valid.{why}" in err.message
    assert _config(host, sanitized=False) == before


@pytest.mark.parity("SaveConfig", f"{SAVE_CONFIG}; {GRPC_CONFIG_HOOK}")
def test_save_config_reads_a_hooks_configuration_as_the_handler_reads_a_save(
        host: Host) -> None:
    """The configuration a ConfigurationWillBeSaved hook returns is read as a save's is: a
    setting of the wrong JSON type stops the save with 400 app.save_config.plugin_hook_error,
    and nothing is saved."""

    def wrong_type(request: Any) -> Any:
        config = json.loads(request.new_config.config_json)
        config["TeamSettings"]["MaxUsersPerTeam"] = "many"
        answer = hooks.ConfigurationWillBeSavedResponse()
        answer.modified_config.config_json = json.dumps(config).encode()
        return answer

    host.hooks.respond("ConfigurationWillBeSaved", wrong_type, plugin_id=PLUGIN_ID)
    before = _config(host, sanitized=False)
    err = _save_config(host, before).error
    assert (err.id, err.status_code) == ("app.save_config.plugin_hook_error", 400)
    assert _config(host, sanitized=False) == before
