"""Server config, plugin config and server info over real gRPC."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from worldhost import PLUGIN_ID, Host, start_host

from mmplug.host.api._secrets import FAKE_SETTING
from mmplug.manifest import Manifest
from mmplug.protocol import api_kv_config_pb2 as pb
from mmplug.protocol import api_remaining_pb2 as rem
from mmplug.protocol import hooks_lifecycle_pb2 as hooks

SCHEMA = {
    "settings": [
        {"key": "Greeting", "type": "text", "default": "hello"},
        {"key": "Enabled", "type": "bool", "default": True},
        {"key": "ApiSecret", "type": "text", "secret": True, "default": ""},
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
def _clean(host: Host) -> None:
    host.hooks.fired.clear()
    host.hooks.forget_answers()
    host.api.SavePluginConfig(pb.SavePluginConfigRequest(config=struct_pb2.Struct()))
    host.hooks.fired.clear()


def config(host: Host, *, sanitized: bool = True) -> dict[str, Any]:
    if sanitized:
        rsp: Any = host.api.GetConfig(pb.GetConfigRequest())
    else:
        rsp = host.api.GetUnsanitizedConfig(pb.GetUnsanitizedConfigRequest())
    assert not rsp.error.id
    result: dict[str, Any] = json.loads(rsp.config_json)
    return result


def plugin_config(host: Host) -> dict[str, Any]:
    return json_format.MessageToDict(host.api.GetPluginConfig(pb.GetPluginConfigRequest()).config)


def save_plugin_config(host: Host, values: dict[str, Any]) -> None:
    struct = struct_pb2.Struct()
    struct.update(values)
    assert not host.api.SavePluginConfig(pb.SavePluginConfigRequest(config=struct)).error.id


def test_get_config_returns_the_world_config(host: Host) -> None:
    cfg = config(host)
    assert cfg["ServiceSettings"]["SiteURL"] == "http://localhost:8065"
    assert cfg["TeamSettings"]["MaxUsersPerTeam"] == 50


def test_get_config_masks_secrets_like_the_server(host: Host) -> None:
    cfg = config(host)
    assert cfg["SqlSettings"]["DataSource"] == FAKE_SETTING
    assert cfg["SqlSettings"]["AtRestEncryptKey"] == FAKE_SETTING
    assert cfg["FileSettings"]["PublicLinkSalt"] == FAKE_SETTING
    assert cfg["ElasticsearchSettings"]["Password"] == FAKE_SETTING
    assert cfg["EmailSettings"]["SMTPPassword"] == ""  # empty secrets stay empty


def test_unsanitized_config_shows_the_secrets(host: Host) -> None:
    assert config(host, sanitized=False)["SqlSettings"]["DataSource"].startswith("postgres://")


def test_save_config_persists_and_notifies_plugins(host: Host) -> None:
    cfg = config(host, sanitized=False)
    cfg["TeamSettings"]["SiteName"] = "Renamed"
    rsp = host.api.SaveConfig(pb.SaveConfigRequest(config_json=json.dumps(cfg).encode()))
    assert not rsp.error.id
    assert config(host)["TeamSettings"]["SiteName"] == "Renamed"
    assert host.hooks.named("OnConfigurationChange")


def test_configuration_will_be_saved_can_modify_the_config(host: Host) -> None:
    def modify(req: Any) -> hooks.ConfigurationWillBeSavedResponse:
        cfg = json.loads(req.new_config.config_json)
        cfg["TeamSettings"]["SiteName"] = "Changed by plugin"
        return hooks.ConfigurationWillBeSavedResponse(
            modified_config=hooks.ConfigJson(config_json=json.dumps(cfg).encode())
        )

    host.hooks.respond("ConfigurationWillBeSaved", modify, plugin_id=PLUGIN_ID)
    cfg = config(host, sanitized=False)
    host.api.SaveConfig(pb.SaveConfigRequest(config_json=json.dumps(cfg).encode()))
    assert config(host)["TeamSettings"]["SiteName"] == "Changed by plugin"


def test_configuration_will_be_saved_can_reject(host: Host) -> None:
    answer = hooks.ConfigurationWillBeSavedResponse()
    answer.error.id, answer.error.message, answer.error.status_code = "no", "nope", 400
    host.hooks.respond("ConfigurationWillBeSaved", answer, plugin_id=PLUGIN_ID)
    before = config(host, sanitized=False)
    changed = json.loads(json.dumps(before))
    changed["TeamSettings"]["SiteName"] = "Rejected"
    rsp = host.api.SaveConfig(pb.SaveConfigRequest(config_json=json.dumps(changed).encode()))
    assert (rsp.error.id, rsp.error.status_code) == ("no", 400)
    assert config(host, sanitized=False) == before


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]"])
def test_save_config_rejects_what_is_not_a_json_object(host: Host, payload: bytes) -> None:
    before = config(host, sanitized=False)
    rsp = host.api.SaveConfig(pb.SaveConfigRequest(config_json=payload))
    assert (rsp.error.status_code, rsp.error.id) == (400, "grpc.invalid_argument")
    assert rsp.error.message.startswith("failed to unmarshal config: ")
    assert config(host, sanitized=False) == before


def test_plugin_config_of_a_never_configured_plugin_is_empty(host: Host) -> None:
    # As the server: the persisted settings only; the defaults come with LoadPluginConfiguration.
    assert plugin_config(host) == {}


def test_saved_plugin_config_is_answered_as_saved(host: Host) -> None:
    save_plugin_config(host, {"Greeting": "hi", "Extra": 3})
    assert plugin_config(host) == {"Greeting": "hi", "Extra": 3}
    assert host.hooks.named("OnConfigurationChange")


def test_load_plugin_configuration_lower_cases_keys_like_the_server(host: Host) -> None:
    save_plugin_config(host, {"Greeting": "hey"})
    rsp = host.api.LoadPluginConfiguration(pb.LoadPluginConfigurationRequest())
    assert json.loads(rsp.config_json) == {
        "greeting": "hey",
        "enabled": True,
        "apisecret": "",
        "nodefault": None,
    }


def test_plugin_config_masks_secret_settings(host: Host) -> None:
    save_plugin_config(host, {"ApiSecret": "s3cret"})
    assert plugin_config(host)["ApiSecret"] == FAKE_SETTING
    rsp = host.api.LoadPluginConfiguration(pb.LoadPluginConfigurationRequest())
    assert json.loads(rsp.config_json)["apisecret"] == "s3cret"


def test_saving_a_masked_plugin_config_keeps_the_secret(host: Host) -> None:
    save_plugin_config(host, {"ApiSecret": "s3cret", "Greeting": "a"})
    values = plugin_config(host)
    values["Greeting"] = "b"
    save_plugin_config(host, values)
    mine = config(host, sanitized=False)["PluginSettings"]["Plugins"][PLUGIN_ID]
    assert mine["ApiSecret"] == "s3cret" and mine["Greeting"] == "b"


def test_saving_a_sanitized_config_keeps_the_secrets(host: Host) -> None:
    before = config(host, sanitized=False)["SqlSettings"]["DataSource"]
    cfg = config(host)
    assert cfg["SqlSettings"]["DataSource"] == FAKE_SETTING
    host.api.SaveConfig(pb.SaveConfigRequest(config_json=json.dumps(cfg).encode()))
    assert config(host, sanitized=False)["SqlSettings"]["DataSource"] == before


def test_plugin_settings_appear_in_the_server_config(host: Host) -> None:
    save_plugin_config(host, {"Greeting": "hey", "ApiSecret": "s3cret"})
    mine = config(host, sanitized=False)["PluginSettings"]["Plugins"][PLUGIN_ID]
    assert mine == {"Greeting": "hey", "ApiSecret": "s3cret"}
    masked = config(host)["PluginSettings"]["Plugins"][PLUGIN_ID]
    assert masked == {"Greeting": "hey", "ApiSecret": FAKE_SETTING}


def test_other_plugins_settings_are_masked_whole_and_survive_a_save(host: Host) -> None:
    # The declared difference: mmplug knows no other plugin's manifest, so it masks every
    # value (the server masks their secret settings only); a save restores them all.
    from mmplug.host.api.config import save_plugin_settings

    with host.store.tx() as db:
        save_plugin_settings(db, "com.example.other", {"Url": "https://x", "Token": "t0k"})
    other = config(host)["PluginSettings"]["Plugins"]["com.example.other"]
    assert other == {"Url": FAKE_SETTING, "Token": FAKE_SETTING}
    save_plugin_config(host, {"Greeting": "hi"})
    stored = config(host, sanitized=False)["PluginSettings"]["Plugins"]["com.example.other"]
    assert stored == {"Url": "https://x", "Token": "t0k"}


def test_saved_keys_keep_their_case(host: Host) -> None:
    save_plugin_config(host, {"greeting": "lower"})
    assert plugin_config(host) == {"greeting": "lower"}


def test_bundle_path_holds_the_manifest(host: Host) -> None:
    path = Path(host.api.GetBundlePath(pb.GetBundlePathRequest()).path)
    assert (path / "plugin.json").is_file()


def test_bundle_path_of_a_host_without_the_manifest_fails_as_the_servers_handler() -> None:
    # the server's handler answers INTERNAL "failed to get bundle path: <why>", with no id
    with start_host() as bare, pytest.raises(grpc.RpcError) as failed:
        bare.api.raw.GetBundlePath(pb.GetBundlePathRequest())
    assert failed.value.code() == grpc.StatusCode.INTERNAL
    assert failed.value.details().startswith("failed to get bundle path: ")
    assert "manifest" in failed.value.details()


def test_server_version_comes_from_the_world(host: Host) -> None:
    assert host.api.GetServerVersion(rem.GetServerVersionRequest()).version == "10.5.0"


def test_install_date_and_ids_are_stable(host: Host) -> None:
    date = host.api.GetSystemInstallDate(rem.GetSystemInstallDateRequest()).install_date
    assert date == host.info.epoch_ms
    diag = host.api.GetDiagnosticId(rem.GetDiagnosticIdRequest()).diagnostic_id
    assert len(diag) == 26
    assert host.api.GetDiagnosticId(rem.GetDiagnosticIdRequest()).diagnostic_id == diag
    assert host.api.GetTelemetryId(rem.GetTelemetryIdRequest()).telemetry_id == diag


def test_team_edition_has_no_license_and_is_not_enterprise_ready(host: Host) -> None:
    rsp = host.api.GetLicense(rem.GetLicenseRequest())
    assert rsp.license_json == b"" and not rsp.error.id
    assert not host.api.IsEnterpriseReady(rem.IsEnterpriseReadyRequest()).is_enterprise_ready


def test_save_plugin_config_goes_through_the_config_save_hooks(host: Host) -> None:
    secret = config(host, sanitized=False)["SqlSettings"]["DataSource"]
    save_plugin_config(host, {"Greeting": "via save"})
    assert host.hooks.named("ConfigurationWillBeSaved")
    assert host.hooks.named("OnConfigurationChange")
    assert config(host, sanitized=False)["SqlSettings"]["DataSource"] == secret
