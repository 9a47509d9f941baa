"""Server parity of the plugin rpcs (GetPlugins, GetPluginStatus, EnablePlugin, DisablePlugin,
RemovePlugin, InstallPlugin) in a session of several real plugins, and of GetCloudLimits and
RequestTrialLicense."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_projects import write_plugin_project

from mmplug.host.api.config import load_server_config
from mmplug.host.session import Session
from mmplug.host.world import world_info

MANAGER = '''
import json
from mmplug.sdk import Plugin, PluginAPIError, serve


class Manager(Plugin):
    def on_configuration_change(self):
        self.api.kv_set("changes", str(int(self.api.kv_get("changes") or 0) + 1))

    def execute_command(self, context, args):
        words = args.command.split()
        verb, rest = words[1], words[2:]
        try:
            if verb == "list":
                found = self.api.call("GetPlugins").manifests
                return json.dumps([m.id for m in found])
            if verb == "status":
                status = self.api.call("GetPluginStatus", id=rest[0]).status
                return json.dumps({"id": status.plugin_id, "state": status.state,
                                   "version": status.version})
            if verb in ("enable", "disable", "remove"):
                self.api.call(verb.capitalize() + "Plugin", id=rest[0])
                return "ok"
            if verb == "install":
                with open(rest[0], "rb") as handle:
                    data = handle.read()
                replace = rest[1:] == ["replace"]
                found = self.api.call("InstallPlugin", file_data=data, replace=replace)
                return found.manifest.id
            if verb == "save":  # save <section.setting|plugin id> <value>: SaveConfig
                config = json.loads(self.api.call("GetConfig").config_json)
                value = json.loads(rest[1])
                if rest[0] == "PluginSettings.Enable":
                    config["PluginSettings"]["Enable"] = value
                elif value is None:
                    config["PluginSettings"]["PluginStates"].pop(rest[0], None)
                else:
                    config["PluginSettings"]["PluginStates"][rest[0]] = {"Enable": value}
                self.api.call("SaveConfig", config_json=json.dumps(config).encode())
                return "ok"
            if verb == "limits":
                return self.api.call("GetCloudLimits").limits_json.decode()
            if verb == "trial":
                self.api.call("RequestTrialLicense", requester_id=rest[0], users=int(rest[1]),
                              terms_accepted=rest[2] == "yes")
                return self.api.call("GetLicense").license_json.decode()
        except PluginAPIError as err:
            return f"{type(err).__name__} {err.status_code} {err.error_id}"
        return "?"


if __name__ == "__main__":
    serve(Manager)
'''

OTHER = '''
from mmplug.sdk import Plugin, serve


class Other(Plugin):
    def on_activate(self):
        self.api.kv_set("activations", str(int(self.api.kv_get("activations") or 0) + 1))

    def on_deactivate(self):
        self.api.kv_set("deactivated", "yes")


if __name__ == "__main__":
    serve(Other)
'''


def _plugin(root: Path, plugin_id: str, code: str, version: str = "1.0.0") -> Path:
    return write_plugin_project(root / plugin_id, plugin_id, code, name=plugin_id.title(),
                                version=version, description=f"{plugin_id} for the tests",
                                runtime=True)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    import sys

    root = tmp_path_factory.mktemp("plugins")
    dirs = [_plugin(root, "manager", MANAGER), _plugin(root, "other", OTHER)]
    with Session(dirs, store=":memory:", python=sys.executable) as s:
        yield s


def run(session: Session, text: str) -> str:
    result = session.fire("ExecuteCommand", plugin_id="manager",
                          args={"command": f"/mgr {text}"})
    assert result.ok, result.error
    response = result.response
    assert response is not None
    return str(response.response.text)  # type: ignore[attr-defined]


@pytest.mark.parity("GetPlugins", "server/channels/app/plugin_api.go: (*PluginAPI).GetPlugins; "
                    "server/channels/app/plugin.go: (*App).GetPlugins")
def test_get_plugins_lists_the_active_plugins_then_the_inactive(session: Session) -> None:
    """GetPlugins returns the manifest of every installed plugin, the active ones first."""
    assert sorted(json.loads(run(session, "list"))) == ["manager", "other"]


@pytest.mark.parity("GetPluginStatus",
                    "server/channels/app/plugin_statuses.go: (*Channels).GetPluginStatus")
def test_get_plugin_status_reports_a_running_plugin_and_404_for_an_unknown_id(
        session: Session) -> None:
    """GetPluginStatus gives state 2 (running) and the version; an unknown id is a 404
    `app.plugin.not_installed.app_error`."""
    assert json.loads(run(session, "status other")) == {"id": "other", "state": 2,
                                                        "version": "1.0.0"}
    assert run(session, "status nope") == "NotFoundError 404 app.plugin.not_installed.app_error"


@pytest.mark.parity(("DisablePlugin", "EnablePlugin"),
                    "server/channels/app/plugin.go: (*Channels).disablePlugin, enablePlugin")
def test_disable_then_enable_stops_and_restarts_the_plugin(session: Session) -> None:
    """DisablePlugin deactivates the plugin (OnDeactivate runs, state 0); EnablePlugin starts
    and activates it again; both lower-case the id and record PluginStates in the config."""
    assert run(session, "disable OTHER") == "ok"
    assert session.plugins["other"].state == "stopped"
    assert json.loads(run(session, "status other"))["state"] == 0
    assert run(session, "enable other") == "ok"
    assert session.plugins["other"].state == "active"
    assert json.loads(run(session, "status other"))["state"] == 2
    with session.store.read() as db:
        states = load_server_config(db)["PluginSettings"]["PluginStates"]
    assert states["other"] == {"Enable": True}
    with session.store.read() as db:
        rows = dict(db.execute("SELECT key, value FROM kv WHERE plugin_id='other'").fetchall())
    assert rows["deactivated"] == b"yes" and rows["activations"] == b"2"


@pytest.mark.parity(("EnablePlugin", "DisablePlugin"),
                    "server/channels/app/plugin.go: (*Channels).enablePlugin")
def test_enabling_an_unknown_plugin_is_404(session: Session) -> None:
    """EnablePlugin and DisablePlugin of an id no plugin has are a 404
    `app.plugin.not_installed.app_error`."""
    assert run(session, "enable nope") == "NotFoundError 404 app.plugin.not_installed.app_error"
    assert run(session, "disable nope") == "NotFoundError 404 app.plugin.not_installed.app_error"


@pytest.mark.parity(("GetPlugins", "GetPluginStatus", "EnablePlugin", "DisablePlugin"),
                    "server/channels/app/plugin_statuses.go: (*Channels).GetPluginStatus; "
                    "server/channels/app/plugin.go: (*Channels).enablePlugin")
def test_a_plugin_enabled_in_the_configuration_but_not_installed_is_404(
        session: Session) -> None:
    """The configuration enables Playbooks, Calls and NPS by default, but a plugin that is not
    installed is not listed, and its status, enabling or disabling it is a 404
    `app.plugin.not_installed.app_error`."""
    with session.store.read() as db:
        states = load_server_config(db)["PluginSettings"]["PluginStates"]
    assert states["playbooks"] == {"Enable": True}
    assert "playbooks" not in json.loads(run(session, "list"))
    for verb in ("status", "enable", "disable"):
        assert run(session, f"{verb} playbooks") == (
            "NotFoundError 404 app.plugin.not_installed.app_error")


def _config_changes(session: Session) -> int:
    with session.store.read() as db:
        row = db.execute(
            "SELECT value FROM kv WHERE plugin_id='manager' AND key='changes'"
        ).fetchone()
    return int(bytes(row[0]).decode()) if row else 0


@pytest.mark.parity(("EnablePlugin", "DisablePlugin"),
                    "server/channels/app/plugin.go: (*Channels).enablePlugin; "
                    "server/config/store.go: (*Store).Set")
def test_enabling_an_enabled_plugin_runs_no_configuration_change(session: Session) -> None:
    """Enabling a plugin the configuration already has enabled (or disabling a disabled one)
    changes nothing, so no plugin gets OnConfigurationChange; a real change runs it once."""
    run(session, "enable other")
    before = _config_changes(session)
    assert run(session, "enable other") == "ok"
    assert _config_changes(session) == before
    assert run(session, "disable other") == "ok"
    assert _config_changes(session) == before + 1
    assert run(session, "disable other") == "ok"
    assert _config_changes(session) == before + 1
    assert run(session, "enable other") == "ok"
    assert _config_changes(session) == before + 2


def _kv(session: Session, plugin_id: str, key: str) -> bytes | None:
    with session.store.read() as db:
        row = db.execute("SELECT value FROM kv WHERE plugin_id=? AND key=?",
                         (plugin_id, key)).fetchone()
    return None if row is None else bytes(row[0])


def _wait_stopped(session: Session, plugin_id: str) -> None:
    """A plugin stopping itself is stopped once its API call has returned."""
    import time

    deadline = time.monotonic() + 20
    while session.plugins[plugin_id].state != "stopped" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert session.plugins[plugin_id].state == "stopped"


SYNC = "server/channels/app/plugin.go: (*Channels).syncPluginsActiveState"


@pytest.mark.parity(("SaveConfig", "GetPluginStatus"),
                    f"{SYNC}; server/channels/app/plugin.go: (*Channels).initPlugins")
def test_saving_plugin_states_stops_and_starts_the_plugins(session: Session) -> None:
    """A configuration save that disables a running plugin in PluginSettings.PluginStates (or
    leaves it without a state) deactivates it, and one that enables it activates it again;
    the plugins still running then get OnConfigurationChange."""
    activations = int(_kv(session, "other", "activations") or b"0")
    changes = _config_changes(session)
    assert run(session, "save other false") == "ok"
    assert session.plugins["other"].state == "stopped"
    assert json.loads(run(session, "status other"))["state"] == 0
    assert _kv(session, "other", "deactivated") == b"yes"
    assert _config_changes(session) == changes + 1
    assert run(session, "save other true") == "ok"
    assert session.plugins["other"].state == "active"
    assert _kv(session, "other", "activations") == str(activations + 1).encode()
    assert run(session, "save other null") == "ok"
    assert session.plugins["other"].state == "stopped"
    assert run(session, "enable other") == "ok"
    assert session.plugins["other"].state == "active"


@pytest.fixture
def own_session(tmp_path: Path) -> Iterator[Session]:
    """A session of its own, for a test that leaves the manager stopped."""
    import sys

    dirs = [_plugin(tmp_path, "manager", MANAGER), _plugin(tmp_path, "other", OTHER)]
    with Session(dirs, store=":memory:", python=sys.executable) as s:
        yield s


@pytest.mark.parity("SaveConfig", f"{SYNC}; server/config/store.go: (*Store).Set")
def test_a_plugin_that_disables_itself_by_a_save_is_stopped_after_the_call(
        own_session: Session) -> None:
    """A plugin whose configuration save disables itself gets its answer (the save
    succeeded), is then deactivated and gets no OnConfigurationChange; the others keep
    running."""
    changes = _config_changes(own_session)
    assert run(own_session, "save manager false") == "ok"
    _wait_stopped(own_session, "manager")
    assert own_session.plugins["other"].state == "active"
    assert _config_changes(own_session) == changes
    with own_session.store.read() as db:
        states = load_server_config(db)["PluginSettings"]["PluginStates"]
    assert states["manager"] == {"Enable": False}


@pytest.mark.parity("SaveConfig", "server/channels/app/channels.go: (*Channels).Start; "
                    "server/channels/app/plugin.go: (*Channels).ShutDownPlugins")
def test_turning_plugins_off_in_a_save_shuts_every_plugin_down(own_session: Session) -> None:
    """Saving PluginSettings.Enable false shuts every plugin down, the saving plugin too once
    its call has returned."""
    assert run(own_session, "save PluginSettings.Enable false") == "ok"
    _wait_stopped(own_session, "manager")
    assert own_session.plugins["other"].state == "stopped"
    assert _kv(own_session, "other", "deactivated") == b"yes"


def _bundle(tmp_path: Path, plugin_id: str, version: str = "1.0.0") -> Path:
    folder = _plugin(tmp_path / f"src-{version}", plugin_id, OTHER, version)
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        tar.add(folder, arcname=plugin_id)
    path = tmp_path / f"{plugin_id}-{version}.tar.gz"
    path.write_bytes(data.getvalue())
    return path


@pytest.mark.parity(("InstallPlugin", "RemovePlugin"),
                    "server/channels/app/plugin_install.go: installPluginLocally, "
                    "installExtractedPlugin, (*Channels).RemovePlugin")
def test_install_keeps_a_new_plugin_inactive_and_refuses_a_second_copy(
        session: Session, tmp_path: Path) -> None:
    """InstallPlugin unpacks a bundle and knows the plugin without running it (it is not
    enabled); the same id again is a 400 `app.plugin.install_id.app_error` unless replace;
    RemovePlugin forgets it."""
    bundle = _bundle(tmp_path, "extra")
    assert run(session, f"install {bundle}") == "extra"
    assert json.loads(run(session, "status extra"))["state"] == 0
    assert run(session, f"install {bundle}") == \
        "InvalidArgumentError 400 app.plugin.install_id.app_error"
    newer = _bundle(tmp_path, "extra", "2.0.0")
    assert run(session, f"install {newer} replace") == "extra"
    assert json.loads(run(session, "status extra"))["version"] == "2.0.0"
    assert run(session, "enable extra") == "ok"
    assert session.plugins["extra"].state == "active"
    assert run(session, "remove extra") == "ok"
    assert "extra" not in json.loads(run(session, "list"))


@pytest.mark.parity("InstallPlugin", "server/channels/app/plugin_install.go: extractPlugin")
def test_install_refuses_what_is_not_a_plugin_bundle(session: Session, tmp_path: Path) -> None:
    """A file that is not a tar.gz is a 400 `app.plugin.extract.app_error`; a bundle without
    plugin.json a 400 `app.plugin.manifest.app_error`."""
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a bundle")
    assert run(session, f"install {junk}") == \
        "InvalidArgumentError 400 app.plugin.extract.app_error"
    empty = tmp_path / "empty.tar.gz"
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        info = tarfile.TarInfo("readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    empty.write_bytes(data.getvalue())
    assert run(session, f"install {empty}") == \
        "InvalidArgumentError 400 app.plugin.manifest.app_error"


@pytest.mark.parity("GetCloudLimits", "server/channels/app/plugin_api.go: "
                    "(*PluginAPI).GetCloudLimits")
def test_a_server_that_is_not_cloud_has_no_cloud_limits(session: Session) -> None:
    """GetCloudLimits on a server that is not a cloud workspace answers empty limits."""
    assert json.loads(run(session, "limits")) == {}


@pytest.mark.parity("RequestTrialLicense", "server/channels/app/license.go: "
                    "(*Channels).RequestTrialLicense")
def test_request_trial_license_checks_its_arguments(session: Session) -> None:
    """Terms not accepted is a 400 `...terms-not-accepted`, zero users a 400
    `api.license.request-trial.bad-request`, an unknown requester a 404 missing account."""
    alice = world_info(session.store).users["alice"]
    assert run(session, f"trial {alice} 10 no").endswith(
        "400 api.license.request-trial.bad-request.terms-not-accepted")
    assert run(session, f"trial {alice} 0 yes").endswith(
        "400 api.license.request-trial.bad-request")
    assert run(session, "trial nobody 10 yes") == \
        "NotFoundError 404 app.user.missing_account.const"


@pytest.mark.parity("RequestTrialLicense", "server/channels/app/license.go: "
                    "(*Channels).RequestTrialLicense")
def test_a_trial_license_is_installed_for_a_valid_request(session: Session) -> None:
    """A valid request installs a trial licence that GetLicense then returns (the fake host
    grants it itself: see the known difference)."""
    alice = world_info(session.store).users["alice"]
    licence = json.loads(run(session, f"trial {alice} 25 yes"))
    assert licence["is_trial"] is True and licence["features"]["users"] == 25
    assert licence["expires_at"] - licence["starts_at"] == 30 * 86_400_000
