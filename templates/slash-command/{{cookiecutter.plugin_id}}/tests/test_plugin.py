"""Tests run the real plugin process under mmplug's fake host (see `mmplug.testing`)."""

import pytest

TRIGGER = "{{cookiecutter.__trigger}}"


def run(plugin, line, user="alice"):
    """Fire ExecuteCommand as `user` in town-square; return the CommandResponse."""
    args = {
        "command": line,
        "user_id": plugin.world.user(user).id,
        "channel_id": plugin.world.channel("town-square").id,
        "team_id": plugin.world.team("acme").id,
    }
    result = plugin.fire("ExecuteCommand", args=args)
    assert result.ok, result.error
    return result.response.response


def test_registers_the_command_with_autocomplete(plugin):
    result = plugin.fire("OnActivate")
    assert result.ok, result.error
    [call] = [c for c in result.api_calls if c.method == "RegisterCommand"]
    assert call.request.command.trigger == TRIGGER
    assert call.request.command.auto_complete
    assert "echo" in call.request.command.auto_complete_hint


def test_echo_is_ephemeral(plugin):
    response = run(plugin, f"/{TRIGGER} echo hi there")
    assert response.response_type == "ephemeral"
    assert response.text == "hi there"


def test_announce_goes_to_the_channel(plugin):
    response = run(plugin, f"/{TRIGGER} announce release at 5pm")
    assert response.response_type == "in_channel"
    assert response.text == "release at 5pm"


def test_whoami_asks_the_server(plugin):
    response = run(plugin, f"/{TRIGGER} whoami")
    assert response.text == "You are @alice (alice@example.com)."
    assert [c.method for c in plugin.api_calls] == ["GetUser"]


@pytest.mark.parametrize("line", [f"/{TRIGGER}", f"/{TRIGGER} help", f"/{TRIGGER} dance"])
def test_help_for_anything_else(plugin, line):
    response = run(plugin, line)
    assert response.response_type == "ephemeral"
    assert f"/{TRIGGER} echo" in response.text
