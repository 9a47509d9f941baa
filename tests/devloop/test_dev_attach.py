"""Attach: a plugin started separately in the SDK's debug mode, and started again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from devloop_support import PLUGIN_ID, Events, dev_loop, wait_for, write_plugin

from mmplug.devloop.attach import parse_address
from mmplug.errors import UsageError

pytestmark = pytest.mark.slow


def _free_port() -> int:
    """A free port whose successor is free too (the PluginAPI goes there)."""
    for _ in range(50):
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise AssertionError("no two free ports in a row")


def _start_plugin(project: Path, address: str, api_target: str | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MMPLUG_DEBUG_LISTEN=address)
    env.pop("MATTERMOST_PLUGIN", None)
    env.pop("MATTERMOST_PLUGIN_API_TARGET", None)
    if api_target is not None:  # else the SDK's debug mode uses the debug port + 1
        env["MATTERMOST_PLUGIN_API_TARGET"] = api_target
    return subprocess.Popen([sys.executable, "plugin.py"], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stdout is not None
    proc.stdout.close()


def _command(loop: Any) -> str:
    result = loop.fire("ExecuteCommand", args={"command": "/hi"})
    return str(result.response.response.text)


def test_attach_follows_the_plugin_through_restarts(tmp_path: Path) -> None:
    project = write_plugin(tmp_path / "p")
    address = f"127.0.0.1:{_free_port()}"
    events = Events()
    loop = dev_loop(project, attach=address, start_timeout=1.0)
    loop.add_observer(events)
    with loop:
        assert loop.status[PLUGIN_ID].state == "waiting"
        assert f"MMPLUG_DEBUG_LISTEN={address}" in (loop.status[PLUGIN_ID].problem or "")
        api = loop.api_target
        assert api == f"127.0.0.1:{int(address.rsplit(':', 1)[1]) + 1}"  # debug port + 1
        plugin = _start_plugin(project, address, None)  # no settings copied by hand
        try:
            wait_for(lambda: loop.status[PLUGIN_ID].state == "attached", what="attach")
            assert loop.status[PLUGIN_ID].attached_to == address
            assert _command(loop) == "v1"
            _stop(plugin)
            wait_for(lambda: loop.status[PLUGIN_ID].state == "waiting", what="noticing the exit")
            assert loop.api_target == api  # the same API address for the next process
            plugin = _start_plugin(project, address, api)
            wait_for(lambda: loop.status[PLUGIN_ID].state == "attached", what="reattach")
            assert _command(loop) == "v1"
            activations = loop.fire("ExecuteCommand", args={"command": "/hi"})
            assert activations.ok
        finally:
            alive = plugin.poll() is None
        assert alive  # closing the session leaves the user's process alone
        _stop(plugin)


def test_attach_addresses() -> None:
    assert parse_address("127.0.0.1:5555") == ("127.0.0.1", 5555)
    assert parse_address("5555") == ("127.0.0.1", 5555)
    with pytest.raises(UsageError, match="HOST:PORT"):
        parse_address("localhost:http")
