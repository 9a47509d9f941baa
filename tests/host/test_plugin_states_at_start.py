"""A plugin the configuration says is off (PluginSettings.Enable, PluginStates) still runs in
a session that was asked to run it, with one load warning saying a server would not run it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from plugin_projects import write_plugin_project

from mmplug.host.api.config import load_server_config
from mmplug.host.launcher import LOAD_NOTICE
from mmplug.host.session import Session

SAVER = '''
from mmplug.sdk import Plugin, serve


class Saver(Plugin):
    def execute_command(self, context, args):
        self.api.call("SavePluginConfig", config={"color": "blue"})
        return "saved"


if __name__ == "__main__":
    serve(Saver)
'''
DEFAULT_WORLD = Path(__file__).resolve().parents[2] / "fixtures" / "worlds" / "default.json"


def _world(tmp_path: Path, plugin_settings: dict[str, object]) -> Path:
    doc = json.loads(DEFAULT_WORLD.read_text(encoding="utf-8"))
    doc["config"].setdefault("PluginSettings", {}).update(plugin_settings)
    path = tmp_path / "off.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _notices(session: Session) -> list[str]:
    return [r.message for r in session.logs if r.source == "host" and r.module == LOAD_NOTICE
            and "would not run" in r.message]


def test_a_plugin_the_configuration_disables_runs_with_one_warning(tmp_path: Path) -> None:
    """A world with plugins off and this plugin disabled: the plugin runs anyway, a load
    warning names both settings, and a later configuration save keeps it running."""
    plugin = write_plugin_project(tmp_path / "saver", "com.example.saver", SAVER, runtime=True)
    world = _world(tmp_path, {"Enable": False,
                              "PluginStates": {"com.example.saver": {"Enable": False}}})
    state = tmp_path / "state.db"
    with Session([plugin], store=state, world=world, python=sys.executable) as session:
        assert session.plugins["com.example.saver"].state == "active"
        (notice,) = _notices(session)
        assert ("PluginSettings.Enable and PluginSettings.PluginStates.com.example.saver.Enable"
                " false: a server with it would not run this plugin") in notice
        result = session.fire("ExecuteCommand", plugin_id="com.example.saver",
                              args={"command": "/save"})
        assert result.ok, result.error
        assert session.plugins["com.example.saver"].state == "active"
        with session.store.read() as db:
            settings = load_server_config(db)["PluginSettings"]
        assert settings["Enable"] is True
        assert settings["PluginStates"]["com.example.saver"] == {"Enable": True}
    with Session([plugin], store=state, world=world, python=sys.executable) as again:
        assert again.plugins["com.example.saver"].state == "active"
        assert _notices(again) == []  # said once: the state now runs it
