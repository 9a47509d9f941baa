"""The handshake line by go-plugin's rules, and the environment a plugin is started with."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmplug.host._child_env import plugin_env
from mmplug.host.launcher import HandshakeFault, parse_handshake


@pytest.mark.parametrize(
    ("line", "network", "target"),
    [
        ("1|1|tcp|127.0.0.1:1234|grpc", "tcp", "127.0.0.1:1234"),
        ("1|1|tcp|127.0.0.1:1234|grpc|", "tcp", "127.0.0.1:1234"),  # Go's trailing '|'
        ("1|1|tcp|127.0.0.1:1234|grpc|\n", "tcp", "127.0.0.1:1234"),
        ("1|1|unix|/tmp/plugin123|grpc", "unix", "unix:/tmp/plugin123"),
    ],
)
def test_valid_handshakes(line: str, network: str, target: str) -> None:
    handshake = parse_handshake(line)
    assert (handshake.core, handshake.app, handshake.protocol) == (1, 1, "grpc")
    assert handshake.network == network
    assert handshake.target == target


@pytest.mark.parametrize(
    ("line", "fault"),
    [
        ("hello", "not-handshake"),
        ("1|1|tcp", "short-line"),
        ("1 | 1 | tcp | 127.0.0.1:1 | grpc", "spaces"),  # go-plugin does not trim fields
        ("1|1|tcp|127.0.0.1:1| grpc", "spaces"),
        ("x|1|tcp|127.0.0.1:1|grpc", "bad-core"),
        ("1|2|tcp|127.0.0.1:1|grpc", "bad-app"),
        ("1|1|udp|127.0.0.1:1|grpc", "bad-network"),
        ("1|1|tcp|localhost|grpc", "bad-address"),
        ("1|1|tcp|127.0.0.1:99999|grpc", "bad-address"),
        ("1|1|unix|relative.sock|grpc", "bad-address"),
        ("1|1|tcp|127.0.0.1:1", "bad-protocol"),
        ("1|1|tcp|127.0.0.1:1|netrpc", "bad-protocol"),
        ("1|1|tcp|127.0.0.1:1|grpc|" + "A" * 60, "unexpected-cert"),
    ],
)
def test_invalid_handshakes_name_their_fault(line: str, fault: str) -> None:
    with pytest.raises(HandshakeFault) as caught:
        parse_handshake(line)
    assert caught.value.name == fault


def test_environment_has_the_cookie_versions_ports_and_api_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MATTERMOST_PLUGIN", "wrong")
    monkeypatch.setenv("FROM_THE_HOST", "1")
    env = plugin_env("127.0.0.1:5555", {"EXTRA": "2", "PLUGIN_MIN_PORT": "1"})
    assert env["MATTERMOST_PLUGIN"] == "Securely message teams, anywhere."
    assert env["PLUGIN_PROTOCOL_VERSIONS"] == "1"
    assert (env["PLUGIN_MIN_PORT"], env["PLUGIN_MAX_PORT"]) == ("10000", "25000")
    assert env["MATTERMOST_PLUGIN_API_TARGET"] == "127.0.0.1:5555"
    assert env["FROM_THE_HOST"] == "1" and env["EXTRA"] == "2"
    assert "MATTERMOST_PLUGIN_API_TARGET" not in plugin_env(None)


def test_interpreter_from_a_relative_path_entry_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmplug.host._child_env import find_python

    bin_dir = tmp_path / "tools" / "bin"
    bin_dir.mkdir(parents=True)
    fake = bin_dir / "python3"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "tools/bin")
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    assert find_python(plugin_dir) == str(fake)
    assert find_python(plugin_dir, "tools/bin/python3") == str(fake)
