"""A plugin's slash commands live while it is active, as on the server."""

from __future__ import annotations

import sys
from pathlib import Path

from mmplug.host.session import Session
from mmplug.host.store import Store
from mmplug.host.world import world_info


def _commands(store_path: Path) -> list[str]:
    with Store.open(store_path) as store, store.read() as db:
        rows = db.execute("SELECT trigger FROM plugin_slash_commands ORDER BY trigger").fetchall()
    return [row[0] for row in rows]


def test_commands_are_dropped_when_the_plugin_deactivates(
    tmp_path: Path, parrot_plugin: Path
) -> None:
    plugin = parrot_plugin
    state = tmp_path / "state.db"
    with Session([plugin], store=state, python=sys.executable):
        assert _commands(state) == ["parrot"]
    assert _commands(state) == []


def test_command_registered_in_on_activate_is_routed_while_active(
    tmp_path: Path, parrot_plugin: Path
) -> None:
    plugin = parrot_plugin
    state = tmp_path / "state.db"
    with Session([plugin], store=state, python=sys.executable) as session:
        assert _commands(state) == ["parrot"]
        info = world_info(session.store)
        result = session.fire("ExecuteCommand", args={
            "command": "/parrot hi", "user_id": info.users["alice"],
            "channel_id": info.channels["town-square"], "team_id": info.teams["acme"]})
        assert result.error is None
        assert result.response.response.text == "repeated 2 characters"
    # A second run registers it again and it works again.
    with Session([plugin], store=state, python=sys.executable):
        assert _commands(state) == ["parrot"]
